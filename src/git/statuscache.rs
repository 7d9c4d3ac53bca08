//! `.release_tool/cache/status.json`: the last `git status` of each package, kept with a
//! fingerprint of everything that answer depends on, so that a repeated `status` starts no git
//! process at all for a package nobody touched since.
//!
//! `git status --porcelain=v2 --branch` is a function of the work tree's files, the index, HEAD,
//! the upstream branch, and git's configuration, ignore and attribute files. The fingerprint
//! covers all of them, read from disk without a process:
//!
//! - every entry of the work tree (except `.git` itself): its name, type, mode, size, inode,
//!   owner, mtime and ctime (`lstat`, nanoseconds), directories included, so an edit, a new,
//!   removed or renamed file and a `chmod` all change it. Git trusts the same stat data;
//! - the `.git` file, `HEAD` and the commit it resolves to, the upstream's remote-tracking ref
//!   and the commit it points to (loose or packed), the stat data of the index, `packed-refs`,
//!   `info/exclude`, `info/attributes` and `info/sparse-checkout`, and the whole config file;
//! - once per run (the same for all packages): every `GIT_*` variable and `HOME` and
//!   `XDG_CONFIG_HOME`, the `git` executable `PATH` finds, and the system and global config,
//!   ignore and attributes files, with every file they include or name as `core.excludesFile`
//!   or `core.attributesFile`.
//!
//! An entry is used only when the fingerprint taken now equals the stored one. It is stored only
//! when the fingerprints taken just before and just after a real `git status` are equal, git's
//! answer agrees with what the files say (HEAD, branch, upstream), and no file in the
//! fingerprint changed in the last 3 seconds (`RELEASE_TOOL_CACHE_RACY_MS`): two edits within
//! one tick of the file system's clock can leave the same stat data (git's "racy clean"
//! problem); a file older than that margin cannot be edited again without its times moving.
//!
//! Whatever the files cannot tell for certain leaves the package to git, every run: a work tree
//! of more than [`MAX_ENTRIES`] entries (walking it would cost more than git's own look),
//! nested repositories or submodules, a split index, an unborn branch, reftable, a config file
//! beyond the plain form, a config that includes other files or names an ignore or attributes
//! file it cannot find. Like the tag cache, the file is derived data: only `status` writes it;
//! a missing or corrupt file counts as empty; `RELEASE_TOOL_NO_CACHE=1` turns it off.
//!
//! A dirty package's entry also keeps its changed and untracked paths and git's short status
//! (up to 200 paths; not when a path needs git's quoting).
//!
//! Readers: `status` ([`StatusCache::status`], the summary), `changes` and release planning
//! ([`StatusCache::repo_status`]: a package held as clean, or as dirty with its paths, costs no
//! `git status`; one without them is asked of git). They open it read-only:
//! an entry is used under the same rule (the fingerprint taken now equals the stored one), so a
//! package edited since, however little, is asked of git again and can never pass for clean.

use std::ffi::OsString;
use std::hash::{DefaultHasher, Hasher as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::git::files::{RepoFiles, parse_plain_config};
use crate::git::tagcache::Store;
use crate::git::{Git, GitError, RepoStatus};

/// The test and tuning knob for the racy margin, in milliseconds (default 3000).
pub const RACY_ENV: &str = "RELEASE_TOOL_CACHE_RACY_MS";
const DEFAULT_RACY: Duration = Duration::from_secs(3);
const FILE: &str = "status.json";
const FORMAT: u32 = 1;
/// Work trees with more entries than this (a package with a `node_modules`, a `.venv` or a big
/// `.mypy_cache` inside) are left to git: walking them costs more than starting git.
pub const MAX_ENTRIES: usize = 2000;

/// What `status` shows of `git status`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Current branch; `None` when detached.
    pub branch: Option<String>,
    /// HEAD commit; `None` on an unborn branch.
    pub head: Option<String>,
    /// Upstream branch (`origin/main`), if set.
    pub upstream: Option<String>,
    pub ahead: u32,
    pub behind: u32,
    /// Changed, staged, unmerged or untracked paths.
    pub dirty: usize,
}

