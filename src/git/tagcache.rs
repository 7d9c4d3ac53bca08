//! `.release_tool/cache/tags.json`: how far each package's HEAD is from each of its tags, so
//! that a repeated `status` starts one git process per package (`git status`), not two.
//!
//! An entry belongs to one package (by path) and holds the HEAD commit it was computed for, the
//! tag prefix, and every matching tag as `(name, object)` with its counts from
//! `git for-each-ref --format=%(ahead-behind:<head>)`. It is used only when all of that still
//! holds: the same HEAD commit and exactly the same tags pointing to the same objects, read from
//! the repository's files ([`crate::git::files`]). Commits never change, so the counts are then
//! the ones git would print. Repositories whose ancestry is not plain (shallow, grafts, replace
//! refs), or whose refs cannot be read from the files, are never cached.
//!
//! The file is derived data: `status` writes it (atomically, only when something changed, only
//! entries of packages that still exist); planning commands (`notes`, release planning) and dry
//! runs only read it. A
//! missing, unreadable, corrupt or other-format file counts as empty, and a file that cannot be
//! written is left alone: the cache can make a command faster, never wrong or failing.
//! `RELEASE_TOOL_NO_CACHE=1` turns it off.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};

use crate::git::files::{DiskTag, RepoFiles, is_object_id};
use crate::git::{Git, GitError, TagRef};

/// The environment variable that turns the cache off (any value but empty or `0`).
pub const NO_CACHE_ENV: &str = "RELEASE_TOOL_NO_CACHE";
/// The cache directory inside the state directory.
pub const CACHE_DIR: &str = "cache";
const FILE: &str = "tags.json";
const FORMAT: u32 = 1;

/// The layout of every cache file: a format number and one entry per package.
#[derive(Debug, Default, Serialize, Deserialize)]
struct CacheFile<E> {
    format: u32,
    /// Package path (relative to the root) → entry.
    packages: BTreeMap<String, E>,
}

/// One cache file in memory, shared by the workers of a command: entries by package path,
/// read once when opened and written back (atomically, only when this run changed something,
/// only the packages still in the workspace) by [`Store::save`]. A missing, unreadable, corrupt
/// or other-format file counts as empty; a file that cannot be written is left alone. Both
/// caches (`tags.json` here, `status.json` in [`crate::git::statuscache`]) are one of these.
#[derive(Debug)]
pub(crate) struct Store<E> {
    /// `None`: off.
    path: Option<PathBuf>,
    root: PathBuf,
    format: u32,
    writable: bool,
    entries: Mutex<BTreeMap<String, E>>,
    changed: AtomicBool,
}

impl<E: Clone + Serialize + serde::de::DeserializeOwned> Store<E> {
    /// The cache file `name` of the workspace at `root` (off with `RELEASE_TOOL_NO_CACHE`);
    /// `writable`: whether [`Store::save`] may write it.
    pub(crate) fn open(root: &Path, name: &str, format: u32, writable: bool) -> Self {
        if disabled_by_env() {
            return Self::off(root);
        }
        let path = root
            .join(crate::core::fsutil::STATE_DIR)
            .join(CACHE_DIR)
            .join(name);
        let entries = match std::fs::read_to_string(&path) {
            Ok(text) => match serde_json::from_str::<CacheFile<E>>(&text) {
                Ok(file) if file.format == format => file.packages,
                Ok(_) => {
                    tracing::debug!("{}: another format, ignored", path.display());
                    BTreeMap::new()
                }
                Err(e) => {
                    tracing::debug!("{}: unreadable ({e}), ignored", path.display());
                    BTreeMap::new()
                }
            },
            Err(_) => BTreeMap::new(),
        };
        Self {
            path: Some(path),
            root: root.to_path_buf(),
            format,
            writable,
            entries: Mutex::new(entries),
            changed: AtomicBool::new(false),
        }
    }

    /// A cache that remembers nothing.
    pub(crate) fn off(root: &Path) -> Self {
        Self {
            path: None,
            root: root.to_path_buf(),
            format: 0,
            writable: false,
            entries: Mutex::new(BTreeMap::new()),
            changed: AtomicBool::new(false),
        }
    }

