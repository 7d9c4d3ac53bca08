//! The root repository's history attributed by path: the commits since each in-tree package's
//! last tag that touch its directory, for any number of packages from ONE `git log` (plus one
//! `merge-base` when the packages' tags are on different commits), instead of one
//! `git rev-list -- <dir>` per package.
//!
//! A commit counts for a package when it is on HEAD, not reachable from the package's tag,
//! and changes a file under its directory (renames count for both sides; merges change no
//! file of their own, so only the commits they bring count).
//!
//! The listing is indexed once by directory (every directory above a changed file names the
//! commit), so a package's question costs the commits that touch it, not the whole listing;
//! "reachable from the tag" is a position in a straight history and a walk (kept per tag) in a
//! merged one. [`HistoryCache`] keeps the counts between runs.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use serde::{Deserialize, Serialize};

use super::files::{RepoFiles, is_object_id};
use super::tagcache::Store;
use super::{Git, GitError, checked};

/// One commit of the listing: its parents and the files it changes.
#[derive(Clone, Debug)]
struct Entry {
    hash: String,
    parents: Vec<String>,
    files: Vec<String>,
}

/// The listed commits reachable from one commit.
#[derive(Debug)]
enum Reach {
    /// Every entry from this index on (a straight history lists ancestors after a commit).
    From(usize),
    /// These entries (a walk over the parents).
    Set(Vec<bool>),
}

impl Reach {
    fn contains(&self, i: usize) -> bool {
        match self {
            Self::From(start) => i >= *start,
            Self::Set(set) => set.get(i).copied().unwrap_or(false),
        }
    }
}

/// The commits of `HEAD ^bound` with the files each changes (newest first).
#[derive(Debug)]
pub struct PathHistory {
    head: String,
    /// The commit every listed commit descends from without being it (`None`: all history).
    bound: Option<String>,
    entries: Vec<Entry>,
    index: HashMap<String, usize>,
    /// Every entry's only listed parent is the next entry (no merge, nothing off the line).
    straight: bool,
    /// Directory (`a/b`, every level above each changed file) → the entries changing a file
    /// below it, newest first; built on the first question.
    by_dir: OnceLock<HashMap<String, Vec<usize>>>,
    /// Ancestor sets of the tag commits asked about, by commit.
    ancestors: Mutex<HashMap<String, Option<Arc<Reach>>>>,
}