impl From<&RepoStatus> for Summary {
    fn from(s: &RepoStatus) -> Self {
        Self {
            branch: s.branch.clone(),
            head: s.head.clone(),
            upstream: s.upstream.clone(),
            ahead: s.ahead,
            behind: s.behind,
            dirty: s.dirty(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    fingerprint: String,
    status: Summary,
    /// A dirty package's changed paths (at most [`MAX_PATHS`]), for `changes` and release
    /// planning; absent when clean, or when git's short status needed quoting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    paths: Option<Paths>,
}

/// The paths of a dirty package, as `git status` gave them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Paths {
    changed: Vec<String>,
    untracked: Vec<String>,
    /// `git status --porcelain` (v1) text ([`RepoStatus::short`]).
    short: String,
}

/// A dirty package's paths are kept in the cache up to this many.
const MAX_PATHS: usize = 200;

/// Where an answer came from.
enum Answer {
    /// The cache's summary (no process).
    Cached(Summary, Option<Paths>),
    /// A real `git status`.
    Asked(RepoStatus),
}

/// The status cache of one workspace, shared by the workers of a command.
#[derive(Debug)]
pub struct StatusCache {
    store: Store<Entry>,
    racy: Duration,
    /// The part of every fingerprint that all packages share; `None` when the cache is off or
    /// it cannot be told for certain (then every package is left to git).
    global: Option<u128>,
    /// Answers from the cache and from git, for `-v`'s summary ([`StatusCache::counts`]).
    hits: AtomicUsize,
    asked: AtomicUsize,
}

impl StatusCache {
    /// How many packages were answered from the cache and how many by git (or the in-process
    /// read of a clean work tree), in this run.
    pub fn counts(&self) -> (usize, usize) {
        (
            self.hits.load(Ordering::Relaxed),
            self.asked.load(Ordering::Relaxed),
        )
    }

    /// The cache of the workspace at `root`; `writable`: whether [`StatusCache::save`] may
    /// write it.
    pub fn open(root: &Path, writable: bool) -> Self {
        let store = Store::open(root, FILE, FORMAT, writable);
        let racy = std::env::var(RACY_ENV)
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map_or(DEFAULT_RACY, Duration::from_millis);
        let global = if store.is_on() {
            let global = global_fingerprint(now_ns() - nanos(racy));
            if global.is_none() {
                tracing::debug!(
                    "git's environment or global files cannot be fingerprinted: no status cache"
                );
            }
            global
        } else {
            None
        };
        Self {
            store,
            racy,
            global,
            hits: AtomicUsize::new(0),
            asked: AtomicUsize::new(0),
        }
    }

    /// A cache that remembers nothing.
    pub fn off(root: &Path) -> Self {
        Self {
            store: Store::off(root),
            racy: DEFAULT_RACY,
            global: None,
            hits: AtomicUsize::new(0),
            asked: AtomicUsize::new(0),
        }
    }

    /// `git status` of the package at `key` (its path), whose repository `git` runs in: from
    /// the cache when its fingerprint still holds, else from git (and then remembered when it
    /// may be).
    pub fn status(&self, key: &str, git: &Git) -> Result<Summary, GitError> {
        Ok(match self.query(key, git, |_, _| true)? {
            Answer::Cached(summary, _) => summary,
            Answer::Asked(status) => Summary::from(&status),
        })
    }

    /// The whole `git status` of the package at `key`, for the commands that need the changed
    /// paths themselves (`changes`, release planning): a package the cache holds (fingerprint
    /// unchanged) as clean, or as dirty with its paths, is answered without a process; one the
    /// cache cannot vouch for is asked of git (one `git status`, or none for a clean work tree
    /// read in-process, remembered like [`StatusCache::status`] does).
    pub fn repo_status(&self, key: &str, git: &Git) -> Result<RepoStatus, GitError> {
        Ok(
            match self.query(key, git, |s, paths| s.dirty == 0 || paths.is_some())? {
                Answer::Cached(s, paths) => {
                    let paths = paths.unwrap_or(Paths {
                        changed: Vec::new(),
                        untracked: Vec::new(),
                        short: String::new(),
                    });
                    RepoStatus {
                        branch: s.branch,
                        head: s.head,
                        upstream: s.upstream,
                        ahead: s.ahead,
                        behind: s.behind,
                        changed: paths.changed,
                        untracked: paths.untracked,
                        short: Some(paths.short),
                    }
                }
                Answer::Asked(status) => status,
            },
        )
    }

    /// Whether the cache holds the package at `key` as clean right now (its fingerprint exactly
    /// the same, no changed path), without a process; `false` whenever it cannot tell.
    pub fn holds_clean(&self, key: &str, git: &Git) -> bool {
        self.global
            .and_then(|global| Fingerprint::take(git.dir(), global))
            .and_then(|fp| self.lookup(key, &fp))
            .is_some_and(|(s, _)| s.dirty == 0)
    }

    /// The cached summary when the fingerprint holds and `usable` accepts it, else git's
    /// answer (stored when it may be).
    fn query(
        &self,
        key: &str,
        git: &Git,
        usable: impl Fn(&Summary, Option<&Paths>) -> bool,
    ) -> Result<Answer, GitError> {
        let Some(global) = self.global else {
            self.asked.fetch_add(1, Ordering::Relaxed);
            return git.status().map(Answer::Asked);
        };
        let start = now_ns();
        let before = Fingerprint::take(git.dir(), global);
        if let Some(fp) = &before
            && let Some((hit, paths)) = self.lookup(key, fp)
            && usable(&hit, paths.as_ref())
        {
            tracing::debug!("{key}: status cache hit");
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(Answer::Cached(hit, paths));
        }
        self.asked.fetch_add(1, Ordering::Relaxed);
        let status = git.status()?;
        let summary = Summary::from(&status);
        if let Some(fp) = before {
            let agrees = fp.head == summary.head
                && fp
                    .branch
                    .as_deref()
                    .and_then(|b| b.strip_prefix("refs/heads/"))
                    == summary.branch.as_deref()
                && fp.upstream == summary.upstream;
            let settled = fp.newest < start - nanos(self.racy);
            if agrees
                && settled
                && Fingerprint::take(git.dir(), global)
                    .is_some_and(|after| after.digest == fp.digest)
            {
                self.store(key, fp.digest, &summary, &status);
            } else {
                tracing::debug!(
                    "{key}: status not cached ({})",
                    if !agrees {
                        "git's answer differs from the files"
                    } else if !settled {
                        "files changed in the last seconds"
                    } else {
                        "files changed during git status"
                    }
                );
            }
        }
        Ok(Answer::Asked(status))
    }

    fn lookup(&self, key: &str, fp: &Fingerprint) -> Option<(Summary, Option<Paths>)> {
        let entries = self.store.lock();
        let entry = entries.get(key)?;
        // Paths only when they are all of them (an entry of an older run may lack them).
        let paths = entry
            .paths
            .clone()
            .filter(|p| p.changed.len() == entry.status.dirty);
        (entry.fingerprint == fp.digest && entry.status.head == fp.head)
            .then(|| (entry.status.clone(), paths))
    }

    fn store(&self, key: &str, digest: String, summary: &Summary, status: &RepoStatus) {
        let paths = match &status.short {
            Some(short) if !status.changed.is_empty() && status.changed.len() <= MAX_PATHS => {
                Some(Paths {
                    changed: status.changed.clone(),
                    untracked: status.untracked.clone(),
                    short: short.clone(),
                })
            }
            _ => None,
        };
        let entry = Entry {
            fingerprint: digest,
            status: summary.clone(),
            paths,
        };
        self.store.put(key, entry);
    }

    /// Write the cache when this run changed it and it may be written, keeping the entries of
    /// the packages `keep` names.
    pub fn save(&self, keep: impl Fn(&str) -> bool) {
        self.store.save(keep);
    }
}

/// Nanoseconds since the Unix epoch.
fn now_ns() -> i128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, nanos)
}

