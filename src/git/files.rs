//! Reads of a repository's own files, without a process: where its git directory is, its
//! config file, and its tag refs (loose files under `refs/tags/` and `packed-refs`).
//!
//! This is only ever *reading*, for hot paths that would otherwise start a git process per
//! package (`status`, `notes`, release planning); everything that writes goes through
//! [`crate::git::Git`], the only code that runs git. Whenever the files are not what this module
//! understands for certain (the reftable backend, a symbolic tag ref, a malformed line, a
//! `GIT_DIR` in the environment, a file that vanished mid-read), it answers `None` and the
//! caller asks git instead: a wrong answer is never traded for speed.

use std::path::{Path, PathBuf};

/// One tag ref as stored: its name (without `refs/tags/`) and the object it points to (for
/// annotated tags, the tag object; `peeled` is its commit when `packed-refs` records it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiskTag {
    pub name: String,
    pub object: String,
    pub peeled: Option<String>,
}

/// The files of one repository (its common git directory).
#[derive(Clone, Debug)]
pub struct RepoFiles {
    /// The git directory of the work tree (`.git`, or where a `.git` file points).
    git_dir: PathBuf,
    /// Where refs, packed-refs, config and objects live (differs for linked worktrees).
    common: PathBuf,
}

/// git's system and global config files, as git finds them (`GIT_CONFIG_NOSYSTEM`,
/// `GIT_CONFIG_SYSTEM`, `GIT_CONFIG_GLOBAL`, `$XDG_CONFIG_HOME/git/config`, `~/.gitconfig`,
/// and `<prefix>/etc/gitconfig` of a git built with another prefix).
pub fn outside_config_paths() -> Vec<PathBuf> {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    let home = var("HOME").map(PathBuf::from);
    let xdg = var("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".config")));
    let mut configs = Vec::new();
    if var("GIT_CONFIG_NOSYSTEM").is_none_or(|v| v == "0" || v.eq_ignore_ascii_case("false")) {
        configs.push(
            var("GIT_CONFIG_SYSTEM").map_or_else(|| PathBuf::from("/etc/gitconfig"), PathBuf::from),
        );
    }
    if let Some(p) = var("GIT_CONFIG_GLOBAL") {
        configs.push(p.into());
    } else {
        configs.extend(xdg.as_ref().map(|x| x.join("git/config")));
        configs.extend(home.as_ref().map(|h| h.join(".gitconfig")));
    }
    configs.extend(git_prefix_etc().map(|etc| etc.join("gitconfig")));
    configs
}

/// `<prefix>/etc` of the `git` on `PATH` (a git built with another prefix reads its system
/// files there).
pub fn git_prefix_etc() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("git"))
        .find(|g| g.is_file())
        .and_then(|g| std::fs::canonicalize(g).ok())
        .and_then(|g| Some(g.parent()?.parent()?.join("etc")))
}

/// Environment variables that make git look somewhere else than `<work tree>/.git`, or see a
/// history other than the one the files describe.
const REDIRECTING_ENV: [&str; 6] = [
    "GIT_DIR",
    "GIT_COMMON_DIR",
    "GIT_OBJECT_DIRECTORY",
    "GIT_REPLACE_REF_BASE",
    "GIT_GRAFT_FILE",
    "GIT_SHALLOW_FILE",
];

