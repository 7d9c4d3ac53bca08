//! The one wrapper for running a user's own command (`foreach`).
//!
//! [`crate::git`] and [`crate::python::uv`] run the tools release-tool knows; this module runs whatever
//! argv the user gave, and is used only by [`crate::manage::foreach`]. Rules:
//!
//! - **argv only, never a shell.** `argv[0]` is the program (looked up on `PATH` when it has no
//!   `/`), the rest are its arguments, passed verbatim. Pipes, globs and `$VAR` need a shell the
//!   user asks for explicitly: `sh -c 'cmd | other'`.
//! - **stdin is closed** (`/dev/null`): commands run in parallel and cannot share a terminal.
//! - **output is captured**, either merged (stdout and stderr written into one pipe, so the
//!   lines keep the order the command wrote them in) or separately (for `--json`).
//! - A program that cannot be started is a [`ProcessError::Spawn`] with the reason (not found,
//!   not executable); a program that ran and failed is an `Ok` [`ProcessOutput`] with its exit
//!   code.

use std::ffi::OsString;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// How to capture a command's output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capture {
    /// stdout and stderr into one stream, in the order they were written ([`ProcessOutput::stdout`]).
    Merged,
    /// stdout and stderr apart.
    Separate,
}

/// A command to run: argv, working directory and extra environment variables.
#[derive(Clone, Debug)]
pub struct Process {
    pub argv: Vec<String>,
    pub dir: PathBuf,
    pub env: Vec<(String, String)>,
}

/// What a command did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProcessOutput {
    /// Exit code; `None` when the command was killed by a signal.
    pub code: Option<i32>,
    /// The signal that killed it (Unix), if any.
    pub signal: Option<i32>,
    /// stdout, or stdout and stderr together with [`Capture::Merged`].
    pub stdout: Vec<u8>,
    /// stderr (empty with [`Capture::Merged`]).
    pub stderr: Vec<u8>,
}

impl ProcessOutput {
    /// Whether the command exited with 0.
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

/// A command that could not be run at all.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// An empty argv.
    #[error("No command given")]
    Empty,
    /// The program could not be started.
    #[error("Cannot run `{program}` in {dir}: {reason}")]
    Spawn {
        program: String,
        dir: String,
        reason: String,
        #[source]
        source: std::io::Error,
    },
    /// Reading its output or waiting for it failed.
    #[error("Lost track of `{program}` in {dir}: {source}")]
    Io {
        program: String,
        dir: String,
        #[source]
        source: std::io::Error,
    },
}

impl Process {
    /// A command `argv` to run in `dir`.
    pub fn new(argv: Vec<String>, dir: impl Into<PathBuf>) -> Self {
        Self {
            argv,
            dir: dir.into(),
            env: Vec::new(),
        }
    }

    /// Add an environment variable.
    #[must_use]
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// The command as a copy-pasteable shell line (for plans and messages).
    pub fn display(&self) -> String {
        crate::core::text::shell_words(&self.argv)
    }

    /// Run the command to its end and capture its output.
    pub fn run(&self, capture: Capture) -> Result<ProcessOutput, ProcessError> {
        let Some((program, args)) = self.argv.split_first() else {
            return Err(ProcessError::Empty);
        };
        let mut cmd = Command::new(program);
        cmd.args(args.iter().map(OsString::from))
            .current_dir(&self.dir)
            .stdin(Stdio::null());
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        tracing::debug!(dir = %self.dir.display(), "{}", self.display());
        let io_error = |source| ProcessError::Io {
            program: program.clone(),
            dir: self.dir.display().to_string(),
            source,
        };
        let (status, stdout, stderr) = match capture {
            Capture::Separate => {
                let out = cmd
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .output()
                    .map_err(|e| self.spawn_error(program, e))?;
                (out.status, out.stdout, out.stderr)
            }
            Capture::Merged => {
                // One pipe for both streams: the command's writes land in the order it made them.
                let (mut reader, writer) = std::io::pipe().map_err(io_error)?;
                let writer2 = writer.try_clone().map_err(io_error)?;
                cmd.stdout(writer).stderr(writer2);
                let mut child = cmd.spawn().map_err(|e| self.spawn_error(program, e))?;
                // The `Command` keeps our copies of the write end: drop them, or the read below
                // never sees the end of the stream.
                drop(cmd);
                let mut merged = Vec::new();
                reader.read_to_end(&mut merged).map_err(io_error)?;
                let status = child.wait().map_err(io_error)?;
                (status, merged, Vec::new())
            }
        };
        Ok(ProcessOutput {
            code: status.code(),
            signal: signal_of(status),
            stdout,
            stderr,
        })
    }

    fn spawn_error(&self, program: &str, source: std::io::Error) -> ProcessError {
        let reason = match source.kind() {
            std::io::ErrorKind::NotFound if !self.dir.is_dir() => {
                format!("directory {} does not exist", self.dir.display())
            }
            std::io::ErrorKind::NotFound => {
                if Path::new(program).components().count() > 1 {
                    "no such file".to_owned()
                } else {
                    "command not found on PATH".to_owned()
                }
            }
            std::io::ErrorKind::PermissionDenied => {
                "permission denied (not executable?)".to_owned()
            }
            _ => source.to_string(),
        };
        ProcessError::Spawn {
            program: program.to_owned(),
            dir: self.dir.display().to_string(),
            reason,
            source,
        }
    }
}

#[cfg(unix)]
fn signal_of(status: std::process::ExitStatus) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt as _;
    status.signal()
}

#[cfg(not(unix))]
fn signal_of(_status: std::process::ExitStatus) -> Option<i32> {
    None
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn sh(script: &str) -> Process {
        Process::new(
            vec!["sh".into(), "-c".into(), script.into()],
            std::env::temp_dir(),
        )
    }

    #[test]
    fn merged_output_keeps_the_order_of_writes() {
        let out = sh("echo one; echo two >&2; echo three")
            .run(Capture::Merged)
            .unwrap();
        assert!(out.success());
        assert_eq!(String::from_utf8_lossy(&out.stdout), "one\ntwo\nthree\n");
        assert!(out.stderr.is_empty());
    }

    #[test]
    fn separate_output_and_exit_code() {
        let out = sh("echo out; echo err >&2; exit 3")
            .run(Capture::Separate)
            .unwrap();
        assert_eq!(out.code, Some(3));
        assert!(!out.success());
        assert_eq!(out.stdout, b"out\n");
        assert_eq!(out.stderr, b"err\n");
    }

    #[test]
    fn environment_and_directory() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path().canonicalize().unwrap();
        let mut p = sh("pwd; echo \"$RT_X\"").env("RT_X", "hello");
        p.dir.clone_from(&dir);
        let out = p.run(Capture::Merged).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("{}\nhello\n", dir.display())
        );
    }

    #[test]
    fn a_missing_program_is_a_spawn_error() {
        let p = Process::new(
            vec!["release-tool-no-such-program".into()],
            std::env::temp_dir(),
        );
        let err = p.run(Capture::Merged).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("Cannot run `release-tool-no-such-program` in "),
            "{err}"
        );
        assert!(
            err.to_string().ends_with("command not found on PATH"),
            "{err}"
        );
        assert!(matches!(
            Process::new(Vec::new(), ".").run(Capture::Merged),
            Err(ProcessError::Empty)
        ));
    }

    #[test]
    fn a_signal_is_reported() {
        let out = sh("kill -9 $$").run(Capture::Merged).unwrap();
        assert_eq!(out.code, None);
        assert_eq!(out.signal, Some(9));
    }
}
