//! The one wrapper around the `uv` binary.
//!
//! uv is found as `$RELEASE_TOOL_UV`, else `uv` next to the release-tool executable (the `uv`
//! that the release-tool wheel depends on, installed in the same environment's `bin`), else
//! `uv` on `PATH`. It is started by the process runner ([`crate::core::process`]); its
//! progress output is streamed to our stderr (stdout stays for data); captured calls return
//! stdout.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::core::error::UserError;
use crate::core::process::{Capture, Process, ProcessError};

/// The uv version release-tool is tested with: the one the wheel brings, copied into images
/// when `docker.uv_version` is not set.
pub const DEFAULT_UV_VERSION: &str = "0.13.9";

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

/// `program` as an executable file: a path as it is, a bare name searched on `PATH`.
fn locate(program: &Path) -> Option<PathBuf> {
    if program.components().count() > 1 || program.is_absolute() {
        return is_executable(program).then(|| program.to_path_buf());
    }
    let name = if program.extension().is_none() {
        let mut n = program.as_os_str().to_owned();
        n.push(std::env::consts::EXE_SUFFIX);
        PathBuf::from(n)
    } else {
        program.to_path_buf()
    };
    std::env::split_paths(&std::env::var_os("PATH")?)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(&name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        meta.is_file()
    }
}

/// How to install uv, for errors.
pub const INSTALL_HINT: &str = "install uv (`pip install uv`, `pipx install uv` or \
    `curl -LsSf https://astral.sh/uv/install.sh | sh`), or point RELEASE_TOOL_UV at the binary";

impl Uv {
    /// Find uv: `$RELEASE_TOOL_UV`, else `uv` next to this executable, else `uv` on `PATH`.
    /// Errors (exit 1) with the install hint. It looks for an executable file only and does not
    /// run it (a `uv --version` would cost as much as a quick `uv lock`); a uv that cannot run
    /// fails on its first real call, with the same hint.
    pub fn find() -> Result<Self> {
        let wanted = std::env::var_os("RELEASE_TOOL_UV")
            .map(PathBuf::from)
            .or_else(sibling)
            .unwrap_or_else(|| PathBuf::from("uv"));
        match locate(&wanted) {
            Some(program) => Ok(Self {
                program,
                env: Vec::new(),
            }),
            None => Err(UserError::failure(format!(
                "uv not found (looked for `{}`)",
                wanted.display()
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

    /// `uv <args>` in `dir`, through the process runner.
    fn process<'a, I, S>(&'a self, dir: &'a Path, args: I) -> Process<'a>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let mut process = Process::new(self.program.as_os_str(), dir)
            .named("uv")
            .args(args);
        for (k, v) in &self.env {
            process = process.env(k, v);
        }
        process
    }

    /// `uv --version`, e.g. `uv 0.13.9`.
    pub fn version(&self) -> Result<String> {
        let process = self.process(Path::new("."), ["--version"]).in_our_dir();
        let out = process.run(Capture::Separate).map_err(|e| cannot_run(&e))?;
        if !out.success() {
            return Err(process.failed(out.exit(), "").into());
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    /// Run uv in `dir` with its output streamed to our stderr.
    pub fn run_streaming<I, S>(&self, dir: &Path, args: I) -> Result<()>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let process = self.process(dir, args);
        let exit = process.run_to_stderr().map_err(|e| cannot_run(&e))?;
        if exit.success() {
            Ok(())
        } else {
            Err(UserError::failure(process.failed(exit, "").to_string()).into())
        }
    }

    /// Run uv in `dir` with its output captured: `Ok(output)` (stdout then stderr) on success;
    /// on failure an error that carries the argv, the exit code and uv's own message.
    pub fn run_quiet<I, S>(&self, dir: &Path, args: I) -> Result<String>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let process = self.process(dir, args);
        let out = process.run(Capture::Separate).map_err(|e| cannot_run(&e))?;
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        if out.success() {
            return Ok(text);
        }
        Err(process.failed(out.exit(), text.trim_end()).into())
    }

    /// Run uv in `dir` and capture its output: `Ok((success, stdout, stderr))`.
    pub fn run_captured<I, S>(&self, dir: &Path, args: I) -> Result<(bool, String, String)>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let out = self
            .process(dir, args)
            .run(Capture::Separate)
            .map_err(|e| UserError::failure(e.to_string()))?;
        Ok((
            out.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ))
    }
}

/// uv could not be started: the runner's reason, with the install hint.
fn cannot_run(e: &ProcessError) -> anyhow::Error {
    UserError::failure(e.to_string())
        .with_hint(INSTALL_HINT)
        .into()
}

#[cfg(test)]
mod tests {
    #[cfg(unix)]
    #[test]
    fn locates_executable_files_only() {
        use std::os::unix::fs::PermissionsExt as _;
        let tmp = tempfile::tempdir().unwrap();
        let plain = tmp.path().join("plain");
        let exe = tmp.path().join("exe");
        std::fs::write(&plain, "").unwrap();
        std::fs::write(&exe, "").unwrap();
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(super::locate(&exe), Some(exe.clone()));
        assert_eq!(super::locate(&plain), None, "not executable");
        assert_eq!(super::locate(tmp.path()), None, "a directory");
        assert_eq!(super::locate(&tmp.path().join("missing")), None);
        // A bare name is looked up on PATH (which this test cannot change): a name no PATH
        // holds is not found.
        assert_eq!(
            super::locate(std::path::Path::new("release-tool-no-such-uv")),
            None
        );
    }
}