impl RepoFiles {
    /// The repository whose work tree is `dir`; `None` when it cannot be told from the files
    /// (no `.git`, an unreadable `gitdir:` file, or an environment that redirects git).
    pub fn open(dir: &Path) -> Option<Self> {
        if REDIRECTING_ENV
            .iter()
            .any(|v| std::env::var_os(v).is_some())
        {
            return None;
        }
        let dot_git = dir.join(".git");
        let git_dir = if dot_git.is_dir() {
            dot_git
        } else {
            let text = std::fs::read_to_string(&dot_git).ok()?;
            let target = text.strip_prefix("gitdir:")?.trim();
            if target.is_empty() {
                return None;
            }
            dir.join(target)
        };
        // Linked worktrees keep refs and config in the common dir.
        let common = match std::fs::read_to_string(git_dir.join("commondir")) {
            Ok(c) if !c.trim().is_empty() => git_dir.join(c.trim()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => git_dir.clone(),
            _ => return None,
        };
        Some(Self { git_dir, common })
    }

    /// The repository's own config file, unless it includes other files (then only git can
    /// tell the effective values).
    pub fn config_text(&self) -> Option<String> {
        let text = std::fs::read_to_string(self.common.join("config")).ok()?;
        (!text.contains("[include")).then_some(text)
    }

    /// Whether commit ancestry here is exactly what the objects say: no shallow boundary, no
    /// grafts and no replace refs (each of them changes what `rev-list` counts).
    pub fn history_is_plain(&self) -> bool {
        let exists = |p: &str| self.common.join(p).exists() || self.git_dir.join(p).exists();
        !exists("shallow") && !self.history_rewritten()
    }

    /// Whether grafts or replace refs change what the objects say (what git reads then differs
    /// from the objects, for ancestry and for peeling).
    pub fn history_rewritten(&self) -> bool {
        let exists = |p: &str| self.common.join(p).exists() || self.git_dir.join(p).exists();
        if exists("info/grafts") {
            return true;
        }
        let replace = self.common.join("refs/replace");
        if std::fs::read_dir(&replace).is_ok_and(|mut d| d.next().is_some()) {
            return true;
        }
        match std::fs::read_to_string(self.common.join("packed-refs")) {
            Ok(text) => text.contains(" refs/replace/"),
            Err(e) => e.kind() != std::io::ErrorKind::NotFound,
        }
    }

    /// The tags whose name starts with `prefix` (as `git for-each-ref refs/tags/<prefix>*`
    /// matches them: the rest of the name has no `/`), sorted by name. Loose refs take
    /// precedence over `packed-refs`. `None` when the refs cannot be read for certain.
    pub fn tags(&self, prefix: &str) -> Option<Vec<DiskTag>> {
        if prefix.contains(['*', '?', '[', '\\']) || self.uses_reftable() {
            return None;
        }
        let matches = |name: &str| {
            name.strip_prefix(prefix)
                .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'))
        };
        let mut tags: Vec<DiskTag> = match std::fs::read_to_string(self.common.join("packed-refs"))
        {
            Ok(text) => parse_packed_refs(&text)?
                .into_iter()
                .filter_map(|r| {
                    let name = r.name.strip_prefix("refs/tags/")?;
                    matches(name).then(|| DiskTag {
                        name: name.to_owned(),
                        object: r.oid,
                        peeled: r.peeled,
                    })
                })
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(_) => return None,
        };
        // Only the directory the prefix names can hold matching loose refs.
        let (sub, _) = prefix.rsplit_once('/').unwrap_or(("", prefix));
        let base = self.common.join("refs/tags");
        let dir = if sub.is_empty() {
            base.clone()
        } else {
            base.join(sub)
        };
        for (name, object) in read_loose_dir(&base, &dir)? {
            if !matches(&name) {
                continue;
            }
            match tags.iter_mut().find(|t| t.name == name) {
                Some(t) => {
                    t.object = object;
                    t.peeled = None;
                }
                None => tags.push(DiskTag {
                    name,
                    object,
                    peeled: None,
                }),
            }
        }
        tags.sort_by(|a, b| a.name.cmp(&b.name));
        Some(tags)
    }

    /// The git directory of the work tree (`.git`, or where a `.git` file points).
    pub fn git_dir(&self) -> &Path {
        &self.git_dir
    }

    /// Where refs, `packed-refs`, the config and the objects live (the git directory, or the
    /// common directory of a linked worktree).
    pub fn common_dir(&self) -> &Path {
        &self.common
    }

    /// The object a full ref name (`refs/heads/main`) points to: `Some(Some(oid))`, or
    /// `Some(None)` when the ref does not exist. A loose file takes precedence over
    /// `packed-refs`. `None` when the files cannot tell for certain (reftable, a symbolic or
    /// malformed ref, an unreadable file).
    pub fn read_ref(&self, name: &str) -> Option<Option<String>> {
        if !name.starts_with("refs/")
            || name
                .split('/')
                .any(|c| c.is_empty() || c == "." || c == "..")
            || self.uses_reftable()
        {
            return None;
        }
        match std::fs::read_to_string(self.common.join(name)) {
            Ok(text) => {
                let oid = text.strip_suffix('\n').unwrap_or(&text);
                return is_object_id(oid).then(|| Some(oid.to_owned()));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            // A directory of that name (`refs/heads/a` when `refs/heads/a/b` exists) is no ref.
            Err(_) if self.common.join(name).is_dir() => {}
            Err(_) => return None,
        }
        match std::fs::read_to_string(self.common.join("packed-refs")) {
            Ok(text) => Some(
                parse_packed_refs(&text)?
                    .into_iter()
                    .find(|r| r.name == name)
                    .map(|r| r.oid),
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(None),
            Err(_) => None,
        }
    }

    /// What HEAD is: the branch it names (`Some("refs/heads/main")`) or, detached, `None`; and
    /// the commit it resolves to (`None` on an unborn branch). `None` when the files cannot
    /// tell for certain.
    pub fn head(&self) -> Option<(Option<String>, Option<String>)> {
        let text = std::fs::read_to_string(self.git_dir.join("HEAD")).ok()?;
        let text = text.strip_suffix('\n').unwrap_or(&text);
        if let Some(target) = text.strip_prefix("ref: ") {
            if !target.starts_with("refs/heads/") {
                return None;
            }
            let oid = self.read_ref(target)?;
            Some((Some(target.to_owned()), oid))
        } else {
            is_object_id(text).then(|| (None, Some(text.to_owned())))
        }
    }

    /// Whether the repository may use the reftable backend (or its config cannot be read).
    pub fn uses_reftable(&self) -> bool {
        self.common.join("reftable").exists()
            || self.config_text().is_none_or(|c| {
                c.to_ascii_lowercase()
                    .lines()
                    .any(|l| l.trim_start().starts_with("refstorage"))
            })
    }
}

/// The loose refs directly in `dir` (not in subdirectories: tag prefixes never span one), named
/// relative to `base`. `None` on anything but a plain file holding an object id.
fn read_loose_dir(base: &Path, dir: &Path) -> Option<Vec<(String, String)>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Some(Vec::new()),
        Err(_) => return None,
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.ok()?;
        let file_name = entry.file_name();
        let file_name = file_name.to_str()?;
        // Not ref names: lock files of a concurrent update (git spells them `.lock`, in lower
        // case), hidden files.
        if file_name.starts_with('.') || Path::new(file_name).extension() == Some("lock".as_ref()) {
            continue;
        }
        let file_type = entry.file_type().ok()?;
        if file_type.is_dir() {
            continue;
        }
        if !file_type.is_file() {
            // A symlink (an old-style symbolic ref): only git resolves it.
            return None;
        }
        let text = std::fs::read_to_string(entry.path()).ok()?;
        let oid = text.strip_suffix('\n').unwrap_or(&text);
        if !is_object_id(oid) {
            return None;
        }
        let rel = entry.path().strip_prefix(base).ok()?.to_str()?.to_owned();
        out.push((rel.replace('\\', "/"), oid.to_owned()));
    }
    Some(out)
}

/// A 40 (SHA-1) or 64 (SHA-256) digit lowercase hex object id.
pub fn is_object_id(s: &str) -> bool {
    matches!(s.len(), 40 | 64) && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// One line of `packed-refs` with its peeled line, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackedRef {
    pub name: String,
    pub oid: String,
    pub peeled: Option<String>,
}

/// Parse `packed-refs`: a `# pack-refs with: ...` header, `<oid> <refname>` lines, each
/// optionally followed by `^<peeled oid>`. `None` on any line that is not one of these.
pub fn parse_packed_refs(text: &str) -> Option<Vec<PackedRef>> {
    let mut refs: Vec<PackedRef> = Vec::new();
    for line in text.lines() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(peeled) = line.strip_prefix('^') {
            let last = refs.last_mut()?;
            if !is_object_id(peeled) || last.peeled.is_some() {
                return None;
            }
            last.peeled = Some(peeled.to_owned());
            continue;
        }
        let (oid, name) = line.split_once(' ')?;
        if !is_object_id(oid) || !name.starts_with("refs/") || name.contains(char::is_whitespace) {
            return None;
        }
        refs.push(PackedRef {
            name: name.to_owned(),
            oid: oid.to_owned(),
            peeled: None,
        });
    }
    Some(refs)
}

