//! A repository's work-tree status read in-process, for the common case: a clean package.
//!
//! [`clean_status`] answers what `git --no-optional-locks status --porcelain=v2 --branch
//! --untracked-files=all` would, but only when it can tell for certain that the work tree is
//! clean (no staged, unstaged, unmerged or untracked path); otherwise `None`: "ask git", which
//! also gives the changed paths. It never reports a change itself, so a wrong "dirty" cannot
//! come from here, and a "clean" only comes when every rule below holds:
//!
//! - git's environment sets no `GIT_INDEX_FILE`, `GIT_WORK_TREE`, `GIT_ATTR_SOURCE` or
//!   `GIT_CONFIG_PARAMETERS`, and `GIT_CONFIG_KEY_<n>` only in sections that change no status
//!   (`protocol.`, `init.`, `user.`, `http.`, ...);
//! - the repository is one [`LocalRepo`] reads (no redirecting environment, no reftable, no
//!   grafts or replace refs, SHA-1, a trusted git directory, a config without includes), HEAD is
//!   a branch under `refs/heads/` or detached, and not unborn;
//! - the config sets none of `core.sparseCheckout`, `core.fsmonitor`, `core.splitIndex`,
//!   `core.ignoreCase`, `index.sparse`, `core.bare`, `extensions.worktreeConfig`, and
//!   `core.worktree` (if set) is this directory;
//! - the index is version 2 or 3, its checksum is right, no entry is at a merge stage, marked
//!   assume-unchanged, skip-worktree or intent-to-add, or a submodule (gitlink); no extension
//!   beyond the cache tree, resolve-undo, the untracked cache and the index offset tables (a
//!   split index, fsmonitor data, sparse directories: git);
//! - the index equals HEAD's tree: the same paths, modes and objects (the tree read entry by
//!   entry; the cache tree extension is not trusted);
//! - every index entry's file has the stat data the index recorded (mtime and ctime with
//!   nanoseconds, inode, owner, size, file type and executable bit) and is not racy (its mtime
//!   not in the index file's second or later), **or** (a symlink) its target hashes to the
//!   recorded object, **or** (a regular file) its content hashes to the recorded object
//!   while no content filter can apply: a regular file with the same mode, no `\r` in it (eol
//!   conversions leave it as it is), no `.gitattributes` in the work tree, no
//!   `info/attributes`, no attributes file in git's system or global configuration and no
//!   `core.attributesFile` anywhere (the same comparison git makes for a touched file);
//! - every file, symlink or other non-directory in the work tree is in the index: an untracked
//!   file, even an ignored one, leaves the package to git (this module does not evaluate ignore
//!   rules); a nested repository (`.git` below the top) too; at most
//!   [`crate::git::statuscache::MAX_ENTRIES`] entries are walked;
//! - the upstream is read as the status cache reads it (`branch.<b>.remote`/`merge` with the
//!   standard refspec, or `remote = .`), the short name git prints is unambiguous (no ref that
//!   an earlier rule of git's shortening would find), and ahead/behind come from [`LocalRepo`].
//!
//! Cross-checked against `git status --porcelain=v2` in the tests below.

use std::path::Path;
use std::sync::OnceLock;

use gix::ObjectId;

use crate::git::RepoStatus;
use crate::git::files::{RepoFiles, parse_plain_config};
use crate::git::local::LocalRepo;
use crate::git::statuscache::{MAX_ENTRIES, Upstream, upstream};

/// One entry of the index, as far as a clean check needs it.
struct IndexEntry<'a> {
    path: &'a [u8],
    mode: u32,
    oid: ObjectId,
    /// ctime s, ctime ns, mtime s, mtime ns, dev, ino, mode, uid, gid, size (as stored).
    stat: [u32; 10],
}

/// A parsed index: its entries, in path order.
struct Index<'a> {
    entries: Vec<IndexEntry<'a>>,
}

fn be32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

