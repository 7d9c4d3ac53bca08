//! The one process runner: every program release-tool starts (git, uv, container engines, the
//! user's own commands in `foreach`) is started here, and only here.
//!
//! The wrappers ([`crate::git`], [`crate::python::uv`], [`crate::engine`],
//! [`crate::manage::foreach`]) say *what* to run and what its output means; this module owns
//! *how*, once for all of them:
//!
//! - **argv only, never a shell.** The program is a path or a name looked up on `PATH`; the
//!   arguments are passed verbatim. Pipes, globs and `$VAR` need a shell the user asks for
//!   explicitly: `sh -c 'cmd | other'`.
//! - **stdin is closed** (`/dev/null`): commands run in parallel and cannot share a terminal;
//!   a command that reads a stream gets a file prepared beforehand ([`Process::stdin_file`]).
//! - **the environment is inherited as it is**, plus the few variables a [`Process`] adds; a
//!   process without extra variables starts without a copy of the environment (git runs
//!   thousands of times in a large workspace).
//! - **one way to show a command**: [`Process`]'s `Display`, `name args...` (the program's
//!   short name, the directory it runs in apart), in the debug trace (`-vv`) and in errors. It
//!   is built only when a trace or an error needs it.
//! - **one text for how it ended**: [`Exit`], `exit 3` or `killed by signal 9`.
//! - **one error type**: [`ProcessError`]: could not start (with the reason: not found, not
//!   executable, no such directory), lost track of it, or failed (the command, the directory,
//!   the [`Exit`] and what it said).
//! - **secrets masked** ([`crate::core::secrets`]) in the output it echoes and in its errors.
//!
//! Ways to run: [`Process::run`] to the end with the output captured (merged, so the lines
//! keep the order they were written in, or stdout and stderr apart);
//! [`Process::run_to_stderr`] with the output going to our stderr (for a tool that draws its
//! own progress); [`Process::run_lines`] with the merged output read line by line, echoed
//! (masked) to our stderr and handed to the caller. A program that ran and failed is an `Ok`
//! [`ProcessOutput`] (or [`Exit`]): the caller decides what a failure means
//! ([`Process::failed`] makes the error).
//!
//! **Time limits.** [`Process::time_limit`] bounds [`Process::run`]: the program is started in
//! a process group of its own, and when the limit passes before it ends (its output closed and
//! its exit seen) the whole group is killed (`SIGKILL`: git's helpers, `git-remote-http` or
//! `ssh`, go too) and the run ends in [`ProcessError::TimedOut`] with what it said so far.
//!
//! **Children die with us.** A program in a process group of its own (a time-limited run: git's
//! network calls, `git push` among them) gets no signal from the terminal and none when we are
//! killed: a `git push` and its helpers would go on after a `SIGKILL`, a Ctrl-C or a `SIGTERM`
//! of release-tool. So each such group is registered with a *watchdog*, started once per run
//! on the first of them: release-tool itself (`release-tool __release-tool-watchdog`, in a
//! process group of its own, so Ctrl-C does not reach it), which reads `+pgid`/`-pgid` lines
//! from a pipe whose write end only we hold. When we end, however we end (even by `SIGKILL`),
//! the pipe closes, and the watchdog sends `SIGTERM` to every group still registered (git
//! removes its lock files), then `SIGKILL` to what is left after 2 s. Without `unsafe` (the
//! crate forbids it) there is no `PR_SET_PDEATHSIG` in a `pre_exec` hook; the watchdog needs
//! none, and also reaches the group's grandchildren (`ssh`, `git-remote-http`, the remote's
//! `git-receive-pack` and its hooks for a `file://` remote), which the death signal would not.

use std::borrow::Cow;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How to capture a command's output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capture {
    /// stdout and stderr into one stream, in the order they were written ([`ProcessOutput::stdout`]).
    Merged,
    /// stdout and stderr apart.
    Separate,
}

/// How a command ended: its exit code, or the signal that killed it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Exit {
    /// Exit code; `None` when the command was killed by a signal.
    pub code: Option<i32>,
    /// The signal that killed it (Unix), if any.
    pub signal: Option<i32>,
}

