//! Reads of refs, tags and commit graphs in-process, with gitoxide (`gix`): no git process for
//! the questions `status`, release planning and the executor's guards ask per package.
//!
//! Only ever *reading*; everything that writes goes through [`crate::git::Git`]. Each answer is
//! the one git gives for the same question on the same repository (cross-checked in the tests
//! below against git itself), or `None`: "don't know, ask git". `None` comes whenever the
//! repository is not one this module understands for certain: an environment that redirects
//! git (`GIT_DIR`, ...), the reftable backend, grafts or replace refs, a config with includes,
//! a git directory not fully trusted, a revision syntax beyond the simple forms below, a missing
//! object, a symbolic tag ref, a nested or non-commit tag where distances are asked. A wrong
//! answer is never traded for speed.
//!
//! Shallow clones are understood: the commits in the `shallow` file have no parents, as for
//! git, so the counts are git's counts of what exists.

// `Option<Option<T>>` throughout, on purpose: the outer `None` is "don't know, ask git", the
// inner one git's own "nothing".
#![allow(clippy::option_option)]

use std::collections::{HashMap, HashSet};
use std::path::Path;

use gix::ObjectId;
use gix::objs::{Find as _, Kind};

use crate::git::TagRef;
use crate::git::files::RepoFiles;

/// One file of [`LocalRepo::changed_files`]: its path (`/`-separated bytes from the top) and
/// its mode and object before and after (`None`: the file does not exist on that side).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    pub path: Vec<u8>,
    pub old: Option<(u32, ObjectId)>,
    pub new: Option<(u32, ObjectId)>,
}

/// A tree entry as [`LocalRepo::changed_files`] compares them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TreeEntry {
    Tree(ObjectId),
    /// A file's (or submodule's) mode and object.
    File(u32, ObjectId),
}

/// A repository opened for reading (see the module documentation).
pub struct LocalRepo {
    repo: gix::Repository,
    /// The commits of the shallow boundary (empty when the clone is complete).
    shallow: HashSet<ObjectId>,
    /// The git directory (per worktree) and the common directory: files there that look like a
    /// ref name make a short name mean something else to git.
    git_dir: std::path::PathBuf,
    common_dir: std::path::PathBuf,
    /// Whether the repository's config leaves `git log`'s output as the objects say (no
    /// mailmap, encoding or signature settings): see [`LocalRepo::log`].
    log_config_plain: bool,
}

/// The commits reachable from a few tips, with their parents (indices), for counting.
struct Graph {
    parents: Vec<Vec<usize>>,
    /// For each commit, one bit per tip that reaches it.
    bits: Vec<u64>,
    words: usize,
}

impl Graph {
    fn has(&self, node: usize, tip: usize) -> bool {
        self.bits[node * self.words + tip / 64] & (1 << (tip % 64)) != 0
    }

    /// The commits reachable from tip `a` but not from tip `b`.
    fn count_only(&self, a: usize, b: usize) -> u32 {
        let n = (0..self.parents.len())
            .filter(|&i| self.has(i, a) && !self.has(i, b))
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }
}

impl LocalRepo {
    /// The repository whose work tree (or, for a submodule or linked worktree, whose `.git`
    /// file) is at `dir`; `None` when it is not one this module reads for certain.
    pub fn open(dir: &Path) -> Option<Self> {
        // RepoFiles refuses a redirecting environment and anything but `<dir>/.git`.
        let files = RepoFiles::open(dir)?;
        if files.uses_reftable() || files.config_text().is_none() || files.history_rewritten() {
            return None;
        }
        let log_config_plain = files
            .config_text()
            .is_some_and(|t| !mentions_log_settings(&t));
        let repo = gix::open_opts(dir, gix::open::Options::isolated()).ok()?;
        if repo.git_dir_trust() != gix::sec::Trust::Full
            || repo.object_hash() != gix::hash::Kind::Sha1
            || !same_dir(repo.git_dir(), files.git_dir())
            || !same_dir(repo.common_dir(), files.common_dir())
        {
            return None;
        }
        let shallow = match repo.shallow_commits() {
            Ok(Some(commits)) => commits.iter().copied().collect(),
            Ok(None) => HashSet::new(),
            Err(_) => return None,
        };
        Some(Self {
            repo,
            shallow,
            git_dir: files.git_dir().to_owned(),
            common_dir: files.common_dir().to_owned(),
            log_config_plain,
        })
    }

    /// The kind of the object `id` and its data; `None` when it is missing or unreadable.
    fn object(&self, id: &ObjectId, buf: &mut Vec<u8>) -> Option<Kind> {
        Some(self.repo.objects.try_find(id, buf).ok()??.kind)
    }

    /// The object `id` peeled through tags: `Some(Some(commit))`, `Some(None)` when it ends at
    /// a tree or blob (git's `^{commit}` fails), `None` when an object is missing.
    /// The commit the object `object` (a tag's target, hex) peels to; `None` when it is not a
    /// commit in the end, or when unsure.
    pub fn peel_tag_object(&self, object: &str) -> Option<String> {
        let id = ObjectId::from_hex(object.as_bytes()).ok()?;
        self.peel_to_commit(id)?.map(|c| c.to_string())
    }

    fn peel_to_commit(&self, id: ObjectId) -> Option<Option<ObjectId>> {
        let mut buf = Vec::new();
        let mut id = id;
        // Tags of tags of tags: git peels any depth; a cycle is impossible with hashes, but a
        // bound keeps a corrupt repository from spinning.
        for _ in 0..64 {
            match self.object(&id, &mut buf)? {
                Kind::Commit => return Some(Some(id)),
                Kind::Tag => {
                    let tag = gix::objs::TagRef::from_bytes(&buf, self.repo.object_hash()).ok()?;
                    id = tag.target();
                }
                Kind::Tree | Kind::Blob => return Some(None),
            }
        }
        None
    }

    /// The first parent of `commit` (`None` inside: a missing object; `Some(None)`: a root or
    /// shallow boundary commit).
    fn first_parent(&self, commit: ObjectId) -> Option<Option<ObjectId>> {
        Some(self.parents(commit, &mut Vec::new())?.into_iter().next())
    }

    fn parents(&self, commit: ObjectId, buf: &mut Vec<u8>) -> Option<Vec<ObjectId>> {
        if self.shallow.contains(&commit) {
            return Some(Vec::new());
        }
        if self.object(&commit, buf)? != Kind::Commit {
            return None;
        }
        Some(
            gix::objs::CommitRefIter::from_bytes(buf, self.repo.object_hash())
                .parent_ids()
                .collect(),
        )
    }

    /// The object a full ref name points to, following symbolic refs: `Some(Some(id))`,
    /// `Some(None)` when there is no such ref, `None` when unsure.
    fn read_ref(&self, name: &str) -> Option<Option<ObjectId>> {
        let found = self.repo.try_find_reference(name).ok()?;
        let Some(mut reference) = found else {
            return Some(None);
        };
        // gix also guesses (`refs/tags/<name>`, ...): only the exact ref is the answer.
        if reference.name().as_bstr() != name.as_bytes() {
            return None;
        }
        match reference.target() {
            gix::refs::TargetRef::Object(id) => Some(Some(id.to_owned())),
            // A symbolic ref: git resolves it, and a dangling one is no ref (for dwim).
            gix::refs::TargetRef::Symbolic(_) => reference
                .follow_to_object()
                .ok()
                .map(|id| Some(id.detach())),
        }
    }

    /// What `rev` names, peeled to a commit, as `git rev-parse --verify --quiet <rev>^{commit}`
    /// answers: `Some(Some(commit))`, `Some(None)` when git says it names no commit, `None`
    /// when unsure. Understood: `HEAD`, ref names (full or short, resolved as git does: the
    /// name itself, then under `refs/`, `refs/tags/`, `refs/heads/`, `refs/remotes/`,
    /// `refs/remotes/<name>/HEAD`), a full object id, each optionally followed by `^` (the
    /// first parent) and/or `^{commit}`.
    pub fn resolve(&self, rev: &str) -> Option<Option<String>> {
        let (rev, parent) = split_suffixes(rev)?;
        let Some(start) = self.resolve_name(rev)? else {
            return Some(None);
        };
        let Some(commit) = self.peel_to_commit(start)? else {
            return Some(None);
        };
        let commit = if parent {
            match self.first_parent(commit)? {
                Some(p) => p,
                None => return Some(None),
            }
        } else {
            commit
        };
        Some(Some(commit.to_string()))
    }