impl PathHistory {
    /// The history of `head` back to the newest commit every one of `tags` (commits) and
    /// `head` share; all of it when `all` (a package without any tag counts every commit).
    pub fn load(git: &Git, head: &str, tags: &[&str], all: bool) -> Result<Self, GitError> {
        checked("revision", head)?;
        let mut distinct: Vec<&str> = tags.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        let bound = if all || distinct.is_empty() {
            None
        } else if let [one] = distinct.as_slice() {
            // `HEAD ^T` is exactly "on HEAD, not reachable from T".
            Some((*one).to_owned())
        } else {
            let mut args = vec!["merge-base", "--octopus", head];
            for t in &distinct {
                args.push(checked("revision", t)?);
            }
            git.run(args)?
                .lines()
                .next()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let mut args = vec![
            "-c",
            "core.quotePath=false",
            "log",
            "--no-renames",
            "--name-only",
            "--format=%x01%H %P",
            head,
        ];
        let not;
        if let Some(b) = &bound {
            not = format!("^{}", checked("revision", b)?);
            args.push(&not);
        }
        args.push("--");
        let out = git.run(args)?;
        Ok(Self::parse(head, bound, &out))
    }

    fn parse(head: &str, bound: Option<String>, out: &str) -> Self {
        let mut entries: Vec<Entry> = Vec::new();
        for line in out.lines() {
            if let Some(header) = line.strip_prefix('\u{1}') {
                let mut parts = header.split(' ').filter(|s| !s.is_empty());
                let hash = parts.next().unwrap_or_default().to_owned();
                entries.push(Entry {
                    hash,
                    parents: parts.map(str::to_owned).collect(),
                    files: Vec::new(),
                });
            } else if !line.is_empty()
                && let Some(e) = entries.last_mut()
            {
                e.files.push(line.to_owned());
            }
        }
        let index: HashMap<String, usize> = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.hash.clone(), i))
            .collect();
        let straight = entries.iter().enumerate().all(|(i, e)| {
            let listed: Vec<&String> = e
                .parents
                .iter()
                .filter(|p| index.contains_key(*p))
                .collect();
            match entries.get(i + 1) {
                Some(next) => e.parents.len() == 1 && listed == [&next.hash],
                None => e.parents.len() <= 1 && listed.is_empty(),
            }
        });
        Self {
            head: head.to_owned(),
            bound,
            entries,
            index,
            straight,
            by_dir: OnceLock::new(),
            ancestors: Mutex::default(),
        }
    }

    /// The entries changing a file below `dir`, newest first.
    fn touching(&self, dir: &str) -> &[usize] {
        let by_dir = self.by_dir.get_or_init(|| {
            let mut map: HashMap<String, Vec<usize>> = HashMap::new();
            for (i, e) in self.entries.iter().enumerate() {
                for file in &e.files {
                    let mut end = 0;
                    while let Some(slash) = file[end..].find('/') {
                        end += slash;
                        let list = map.entry(file[..end].to_owned()).or_default();
                        if list.last() != Some(&i) {
                            list.push(i);
                        }
                        end += 1;
                    }
                }
            }
            map
        });
        by_dir
            .get(dir.trim_end_matches('/'))
            .map_or(&[], Vec::as_slice)
    }

    /// The listed commits reachable from `tag` (`None`: it is not listed, and not the bound).
    fn ancestors_of(&self, tag: &str) -> Option<Arc<Reach>> {
        if let Some(known) = self
            .ancestors
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(tag)
        {
            return known.clone();
        }
        let found = if self.bound.as_deref() == Some(tag) {
            Some(Reach::From(self.entries.len()))
        } else if let Some(&start) = self.index.get(tag) {
            if self.straight {
                Some(Reach::From(start))
            } else {
                let mut seen = vec![false; self.entries.len()];
                let mut stack = vec![start];
                while let Some(i) = stack.pop() {
                    if !std::mem::replace(&mut seen[i], true) {
                        for p in &self.entries[i].parents {
                            if let Some(&j) = self.index.get(p) {
                                stack.push(j);
                            }
                        }
                    }
                }
                Some(Reach::Set(seen))
            }
        } else {
            None
        }
        .map(Arc::new);
        self.ancestors
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(tag.to_owned(), found.clone());
        found
    }

    /// Whether `tag` (a commit; `None`: no tag) is an ancestor of HEAD, as far as the listing
    /// can tell: it is listed, or it is the bound.
    pub fn on_line(&self, tag: Option<&str>) -> bool {
        match tag {
            None => true,
            Some(t) => self.ancestors_of(t).is_some(),
        }
    }

    /// The commits on HEAD since `tag` (a commit; `None`: since the start) that change a file
    /// under `dir`, newest first. Asks git (`rev-list <tag>..HEAD -- <dir>`) only for a tag
    /// the listing cannot place (one off HEAD's line).
    pub fn commits_since(
        &self,
        git: &Git,
        tag: Option<&str>,
        dir: &str,
    ) -> Result<Vec<String>, GitError> {
        let excluded = match tag {
            None if self.bound.is_none() => None,
            None => return rev_list(git, None, &self.head, dir),
            Some(t) => match self.ancestors_of(t) {
                Some(set) => Some(set),
                None => return rev_list(git, Some(t), &self.head, dir),
            },
        };
        Ok(self
            .touching(dir)
            .iter()
            .filter(|&&i| excluded.as_ref().is_none_or(|x| !x.contains(i)))
            .map(|&i| self.entries[i].hash.clone())
            .collect())
    }
}

/// `git rev-list [<from>..]<to> -- <dir>`, non-merge commits, newest first.
fn rev_list(git: &Git, from: Option<&str>, to: &str, dir: &str) -> Result<Vec<String>, GitError> {
    let range = super::range(from, to)?;
    let out = git.run([
        "rev-list",
        "--no-merges",
        &range,
        "--",
        checked("path", dir)?,
    ])?;
    Ok(out.lines().map(str::to_owned).collect())
}

/// The newest commit of HEAD that changes a file under `dir` (`None`: none does).
pub fn newest_commit_touching(git: &Git, dir: &str) -> Result<Option<String>, GitError> {
    let literal = format!(":(literal){}", checked("path", dir)?);
    let out = git.run(["rev-list", "-1", "HEAD", "--", &literal])?;
    Ok(out.lines().next().map(str::to_owned))
}

/// The commits of `<from>..<to>` (or all of `to`) that change a file under `dir`, newest
/// first, one git call: for one package (`changes`, `notes`, release planning).
pub fn commits_touching(
    git: &Git,
    from: Option<&str>,
    to: &str,
    dir: &str,
) -> Result<Vec<String>, GitError> {
    rev_list(git, from, to, dir)
}

