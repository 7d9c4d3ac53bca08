//! The journal of a run (docs/reference.md §4): `.release_tool/journal.json` under the root, git-ignored.
//!
//! It holds the command, the whole plan and the state of every step. A run that stops part
//! way leaves it unfinished; running the same command again loads the plan from it (never
//! re-planning from a half-changed workspace) and continues after the last completed step.
//! It holds no secrets: forge steps carry no token, the LLM key is never planned, and the
//! text is masked by [`crate::core::secrets::redact`] before it is written.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde::{Deserialize, Serialize};

use crate::core::error::UserError;
use crate::core::fsutil::{STATE_DIR, atomic_write, state_dir};
use crate::plan::Plan;
use crate::python::version::Version;

/// The journal file in it.
pub const JOURNAL_FILE: &str = "journal.json";
/// The journal's log: one JSON line per step state change since `journal.json` was last
/// written (appended and fsynced; folded into `journal.json` when the run ends).
pub const LOG_FILE: &str = "journal.log";
const FORMAT: u32 = 1;
/// One package in a planned release stage.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PackageRelease {
    pub package: String,
    pub from: Version,
    pub version: Version,
    /// The tag this stage makes (or finds) for the version, if any.
    pub tag: Option<String>,
    /// The next development version (`release`, `next`).
    pub next: Option<Version>,
    pub prerelease: bool,
}

/// Where a step stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[default]
    Pending,
    /// Started and not known to be finished (the process stopped, or it failed).
    Running,
    Done,
    /// Nothing to do (for example a forge call with no forge configured).
    Skipped,
    Failed,
}

impl Status {
    /// Whether the step needs no more work.
    pub fn is_complete(self) -> bool {
        matches!(self, Self::Done | Self::Skipped)
    }
}

/// The state of one step.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepState {
    pub status: Status,
    /// HEAD before a commit step started (to tell a commit that happened from one that did not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_before: Option<String>,
    /// What happened (a skipped step's reason, a forge release's URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Why the step failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The journal.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Journal {
    pub format: u32,
    /// The command, as `release-tool <command>` would be typed again to resume it.
    pub command: String,
    /// The typed request the run was made for (serialised): a run resumes when the request is
    /// the same value. A journal written without one is matched by `command`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<serde_json::Value>,
    pub finished: bool,
    pub plan: Plan,
    pub steps: Vec<StepState>,
    /// What the run releases (package, versions, tag), reported again when it is resumed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<PackageRelease>,
    /// Where each repository the run commits, tags or pushes in is expected to be: recorded
    /// when the run starts, moved by the run's own commits (and checkouts); a repository found
    /// elsewhere before a commit, tag or push (the user committed, reset or checked out another
    /// branch meanwhile) stops that package (docs/release.md, crash safety).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub heads: std::collections::BTreeMap<PathBuf, RepoAt>,
    /// Repositories whose entry in `heads` moved since the last log record.
    #[serde(skip)]
    moved_heads: std::collections::BTreeSet<PathBuf>,
    /// Records appended to the log by this process, and ([`Journal::sync_log`]) how many of
    /// them are known to be on disk and the fsyncs made; shared by the clones of a journal.
    #[serde(skip)]
    log_written: u64,
    /// Read from the disk ([`Journal::load`]): a run of it may have started before, in another
    /// process (a fresh journal, made by [`Journal::new`], has never run).
    #[serde(skip)]
    pub(crate) loaded: bool,
    #[serde(skip)]
    log_synced: std::sync::Arc<std::sync::Mutex<LogSynced>>,
}

/// One line of the journal's log: the new state of step `i`, and where the repositories the
/// run moved since the previous line now are.
#[derive(Serialize, Deserialize)]
struct LogRecord {
    i: usize,
    state: StepState,
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    heads: std::collections::BTreeMap<PathBuf, RepoAt>,
}

/// Where the journal's log stands, for [`Journal::sync_log`].
pub struct LogSyncPoint {
    path: PathBuf,
    written: u64,
    synced: std::sync::Arc<std::sync::Mutex<LogSynced>>,
}