    /// The object a plain name (no suffix) means: `Some(None)` when git finds nothing.
    fn resolve_name(&self, name: &str) -> Option<Option<ObjectId>> {
        if name.len() == 40 && crate::git::files::is_object_id(name) {
            // git takes a full id as it is; a missing object is a question for git (a partial
            // clone fetches it).
            let id = ObjectId::from_hex(name.as_bytes()).ok()?;
            return self.repo.has_object(id).then_some(Some(id));
        }
        if name == "HEAD" {
            return match self.repo.head().ok()?.kind {
                gix::head::Kind::Unborn(_) => Some(None),
                gix::head::Kind::Detached { target, .. } => Some(Some(target)),
                gix::head::Kind::Symbolic(r) => match r.target {
                    gix::refs::Target::Object(id) => Some(Some(id)),
                    gix::refs::Target::Symbolic(_) => None,
                },
            };
        }
        if !is_simple_ref_name(name) {
            return None;
        }
        let mut candidates: Vec<String> = Vec::with_capacity(6);
        if name.starts_with("refs/") {
            candidates.push(name.to_owned());
        } else if self.git_dir.join(name).exists() || self.common_dir.join(name).exists() {
            // git reads `<git dir>/<name>` first for some names (pseudo refs): leave it to git.
            return None;
        }
        for pattern in [
            "refs/{}",
            "refs/tags/{}",
            "refs/heads/{}",
            "refs/remotes/{}",
            "refs/remotes/{}/HEAD",
        ] {
            candidates.push(pattern.replace("{}", name));
        }
        for candidate in &candidates {
            if let Some(id) = self.read_ref(candidate)? {
                return Some(Some(id));
            }
        }
        // No ref: git would then try the name as a short object id or as `describe` output
        // (`...-g<hex>`): only a name that cannot be either is certainly nothing.
        let hexish = name.len() >= 4 && name.bytes().all(|b| b.is_ascii_hexdigit());
        let describe = name
            .rsplit_once("-g")
            .is_some_and(|(_, h)| h.len() >= 4 && h.bytes().all(|b| b.is_ascii_hexdigit()));
        (!hexish && !describe).then_some(None)
    }

    /// The branch HEAD names (`git symbolic-ref --short HEAD`), `Some(None)` when detached;
    /// `None` when unsure (HEAD names something other than a branch, or the short name would
    /// be ambiguous, where git shortens differently).
    pub fn current_branch(&self) -> Option<Option<String>> {
        let head = self.repo.head().ok()?;
        let Some(name) = head.referent_name() else {
            return Some(None);
        };
        let name = std::str::from_utf8(name.as_bstr()).ok()?;
        let short = name.strip_prefix("refs/heads/")?;
        if short.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
            || self.git_dir.join(short).exists()
            || self.common_dir.join(short).exists()
            || self.read_ref(&format!("refs/{short}"))?.is_some()
            || self.read_ref(&format!("refs/tags/{short}"))?.is_some()
        {
            return None;
        }
        Some(Some(short.to_owned()))
    }

    /// The commit HEAD resolves to and the branch it names (short, only under `refs/heads/`),
    /// as `git rev-parse HEAD --symbolic-full-name HEAD` tells them: `Some(None)` when HEAD
    /// names no commit (an unborn branch), `None` when unsure.
    pub fn head_and_branch(&self) -> Option<Option<(String, Option<String>)>> {
        let head = self.repo.head().ok()?;
        let branch = match head.referent_name() {
            Some(name) => std::str::from_utf8(name.as_bstr())
                .ok()?
                .strip_prefix("refs/heads/")
                .map(str::to_owned),
            None => None,
        };
        let commit = self.resolve("HEAD")?;
        Some(commit.map(|c| (c, branch)))
    }

    /// The tags whose name starts with `prefix` (as `git for-each-ref refs/tags/<prefix>*`
    /// matches them: the rest holds no `/`), sorted by name, each with its object and the
    /// commit it peels to. `None` when unsure (a symbolic tag ref, a tag of something other
    /// than a commit, a missing object, glob characters in the prefix).
    pub fn tags(&self, prefix: &str) -> Option<Vec<TagRef>> {
        if prefix.contains(['*', '?', '[', '\\']) || prefix.starts_with('/') {
            return None;
        }
        let full_prefix = format!("refs/tags/{prefix}");
        let platform = self.repo.references().ok()?;
        let iter = platform.prefixed(full_prefix.as_str()).ok()?;
        let mut tags = Vec::new();
        for reference in iter {
            let reference = reference.ok()?;
            let full = std::str::from_utf8(reference.name().as_bstr()).ok()?;
            let Some(rest) = full.strip_prefix(&full_prefix) else {
                continue;
            };
            if rest.contains('/') {
                continue;
            }
            let gix::refs::TargetRef::Object(object) = reference.target() else {
                return None;
            };
            let object = object.to_owned();
            let commit = self.peel_to_commit(object)??;
            tags.push(TagRef {
                name: full["refs/tags/".len()..].to_owned(),
                object: object.to_string(),
                commit: commit.to_string(),
                ahead: None,
                since: None,
            });
        }
        tags.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
        Some(tags)
    }

    /// [`LocalRepo::tags`], each with `ahead` (commits of the tag not on `head`) and `since`
    /// (commits of `head` not on the tag), counted in one walk for all tags, as
    /// `for-each-ref --format=%(ahead-behind:<head>)` does.
    pub fn tags_with_distance(&self, prefix: &str, head: &str) -> Option<Vec<TagRef>> {
        let mut tags = self.tags(prefix)?;
        if tags.is_empty() {
            return Some(tags);
        }
        let head = self.resolve_commit(head)?;
        let mut tips = vec![head];
        let mut index: HashMap<ObjectId, usize> = HashMap::from([(head, 0)]);
        let mut of_tag = Vec::with_capacity(tags.len());
        for tag in &tags {
            let id = ObjectId::from_hex(tag.commit.as_bytes()).ok()?;
            let i = *index.entry(id).or_insert_with(|| {
                tips.push(id);
                tips.len() - 1
            });
            of_tag.push(i);
        }
        let graph = self.graph(&tips)?;
        for (tag, i) in tags.iter_mut().zip(of_tag) {
            tag.ahead = Some(graph.count_only(i, 0));
            tag.since = Some(graph.count_only(0, i));
        }
        Some(tags)
    }

    /// A revision that must name a commit; `None` (ask git, which says why) otherwise.
    fn resolve_commit(&self, rev: &str) -> Option<ObjectId> {
        let commit = self.resolve(rev)??;
        ObjectId::from_hex(commit.as_bytes()).ok()
    }

    /// `git rev-list --count from..to` (all of `to` without `from`).
    pub fn count_commits(&self, from: Option<&str>, to: &str) -> Option<u32> {
        let to = self.resolve_commit(to)?;
        match from {
            None => {
                let graph = self.graph(&[to])?;
                u32::try_from(graph.parents.len()).ok()
            }
            Some(from) => {
                let from = self.resolve_commit(from)?;
                Some(self.graph(&[to, from])?.count_only(0, 1))
            }
        }
    }

    /// `git rev-list --left-right --count a...b`: commits on `a` not on `b`, and on `b` not on
    /// `a`.
    pub fn ahead_behind(&self, a: &str, b: &str) -> Option<(u32, u32)> {
        let (a, b) = (self.resolve_commit(a)?, self.resolve_commit(b)?);
        let graph = self.graph(&[a, b])?;
        Some((graph.count_only(0, 1), graph.count_only(1, 0)))
    }

