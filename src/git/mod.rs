//! The one wrapper around the `git` binary.
//!
//! Every git operation runs as `git -C <dir> <args...>` with argv (never a shell), so users'
//! hooks, credentials, signing and submodule settings apply. Output is read in the
//! machine-readable forms (`--porcelain=v2 -z`, `for-each-ref --format`). git is started by
//! the process runner ([`crate::core::process`]); errors carry the argv, the directory, the exit
//! and git's stderr.

pub mod fastcommit;
pub mod files;
pub mod history;
pub mod local;
pub mod statuscache;
pub mod tagcache;
pub mod worktree;

/// Hermetic git for the in-process readers' tests (`local`, `worktree`), which cross-check
/// their answers against git's own on real repositories.
#[cfg(test)]
pub(crate) mod test_support {
    use std::path::Path;

    use super::Git;

    /// No user or system configuration, a fixed identity and dates.
    pub const ENV: &[(&str, &str)] = &[
        ("GIT_CONFIG_GLOBAL", "/dev/null"),
        ("GIT_CONFIG_NOSYSTEM", "1"),
        ("GIT_AUTHOR_NAME", "Test"),
        ("GIT_AUTHOR_EMAIL", "test@example.com"),
        ("GIT_AUTHOR_DATE", "2024-01-01T00:00:00Z"),
        ("GIT_COMMITTER_NAME", "Test"),
        ("GIT_COMMITTER_EMAIL", "test@example.com"),
        ("GIT_COMMITTER_DATE", "2024-01-01T00:00:00Z"),
    ];

    /// Run git in `dir` with [`ENV`]; its stdout, trimmed.
    pub fn git(dir: &Path, args: &[&str]) -> String {
        Git::new(dir)
            .with_env(ENV)
            .run(args)
            .unwrap()
            .trim()
            .to_owned()
    }
}

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

pub use crate::core::process::ProcessError;
use crate::core::process::{Capture, Process, ProcessOutput};

pub use crate::git::files::RepoFiles;
pub use crate::git::local::LocalRepo;

/// Variables of a handle's environment that change no read (who commits, and when).
fn is_identity_var(key: &str) -> bool {
    matches!(
        key,
        "GIT_AUTHOR_NAME"
            | "GIT_AUTHOR_EMAIL"
            | "GIT_AUTHOR_DATE"
            | "GIT_COMMITTER_NAME"
            | "GIT_COMMITTER_EMAIL"
            | "GIT_COMMITTER_DATE"
    )
}

/// The short form of a commit hash (its first 7 characters), as shown in messages.
pub fn short_hash(hash: &str) -> &str {
    hash.get(..7).unwrap_or(hash)
}

/// A failed git invocation.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// A revision, ref or remote name that git would read as an option.
    #[error("Refusing to pass {what} `{value}` to git: it starts with `-`")]
    BadArgument { what: &'static str, value: String },
    /// git could not be started, or exited with a non-zero status
    /// ([`ProcessError::Failed`]: the argv, the directory, the exit and git's stderr).
    #[error(transparent)]
    Process(#[from] ProcessError),
}

impl GitError {
    /// git's exit code, when it ran and failed.
    pub fn exit_code(&self) -> Option<i32> {
        match self {
            Self::Process(e) => e.exit_code(),
            Self::BadArgument { .. } => None,
        }
    }

    /// What git said when it ran and failed (its stderr, else its stdout, trimmed).
    pub fn stderr(&self) -> Option<&str> {
        match self {
            Self::Process(e) => e.output(),
            Self::BadArgument { .. } => None,
        }
    }

    /// Whether git was stopped at the network call's time limit ([`network_time_limit`]).
    pub fn timed_out(&self) -> bool {
        matches!(self, Self::Process(e) if e.time_limit().is_some())
    }

    /// Why a remote could not be reached, in one line: the network call's time limit
    /// ([`network_time_limit`]) when git was stopped at it, else git's first line.
    pub fn unreachable_reason(&self) -> String {
        if let Self::Process(e) = self
            && let Some(limit) = e.time_limit()
        {
            return format!(
                "no answer within {} (git was stopped; set {TIME_LIMIT_ENV} or `git_timeout` to wait longer)",
                crate::core::process::seconds(limit)
            );
        }
        let why = self
            .stderr()
            .map_or_else(|| self.to_string(), str::to_owned);
        why.lines().next().unwrap_or("").to_owned()
    }
}

/// The environment variable that sets the time limit of every network git call, in seconds.
pub const TIME_LIMIT_ENV: &str = "RELEASE_TOOL_GIT_TIMEOUT";

/// The time limit of a network git call when nothing sets one.
pub const DEFAULT_TIME_LIMIT: Duration = Duration::from_mins(2);

/// [`TIME_LIMIT_ENV`], when set.
static TIME_LIMIT: OnceLock<Duration> = OnceLock::new();

/// The configuration's `git_timeout`, when set ([`configure_time_limit`]).
static CONFIGURED_TIME_LIMIT: OnceLock<Duration> = OnceLock::new();

/// The configuration's `git_timeout` (seconds), set when the workspace loads;
/// [`TIME_LIMIT_ENV`] still goes first.
pub fn configure_time_limit(seconds: Option<u64>) {
    if let Some(seconds) = seconds.filter(|s| *s > 0) {
        let _ = CONFIGURED_TIME_LIMIT.set(Duration::from_secs(seconds));
    }
}

/// A time limit in seconds (`120`, `0.5`): a positive number, at most a day.
pub fn parse_time_limit(value: &str) -> Option<Duration> {
    let secs: f64 = value.trim().parse().ok()?;
    (secs.is_finite() && secs > 0.0 && secs <= 86_400.0).then(|| Duration::from_secs_f64(secs))
}

/// Read [`TIME_LIMIT_ENV`] once, before any git runs: a value that is not a positive number of
/// seconds is a usage error naming the variable.
pub fn init_time_limit_from_env() -> Result<(), crate::core::error::UserError> {
    let Some(value) = std::env::var_os(TIME_LIMIT_ENV) else {
        return Ok(());
    };
    let text = value.to_string_lossy();
    if text.trim().is_empty() {
        return Ok(());
    }
    match parse_time_limit(&text) {
        Some(limit) => {
            let _ = TIME_LIMIT.set(limit);
            Ok(())
        }
        None => Err(crate::core::error::UserError::usage(format!(
            "{TIME_LIMIT_ENV}=`{text}` is not a time limit: give the seconds a network git call may take (a positive number, at most 86400)"
        ))
        .with_hint(format!(
            "unset it for the default ({} s), or set e.g. {TIME_LIMIT_ENV}=300",
            DEFAULT_TIME_LIMIT.as_secs()
        ))),
    }
}

/// The time limit of every network git call (fetch, push, ls-remote, clone, submodule, pull):
/// [`TIME_LIMIT_ENV`], else the configuration's `git_timeout`, else [`DEFAULT_TIME_LIMIT`].
pub fn network_time_limit() -> Duration {
    TIME_LIMIT
        .get()
        .or_else(|| CONFIGURED_TIME_LIMIT.get())
        .copied()
        .unwrap_or(DEFAULT_TIME_LIMIT)
}

/// Whether git's argv (after `-C <dir>`) runs a subcommand that talks to a remote.
fn is_network_call(args: &[OsString]) -> bool {
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let arg = arg.to_string_lossy();
        if arg == "-c" {
            args.next();
            continue;
        }
        if arg.starts_with('-') {
            continue;
        }
        return matches!(
            &*arg,
            "fetch" | "push" | "pull" | "ls-remote" | "clone" | "submodule"
        );
    }
    false
}