/// The records of the log on disk, and the fsyncs that put them there.
#[derive(Debug, Default)]
struct LogSynced {
    records: u64,
    fsyncs: u64,
}

impl LogSyncPoint {
    /// The records appended when the point was taken.
    pub fn written(&self) -> u64 {
        self.written
    }
}

/// A repository's HEAD and branch (`None`: detached) as the run expects them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoAt {
    pub head: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
}

impl Journal {
    /// A fresh journal for `plan`.
    pub fn new(command: impl Into<String>, plan: Plan) -> Self {
        let steps = vec![StepState::default(); plan.steps.len()];
        Self {
            format: FORMAT,
            command: command.into(),
            request: None,
            finished: false,
            plan,
            steps,
            packages: Vec::new(),
            heads: std::collections::BTreeMap::new(),
            moved_heads: std::collections::BTreeSet::new(),
            log_written: 0,
            loaded: false,
            log_synced: std::sync::Arc::default(),
        }
    }

    /// The journal path of a root.
    pub fn path(root: &Path) -> PathBuf {
        root.join(STATE_DIR).join(JOURNAL_FILE)
    }

    /// The journal of a root, if there is one.
    pub fn load(root: &Path) -> Result<Option<Self>> {
        let path = Self::path(root);
        let unreadable = |cause: &dyn std::fmt::Display| -> anyhow::Error {
            UserError::failure(format!("Cannot read the journal {}: {cause}", path.display()))
                .with_hint(format!(
                    "move it away (`mv {} {}`) and run the command again; the run it recorded may have stopped part way, so check the packages first (`release-tool status`; `release-tool abort` cannot read it either)",
                    path.display(),
                    path.with_file_name("journal-broken.json").display()
                ))
                .into()
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            // A directory, unreadable bytes, no permission: what it is, and what to do.
            Err(e) => return Err(unreadable(&e)),
        };
        let mut journal: Self = serde_json::from_str(&text).map_err(|e| unreadable(&e))?;
        if journal.format != FORMAT || journal.steps.len() != journal.plan.steps.len() {
            return Err(UserError::failure(format!(
                "The journal {} is from another version of release-tool",
                path.display()
            ))
            .with_hint("finish or abandon that run with the release-tool that started it, or delete the journal")
            .into());
        }
        journal.replay_log()?;
        journal.loaded = true;
        Ok(Some(journal))
    }

    /// The log's path next to the journal.
    fn log_path(root: &Path) -> PathBuf {
        root.join(STATE_DIR).join(LOG_FILE)
    }