impl Exit {
    fn of(status: std::process::ExitStatus) -> Self {
        Self {
            code: status.code(),
            signal: signal_of(status),
        }
    }

    /// Whether the command exited with 0.
    pub fn success(self) -> bool {
        self.code == Some(0)
    }
}

/// `exit 3`, `killed by signal 9` (or `killed` when the signal is unknown).
impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.code, self.signal) {
            (Some(code), _) => write!(f, "exit {code}"),
            (None, Some(signal)) => write!(f, "killed by signal {signal}"),
            (None, None) => f.write_str("killed"),
        }
    }
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
        self.exit().success()
    }

    /// How it ended.
    pub fn exit(&self) -> Exit {
        Exit {
            code: self.code,
            signal: self.signal,
        }
    }
}

/// A command that could not be run, or that failed.
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
    /// It ran and failed ([`Process::failed`]): `output` is what it said about it (may be
    /// empty), shown after a `:` on the same line when it is one line, below when it is more.
    #[error("`{argv}` failed in {dir} ({exit}){}", shown(output))]
    Failed {
        argv: String,
        dir: String,
        exit: Exit,
        output: String,
    },
    /// It did not end within its time limit ([`Process::time_limit`]) and was killed with its
    /// process group; `output` is what it said until then.
    #[error("`{argv}` gave no answer within {} in {dir} and was stopped{}", seconds(*limit), shown(output))]
    TimedOut {
        argv: String,
        dir: String,
        limit: Duration,
        output: String,
    },
}

/// `2 s`, `0.5 s`.
pub fn seconds(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// `: line`, `:\nlines`, or nothing.
fn shown(output: &str) -> String {
    match output {
        "" => String::new(),
        one if !one.contains('\n') => format!(": {one}"),
        more => format!(":\n{more}"),
    }
}

impl ProcessError {
    /// The exit code of a command that ran and failed.
    pub fn exit_code(&self) -> Option<i32> {
        match self {
            Self::Failed { exit, .. } => exit.code,
            _ => None,
        }
    }

    /// What a command that ran and failed said ([`ProcessError::Failed`]'s `output`).
    pub fn output(&self) -> Option<&str> {
        match self {
            Self::Failed { output, .. } => Some(output),
            _ => None,
        }
    }

    /// The time limit a command was stopped at ([`ProcessError::TimedOut`]).
    pub fn time_limit(&self) -> Option<Duration> {
        match self {
            Self::TimedOut { limit, .. } => Some(*limit),
            _ => None,
        }
    }
}

/// Where a process runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Workdir {
    /// In its directory (`current_dir`).
    Chdir,
    /// In ours, with the directory passed as `<flag> <dir>` before the arguments (git's `-C`).
    Flag(&'static str),
    /// In ours (the directory is only shown).
    Inherit,
}

/// A command to run: the program, its arguments, the directory and extra environment
/// variables. Borrows what it can from its wrapper (the program path, the directory), so that
/// building one costs the arguments only.
#[derive(Clone, Debug)]
pub struct Process<'a> {
    program: Cow<'a, OsStr>,
    /// The program's name in messages (`uv` for `/home/me/.local/bin/uv`).
    name: Cow<'a, str>,
    args: Vec<OsString>,
    dir: Cow<'a, Path>,
    workdir: Workdir,
    env: Vec<(OsString, OsString)>,
    /// [`Process::time_limit`].
    limit: Option<Duration>,
    /// [`Process::stdin_file`].
    stdin: Option<PathBuf>,
}

impl<'a> Process<'a> {
    /// `program` (a path, or a name looked up on `PATH`) to run in `dir`; messages call it by
    /// `program` as given ([`Process::named`] to change that).
    pub fn new(program: impl Into<Cow<'a, OsStr>>, dir: impl Into<Cow<'a, Path>>) -> Self {
        let program = program.into();
        let name = match &program {
            Cow::Borrowed(p) => p.to_string_lossy(),
            Cow::Owned(p) => Cow::Owned(p.to_string_lossy().into_owned()),
        };
        Self {
            program,
            name,
            args: Vec::new(),
            dir: dir.into(),
            workdir: Workdir::Chdir,
            env: Vec::new(),
            limit: None,
            stdin: None,
        }
    }