/// The index file's entries; `None` for anything [`clean_status`] leaves to git.
fn parse_index(data: &[u8]) -> Option<Index<'_>> {
    const HASH: usize = 20;
    if data.len() < 12 + HASH || &data[..4] != b"DIRC" {
        return None;
    }
    let body = &data[..data.len() - HASH];
    let trailer = &data[data.len() - HASH..];
    let mut hasher = gix::hash::hasher(gix::hash::Kind::Sha1);
    hasher.update(body);
    if hasher.try_finalize().ok()?.as_bytes() != trailer {
        return None;
    }
    let version = be32(data, 4)?;
    if !(2..=3).contains(&version) {
        return None;
    }
    let count = usize::try_from(be32(data, 8)?).ok()?;
    let mut entries: Vec<IndexEntry<'_>> = Vec::with_capacity(count.min(MAX_ENTRIES));
    let mut at = 12;
    for _ in 0..count {
        let mut stat = [0u32; 10];
        for (i, v) in stat.iter_mut().enumerate() {
            *v = be32(body, at + 4 * i)?;
        }
        let oid = ObjectId::try_from(body.get(at + 40..at + 60)?).ok()?;
        let flags = u16::from_be_bytes(body.get(at + 60..at + 62)?.try_into().ok()?);
        // Assume-unchanged, extended flags (skip-worktree, intent-to-add), a merge stage.
        if flags & 0xF000 != 0 {
            return None;
        }
        let name = at + 62;
        let len = usize::from(flags & 0x0FFF);
        let path = if len < 0x0FFF {
            (*body.get(name + len)? == 0).then_some(())?;
            body.get(name..name + len)?
        } else {
            let end = body.get(name..)?.iter().position(|&b| b == 0)?;
            &body[name..name + end]
        };
        let mode = stat[6];
        if path.is_empty() || !matches!(mode, 0o100_644 | 0o100_755 | 0o120_000) {
            return None;
        }
        if entries.last().is_some_and(|last| last.path >= path) {
            return None;
        }
        entries.push(IndexEntry {
            path,
            mode,
            oid,
            stat,
        });
        at += (62 + path.len() + 8) & !7;
    }
    while at < body.len() {
        let sig = body.get(at..at + 4)?;
        let size = usize::try_from(be32(body, at + 4)?).ok()?;
        body.get(at + 8..(at + 8).checked_add(size)?)?;
        match sig {
            // The cache tree is not trusted: the tree is compared entry by entry.
            b"TREE" | b"REUC" | b"UNTR" | b"EOIE" | b"IEOT" => {}
            _ => return None,
        }
        at += 8 + size;
    }
    Some(Index { entries })
}

/// Whether attributes may come from outside the repository: git's system attributes file, the
/// global one, or any system or global config naming one (or including other files, or given
/// in the environment). Computed once per process.
pub(crate) fn attributes_elsewhere() -> bool {
    static ANSWER: OnceLock<bool> = OnceLock::new();
    *ANSWER.get_or_init(|| {
        let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
        let home = var("HOME").map(std::path::PathBuf::from);
        let xdg = var("XDG_CONFIG_HOME")
            .map(std::path::PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".config")));
        let mut files = vec![std::path::PathBuf::from("/etc/gitattributes")];
        files.extend(xdg.as_ref().map(|x| x.join("git/attributes")));
        let configs = crate::git::files::outside_config_paths();
        // A git built with another prefix reads `<prefix>/etc/gitattributes` too.
        if let Some(etc) = crate::git::files::git_prefix_etc() {
            files.push(etc.join("gitattributes"));
        }
        if files.iter().any(|f| f.exists()) {
            return true;
        }
        configs.iter().any(|c| match std::fs::read_to_string(c) {
            Ok(text) => {
                let lower = text.to_ascii_lowercase();
                lower.contains("attributesfile") || lower.contains("include")
            }
            Err(e) => e.kind() != std::io::ErrorKind::NotFound,
        })
    })
}

/// Sections of configuration given in the environment that change no status.
const HARMLESS: [&str; 12] = [
    "protocol.",
    "init.",
    "user.",
    "author.",
    "committer.",
    "advice.",
    "color.",
    "credential.",
    "http.",
    "gpg.",
    "commit.",
    "tag.",
];

/// Whether git's environment is one this module reads as git does: nothing that points git at
/// another index or work tree or another attributes source, no `-c` configuration
/// (`GIT_CONFIG_PARAMETERS`), and configuration given as `GIT_CONFIG_KEY_<n>` only in sections
/// that change no status (the tests' `protocol.file.allow`, identities, ...). Computed once.
fn environment_understood() -> bool {
    static ANSWER: OnceLock<bool> = OnceLock::new();
    *ANSWER.get_or_init(|| {
        let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
        if [
            "GIT_INDEX_FILE",
            "GIT_WORK_TREE",
            "GIT_ATTR_SOURCE",
            "GIT_CONFIG_PARAMETERS",
        ]
        .iter()
        .any(|k| set(k))
        {
            return false;
        }
        let Some(count) = std::env::var_os("GIT_CONFIG_COUNT") else {
            return true;
        };
        let Some(count) = count.to_str().and_then(|c| c.trim().parse::<usize>().ok()) else {
            return false;
        };
        (0..count).all(|i| {
            std::env::var(format!("GIT_CONFIG_KEY_{i}")).is_ok_and(|k| {
                let k = k.to_ascii_lowercase();
                HARMLESS.iter().any(|p| k.starts_with(p))
            })
        })
    })
}

