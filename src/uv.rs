//! The one wrapper around the `uv` binary.
//!
//! uv is found as `$RELEASE_TOOL_UV`, else `uv` next to the release-tool executable (the `uv`
//! that the release-tool wheel depends on, installed in the same environment's `bin`), else
//! `uv` on `PATH`. Its progress output is streamed to
//! our stderr (stdout stays for data); captured calls return stdout.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::Result;

use crate::error::UserError;

/// A located uv binary.
#[derive(Clone, Debug)]
pub struct Uv {
    program: PathBuf,
    env: Vec<(String, String)>,
}

/// `uv` in the directory of the running executable: `pip install release-tool` or
/// `uv tool install release-tool` put the `uv` the wheel depends on there, even when that
/// directory is not on `PATH` (uv tools link only their own commands).
fn sibling() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let uv = exe
        .parent()?
        .join(format!("uv{}", std::env::consts::EXE_SUFFIX));
    uv.is_file().then_some(uv)
}

/// How to install uv, for errors.
pub const INSTALL_HINT: &str = "install uv (`pip install uv`, `pipx install uv` or \
    `curl -LsSf https://astral.sh/uv/install.sh | sh`), or point RELEASE_TOOL_UV at the binary";

impl Uv {
    /// Find uv: `$RELEASE_TOOL_UV`, else `uv` next to this executable, else `uv` on `PATH`.
    /// Errors (exit 1) with the install hint.
    pub fn find() -> Result<Self> {
        let program = std::env::var_os("RELEASE_TOOL_UV")
            .map(PathBuf::from)
            .or_else(sibling)
            .unwrap_or_else(|| PathBuf::from("uv"));
        let uv = Self {
            program,
            env: Vec::new(),
        };
        match uv.version() {
            Ok(_) => Ok(uv),
            Err(_) => Err(UserError::failure(format!(
                "uv not found (looked for `{}`)",
                uv.program.display()
            ))
            .with_hint(INSTALL_HINT)
            .into()),
        }
    }

    /// The same handle with extra environment variables for every call.
    #[must_use]
    pub fn with_env(mut self, env: &[(&str, &str)]) -> Self {
        self.env
            .extend(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        self
    }

    fn command<I, S>(&self, dir: &Path, args: I) -> (Command, String)
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
        let argv = crate::text::argv_string("uv", &args);
        let mut cmd = Command::new(&self.program);
        cmd.args(&args).current_dir(dir).stdin(Stdio::null());
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        (cmd, argv)
    }

    /// `uv --version`, e.g. `uv 0.13.9`.
    pub fn version(&self) -> Result<String> {
        let out = Command::new(&self.program)
            .arg("--version")
            .stdin(Stdio::null())
            .output()?;
        anyhow::ensure!(out.status.success(), "uv --version failed");
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    /// Run uv in `dir` with its output streamed to our stderr.
    pub fn run_streaming<I, S>(&self, dir: &Path, args: I) -> Result<()>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let (mut cmd, argv) = self.command(dir, args);
        tracing::debug!(dir = %dir.display(), "{argv}");
        // uv writes to the terminal itself: a progress bar of ours steps aside meanwhile.
        let status = crate::ui::suspended(|| {
            cmd.stdout(std::io::stderr())
                .stderr(Stdio::inherit())
                .status()
        })
        .map_err(|e| {
            UserError::failure(format!("Cannot run `{argv}`: {e}")).with_hint(INSTALL_HINT)
        })?;
        if status.success() {
            Ok(())
        } else {
            Err(UserError::failure(format!(
                "`{argv}` failed in {} (exit {})",
                dir.display(),
                status
                    .code()
                    .map_or_else(|| "signal".to_owned(), |c| c.to_string())
            ))
            .into())
        }
    }

    /// Run uv in `dir` with its output captured: `Ok(output)` (stdout then stderr) on success;
    /// on failure an error that carries the argv, the exit code and uv's own message.
    pub fn run_quiet<I, S>(&self, dir: &Path, args: I) -> Result<String>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let (mut cmd, argv) = self.command(dir, args);
        tracing::debug!(dir = %dir.display(), "{argv}");
        let out = cmd.output().map_err(|e| {
            UserError::failure(format!("Cannot run `{argv}`: {e}")).with_hint(INSTALL_HINT)
        })?;
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        if out.status.success() {
            return Ok(text);
        }
        let code = out
            .status
            .code()
            .map_or_else(|| "signal".to_owned(), |c| c.to_string());
        let message = text.trim_end();
        Err(anyhow::anyhow!(if message.is_empty() {
            format!("`{argv}` failed in {} (exit {code})", dir.display())
        } else {
            format!(
                "`{argv}` failed in {} (exit {code}):\n{message}",
                dir.display()
            )
        }))
    }

    /// Run uv in `dir` and capture its output: `Ok((success, stdout, stderr))`.
    pub fn run_captured<I, S>(&self, dir: &Path, args: I) -> Result<(bool, String, String)>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let (mut cmd, argv) = self.command(dir, args);
        tracing::debug!(dir = %dir.display(), "{argv}");
        let out = cmd
            .output()
            .map_err(|e| UserError::failure(format!("Cannot run `{argv}`: {e}")))?;
        Ok((
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ))
    }
}