    /// Every file of the tree of `commit` (a full object id), as `git ls-tree -r` lists them:
    /// the path (`/`-separated bytes), the mode (`0o100_644`, `0o100_755`, `0o120_000`,
    /// `0o160_000`) and the object, sorted by path bytes (the index's order). `None` when an object is missing or a
    /// mode is not one of git's canonical ones (git would read it differently).
    pub fn tree_files(&self, commit: &str) -> Option<Vec<(Vec<u8>, u32, ObjectId)>> {
        use gix::objs::tree::EntryKind;
        let commit = ObjectId::from_hex(commit.as_bytes()).ok()?;
        let mut buf = Vec::new();
        if self.object(&commit, &mut buf)? != Kind::Commit {
            return None;
        }
        let root = gix::objs::CommitRefIter::from_bytes(&buf, self.repo.object_hash())
            .tree_id()
            .ok()?;
        let mut files = Vec::new();
        let mut stack: Vec<(Vec<u8>, ObjectId)> = vec![(Vec::new(), root)];
        let mut trees = 0usize;
        while let Some((prefix, tree)) = stack.pop() {
            trees += 1;
            if trees > 100_000 || self.object(&tree, &mut buf)? != Kind::Tree {
                return None;
            }
            let mut subtrees = Vec::new();
            for entry in gix::objs::TreeRefIter::from_bytes(&buf, self.repo.object_hash()) {
                let entry = entry.ok()?;
                let mut path = prefix.clone();
                if !path.is_empty() {
                    path.push(b'/');
                }
                path.extend_from_slice(entry.filename);
                let raw = entry.mode.value();
                let mode = match entry.mode.kind() {
                    EntryKind::Tree if raw == 0o40000 => {
                        subtrees.push((path, entry.oid.to_owned()));
                        continue;
                    }
                    EntryKind::Blob if raw == 0o100_644 => 0o100_644,
                    EntryKind::BlobExecutable if raw == 0o100_755 => 0o100_755,
                    EntryKind::Link if raw == 0o120_000 => 0o120_000,
                    EntryKind::Commit if raw == 0o160_000 => 0o160_000,
                    _ => return None,
                };
                files.push((path, mode, entry.oid.to_owned()));
            }
            stack.extend(subtrees.into_iter().rev());
        }
        // A tree's entries sort directories as `name/`: sort the full paths as the index does.
        files.sort_by(|a, b| a.0.cmp(&b.0));
        Some(files)
    }

    /// The text of the regular file `path` (`/`-separated, relative to the top) in the tree of
    /// the commit `rev` names, as `git cat-file blob <rev>:<path>` prints it (invalid UTF-8
    /// replaced, as the git wrapper reads output): `Some(None)` when the commit has no such
    /// path, `None` when unsure (a revision [`LocalRepo::resolve`] does not know or that names
    /// no commit, a symbolic link, a directory or a submodule at `path`, a missing object).
    pub fn read_blob(&self, rev: &str, path: &str) -> Option<Option<String>> {
        use gix::objs::tree::EntryKind;
        let commit = ObjectId::from_hex(self.resolve(rev)??.as_bytes()).ok()?;
        let mut buf = Vec::new();
        if self.object(&commit, &mut buf)? != Kind::Commit {
            return None;
        }
        let mut id = gix::objs::CommitRefIter::from_bytes(&buf, self.repo.object_hash())
            .tree_id()
            .ok()?;
        let parts: Vec<&str> = path.split('/').collect();
        if parts
            .iter()
            .any(|p| p.is_empty() || *p == "." || *p == "..")
        {
            return None;
        }
        for (i, part) in parts.iter().enumerate() {
            if self.object(&id, &mut buf)? != Kind::Tree {
                return None;
            }
            let mut found = None;
            for entry in gix::objs::TreeRefIter::from_bytes(&buf, self.repo.object_hash()) {
                let entry = entry.ok()?;
                if entry.filename == part.as_bytes() {
                    found = Some((entry.mode.kind(), entry.oid.to_owned()));
                    break;
                }
            }
            let Some((kind, oid)) = found else {
                return Some(None);
            };
            let last = i + 1 == parts.len();
            match kind {
                EntryKind::Tree if !last => id = oid,
                EntryKind::Blob | EntryKind::BlobExecutable if last => {
                    if self.object(&oid, &mut buf)? != Kind::Blob {
                        return None;
                    }
                    return Some(Some(String::from_utf8_lossy(&buf).into_owned()));
                }
                // A file on the way (git: no such path), or what git would print otherwise.
                EntryKind::Blob | EntryKind::BlobExecutable if !last => return Some(None),
                _ => return None,
            }
        }
        None
    }

    /// The files that differ between the trees of the commits `from` and `to` (revisions as
    /// [`LocalRepo::resolve`] reads them), limited to the directory `path` when given: git's
    /// `diff --raw --no-renames from to -- path`, each file with its mode and object on either
    /// side (`None` where it does not exist), sorted by path bytes. Subtrees with the same
    /// object are not read, so the cost is the size of the difference, not of the trees.
    /// `None` when unsure: an unknown revision, a missing object, a mode git would read
    /// differently, or `path` naming something other than a directory in either tree.
    pub fn changed_files(
        &self,
        from: &str,
        to: &str,
        path: Option<&str>,
    ) -> Option<Vec<FileChange>> {
        let mut buf = Vec::new();
        let mut roots = [None, None];
        for (root, rev) in roots.iter_mut().zip([from, to]) {
            let commit = self.resolve_commit(rev)?;
            if self.object(&commit, &mut buf)? != Kind::Commit {
                return None;
            }
            let mut tree = Some(
                gix::objs::CommitRefIter::from_bytes(&buf, self.repo.object_hash())
                    .tree_id()
                    .ok()?,
            );
            for part in path.into_iter().flat_map(|p| p.split('/')) {
                if part.is_empty() || part == "." || part == ".." {
                    return None;
                }
                let Some(id) = tree else { break };
                tree = match self.tree_entries(&id, &mut buf)?.remove(part.as_bytes()) {
                    None => None,
                    Some(TreeEntry::Tree(id)) => Some(id),
                    Some(TreeEntry::File(..)) => return None,
                };
            }
            *root = tree;
        }
        let prefix = path.map_or_else(Vec::new, |p| p.as_bytes().to_vec());
        let mut out = Vec::new();
        let mut budget = 100_000usize;
        self.diff_trees(&prefix, roots[0], roots[1], &mut out, &mut buf, &mut budget)?;
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Some(out)
    }

    /// The entries of the tree `id` by name; `None` when it is missing, not a tree, or holds a
    /// mode git would read differently.
    fn tree_entries(
        &self,
        id: &ObjectId,
        buf: &mut Vec<u8>,
    ) -> Option<HashMap<Vec<u8>, TreeEntry>> {
        use gix::objs::tree::EntryKind;
        if self.object(id, buf)? != Kind::Tree {
            return None;
        }
        let mut entries = HashMap::new();
        for entry in gix::objs::TreeRefIter::from_bytes(buf, self.repo.object_hash()) {
            let entry = entry.ok()?;
            let raw = entry.mode.value();
            let oid = entry.oid.to_owned();
            let value = match entry.mode.kind() {
                EntryKind::Tree if raw == 0o40000 => TreeEntry::Tree(oid),
                EntryKind::Blob if raw == 0o100_644 => TreeEntry::File(0o100_644, oid),
                EntryKind::BlobExecutable if raw == 0o100_755 => TreeEntry::File(0o100_755, oid),
                EntryKind::Link if raw == 0o120_000 => TreeEntry::File(0o120_000, oid),
                EntryKind::Commit if raw == 0o160_000 => TreeEntry::File(0o160_000, oid),
                _ => return None,
            };
            entries.insert(entry.filename.to_vec(), value);
        }
        Some(entries)
    }

    /// [`LocalRepo::changed_files`] below `prefix`, for the trees `a` and `b` (`None`: absent).
    fn diff_trees(
        &self,
        prefix: &[u8],
        a: Option<ObjectId>,
        b: Option<ObjectId>,
        out: &mut Vec<FileChange>,
        buf: &mut Vec<u8>,
        budget: &mut usize,
    ) -> Option<()> {
        if a == b {
            return Some(());
        }
        *budget = budget.checked_sub(1)?;
        let read = |id: Option<ObjectId>, buf: &mut Vec<u8>| match id {
            Some(id) => self.tree_entries(&id, buf),
            None => Some(HashMap::new()),
        };
        let (mut old, new) = (read(a, buf)?, read(b, buf)?);
        let join = |name: &[u8]| {
            let mut path = prefix.to_vec();
            if !path.is_empty() {
                path.push(b'/');
            }
            path.extend_from_slice(name);
            path
        };
        let mut subtrees = Vec::new();
        for (name, entry) in new {
            let before = old.remove(&name);
            if before == Some(entry) {
                continue;
            }
            let (mut tree_a, mut tree_b) = (None, None);
            let mut file_a = None;
            match before {
                Some(TreeEntry::Tree(id)) => tree_a = Some(id),
                Some(TreeEntry::File(mode, id)) => file_a = Some((mode, id)),
                None => {}
            }
            let file_b = match entry {
                TreeEntry::Tree(id) => {
                    tree_b = Some(id);
                    None
                }
                TreeEntry::File(mode, id) => Some((mode, id)),
            };
            if file_a.is_some() || file_b.is_some() {
                out.push(FileChange {
                    path: join(&name),
                    old: file_a,
                    new: file_b,
                });
            }
            if tree_a.is_some() || tree_b.is_some() {
                subtrees.push((join(&name), tree_a, tree_b));
            }
        }
        for (name, entry) in old {
            match entry {
                TreeEntry::Tree(id) => subtrees.push((join(&name), Some(id), None)),
                TreeEntry::File(mode, id) => out.push(FileChange {
                    path: join(&name),
                    old: Some((mode, id)),
                    new: None,
                }),
            }
        }
        for (path, a, b) in subtrees {
            self.diff_trees(&path, a, b, out, buf, budget)?;
        }
        Some(())
    }