/// `.release_tool/cache/in_tree.json`: for each in-tree package (by path), the root's HEAD
/// commit, its last tag's commit and the number of commits [`PathHistory::commits_since`]
/// counted between them, so that a repeated `status` of in-tree packages reads no history at
/// all. Commits never change, so an entry holds while HEAD and the tag's commit are the same; it
/// is used only when the root's ancestry is plain (no shallow clone, grafts or replace refs) and
/// its HEAD reads from the files. Like the other caches ([`crate::git::tagcache`]): derived data,
/// written by `status` only, a missing or corrupt file counts as empty, `RELEASE_TOOL_NO_CACHE=1`
/// turns it off.
///
/// `peeled.json` beside it keeps the commit each annotated tag object of the root peels to (a
/// tag object never changes), so that a thousand tags cost their ref files only, not their
/// objects too.
#[derive(Debug)]
pub struct HistoryCache {
    store: Store<CachedCount>,
    /// Tag object → the commit it peels to.
    peels: Store<String>,
    /// The tag objects asked about in this run (the ones `peeled.json` keeps).
    asked: Mutex<std::collections::HashSet<String>>,
    /// Whether the root's ancestry may be cached (see above).
    plain: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct CachedCount {
    head: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tag: Option<String>,
    since: u32,
    /// The tag is an ancestor of `head` (or there is none): every commit a later HEAD adds on
    /// top of `head` is then one more commit since the tag ([`HistoryCache::prior`]).
    #[serde(default)]
    on_line: bool,
}

const HISTORY_FILE: &str = "in_tree.json";
const HISTORY_FORMAT: u32 = 1;
const PEELS_FILE: &str = "peeled.json";
const PEELS_FORMAT: u32 = 1;

impl HistoryCache {
    /// The cache of the workspace at `root` (whose repository is the root's own);
    /// `writable`: whether [`HistoryCache::save`] may write it.
    pub fn open(root: &Path, writable: bool) -> Self {
        let plain = RepoFiles::open(root).is_some_and(|f| f.history_is_plain());
        Self {
            store: Store::open(root, HISTORY_FILE, HISTORY_FORMAT, writable),
            peels: Store::open(root, PEELS_FILE, PEELS_FORMAT, writable),
            asked: Mutex::default(),
            plain,
        }
    }

    /// The commit the tag object `object` peels to: from the cache, else from `peel` (and
    /// kept). `None` when `peel` cannot tell.
    pub fn peeled(&self, object: &str, peel: impl FnOnce() -> Option<String>) -> Option<String> {
        // Replace refs could make git peel differently: no cache then, as for the counts.
        if !(self.plain && is_object_id(object)) {
            return peel();
        }
        self.asked
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(object.to_owned());
        if let Some(commit) = self.peels.lock().get(object) {
            return Some(commit.clone());
        }
        let commit = peel()?;
        if self.peels.is_on() && is_object_id(&commit) {
            self.peels.put(object, commit.clone());
        }
        Some(commit)
    }

    /// The count stored for the package at `key`, when it was counted at `head` since `tag`.
    pub fn get(&self, key: &str, head: &str, tag: Option<&str>) -> Option<u32> {
        if !(self.plain && self.store.is_on() && is_object_id(head)) {
            return None;
        }
        self.store
            .lock()
            .get(key)
            .filter(|e| e.head == head && e.tag.as_deref() == tag)
            .map(|e| e.since)
    }

    /// The count stored for the package at `key` at another HEAD, for the same `tag`, when
    /// the tag is an ancestor of that HEAD: `(head, since)`. When that HEAD is an ancestor of
    /// today's, today's count is `since` plus the commits between them that touch its directory.
    pub fn prior(&self, key: &str, tag: Option<&str>) -> Option<(String, u32)> {
        if !(self.plain && self.store.is_on()) {
            return None;
        }
        self.store
            .lock()
            .get(key)
            .filter(|e| e.on_line && e.tag.as_deref() == tag && is_object_id(&e.head))
            .map(|e| (e.head.clone(), e.since))
    }

    /// Remember a count (see [`HistoryCache::get`]); `on_line`: the tag is an ancestor of
    /// `head` (or there is none).
    pub fn put(&self, key: &str, head: &str, tag: Option<&str>, since: u32, on_line: bool) {
        if !(self.plain && self.store.is_on() && is_object_id(head)) {
            return;
        }
        let entry = CachedCount {
            head: head.to_owned(),
            tag: tag.map(str::to_owned),
            since,
            on_line,
        };
        self.store.put(key, entry);
    }

