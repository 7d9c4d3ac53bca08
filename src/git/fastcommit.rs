//! A package's release commit, its annotated tag and its next-dev commit written by **one**
//! `git fast-import` instead of `git add`, two `git commit` and `git tag` (issue #19 item 4).
//!
//! Only where git itself would run nothing of the user's and sign nothing, so that the objects
//! are the ones the porcelain commands make (the same trees, messages cleaned as `git commit -m`
//! and `git tag --cleanup=whitespace` clean them, the same identities and dates from
//! `git var`): [`Settings::read`] (one `git var -l` per run) refuses signing, hooks paths,
//! includes, attribute files, commit cleanup and encoding settings anywhere in the
//! configuration, and [`package_refusal`] refuses a package repository with a hook, an
//! attributes file or such a setting of its own. Anything refused takes the porcelain path.
//! `RELEASE_TOOL_PORCELAIN_COMMITS=1` forces the porcelain path everywhere.

use std::fmt::Write as _;
use std::path::Path;

use crate::git::Git;
use crate::git::files::{RepoFiles, parse_plain_config};

/// Configuration keys (lower case, as `git var -l` prints them) that make `git commit` or
/// `git tag` do something a fast-import stream would not: sign, run hooks from elsewhere,
/// filter or convert content, clean or encode messages otherwise, or read more configuration.
const REFUSED_KEYS: &[&str] = &[
    "commit.gpgsign",
    "tag.gpgsign",
    "tag.forcesignannotated",
    "core.hookspath",
    "core.attributesfile",
    "core.autocrlf",
    "core.eol",
    "core.safecrlf",
    "commit.cleanup",
    "i18n.commitencoding",
    "extensions.worktreeconfig",
];

/// Key prefixes refused like [`REFUSED_KEYS`].
const REFUSED_PREFIXES: &[&str] = &["include.", "includeif.", "filter."];

/// Identity keys a package's own configuration must not set: the identities come from one
/// `git var` in the root, which does not see them.
const IDENTITY_PREFIXES: &[&str] = &["user.", "author.", "committer."];

/// Whether `key = value` needs the porcelain path (a boolean key set to false does not).
fn refused(key: &str, value: &str) -> bool {
    let off = matches!(
        value.to_ascii_lowercase().as_str(),
        "false" | "no" | "off" | "0"
    );
    (REFUSED_KEYS.contains(&key) && !off) || REFUSED_PREFIXES.iter().any(|p| key.starts_with(p))
}

/// What one `git var -l` in the root said: the author and committer identities (name, email,
/// date, as `git commit` would take them now) and why the porcelain path is needed, if it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub author: String,
    pub committer: String,
}

impl Settings {
    /// The identities and settings read once per run in `root`; `Err(reason)` when every package
    /// takes the porcelain path (a setting above, `RELEASE_TOOL_PORCELAIN_COMMITS`, an identity
    /// git cannot tell).
    pub fn read(root: &Path) -> Result<Self, String> {
        if std::env::var_os("RELEASE_TOOL_PORCELAIN_COMMITS")
            .is_some_and(|v| v != "0" && !v.is_empty())
        {
            return Err("RELEASE_TOOL_PORCELAIN_COMMITS is set".to_owned());
        }
        // The root's own configuration is part of what `git var` reads: it must not set an
        // identity the packages would not have.
        let root_files = RepoFiles::open(root);
        if let Some(files) = &root_files {
            if let Some(reason) = config_refusal(files, IDENTITY_PREFIXES) {
                return Err(reason);
            }
        } else if Git::new(root).is_repo_root() {
            return Err("the root's git configuration cannot be read in-process".to_owned());
        }
        if let Some(file) = global_attributes_file() {
            return Err(format!("{} exists", file.display()));
        }
        let out = Git::new(root)
            .run(["var", "-l"])
            .map_err(|e| format!("`git var -l` failed: {e}"))?;
        let (mut author, mut committer) = (None, None);
        for line in out.lines() {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            match key {
                "GIT_AUTHOR_IDENT" => author = Some(value.to_owned()),
                "GIT_COMMITTER_IDENT" => committer = Some(value.to_owned()),
                _ if refused(&key.to_ascii_lowercase(), value) => {
                    return Err(format!("git configuration sets {key}"));
                }
                _ => {}
            }
        }
        match (author, committer) {
            (Some(author), Some(committer)) if plain_ident(&author) && plain_ident(&committer) => {
                Ok(Self { author, committer })
            }
            _ => Err("git tells no plain author and committer identity".to_owned()),
        }
    }
}

/// `Name <email> <seconds> <+hhmm>` with nothing fast-import would read otherwise.
fn plain_ident(ident: &str) -> bool {
    let Some((who, date)) = ident.rsplit_once('>') else {
        return false;
    };
    let mut parts = date.split_whitespace();
    let (Some(secs), Some(tz), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    who.matches('<').count() == 1
        && !ident.contains('\n')
        && secs.bytes().all(|b| b.is_ascii_digit())
        && tz.len() == 5
        && tz.starts_with(['+', '-'])
        && tz[1..].bytes().all(|b| b.is_ascii_digit())
}

/// The user's global attributes file, when it exists (git reads it without any setting).
fn global_attributes_file() -> Option<std::path::PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".config")))?;
    let file = base.join("git").join("attributes");
    file.exists().then_some(file)
}