    /// Whether the repository itself may give files attributes beyond `.gitattributes` files:
    /// an `info/attributes` file, or a config naming an attributes file.
    pub fn has_attribute_sources(&self) -> bool {
        [&self.git_dir, &self.common_dir]
            .iter()
            .any(|d| d.join("info/attributes").exists())
            || std::fs::read_to_string(self.common_dir.join("config"))
                .map_or(true, |t| t.to_ascii_lowercase().contains("attributesfile"))
    }

    /// The content of the blob `id`; `None` when it is missing or not a blob.
    pub fn blob(&self, id: &ObjectId) -> Option<Vec<u8>> {
        let mut buf = Vec::new();
        (self.object(id, &mut buf)? == Kind::Blob).then_some(buf)
    }

    /// `git merge-base --is-ancestor ancestor descendant`.
    pub fn is_ancestor(&self, ancestor: &str, descendant: &str) -> Option<bool> {
        let (ancestor, descendant) = (
            self.resolve_commit(ancestor)?,
            self.resolve_commit(descendant)?,
        );
        let mut seen = HashSet::new();
        let mut stack = vec![descendant];
        let mut buf = Vec::new();
        while let Some(id) = stack.pop() {
            if id == ancestor {
                return Some(true);
            }
            if seen.insert(id) {
                stack.extend(self.parents(id, &mut buf)?);
            }
        }
        Some(false)
    }

    /// `git log -z --format=%H%x1f%P%x1f%aN%x1f%s%x1f%b from..to` (all of `to` with no
    /// `from`), as [`crate::git`]'s callers parse it: each commit, in git's order, with whether
    /// it is a merge and its hash, author name, subject (the first paragraph, lines joined by a
    /// space) and body (the rest, trailing whitespace trimmed). The order is git's default
    /// order, rebuilt step for step: commits popped newest committer date first from a list
    /// that keeps equal dates in the order they were added, the walk stopped as git's
    /// `limit_list` stops it (five more commits once only excluded ones are left). `None`,
    /// "ask git": a `.mailmap`, mailmap, encoding, signature or include settings in any config
    /// (or config in the environment), a commit with an `encoding` header other than UTF-8,
    /// a message that is not UTF-8 or holds a NUL or the separators, an author line without
    /// `<`, a committer date that is not a plain number, a missing object.
    pub fn log(&self, from: Option<&str>, to: &str) -> Option<Vec<(bool, crate::git::Commit)>> {
        const SEEN: u8 = 1;
        const UNINTERESTING: u8 = 2;
        const SLOP: u32 = 5;
        struct Node {
            flags: u8,
            /// The committer date and the parents, once read (git's "parsed").
            parsed: Option<(u64, Vec<ObjectId>)>,
        }
        if !self.log_config_plain
            || log_settings_elsewhere()
            || self
                .repo
                .workdir()
                .is_none_or(|w| w.join(".mailmap").symlink_metadata().is_ok())
        {
            return None;
        }
        let to = self.resolve_commit(to)?;
        let from = match from {
            Some(from) => Some(self.resolve_commit(from)?),
            None => None,
        };
        let mut nodes: HashMap<ObjectId, Node> = HashMap::new();
        let mut buf = Vec::new();
        let mut parse = |nodes: &mut HashMap<ObjectId, Node>, id: ObjectId| -> Option<u64> {
            let node = nodes.entry(id).or_insert(Node {
                flags: 0,
                parsed: None,
            });
            if let Some((date, _)) = &node.parsed {
                return Some(*date);
            }
            let parsed = self.date_and_parents(id, &mut buf)?;
            let date = parsed.0;
            node.parsed = Some(parsed);
            Some(date)
        };
        // git's `mark_parents_uninteresting`: through every commit already read.
        let mark_parents = |nodes: &mut HashMap<ObjectId, Node>, id: ObjectId| {
            let mut stack: Vec<ObjectId> = nodes[&id]
                .parsed
                .as_ref()
                .map(|(_, p)| p.clone())
                .unwrap_or_default();
            while let Some(p) = stack.pop() {
                let node = nodes.entry(p).or_insert(Node {
                    flags: 0,
                    parsed: None,
                });
                if node.flags & UNINTERESTING != 0 {
                    continue;
                }
                node.flags |= UNINTERESTING;
                if let Some((_, parents)) = &node.parsed {
                    stack.extend(parents.iter().copied());
                }
            }
        };
        // `commit_list_insert_by_date`: after every commit of the same or a newer date.
        let insert = |list: &mut std::collections::VecDeque<(u64, ObjectId)>, date: u64, id| {
            let at = list
                .iter()
                .position(|(d, _)| *d < date)
                .unwrap_or(list.len());
            list.insert(at, (date, id));
        };
        let mut list = std::collections::VecDeque::new();
        for (id, flags) in from
            .map(|f| (f, UNINTERESTING))
            .into_iter()
            .chain([(to, 0)])
        {
            let date = parse(&mut nodes, id)?;
            let node = nodes.get_mut(&id)?;
            node.flags |= flags;
            if flags != 0 {
                mark_parents(&mut nodes, id);
            }
            let node = nodes.get_mut(&id)?;
            if node.flags & SEEN == 0 {
                node.flags |= SEEN;
                list.push_back((date, id));
            }
        }
        // `commit_list_sort_by_date`: a stable sort, newest first.
        list.make_contiguous()
            .sort_by_key(|e| std::cmp::Reverse(e.0));
        let mut shown = Vec::new();
        let (mut date, mut slop) = (u64::MAX, SLOP);
        while let Some((commit_date, id)) = list.pop_front() {
            let uninteresting = nodes[&id].flags & UNINTERESTING != 0;
            let parents = nodes[&id].parsed.as_ref()?.1.clone();
            for p in parents {
                parse(&mut nodes, p)?;
                if uninteresting {
                    nodes.get_mut(&p)?.flags |= UNINTERESTING;
                    mark_parents(&mut nodes, p);
                }
                let node = nodes.get_mut(&p)?;
                if node.flags & SEEN == 0 {
                    node.flags |= SEEN;
                    let d = node.parsed.as_ref()?.0;
                    insert(&mut list, d, p);
                }
            }
            if uninteresting {
                mark_parents(&mut nodes, id);
                // `still_interesting`.
                slop = match list.front() {
                    None => 0,
                    Some((d, _)) if date <= *d => SLOP,
                    Some(_)
                        if list
                            .iter()
                            .any(|(_, c)| nodes[c].flags & UNINTERESTING == 0) =>
                    {
                        SLOP
                    }
                    Some(_) => slop - 1,
                };
                if slop > 0 {
                    continue;
                }
                break;
            }
            date = commit_date;
            shown.push(id);
        }
        shown
            .into_iter()
            .filter(|id| nodes[id].flags & UNINTERESTING == 0)
            .map(|id| {
                let merge = nodes[&id].parsed.as_ref()?.1.len() > 1;
                Some((merge, self.log_entry(id, &mut buf)?))
            })
            .collect()
    }