/// The stat data of a file as the index stores it (truncated to 32 bits), without the device.
#[cfg(unix)]
fn stat_of(meta: &std::fs::Metadata) -> [u32; 10] {
    use std::os::unix::fs::MetadataExt as _;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let t = |v: i64| v as u32;
    #[allow(clippy::cast_possible_truncation)]
    let u = |v: u64| v as u32;
    [
        t(meta.ctime()),
        t(meta.ctime_nsec()),
        t(meta.mtime()),
        t(meta.mtime_nsec()),
        0,
        u(meta.ino()),
        meta.mode(),
        meta.uid(),
        meta.gid(),
        u(meta.size()),
    ]
}

/// Whether the file's mode is what the index entry says: its type, and for a regular file
/// the executable bit.
#[cfg(unix)]
fn same_mode(entry_mode: u32, meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    let ft = meta.file_type();
    match entry_mode {
        0o100_644 => ft.is_file() && meta.permissions().mode() & 0o100 == 0,
        0o100_755 => ft.is_file() && meta.permissions().mode() & 0o100 != 0,
        0o120_000 => ft.is_symlink(),
        _ => false,
    }
}

/// Set (to anything but `0`), every work-tree status comes from `git status`: the tests and
/// benchmarks that compare against git's own answer use it.
pub const OFF_ENV: &str = "RELEASE_TOOL_NO_INPROCESS_STATUS";

fn turned_off() -> bool {
    static OFF: OnceLock<bool> = OnceLock::new();
    *OFF.get_or_init(|| std::env::var_os(OFF_ENV).is_some_and(|v| !v.is_empty() && v != "0"))
}

/// The status of the repository whose work tree is `dir` when it is clean for certain (see
/// the module documentation); `None`: ask git.
pub fn clean_status(dir: &Path) -> Option<RepoStatus> {
    clean_status_in(dir, None)
}

/// [`clean_status`] with the repository already open for in-process reads (`None`: open it
/// when needed).
pub fn clean_status_in(dir: &Path, local: Option<&LocalRepo>) -> Option<RepoStatus> {
    if !cfg!(unix) || turned_off() || !environment_understood() {
        return None;
    }
    let status = clean_status_unix(dir, local);
    if status.is_some() {
        tracing::debug!("{}: clean, status read in-process", dir.display());
    }
    status
}

#[cfg(not(unix))]
fn clean_status_unix(_dir: &Path, _local: Option<&LocalRepo>) -> Option<RepoStatus> {
    None
}