/// The entries of a git config file in the plain form `.gitmodules` files have, as
/// `git config --file F --list` prints them: `section.subsection.key` (section and key in lower
/// case) and the value. `None` for anything beyond that plain form (quoting, escapes, line
/// continuations, inline comments, keys without a value, old-style subsections), which the
/// caller then leaves to git.
pub fn parse_plain_config(text: &str) -> Option<Vec<(String, String)>> {
    let is_name = |s: &str| {
        !s.is_empty()
            && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    let mut section: Option<String> = None;
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim_matches([' ', '\t', '\r']);
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if let Some(header) = line.strip_prefix('[') {
            let header = header.strip_suffix(']')?;
            section = Some(match header.split_once(' ') {
                Some((name, sub)) => {
                    let sub = sub.strip_prefix('"')?.strip_suffix('"')?;
                    if !is_name(name) || sub.contains(['"', '\\']) {
                        return None;
                    }
                    format!("{}.{sub}", name.to_ascii_lowercase())
                }
                None if is_name(header) => header.to_ascii_lowercase(),
                None => return None,
            });
            continue;
        }
        let (key, value) = line.split_once('=')?;
        let key = key.trim_end_matches([' ', '\t']);
        let value = value.trim_start_matches([' ', '\t']);
        if !is_name(key) || value.contains(['"', '\\', '#', ';']) {
            return None;
        }
        out.push((
            format!("{}.{}", section.as_ref()?, key.to_ascii_lowercase()),
            value.to_owned(),
        ));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const C: &str = "cccccccccccccccccccccccccccccccccccccccc";

    #[test]
    fn plain_config_reads_as_git_does() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("gitmodules");
        let git = crate::git::Git::new(tmp.path());
        let plain = [
            "[submodule \"packages/a\"]\n\tpath = packages/a\n\turl = https://x/a.git\n\tbranch = main\n",
            "[Submodule \"Mixed Case\"]\n  Path=packages/b  \n\n# comment\n; other\n\tURL =  git@h:o/b.git\r\n",
            "[core]\n\tbare = false\n[submodule \"x\"]\n\tpath = p q\n",
            "",
        ];
        for text in plain {
            std::fs::write(&file, text).unwrap();
            assert_eq!(
                parse_plain_config(text),
                Some(git.config_file_entries(&file).unwrap()),
                "{text:?}"
            );
        }
        // Beyond the plain form: left to git, which reads them its own way.
        for text in [
            "[submodule \"a\"]\n\tpath = \"quoted\"\n",
            "[submodule \"a\"]\n\tpath = x # comment\n",
            "[submodule \"a\"]\n\tpath = x\\\n y\n",
            "[submodule \"a\\\"b\"]\n\tpath = x\n",
            "[submodule.a]\n\tpath = x\n",
            "[submodule \"a\"]\n\tactive\n",
            "[submodule \"a\"] # c\n\tpath = x\n",
            "\tpath = before any section\n",
        ] {
            assert_eq!(parse_plain_config(text), None, "{text:?}");
        }
    }

    #[test]
    fn parses_packed_refs_with_peeled_lines() {
        let text = format!(
            "# pack-refs with: peeled fully-peeled sorted \n\
             {A} refs/heads/main\n{B} refs/tags/v0.1.0\n^{C}\n{A} refs/tags/v0.2.0\n"
        );
        let refs = parse_packed_refs(&text).unwrap();
        assert_eq!(
            refs,
            vec![
                PackedRef {
                    name: "refs/heads/main".into(),
                    oid: A.into(),
                    peeled: None
                },
                PackedRef {
                    name: "refs/tags/v0.1.0".into(),
                    oid: B.into(),
                    peeled: Some(C.into())
                },
                PackedRef {
                    name: "refs/tags/v0.2.0".into(),
                    oid: A.into(),
                    peeled: None
                },
            ]
        );
        assert_eq!(parse_packed_refs(""), Some(Vec::new()));
    }

    #[test]
    fn refuses_packed_refs_it_does_not_understand() {
        for bad in [
            format!("^{C}\n"),                             // peeled line without a ref
            format!("{A} refs/tags/a\n^{B}\n^{C}\n"),      // two peeled lines
            format!("{A}refs/tags/a\n"),                   // no separator
            "xyz refs/tags/a\n".to_owned(),                // not an object id
            format!("{} refs/tags/a\n", &A[..39]),         // short id
            format!("{A} tags/a\n"),                       // not under refs/
            format!("{A} refs/tags/a b\n"),                // whitespace in the name
            format!("{} refs/tags/a\n", A.to_uppercase()), // git writes lowercase
        ] {
            assert_eq!(parse_packed_refs(&bad), None, "{bad:?}");
        }
    }

    #[test]
    fn object_ids_are_sha1_or_sha256_hex() {
        assert!(is_object_id(A));
        assert!(is_object_id(&"0123456789abcdef".repeat(4)));
        assert!(!is_object_id(""));
        assert!(!is_object_id(&format!("{A}\n")));
        assert!(!is_object_id("ref: refs/tags/v1"));
    }

    fn repo() -> (tempfile::TempDir, RepoFiles) {
        let tmp = tempfile::tempdir().unwrap();
        let git_dir = tmp.path().join("repo/.git");
        std::fs::create_dir_all(git_dir.join("refs/tags")).unwrap();
        std::fs::write(git_dir.join("config"), "[core]\n\tbare = false\n").unwrap();
        let files = RepoFiles::open(&tmp.path().join("repo")).unwrap();
        (tmp, files)
    }

    #[test]
    fn reads_loose_and_packed_tags_loose_first() {
        let (tmp, files) = repo();
        let git_dir = tmp.path().join("repo/.git");
        std::fs::write(
            git_dir.join("packed-refs"),
            format!(
                "# pack-refs with: peeled fully-peeled sorted \n\
                 {A} refs/tags/v0.1.0\n^{C}\n{A} refs/tags/v0.2.0\n{A} refs/tags/other-1.0\n\
                 {A} refs/tags/v/nested\n{A} refs/heads/v0.3.0\n"
            ),
        )
        .unwrap();
        // A loose ref wins over the packed one; lock files and other prefixes are left out.
        std::fs::write(git_dir.join("refs/tags/v0.2.0"), format!("{B}\n")).unwrap();
        std::fs::write(git_dir.join("refs/tags/v0.4.0"), format!("{C}\n")).unwrap();
        std::fs::write(git_dir.join("refs/tags/v0.5.0.lock"), format!("{C}\n")).unwrap();
        std::fs::write(git_dir.join("refs/tags/x1"), format!("{C}\n")).unwrap();
        let tags = files.tags("v").unwrap();
        let got: Vec<(&str, &str, Option<&str>)> = tags
            .iter()
            .map(|t| (t.name.as_str(), t.object.as_str(), t.peeled.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("v0.1.0", A, Some(C)),
                ("v0.2.0", B, None),
                ("v0.4.0", C, None)
            ]
        );
        assert!(files.tags("nothing-").unwrap().is_empty());
    }

    #[test]
    fn reads_tags_under_a_prefix_with_a_directory() {
        let (tmp, files) = repo();
        let dir = tmp.path().join("repo/.git/refs/tags/core");
        std::fs::create_dir_all(dir.join("v1")).unwrap();
        std::fs::write(dir.join("v1.0.0"), format!("{A}\n")).unwrap();
        std::fs::write(dir.join("v1/deeper"), format!("{A}\n")).unwrap();
        let names: Vec<String> = files
            .tags("core/v")
            .unwrap()
            .into_iter()
            .map(|t| t.name)
            .collect();
        assert_eq!(names, ["core/v1.0.0"]);
    }

    #[test]
    fn leaves_what_it_does_not_understand_to_git() {
        let (tmp, files) = repo();
        let git_dir = tmp.path().join("repo/.git");
        // A symbolic ref in a file.
        std::fs::write(git_dir.join("refs/tags/v1"), "ref: refs/tags/v0\n").unwrap();
        assert_eq!(files.tags("v"), None);
        std::fs::remove_file(git_dir.join("refs/tags/v1")).unwrap();
        // Glob characters in the prefix.
        assert_eq!(files.tags("v*"), None);
        // A malformed packed-refs.
        std::fs::write(git_dir.join("packed-refs"), "garbage\n").unwrap();
        assert_eq!(files.tags("v"), None);
        std::fs::remove_file(git_dir.join("packed-refs")).unwrap();
        // The reftable backend.
        std::fs::write(
            git_dir.join("config"),
            "[extensions]\n\trefStorage = reftable\n",
        )
        .unwrap();
        assert_eq!(files.tags("v"), None);
    }

    #[test]
    fn follows_gitdir_files_and_commondir() {
        let tmp = tempfile::tempdir().unwrap();
        let common = tmp.path().join("root/.git/modules/pkg");
        let worktree_dir = common.join("worktrees/wt");
        std::fs::create_dir_all(common.join("refs/tags")).unwrap();
        std::fs::create_dir_all(&worktree_dir).unwrap();
        std::fs::write(common.join("config"), "[core]\n").unwrap();
        std::fs::write(common.join("refs/tags/v1.0"), format!("{A}\n")).unwrap();
        std::fs::write(worktree_dir.join("commondir"), "../..\n").unwrap();
        let pkg = tmp.path().join("root/packages/pkg");
        std::fs::create_dir_all(&pkg).unwrap();
        std::fs::write(pkg.join(".git"), "gitdir: ../../.git/modules/pkg\n").unwrap();
        let files = RepoFiles::open(&pkg).unwrap();
        assert_eq!(files.tags("v").unwrap().len(), 1);
        assert!(files.history_is_plain());
        let wt = tmp.path().join("wt");
        std::fs::create_dir_all(&wt).unwrap();
        std::fs::write(
            wt.join(".git"),
            format!("gitdir: {}\n", worktree_dir.display()),
        )
        .unwrap();
        let files = RepoFiles::open(&wt).unwrap();
        assert_eq!(files.tags("v").unwrap()[0].name, "v1.0");
        std::fs::write(common.join("shallow"), format!("{A}\n")).unwrap();
        assert!(!files.history_is_plain());
        assert!(RepoFiles::open(&tmp.path().join("nothing")).is_none());
    }
}
