//! The root repository's history attributed by path: the commits since each in-tree package's
//! last tag that touch its directory, for any number of packages from ONE `git log` (plus one
//! `merge-base` when the packages' tags are on different commits), instead of one
//! `git rev-list -- <dir>` per package.
//!
//! A commit counts for a package when it is on HEAD, not reachable from the package's tag,
//! and changes a file under its directory (renames count for both sides; merges change no
//! file of their own, so only the commits they bring count).

use std::collections::{HashMap, HashSet};

use super::{Git, GitError, checked};

/// One commit of the listing: its parents and the files it changes.
#[derive(Clone, Debug)]
struct Entry {
    hash: String,
    parents: Vec<String>,
    files: Vec<String>,
}

/// The commits of `HEAD ^bound` with the files each changes (newest first).
#[derive(Debug)]
pub struct PathHistory {
    head: String,
    /// The commit every listed commit descends from without being it (`None`: all history).
    bound: Option<String>,
    entries: Vec<Entry>,
    index: HashMap<String, usize>,
    /// Ancestor sets (indexes into `entries`) of the tag commits asked about, by commit.
    ancestors: std::sync::Mutex<HashMap<String, Option<std::sync::Arc<HashSet<usize>>>>>,
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
        let index = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.hash.clone(), i))
            .collect();
        Self {
            head: head.to_owned(),
            bound,
            entries,
            index,
            ancestors: std::sync::Mutex::default(),
        }
    }

    /// The listed commits reachable from `tag` (`None`: it is not listed, and not the bound).
    fn ancestors_of(&self, tag: &str) -> Option<std::sync::Arc<HashSet<usize>>> {
        if let Some(known) = self
            .ancestors
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(tag)
        {
            return known.clone();
        }
        let found = if self.bound.as_deref() == Some(tag) {
            Some(HashSet::new())
        } else if let Some(&start) = self.index.get(tag) {
            let mut seen = HashSet::new();
            let mut stack = vec![start];
            while let Some(i) = stack.pop() {
                if seen.insert(i) {
                    for p in &self.entries[i].parents {
                        if let Some(&j) = self.index.get(p) {
                            stack.push(j);
                        }
                    }
                }
            }
            Some(seen)
        } else {
            None
        }
        .map(std::sync::Arc::new);
        self.ancestors
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(tag.to_owned(), found.clone());
        found
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
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        let touches = |e: &Entry| e.files.iter().any(|f| f.starts_with(&prefix));
        let excluded = match tag {
            None if self.bound.is_none() => None,
            None => return rev_list(git, None, &self.head, dir),
            Some(t) => match self.ancestors_of(t) {
                Some(set) => Some(set),
                None => return rev_list(git, Some(t), &self.head, dir),
            },
        };
        Ok(self
            .entries
            .iter()
            .enumerate()
            .filter(|(i, e)| excluded.as_ref().is_none_or(|x| !x.contains(i)) && touches(e))
            .map(|(_, e)| e.hash.clone())
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
    }
}