#[cfg(unix)]
fn clean_status_unix(dir: &Path, local: Option<&LocalRepo>) -> Option<RepoStatus> {
    use std::os::unix::ffi::OsStrExt as _;

    let files = RepoFiles::open(dir)?;
    let config = files.config_text()?;
    let entries = parse_plain_config(&config)?;
    for (key, value) in &entries {
        match key.as_str() {
            "core.sparsecheckout"
            | "core.fsmonitor"
            | "core.splitindex"
            | "core.ignorecase"
            | "index.sparse"
            | "core.bare"
            | "extensions.worktreeconfig"
                if !matches!(
                    value.to_ascii_lowercase().as_str(),
                    "false" | "no" | "off" | "0"
                ) =>
            {
                return None;
            }
            "core.worktree" => {
                let target = files.git_dir().join(value);
                if target.canonicalize().ok()? != dir.canonicalize().ok()? {
                    return None;
                }
            }
            "core.attributesfile" => return None,
            _ => {}
        }
    }
    let (branch, head) = files.head()?;
    let head = head?;
    let opened;
    let local = if let Some(local) = local {
        local
    } else {
        opened = LocalRepo::open(dir)?;
        &opened
    };

    let index_path = files.git_dir().join("index");
    let index_meta = std::fs::metadata(&index_path).ok()?;
    let data = std::fs::read(&index_path).ok()?;
    let index = parse_index(&data)?;
    // A clean work tree holds every entry's file, so the walk below would pass its limit:
    // leave it to git before reading HEAD's tree and every file's stat data.
    if index.entries.len() > MAX_ENTRIES {
        return None;
    }

    // Staged: the index against HEAD's tree.
    let head_tree = local.tree_files(&head)?;
    let tree_matches = head_tree.len() == index.entries.len()
        && head_tree
            .iter()
            .zip(&index.entries)
            .all(|((path, mode, oid), e)| path == e.path && *mode == e.mode && *oid == e.oid);
    if !tree_matches {
        return None;
    }

    // Unstaged: each entry's file.
    let index_secs = {
        use std::os::unix::fs::MetadataExt as _;
        index_meta.mtime()
    };
    let mut content_checks = Vec::new();
    for entry in &index.entries {
        let path = dir.join(std::ffi::OsStr::from_bytes(entry.path));
        let meta = std::fs::symlink_metadata(&path).ok()?;
        if !same_mode(entry.mode, &meta) {
            return None;
        }
        let mut now = stat_of(&meta);
        now[4] = entry.stat[4];
        // The index keeps the mode as git normalises it.
        now[6] = entry.stat[6];
        let racy = i64::from(entry.stat[2]) >= index_secs;
        if now != entry.stat || racy {
            if entry.mode == 0o120_000 {
                // A symlink's blob is its target; no filter applies to it.
                let target = std::fs::read_link(&path).ok()?;
                if blob_id(target.as_os_str().as_bytes())? != entry.oid {
                    return None;
                }
                continue;
            }
            content_checks.push((path, entry.oid));
        }
    }

    // Untracked: every non-directory in the work tree must be an index entry.
    let mut walked = 0usize;
    let mut attributes_in_tree = false;
    let mut stack = vec![(dir.to_path_buf(), Vec::<u8>::new())];
    while let Some((abs, rel)) = stack.pop() {
        for item in std::fs::read_dir(&abs).ok()? {
            let item = item.ok()?;
            let name = item.file_name();
            let name = name.as_bytes();
            if name == b".git" {
                if rel.is_empty() {
                    continue;
                }
                return None;
            }
            walked += 1;
            if walked > MAX_ENTRIES {
                return None;
            }
            let mut path = rel.clone();
            if !path.is_empty() {
                path.push(b'/');
            }
            path.extend_from_slice(name);
            if name == b".gitattributes" {
                attributes_in_tree = true;
            }
            let ft = item.file_type().ok()?;
            if ft.is_dir() {
                stack.push((item.path(), path));
            } else if index
                .entries
                .binary_search_by(|e| e.path.cmp(path.as_slice()))
                .is_err()
            {
                return None;
            }
        }
    }

    if !content_checks.is_empty() {
        if attributes_in_tree
            || attributes_elsewhere()
            || ["info/attributes"]
                .iter()
                .any(|f| files.git_dir().join(f).exists() || files.common_dir().join(f).exists())
        {
            return None;
        }
        for (path, oid) in content_checks {
            let content = std::fs::read(&path).ok()?;
            if content.contains(&b'\r') {
                return None;
            }
            if blob_id(&content)? != oid {
                return None;
            }
        }
    }

    // Branch, upstream, ahead/behind.
    let short_branch = match &branch {
        Some(full) => Some(full.strip_prefix("refs/heads/")?.to_owned()),
        None => None,
    };
    let (mut upstream_name, mut ahead, mut behind) = (None, 0, 0);
    if let Some(full_branch) = &branch {
        match upstream(&entries, full_branch) {
            Upstream::Unset => {}
            Upstream::Unknown => return None,
            Upstream::Ref { short, full } => {
                if !unambiguous(&files, &short, &full)? {
                    return None;
                }
                if let Some(oid) = files.read_ref(&full)? {
                    (ahead, behind) = local.ahead_behind(&head, &oid)?;
                }
                upstream_name = Some(short);
            }
        }
    }
    Some(RepoStatus {
        branch: short_branch,
        head: Some(head),
        upstream: upstream_name,
        ahead,
        behind,
        changed: Vec::new(),
        untracked: Vec::new(),
        short: Some(String::new()),
    })
}