    /// Apply the log's records, in order. A last line cut short (the process died while
    /// appending it) is not a record: its step is found done or not done by its probe.
    fn replay_log(&mut self) -> Result<()> {
        let text = match std::fs::read_to_string(Self::log_path(&self.plan.root)) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => {
                return Err(anyhow::Error::new(e).context(format!(
                    "Cannot read the journal's log {}",
                    Self::log_path(&self.plan.root).display()
                )));
            }
        };
        for line in text.lines() {
            let Ok(record) = serde_json::from_str::<LogRecord>(line) else {
                break;
            };
            if let Some(state) = self.steps.get_mut(record.i) {
                *state = record.state;
            }
            self.heads.extend(record.heads);
        }
        Ok(())
    }

    /// Record that the run moved the repository `dir` to `at` (logged with the next step).
    pub fn move_head(&mut self, dir: &Path, at: RepoAt) {
        self.heads.insert(dir.to_path_buf(), at);
        self.moved_heads.insert(dir.to_path_buf());
    }

    /// Append step `index`'s state (and the heads moved since the last record) to the log:
    /// O(one step) per change, where [`Journal::save`] writes the whole journal. The record is
    /// in the kernel's hands once this returns (a killed process loses nothing); it is on the
    /// disk (a power cut loses nothing) after the next [`Journal::sync_log`], which the executor
    /// calls before every step that runs a command.
    pub fn log_step(&mut self, index: usize) -> Result<()> {
        use std::io::Write as _;
        let heads = std::mem::take(&mut self.moved_heads)
            .into_iter()
            .filter_map(|dir| self.heads.get(&dir).map(|at| (dir, at.clone())))
            .collect();
        let record = LogRecord {
            i: index,
            state: self.steps[index].clone(),
            heads,
        };
        let json = serde_json::to_string(&record)?;
        let line = crate::core::secrets::redact(&json);
        let path = Self::log_path(&self.plan.root);
        let mut file = fs_err::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)?;
        file.write_all(format!("{line}\n").as_bytes())
            .with_context(|| format!("Cannot write the journal's log {}", path.display()))?;
        self.log_written += 1;
        Ok(())
    }

    /// What [`Journal::sync_log`] needs, taken under the caller's lock: the log's path, the
    /// records appended so far, and the shared count of those on disk.
    pub fn log_sync_point(&self) -> LogSyncPoint {
        LogSyncPoint {
            path: Self::log_path(&self.plan.root),
            written: self.log_written,
            synced: std::sync::Arc::clone(&self.log_synced),
        }
    }

    /// Put every record appended so far on the disk (one `fdatasync`), unless an earlier call
    /// already did. Called without the journal's lock held (`point` taken under it, `written_now`
    /// re-read under it), so parallel steps share one fsync: a group commit. `written_now` gives
    /// the records appended by the time the fsync starts (all of them are covered by it).
    pub fn sync_log(point: &LogSyncPoint, written_now: impl FnOnce() -> u64) -> Result<()> {
        let mut synced = point
            .synced
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if synced.records >= point.written {
            return Ok(());
        }
        let upto = written_now();
        match fs_err::OpenOptions::new().append(true).open(&point.path) {
            Ok(file) => file.sync_data().with_context(|| {
                format!("Cannot write the journal's log {}", point.path.display())
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
        synced.records = upto;
        synced.fsyncs += 1;
        Ok(())
    }

    /// The fsyncs of the log this journal (and its clones) made in this process.
    pub fn log_fsyncs(&self) -> u64 {
        self.log_synced
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .fsyncs
    }

    /// Write the journal atomically (and the directory's `.gitignore`, so it is never committed).
    pub fn save(&self) -> Result<()> {
        let path = Self::path(&self.plan.root);
        state_dir(&self.plan.root)?;
        // Plans carry no secrets by construction; step errors quote git and servers, so the
        // whole text is masked as a last line of defence (a no-op when there is nothing to mask).
        let text = serde_json::to_string_pretty(self)?;
        let text = crate::core::secrets::redact(&text);
        atomic_write(&path, format!("{text}\n").as_bytes())
            .with_context(|| format!("Cannot write the journal {}", path.display()))?;
        // Everything the log said is in the journal now.
        match std::fs::remove_file(Self::log_path(&self.plan.root)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(anyhow::Error::new(e)
                .context("Cannot remove the journal's log after writing the journal")),
            _ => Ok(()),
        }
    }

    /// Move the root's journal aside as `.release_tool/journal-<why>-<unix time>.json` (an
    /// abandoned or re-planned run: nothing of it is lost); returns where it went.
    pub fn archive(root: &Path, why: &str) -> Result<PathBuf> {
        let path = Self::path(root);
        // The log folded in first: the archived journal is the whole record.
        if Self::log_path(root).exists()
            && let Some(journal) = Self::load(root)?
        {
            journal.save()?;
        }
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut kept = path.with_file_name(format!("journal-{why}-{stamp}.json"));
        let mut n = 1;
        while kept.exists() {
            n += 1;
            kept = path.with_file_name(format!("journal-{why}-{stamp}-{n}.json"));
        }
        fs_err::rename(&path, &kept)?;
        Ok(kept)
    }

    /// Indexes of the steps that need no more work.
    pub fn completed(&self) -> Vec<usize> {
        self.steps
            .iter()
            .enumerate()
            .filter(|(_, s)| s.status.is_complete())
            .map(|(i, _)| i)
            .collect()
    }
}

/// The lock file that keeps two runs from working in one workspace at once.
pub const LOCK_FILE: &str = "lock";

/// An exclusive hold on a workspace for one run: a kernel lock (`flock`, [`std::fs::File::try_lock`])
/// on `.release_tool/lock`, held for the whole run. The kernel releases it when the process ends,
/// however it ends (killed, power cut aside), so a lock file left by a run that is gone is simply
/// locked again: there is no takeover step for two runs to race in. The file's text names the
/// holder (its pid, the command and, where `/proc` tells, when the process started), for the
/// message of a run that is refused; an empty or garbage text is just overwritten. Dropping the
/// hold removes the file (while still holding it) and releases the workspace.
#[derive(Debug)]
pub struct RunLock {
    path: PathBuf,
    /// The open, locked file: the lock lives as long as it does.
    file: Option<std::fs::File>,
    /// The state directory, when this lock created it (removed again on release if nothing else
    /// was written to it, so a run refused while planning leaves no trace).
    created_dir: Option<PathBuf>,
}

impl RunLock {
    /// Take the workspace for `command`, or fail naming the run that holds it.
    pub fn acquire(root: &Path, command: &str) -> Result<Self> {
        let dir = root.join(STATE_DIR);
        let created_dir = (!dir.exists()).then(|| dir.clone());
        let path = dir.join(LOCK_FILE);
        if path.is_dir() {
            return Err(UserError::failure(format!(
                "The lock file {} is a directory",
                path.display()
            ))
            .with_hint(format!(
                "remove it (`rmdir {}`): release-tool keeps the lock of a run there as a file",
                path.display()
            ))
            .into());
        }
        state_dir(root).map_err(|e| state_dir_error(&dir, &e.to_string()))?;
        // The file may be unlinked by the run that held it between our open and our lock: a
        // lock on a file no longer at `path` holds nothing, so look again (a few times: each
        // round needs another run to finish in between).
        for _ in 0..20 {
            let mut file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|e| state_dir_error(&dir, &e.to_string()))?;
            test_delay();
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => return Err(held_error(&path)),
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(state_dir_error(
                        &dir,
                        &format!("cannot lock {}: {e}", path.display()),
                    ));
                }
            }
            if !same_file(&file, &path) {
                continue;
            }
            if held_by_older_release_tool(&path) {
                return Err(held_error(&path));
            }
            let pid = std::process::id();
            let started = process_start(pid)
                .map(|t| format!("started {t}\n"))
                .unwrap_or_default();
            let text = format!("{pid}\n{command}\n{started}");
            {
                use std::io::{Seek as _, Write as _};
                let written = file
                    .set_len(0)
                    .and_then(|()| file.seek(std::io::SeekFrom::Start(0)))
                    // One write: a refused run reads the whole text or none.
                    .and_then(|_| file.write_all(text.as_bytes()));
                if let Err(e) = written {
                    return Err(state_dir_error(&dir, &e.to_string()));
                }
            }
            // Temporary files of runs killed mid-write (the lock is ours: no run of ours is
            // writing; a `status` writing its cache meanwhile is alive, and its files stay).
            let removed = crate::core::fsutil::remove_stale_temp_files(root);
            if removed > 0 {
                tracing::info!(
                    "removed {} left by a run that was killed",
                    crate::core::text::count(removed, "temporary file")
                );
            }
            return Ok(Self {
                path,
                file: Some(file),
                created_dir,
            });
        }
        anyhow::bail!("Cannot take the lock {}", path.display())
    }
}