    /// A commit's committer date (git's `parse_commit_date`) and parents (none at the shallow
    /// boundary).
    fn date_and_parents(&self, id: ObjectId, buf: &mut Vec<u8>) -> Option<(u64, Vec<ObjectId>)> {
        if self.object(&id, buf)? != Kind::Commit {
            return None;
        }
        let header = buf.split(|b| *b == b'\n').take_while(|l| !l.is_empty());
        let committer = header
            .into_iter()
            .find_map(|l| l.strip_prefix(b"committer "))?;
        let after = committer.iter().position(|b| *b == b'>')? + 1;
        let digits: Vec<u8> = committer[after..]
            .iter()
            .skip_while(|b| **b == b' ')
            .take_while(|b| **b != b' ')
            .copied()
            .collect();
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) || digits.len() > 18 {
            return None;
        }
        let date: u64 = std::str::from_utf8(&digits).ok()?.parse().ok()?;
        let parents = if self.shallow.contains(&id) {
            Vec::new()
        } else {
            gix::objs::CommitRefIter::from_bytes(buf, self.repo.object_hash())
                .parent_ids()
                .collect()
        };
        Some((date, parents))
    }

    /// One commit as [`LocalRepo::log`] gives it (`None`: ask git).
    fn log_entry(&self, id: ObjectId, buf: &mut Vec<u8>) -> Option<crate::git::Commit> {
        if self.object(&id, buf)? != Kind::Commit || buf.contains(&0) {
            return None;
        }
        let text = std::str::from_utf8(buf).ok()?;
        if text.contains('\x1f') {
            return None;
        }
        let (header, message) = text.split_once("\n\n").unwrap_or((text, ""));
        let mut author = None;
        for line in header.lines() {
            if let Some(enc) = line.strip_prefix("encoding ")
                && !enc.eq_ignore_ascii_case("utf-8")
                && !enc.eq_ignore_ascii_case("utf8")
            {
                return None;
            }
            if author.is_none()
                && let Some(a) = line.strip_prefix("author ")
            {
                author = Some(a);
            }
        }
        let author = author?;
        let name = author[..author.find('<')?].trim_end_matches(is_git_space);
        // `skip_blank_lines`, the subject's lines (`format_subject`), `skip_blank_lines` again.
        let mut rest = skip_blank_lines(message);
        let mut subject = String::new();
        loop {
            let len = rest.find('\n').map_or(rest.len(), |i| i + 1);
            let line = rest[..len].trim_end_matches(is_git_space);
            if len == 0 || line.is_empty() {
                break;
            }
            if !subject.is_empty() {
                subject.push(' ');
            }
            subject.push_str(line);
            rest = &rest[len..];
        }
        let body = skip_blank_lines(rest);
        Some(crate::git::Commit {
            hash: id.to_string(),
            author: name.to_owned(),
            subject,
            body: body.trim_end().to_owned(),
        })
    }

    /// Every commit reachable from `tips`, each marked with the tips that reach it: one walk,
    /// then one pass in topological order (children before parents).
    fn graph(&self, tips: &[ObjectId]) -> Option<Graph> {
        let mut index: HashMap<ObjectId, usize> = HashMap::new();
        let mut parent_ids: Vec<Vec<ObjectId>> = Vec::new();
        let mut stack: Vec<ObjectId> = tips.to_vec();
        let mut buf = Vec::new();
        while let Some(id) = stack.pop() {
            if index.contains_key(&id) {
                continue;
            }
            let parents = self.parents(id, &mut buf)?;
            index.insert(id, parent_ids.len());
            stack.extend(parents.iter().filter(|p| !index.contains_key(*p)));
            parent_ids.push(parents);
        }
        let parents: Vec<Vec<usize>> = parent_ids
            .iter()
            .map(|ps| ps.iter().map(|p| index[p]).collect())
            .collect();
        let words = tips.len().div_ceil(64);
        let mut bits = vec![0u64; parents.len() * words];
        for (t, tip) in tips.iter().enumerate() {
            bits[index[tip] * words + t / 64] |= 1 << (t % 64);
        }
        let mut children = vec![0usize; parents.len()];
        for ps in &parents {
            for &p in ps {
                children[p] += 1;
            }
        }
        let mut ready: Vec<usize> = (0..parents.len()).filter(|&i| children[i] == 0).collect();
        while let Some(node) = ready.pop() {
            for &p in &parents[node] {
                for w in 0..words {
                    bits[p * words + w] |= bits[node * words + w];
                }
                children[p] -= 1;
                if children[p] == 0 {
                    ready.push(p);
                }
            }
        }
        Some(Graph {
            parents,
            bits,
            words,
        })
    }
}

/// `rev` without a trailing `^{commit}` (every answer here is a commit anyway) and a trailing
/// `^`/`^1` (the first parent, `true`); `None` for any other suffix syntax.
fn split_suffixes(rev: &str) -> Option<(&str, bool)> {
    let rev = rev.strip_suffix("^{commit}").unwrap_or(rev);
    let (rev, parent) = match rev.strip_suffix("^1").or_else(|| rev.strip_suffix('^')) {
        Some(base) => (base, true),
        None => (rev, false),
    };
    (!rev.is_empty() && !rev.contains(['^', '~', ':', '@', '{', '}'])).then_some((rev, parent))
}

/// A ref name in the plain form git accepts (`check-ref-format`, simplified to be strict): this
/// module answers nothing about any other.
fn is_simple_ref_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(['-', '/', '.'])
        && !name.ends_with(['/', '.'])
        && Path::new(name).extension().is_none_or(|e| e != "lock")
        && !name.contains("..")
        && !name.contains("//")
        && !name.contains("/.")
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b'+'))
}

/// git's `isspace` (`sane_ctype`): space, tab, line feed, carriage return.
fn is_git_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// git's `skip_blank_lines`: `text` after its leading lines of whitespace only.
fn skip_blank_lines(mut text: &str) -> &str {
    loop {
        let len = text.find('\n').map_or(text.len(), |i| i + 1);
        if len == 0 || !text[..len].chars().all(is_git_space) {
            return text;
        }
        text = &text[len..];
    }
}

/// Whether a config's text may change what `git log` prints of a commit (mailmap, encodings,
/// signatures) or includes another file: then git is asked.
fn mentions_log_settings(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    ["mailmap", "encoding", "showsignature", "include"]
        .iter()
        .any(|w| lower.contains(w))
}

/// [`mentions_log_settings`] for git's system and global config files and config given in
/// the environment. Computed once per process.
fn log_settings_elsewhere() -> bool {
    static ANSWER: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ANSWER.get_or_init(|| {
        if ["GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT"]
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|v| !v.is_empty()))
        {
            return true;
        }
        crate::git::files::outside_config_paths()
            .iter()
            .any(|c| match std::fs::read_to_string(c) {
                Ok(text) => mentions_log_settings(&text),
                Err(e) => e.kind() != std::io::ErrorKind::NotFound,
            })
    })
}