fn nanos(d: Duration) -> i128 {
    i128::try_from(d.as_nanos()).unwrap_or(i128::MAX)
}

/// A 128-bit digest (two differently seeded `SipHash` states) of a sequence of values, and the newest
/// mtime or ctime among the files fed to it.
struct Digest {
    a: DefaultHasher,
    b: DefaultHasher,
    newest: i128,
    entries: usize,
}

impl Digest {
    fn new() -> Self {
        let mut b = DefaultHasher::new();
        b.write(b"release-tool status fingerprint");
        Self {
            a: DefaultHasher::new(),
            b,
            newest: i128::MIN,
            entries: 0,
        }
    }

    fn bytes(&mut self, x: &[u8]) {
        self.a.write_usize(x.len());
        self.a.write(x);
        self.b.write_usize(x.len());
        self.b.write(x);
    }

    fn u64(&mut self, x: u64) {
        self.a.write_u64(x);
        self.b.write_u64(x);
    }

    fn os(&mut self, x: &std::ffi::OsStr) {
        self.bytes(x.as_encoded_bytes());
    }

    fn finish(&self) -> u128 {
        (u128::from(self.a.finish()) << 64) | u128::from(self.b.finish())
    }

    /// The stat data of a file (not following a symlink), or that it is missing. `None` when
    /// it cannot be read.
    fn stat(&mut self, path: &Path) -> Option<()> {
        self.os(path.as_os_str());
        match std::fs::symlink_metadata(path) {
            Ok(meta) => {
                self.meta(&meta);
                Some(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.bytes(b"missing");
                Some(())
            }
            Err(_) => None,
        }
    }

    fn meta(&mut self, m: &std::fs::Metadata) {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt as _;
            for v in [
                m.dev(),
                m.ino(),
                u64::from(m.mode()),
                u64::from(m.uid()),
                u64::from(m.gid()),
                m.size(),
                m.mtime().cast_unsigned(),
                m.mtime_nsec().cast_unsigned(),
                m.ctime().cast_unsigned(),
                m.ctime_nsec().cast_unsigned(),
            ] {
                self.u64(v);
            }
            let ns = |s: i64, n: i64| i128::from(s) * 1_000_000_000 + i128::from(n);
            self.newest = self
                .newest
                .max(ns(m.mtime(), m.mtime_nsec()))
                .max(ns(m.ctime(), m.ctime_nsec()));
        }
        // Elsewhere `Fingerprint::take` gives up before: without inode numbers and change
        // times, stat data cannot stand for content.
        #[cfg(not(unix))]
        let _ = m;
    }