    /// Whether the cache is on (it may be read and filled).
    pub(crate) fn is_on(&self) -> bool {
        self.path.is_some()
    }

    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, E>> {
        // A worker that panicked cannot leave an entry half-written: entries are replaced whole.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Set the entry of `key`, noting a change (for [`Store::save`]) only when it differs.
    pub(crate) fn put(&self, key: &str, entry: E)
    where
        E: PartialEq,
    {
        let mut entries = self.lock();
        if entries.get(key) != Some(&entry) {
            entries.insert(key.to_owned(), entry);
            self.mark_changed();
        }
    }

    /// Note that this run changed an entry (so that [`Store::save`] writes the file).
    pub(crate) fn mark_changed(&self) {
        self.changed.store(true, Ordering::Relaxed);
    }

    /// Write the file when this run changed it and it may be written, keeping the entries of
    /// the packages `keep` names. Failures are logged (debug) and otherwise ignored.
    pub(crate) fn save(&self, keep: impl Fn(&str) -> bool) {
        let Some(path) = &self.path else { return };
        if !self.writable || !self.changed.load(Ordering::Relaxed) {
            return;
        }
        let mut packages = self.lock().clone();
        packages.retain(|k, _| keep(k));
        let file = CacheFile {
            format: self.format,
            packages,
        };
        let result = crate::core::fsutil::state_dir(&self.root).and_then(|_| {
            let text = serde_json::to_string(&file)?;
            crate::core::fsutil::atomic_write(path, text.as_bytes())?;
            Ok(())
        });
        if let Err(e) = result {
            tracing::debug!("cannot write the cache {}: {e:#}", path.display());
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    /// The HEAD commit everything below was computed for.
    head: String,
    /// Commits reachable from `head` (for packages without a tag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    commits: Option<u32>,
    /// The tag prefix `tags` were listed for; `None` when not listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    prefix: Option<String>,
    /// Sorted by name.
    #[serde(default)]
    tags: Vec<CachedTag>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct CachedTag {
    name: String,
    object: String,
    commit: String,
    ahead: u32,
    since: u32,
}

/// The cache of one workspace, shared by the workers of a command.
#[derive(Debug)]
pub struct TagCache {
    store: Store<Entry>,
    /// Tag distances answered without git (cached, or no tag) and counted by git, for `-v`'s
    /// summary ([`TagCache::counts`]).
    cached: AtomicUsize,
    counted: AtomicUsize,
}

/// Whether `RELEASE_TOOL_NO_CACHE` turns the caches off.
pub fn disabled_by_env() -> bool {
    std::env::var_os(NO_CACHE_ENV).is_some_and(|v| !v.is_empty() && v != "0")
}

impl TagCache {
    /// The cache of the workspace at `root`. `writable`: whether [`TagCache::save`] may write it
    /// (false for dry runs and planning, which change nothing on disk).
    pub fn open(root: &Path, writable: bool) -> Self {
        Self {
            store: Store::open(root, FILE, FORMAT, writable),
            cached: AtomicUsize::new(0),
            counted: AtomicUsize::new(0),
        }
    }

    /// A cache that remembers nothing.
    pub fn off(root: &Path) -> Self {
        Self {
            store: Store::off(root),
            cached: AtomicUsize::new(0),
            counted: AtomicUsize::new(0),
        }
    }

    /// How many packages' tag distances [`TagCache::tag_distances`] answered without git (from
    /// the cache, or no tag at all) and how many git counted, in this run.
    pub fn counts(&self) -> (usize, usize) {
        (
            self.cached.load(Ordering::Relaxed),
            self.counted.load(Ordering::Relaxed),
        )
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Entry>> {
        self.store.lock()
    }

    fn store(&self, key: &str, update: impl FnOnce(&mut Entry), head: &str) {
        if !self.store.is_on() {
            return;
        }
        let mut entries = self.lock();
        let entry = entries.entry(key.to_owned()).or_insert_with(|| Entry {
            head: head.to_owned(),
            commits: None,
            prefix: None,
            tags: Vec::new(),
        });
        if entry.head != head {
            *entry = Entry {
                head: head.to_owned(),
                commits: None,
                prefix: None,
                tags: Vec::new(),
            };
        }
        let before = entry.clone();
        update(entry);
        if *entry != before {
            self.store.mark_changed();
        }
    }

    /// The tags of the package at `key` (its path) whose name starts with `prefix`, each with
    /// `ahead` and `since` counted against the commit `head` (see
    /// [`Git::tags_with_distance`]). From the cache when it is valid; no git process at all
    /// when the repository has no such tag.
    pub fn tag_distances(
        &self,
        key: &str,
        git: &Git,
        prefix: &str,
        head: &str,
    ) -> Result<Vec<TagRef>, GitError> {
        let files = git.files();
        let disk = files.as_ref().and_then(|f| f.tags(prefix));
        if disk.as_ref().is_some_and(Vec::is_empty) {
            self.cached.fetch_add(1, Ordering::Relaxed);
            return Ok(Vec::new());
        }
        let cacheable = self.store.is_on()
            && is_object_id(head)
            && disk.is_some()
            && files.as_ref().is_some_and(RepoFiles::history_is_plain);
        if cacheable
            && let Some(disk) = &disk
            && let Some(hit) = self.lookup(key, head, prefix, disk)
        {
            self.cached.fetch_add(1, Ordering::Relaxed);
            return Ok(hit);
        }
        self.counted.fetch_add(1, Ordering::Relaxed);
        let tags = git.tags_with_distance(prefix, head)?;
        if cacheable {
            let mut cached: Option<Vec<CachedTag>> = tags
                .iter()
                .map(|t| {
                    Some(CachedTag {
                        name: t.name.clone(),
                        object: t.object.clone(),
                        commit: t.commit.clone(),
                        ahead: t.ahead?,
                        since: t.since?,
                    })
                })
                .collect();
            if let Some(cached) = &mut cached {
                cached.sort_by(|a, b| a.name.cmp(&b.name));
            }
            if let Some(cached) = cached {
                self.store(
                    key,
                    |e| {
                        e.prefix = Some(prefix.to_owned());
                        e.tags = cached;
                    },
                    head,
                );
            }
        }
        Ok(tags)
    }

    /// [`TagCache::tag_distances`] when it can be answered without a process (the
    /// repository has no such tag, or the cache holds them for `head`), else `None`: for a
    /// caller that can do without the counts and would rather not start git for them.
    pub fn cached_distances(
        &self,
        key: &str,
        git: &Git,
        prefix: &str,
        head: &str,
    ) -> Option<Vec<TagRef>> {
        let files = git.files()?;
        let disk = files.tags(prefix)?;
        if disk.is_empty() {
            return Some(Vec::new());
        }
        if !(self.store.is_on() && is_object_id(head) && files.history_is_plain()) {
            return None;
        }
        self.lookup(key, head, prefix, &disk)
    }

    fn lookup(&self, key: &str, head: &str, prefix: &str, disk: &[DiskTag]) -> Option<Vec<TagRef>> {
        let entries = self.lock();
        let entry = entries.get(key)?;
        let valid = entry.head == head
            && entry.prefix.as_deref() == Some(prefix)
            && entry.tags.len() == disk.len()
            && entry
                .tags
                .iter()
                .zip(disk)
                .all(|(c, d)| c.name == d.name && c.object == d.object);
        valid.then(|| {
            entry
                .tags
                .iter()
                .map(|c| TagRef {
                    name: c.name.clone(),
                    object: c.object.clone(),
                    commit: c.commit.clone(),
                    ahead: Some(c.ahead),
                    since: Some(c.since),
                })
                .collect()
        })
    }

    /// The number of commits reachable from the commit `head` (`git rev-list --count`).
    pub fn commit_count(&self, key: &str, git: &Git, head: &str) -> Result<u32, GitError> {
        let cacheable = self.store.is_on()
            && is_object_id(head)
            && git.files().is_some_and(|f| f.history_is_plain());
        if cacheable
            && let Some(n) = self
                .lock()
                .get(key)
                .filter(|e| e.head == head)
                .and_then(|e| e.commits)
        {
            return Ok(n);
        }
        let n = git.count_commits(None, head)?;
        if cacheable {
            self.store(key, |e| e.commits = Some(n), head);
        }
        Ok(n)
    }

    /// Write the cache when this run changed it and it may be written, keeping the entries of
    /// the packages `keep` names. Failures are logged (debug) and otherwise ignored.
    pub fn save(&self, keep: impl Fn(&str) -> bool) {
        self.store.save(keep);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(head: &str) -> Entry {
        Entry {
            head: head.to_owned(),
            commits: Some(3),
            prefix: Some("v".to_owned()),
            tags: vec![CachedTag {
                name: "v1.0".to_owned(),
                object: "a".repeat(40),
                commit: "b".repeat(40),
                ahead: 0,
                since: 2,
            }],
        }
    }

    fn disk(object: &str) -> Vec<DiskTag> {
        vec![DiskTag {
            name: "v1.0".to_owned(),
            object: object.to_owned(),
            peeled: None,
        }]
    }

    fn cache_with(root: &Path, entries: &[(&str, Entry)]) -> TagCache {
        let cache = TagCache::open(root, true);
        cache
            .lock()
            .extend(entries.iter().map(|(k, e)| ((*k).to_owned(), e.clone())));
        cache
    }

    #[test]
    fn an_entry_is_used_only_for_the_same_head_prefix_and_tags() {
        let tmp = tempfile::tempdir().unwrap();
        let head = "c".repeat(40);
        let cache = cache_with(tmp.path(), &[("packages/a", entry(&head))]);
        let a = "a".repeat(40);
        let hit = cache.lookup("packages/a", &head, "v", &disk(&a)).unwrap();
        assert_eq!(hit[0].since, Some(2));
        assert_eq!(hit[0].ahead, Some(0));
        assert_eq!(hit[0].commit, "b".repeat(40));
        // Another HEAD, prefix, package, tag object, or an extra tag: not valid.
        assert!(
            cache
                .lookup("packages/a", &"d".repeat(40), "v", &disk(&a))
                .is_none()
        );
        assert!(
            cache
                .lookup("packages/a", &head, "core-v", &disk(&a))
                .is_none()
        );
        assert!(cache.lookup("packages/b", &head, "v", &disk(&a)).is_none());
        assert!(
            cache
                .lookup("packages/a", &head, "v", &disk(&"e".repeat(40)))
                .is_none()
        );
        let mut two = disk(&a);
        two.push(DiskTag {
            name: "v2.0".to_owned(),
            object: a.clone(),
            peeled: None,
        });
        assert!(cache.lookup("packages/a", &head, "v", &two).is_none());
        assert!(cache.lookup("packages/a", &head, "v", &[]).is_none());
    }

    #[test]
    fn saves_atomically_keeps_only_live_packages_and_reads_back() {
        let tmp = tempfile::tempdir().unwrap();
        let head = "c".repeat(40);
        let cache = cache_with(
            tmp.path(),
            &[
                ("packages/a", entry(&head)),
                ("packages/gone", entry(&head)),
            ],
        );
        // Nothing changed in this run: nothing written.
        cache.save(|_| true);
        assert!(!tmp.path().join(".release_tool").exists());
        cache.store("packages/a", |e| e.commits = Some(4), &head);
        cache.save(|k| k == "packages/a");
        let state = tmp.path().join(".release_tool");
        assert_eq!(
            std::fs::read_to_string(state.join(".gitignore")).unwrap(),
            "# release-tool's own state (the journal of the last run, the lock, caches)\n*\n"
        );
        let reread = TagCache::open(tmp.path(), false);
        let entries = reread.lock().clone();
        assert_eq!(entries.keys().collect::<Vec<_>>(), ["packages/a"]);
        assert_eq!(entries["packages/a"].commits, Some(4));
        // Only the cache file itself is left (no temporary files).
        let names: Vec<String> = std::fs::read_dir(state.join(CACHE_DIR))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, [FILE]);
    }

    #[test]
    fn a_read_only_cache_never_writes() {
        let tmp = tempfile::tempdir().unwrap();
        let head = "c".repeat(40);
        let cache = TagCache::open(tmp.path(), false);
        cache.store("packages/a", |e| e.commits = Some(1), &head);
        cache.save(|_| true);
        assert!(!tmp.path().join(".release_tool").exists());
    }

    #[test]
    fn a_new_head_replaces_the_entry() {
        let tmp = tempfile::tempdir().unwrap();
        let head = "c".repeat(40);
        let cache = cache_with(tmp.path(), &[("packages/a", entry(&head))]);
        let new = "d".repeat(40);
        cache.store("packages/a", |e| e.commits = Some(9), &new);
        let e = cache.lock()["packages/a"].clone();
        assert_eq!(
            (e.head.as_str(), e.commits, e.prefix),
            (new.as_str(), Some(9), None)
        );
        assert!(e.tags.is_empty());
    }

    #[test]
    fn corrupt_or_foreign_files_count_as_empty() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join(".release_tool/cache");
        std::fs::create_dir_all(&dir).unwrap();
        for text in [
            "{not json",
            "",
            "{\"format\": 99, \"packages\": {}}",
            "{\"format\": 1, \"packages\": {\"p\": {\"head\": 3}}}",
            "[]",
        ] {
            std::fs::write(dir.join(FILE), text).unwrap();
            assert!(TagCache::open(tmp.path(), true).lock().is_empty(), "{text}");
        }
    }
}