/// Whether two paths name the same directory.
fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    //! Every answer cross-checked against git's own, on real repositories.

    use super::*;
    use crate::git::{Git, parse_tag_line};

    use crate::git::test_support::{ENV, git};

    fn commit(dir: &Path, file: &str, message: &str) -> String {
        std::fs::write(dir.join(file), message).unwrap();
        git(dir, &["add", "--", file]);
        git(dir, &["commit", "--quiet", "-m", message]);
        git(dir, &["rev-parse", "HEAD"])
    }

    /// A history with a merge, a side branch, and tags of every kind:
    ///
    /// ```text
    /// c1 (v0.1.0, lightweight) - c2 (v0.2.0, annotated; vnest: a tag of it) - c3 - M (main)
    ///                               \ f1 - f2 (feature, merged in M) - x1 (side: v0.3.0)
    /// ```
    fn history(dir: &Path) {
        std::fs::create_dir_all(dir).unwrap();
        git(dir, &["init", "--quiet", "-b", "main"]);
        commit(dir, "a", "c1");
        git(dir, &["tag", "v0.1.0"]);
        commit(dir, "a", "c2");
        git(dir, &["tag", "-a", "-m", "two", "v0.2.0"]);
        git(
            dir,
            &[
                "-c",
                "advice.nestedTag=false",
                "tag",
                "-a",
                "-m",
                "nested",
                "vnest",
                "v0.2.0",
            ],
        );
        git(dir, &["checkout", "--quiet", "-b", "feature"]);
        commit(dir, "f", "f1");
        commit(dir, "f", "f2");
        git(dir, &["checkout", "--quiet", "-b", "side"]);
        commit(dir, "x", "x1");
        git(dir, &["tag", "-a", "-m", "three", "v0.3.0"]);
        git(dir, &["tag", "other-1.0"]);
        git(dir, &["checkout", "--quiet", "main"]);
        commit(dir, "a", "c3");
        git(
            dir,
            &["merge", "--quiet", "--no-ff", "-m", "merge", "feature"],
        );
    }

    /// `changed_files` against `git diff --raw --no-renames`: added, deleted, modified and
    /// mode-changed files, a file turned into a directory, a symbolic link, a submodule
    /// entry, nested directories, with and without a path, and a path that is not a directory.
    #[test]
    fn changed_files_are_gits_raw_diff() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        git(dir, &["init", "--quiet", "-b", "main"]);
        let write = |path: &str, text: &str| {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write("a.txt", "a\n");
        write("pkg/one/x.py", "x\n");
        write("pkg/one/deep/y.py", "y\n");
        write("pkg/two/z.py", "z\n");
        write("gone", "g\n");
        write("becomes_dir", "f\n");
        git(dir, &["add", "-A"]);
        git(dir, &["commit", "--quiet", "-m", "one"]);
        let first = git(dir, &["rev-parse", "HEAD"]);
        write("a.txt", "A\n");
        write("pkg/one/deep/y.py", "Y\n");
        write("pkg/one/new.py", "n\n");
        std::fs::remove_file(dir.join("gone")).unwrap();
        std::fs::remove_file(dir.join("becomes_dir")).unwrap();
        write("becomes_dir/inside", "i\n");
        git(dir, &["update-index", "--chmod=+x", "pkg/two/z.py"]);
        std::os::unix::fs::symlink("a.txt", dir.join("link")).unwrap();
        git(dir, &["add", "-A"]);
        git(
            dir,
            &[
                "update-index",
                "--add",
                "--cacheinfo",
                &format!("160000,{first},sub"),
            ],
        );
        git(dir, &["commit", "--quiet", "-m", "two"]);
        let second = git(dir, &["rev-parse", "HEAD"]);
        let local = LocalRepo::open(dir).unwrap();
        let hex = |id: &ObjectId| id.to_string();
        for path in [None, Some("pkg"), Some("pkg/one"), Some("pkg/absent")] {
            let mut args = vec![
                "diff",
                "--raw",
                "--no-renames",
                "--abbrev=40",
                "-z",
                &first,
                &second,
                "--",
            ];
            args.extend(path);
            let raw = git(dir, &args);
            let mut expected = Vec::new();
            let mut fields = raw.split('\0').filter(|f| !f.is_empty());
            while let (Some(meta), Some(file)) = (fields.next(), fields.next()) {
                let m: Vec<&str> = meta.trim_start_matches(':').split(' ').collect();
                let side = |mode: &str, id: &str| {
                    (mode != "000000")
                        .then(|| (u32::from_str_radix(mode, 8).unwrap(), id.to_owned()))
                };
                expected.push((file.to_owned(), side(m[0], m[2]), side(m[1], m[3])));
            }
            expected.sort();
            let got: Vec<_> = local
                .changed_files(&first, &second, path)
                .unwrap()
                .into_iter()
                .map(|c| {
                    (
                        String::from_utf8(c.path).unwrap(),
                        c.old.map(|(m, id)| (m, hex(&id))),
                        c.new.map(|(m, id)| (m, hex(&id))),
                    )
                })
                .collect();
            assert_eq!(got, expected, "path {path:?}");
        }
        assert!(
            local
                .changed_files(&first, &second, Some("a.txt"))
                .is_none()
        );
        assert!(local.changed_files(&first, "HEAD", Some("../x")).is_none());
        assert!(local.changed_files("nope", "HEAD", None).is_none());
    }

    /// git's `rev-parse --verify --quiet <rev>^{commit}`.
    fn git_resolve(dir: &Path, rev: &str) -> Option<String> {
        Git::new(dir)
            .with_env(ENV)
            .run_or_none([
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{rev}^{{commit}}"),
            ])
            .unwrap()
            .map(|s| s.trim().to_owned())
    }

    fn git_tags(dir: &Path, prefix: &str, head: Option<&str>) -> Vec<TagRef> {
        let mut format = "--format=%(refname:strip=2)%00%(objectname)%00%(*objectname)".to_owned();
        if let Some(head) = head {
            format = format!("{format}%00%(ahead-behind:{head})");
        }
        git(
            dir,
            &["for-each-ref", &format, &format!("refs/tags/{prefix}*")],
        )
        .lines()
        .filter_map(parse_tag_line)
        .collect()
    }

    /// Cross-check every function at `dir` on the revisions `revs`; `must` lists those the
    /// module has to answer itself (the others may be left to git, never answered wrongly).
    fn cross_check(dir: &Path, revs: &[&str], must: &[&str]) {
        let local = LocalRepo::open(dir).expect("opens");
        let mut commits = Vec::new();
        for rev in revs {
            let expected = git_resolve(dir, rev);
            match local.resolve(rev) {
                Some(got) => assert_eq!(got, expected, "resolve {rev} in {}", dir.display()),
                None => assert!(!must.contains(rev), "resolve {rev} left to git"),
            }
            if let Some(c) = expected {
                commits.push(((*rev).to_owned(), c));
            }
        }
        let branch = Git::new(dir)
            .with_env(ENV)
            .run_or_none(["symbolic-ref", "--quiet", "--short", "HEAD"])
            .unwrap()
            .map(|s| s.trim().to_owned());
        assert_eq!(local.current_branch(), Some(branch), "current branch");
        let at = Git::new(dir)
            .with_env(ENV)
            .run(["rev-parse", "HEAD", "--symbolic-full-name", "HEAD"])
            .ok()
            .map(|out| {
                let mut lines = out.lines();
                let head = lines.next().unwrap().trim().to_owned();
                let branch = lines
                    .next()
                    .and_then(|l| l.trim().strip_prefix("refs/heads/"))
                    .map(str::to_owned);
                (head, branch)
            });
        assert_eq!(local.head_and_branch(), Some(at), "HEAD and branch");
        for prefix in ["v", "other-", "none-", "v0.2"] {
            assert_eq!(
                local.tags(prefix),
                Some(git_tags(dir, prefix, None)),
                "tags {prefix}"
            );
            for (_, head) in &commits {
                let ours = local.tags_with_distance(prefix, head);
                let theirs = git_tags(dir, prefix, Some(head));
                assert_eq!(ours, Some(theirs), "tag distances {prefix} from {head}");
            }
        }
        for (from_rev, from) in &commits {
            let all = git(dir, &["rev-list", "--count", from]).parse().unwrap();
            assert_eq!(
                local.count_commits(None, from_rev),
                Some(all),
                "count {from_rev}"
            );
            for (to_rev, to) in &commits {
                let n: u32 = git(dir, &["rev-list", "--count", &format!("{from}..{to}")])
                    .parse()
                    .unwrap();
                assert_eq!(
                    local.count_commits(Some(from_rev), to_rev),
                    Some(n),
                    "count {from_rev}..{to_rev}"
                );
                let lr = git(
                    dir,
                    &[
                        "rev-list",
                        "--left-right",
                        "--count",
                        &format!("{from}...{to}"),
                    ],
                );
                let (l, r) = lr.split_once(char::is_whitespace).unwrap();
                assert_eq!(
                    local.ahead_behind(from_rev, to_rev),
                    Some((l.trim().parse().unwrap(), r.trim().parse().unwrap())),
                    "ahead/behind {from_rev}...{to_rev}"
                );
                let anc = Git::new(dir)
                    .with_env(ENV)
                    .test(["merge-base", "--is-ancestor", from, to])
                    .unwrap();
                assert_eq!(
                    local.is_ancestor(from_rev, to_rev),
                    Some(anc),
                    "is-ancestor {from_rev} {to_rev}"
                );
            }
        }
    }

    const REVS: &[&str] = &[
        "HEAD",
        "HEAD^",
        "HEAD^{commit}",
        "main",
        "refs/heads/main",
        "feature",
        "refs/heads/side",
        "v0.1.0",
        "refs/tags/v0.2.0",
        "refs/tags/v0.2.0^{commit}",
        "vnest",
        "v0.3.0",
        "refs/tags/v0.3.0^",
        "refs/heads/nothing",
        "refs/tags/nothing",
        "nothing",
    ];

    const MUST: &[&str] = &[
        "HEAD",
        "HEAD^",
        "main",
        "refs/heads/main",
        "v0.1.0",
        "refs/tags/v0.2.0",
        "refs/tags/v0.2.0^{commit}",
        "vnest",
        "refs/heads/nothing",
        "refs/tags/nothing",
        "nothing",
    ];

    #[test]
    fn loose_and_packed_refs_read_as_git_reads_them() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("repo");
        history(&dir);
        cross_check(&dir, REVS, MUST);
        // Every ref packed, then a mix: a new loose tag, a packed tag moved by a loose one.
        git(&dir, &["pack-refs", "--all"]);
        cross_check(&dir, REVS, MUST);
        git(&dir, &["tag", "v0.4.0", "feature"]);
        git(&dir, &["tag", "-f", "v0.1.0", "HEAD~1"]);
        cross_check(&dir, REVS, MUST);
        // Full object ids: of a commit, of a tag object (peeled), of a tree (no commit).
        let c1 = git(&dir, &["rev-parse", "main~2"]);
        let tag_object = git(&dir, &["rev-parse", "refs/tags/v0.2.0"]);
        let tree = git(&dir, &["rev-parse", "HEAD^{tree}"]);
        let missing = "0123456789012345678901234567890123456789";
        cross_check(
            &dir,
            &[&c1, &tag_object, &tree, &format!("{c1}^")],
            &[&c1, &tag_object, &tree],
        );
        let local = LocalRepo::open(&dir).unwrap();
        assert_eq!(
            local.resolve(missing),
            None,
            "a missing object is git's to judge"
        );
    }

    #[test]
    fn detached_and_unborn_heads() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("repo");
        history(&dir);
        git(&dir, &["checkout", "--quiet", "--detach", "feature"]);
        cross_check(&dir, REVS, MUST);
        git(&dir, &["checkout", "--quiet", "--orphan", "fresh"]);
        cross_check(
            &dir,
            &["HEAD", "HEAD^", "main", "v0.1.0"],
            &["HEAD", "main"],
        );
        let empty = tmp.path().join("empty");
        std::fs::create_dir_all(&empty).unwrap();
        git(&empty, &["init", "--quiet", "-b", "trunk"]);
        cross_check(
            &empty,
            &["HEAD", "trunk", "refs/heads/trunk"],
            &["HEAD", "trunk"],
        );
    }

    #[test]
    fn shallow_clones_count_what_exists() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("repo");
        history(&dir);
        for depth in ["1", "2"] {
            let clone = tmp.path().join(format!("shallow{depth}"));
            let url = format!("file://{}", dir.display());
            git(
                tmp.path(),
                &[
                    "clone",
                    "--quiet",
                    "--no-local",
                    "--depth",
                    depth,
                    "--no-single-branch",
                    &url,
                    clone.to_str().unwrap(),
                ],
            );
            assert!(clone.join(".git/shallow").exists());
            let revs = [
                "HEAD",
                "HEAD^",
                "origin/feature",
                "refs/remotes/origin/side",
                "origin/HEAD",
                "v0.3.0",
                "v0.2.0",
            ];
            cross_check(&clone, &revs, &["HEAD", "origin/feature"]);
        }
    }

    #[test]
    fn linked_worktrees_and_absorbed_submodules() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("repo");
        history(&dir);
        let wt = tmp.path().join("wt");
        git(
            &dir,
            &[
                "worktree",
                "add",
                "--quiet",
                wt.to_str().unwrap(),
                "feature",
            ],
        );
        cross_check(&wt, REVS, MUST);
        let local = LocalRepo::open(&wt).unwrap();
        assert_eq!(local.current_branch(), Some(Some("feature".into())));

        let root = tmp.path().join("root");
        std::fs::create_dir_all(&root).unwrap();
        git(&root, &["init", "--quiet", "-b", "main"]);
        let url = format!("file://{}", dir.display());
        git(
            &root,
            &[
                "-c",
                "protocol.file.allow=always",
                "submodule",
                "add",
                "--quiet",
                &url,
                "packages/pkg",
            ],
        );
        git(&root, &["submodule", "absorbgitdirs"]);
        let pkg = root.join("packages/pkg");
        assert!(pkg.join(".git").is_file());
        cross_check(&pkg, REVS, &["HEAD", "HEAD^", "v0.1.0", "vnest", "nothing"]);
        git(&root, &["commit", "--quiet", "-m", "add pkg"]);
        cross_check(
            &root,
            &["HEAD", "main", "nothing"],
            &["HEAD", "main", "nothing"],
        );
    }

    #[test]
    fn leaves_what_it_does_not_understand_to_git() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("repo");
        history(&dir);
        let local = LocalRepo::open(&dir).unwrap();
        // Revision syntax beyond the simple forms; short object ids; describe output.
        for rev in [
            "HEAD~2",
            "main@{1}",
            "HEAD:a",
            ":/c1",
            "HEAD^2",
            "abcd",
            "v0.1.0-1-gabcdef0",
        ] {
            assert_eq!(local.resolve(rev), None, "{rev}");
        }
        // A branch whose short name is ambiguous with a tag: git says `heads/v0.1.0`.
        git(&dir, &["checkout", "--quiet", "-b", "v0.1.0"]);
        let local = LocalRepo::open(&dir).unwrap();
        assert_eq!(local.current_branch(), None);
        git(&dir, &["checkout", "--quiet", "main"]);
        // A tag of a tree: its distance means nothing to this module.
        git(&dir, &["tag", "vtree", "HEAD^{tree}"]);
        assert_eq!(local.tags("v"), None);
        git(&dir, &["tag", "-d", "vtree"]);
        assert!(local.tags("v").is_some());
        // Replace refs and grafts change history: not opened at all.
        let c1 = git(&dir, &["rev-parse", "main~2"]);
        let c2 = git(&dir, &["rev-parse", "v0.2.0^{commit}"]);
        git(&dir, &["replace", &c2, &c1]);
        assert!(LocalRepo::open(&dir).is_none());
        git(&dir, &["replace", "-d", &c2]);
        assert!(LocalRepo::open(&dir).is_some());
        // The reftable backend.
        let rt = tmp.path().join("rt");
        std::fs::create_dir_all(&rt).unwrap();
        git(&rt, &["init", "--quiet", "--ref-format=reftable"]);
        assert!(LocalRepo::open(&rt).is_none());
        // Not a work tree's top: git would search upwards.
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        assert!(LocalRepo::open(&dir.join("sub")).is_none());
    }

    /// `read_blob` in-process against `git cat-file blob <rev>:<path>` (through the wrapper with
    /// an environment that leaves everything to git): files at the top and in a directory, an
    /// executable file, a missing path, a path through a file, a directory, a symbolic link,
    /// annotated tags, packed objects.
    #[test]
    fn blobs_are_read_as_git_reads_them() {
        use std::os::unix::fs::PermissionsExt as _;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("repo");
        history(&dir);
        std::fs::create_dir_all(dir.join("src/pkg")).unwrap();
        std::fs::write(dir.join("src/pkg/m.py"), "X = 1\n").unwrap();
        std::fs::write(dir.join("run.sh"), "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(dir.join("run.sh"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
        std::os::unix::fs::symlink("run.sh", dir.join("link")).unwrap();
        git(&dir, &["add", "-A"]);
        git(&dir, &["commit", "--quiet", "-m", "files"]);
        git(&dir, &["tag", "-a", "-m", "files", "v1.0.0"]);
        let local = Git::new(&dir);
        let by_git = Git::new(&dir).with_env(&[("GIT_CEILING_DIRECTORIES", "/nonexistent")]);
        assert!(by_git.local().is_none());
        for pass in ["before gc", "after gc"] {
            for rev in ["HEAD", "v1.0.0", "v0.2.0", "main^"] {
                for path in [
                    "a",
                    "src/pkg/m.py",
                    "run.sh",
                    "nothing",
                    "a/b",
                    "src/none.py",
                ] {
                    assert_eq!(
                        LocalRepo::open(&dir).unwrap().read_blob(rev, path),
                        Some(by_git.read_blob(rev, path).unwrap()),
                        "{pass}: {rev}:{path}"
                    );
                    assert_eq!(
                        local.read_blob(rev, path).unwrap(),
                        by_git.read_blob(rev, path).unwrap()
                    );
                }
            }
            // What git would print otherwise, or fail on: left to git.
            let repo = LocalRepo::open(&dir).unwrap();
            assert_eq!(repo.read_blob("HEAD", "link"), None);
            assert_eq!(repo.read_blob("HEAD", "src"), None);
            assert_eq!(repo.read_blob("HEAD", "./a"), None);
            git(&dir, &["gc", "--quiet"]);
        }
    }

    #[test]
    fn the_git_handle_answers_in_process_as_git_does() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("repo");
        history(&dir);
        let g = Git::new(&dir);
        assert!(g.local().is_some());
        // A handle with an environment beyond the identity leaves everything to git.
        assert!(
            Git::new(&dir)
                .with_env(&[("GIT_DIR", "/x")])
                .local()
                .is_none()
        );
        assert_eq!(g.resolve("nothing").unwrap(), None);
        assert_eq!(
            g.rev_parse("main").unwrap(),
            git_resolve(&dir, "main").unwrap()
        );
        assert!(g.rev_parse("nothing").is_err());
        assert_eq!(g.current_branch().unwrap().as_deref(), Some("main"));
        assert_eq!(g.tags("v").unwrap(), git_tags(&dir, "v", None));
        let head = git_resolve(&dir, "HEAD").unwrap();
        assert_eq!(
            g.tags_with_distance("v", &head).unwrap(),
            git_tags(&dir, "v", Some(&head))
        );
        assert_eq!(g.count_commits(Some("v0.1.0"), "HEAD").unwrap(), 5);
        assert_eq!(g.ahead_behind("side", "main").unwrap(), (1, 2));
        assert!(g.is_ancestor("feature", "main").unwrap());
        assert!(!g.is_ancestor("side", "main").unwrap());
        assert!(g.is_ancestor("-x", "main").is_err());
    }

    /// `git log` as [`LocalRepo::log`]'s callers run and parse it.
    fn git_log(dir: &Path, from: Option<&str>, to: &str) -> Vec<(bool, crate::git::Commit)> {
        let range = from.map_or_else(|| to.to_owned(), |f| format!("{f}..{to}"));
        let out = Git::new(dir)
            .with_env(ENV)
            .run([
                "log",
                "-z",
                "--format=%H%x1f%P%x1f%aN%x1f%s%x1f%b",
                &range,
                "--",
            ])
            .unwrap();
        out.split('\0')
            .filter(|r| !r.trim().is_empty())
            .map(|record| {
                let mut parts = record.trim_start_matches('\n').splitn(5, '\x1f');
                let hash = parts.next().unwrap().to_owned();
                let merge = parts.next().unwrap().split_whitespace().count() > 1;
                let author = parts.next().unwrap().to_owned();
                let subject = parts.next().unwrap().to_owned();
                let body = parts.next().unwrap_or("").trim_end().to_owned();
                (
                    merge,
                    crate::git::Commit {
                        hash,
                        author,
                        subject,
                        body,
                    },
                )
            })
            .collect()
    }

    /// A commit of the empty tree with `parents`, committed at `date` (seconds) by `author`,
    /// with `message` verbatim (`commit-tree` keeps it as it is); `extra` config for git.
    fn raw_commit(
        dir: &Path,
        parents: &[&str],
        date: u64,
        author: &str,
        message: &str,
        extra: &[&str],
    ) -> String {
        let file = dir.parent().unwrap().join("message");
        std::fs::write(&file, message).unwrap();
        let date = format!("@{date} +0000");
        let mut env: Vec<(&str, &str)> = ENV.to_vec();
        env.retain(|(k, _)| !k.ends_with("_DATE") && *k != "GIT_AUTHOR_NAME");
        env.extend([
            ("GIT_AUTHOR_DATE", date.as_str()),
            ("GIT_COMMITTER_DATE", date.as_str()),
            ("GIT_AUTHOR_NAME", author),
        ]);
        let mut args: Vec<&str> = extra.to_vec();
        args.extend(["commit-tree", "4b825dc642cb6eb9a060e54bf8d69288fbee4904"]);
        for p in parents {
            args.extend(["-p", p]);
        }
        let file = file.to_str().unwrap().to_owned();
        args.extend(["-F", &file]);
        Git::new(dir)
            .with_env(&env)
            .run(args)
            .unwrap()
            .trim()
            .to_owned()
    }

    fn log_check(dir: &Path, ranges: &[(Option<&str>, &str)]) {
        let local = LocalRepo::open(dir).unwrap();
        for (from, to) in ranges {
            let expected = git_log(dir, *from, to);
            assert_eq!(
                local.log(*from, to).as_ref(),
                Some(&expected),
                "{from:?}..{to}"
            );
        }
    }

    #[test]
    fn log_is_git_log_in_its_order_with_its_subjects_bodies_and_authors() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("repo");
        history(&dir);
        log_check(
            &dir,
            &[
                (None, "HEAD"),
                (Some("v0.1.0"), "HEAD"),
                (Some("v0.2.0"), "main"),
                (Some("vnest"), "HEAD"),
                (Some("feature"), "main"),
                (Some("main"), "side"),
                (Some("side"), "main"),
                (Some("HEAD"), "HEAD"),
            ],
        );

        // Dates out of order (clock skew), equal dates, merges of interleaved branches, and
        // messages of every shape.
        let dir = tmp.path().join("shapes");
        std::fs::create_dir_all(&dir).unwrap();
        git(&dir, &["init", "--quiet", "-b", "main"]);
        git(&dir, &["write-tree"]);
        let root = raw_commit(&dir, &[], 1000, "Root Author", "root\n", &[]);
        let a1 = raw_commit(
            &dir,
            &[&root],
            3000,
            "A",
            "feat: a1\n\nbody of a1\n\nSigned-off-by: A <a@x>\nCo-authored-by: B <b@x>\n",
            &[],
        );
        let b1 = raw_commit(
            &dir,
            &[&root],
            2000,
            " Lead Space ",
            "\n\n  \nfix: b1 leading blank lines\nsecond line of the subject  \n\n\n\nbody after blanks\t\n  \n",
            &[],
        );
        let a2 = raw_commit(
            &dir,
            &[&a1],
            2500,
            "A",
            "skewed: older than its parent",
            &[],
        );
        let b2 = raw_commit(&dir, &[&b1], 2500, "Bé Ünicode", "same date as a2\n", &[]);
        let m = raw_commit(&dir, &[&a2, &b2], 4000, "M", "Merge b\n", &[]);
        let c1 = raw_commit(&dir, &[&m], 4000, "C", "", &[]);
        let c2 = raw_commit(&dir, &[&c1], 4000, "C", "   \n\n", &[]);
        let c3 = raw_commit(
            &dir,
            &[&c2],
            3999,
            "C",
            "subject only\r\nwith a carriage return\r\n\r\nbody\r\n",
            &[],
        );
        let d1 = raw_commit(&dir, &[&root], 5000, "D", "side d1\n", &[]);
        let m2 = raw_commit(&dir, &[&c3, &d1, &b1], 5000, "O", "octopus\n", &[]);
        git(&dir, &["update-ref", "refs/heads/main", &m2]);
        git(&dir, &["tag", "t-a2", &a2]);
        git(&dir, &["tag", "-a", "-m", "annotated", "t-b1", &b1]);
        git(&dir, &["tag", "t-c1", &c1]);
        let ranges = [
            (None, "main"),
            (Some("t-a2"), "main"),
            (Some("t-b1"), "main"),
            (Some("t-c1"), "main"),
            (Some("t-b1"), "t-a2"),
            (Some(root.as_str()), "main"),
        ];
        log_check(&dir, &ranges);

        // A shallow clone: the boundary commits have no parents.
        let clone = tmp.path().join("shallow");
        let url = format!("file://{}", dir.display());
        git(
            tmp.path(),
            &[
                "clone",
                "--quiet",
                "--depth",
                "3",
                &url,
                clone.to_str().unwrap(),
            ],
        );
        log_check(&clone, &[(None, "HEAD")]);
    }

    #[test]
    fn log_asks_git_when_the_output_would_not_be_the_objects() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("repo");
        history(&dir);
        assert!(LocalRepo::open(&dir).unwrap().log(None, "HEAD").is_some());
        // A commit in another encoding.
        let head = git(&dir, &["rev-parse", "HEAD"]);
        let latin = raw_commit(
            &dir,
            &[&head],
            9000,
            "L",
            "caf\u{e9}\n",
            &["-c", "i18n.commitEncoding=ISO-8859-1"],
        );
        git(&dir, &["update-ref", "refs/heads/latin", &latin]);
        let local = LocalRepo::open(&dir).unwrap();
        assert_eq!(local.log(Some("main"), "latin"), None);
        assert!(local.log(None, "main").is_some());
        // A mailmap, in the work tree or named in the config.
        std::fs::write(dir.join(".mailmap"), "New <test@example.com>\n").unwrap();
        assert_eq!(LocalRepo::open(&dir).unwrap().log(None, "main"), None);
        std::fs::remove_file(dir.join(".mailmap")).unwrap();
        git(&dir, &["config", "mailmap.file", "/nonexistent"]);
        assert_eq!(LocalRepo::open(&dir).unwrap().log(None, "main"), None);
        git(&dir, &["config", "--unset", "mailmap.file"]);
        git(&dir, &["config", "i18n.logOutputEncoding", "ISO-8859-1"]);
        assert_eq!(LocalRepo::open(&dir).unwrap().log(None, "main"), None);
        git(&dir, &["config", "--unset", "i18n.logOutputEncoding"]);
        assert!(LocalRepo::open(&dir).unwrap().log(None, "main").is_some());
        // A revision it does not understand, and a missing one.
        assert_eq!(local.log(Some("main~1"), "main"), None);
    }
}