    /// Every entry under `dir`, depth first in name order, each with its stat data. `None` on
    /// a nested repository, a `.gitmodules` file (submodules have their own state), more than
    /// [`MAX_ENTRIES`] entries, or anything unreadable.
    fn tree(&mut self, dir: &Path, top: bool) -> Option<()> {
        let mut entries: Vec<(OsString, std::fs::DirEntry)> = std::fs::read_dir(dir)
            .ok()?
            .map(|e| e.ok().map(|e| (e.file_name(), e)))
            .collect::<Option<_>>()?;
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        self.bytes(b"{");
        for (name, entry) in entries {
            if name == ".git" {
                if top {
                    continue;
                }
                return None;
            }
            if top && name == ".gitmodules" {
                return None;
            }
            self.entries += 1;
            if self.entries > MAX_ENTRIES {
                return None;
            }
            self.os(&name);
            // `DirEntry::metadata` does not follow symlinks.
            let meta = entry.metadata().ok()?;
            self.meta(&meta);
            if meta.is_dir() {
                self.tree(&entry.path(), false)?;
            }
        }
        self.bytes(b"}");
        Some(())
    }

    /// A git config file: its stat data, and the files it includes or names as ignore and
    /// attributes files (`depth` levels of includes). `None` when those cannot be told.
    fn config_file(&mut self, path: &Path, depth: usize) -> Option<()> {
        self.stat(path)?;
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Some(()),
            Err(_) => return None,
        };
        self.config_refs(&text, path.parent(), depth)
    }

    /// The files a config text refers to (includes, `core.excludesFile`,
    /// `core.attributesFile`), relative to `base` (the including file's directory).
    fn config_refs(&mut self, text: &str, base: Option<&Path>, depth: usize) -> Option<()> {
        if !mentions_files(text) {
            return Some(());
        }
        if depth >= 3 {
            return None;
        }
        for (key, value) in parse_plain_config(text)? {
            if key == "core.excludesfile" || key == "core.attributesfile" {
                // Git reads a relative one from the work tree: not one path for all packages.
                let path = expand(&value, None)?;
                self.stat(&path)?;
            } else if (key.starts_with("include.") || key.starts_with("includeif."))
                && key.rsplit_once('.').is_some_and(|(_, name)| name == "path")
            {
                self.config_file(&expand(&value, base)?, depth + 1)?;
            }
        }
        Some(())
    }
}