    /// A user's argv (`argv[0]` the program) to run in `dir`. An empty argv fails to run
    /// ([`ProcessError::Empty`]).
    pub fn from_argv(argv: &[String], dir: impl Into<Cow<'a, Path>>) -> Self {
        let (program, args) = argv.split_first().map_or(("", &[][..]), |(p, a)| (p, a));
        Self::new(OsString::from(program), dir).args(args)
    }

    /// The name messages give the program (`uv`, `docker`), whatever its path.
    #[must_use]
    pub fn named(mut self, name: impl Into<Cow<'a, str>>) -> Self {
        self.name = name.into();
        self
    }

    /// Add an argument.
    #[must_use]
    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Add arguments.
    #[must_use]
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Add an environment variable.
    #[must_use]
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Pass the directory to the program as `<flag> <dir>` before its arguments (git's `-C`)
    /// instead of starting it there; messages still name the directory, not the flag.
    #[must_use]
    pub fn dir_flag(mut self, flag: &'static str) -> Self {
        self.workdir = Workdir::Flag(flag);
        self
    }

    /// Bound [`Process::run`] to `limit` (`None`: no limit): past it the program and its
    /// process group are killed and the run is a [`ProcessError::TimedOut`]. The other ways to
    /// run take no limit.
    #[must_use]
    pub fn time_limit(mut self, limit: Option<Duration>) -> Self {
        self.limit = limit;
        self
    }

    /// The arguments (without the program and the directory flag).
    /// Read stdin from `file` instead of `/dev/null`: a stream prepared on disk beforehand
    /// (`git fast-import`), never a terminal.
    #[must_use]
    pub fn stdin_file(mut self, file: impl Into<PathBuf>) -> Self {
        self.stdin = Some(file.into());
        self
    }

    pub fn arguments(&self) -> &[OsString] {
        &self.args
    }

    /// Start the program in our own working directory (the directory is only shown).
    #[must_use]
    pub fn in_our_dir(mut self) -> Self {
        self.workdir = Workdir::Inherit;
        self
    }

    /// The directory the command runs in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The command as messages show it: `name args...` (see the `Display` impl).
    pub fn display(&self) -> String {
        self.to_string()
    }

    /// The `Command` to start, traced (`-vv`).
    fn command(&self) -> Result<Command, ProcessError> {
        if self.program.is_empty() {
            return Err(ProcessError::Empty);
        }
        let mut cmd = Command::new(&*self.program);
        match self.workdir {
            Workdir::Chdir => {
                cmd.current_dir(&*self.dir);
            }
            Workdir::Flag(flag) => {
                cmd.arg(flag).arg(&*self.dir);
            }
            Workdir::Inherit => {}
        }
        let stdin = match &self.stdin {
            Some(file) => Stdio::from(std::fs::File::open(file).map_err(|e| self.io_error(e))?),
            None => Stdio::null(),
        };
        cmd.args(&self.args).stdin(stdin);
        if !self.env.is_empty() {
            cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        }
        tracing::debug!(dir = %self.dir.display(), "{self}");
        Ok(cmd)
    }

    /// Run the command to its end and capture its output. A command that ran is `Ok`, whatever
    /// its exit.
    pub fn run(&self, capture: Capture) -> Result<ProcessOutput, ProcessError> {
        if let Some(limit) = self.limit {
            return self.run_limited(capture, limit);
        }
        let mut cmd = self.command()?;
        let (status, stdout, stderr) = match capture {
            Capture::Separate => {
                let out = cmd
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .output()
                    .map_err(|e| self.spawn_error(e))?;
                (out.status, out.stdout, out.stderr)
            }
            Capture::Merged => {
                let (mut child, mut reader) = self.spawn_merged(cmd)?;
                let mut merged = Vec::new();
                reader
                    .read_to_end(&mut merged)
                    .map_err(|e| self.io_error(e))?;
                let status = child.wait().map_err(|e| self.io_error(e))?;
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

    /// Run the command with its stdout and stderr on our stderr (stdout stays for data), for a
    /// tool that draws its own progress on the terminal: our progress bar steps aside
    /// meanwhile ([`crate::core::ui::suspended`]).
    pub fn run_to_stderr(&self) -> Result<Exit, ProcessError> {
        let mut cmd = self.command()?;
        let status = crate::core::ui::suspended(|| {
            cmd.stdout(std::io::stderr())
                .stderr(Stdio::inherit())
                .status()
        })
        .map_err(|e| self.spawn_error(e))?;
        Ok(Exit::of(status))
    }

    /// Run the command with stdout and stderr merged and read line by line: each line (without
    /// its line end) goes to `on_line`, and with `echo` to our stderr, secrets masked.
    pub fn run_lines(
        &self,
        echo: bool,
        mut on_line: impl FnMut(&str),
    ) -> Result<Exit, ProcessError> {
        let cmd = self.command()?;
        let (mut child, reader) = self.spawn_merged(cmd)?;
        let mut reader = BufReader::new(reader);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let line = String::from_utf8_lossy(&buf);
            let line = line.trim_end_matches(['\n', '\r']);
            if echo {
                let mut err = std::io::stderr().lock();
                let _ = writeln!(err, "{}", crate::core::secrets::redact(line));
            }
            on_line(line);
        }
        let status = child.wait().map_err(|e| self.io_error(e))?;
        Ok(Exit::of(status))
    }

    /// The error for this command having ended with `exit`; `output` is what it said about it
    /// (its stderr, say), shown after the command. Secrets are masked.
    pub fn failed(&self, exit: Exit, output: &str) -> ProcessError {
        use crate::core::secrets::redact;
        ProcessError::Failed {
            argv: redact(&self.to_string()).into_owned(),
            dir: self.dir.display().to_string(),
            exit,
            output: redact(output).into_owned(),
        }
    }

    /// Start `cmd` with stdout and stderr into one pipe, so that the command's writes land in
    /// the order it made them; returns the child and the read end.
    fn spawn_merged(
        &self,
        mut cmd: Command,
    ) -> Result<(std::process::Child, std::io::PipeReader), ProcessError> {
        let (reader, writer) = std::io::pipe().map_err(|e| self.io_error(e))?;
        let writer2 = writer.try_clone().map_err(|e| self.io_error(e))?;
        cmd.stdout(writer).stderr(writer2);
        let child = cmd.spawn().map_err(|e| self.spawn_error(e))?;
        // The `Command` keeps our copies of the write end: drop them, or the read never sees
        // the end of the stream.
        drop(cmd);
        Ok((child, reader))
    }

    /// [`Process::run`] within `limit`: the output is read by one thread per pipe, which hand
    /// it over when the pipe closes; the program runs in its own process group, killed whole
    /// when the limit passes first.
    fn run_limited(
        &self,
        capture: Capture,
        limit: Duration,
    ) -> Result<ProcessOutput, ProcessError> {
        let deadline = Instant::now() + limit;
        let mut cmd = self.command()?;
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt as _;
            cmd.process_group(0);
        }
        let (tx, rx) = mpsc::channel::<(usize, Vec<u8>)>();
        let read_into = |index: usize, mut pipe: Box<dyn std::io::Read + Send>| {
            let tx = tx.clone();
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let _ = pipe.read_to_end(&mut buf);
                let _ = tx.send((index, buf));
            });
        };
        let (mut child, pipes) = match capture {
            Capture::Separate => {
                let mut child = cmd
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .map_err(|e| self.spawn_error(e))?;
                let out = child.stdout.take().expect("piped stdout");
                let err = child.stderr.take().expect("piped stderr");
                read_into(0, Box::new(out));
                read_into(1, Box::new(err));
                (child, 2)
            }
            Capture::Merged => {
                let (child, reader) = self.spawn_merged(cmd)?;
                read_into(0, Box::new(reader));
                (child, 1)
            }
        };
        drop(tx);
        let _watched = watchdog::Watched::new(child.id());
        let mut outputs = [Vec::new(), Vec::new()];
        let mut received = 0;
        while received < pipes {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok((index, buf)) => {
                    outputs[index] = buf;
                    received += 1;
                }
                Err(_) => break,
            }
        }
        // The pipes are closed (or the time is up): the program has ended or ends now.
        let mut status = None;
        let mut pause = Duration::from_millis(1);
        loop {
            match child.try_wait() {
                Ok(Some(s)) => {
                    status = Some(s);
                    break;
                }
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(
                        pause.min(deadline.saturating_duration_since(Instant::now())),
                    );
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                Ok(None) => break,
                Err(e) => return Err(self.io_error(e)),
            }
        }
        if received < pipes || status.is_none() {
            kill_group(&mut child);
            let _ = child.wait();
            // What it said until then: the pipes close once the group is gone.
            while received < pipes {
                match rx.recv_timeout(Duration::from_secs(1)) {
                    Ok((index, buf)) => {
                        outputs[index] = buf;
                        received += 1;
                    }
                    Err(_) => break,
                }
            }
            let [out, err] = outputs;
            let (out, err) = (String::from_utf8_lossy(&out), String::from_utf8_lossy(&err));
            let said = if err.trim().is_empty() {
                out.trim()
            } else {
                err.trim()
            };
            return Err(ProcessError::TimedOut {
                argv: crate::core::secrets::redact(&self.to_string()).into_owned(),
                dir: self.dir.display().to_string(),
                limit,
                output: crate::core::secrets::redact(said).into_owned(),
            });
        }
        let status = status.expect("the program ended");
        let [stdout, stderr] = outputs;
        Ok(ProcessOutput {
            code: status.code(),
            signal: signal_of(status),
            stdout,
            stderr,
        })
    }

    fn io_error(&self, source: std::io::Error) -> ProcessError {
        ProcessError::Io {
            program: self.program.to_string_lossy().into_owned(),
            dir: self.dir.display().to_string(),
            source,
        }
    }

    fn spawn_error(&self, source: std::io::Error) -> ProcessError {
        let program = Path::new(&*self.program);
        let reason = match source.kind() {
            std::io::ErrorKind::NotFound
                if self.workdir == Workdir::Chdir && !self.dir.is_dir() =>
            {
                format!("directory {} does not exist", self.dir.display())
            }
            std::io::ErrorKind::NotFound => {
                if program.components().count() > 1 {
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
            program: program.display().to_string(),
            dir: self.dir.display().to_string(),
            reason,
            source,
        }
    }
}

/// `name arg1 arg2 ...`: the program's short name and the arguments as they are (no quoting),
/// without the directory (and without git's `-C <dir>`).
impl fmt::Display for Process<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        let shown = crate::core::text::SHOWN_ARGS;
        let long = self.args.len() > shown + 4;
        for arg in self.args.iter().take(if long { shown } else { usize::MAX }) {
            write!(f, " {}", arg.to_string_lossy())?;
        }
        if long {
            write!(f, " … (+{} more)", self.args.len() - shown)?;
        }
        Ok(())
    }
}