    /// Write the file when this run changed it, keeping the packages `keep` names.
    pub fn save(&self, keep: impl Fn(&str) -> bool) {
        self.store.save(keep);
        let asked = self.asked.lock().unwrap_or_else(PoisonError::into_inner);
        self.peels.save(|object| asked.contains(object));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_commits_by_path() {
        let out = "\u{1}c3 c2\n\npackages/a/x.py\nLICENSE\n\u{1}c2 c1\n\npackages/b/y.py\n\u{1}c1\n\npackages/a/z\n";
        let h = PathHistory::parse("c3", None, out);
        let git = Git::new("/nonexistent");
        assert_eq!(
            h.commits_since(&git, None, "packages/a").unwrap(),
            ["c3", "c1"]
        );
        assert_eq!(
            h.commits_since(&git, Some("c2"), "packages/a").unwrap(),
            ["c3"]
        );
        assert!(
            h.commits_since(&git, Some("c3"), "packages/b")
                .unwrap()
                .is_empty()
        );
        // `packages/ab` is not under `packages/a`.
        assert!(
            h.commits_since(&git, None, "packages/ab")
                .unwrap()
                .is_empty()
        );
        // A file directly in `packages` names no package directory below it.
        assert!(h.straight);
        assert_eq!(h.commits_since(&git, None, "packages/").unwrap().len(), 3);
    }

    #[test]
    fn a_merged_history_is_walked_from_the_tag() {
        // m merges side (s2 <- s1) into main (c2); both lines start at c1, the bound is c0.
        //   c0 - c1 - c2 ------ m
        //          \- s1 - s2 -/
        let out = "\u{1}m c2 s2\n\n\u{1}s2 s1\n\npackages/a/s2\n\u{1}c2 c1\n\npackages/a/c2\n\u{1}s1 c1\n\npackages/a/s1\n\u{1}c1 c0\n\npackages/a/c1\n";
        let h = PathHistory::parse("m", Some("c0".to_owned()), out);
        assert!(!h.straight);
        let git = Git::new("/nonexistent");
        // From c2: s1 and s2 are not its ancestors, though listed after it.
        assert_eq!(
            h.commits_since(&git, Some("c2"), "packages/a").unwrap(),
            ["s2", "s1"]
        );
        assert_eq!(
            h.commits_since(&git, Some("s1"), "packages/a").unwrap(),
            ["s2", "c2"]
        );
        assert_eq!(
            h.commits_since(&git, Some("c0"), "packages/a").unwrap(),
            ["s2", "c2", "s1", "c1"]
        );
    }

    #[test]
    fn a_straight_history_is_cut_at_the_tag_s_place() {
        let out =
            "\u{1}c3 c2\n\npackages/a/x\n\u{1}c2 c1\n\npackages/a/y\n\u{1}c1 c0\n\npackages/a/z\n";
        let h = PathHistory::parse("c3", Some("c0".to_owned()), out);
        assert!(h.straight);
        let git = Git::new("/nonexistent");
        assert_eq!(
            h.commits_since(&git, Some("c2"), "packages/a").unwrap(),
            ["c3"]
        );
        assert_eq!(
            h.commits_since(&git, Some("c0"), "packages/a").unwrap(),
            ["c3", "c2", "c1"]
        );
        // A commit the listing does not hold is asked of git (here: no repository, an error).
        assert!(h.commits_since(&git, Some("zz"), "packages/a").is_err());
    }

    #[test]
    fn the_history_cache_holds_a_count_for_its_head_and_tag_only() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        crate::git::test_support::git(root, &["init", "--quiet", "-b", "main"]);
        let head = "a".repeat(40);
        let tag = "b".repeat(40);
        let cache = HistoryCache::open(root, true);
        cache.put("packages/a", &head, Some(&tag), 3, true);
        cache.put("packages/b", &head, None, 5, false);
        assert_eq!(
            cache.prior("packages/a", Some(&tag)),
            Some((head.clone(), 3))
        );
        assert_eq!(cache.prior("packages/a", None), None, "another tag");
        assert_eq!(cache.prior("packages/b", None), None, "not on HEAD's line");
        assert_eq!(cache.get("packages/a", &head, Some(&tag)), Some(3));
        assert_eq!(cache.get("packages/a", &head, None), None);
        assert_eq!(cache.get("packages/a", &"c".repeat(40), Some(&tag)), None);
        assert_eq!(
            cache.peeled(&"d".repeat(40), || Some("e".repeat(40))),
            Some("e".repeat(40))
        );
        cache.save(|key| key == "packages/a");
        let again = HistoryCache::open(root, false);
        assert_eq!(again.get("packages/a", &head, Some(&tag)), Some(3));
        assert_eq!(again.get("packages/b", &head, None), None, "not kept");
        // A kept peel is used without peeling again.
        assert_eq!(
            again.peeled(&"d".repeat(40), || panic!("peeled again")),
            Some("e".repeat(40))
        );
        // A shallow clone's ancestry is never cached.
        std::fs::write(root.join(".git/shallow"), format!("{head}\n")).unwrap();
        let shallow = HistoryCache::open(root, true);
        assert_eq!(shallow.get("packages/a", &head, Some(&tag)), None);
    }
}