/// Why a repository's own configuration needs the porcelain path: a refused key, or one of
/// `extra`'s prefixes, or a configuration not read for certain.
fn config_refusal(files: &RepoFiles, extra: &[&str]) -> Option<String> {
    let Some(entries) = files.config_text().as_deref().and_then(parse_plain_config) else {
        return Some(format!(
            "{} is not plain",
            files.common_dir().join("config").display()
        ));
    };
    entries
        .iter()
        .find(|(k, v)| refused(k, v) || extra.iter().any(|p| k.starts_with(p)))
        .map(|(k, _)| format!("its git configuration sets {k}"))
}

/// Why the package repository at `dir` needs the porcelain path for a commit of `paths`, or
/// `None`: a hook git would run (any executable file in its hooks directory but the samples),
/// an attributes file (`info/attributes`, a `.gitattributes` at its top or above a path), a
/// setting of its own configuration (above, or an identity).
pub fn package_refusal(dir: &Path, paths: &[String]) -> Option<String> {
    let Some(files) = RepoFiles::open(dir) else {
        return Some("its git directory is not read in-process".to_owned());
    };
    if let Some(reason) = config_refusal(&files, IDENTITY_PREFIXES) {
        return Some(reason);
    }
    if let Some(hook) = hook(&files.common_dir().join("hooks")) {
        return Some(format!("it has the hook {hook}"));
    }
    if files.common_dir().join("info").join("attributes").exists() {
        return Some("it has info/attributes".to_owned());
    }
    let mut dirs = vec![String::new()];
    for path in paths {
        let mut at = path.as_str();
        while let Some((parent, _)) = at.rsplit_once('/') {
            dirs.push(parent.to_owned());
            at = parent;
        }
    }
    dirs.sort();
    dirs.dedup();
    for d in dirs {
        let file = dir.join(&d).join(".gitattributes");
        if file.exists() {
            return Some(format!(
                "it has {}",
                Path::new(&d).join(".gitattributes").display()
            ));
        }
    }
    None
}

/// The first executable file of a hooks directory that git would run (samples end `.sample`).
fn hook(hooks: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt as _;
    let entries = std::fs::read_dir(hooks).ok()?;
    let mut found: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let meta = std::fs::metadata(e.path()).ok()?;
            (!name.ends_with(".sample") && meta.is_file() && meta.permissions().mode() & 0o111 != 0)
                .then_some(name)
        })
        .collect();
    found.sort();
    found.into_iter().next()
}