/// Kill a child started in its own process group, with the group (the helpers it started).
fn kill_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    if let Some(pid) = i32::try_from(child.id())
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
    let _ = child.kill();
}

/// The watchdog that kills the process groups we started when we end (see the module's
/// documentation, "Children die with us").
pub mod watchdog {
    /// The argument that makes release-tool the watchdog (`main_entry` looks at it first).
    pub const ARG: &str = "__release-tool-watchdog";

    /// A process group registered with the watchdog for as long as this lives.
    pub(super) struct Watched(u32);

    impl Watched {
        pub(super) fn new(pgid: u32) -> Self {
            send(&format!("+{pgid}\n"));
            Self(pgid)
        }
    }

    impl Drop for Watched {
        fn drop(&mut self) {
            send(&format!("-{}\n", self.0));
        }
    }

    #[cfg(unix)]
    static PIPE: std::sync::OnceLock<std::sync::Mutex<Option<std::process::ChildStdin>>> =
        std::sync::OnceLock::new();

    /// One line to the watchdog, started on first use; nothing when it cannot be started (the
    /// groups then live on as before) or in the library's own unit tests (whose executable is
    /// the test harness, not release-tool).
    fn send(line: &str) {
        #[cfg(unix)]
        {
            use std::io::Write as _;
            let pipe = PIPE.get_or_init(|| std::sync::Mutex::new(start()));
            let mut pipe = pipe
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(stdin) = pipe.as_mut()
                && stdin.write_all(line.as_bytes()).is_err()
            {
                *pipe = None;
            }
        }
        #[cfg(not(unix))]
        let _ = line;
    }

