//! The one wrapper around the `uv` binary.
//!
//! uv is found as `$RELEASE_TOOL_UV`, else `uv` next to the release-tool executable (the `uv`
//! that the release-tool wheel depends on, installed in the same environment's `bin`), else
//! `uv` on `PATH`, else the pinned uv that release-tool downloads into the user cache
//! (`uv_download`). It is started by the process runner ([`crate::core::process`]); its
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
    /// `--quiet` flags given to a streamed run (0 to 2): the command's `-q`.
    quiet: u8,
}

/// `uv` in the directory of the running executable: `pip install release-tool` or
/// `uv tool install release-tool-cli` put the `uv` the wheel depends on there, even when that
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

/// The oldest uv release-tool works with (`uv sync --locked --no-install-project`, `uv build`,
/// `uv publish`, the lock format it reads): an older uv is refused by [`Uv::find`].
pub const MIN_UV_VERSION: &str = "0.5.0";

/// `uv 0.13.9 (abc 2025-01-01)` → `(0, 13, 9)`.
fn parse_version(text: &str) -> Option<(u64, u64, u64)> {
    let word = text.split_whitespace().nth(1)?;
    let mut parts = word
        .split(|c: char| !c.is_ascii_digit())
        .take(3)
        .map(|p| p.parse::<u64>().ok());
    Some((
        parts.next()??,
        parts.next()??,
        parts.next().flatten().unwrap_or(0),
    ))
}

impl Uv {
    /// Find uv: `$RELEASE_TOOL_UV`, else `uv` next to this executable, else `uv` on `PATH`,
    /// else the pinned uv ([`DEFAULT_UV_VERSION`]) in the user cache, downloaded there from
    /// the package index on first use (`python::uv_download`; one line on stderr says so)
    /// unless `RELEASE_TOOL_NO_UV_DOWNLOAD=1`. Errors (exit 1) with the install hint: no uv
    /// (`RELEASE_TOOL_UV` naming a missing file is never replaced by a download), a failed
    /// download, or a uv older than [`MIN_UV_VERSION`] (asked with `uv --version`; a uv whose
    /// answer cannot be read fails on its first real call, with the same hint).
    pub fn find() -> Result<Self> {
        let explicit = std::env::var_os("RELEASE_TOOL_UV").map(PathBuf::from);
        let wanted = explicit
            .clone()
            .or_else(sibling)
            .unwrap_or_else(|| PathBuf::from("uv"));
        let program = match locate(&wanted) {
            Some(program) => program,
            None if explicit.is_none() => return Self::pinned(),
            None => {
                return Err(UserError::failure(format!(
                    "uv not found (looked for `{}`)",
                    wanted.display()
                ))
                .with_hint(INSTALL_HINT)
                .into());
            }
        };
        let uv = Self {
            program,
            env: Vec::new(),
            quiet: 0,
        };
        uv.check_version()?;
        Ok(uv)
    }

    /// Refuse a uv older than [`MIN_UV_VERSION`]. `uv --version` costs ~10 ms, more than
    /// release-tool's own work for `lock`: a binary found recent enough is remembered (path,
    /// size, modification time) in the user cache's `release-tool/uv-checked`, and asked again
    /// only when it changes.
    fn check_version(&self) -> Result<()> {
        let env = |k: &str| std::env::var(k).ok();
        let record = crate::python::uv_download::cache_dir(DEFAULT_UV_VERSION, &env)
            .and_then(|dir| Some(dir.parent()?.join("uv-checked")));
        let key = std::fs::metadata(&self.program).ok().map(|m| {
            let mtime = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            format!("{}\t{}\t{mtime}", self.program.display(), m.len())
        });
        let known = record
            .as_ref()
            .and_then(|r| std::fs::read_to_string(r).ok())
            .unwrap_or_default();
        if key.as_ref().is_some_and(|k| known.lines().any(|l| l == k)) {
            return Ok(());
        }
        let Ok(text) = self.version() else {
            return Ok(());
        };
        let (Some(found), Some(min)) = (
            parse_version(&text),
            parse_version(&format!("uv {MIN_UV_VERSION}")),
        ) else {
            return Ok(());
        };
        if found < min {
            return Err(UserError::failure(format!(
                "{text} at {} is older than the oldest uv release-tool supports ({MIN_UV_VERSION})",
                self.program.display()
            ))
            .with_hint(INSTALL_HINT)
            .into());
        }
        if let (Some(record), Some(key)) = (record, key) {
            // The last few binaries seen; a lost race only costs another `uv --version`.
            let mut lines: Vec<&str> = known.lines().rev().take(15).collect();
            lines.reverse();
            lines.push(&key);
            let _ = crate::core::fsutil::atomic_write(
                &record,
                format!("{}\n", lines.join("\n")).as_bytes(),
            );
        }
        Ok(())
    }

    /// No uv installed: the pinned uv from the user cache, downloaded on first use.
    fn pinned() -> Result<Self> {
        let env = |k: &str| std::env::var(k).ok();
        let program = match crate::python::uv_download::cached(DEFAULT_UV_VERSION, &env) {
            Some(program) => program,
            None if env("RELEASE_TOOL_NO_UV_DOWNLOAD")
                .is_some_and(|v| !v.is_empty() && v != "0") =>
            {
                return Err(UserError::failure(
                    "uv not found (looked for `RELEASE_TOOL_UV`, `uv` next to release-tool and on PATH; \
                     RELEASE_TOOL_NO_UV_DOWNLOAD is set, so it is not downloaded)",
                )
                .with_hint(INSTALL_HINT)
                .into());
            }
            None => crate::python::uv_download::download(DEFAULT_UV_VERSION, &env, INSTALL_HINT)?,
        };
        Ok(Self {
            program,
            env: Vec::new(),
            quiet: 0,
        })
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

    /// The same handle passing the command's `-q` on to uv ([`Uv::run_streaming`]): `-q` gives
    /// uv `--quiet`, `-qq` (or more) `--quiet --quiet` (its errors only).
    #[must_use]
    pub fn quiet(mut self, quiet: u8) -> Self {
        self.quiet = quiet.min(2);
        self
    }

    /// Run uv in `dir` with its output streamed to our stderr, with the handle's quietness
    /// ([`Uv::quiet`]) passed on, so `sync dev -qq` prints no resolution lines.
    pub fn run_streaming<I, S>(&self, dir: &Path, args: I) -> Result<()>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let args: Vec<OsString> = std::iter::repeat_n(OsString::from("--quiet"), self.quiet.into())
            .chain(args.into_iter().map(Into::into))
            .collect();
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

    #[test]
    fn reads_uv_versions() {
        assert_eq!(
            super::parse_version("uv 0.13.9 (abc 2025-11-01)"),
            Some((0, 13, 9))
        );
        assert_eq!(super::parse_version("uv 0.5"), Some((0, 5, 0)));
        assert_eq!(super::parse_version("garbage"), None);
        assert!(super::parse_version("uv 0.4.30") < super::parse_version("uv 0.5.0"));
    }
}