/// Whether the user chose how git runs ssh (`GIT_SSH_COMMAND`, `GIT_SSH`, or `core.sshCommand`
/// in the global or system configuration, or in the repository's own), asked once per process
/// for the environment and the global configuration.
fn user_set_ssh(dir: &Path) -> bool {
    static GLOBAL: OnceLock<bool> = OnceLock::new();
    let global = *GLOBAL.get_or_init(|| {
        if std::env::var_os("GIT_SSH_COMMAND").is_some() || std::env::var_os("GIT_SSH").is_some() {
            return true;
        }
        ["--global", "--system"].iter().any(|scope| {
            Process::new(OsStr::new("git"), std::env::temp_dir())
                .in_our_dir()
                .args(["config", scope, "--get", "core.sshCommand"])
                .run(Capture::Separate)
                .is_ok_and(|out| out.success())
        })
    });
    global
        || RepoFiles::open(dir)
            .and_then(|f| f.config_text())
            .is_some_and(|text| text.to_ascii_lowercase().contains("sshcommand"))
}

/// What bounds a network git call: git's own low-speed limit for HTTP (a transfer slower than
/// 1 byte/s for the limit's seconds, at most 30, ends), ssh's `ConnectTimeout` when the user
/// has not chosen an ssh command, and the overall limit, past which git and its helpers are
/// killed ([`Process::time_limit`]). The settings go through the environment
/// (`GIT_CONFIG_COUNT`, after any the user set), so messages show git's argv as given.
fn limit_network_call<'a>(
    mut process: Process<'a>,
    dir: &Path,
    count: Option<&str>,
) -> Process<'a> {
    let limit = network_time_limit();
    let low_speed_time = limit.as_secs().clamp(1, 30).to_string();
    let first: usize = count
        .map(str::to_owned)
        .or_else(|| std::env::var("GIT_CONFIG_COUNT").ok())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    for (i, (key, value)) in [
        ("http.lowSpeedLimit", "1"),
        ("http.lowSpeedTime", low_speed_time.as_str()),
    ]
    .into_iter()
    .enumerate()
    {
        process = process
            .env(format!("GIT_CONFIG_KEY_{}", first + i), key)
            .env(format!("GIT_CONFIG_VALUE_{}", first + i), value);
    }
    process = process.env("GIT_CONFIG_COUNT", (first + 2).to_string());
    if !user_set_ssh(dir) {
        let connect = limit.as_secs().clamp(1, 30);
        process = process.env(
            "GIT_SSH_COMMAND",
            format!("ssh -o ConnectTimeout={connect}"),
        );
    }
    process.time_limit(Some(limit))
}

/// `git -C <dir>`: the handle all git calls go through.
#[derive(Clone, Debug)]
pub struct Git {
    dir: PathBuf,
    env: Vec<(String, String)>,
    /// The repository opened once for in-process reads, shared by this handle's clones: set
    /// by [`Git::reading`] for phases that only read (planning).
    memo: Option<Arc<LocalMemo>>,
}

/// [`Git::local`]'s repository kept for a reading phase.
#[derive(Default)]
struct LocalMemo(Mutex<Kept>);

/// The state of a [`LocalMemo`].
#[derive(Default)]
pub enum Kept {
    #[default]
    Unopened,
    /// Not one to read in-process ([`LocalRepo::open`] said `None`).
    Unreadable,
    Open(Box<LocalRepo>),
}

impl std::fmt::Debug for LocalMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LocalMemo")
    }
}

/// The repository [`Git::local`] gives: opened for the call, or the one a reading handle
/// keeps (held for as long as this lives).
pub enum Local<'a> {
    Opened(Box<LocalRepo>),
    Kept(MutexGuard<'a, Kept>),
}

impl std::ops::Deref for Local<'_> {
    type Target = LocalRepo;

    fn deref(&self) -> &LocalRepo {
        match self {
            Local::Opened(repo) => repo,
            Local::Kept(kept) => match &**kept {
                Kept::Open(repo) => repo,
                Kept::Unopened | Kept::Unreadable => {
                    unreachable!("only an open repository is lent")
                }
            },
        }
    }
}

/// Refuse user-influenced values that git would parse as options (`--upload-pack=...`).
fn checked<'a>(what: &'static str, value: &'a str) -> Result<&'a str, GitError> {
    if value.starts_with('-') {
        Err(GitError::BadArgument {
            what,
            value: value.to_owned(),
        })
    } else {
        Ok(value)
    }
}

/// Refuse a user-influenced value (branch, remote, revision) that git would read as an option;
/// for callers that build argv for a [`crate::plan::Plan`].
pub fn check_arg<'a>(what: &'static str, value: &'a str) -> Result<&'a str, GitError> {
    checked(what, value)
}

/// The argv of `git stash push --include-untracked -m <message>`.
pub fn stash_push_args(message: &str) -> Vec<String> {
    [
        "stash",
        "push",
        "--quiet",
        "--include-untracked",
        "-m",
        message,
    ]
    .map(str::to_owned)
    .to_vec()
}

/// The argv of `git stash pop --index --quiet <stash>`.
pub fn stash_pop_args(stash: &str) -> Vec<String> {
    ["stash", "pop", "--index", "--quiet", stash]
        .map(str::to_owned)
        .to_vec()
}

/// `from..to`, or just `to`, with both checked.
fn range(from: Option<&str>, to: &str) -> Result<String, GitError> {
    checked("revision", to)?;
    Ok(match from {
        Some(from) => format!("{}..{to}", checked("revision", from)?),
        None => to.to_owned(),
    })
}

/// A `for-each-ref` line `name NUL object NUL peeled [NUL "ahead behind"]`; the commit is the
/// peeled object for annotated tags, `ahead` and `since` the two counts when present.
fn parse_tag_line(line: &str) -> Option<TagRef> {
    let mut parts = line.split('\0');
    let name = parts.next()?.to_owned();
    let object = parts.next()?.to_owned();
    let peeled = parts.next().unwrap_or("");
    let (ahead, since) = match parts.next().and_then(|ab| ab.split_once(' ')) {
        Some((a, b)) => (a.parse().ok(), b.parse().ok()),
        None => (None, None),
    };
    let commit = if peeled.is_empty() { &object } else { peeled }.to_owned();
    Some(TagRef {
        name,
        object,
        commit,
        ahead,
        since,
    })
}

/// Split the output of `git diff --stat --patch` into the stat and the patch: git prints the
/// stat, one empty line, then the patch (the stat itself never has an empty line).
pub fn split_stat_patch(out: &str) -> (&str, &str) {
    match out.find("\n\n") {
        Some(i) => (&out[..=i], &out[i + 2..]),
        None => (out, ""),
    }
}

/// `git status --porcelain=v2 --branch -z`, parsed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RepoStatus {
    /// Current branch; `None` when detached.
    pub branch: Option<String>,
    /// HEAD commit; `None` on an unborn branch.
    pub head: Option<String>,
    /// Upstream branch (`origin/main`), if set.
    pub upstream: Option<String>,
    /// Commits ahead of / behind the upstream (0 without upstream).
    pub ahead: u32,
    pub behind: u32,
    /// Changed, unmerged or untracked paths.
    pub changed: Vec<String>,
    /// The untracked paths among `changed`.
    pub untracked: Vec<String>,
    /// What `git status --porcelain --untracked-files=all` prints for the same state (one
    /// `XY path` line per changed path, `XY orig -> path` for a rename), derived from the v2
    /// records; `None` when a path would need git's quoting (then ask git).
    pub short: Option<String>,
}

impl RepoStatus {
    /// The status of the paths under `dir` (relative to the repository's top, `/`-separated):
    /// an in-tree package's part of the root's status. Branch, HEAD and upstream stay the
    /// repository's; a rename counts when either side is under `dir`.
    #[must_use]
    ///
    /// `None` when that cannot be told: without the short status (a path needing git's
    /// quoting), a rename's origin is unknown; then ask git for the directory
    /// ([`Git::status_of_path`]).
    pub fn narrowed_to(&self, dir: &str) -> Option<Self> {
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        let under = |p: &String| p.starts_with(&prefix);
        let short = self.short.as_ref()?;
        let mut changed: Vec<String> = self.changed.iter().filter(|p| under(p)).cloned().collect();
        // A file renamed out of the directory: its old path is this directory's change.
        for line in short.lines() {
            if let Some((from, to)) = line.get(3..).and_then(|paths| paths.split_once(" -> "))
                && from.starts_with(&prefix)
                && !to.starts_with(&prefix)
            {
                changed.push(from.to_owned());
            }
        }
        Some(Self {
            branch: self.branch.clone(),
            head: self.head.clone(),
            upstream: self.upstream.clone(),
            ahead: self.ahead,
            behind: self.behind,
            changed,
            untracked: self
                .untracked
                .iter()
                .filter(|p| under(p))
                .cloned()
                .collect(),
            short: Some({
                let mut kept = String::new();
                for line in short.lines() {
                    if line
                        .get(3..)
                        .is_some_and(|paths| paths.split(" -> ").any(|p| p.starts_with(&prefix)))
                    {
                        kept.push_str(line);
                        kept.push('\n');
                    }
                }
                kept
            }),
        })
    }