/// Whether a config text may name other files (read in full then; otherwise its stat data
/// stands for it).
fn mentions_files(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    ["include", "excludesfile", "attributesfile"]
        .iter()
        .any(|w| lower.contains(w))
}

/// A path from a config value: `~/` is `$HOME`; a relative path is relative to `base` (or
/// `None` without one).
fn expand(value: &str, base: Option<&Path>) -> Option<PathBuf> {
    if let Some(rest) = value.strip_prefix("~/") {
        return Some(PathBuf::from(std::env::var_os("HOME")?).join(rest));
    }
    if value.starts_with('~') || value.is_empty() {
        return None;
    }
    let path = Path::new(value);
    if path.is_absolute() {
        Some(path.to_path_buf())
    } else {
        base.map(|b| b.join(path))
    }
}

/// The fingerprint of one package, with what the files say git will report.
#[derive(Debug)]
struct Fingerprint {
    digest: String,
    newest: i128,
    /// `refs/heads/<branch>`, or `None` when detached.
    branch: Option<String>,
    head: Option<String>,
    /// The upstream as `git status` names it (`origin/main`).
    upstream: Option<String>,
}

impl Fingerprint {
    /// `None` when the package's state cannot be told from its files for certain.
    fn take(dir: &Path, global: u128) -> Option<Self> {
        if !cfg!(unix) {
            return None;
        }
        let mut d = Digest::new();
        d.bytes(&global.to_le_bytes());
        let dot_git = dir.join(".git");
        if dot_git.is_file() {
            d.bytes(&std::fs::read(&dot_git).ok()?);
        }
        let files = RepoFiles::open(dir)?;
        let (git_dir, common) = (files.git_dir(), files.common_dir());
        // A split index keeps part of itself in `sharedindex.*`.
        for entry in std::fs::read_dir(git_dir).ok()? {
            if entry
                .ok()?
                .file_name()
                .as_encoded_bytes()
                .starts_with(b"sharedindex.")
            {
                return None;
            }
        }
        let (branch, head) = files.head()?;
        let head = head?;
        d.bytes(branch.as_deref().unwrap_or("(detached)").as_bytes());
        d.bytes(head.as_bytes());
        for file in [
            "index",
            "info/exclude",
            "info/attributes",
            "info/sparse-checkout",
            "config.worktree",
        ] {
            d.stat(&git_dir.join(file))?;
            if common != git_dir {
                d.stat(&common.join(file))?;
            }
        }
        d.stat(&common.join("packed-refs"))?;
        let config = files.config_text()?;
        d.bytes(config.as_bytes());
        d.config_refs(&config, None, 2)?;
        let entries = parse_plain_config(&config)?;
        let upstream = match branch.as_deref().map(|b| upstream(&entries, b)) {
            None | Some(Upstream::Unset) => None,
            Some(Upstream::Ref { short, full }) => {
                d.bytes(short.as_bytes());
                d.bytes(full.as_bytes());
                d.bytes(
                    files
                        .read_ref(&full)?
                        .as_deref()
                        .unwrap_or("(gone)")
                        .as_bytes(),
                );
                Some(short)
            }
            Some(Upstream::Unknown) => return None,
        };
        d.tree(dir, true)?;
        Some(Self {
            digest: format!("{:032x}", d.finish()),
            newest: d.newest,
            branch,
            head: Some(head),
            upstream,
        })
    }
}

/// A branch's upstream, as far as the config file tells.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Upstream {
    /// None configured.
    Unset,
    /// `short` as `git status` names it (`origin/main`), `full` the ref it compares with.
    Ref { short: String, full: String },
    /// Configured in a way only git resolves (another fetch refspec, several values).
    Unknown,
}