/// The id git gives `content` as a blob.
fn blob_id(content: &[u8]) -> Option<ObjectId> {
    let mut hasher = gix::hash::hasher(gix::hash::Kind::Sha1);
    hasher.update(format!("blob {}\0", content.len()).as_bytes());
    hasher.update(content);
    hasher.try_finalize().ok()
}

/// Whether git shortens the ref `full` to `short` (`shorten_unambiguous_ref`): no ref that an
/// earlier rule of git's lookup order (`%s`, `refs/%s`, `refs/tags/%s`, `refs/heads/%s`,
/// before `refs/remotes/%s`) would find under `short`. `None` when unsure.
fn unambiguous(files: &RepoFiles, short: &str, full: &str) -> Option<bool> {
    let earlier: &[&str] = if full.starts_with("refs/remotes/") {
        &["refs/", "refs/tags/", "refs/heads/"]
    } else if full.starts_with("refs/heads/") {
        &["refs/", "refs/tags/"]
    } else {
        return None;
    };
    if files.git_dir().join(short).exists() || files.common_dir().join(short).exists() {
        return Some(false);
    }
    for prefix in earlier {
        if files.read_ref(&format!("{prefix}{short}"))?.is_some() {
            return Some(false);
        }
    }
    Some(true)
}

#[cfg(test)]
mod tests {
    //! Every answer cross-checked against `git status --porcelain=v2` on the same repository.

    use super::*;
    use crate::git::{Git, parse_status};
    use std::path::PathBuf;
    use std::time::{Duration, SystemTime};

    use crate::git::test_support::{ENV, git};