/// A message as `git commit -m` (cleanup `whitespace`) and `git tag --cleanup=whitespace` store
/// it: trailing whitespace of each line removed, leading and trailing blank lines dropped, runs of
/// blank lines made one, every line ended by a newline (git's `strbuf_stripspace` without
/// comments).
pub fn stripspace(message: &str) -> String {
    let is_space = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c');
    let mut out = String::with_capacity(message.len() + 1);
    let mut blank_pending = false;
    for line in message.split('\n') {
        let line = line.trim_end_matches(is_space);
        if line.is_empty() {
            blank_pending = !out.is_empty();
            continue;
        }
        if blank_pending {
            out.push('\n');
            blank_pending = false;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// One commit of a stream: its message (as given to `git commit -m`) and the files it changes
/// (path relative to the repository, mode, content).
pub struct Commit<'a> {
    pub message: &'a str,
    pub files: Vec<(String, u32, &'a str)>,
}

fn data(out: &mut String, text: &str) {
    let _ = writeln!(out, "data {}", text.len());
    out.push_str(text);
    out.push('\n');
}

/// The fast-import stream: `commits` on `refs/heads/<branch>` from `from` (fast-import refuses
/// to move a branch that is no longer an ancestor of the new tip), and the annotated tag `tag`
/// with `tag_message` on the first commit (right after it, so that the stream reads in order). Messages are cleaned as git cleans them;
/// `None` when one would be empty (git would refuse it: the porcelain path says so).
pub fn stream(
    settings: &Settings,
    branch: &str,
    from: &str,
    commits: &[Commit<'_>],
    tag: &str,
    tag_message: &str,
) -> Option<String> {
    let mut out = String::new();
    for (i, commit) in commits.iter().enumerate() {
        let message = stripspace(commit.message);
        if message.is_empty() {
            return None;
        }
        let _ = write!(
            out,
            "commit refs/heads/{branch}\nmark :{}\nauthor {}\ncommitter {}\n",
            i + 1,
            settings.author,
            settings.committer
        );
        data(&mut out, &message);
        if i == 0 {
            let _ = writeln!(out, "from {from}");
        } else {
            let _ = writeln!(out, "from :{i}");
        }
        for (path, mode, content) in &commit.files {
            if path.contains('\n') || path.starts_with('"') {
                return None;
            }
            let _ = writeln!(out, "M {mode:o} inline {path}");
            data(&mut out, content);
        }
        out.push('\n');
        if i == 0 {
            let _ = write!(out, "tag {tag}\nfrom :1\ntagger {}\n", settings.committer);
            data(&mut out, &stripspace(tag_message));
        }
    }
    out.push_str("done\n");
    Some(out)
}

/// What a stream of [`stream`] makes, in words for a plan: `commit 'subject' on main, tag
/// v1.0.0 on it, commit 'subject'`; `None` for a stream it does not know.
pub fn describe(stream: &str) -> Option<String> {
    let mut parts = Vec::new();
    let mut rest = stream;
    let mut pending: Option<String> = None;
    while !rest.is_empty() {
        let (line, after) = rest.split_once('\n')?;
        rest = after;
        if let Some(branch) = line.strip_prefix("commit refs/heads/") {
            pending = Some(if parts.is_empty() {
                format!(" on {branch}")
            } else {
                String::new()
            });
        } else if let Some(tag) = line.strip_prefix("tag ") {
            parts.push(format!("tag {tag} on it"));
        } else if let Some(n) = line.strip_prefix("data ") {
            let n: usize = n.parse().ok()?;
            let text = rest.get(..n)?;
            rest = rest.get(n..)?.strip_prefix('\n').unwrap_or(rest.get(n..)?);
            if let Some(on) = pending.take() {
                let subject = text.lines().next().unwrap_or("");
                let more = if text.trim_end().contains('\n') {
                    "…"
                } else {
                    ""
                };
                parts.push(format!("commit '{subject}{more}'{on}"));
            }
        }
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// The message of the tag a stream of [`stream`] makes, as it is stored (for a plan shown in
/// full: the commits' subjects are in [`describe`]); `None` for a stream without one.
pub fn tag_message(stream: &str) -> Option<&str> {
    let mut rest = stream;
    let mut in_tag = false;
    while !rest.is_empty() {
        let (line, after) = rest.split_once('\n')?;
        rest = after;
        if line.starts_with("tag ") {
            in_tag = true;
        } else if let Some(n) = line.strip_prefix("data ") {
            let n: usize = n.parse().ok()?;
            let text = rest.get(..n)?;
            if in_tag {
                return Some(text);
            }
            rest = rest.get(n..)?;
        } else if line.starts_with("commit ") {
            in_tag = false;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripspace_is_gits() {
        assert_eq!(stripspace("a"), "a\n");
        assert_eq!(stripspace("\n\n a  \n\n\n\nb\t\n\n"), " a\n\nb\n");
        assert_eq!(stripspace("# h\n\n- x\r\n"), "# h\n\n- x\n");
        assert_eq!(stripspace(" \n\t\n"), "");
    }

    #[test]
    fn a_stream_is_described_and_holds_what_git_would_store() {
        let settings = Settings {
            author: "A <a@x> 1767225600 +0000".to_owned(),
            committer: "C <c@x> 1767225600 +0000".to_owned(),
        };
        let commits = [
            Commit {
                message: "Release a 1.0.0\n\n# Added\n",
                files: vec![("pyproject.toml".to_owned(), 0o100_644, "v = 1\n")],
            },
            Commit {
                message: "chore: start 1.0.1.dev0 development",
                files: vec![("pyproject.toml".to_owned(), 0o100_644, "v = 2\n")],
            },
        ];
        let text = stream(
            &settings,
            "main",
            &"1".repeat(40),
            &commits,
            "v1.0.0",
            "Release a 1.0.0\n\n# Added",
        )
        .unwrap();
        assert!(
            text.contains("data 25\nRelease a 1.0.0\n\n# Added\n\n"),
            "{text}"
        );
        assert!(
            text.contains("M 100644 inline pyproject.toml\ndata 6\nv = 1\n"),
            "{text}"
        );
        assert!(text.contains("\ntag v1.0.0\nfrom :1\ntagger C <c@x> 1767225600 +0000\ndata 25\nRelease a 1.0.0\n\n# Added\n\ncommit "), "{text}");
        assert!(text.ends_with("\ndone\n"), "{text}");
        assert_eq!(
            describe(&text).unwrap(),
            "commit 'Release a 1.0.0…' on main, tag v1.0.0 on it, commit 'chore: start 1.0.1.dev0 development'"
        );
        // An empty message: git refuses the commit, so does the stream.
        let empty = [Commit {
            message: " \n",
            files: vec![],
        }];
        assert!(stream(&settings, "main", "x", &empty, "t", "m").is_none());
    }

    #[test]
    fn idents_are_plain() {
        assert!(plain_ident("A B <a@b> 1700000000 +0100"));
        assert!(!plain_ident("A <a@b> 1700000000"));
        assert!(!plain_ident("A <a@b> now +0100"));
    }
}