/// Whether the open `file` is still the one at `path` (not unlinked or replaced since it was
/// opened).
fn same_file(file: &std::fs::File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        match (file.metadata(), std::fs::metadata(path)) {
            (Ok(open), Ok(now)) => open.dev() == now.dev() && open.ino() == now.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        path.is_file()
    }
}

/// Whether the lock file names a process that still runs, and is the very process that wrote it
/// (its start time, as `/proc` tells, is the one recorded): a run of an older release-tool,
/// which made the file exclusively and never locked it. Without a recorded start time (or
/// without `/proc`) the file names no one for sure: it is taken.
fn held_by_older_release_tool(path: &Path) -> bool {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut lines = text.lines();
    let pid = lines.next().and_then(|l| l.trim().parse::<u32>().ok());
    let started = lines
        .nth(1)
        .and_then(|l| l.strip_prefix("started "))
        .and_then(|t| t.trim().parse::<u64>().ok());
    match (pid, started) {
        (Some(pid), Some(started)) => {
            pid != std::process::id() && process_start(pid) == Some(started)
        }
        _ => false,
    }
}

/// The error of a run refused because another one holds the lock at `path`, naming it from the
/// lock file's text (read again shortly when the holder has not written it yet).
fn held_error(path: &Path) -> anyhow::Error {
    let mut text = String::new();
    for _ in 0..10 {
        text = std::fs::read_to_string(path).unwrap_or_default();
        if text.lines().nth(1).is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let mut lines = text.lines();
    let pid = lines.next().and_then(|l| l.trim().parse::<u32>().ok());
    let holder = lines.next().unwrap_or("?").to_owned();
    UserError::failure(format!(
        "Another release-tool run (`release-tool {holder}`, process {}) is working in this workspace ({})",
        pid.map_or_else(|| "?".to_owned(), |p| p.to_string()),
        path.display()
    ))
    .with_hint("wait for it to finish, then run your command again (the lock is released when that process ends, however it ends)")
    .into()
}

/// Test-only (debug builds): `RELEASE_TOOL_TEST_LOCK_DELAY_MS=N` waits N ms between opening the
/// lock file and locking it, to widen the window two runs race in.
fn test_delay() {
    #[cfg(debug_assertions)]
    if let Some(ms) = std::env::var("RELEASE_TOOL_TEST_LOCK_DELAY_MS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

/// A state directory that cannot be written: named, with what to do.
fn state_dir_error(dir: &Path, cause: &str) -> anyhow::Error {
    UserError::failure(format!(
        "Cannot write release-tool's state directory {}: {cause}",
        dir.display()
    ))
    .with_hint(
        "make it writable (it holds the journal and the lock of a run), then run the command again",
    )
    .into()
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // Unlink while still holding the lock, then release it: a run that opened the old file
        // meanwhile finds it gone once it holds it, and opens the path again.
        let _ = std::fs::remove_file(&self.path);
        drop(self.file.take());
        if let Some(dir) = &self.created_dir {
            let only_ignore = std::fs::read_dir(dir)
                .is_ok_and(|entries| entries.flatten().all(|e| e.file_name() == ".gitignore"));
            if only_ignore {
                let _ = std::fs::remove_file(dir.join(".gitignore"));
                let _ = std::fs::remove_dir(dir);
            }
        }
    }
}

/// When a process started (field 22 of `/proc/<pid>/stat`, clock ticks since boot), where
/// `/proc` tells: with the pid it names one process, even after the pid is used again.
fn process_start(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count after the last `)`.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// What to do about an existing journal before running `command`.
#[derive(Debug)]
pub enum Resume {
    /// No unfinished run: plan afresh.
    Fresh,
    /// An unfinished run of the same command: continue it.
    Continue(Box<Journal>),
}

/// Look at the root's journal before running `command` (made for `request`, the typed request
/// serialised, when there is one): an unfinished run of the same request (or, without one, of
/// the same command) is continued; an unfinished run of another command is an error that says
/// how to go on.
pub fn resume_for(
    root: &Path,
    command: &str,
    request: Option<&serde_json::Value>,
) -> Result<Resume> {
    let same = |j: &Journal| match (&j.request, request) {
        (Some(recorded), Some(request)) => recorded == request,
        _ => j.command == command,
    };
    match Journal::load(root)? {
        Some(j) if !j.finished && same(&j) => Ok(Resume::Continue(Box::new(j))),
        Some(j) if !j.finished => Err(unfinished_error(root, &j, command)),
        _ => Ok(Resume::Fresh),
    }
}

/// The ways forward from an unfinished run of `command` (the hint of every error that meets
/// one): run it again, re-plan it, or abandon it.
pub fn ways_forward(command: &str) -> String {
    format!(
        "fix it and run the same command again (`release-tool {command}`), or `release-tool {command} --replan` after changing files by hand (what is done is kept, the rest is planned again from the workspace as it is), or `release-tool abort` to abandon the run (it shows what the run did first)"
    )
}

/// The error of `command` meeting the unfinished run `j`.
fn unfinished_error(root: &Path, j: &Journal, command: &str) -> anyhow::Error {
    UserError::failure(format!(
        "An unfinished `release-tool {}` ({} of {} steps done) is recorded in {}; `{}` refuses to run until it is finished or abandoned",
        j.command,
        j.completed().len(),
        j.steps.len(),
        Journal::path(root).display(),
        command.split_whitespace().next().unwrap_or(command),
    ))
    .with_hint(ways_forward(&j.command))
    .into()
}

/// A command that changes packages or the root, other than the journaled run itself: refused
/// while a journaled run is unfinished (its plan expects the workspace as the run left it).
pub fn refuse_if_unfinished(root: &Path, command: &str) -> Result<()> {
    match Journal::load(root)? {
        Some(j) if !j.finished => Err(unfinished_error(root, &j, command)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_run_at_a_time_and_stale_locks_are_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        // A state directory of an earlier run (a lock that did not create it leaves it).
        std::fs::create_dir(dir.path().join(STATE_DIR)).unwrap();
        let lock = RunLock::acquire(dir.path(), "release --push").unwrap();
        let err = format!("{:#}", RunLock::acquire(dir.path(), "tag").unwrap_err());
        assert!(err.contains("`release-tool release --push`"), "{err}");
        assert!(err.contains(&std::process::id().to_string()), "{err}");
        drop(lock);
        // A lock file nobody holds (its run is gone), whatever it says, is simply locked.
        let path = dir.path().join(STATE_DIR).join(LOCK_FILE);
        for text in ["4294967\nrelease\n", "", "garbage"] {
            std::fs::write(&path, text).unwrap();
            let again = RunLock::acquire(dir.path(), "tag").unwrap();
            let text = fs_err::read_to_string(&path).unwrap();
            assert!(
                text.starts_with(&format!("{}\ntag\n", std::process::id())),
                "{text}"
            );
            drop(again);
            assert!(!path.exists());
        }
        // A pid used again after its run was killed (this process did not start at tick 1):
        // taken.
        std::fs::write(
            &path,
            format!("{}\nrelease\nstarted 1\n", std::process::id()),
        )
        .unwrap();
        drop(RunLock::acquire(dir.path(), "tag").unwrap());
        // A run of an older release-tool (an exclusive file, no kernel lock) that still runs:
        // refused. The parent of this test process stands for it.
        #[cfg(unix)]
        if let Some(started) = process_start(std::os::unix::process::parent_id()) {
            let parent = std::os::unix::process::parent_id();
            std::fs::write(&path, format!("{parent}\nrelease\nstarted {started}\n")).unwrap();
            let err = format!("{:#}", RunLock::acquire(dir.path(), "tag").unwrap_err());
            assert!(err.contains(&format!("process {parent})")), "{err}");
            assert!(path.exists());
        }
    }

    #[test]
    fn a_lock_that_created_the_state_directory_leaves_none_behind() {
        let dir = tempfile::tempdir().unwrap();
        drop(RunLock::acquire(dir.path(), "release").unwrap());
        assert!(!dir.path().join(STATE_DIR).exists());
        // Once a journal is written there, the directory stays.
        let lock = RunLock::acquire(dir.path(), "release").unwrap();
        let journal = Journal::new("release", Plan::grouped(dir.path()));
        journal.save().unwrap();
        drop(lock);
        assert!(Journal::path(dir.path()).is_file());
        assert!(!dir.path().join(STATE_DIR).join(LOCK_FILE).exists());
    }

    #[test]
    fn step_changes_go_to_the_log_and_are_folded_in_when_the_journal_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let mut plan = Plan::grouped(root);
        plan.commit(Some("a"), root, "one");
        plan.commit(Some("a"), root, "two");
        plan.commit(Some("a"), root, "three");
        let mut journal = Journal::new("release", plan);
        journal.save().unwrap();
        let base = std::fs::read(Journal::path(root)).unwrap();
        journal.steps[0].status = Status::Done;
        journal.log_step(0).unwrap();
        journal.move_head(
            root,
            RepoAt {
                head: "abc".to_owned(),
                branch: Some("main".to_owned()),
            },
        );
        journal.steps[1].status = Status::Running;
        journal.steps[1].head_before = Some("abc".to_owned());
        journal.log_step(1).unwrap();
        // The journal file is not rewritten per step: one line each in the log.
        assert_eq!(std::fs::read(Journal::path(root)).unwrap(), base);
        let log = root.join(STATE_DIR).join(LOG_FILE);
        assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), 2);
        // A line cut short by a kill is not a record.
        let mut text = std::fs::read_to_string(&log).unwrap();
        text.push_str("{\"i\":2,\"state\":{\"sta");
        std::fs::write(&log, text).unwrap();
        let loaded = Journal::load(root).unwrap().unwrap();
        assert_eq!(loaded.steps[0].status, Status::Done);
        assert_eq!(loaded.steps[1].status, Status::Running);
        assert_eq!(loaded.steps[1].head_before.as_deref(), Some("abc"));
        assert_eq!(loaded.steps[2].status, Status::Pending);
        assert_eq!(loaded.heads[root].head, "abc");
        // Written whole (the end of a run): the log is gone, nothing lost.
        loaded.save().unwrap();
        assert!(!log.exists());
        let again = Journal::load(root).unwrap().unwrap();
        assert_eq!(again.steps[1].status, Status::Running);
        assert_eq!(again.heads[root].head, "abc");
    }

    #[test]
    fn round_trip_and_resume_rules() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        assert!(matches!(
            resume_for(root, "release", None).unwrap(),
            Resume::Fresh
        ));
        let mut plan = Plan::grouped(root);
        plan.commit(Some("a"), root, "release: a 1.0.0");
        let mut journal = Journal::new("release --bump minor", plan);
        journal.steps[0].status = Status::Running;
        journal.steps[0].head_before = Some("abc".to_owned());
        journal.packages = vec![PackageRelease {
            package: "a".to_owned(),
            from: "0.9.0".parse().unwrap(),
            version: "1.0.0".parse().unwrap(),
            tag: Some("v1.0.0".to_owned()),
            next: Some("1.0.1.dev0".parse().unwrap()),
            prerelease: false,
        }];
        journal.save().unwrap();
        // Versions are written as their PEP 440 text.
        let text: serde_json::Value = serde_json::from_str(
            &fs_err::read_to_string(root.join(".release_tool/journal.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(
            text["packages"][0],
            serde_json::json!({"package": "a", "from": "0.9.0", "version": "1.0.0",
                "tag": "v1.0.0", "next": "1.0.1.dev0", "prerelease": false})
        );
        assert_eq!(
            fs_err::read_to_string(root.join(".release_tool/.gitignore")).unwrap(),
            "# release-tool's own state (the journal of the last run, the lock, caches)\n*\n"
        );
        let Resume::Continue(loaded) = resume_for(root, "release --bump minor", None).unwrap()
        else {
            panic!("expected a resume");
        };
        assert_eq!(loaded.steps, journal.steps);
        assert_eq!(loaded.plan.steps, journal.plan.steps);
        // What the run releases comes back too, to report it when the run is resumed.
        assert_eq!(
            serde_json::to_value(&loaded.packages).unwrap(),
            serde_json::to_value(&journal.packages).unwrap()
        );
        let err = format!("{:#}", resume_for(root, "tag --push", None).unwrap_err());
        assert!(err.contains("release --bump minor"), "{err}");
        journal.finished = true;
        journal.save().unwrap();
        assert!(matches!(
            resume_for(root, "tag", None).unwrap(),
            Resume::Fresh
        ));
    }
}