    /// Start the watchdog: this executable with [`ARG`], in a process group of its own, its
    /// stdin the pipe (close-on-exec on our side, so no other child holds it open).
    #[cfg(unix)]
    fn start() -> Option<std::process::ChildStdin> {
        use std::os::unix::process::CommandExt as _;
        use std::process::{Command, Stdio};
        if cfg!(test) || std::env::var_os("RELEASE_TOOL_NO_WATCHDOG").is_some() {
            return None;
        }
        let exe = std::env::current_exe().ok()?;
        tracing::debug!("watchdog: {} {ARG}", exe.display());
        let mut child = Command::new(exe)
            .arg(ARG)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .ok()?;
        // Never waited for: it ends after us (and is reaped by whoever adopts it).
        child.stdin.take()
    }

    /// The watchdog's life: register and forget groups as the lines say until the pipe
    /// closes, then end the groups still registered: `SIGTERM`, and `SIGKILL` after 2 s.
    pub fn run() -> std::process::ExitCode {
        #[cfg(unix)]
        {
            use rustix::process::{Pid, Signal, kill_process_group, test_kill_process_group};
            use std::io::BufRead as _;
            use std::time::{Duration, Instant};
            let mut groups: Vec<Pid> = Vec::new();
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { break };
                let (add, pgid) = match line.split_at_checked(1) {
                    Some(("+", n)) => (true, n),
                    Some(("-", n)) => (false, n),
                    _ => continue,
                };
                let Some(pid) = pgid.parse::<i32>().ok().and_then(Pid::from_raw) else {
                    continue;
                };
                if add {
                    groups.push(pid);
                } else {
                    groups.retain(|g| *g != pid);
                }
            }
            groups.retain(|g| kill_process_group(*g, Signal::TERM).is_ok());
            let deadline = Instant::now() + Duration::from_secs(2);
            while !groups.is_empty() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
                groups.retain(|g| test_kill_process_group(*g).is_ok());
            }
            for g in groups {
                let _ = kill_process_group(g, Signal::KILL);
            }
        }
        std::process::ExitCode::SUCCESS
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

    fn sh(script: &str) -> Process<'static> {
        Process::new(OsStr::new("sh"), std::env::temp_dir()).args(["-c", script])
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
        assert_eq!(out.exit().to_string(), "exit 3");
    }

    #[test]
    fn environment_and_directory() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path().canonicalize().unwrap();
        let p = Process::new(OsStr::new("sh"), &dir)
            .args(["-c", "pwd; echo \"$RT_X\""])
            .env("RT_X", "hello");
        let out = p.run(Capture::Merged).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("{}\nhello\n", dir.display())
        );
    }

    #[test]
    fn a_directory_flag_instead_of_changing_into_it() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path().canonicalize().unwrap();
        // `sh -C <dir> -c ...` would be wrong for sh; `echo` shows the argv it gets.
        let p = Process::new(OsStr::new("echo"), &dir)
            .dir_flag("-C")
            .arg("x");
        let out = p.run(Capture::Separate).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("-C {} x\n", dir.display())
        );
        assert_eq!(p.to_string(), "echo x", "the flag is not shown");
    }

    #[test]
    fn the_display_names_the_program_by_its_short_name() {
        let p = Process::new(OsStr::new("/opt/bin/uv"), Path::new("/w"))
            .named("uv")
            .args(["lock", "--check"]);
        assert_eq!(p.display(), "uv lock --check");
        assert_eq!(p.dir(), Path::new("/w"));
    }

    #[test]
    fn a_failure_names_the_command_the_directory_the_exit_and_what_it_said() {
        let p = Process::new(OsStr::new("git"), Path::new("/w")).args(["push", "origin"]);
        let exit = Exit {
            code: Some(128),
            signal: None,
        };
        let err = p.failed(exit, "fatal: no");
        assert_eq!(
            err.to_string(),
            "`git push origin` failed in /w (exit 128): fatal: no"
        );
        assert_eq!(err.exit_code(), Some(128));
        assert_eq!(err.output(), Some("fatal: no"));
        assert_eq!(
            p.failed(exit, "one\ntwo").to_string(),
            "`git push origin` failed in /w (exit 128):\none\ntwo"
        );
        let killed = Exit {
            code: None,
            signal: Some(9),
        };
        assert_eq!(
            p.failed(killed, "").to_string(),
            "`git push origin` failed in /w (killed by signal 9)"
        );
    }

    #[test]
    fn a_failure_masks_secrets() {
        crate::core::secrets::register("s3cr3t-process-token");
        let p = Process::new(OsStr::new("uv"), Path::new("/w")).args([
            "publish",
            "--token",
            "s3cr3t-process-token",
        ]);
        let err = p
            .failed(Exit::default(), "bad token s3cr3t-process-token")
            .to_string();
        assert!(!err.contains("s3cr3t-process-token"), "{err}");
    }

    #[test]
    fn lines_are_handed_over_in_order() {
        let mut lines = Vec::new();
        let exit = sh("echo one; echo two >&2; printf three; exit 2")
            .run_lines(false, |l| lines.push(l.to_owned()))
            .unwrap();
        assert_eq!(lines, ["one", "two", "three"]);
        assert_eq!(exit.code, Some(2));
    }

    #[test]
    fn a_missing_program_is_a_spawn_error() {
        let p = Process::from_argv(
            &["release-tool-no-such-program".to_owned()],
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
            Process::from_argv(&[], Path::new(".")).run(Capture::Merged),
            Err(ProcessError::Empty)
        ));
        let gone = Process::new(OsStr::new("sh"), Path::new("/no/such/dir/here"));
        assert!(
            gone.run(Capture::Merged)
                .unwrap_err()
                .to_string()
                .ends_with("directory /no/such/dir/here does not exist")
        );
    }

    #[test]
    fn a_time_limit_kills_the_process_group_and_keeps_what_it_said() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("grandchild-lived");
        // A child that says something, then waits in a grandchild that would write the marker.
        let script = format!(
            "echo said-so-far >&2; (sleep 2; touch '{}') & wait",
            marker.display()
        );
        let started = Instant::now();
        let err = sh(&script)
            .time_limit(Some(Duration::from_millis(300)))
            .run(Capture::Separate)
            .unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(err.time_limit(), Some(Duration::from_millis(300)));
        let text = err.to_string();
        assert!(text.starts_with("`sh -c "), "{text}");
        assert!(text.contains("gave no answer within 0.3 s in "), "{text}");
        assert!(text.ends_with(": said-so-far"), "{text}");
        std::thread::sleep(Duration::from_millis(2200));
        assert!(!marker.exists(), "the grandchild was killed with the group");
    }

    #[test]
    fn a_time_limit_does_not_change_a_run_that_ends_in_time() {
        for capture in [Capture::Separate, Capture::Merged] {
            let out = sh("echo out; echo err >&2; exit 4")
                .time_limit(Some(Duration::from_secs(30)))
                .run(capture)
                .unwrap();
            assert_eq!(out.code, Some(4));
            match capture {
                Capture::Separate => {
                    assert_eq!(out.stdout, b"out\n");
                    assert_eq!(out.stderr, b"err\n");
                }
                Capture::Merged => assert_eq!(out.stdout, b"out\nerr\n"),
            }
        }
    }

    #[test]
    fn a_signal_is_reported() {
        let out = sh("kill -9 $$").run(Capture::Merged).unwrap();
        assert_eq!(out.code, None);
        assert_eq!(out.signal, Some(9));
        assert_eq!(out.exit().to_string(), "killed by signal 9");
    }
}