/// The upstream of `branch` (`refs/heads/<name>`) from the repository's config entries.
pub(crate) fn upstream(entries: &[(String, String)], branch: &str) -> Upstream {
    let Some(name) = branch.strip_prefix("refs/heads/") else {
        return Upstream::Unknown;
    };
    let values = |key: &str| -> Vec<&str> {
        entries
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    let remote = values(&format!("branch.{name}.remote"));
    let merge = values(&format!("branch.{name}.merge"));
    match (remote.as_slice(), merge.as_slice()) {
        ([], []) => Upstream::Unset,
        ([remote], [merge]) => {
            let Some(merged) = merge.strip_prefix("refs/heads/") else {
                return Upstream::Unknown;
            };
            if *remote == "." {
                return Upstream::Ref {
                    short: merged.to_owned(),
                    full: (*merge).to_owned(),
                };
            }
            let fetch = values(&format!("remote.{remote}.fetch"));
            let standard = format!("refs/heads/*:refs/remotes/{remote}/*");
            match fetch.as_slice() {
                [spec] if spec.trim_start_matches('+') == standard => Upstream::Ref {
                    short: format!("{remote}/{merged}"),
                    full: format!("refs/remotes/{remote}/{merged}"),
                },
                _ => Upstream::Unknown,
            }
        }
        _ => Upstream::Unknown,
    }
}

/// The part of every fingerprint that is the same for all packages: git's environment, the
/// `git` executable, and its system and global files. `None` when it cannot be told for
/// certain or changed within the racy margin (`settled_before`, in ns since the epoch).
fn global_fingerprint(settled_before: i128) -> Option<u128> {
    let mut d = Digest::new();
    let mut vars: Vec<(OsString, OsString)> = std::env::vars_os()
        .filter(|(k, _)| {
            let k = k.as_encoded_bytes();
            // Not `PATH` as a whole (activating a virtualenv changes it): the `git` it finds
            // is part of the digest below.
            k.starts_with(b"GIT_") || [&b"HOME"[..], b"XDG_CONFIG_HOME"].contains(&k)
        })
        .collect();
    vars.sort();
    for (k, v) in &vars {
        d.os(k);
        d.os(v);
        // Configuration given in the environment that names other files.
        let k = k.as_encoded_bytes();
        if (k.starts_with(b"GIT_CONFIG_KEY_") || k == b"GIT_CONFIG_PARAMETERS")
            && mentions_files(&v.to_string_lossy())
        {
            return None;
        }
    }
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    let home = var("HOME").map(PathBuf::from);
    let xdg = var("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".config")));
    let git = find_git()?;
    d.stat(&git)?;
    if let Ok(real) = std::fs::canonicalize(&git) {
        d.stat(&real)?;
    }
    let mut configs: Vec<PathBuf> = Vec::new();
    if var("GIT_CONFIG_NOSYSTEM").is_none_or(|v| v == "0" || v.eq_ignore_ascii_case("false")) {
        if let Some(p) = var("GIT_CONFIG_SYSTEM") {
            configs.push(PathBuf::from(p));
        } else {
            configs.push(PathBuf::from("/etc/gitconfig"));
            // A git built with another prefix (`/usr/local/bin/git`) reads
            // `<prefix>/etc/gitconfig`.
            if let Some(prefix) = std::fs::canonicalize(&git)
                .ok()
                .and_then(|g| g.parent()?.parent().map(Path::to_path_buf))
            {
                configs.push(prefix.join("etc/gitconfig"));
            }
        }
    }
    if let Some(p) = var("GIT_CONFIG_GLOBAL") {
        configs.push(PathBuf::from(p));
    } else {
        configs.extend(xdg.as_ref().map(|x| x.join("git/config")));
        configs.extend(home.as_ref().map(|h| h.join(".gitconfig")));
    }
    for config in &configs {
        d.config_file(config, 0)?;
    }
    // The default global ignore and attributes files.
    if let Some(x) = &xdg {
        d.stat(&x.join("git/ignore"))?;
        d.stat(&x.join("git/attributes"))?;
    }
    (d.newest < settled_before).then(|| d.finish())
}

/// The `git` that [`Git`] runs: the first executable `git` on `PATH`.
fn find_git() -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(format!("git{}", std::env::consts::EXE_SUFFIX)))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(text: &str) -> Vec<(String, String)> {
        parse_plain_config(text).unwrap()
    }

    #[test]
    fn upstream_follows_the_standard_refspec_only() {
        let origin = "[remote \"origin\"]\n\turl = x\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n\
                      [branch \"main\"]\n\tremote = origin\n\tmerge = refs/heads/main\n";
        assert_eq!(
            upstream(&entries(origin), "refs/heads/main"),
            Upstream::Ref {
                short: "origin/main".to_owned(),
                full: "refs/remotes/origin/main".to_owned()
            }
        );
        assert_eq!(
            upstream(&entries(origin), "refs/heads/other"),
            Upstream::Unset
        );
        let local = "[branch \"feat\"]\n\tremote = .\n\tmerge = refs/heads/main\n";
        assert_eq!(
            upstream(&entries(local), "refs/heads/feat"),
            Upstream::Ref {
                short: "main".to_owned(),
                full: "refs/heads/main".to_owned()
            }
        );
        // Left to git: another refspec, two of them, half a configuration.
        for text in [
            "[remote \"o\"]\n\tfetch = +refs/heads/main:refs/remotes/o/main\n[branch \"main\"]\n\tremote = o\n\tmerge = refs/heads/main\n",
            "[remote \"o\"]\n\tfetch = +refs/heads/*:refs/remotes/o/*\n\tfetch = +refs/x/*:refs/y/*\n[branch \"main\"]\n\tremote = o\n\tmerge = refs/heads/main\n",
            "[branch \"main\"]\n\tmerge = refs/heads/main\n",
            "[branch \"main\"]\n\tremote = o\n",
        ] {
            assert_eq!(
                upstream(&entries(text), "refs/heads/main"),
                Upstream::Unknown,
                "{text}"
            );
        }
    }

    #[test]
    fn config_paths_expand_home_and_relative_paths() {
        let base = Path::new("/etc");
        assert_eq!(expand("/x/y", None), Some(PathBuf::from("/x/y")));
        assert_eq!(expand("inc", Some(base)), Some(PathBuf::from("/etc/inc")));
        assert_eq!(expand("inc", None), None);
        assert_eq!(expand("~other/x", Some(base)), None);
        assert_eq!(expand("", Some(base)), None);
        if let Some(home) = std::env::var_os("HOME") {
            assert_eq!(expand("~/g", None), Some(PathBuf::from(home).join("g")));
        }
        assert!(mentions_files("[Include]\n\tpath = x"));
        assert!(mentions_files("[core]\n\texcludesFile = ~/.gi"));
        assert!(!mentions_files("[user]\n\tname = \"A B\"\n"));
    }

    #[test]
    fn a_config_naming_files_the_plain_parser_cannot_read_is_not_fingerprinted() {
        let tmp = tempfile::tempdir().unwrap();
        let ignore = tmp.path().join("ignore");
        std::fs::write(&ignore, "*.log\n").unwrap();
        let mut d = Digest::new();
        let text = format!("[core]\n\texcludesFile = {}\n", ignore.display());
        assert!(d.config_refs(&text, None, 0).is_some());
        // The file it names is part of the digest: editing it changes the digest.
        let first = d.finish();
        let mut again = Digest::new();
        again.config_refs(&text, None, 0).unwrap();
        assert_eq!(first, again.finish());
        // Quoted values, relative ignore files and includes too deep: left to git.
        let mut d = Digest::new();
        assert!(
            d.config_refs("[core]\n\texcludesFile = \"x\"\n", None, 0)
                .is_none()
        );
        assert!(
            d.config_refs("[core]\n\texcludesFile = rel\n", None, 0)
                .is_none()
        );
        assert!(d.config_refs("[include]\n\tpath = /x\n", None, 3).is_none());
        // Names no file: nothing to read.
        assert!(d.config_refs("[user]\n\tname = \"A\"\n", None, 0).is_some());
    }
}