    /// Number of changed or untracked files.
    pub fn dirty(&self) -> usize {
        self.changed.len()
    }
}

/// A tag name with the commit it points to (peeled for annotated tags).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagRef {
    pub name: String,
    /// The object the ref points to: the tag object of an annotated tag, else the commit.
    pub object: String,
    pub commit: String,
    /// Commits reachable from the tag but not from HEAD (0: the tag is merged into HEAD), when
    /// asked for ([`Git::tags_with_distance`]).
    pub ahead: Option<u32>,
    /// Commits on HEAD not reachable from the tag, when asked for
    /// ([`Git::tags_with_distance`]).
    pub since: Option<u32>,
}

/// One commit of `log`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commit {
    pub hash: String,
    /// The author's name (empty where the log was not asked for it).
    pub author: String,
    pub subject: String,
    pub body: String,
}

impl Git {
    /// A handle for the repository (or work tree) at `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            env: Vec::new(),
            memo: None,
        }
    }

    /// The same handle for a phase that only reads: its in-process repository
    /// ([`Git::local`]) is opened once and kept, with the packs' indices it has loaded, for
    /// this handle and its clones (opening it is most of a small read's cost). Not for
    /// handles that write: what the kept repository knows of the configuration, the shallow
    /// boundary and replace refs is read when it opens.
    #[must_use]
    pub fn reading(mut self) -> Self {
        self.memo = Some(Arc::default());
        self
    }

    /// The same handle with extra environment variables for every call (e.g. a fixed identity).
    #[must_use]
    pub fn with_env(mut self, env: &[(&str, &str)]) -> Self {
        self.env
            .extend(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        self
    }

    /// The directory git runs in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `git -C <dir> <args>` through the process runner, with this handle's environment.
    fn process<I, S>(&self, args: I) -> Process<'_>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let mut process = Process::new(OsStr::new("git"), &self.dir)
            .dir_flag("-C")
            .args(args);
        for (k, v) in &self.env {
            process = process.env(k, v);
        }
        if is_network_call(process.arguments()) {
            let count = self
                .env
                .iter()
                .rev()
                .find(|(k, _)| k == "GIT_CONFIG_COUNT")
                .map(|(_, v)| v.as_str());
            process = limit_network_call(process, &self.dir, count);
        }
        process
    }

    fn output<I, S>(&self, args: I, extra_env: &[(&str, &str)]) -> Result<ProcessOutput, GitError>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.output_allowing(args, extra_env, &[])
    }

    /// Like [`Git::output`], but the exit codes in `also_ok` count as success too.
    fn output_allowing<I, S>(
        &self,
        args: I,
        extra_env: &[(&str, &str)],
        also_ok: &[i32],
    ) -> Result<ProcessOutput, GitError>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let mut process = self.process(args);
        for (k, v) in extra_env {
            process = process.env(k, v);
        }
        let out = process.run(Capture::Separate)?;
        if out.success() || out.code.is_some_and(|c| also_ok.contains(&c)) {
            return Ok(out);
        }
        // git's diagnostics are on stderr; a few commands say why on stdout only.
        let stderr = String::from_utf8_lossy(&out.stderr);
        let said = match stderr.trim() {
            "" => String::from_utf8_lossy(&out.stdout).trim().to_owned(),
            text => text.to_owned(),
        };
        Err(process.failed(out.exit(), &said).into())
    }

    /// Run git; `Ok(None)` on exit status 1 (an unset config key, a detached HEAD, no such
    /// revision), without building an error.
    fn run_or_none<I, S>(&self, args: I) -> Result<Option<String>, GitError>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let out = self.output_allowing(args, &[], &[1])?;
        Ok(out
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned()))
    }

    /// Run git and return its stdout (lossy UTF-8).
    pub fn run<I, S>(&self, args: I) -> Result<String, GitError>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let out = self.output(args, &[])?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Run git with its stdin read from `input` (a stream written beforehand: `fast-import`).
    pub fn run_with_input<I, S>(&self, args: I, input: &Path) -> Result<String, GitError>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let process = self.process(args).stdin_file(input);
        let out = process.run(Capture::Separate)?;
        if out.success() {
            return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        Err(process.failed(out.exit(), stderr.trim()).into())
    }

    /// Run git for a network operation: never prompts on a terminal (work runs in parallel).
    pub fn run_batch<I, S>(&self, args: I) -> Result<String, GitError>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let out = self.output(args, &[("GIT_TERMINAL_PROMPT", "0")])?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Run git; `Ok(false)` on exit status 1 (for yes/no queries like `merge-base --is-ancestor`).
    pub fn test<I, S>(&self, args: I) -> Result<bool, GitError>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        Ok(self.output_allowing(args, &[], &[1])?.success())
    }

    /// Whether `dir` is the top of a git work tree (or a submodule's).
    pub fn is_repo_root(&self) -> bool {
        self.dir.join(".git").exists()
    }

    /// `git init -b <branch>`.
    pub fn init(&self, branch: &str) -> Result<(), GitError> {
        self.run(["init", "--quiet", "-b", checked("branch", branch)?])
            .map(drop)
    }

    /// `git init --bare -b <branch>` at this handle's directory.
    pub fn init_bare(&self, branch: &str) -> Result<(), GitError> {
        self.run([
            "init",
            "--quiet",
            "--bare",
            "-b",
            checked("branch", branch)?,
        ])
        .map(drop)
    }

    /// A config value of this repository (`None` when unset).
    pub fn config_get(&self, key: &str) -> Result<Option<String>, GitError> {
        Ok(self
            .run_or_none(["config", "--get", "--", key])?
            .map(|v| v.trim().to_owned()))
    }

    /// Set a config value in this repository's local config.
    pub fn config_set(&self, key: &str, value: &str) -> Result<(), GitError> {
        self.run(["config", "--local", "--", key, value]).map(drop)
    }

    /// `git remote add <name> <url>`.
    pub fn remote_add(&self, name: &str, url: &str) -> Result<(), GitError> {
        self.run(["remote", "add", "--", name, url]).map(drop)
    }

    /// `git submodule add -b <branch> <url> <path>`; an existing repository at `path` is used
    /// as is, then its git directory is absorbed into the root's `.git/modules`.
    /// `allow_file` permits `file://` and local-path URLs (git refuses them by default).
    pub fn submodule_add(
        &self,
        url: &str,
        path: &str,
        branch: &str,
        allow_file: bool,
    ) -> Result<(), GitError> {
        let mut args = Vec::new();
        if allow_file {
            args.extend(["-c", "protocol.file.allow=always"]);
        }
        let branch = checked("branch", branch)?;
        args.extend(["submodule", "add", "--quiet", "-b", branch, "--", url, path]);
        self.run(args)?;
        self.run(["submodule", "absorbgitdirs", "--", path])
            .map(drop)
    }

    /// The branches of the repository at `url` and the branch its `HEAD` points to
    /// (`git ls-remote --symref -- URL HEAD refs/heads/*`), never prompting for credentials.
    /// `allow_file` permits `file://` and local-path URLs.
    pub fn remote_branches(&self, url: &str, allow_file: bool) -> Result<RemoteBranches, GitError> {
        let mut args = Vec::new();
        if allow_file {
            args.extend(["-c", "protocol.file.allow=always"]);
        }
        args.extend([
            "ls-remote",
            "--symref",
            "--",
            checked("URL", url)?,
            "HEAD",
            "refs/heads/*",
        ]);
        Ok(parse_remote_branches(&self.run_batch(args)?))
    }

    /// `git clone --quiet --depth 1 --branch <branch> -- <url> <dest>` (run in this handle's
    /// directory), never prompting for credentials. `allow_file` permits `file://` and
    /// local-path URLs.
    pub fn clone_shallow(
        &self,
        url: &str,
        dest: &Path,
        branch: &str,
        allow_file: bool,
    ) -> Result<(), GitError> {
        let mut args: Vec<OsString> = Vec::new();
        if allow_file {
            args.extend(["-c".into(), "protocol.file.allow=always".into()]);
        }
        args.extend(
            [
                "clone",
                "--quiet",
                "--depth",
                "1",
                "--no-tags",
                "--branch",
                checked("branch", branch)?,
                "--",
                checked("URL", url)?,
            ]
            .map(OsString::from),
        );
        args.push(dest.as_os_str().to_owned());
        self.run_batch(args).map(drop)
    }

    /// Number of commits on local branches, tags or `HEAD` that no remote-tracking branch
    /// contains: the work a deleted clone would lose.
    pub fn unpushed_commits(&self) -> Result<u32, GitError> {
        let mut args = vec!["rev-list", "--count", "--branches", "--tags"];
        if self
            .run(["rev-parse", "--verify", "--quiet", "HEAD"])
            .is_ok()
        {
            args.push("HEAD");
        }
        args.extend(["--not", "--remotes", "--"]);
        Ok(self.run(args)?.trim().parse().unwrap_or(0))
    }

    /// Whether the repository has a stash.
    pub fn has_stash(&self) -> Result<bool, GitError> {
        self.test(["rev-parse", "--verify", "--quiet", "refs/stash"])
    }

    /// `git rev-parse --git-path <path>`: where git keeps `path` (e.g. `modules/<name>`),
    /// made absolute.
    pub fn git_path(&self, path: &str) -> Result<PathBuf, GitError> {
        let out = self.run(["rev-parse", "--git-path", path])?;
        let out = PathBuf::from(out.trim_end_matches(['\n', '\r']));
        Ok(if out.is_absolute() {
            out
        } else {
            self.dir.join(out)
        })
    }

    /// Whether any file under `path` is tracked (`git ls-files -- <path>`).
    pub fn is_tracked(&self, path: &str) -> Result<bool, GitError> {
        Ok(!self
            .run(["ls-files", "-z", "--", checked("path", path)?])?
            .is_empty())
    }

    /// Whether `path` is ignored by a `.gitignore` (`git check-ignore -q -- <path>`).
    pub fn is_ignored(&self, path: &str) -> Result<bool, GitError> {
        self.test(["check-ignore", "--quiet", "--", checked("path", path)?])
    }

    /// Whether the work tree copy of `path` differs from the index (`git diff --quiet`).
    pub fn has_unstaged_changes(&self, path: &str) -> Result<bool, GitError> {
        Ok(!self.test(["diff", "--quiet", "--", checked("path", path)?])?)
    }

    /// `git add -- <paths>`.
    pub fn add(&self, paths: &[&str]) -> Result<(), GitError> {
        let mut args = vec!["add", "--"];
        args.extend_from_slice(paths);
        self.run(args).map(drop)
    }

    /// Status of the work tree with branch and upstream information.
    pub fn status(&self) -> Result<RepoStatus, GitError> {
        self.status_with(false)
    }

    /// [`Git::status`] of a repository's own files, submodules left out
    /// (`--ignore-submodules=all`: git does not look inside them, a moved pointer included):
    /// the root's status for its in-tree packages, which no submodule's state concerns.
    pub fn status_without_submodules(&self) -> Result<RepoStatus, GitError> {
        self.status_with(true)
    }

    /// [`Git::status_without_submodules`] of the paths under `path` only (git pairs renames
    /// within them: a file moved out of `path` is its deletion).
    pub fn status_of_path(&self, path: &str) -> Result<RepoStatus, GitError> {
        let literal = format!(":(literal){}", checked("path", path)?);
        self.git_status(true, Some(&literal))
    }

    fn status_with(&self, without_submodules: bool) -> Result<RepoStatus, GitError> {
        // A clean work tree is read in-process when that is certain (`git::worktree`).
        if self.env.is_empty() || self.env.iter().all(|(k, _)| is_identity_var(k)) {
            // A reading handle lends the repository it keeps; else it is opened when needed.
            let kept = self.memo.as_ref().and_then(|_| self.local());
            if let Some(status) = worktree::clean_status_in(&self.dir, kept.as_deref()) {
                return Ok(status);
            }
        }
        self.git_status(without_submodules, None)
    }

    /// `git status` as [`Git::status`] reads it, from git; `pathspec`: only those paths.
    fn git_status(
        &self,
        without_submodules: bool,
        pathspec: Option<&str>,
    ) -> Result<RepoStatus, GitError> {
        // Read-only: never refresh the index (no lock contention with the user's own git).
        // `--no-optional-locks` rather than `GIT_OPTIONAL_LOCKS=0`: a child with the parent's
        // environment as it is starts cheaper (no environment to copy per process).
        let mut args = vec![
            "--no-optional-locks",
            "status",
            "--porcelain=v2",
            "--branch",
            "-z",
            "--untracked-files=all",
        ];
        if without_submodules {
            args.push("--ignore-submodules=all");
        }
        if let Some(pathspec) = pathspec {
            args.extend(["--", pathspec]);
        }
        Ok(parse_status(&self.run(args)?))
    }

    /// Tags whose name starts with `prefix`, with the commit each points to.
    pub fn tags(&self, prefix: &str) -> Result<Vec<TagRef>, GitError> {
        if let Some(tags) = self.local().and_then(|l| l.tags(prefix)) {
            return Ok(tags);
        }
        let out = self.run([
            "for-each-ref",
            "--format=%(refname:strip=2)%00%(objectname)%00%(*objectname)",
            &format!("refs/tags/{prefix}*"),
        ])?;
        Ok(out.lines().filter_map(parse_tag_line).collect())
    }

    /// Tags whose name starts with `prefix`, each with the commits it has that `head` lacks
    /// (`ahead`) and the commits `head` has that it lacks (`since`), in ONE git call
    /// (`for-each-ref` with `%(ahead-behind:<head>)`, git 2.41+; older git falls back to one
    /// `rev-list --left-right --count` per tag). `head` is a commit (an object id, so that the
    /// counts belong to exactly that commit even if HEAD moves meanwhile).
    pub fn tags_with_distance(&self, prefix: &str, head: &str) -> Result<Vec<TagRef>, GitError> {
        checked("revision", head)?;
        if let Some(tags) = self
            .local()
            .and_then(|l| l.tags_with_distance(prefix, head))
        {
            return Ok(tags);
        }
        let pattern = format!("refs/tags/{prefix}*");
        let format = format!(
            "--format=%(refname:strip=2)%00%(objectname)%00%(*objectname)%00%(ahead-behind:{})",
            checked("revision", head)?
        );
        match self.run(["for-each-ref", &format, &pattern]) {
            Ok(out) => Ok(out.lines().filter_map(parse_tag_line).collect()),
            Err(e) if e.stderr().is_some_and(|s| s.contains("ahead-behind")) => {
                let mut tags = self.tags(prefix)?;
                for tag in &mut tags {
                    let (ahead, behind) = self.ahead_behind(&tag.commit, head)?;
                    tag.ahead = Some(ahead);
                    tag.since = Some(behind);
                }
                Ok(tags)
            }
            Err(e) => Err(e),
        }
    }

    /// The repository's own files, read without a process (see [`crate::git::files`]).
    pub fn files(&self) -> Option<RepoFiles> {
        RepoFiles::open(&self.dir)
    }

    /// The repository opened for in-process reads (see [`crate::git::local`]); `None` when
    /// this handle's environment or the repository is one only git reads for certain.
    pub fn local(&self) -> Option<Local<'_>> {
        if !self.env.is_empty() && self.env.iter().any(|(k, _)| !is_identity_var(k)) {
            return None;
        }
        // A kept repository in use further up the same thread's stack: open another.
        let Some(mut kept) = self.memo.as_ref().and_then(|m| m.0.try_lock().ok()) else {
            return LocalRepo::open(&self.dir).map(|repo| Local::Opened(Box::new(repo)));
        };
        if matches!(*kept, Kept::Unopened) {
            *kept = LocalRepo::open(&self.dir)
                .map_or(Kept::Unreadable, |repo| Kept::Open(Box::new(repo)));
        }
        matches!(*kept, Kept::Open(_)).then_some(Local::Kept(kept))
    }

    /// Whether a remote is configured. Reads the repository's own config file when it can
    /// (a hot path of `status`: no process per package), else asks git.
    pub fn has_remote(&self, remote: &str) -> Result<bool, GitError> {
        if let Some(config) = self.files().and_then(|f| f.config_text()) {
            let header = format!("[remote \"{remote}\"]");
            return Ok(config.lines().any(|l| l.trim() == header));
        }
        self.test(["config", "--get", &format!("remote.{remote}.url")])
    }

    /// Tags on a remote (`git ls-remote --tags`), peeled to commits.
    pub fn remote_tags(&self, remote: &str, prefix: &str) -> Result<Vec<TagRef>, GitError> {
        let out = self.run_batch([
            "ls-remote",
            "--tags",
            "--",
            remote,
            &format!("refs/tags/{prefix}*"),
        ])?;
        let mut tags: Vec<TagRef> = Vec::new();
        for line in out.lines() {
            let Some((commit, refname)) = line.split_once('\t') else {
                continue;
            };
            let Some(name) = refname.strip_prefix("refs/tags/") else {
                continue;
            };
            if let Some(base) = name.strip_suffix("^{}") {
                // Peeled entry of an annotated tag: the commit it points to.
                if let Some(t) = tags.iter_mut().find(|t| t.name == base) {
                    commit.clone_into(&mut t.commit);
                }
            } else {
                tags.push(TagRef {
                    name: name.to_owned(),
                    object: commit.to_owned(),
                    commit: commit.to_owned(),
                    ahead: None,
                    since: None,
                });
            }
        }
        Ok(tags)
    }

    /// Number of commits reachable from `to` but not from `from` (`rev-list --count from..to`);
    /// with no `from`, all commits reachable from `to`.
    pub fn count_commits(&self, from: Option<&str>, to: &str) -> Result<u32, GitError> {
        let range = range(from, to)?;
        if let Some(n) = self.local().and_then(|l| l.count_commits(from, to)) {
            return Ok(n);
        }
        let out = self.run(["rev-list", "--count", &range, "--"])?;
        Ok(out.trim().parse().unwrap_or(0))
    }

    /// Commits in `from..to` (or all of `to`), newest first.
    pub fn log(&self, from: Option<&str>, to: &str) -> Result<Vec<Commit>, GitError> {
        let out = self.run([
            "log",
            "-z",
            "--format=%H%x1f%s%x1f%b",
            &range(from, to)?,
            "--",
        ])?;
        Ok(out
            .split('\0')
            .filter(|r| !r.trim().is_empty())
            .filter_map(|record| {
                let mut parts = record.trim_start_matches('\n').splitn(3, '\x1f');
                Some(Commit {
                    hash: parts.next()?.to_owned(),
                    author: String::new(),
                    subject: parts.next()?.to_owned(),
                    body: parts.next().unwrap_or("").trim_end().to_owned(),
                })
            })
            .collect())
    }

    /// `git diff` between two revisions (or against the work tree with `to = None`).
    pub fn diff(&self, from: &str, to: Option<&str>, stat: bool) -> Result<String, GitError> {
        let mut args = vec!["diff", "--no-color", "--no-ext-diff"];
        if stat {
            args.push("--stat");
        }
        args.push(checked("revision", from)?);
        if let Some(to) = to {
            args.push(checked("revision", to)?);
        }
        args.push("--");
        self.run(args)
    }

    /// `git diff --stat --patch` between two revisions (or against the work tree with
    /// `to = None`), in one call: `(stat, patch)`, each exactly what `git diff --stat` and
    /// `git diff` print.
    pub fn diff_stat_and_patch(
        &self,
        from: &str,
        to: Option<&str>,
    ) -> Result<(String, String), GitError> {
        self.diff_stat_and_patch_in(from, to, None)
    }

    /// [`Git::diff_stat_and_patch`] limited to `path` (an in-tree package's directory).
    pub fn diff_stat_and_patch_in(
        &self,
        from: &str,
        to: Option<&str>,
        path: Option<&str>,
    ) -> Result<(String, String), GitError> {
        let mut args = vec!["diff", "--no-color", "--no-ext-diff", "--stat", "--patch"];
        args.push(checked("revision", from)?);
        if let Some(to) = to {
            args.push(checked("revision", to)?);
        }
        args.push("--");
        if let Some(path) = path {
            args.push(checked("path", path)?);
        }
        let out = self.run(args)?;
        let (stat, patch) = split_stat_patch(&out);
        Ok((stat.to_owned(), patch.to_owned()))
    }

    /// `git status --porcelain --untracked-files=all`: the short status, one line per path, as
    /// a user reads it (paths quoted by git where needed).
    pub fn status_porcelain(&self) -> Result<String, GitError> {
        self.status_porcelain_in(None)
    }

    /// [`Git::status_porcelain`] limited to `path` (an in-tree package's directory).
    pub fn status_porcelain_in(&self, path: Option<&str>) -> Result<String, GitError> {
        let mut args = vec![
            "--no-optional-locks",
            "status",
            "--porcelain",
            "--untracked-files=all",
        ];
        if let Some(path) = path {
            args.extend(["--", checked("path", path)?]);
        }
        self.run(args)
    }

    /// The diff of an untracked file against nothing (`git diff --no-index -- /dev/null
    /// <path>`, run in this handle's directory): a "new file" diff with its whole content, or
    /// git's `Binary files ... differ` line for a binary file. `git diff --no-index` exits 1
    /// when there are differences, which is the normal answer here.
    pub fn diff_untracked(&self, path: &str) -> Result<String, GitError> {
        let args = [
            "diff",
            "--no-color",
            "--no-ext-diff",
            "--no-index",
            "--",
            "/dev/null",
            // After `--` and with `--no-index`, a literal path: a file named `-rf` is a file.
            path,
        ];
        let out = self.output_allowing(args, &[], &[1])?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// `git commit --quiet -F <file>`: commit what is staged with the message in `file`
    /// (git's default clean-up of a message file applies); returns the new commit hash.
    pub fn commit_with_message_file(&self, file: &Path) -> Result<String, GitError> {
        self.run(commit_file_args(file))?;
        self.rev_parse("HEAD")
    }

    /// `git add -A` then `git commit -m <message>`; returns the new commit hash.
    pub fn commit_all(&self, message: &str) -> Result<String, GitError> {
        self.run(["add", "-A"])?;
        self.commit(message, false)
    }

    /// `git commit -m <message>` of what is staged; returns the new commit hash.
    pub fn commit(&self, message: &str, allow_empty: bool) -> Result<String, GitError> {
        let mut args = vec!["commit", "--quiet", "-m", message];
        if allow_empty {
            args.push("--allow-empty");
        }
        self.run(args)?;
        self.rev_parse("HEAD")
    }

    /// An annotated tag `name` on `target` with `message`, kept as it is (git's default for
    /// tags strips `#` lines, the Markdown headings of release notes).
    pub fn tag_annotated(&self, name: &str, target: &str, message: &str) -> Result<(), GitError> {
        let (name, target) = (checked("tag", name)?, checked("revision", target)?);
        self.run([
            "tag",
            "--annotate",
            "--cleanup=whitespace",
            "--message",
            message,
            "--",
            name,
            target,
        ])
        .map(drop)
    }

    /// `git push <remote> <refspecs...>`.
    pub fn push(&self, remote: &str, refspecs: &[&str]) -> Result<(), GitError> {
        let mut args = vec!["push", "--quiet", "--", checked("remote", remote)?];
        for refspec in refspecs {
            args.push(checked("refspec", refspec)?);
        }
        self.run_batch(args).map(drop)
    }

    /// `git fetch --tags <remote>`.
    pub fn fetch(&self, remote: &str) -> Result<(), GitError> {
        self.run_batch([
            "fetch",
            "--quiet",
            "--tags",
            "--",
            checked("remote", remote)?,
        ])
        .map(drop)
    }

    /// `git fetch --prune --tags <remote>`: remote-tracking branches deleted on the remote go
    /// too, so a ref that is there afterwards exists on the remote.
    pub fn fetch_prune(&self, remote: &str) -> Result<(), GitError> {
        self.run_batch([
            "fetch",
            "--quiet",
            "--prune",
            "--tags",
            "--",
            checked("remote", remote)?,
        ])
        .map(drop)
    }

    /// `git stash push --include-untracked -m <message>`; returns the stash commit made, or
    /// `None` when git saved nothing (it says "No local changes to save" and succeeds, for
    /// example when the only change is a nested submodule at another commit): `refs/stash` is
    /// then still an older stash, the user's, never to be taken for this one.
    pub fn stash_push(&self, message: &str) -> Result<Option<String>, GitError> {
        let before = self.resolve("refs/stash")?;
        self.run(stash_push_args(message))?;
        let after = self.resolve("refs/stash")?;
        Ok(after.filter(|a| before.as_ref() != Some(a)))
    }

    /// The name (`stash@{N}`) of the stash entry whose commit is `hash`, if it is still there.
    pub fn stash_name(&self, hash: &str) -> Result<Option<String>, GitError> {
        if !self.has_stash()? {
            return Ok(None);
        }
        let out = self.run(["stash", "list", "--format=%gd%x00%H"])?;
        Ok(out.lines().find_map(|line| {
            let (name, commit) = line.split_once('\0')?;
            (commit == hash).then(|| name.to_owned())
        }))
    }

    /// `git stash pop --index --quiet <stash@{N}>`: what was staged is staged again (without
    /// `--index` it would come back unstaged, and the staged version of a file edited after
    /// staging would be lost).
    pub fn stash_pop(&self, name: &str) -> Result<(), GitError> {
        self.run(stash_pop_args(checked("stash", name)?)).map(drop)
    }

    /// Commits on `local` not on `other`, and on `other` not on `local`
    /// (`git rev-list --left-right --count local...other`).
    pub fn ahead_behind(&self, local: &str, other: &str) -> Result<(u32, u32), GitError> {
        let spec = format!(
            "{}...{}",
            checked("revision", local)?,
            checked("revision", other)?
        );
        if let Some(counts) = self.local().and_then(|l| l.ahead_behind(local, other)) {
            return Ok(counts);
        }
        let out = self.run(["rev-list", "--left-right", "--count", &spec, "--"])?;
        let mut parts = out.split_whitespace().map(|n| n.parse().unwrap_or(0));
        Ok((parts.next().unwrap_or(0), parts.next().unwrap_or(0)))
    }

    /// `git rev-parse --verify <rev>^{commit}`.
    pub fn rev_parse(&self, rev: &str) -> Result<String, GitError> {
        checked("revision", rev)?;
        // Found in-process; a revision that names nothing is left to git, for its error.
        if let Some(Some(commit)) = self.local().and_then(|l| l.resolve(rev)) {
            return Ok(commit);
        }
        self.rev_parse_git(rev)
    }

    /// [`Git::rev_parse`] by git itself.
    fn rev_parse_git(&self, rev: &str) -> Result<String, GitError> {
        Ok(self
            .run([
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{}^{{commit}}", checked("revision", rev)?),
            ])?
            .trim()
            .to_owned())
    }

    /// Submodule paths whose recorded commit differs from HEAD (staged or not), ignoring
    /// uncommitted content inside the submodules.
    pub fn moved_submodules(&self) -> Result<Vec<String>, GitError> {
        let out = self.run([
            "diff",
            "HEAD",
            "--ignore-submodules=dirty",
            "--name-only",
            "-z",
            "--submodule=short",
        ])?;
        let gitlinks: Vec<String> = self
            .submodule_pointers()?
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        Ok(out
            .split('\0')
            .filter(|p| gitlinks.iter().any(|g| g == p))
            .map(str::to_owned)
            .collect())
    }

    /// `rev` as a commit hash, or `None` when it does not name a commit here (for example a
    /// commit that has not been fetched yet).
    pub fn resolve(&self, rev: &str) -> Result<Option<String>, GitError> {
        checked("revision", rev)?;
        if let Some(answer) = self.local().and_then(|l| l.resolve(rev)) {
            return Ok(answer);
        }
        match self.rev_parse_git(rev) {
            Ok(hash) => Ok(Some(hash)),
            Err(e) if e.exit_code() == Some(1) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Whether `ancestor` is an ancestor of (or the same commit as) `descendant`.
    pub fn is_ancestor(&self, ancestor: &str, descendant: &str) -> Result<bool, GitError> {
        let (ancestor, descendant) = (
            checked("revision", ancestor)?,
            checked("revision", descendant)?,
        );
        if let Some(answer) = self
            .local()
            .and_then(|l| l.is_ancestor(ancestor, descendant))
        {
            return Ok(answer);
        }
        self.test(["merge-base", "--is-ancestor", ancestor, descendant])
    }

    /// Whether any branch, remote-tracking branch or tag contains `commit`.
    pub fn is_on_any_ref(&self, commit: &str) -> Result<bool, GitError> {
        let out = self.run([
            "for-each-ref",
            "--count=1",
            "--format=%(refname)",
            "--contains",
            checked("revision", commit)?,
            "refs/heads",
            "refs/remotes",
            "refs/tags",
        ])?;
        Ok(!out.trim().is_empty())
    }

    /// The current branch, or `None` when HEAD is detached.
    pub fn current_branch(&self) -> Result<Option<String>, GitError> {
        if let Some(answer) = self.local().and_then(|l| l.current_branch()) {
            return Ok(answer);
        }
        Ok(self
            .run_or_none(["symbolic-ref", "--quiet", "--short", "HEAD"])?
            .map(|out| out.trim().to_owned()))
    }

    /// Fetch one branch of a remote into its remote-tracking ref
    /// (`+refs/heads/<branch>:refs/remotes/<remote>/<branch>`), whatever the remote's configured
    /// refspecs; no tags.
    pub fn fetch_branch(&self, remote: &str, branch: &str) -> Result<(), GitError> {
        let (remote, branch) = (checked("remote", remote)?, checked("branch", branch)?);
        self.run_batch([
            "fetch",
            "--quiet",
            "--no-tags",
            "--",
            remote,
            &format!("+refs/heads/{branch}:refs/remotes/{remote}/{branch}"),
        ])
        .map(drop)
    }

    /// The commit a branch points to on a remote (`git ls-remote`), without fetching anything;
    /// `None` when the remote has no such branch.
    pub fn remote_branch_head(
        &self,
        remote: &str,
        branch: &str,
    ) -> Result<Option<String>, GitError> {
        let (remote, branch) = (checked("remote", remote)?, checked("branch", branch)?);
        let wanted = format!("refs/heads/{branch}");
        let out = self.run_batch(["ls-remote", "--heads", "--", remote, &wanted])?;
        Ok(out.lines().find_map(|line| {
            let (hash, name) = line.split_once('\t')?;
            (name == wanted).then(|| hash.to_owned())
        }))
    }

    /// The branch this clone knows as the remote's default, read from local refs only (one
    /// `git for-each-ref`, no network): `refs/remotes/<remote>/HEAD`'s target; else, when
    /// `<remote>/<fallback>` is not there, the branch of `<remote>` the checked-out branch
    /// tracks (not `exclude`, the development branch). `None`: nothing says (use `fallback`).
    pub fn local_default_branch(
        &self,
        remote: &str,
        fallback: &str,
        exclude: &str,
    ) -> Result<Option<String>, GitError> {
        let remote = checked("remote", remote)?;
        let head_ref = format!("refs/remotes/{remote}/HEAD");
        let fallback_ref = format!("refs/remotes/{remote}/{fallback}");
        let out = self.run_batch([
            "for-each-ref",
            "--format=%(HEAD)%09%(refname)%09%(symref)%09%(upstream)",
            &head_ref,
            &fallback_ref,
            "refs/heads",
        ])?;
        let prefix = format!("refs/remotes/{remote}/");
        let valid = |b: &str| crate::core::safety::branch_name(b).is_ok();
        let mut fallback_exists = false;
        let mut tracked = None;
        for line in out.lines() {
            let mut cols = line.split('\t');
            let (current, name, symref, upstream) = (
                cols.next().unwrap_or_default(),
                cols.next().unwrap_or_default(),
                cols.next().unwrap_or_default(),
                cols.next().unwrap_or_default(),
            );
            if name == head_ref {
                if let Some(b) = symref.strip_prefix(&prefix).filter(|b| valid(b)) {
                    return Ok(Some(b.to_owned()));
                }
            } else if name == fallback_ref {
                fallback_exists = true;
            } else if current == "*" {
                tracked = upstream
                    .strip_prefix(&prefix)
                    .filter(|b| valid(b) && *b != exclude)
                    .map(str::to_owned);
            }
        }
        Ok(if fallback_exists { None } else { tracked })
    }

    /// The branch a remote's HEAD points to (`git ls-remote --symref <remote> HEAD`).
    pub fn remote_default_branch(&self, remote: &str) -> Result<Option<String>, GitError> {
        let out = self.run_batch([
            "ls-remote",
            "--symref",
            "--",
            checked("remote", remote)?,
            "HEAD",
        ])?;
        // The remote says the name: only a valid branch name is taken.
        Ok(out.lines().find_map(|line| {
            let (target, name) = line.strip_prefix("ref: ")?.split_once('\t')?;
            (name == "HEAD")
                .then(|| target.strip_prefix("refs/heads/"))
                .flatten()
                .filter(|b| crate::core::safety::branch_name(b).is_ok())
                .map(str::to_owned)
        }))
    }

    /// The text of `path` in the tree of `rev` (`git cat-file blob <rev>:<path>`), or `None`
    /// when `rev` has no such file. Reads objects only: never the work tree or the index.
    /// Read in-process when [`LocalRepo::read_blob`] knows the answer (release planning reads
    /// the `pyproject.toml` of every package it does not release at its tag).
    pub fn read_blob(&self, rev: &str, path: &str) -> Result<Option<String>, GitError> {
        let rev = checked("revision", rev)?;
        let path = path.trim_start_matches("./");
        if let Some(answer) = self.local().and_then(|l| l.read_blob(rev, path)) {
            tracing::debug!(dir = %self.dir.display(), "read in-process: {rev}:{path}");
            return Ok(answer);
        }
        let spec = format!("{rev}:{path}");
        let Some(oid) = self.run_or_none(["rev-parse", "--verify", "--quiet", &spec])? else {
            return Ok(None);
        };
        let oid = oid.trim();
        self.run(["cat-file", "blob", oid]).map(Some)
    }

    /// The URL of a remote, or `None` if the remote does not exist.
    pub fn remote_url(&self, remote: &str) -> Result<Option<String>, GitError> {
        let out = self.run(["remote"])?;
        if !out.lines().any(|r| r == remote) {
            return Ok(None);
        }
        Ok(Some(
            self.run(["remote", "get-url", "--", remote])?
                .trim()
                .to_owned(),
        ))
    }

    /// Key/value pairs of a config file (`git config -f <file> --list -z`).
    pub fn config_file_entries(&self, file: &Path) -> Result<Vec<(String, String)>, GitError> {
        let out = self.run([
            OsString::from("config"),
            OsString::from("--file"),
            file.as_os_str().to_owned(),
            OsString::from("--list"),
            OsString::from("-z"),
        ])?;
        Ok(out
            .split('\0')
            .filter(|e| !e.is_empty())
            .map(|entry| match entry.split_once('\n') {
                Some((k, v)) => (k.to_owned(), v.to_owned()),
                None => (entry.to_owned(), String::new()),
            })
            .collect())
    }

    /// `git submodule status` of the root: path → (initialized, recorded commit).
    pub fn submodule_pointers(&self) -> Result<Vec<(String, String)>, GitError> {
        // `ls-files -s` lists gitlinks (mode 160000) with the recorded commit.
        let out = self.run(["ls-files", "--stage", "-z"])?;
        Ok(out
            .split('\0')
            .filter_map(|e| {
                let (meta, path) = e.split_once('\t')?;
                let mut parts = meta.split(' ');
                (parts.next()? == "160000")
                    .then(|| (path.to_owned(), parts.next().unwrap_or("").to_owned()))
            })
            .collect())
    }

    /// The submodule pointers (gitlinks) recorded in the tree of a commit: path → commit.
    /// `None` when `rev` does not name a commit (an unborn branch).
    pub fn submodule_pointers_at(
        &self,
        rev: &str,
    ) -> Result<Option<Vec<(String, String)>>, GitError> {
        let Some(commit) = self.resolve(rev)? else {
            return Ok(None);
        };
        // `<mode> <type> <object>\t<path>`
        let out = self.run(["ls-tree", "-r", "-z", "--full-tree", &commit])?;
        Ok(Some(
            out.split('\0')
                .filter_map(|e| {
                    let (meta, path) = e.split_once('\t')?;
                    let mut parts = meta.split(' ');
                    (parts.next()? == "160000" && parts.next()? == "commit")
                        .then(|| (path.to_owned(), parts.next().unwrap_or("").to_owned()))
                })
                .collect(),
        ))
    }
}

/// The arguments of `git commit --quiet -F <file>` (also used by plans, so a dry run shows
/// exactly the command a real run makes).
pub fn commit_file_args(file: &Path) -> Vec<String> {
    vec![
        "commit".to_owned(),
        "--quiet".to_owned(),
        "-F".to_owned(),
        file.display().to_string(),
    ]
}

/// The arguments of `git push --quiet [-u] -- <remote> <branch>`; `set_upstream` records the
/// pushed branch as the upstream.
pub fn push_args(remote: &str, branch: &str, set_upstream: bool) -> Result<Vec<String>, GitError> {
    let mut args = vec!["push".to_owned(), "--quiet".to_owned()];
    if set_upstream {
        args.push("--set-upstream".to_owned());
    }
    args.extend([
        "--".to_owned(),
        checked("remote", remote)?.to_owned(),
        checked("branch", branch)?.to_owned(),
    ]);
    Ok(args)
}

/// The branches of a remote repository (`git ls-remote --symref`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RemoteBranches {
    /// The branch `HEAD` points to, when the remote says.
    pub head: Option<String>,
    /// Branch names, in the remote's order.
    pub branches: Vec<String>,
}

/// Parse `git ls-remote --symref -- URL HEAD refs/heads/*` output. Names a remote reports
/// that are not valid branch names (a hostile server can send anything) are left out.
pub fn parse_remote_branches(out: &str) -> RemoteBranches {
    let valid = |b: &&str| crate::core::safety::branch_name(b).is_ok();
    let mut result = RemoteBranches::default();
    for line in out.lines() {
        if let Some(rest) = line.strip_prefix("ref: ") {
            if let Some((target, "HEAD")) = rest.split_once('\t')
                && let Some(branch) = target.strip_prefix("refs/heads/").filter(valid)
            {
                result.head = Some(branch.to_owned());
            }
        } else if let Some((_, refname)) = line.split_once('\t')
            && let Some(branch) = refname.strip_prefix("refs/heads/").filter(valid)
        {
            result.branches.push(branch.to_owned());
        }
    }
    result
}

/// Parse `git status --porcelain=v2 --branch -z` output.
pub fn parse_status(out: &str) -> RepoStatus {
    let mut status = RepoStatus::default();
    let mut short = Some(String::new());
    let mut records = out.split('\0');
    while let Some(record) = records.next() {
        if record.is_empty() {
            continue;
        }
        if let Some(header) = record.strip_prefix("# ") {
            let (key, value) = header.split_once(' ').unwrap_or((header, ""));
            match key {
                "branch.oid" if value != "(initial)" => status.head = Some(value.to_owned()),
                "branch.head" if value != "(detached)" => status.branch = Some(value.to_owned()),
                "branch.upstream" => status.upstream = Some(value.to_owned()),
                "branch.ab" => {
                    for part in value.split(' ') {
                        if let Some(n) = part.strip_prefix('+') {
                            status.ahead = n.parse().unwrap_or(0);
                        } else if let Some(n) = part.strip_prefix('-') {
                            status.behind = n.parse().unwrap_or(0);
                        }
                    }
                }
                _ => {}
            }
            continue;
        }
        let kind = record.as_bytes()[0];
        let mut orig = None;
        let path = match kind {
            // 1 XY sub mH mI mW hH hI path
            b'1' => record.splitn(9, ' ').nth(8),
            // 2 XY sub mH mI mW hH hI X<score> path \0 origPath
            b'2' => {
                let path = record.splitn(10, ' ').nth(9);
                orig = records.next();
                path
            }
            // u XY sub m1 m2 m3 mW h1 h2 h3 path
            b'u' => record.splitn(11, ' ').nth(10),
            b'?' => record.get(2..),
            _ => None,
        };
        if let Some(path) = path {
            let xy = if kind == b'?' {
                Some("??".to_owned())
            } else {
                record.get(2..4).map(|xy| xy.replace('.', " "))
            };
            match (&mut short, xy) {
                (Some(text), Some(xy)) if plain(path) && orig.is_none_or(plain) => {
                    text.push_str(&xy);
                    text.push(' ');
                    if let Some(orig) = orig {
                        text.push_str(orig);
                        text.push_str(" -> ");
                    }
                    text.push_str(path);
                    text.push('\n');
                }
                _ => short = None,
            }
            if kind == b'?' {
                status.untracked.push(path.to_owned());
            }
            status.changed.push(path.to_owned());
        }
    }
    status.short = short;
    status
}

/// Whether git prints `path` as it is in `git status --porcelain` (no C-style quoting: no
/// space, control character, quote, backslash or non-ASCII byte).
fn plain(path: &str) -> bool {
    !path.is_empty()
        && path
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reading handle opens its repository once and shares it with its clones; a second
    /// `local()` while the first is held (the same thread) opens its own instead of waiting.
    #[test]
    fn a_reading_handle_keeps_one_repository_and_never_waits_for_itself() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        test_support::git(dir, &["init", "--quiet", "-b", "main"]);
        test_support::git(dir, &["commit", "--quiet", "--allow-empty", "-m", "one"]);
        let plain = Git::new(dir);
        assert!(matches!(plain.local(), Some(Local::Opened(_))));
        let reading = Git::new(dir).reading();
        let clone = reading.clone();
        let head = plain.local().unwrap().resolve("HEAD").unwrap().unwrap();
        {
            let first = reading.local().unwrap();
            assert!(matches!(first, Local::Kept(_)));
            let second = clone.local().unwrap();
            assert!(matches!(second, Local::Opened(_)));
            assert_eq!(second.resolve("HEAD"), first.resolve("HEAD"));
        }
        assert!(matches!(clone.local(), Some(Local::Kept(_))));
        assert_eq!(clone.local().unwrap().resolve("HEAD"), Some(Some(head)));
        // Not a repository: nothing kept, every call says so.
        let none = Git::new(tmp.path().join("absent")).reading();
        assert!(none.local().is_none());
        assert!(none.local().is_none());
    }

    #[test]
    fn a_status_narrowed_to_a_directory_keeps_its_paths_only() {
        let status = RepoStatus {
            branch: Some("main".to_owned()),
            head: Some("h".to_owned()),
            upstream: Some("origin/main".to_owned()),
            ahead: 1,
            behind: 2,
            changed: ["packages/a/x", "packages/ab/y", "README.md", "packages/b/z", "packages/a/n"]
                .map(str::to_owned)
                .to_vec(),
            untracked: vec!["packages/a/n".to_owned()],
            short: Some(
                " M packages/a/x\n M packages/ab/y\nM  README.md\nR  packages/a/old -> packages/b/z\n?? packages/a/n\n"
                    .to_owned(),
            ),
        };
        let a = status.narrowed_to("packages/a").unwrap();
        // The file renamed to packages/b is a's change too (its deletion).
        assert_eq!(
            a.changed,
            ["packages/a/x", "packages/a/n", "packages/a/old"]
        );
        assert_eq!(a.untracked, ["packages/a/n"]);
        assert_eq!(
            a.short.as_deref(),
            Some(" M packages/a/x\nR  packages/a/old -> packages/b/z\n?? packages/a/n\n")
        );
        assert_eq!((a.ahead, a.behind), (1, 2));
        assert_eq!(a.branch.as_deref(), Some("main"));
        let none = status.narrowed_to("packages/c/").unwrap();
        assert!(none.changed.is_empty() && none.short.as_deref() == Some(""));
        let b = status.narrowed_to("packages/b").unwrap();
        assert_eq!(b.changed, ["packages/b/z"]);
        // Without the short status a rename's origin is unknown: ask git.
        let unquoted = RepoStatus {
            short: None,
            ..status
        };
        assert!(unquoted.narrowed_to("packages/a").is_none());
    }

    #[test]
    fn network_calls_are_told_from_local_ones() {
        let args = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();
        for net in [
            &["fetch", "--quiet", "origin"][..],
            &["push", "origin", "main"],
            &["-c", "protocol.file.allow=always", "ls-remote", "--", "u"],
            &["-c", "x=y", "clone", "u", "d"],
            &["submodule", "update", "--init"],
        ] {
            assert!(is_network_call(&args(net)), "{net:?}");
        }
        for local in [
            &["commit", "-m", "push it"][..],
            &["-c", "fetch", "status"],
            &["remote", "get-url", "--", "origin"],
            &["tag", "-a", "v1"],
        ] {
            assert!(!is_network_call(&args(local)), "{local:?}");
        }
    }

    #[test]
    fn parses_porcelain_v2() {
        let out = "# branch.oid 1234abcd\0# branch.head main\0# branch.upstream origin/main\0\
                   # branch.ab +2 -3\0\
                   1 .M N... 100644 100644 100644 aaaa bbbb src/a b.py\0\
                   2 R. N... 100644 100644 100644 aaaa bbbb R100 new.py\0old.py\0\
                   u UU N... 100644 100644 100644 100644 a b c conflict.py\0\
                   ? untracked.txt\0! ignored.txt\0";
        let s = parse_status(out);
        assert_eq!(s.branch.as_deref(), Some("main"));
        assert_eq!(s.head.as_deref(), Some("1234abcd"));
        assert_eq!(s.upstream.as_deref(), Some("origin/main"));
        assert_eq!((s.ahead, s.behind), (2, 3));
        assert_eq!(
            s.changed,
            vec!["src/a b.py", "new.py", "conflict.py", "untracked.txt"]
        );
        assert_eq!(s.dirty(), 4);
        assert_eq!(s.untracked, vec!["untracked.txt"]);
    }

    #[test]
    fn parses_ls_remote_symref() {
        let out = "ref: refs/heads/trunk\tHEAD\n\
                   1111\tHEAD\n\
                   1111\trefs/heads/trunk\n\
                   2222\trefs/heads/feature/x\n";
        let b = parse_remote_branches(out);
        assert_eq!(b.head.as_deref(), Some("trunk"));
        assert_eq!(b.branches, vec!["trunk", "feature/x"]);
        assert_eq!(parse_remote_branches(""), RemoteBranches::default());
    }

    #[test]
    fn parses_detached_and_unborn() {
        let s = parse_status("# branch.oid (initial)\0# branch.head (detached)\0");
        assert_eq!(
            s,
            RepoStatus {
                short: Some(String::new()),
                ..RepoStatus::default()
            }
        );
    }
}