    fn write(dir: &Path, file: &str, text: &str) {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// A repository with a few files in nested directories, an executable and a symlink,
    /// committed on `main`.
    fn repo(dir: &Path) {
        std::fs::create_dir_all(dir).unwrap();
        git(dir, &["init", "--quiet", "-b", "main"]);
        write(dir, "README.md", "# x\n");
        write(dir, "src/pkg/__init__.py", "x = 1\n");
        write(dir, "src/pkg/deep/mod.py", "y = 2\n");
        write(dir, "run.sh", "#!/bin/sh\n");
        git(dir, &["update-index", "--add", "--chmod=+x", "run.sh"]);
        #[cfg(unix)]
        std::os::unix::fs::symlink("README.md", dir.join("link")).unwrap();
        git(dir, &["add", "-A"]);
        git(dir, &["commit", "--quiet", "-m", "init"]);
    }

    /// Set every regular file's times back a minute and refresh the index, so that no entry
    /// is racy (as in a work tree edited long before its index was written).
    fn settle(dir: &Path) {
        let past = SystemTime::now() - Duration::from_mins(1);
        let times = std::fs::FileTimes::new()
            .set_accessed(past)
            .set_modified(past);
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let e = e.unwrap();
                let ft = e.file_type().unwrap();
                if e.file_name() == ".git" {
                    continue;
                }
                if ft.is_dir() {
                    stack.push(e.path());
                } else if ft.is_file() {
                    std::fs::File::options()
                        .write(true)
                        .open(e.path())
                        .unwrap()
                        .set_times(times)
                        .unwrap();
                }
            }
        }
        git(dir, &["update-index", "-q", "--really-refresh"]);
        // The index written after every file (symlinks keep their own times).
        let index = PathBuf::from(git(dir, &["rev-parse", "--git-path", "index"]));
        let index = if index.is_absolute() {
            index
        } else {
            dir.join(index)
        };
        std::fs::File::options()
            .write(true)
            .open(index)
            .unwrap()
            .set_modified(SystemTime::now() + Duration::from_secs(2))
            .unwrap();
    }

    fn git_status(dir: &Path) -> RepoStatus {
        parse_status(
            &Git::new(dir)
                .with_env(ENV)
                .run([
                    "--no-optional-locks",
                    "status",
                    "--porcelain=v2",
                    "--branch",
                    "-z",
                    "--untracked-files=all",
                ])
                .unwrap(),
        )
    }

    /// `clean_status` at `dir` agrees with git, or leaves it to git; `must`: it has to answer.
    fn check(dir: &Path, must: bool, what: &str) -> Option<RepoStatus> {
        let ours = clean_status(dir);
        let theirs = git_status(dir);
        match &ours {
            Some(ours) => assert_eq!(ours, &theirs, "{what}: in-process answer differs from git"),
            None => assert!(!must, "{what}: left to git ({theirs:?})"),
        }
        ours
    }

    #[test]
    fn a_clean_work_tree_is_read_in_process_as_git_reads_it() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("r");
        repo(&dir);
        // Just committed: racy entries, decided by content (no attributes anywhere).
        check(&dir, !attributes_elsewhere(), "fresh");
        settle(&dir);
        let s = check(&dir, true, "settled").unwrap();
        assert_eq!(s.branch.as_deref(), Some("main"));
        assert_eq!(s.upstream, None);
        // A file touched: same content, new times (git compares the content, so do we).
        std::fs::write(dir.join("src/pkg/__init__.py"), "x = 1\n").unwrap();
        check(&dir, !attributes_elsewhere(), "touched");
        settle(&dir);
        // Detached HEAD.
        git(&dir, &["checkout", "--quiet", "--detach"]);
        settle(&dir);
        let s = check(&dir, true, "detached").unwrap();
        assert_eq!(s.branch, None);
        git(&dir, &["checkout", "--quiet", "main"]);
        settle(&dir);
        // An empty directory is nothing to git.
        std::fs::create_dir_all(dir.join("empty/inner")).unwrap();
        check(&dir, true, "empty dirs");
    }

    #[test]
    fn every_kind_of_change_is_left_to_git() {
        type Change = fn(&Path);
        let changes: &[(&str, Change)] = &[
            ("modified", |d| write(d, "README.md", "# y\n")),
            ("modified, longer", |d| write(d, "README.md", "# longer\n")),
            ("staged", |d| {
                write(d, "README.md", "# y\n");
                git(d, &["add", "README.md"]);
            }),
            ("staged then reverted in the work tree", |d| {
                write(d, "README.md", "# y\n");
                git(d, &["add", "README.md"]);
                write(d, "README.md", "# x\n");
            }),
            ("deleted", |d| {
                std::fs::remove_file(d.join("README.md")).unwrap();
            }),
            ("deleted from the index", |d| {
                git(d, &["rm", "--quiet", "--cached", "README.md"]);
            }),
            ("renamed", |d| {
                git(d, &["mv", "README.md", "READ.md"]);
            }),
            ("untracked", |d| write(d, "new.txt", "n\n")),
            ("untracked, nested", |d| write(d, "a/b/c/new.txt", "n\n")),
            ("ignored by .gitignore (committed)", |d| {
                write(d, ".gitignore", "*.log\n");
                git(d, &["add", ".gitignore"]);
                git(d, &["commit", "--quiet", "-m", "ignore"]);
                write(d, "x/y.log", "l\n");
            }),
            ("ignored by info/exclude", |d| {
                write(d, ".git/info/exclude", "build/\n");
                write(d, "build/out.txt", "o\n");
            }),
            ("ignored dir, unignored file", |d| {
                write(d, ".gitignore", "cache/*\n!cache/keep.txt\n");
                write(d, "cache/keep.txt", "k\n");
                write(d, "cache/drop.txt", "d\n");
            }),
            ("executable bit", |d| {
                use std::os::unix::fs::PermissionsExt as _;
                std::fs::set_permissions(
                    d.join("README.md"),
                    std::fs::Permissions::from_mode(0o755),
                )
                .unwrap();
            }),
            ("executable bit, core.fileMode false", |d| {
                use std::os::unix::fs::PermissionsExt as _;
                git(d, &["config", "core.fileMode", "false"]);
                std::fs::set_permissions(
                    d.join("README.md"),
                    std::fs::Permissions::from_mode(0o755),
                )
                .unwrap();
            }),
            ("symlink retargeted", |d| {
                std::fs::remove_file(d.join("link")).unwrap();
                std::os::unix::fs::symlink("run.sh", d.join("link")).unwrap();
            }),
            ("file replaced by a directory", |d| {
                std::fs::remove_file(d.join("README.md")).unwrap();
                write(d, "README.md/x", "x\n");
            }),
            ("intent to add", |d| {
                write(d, "n.txt", "n\n");
                git(d, &["add", "-N", "n.txt"]);
            }),
            ("assume unchanged", |d| {
                git(d, &["update-index", "--assume-unchanged", "README.md"]);
            }),
            ("skip-worktree (sparse)", |d| {
                git(d, &["update-index", "--skip-worktree", "README.md"]);
            }),
            ("sparse checkout", |d| {
                git(d, &["sparse-checkout", "set", "--no-cone", "/src/"]);
            }),
            ("split index", |d| {
                git(d, &["update-index", "--split-index"]);
            }),
            ("index v4", |d| {
                git(d, &["update-index", "--index-version", "4"]);
            }),
            ("ignorecase", |d| {
                git(d, &["config", "core.ignoreCase", "true"]);
            }),
            ("nested repository", |d| {
                git(d, &["init", "--quiet", "inner"]);
            }),
            ("attributes and a touched file", |d| {
                write(d, ".gitattributes", "*.md text eol=crlf\n");
                git(d, &["add", ".gitattributes"]);
                git(d, &["commit", "--quiet", "-m", "attrs"]);
                write(d, "README.md", "# x\n");
            }),
            ("CRLF content touched, autocrlf", |d| {
                write(d, "w.txt", "a\r\nb\r\n");
                git(d, &["add", "w.txt"]);
                git(d, &["commit", "--quiet", "-m", "crlf"]);
                git(d, &["config", "core.autocrlf", "true"]);
                write(d, "w.txt", "a\r\nb\r\n");
            }),
            ("conflict", |d| {
                git(d, &["checkout", "--quiet", "-b", "other"]);
                write(d, "README.md", "# other\n");
                git(d, &["commit", "--quiet", "-am", "other"]);
                git(d, &["checkout", "--quiet", "main"]);
                write(d, "README.md", "# main\n");
                git(d, &["commit", "--quiet", "-am", "main"]);
                let _ = Git::new(d).with_env(ENV).run(["merge", "--quiet", "other"]);
            }),
            ("submodule inside", |d| {
                let sub = d.join("../sub");
                repo(&sub);
                git(
                    d,
                    &[
                        "-c",
                        "protocol.file.allow=always",
                        "submodule",
                        "add",
                        "--quiet",
                        sub.to_str().unwrap(),
                        "sub",
                    ],
                );
                git(d, &["commit", "--quiet", "-m", "sub"]);
            }),
        ];
        for (what, change) in changes {
            let tmp = tempfile::tempdir().unwrap();
            let dir = tmp.path().join("r");
            repo(&dir);
            settle(&dir);
            change(&dir);
            let ours = check(&dir, false, what);
            assert!(ours.is_none(), "{what}: answered in-process");
        }
    }

    /// `RepoStatus::short`, derived from the v2 records, is `git status --porcelain`'s text.
    #[test]
    fn the_short_status_is_git_s_porcelain_v1() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("r");
        repo(&dir);
        let v1 = |d: &Path| {
            Git::new(d)
                .with_env(ENV)
                .run([
                    "--no-optional-locks",
                    "status",
                    "--porcelain",
                    "--untracked-files=all",
                ])
                .unwrap()
        };
        assert_eq!(git_status(&dir).short.as_deref(), Some(""));
        write(&dir, "README.md", "# changed\n");
        write(&dir, "src/pkg/deep/mod.py", "staged\n");
        git(&dir, &["add", "src/pkg/deep/mod.py"]);
        write(&dir, "src/pkg/deep/mod.py", "and changed\n");
        git(&dir, &["mv", "run.sh", "start.sh"]);
        std::fs::remove_file(dir.join("src/pkg/__init__.py")).unwrap();
        write(&dir, "new/a.txt", "a\n");
        write(&dir, "b.txt", "b\n");
        write(&dir, "staged-new.txt", "n\n");
        git(&dir, &["add", "staged-new.txt"]);
        let status = git_status(&dir);
        assert_eq!(status.short.as_deref(), Some(v1(&dir).as_str()));
        assert_eq!(status.changed.len(), 7);
        // A path git quotes: left to git.
        write(&dir, "with space.txt", "s\n");
        assert_eq!(git_status(&dir).short, None);
        std::fs::remove_file(dir.join("with space.txt")).unwrap();
        // Unmerged paths.
        git(&dir, &["add", "-A"]);
        git(&dir, &["commit", "--quiet", "-m", "base"]);
        git(&dir, &["checkout", "--quiet", "-b", "other"]);
        write(&dir, "README.md", "# other\n");
        git(&dir, &["commit", "--quiet", "-am", "other"]);
        git(&dir, &["checkout", "--quiet", "main"]);
        write(&dir, "README.md", "# main\n");
        git(&dir, &["commit", "--quiet", "-am", "main"]);
        let _ = Git::new(&dir)
            .with_env(ENV)
            .run(["merge", "--quiet", "other"]);
        let status = git_status(&dir);
        assert_eq!(status.short.as_deref(), Some(v1(&dir).as_str()));
        assert!(status.short.unwrap().starts_with("UU README.md"));
    }

    #[test]
    fn a_configured_fsmonitor_is_left_to_git() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("r");
        repo(&dir);
        settle(&dir);
        assert!(clean_status(&dir).is_some());
        git(&dir, &["config", "core.fsmonitor", "true"]);
        assert!(clean_status(&dir).is_none());
    }

    #[test]
    fn an_empty_repository_is_left_to_git() {
        let tmp = tempfile::tempdir().unwrap();
        git(tmp.path(), &["init", "--quiet", "-b", "main"]);
        assert!(check(tmp.path(), false, "empty").is_none());
        write(tmp.path(), "a", "a\n");
        git(tmp.path(), &["add", "a"]);
        assert!(check(tmp.path(), false, "unborn, staged").is_none());
    }

    #[test]
    fn upstreams_ahead_behind_and_gone_are_git_s() {
        let tmp = tempfile::tempdir().unwrap();
        let remote = tmp.path().join("remote.git");
        git(
            tmp.path(),
            &["init", "--quiet", "--bare", "-b", "main", "remote.git"],
        );
        let dir = tmp.path().join("r");
        repo(&dir);
        git(&dir, &["remote", "add", "origin", remote.to_str().unwrap()]);
        git(&dir, &["push", "--quiet", "-u", "origin", "main"]);
        settle(&dir);
        let s = check(&dir, true, "upstream").unwrap();
        assert_eq!(s.upstream.as_deref(), Some("origin/main"));
        // Ahead 1, behind 1.
        git(&dir, &["commit", "--quiet", "--allow-empty", "-m", "local"]);
        git(&dir, &["update-ref", "refs/remotes/origin/main", "HEAD~1"]);
        git(&dir, &["checkout", "--quiet", "-b", "tmp", "HEAD~1"]);
        git(
            &dir,
            &["commit", "--quiet", "--allow-empty", "-m", "remote"],
        );
        git(&dir, &["update-ref", "refs/remotes/origin/main", "HEAD"]);
        git(&dir, &["checkout", "--quiet", "main"]);
        settle(&dir);
        let s = check(&dir, true, "ahead and behind").unwrap();
        assert_eq!((s.ahead, s.behind), (1, 1));
        // Packed.
        git(&dir, &["pack-refs", "--all"]);
        check(&dir, true, "packed refs");
        // A local branch as upstream, and an ambiguous short name.
        git(&dir, &["branch", "--quiet", "--set-upstream-to", "tmp"]);
        check(&dir, true, "local upstream");
        git(&dir, &["tag", "tmp"]);
        check(&dir, false, "ambiguous upstream");
        git(&dir, &["tag", "-d", "tmp"]);
        // Gone.
        git(
            &dir,
            &["branch", "--quiet", "--set-upstream-to", "origin/main"],
        );
        git(&dir, &["update-ref", "-d", "refs/remotes/origin/main"]);
        check(&dir, true, "gone");
    }

    #[test]
    fn absorbed_submodules_and_linked_worktrees_are_read() {
        let tmp = tempfile::tempdir().unwrap();
        let sub = tmp.path().join("sub");
        repo(&sub);
        let root = tmp.path().join("root");
        std::fs::create_dir_all(&root).unwrap();
        git(&root, &["init", "--quiet", "-b", "main"]);
        git(
            &root,
            &[
                "-c",
                "protocol.file.allow=always",
                "submodule",
                "add",
                "--quiet",
                sub.to_str().unwrap(),
                "packages/sub",
            ],
        );
        let pkg = root.join("packages/sub");
        assert!(pkg.join(".git").is_file());
        settle(&pkg);
        check(&pkg, true, "absorbed submodule");
        // The root itself has a submodule: git.
        git(&root, &["commit", "--quiet", "-m", "sub"]);
        assert!(check(&root, false, "superproject").is_none());

        git(&sub, &["worktree", "add", "--quiet", "../wt", "-b", "wt"]);
        let wt = tmp.path().join("wt");
        settle(&wt);
        let s = check(&wt, true, "linked worktree").unwrap();
        assert_eq!(s.branch.as_deref(), Some("wt"));
        write(&wt, "README.md", "# changed\n");
        assert!(check(&wt, false, "linked worktree, modified").is_none());
    }
}
