//! `notes` (stage 3): for each package with commits since its last tag, write
//! `<changes_output_dir>/<pkg>/<changes_since_tag_filename>` (commit log with bodies, then the
//! diff) and a `<tag_message_filename>` template with `{VERSION}`/`{PREV_VERSION}` placeholders,
//! grouped by conventional-commit type. An edited template is never overwritten.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::Serialize;

use crate::core::error::UserError;
use crate::core::parallel;
use crate::git::Git;
use crate::git::files::RepoFiles;
use crate::git::tagcache::TagCache;
use crate::plan::Plan;
use crate::python::conventional;
use crate::python::version;
use crate::release::changelog;
use crate::workspace::{Package, Workspace};

/// The tree of an empty repository: what a package without a tag is diffed against.
const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

/// What `notes` needs.
#[derive(Clone, Debug, Default)]
pub struct NotesRequest {
    pub packages: Vec<String>,
    /// `{package: tag}`: compare against these tags instead of each package's newest tag.
    pub tags: BTreeMap<String, String>,
    pub jobs: Option<usize>,
}

/// One package's notes.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct PackageNotes {
    pub package: String,
    /// The tag compared against; `None` when the package has no tag yet (all commits count).
    pub since_tag: Option<String>,
    pub commits: usize,
    pub changes_file: String,
    pub tag_message_file: String,
    /// Whether an edited tag message was kept as it is.
    pub tag_message_kept: bool,
    /// Why the message there was written anew although it had text: it was written for an
    /// earlier release (see [`message_state`]).
    #[serde(skip)]
    pub tag_message_stale: Option<String>,
    /// The commit log (hashes, subjects, bodies), for the LLM prompt.
    #[serde(skip)]
    pub log: String,
    /// `--stat` and the full diff, for the LLM prompt.
    #[serde(skip)]
    pub diff: String,
    /// The template grouped from conventional commits (the draft the LLM improves on).
    #[serde(skip)]
    pub template: String,
    /// The marker line of a message written for the coming release (what `--llm` keeps above
    /// its answer, see [`marker`]).
    #[serde(skip)]
    pub marker: String,
}

/// Read a `--tags-file` (JSON object `{package: tag}`).
pub fn read_tags_file(path: &Path) -> Result<BTreeMap<String, String>> {
    let text = fs_err::read_to_string(path)
        .map_err(|e| UserError::usage(format!("Cannot read --tags-file: {e}")))?;
    serde_json::from_str(&text).map_err(|e| {
        UserError::usage(format!("Invalid --tags-file {}: {e}", path.display()))
            .with_hint("expected a JSON object like {\"core-utils\": \"v0.1.0\"}")
            .into()
    })
}

/// The template written when a package has no tag message yet. `first`: the package has no
/// release yet, so there is no "since" to speak of (`First release:`, or `First release.` alone
/// when no commit says more).
pub fn template(package: &str, messages: &[&str], first: bool) -> String {
    let grouped = conventional::grouped_notes(messages);
    if first {
        let body = if grouped.is_empty() {
            "First release.\n".to_owned()
        } else {
            format!("First release:\n\n{grouped}")
        };
        return format!(
            "<!-- Tag message of {package} {{VERSION}}: edit freely; {{VERSION}} is filled in by `prepare`. -->\n\
             Release {package} {{VERSION}}\n\n{body}"
        );
    }
    let body = if grouped.is_empty() {
        "- Maintenance release.\n".to_owned()
    } else {
        grouped
    };
    format!(
        "<!-- Tag message of {package} {{VERSION}}: edit freely; {{VERSION}} and {{PREV_VERSION}} are filled in by `prepare`. -->\n\
         Release {package} {{VERSION}}\n\nChanges since {{PREV_VERSION}}:\n\n{body}"
    )
}

/// The first line `notes` writes in a tag message: what it was written for, so that a release
/// made since is recognised (the message belongs to the version it was written for), and a
/// digest of the template below it, so that an untouched template is told from an edited one.
/// An HTML comment: it never reaches a tag or a changelog.
pub fn marker(package: &str, after: Option<&str>, body: &str) -> String {
    format!(
        "<!-- release-tool: tag message of {package} after {}, template {} -->\n",
        after.unwrap_or(NO_RELEASE),
        digest(body)
    )
}

const MARKER_START: &str = "<!-- release-tool: tag message of ";
const NO_RELEASE: &str = "no release";

/// FNV-1a (64 bits) of `text`, in hex: stable across versions and platforms.
fn digest(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// A tag message file's marker, read back.
#[derive(Debug, PartialEq, Eq)]
pub struct Marker {
    pub package: String,
    /// The newest tag of the package when the message was written (`None`: no tag yet).
    pub after: Option<String>,
    /// The text below the marker is the template exactly as `notes` wrote it.
    pub untouched: bool,
}

/// The marker of a tag message file (its first line), when it has one.
pub fn read_marker(text: &str) -> Option<Marker> {
    let (first, body) = text.split_once('\n').unwrap_or((text, ""));
    let rest = first.strip_prefix(MARKER_START)?.strip_suffix(" -->")?;
    let (head, hash) = rest.rsplit_once(", template ")?;
    let (package, after) = head.split_once(" after ")?;
    Some(Marker {
        package: package.to_owned(),
        after: (after != NO_RELEASE).then(|| after.to_owned()),
        untouched: digest(body) == hash,
    })
}

/// What a tag message file holding `text` is worth for a package whose newest tag (any kind,
/// merged or not) is `newest`.
#[derive(Debug, PartialEq, Eq)]
pub enum MessageState {
    /// Written by the user for the coming release: used as it is.
    Written,
    /// Nothing written (empty, only comments, the Python tool's or this tool's untouched
    /// template): the notes grouped from the commits stand in.
    Unwritten,
    /// Written for an earlier release (a release was made since): not used; the reason.
    Stale(String),
}

/// Judge a tag message file (see [`MessageState`]). With a marker, it is stale when the
/// marker's package is another one or its release is no longer the newest. Without one (written
/// by hand, or by an older version of this tool), it is stale when the newest tag was made
/// after the file was last modified: `released_after_file` answers that (asked only then).
pub fn message_state(
    text: &str,
    package: &str,
    newest: Option<&str>,
    released_after_file: impl FnOnce() -> bool,
) -> MessageState {
    if changelog::strip_comments(text).trim().is_empty() || changelog::is_old_tool_template(text) {
        return MessageState::Unwritten;
    }
    let stale = match read_marker(text) {
        Some(m) if m.package != package || m.after.as_deref() != newest => Some(format!(
            "it was written for the release of {} after {}, and {} was released since",
            m.package,
            m.after.as_deref().unwrap_or("its start"),
            newest.unwrap_or("it")
        )),
        Some(m) if m.untouched => return MessageState::Unwritten,
        // Without a marker: written for the newest release when it is older than that.
        None if newest.is_some() && released_after_file() => Some(format!(
            "it is older than the release {}",
            newest.unwrap_or_default()
        )),
        Some(_) | None => None,
    };
    stale.map_or(MessageState::Written, MessageState::Stale)
}

/// Whether the tag `tag` was made after `file` was last modified (one git process): a tag
/// message without a marker older than the package's newest release was written for that one.
pub fn released_after(git: &Git, tag: &str, file: &Path) -> bool {
    let Some(modified) = fs_err::metadata(file)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
    else {
        return false;
    };
    git.run([
        "for-each-ref",
        "--format=%(creatordate:unix)",
        &format!("refs/tags/{tag}"),
    ])
    .ok()
    .and_then(|out| out.trim().parse::<u64>().ok())
    .is_some_and(|made| made > modified.as_secs())
}

struct Gathered {
    /// The newest tag of the package, merged or not (what a tag message is written after).
    newest: Option<String>,
    since_tag: Option<String>,
    log: String,
    messages: Vec<String>,
    diff: String,
    count: usize,
}

fn gather(
    ws: &Workspace,
    cache: &TagCache,
    pkg: &Package,
    tags: &BTreeMap<String, String>,
) -> Result<Option<Gathered>> {
    // An in-tree package's commits and tags are the root's, limited to its directory.
    let git = Git::new(pkg.repo_dir(&ws.root));
    let path = pkg.path_filter();
    let prefix = &ws.tag_prefix(pkg);
    // The names are all it takes: read from the repository's files when they can be.
    let files = git.files();
    let from_files = files.as_ref().and_then(|f| f.tags(prefix));
    let all: Vec<String> = match from_files {
        Some(tags) => tags.into_iter().map(|t| t.name).collect(),
        None => git.tags(prefix)?.into_iter().map(|t| t.name).collect(),
    };
    let newest = version::newest_tag(all.iter().map(String::as_str), prefix, false).map(|(t, _)| t);
    let chosen = tags
        .iter()
        .find(|(k, _)| ws.package(k).is_some_and(|p| p.key == pkg.key));
    let since_tag = if let Some((_, tag)) = chosen {
        // A tag of the list exists; another one is asked of git.
        if !all.contains(tag) && git.resolve(tag)?.is_none() {
            return Err(UserError::usage(format!(
                "Package {}: tag `{tag}` from --tags-file does not exist",
                pkg.name
            ))
            .with_hint("fetch the tags (`release-tool status --fetch`) or fix the file")
            .into());
        }
        Some(tag.clone())
    } else {
        newest.clone()
    };
    // No commit since the tag (HEAD is in its history): nothing to write, and no process when
    // the tag cache holds the distances for this HEAD (see `git::tagcache`).
    if let Some(tag) = &since_tag
        && path.is_none()
        && let Some(Some(head)) = files.as_ref().and_then(RepoFiles::head).map(|(_, h)| h)
        && cache
            .cached_distances(&pkg.rel_path, &git, prefix, &head)
            .is_some_and(|d| d.iter().any(|t| t.name == *tag && t.since == Some(0)))
    {
        return Ok(None);
    }
    // As `prepare` counts them (docs/release.md, "Which packages"): no changes when the tree
    // is the released tree but for the version; merges and `next` commits are not notes
    // (unless the tree changed in merges only).
    if let Some(tag) = &since_tag
        && !super::tree_differs_in(&git, &format!("refs/tags/{tag}"), "HEAD", path)?
    {
        return Ok(None);
    }
    let all = super::log_with_merges_in(&git, since_tag.as_deref(), "HEAD", path)?;
    let no_squash = HashMap::new();
    let commits = super::change_commits(&all, &no_squash, |_| false);
    if commits.is_empty() {
        return Ok(None);
    }
    let mut log = String::new();
    for c in &commits {
        let _ = writeln!(log, "commit {}\n    {}", c.hash, c.subject);
        for line in c.body.lines() {
            let _ = writeln!(log, "    {line}");
        }
        log.push('\n');
    }
    // No tag yet: everything since the first commit, i.e. the whole tree (not just HEAD).
    let base = since_tag.as_deref().unwrap_or(EMPTY_TREE);
    let (stat, patch) = git.diff_stat_and_patch_in(base, Some("HEAD"), path)?;
    let diff = format!("{stat}\n{patch}");
    let messages = commits
        .iter()
        .map(|c| {
            if c.body.is_empty() {
                c.subject.clone()
            } else {
                format!("{}\n\n{}", c.subject, c.body)
            }
        })
        .collect();
    Ok(Some(Gathered {
        newest,
        since_tag,
        log,
        messages,
        diff,
        count: commits.len(),
    }))
}

/// The product's combined notes of the coming release as `notes` drafts them
/// (`<changes_output_dir>/product_notes.md`): a title, then per package of `written` a
/// `### <package>` section with its tag message as it stands in `plan` (the template written,
/// an edited message kept, or the model's answer), its marker and title lines left out and its
/// headings one level down, as `release`/`prepare` combine them (docs/release.md, "The
/// product"). `None` when no package has notes.
pub fn product_notes(
    ws: &Workspace,
    plan: &Plan,
    written: &[PackageNotes],
) -> Option<(PathBuf, String)> {
    if written.is_empty() {
        return None;
    }
    let name = crate::python::pyproject::PyProject::load(&ws.root.join("pyproject.toml"))
        .ok()
        .and_then(|d| d.name().map(str::to_owned))
        .unwrap_or_else(|| "product".to_owned());
    let mut out = format!(
        "# {name}: the combined notes of the coming release\n\n\
         <!-- Drafted by `release-tool notes` from the packages' tag messages; `release` and `prepare` write the product's CHANGELOG section and forge release from the messages they use. -->\n\n"
    );
    for n in written {
        let path = ws.root.join(&n.tag_message_file);
        let text = plan
            .current_content(&path)
            .or_else(|| fs_err::read_to_string(&path).ok())
            .unwrap_or_default();
        let message = if read_marker(&text).is_some() {
            text.split_once('\n').map_or("", |(_, b)| b)
        } else {
            text.as_str()
        };
        let message = super::changelog::strip_comments(message);
        let _ = writeln!(out, "### {}\n", n.package);
        super::product::push_body(&mut out, &message);
    }
    let path = ws
        .root
        .join(&ws.config.changes_output_dir)
        .join(super::stages::PRODUCT_NOTES_FILE);
    Some((path, out.trim_end().to_owned() + "\n"))
}

/// Plan the notes of the selected packages (those with changes since their last release).
pub fn plan(ws: &Workspace, req: &NotesRequest) -> Result<(Plan, Vec<PackageNotes>)> {
    for name in req.tags.keys() {
        if ws.package(name).is_none() {
            return Err(UserError::usage(format!(
                "--tags-file names `{name}`, which is not a package of this workspace"
            ))
            .into());
        }
    }
    let selected: Vec<&Package> = ws
        .select(&req.packages)?
        .into_iter()
        .filter(|p| !ws.config.is_skipped(&p.name))
        .collect();
    for pkg in &selected {
        if pkg.meta.is_none() || !(pkg.in_tree() || pkg.dir.join(".git").exists()) {
            return Err(UserError::failure(format!(
                "Package {} cannot be read: {}",
                pkg.name,
                pkg.problems
                    .first()
                    .map_or("not a git repository", |p| p.message.as_str())
            ))
            .with_hint("fix it (see `release-tool status`) or leave it out with -p")
            .into());
        }
    }
    // Planning: the tag cache is read (a `status` run fills it), never written.
    let cache = TagCache::open(&ws.root, false);
    let gathered = parallel::map(&selected, ws.config.effective_jobs(req.jobs), |pkg| {
        gather(ws, &cache, pkg, &req.tags)
    });
    let mut plan = Plan::new(&ws.root);
    let mut out = Vec::new();
    let out_dir = ws.root.join(&ws.config.changes_output_dir);
    for (pkg, gathered) in selected.iter().zip(gathered) {
        let Some(g) = gathered? else { continue };
        let dir: PathBuf = out_dir.join(&pkg.name);
        let changes = dir.join(&ws.config.changes_since_tag_filename);
        let message = dir.join(&ws.config.tag_message_filename);
        let header = match &g.since_tag {
            Some(tag) => format!(
                "# {}: {} since {tag}\n\n",
                pkg.name,
                crate::core::text::count(g.count, "commit")
            ),
            None => format!(
                "# {}: {} since the first commit (no tag yet)\n\n",
                pkg.name,
                crate::core::text::count(g.count, "commit")
            ),
        };
        plan.write(
            Some(&pkg.name),
            &changes,
            format!("{header}## Commits\n\n{}## Diff\n\n{}", g.log, g.diff),
        );
        let messages: Vec<&str> = g.messages.iter().map(String::as_str).collect();
        let template = template(&pkg.name, &messages, g.since_tag.is_none());
        // Kept: a message with text that is not an untouched template (this tool's, of any
        // commits, or the Python release_tool's), written for the coming release (no release
        // since it was written).
        let newest = g.newest.as_deref();
        let state = fs_err::read_to_string(&message).ok().map(|t| {
            let body =
                read_marker(&t).map_or(t.as_str(), |_| t.split_once('\n').map_or("", |(_, b)| b));
            if body == template {
                MessageState::Unwritten
            } else {
                message_state(&t, &pkg.name, newest, || {
                    newest.is_some_and(|tag| {
                        released_after(&Git::new(pkg.repo_dir(&ws.root)), tag, &message)
                    })
                })
            }
        });
        let kept = state == Some(MessageState::Written);
        let stale = match state {
            Some(MessageState::Stale(why)) => Some(why),
            _ => None,
        };
        let marker = marker(&pkg.name, newest, &template);
        if !kept {
            plan.write(Some(&pkg.name), &message, format!("{marker}{template}"));
        }
        out.push(PackageNotes {
            package: pkg.name.clone(),
            since_tag: g.since_tag,
            commits: g.count,
            changes_file: ws.rel(&changes),
            tag_message_file: ws.rel(&message),
            tag_message_kept: kept,
            tag_message_stale: stale,
            log: g.log,
            diff: g.diff,
            template,
            marker,
        });
    }
    Ok((plan, out))
}

#[cfg(test)]
mod tests {
    use super::{MessageState, marker, message_state, read_marker};

    #[test]
    fn a_marker_names_the_release_it_follows_and_tells_an_untouched_template() {
        let body = "Release a {VERSION}\n\n- x\n";
        let text = format!("{}{body}", marker("a", Some("v0.1.0"), body));
        let m = read_marker(&text).unwrap();
        assert_eq!(
            (m.package.as_str(), m.after.as_deref(), m.untouched),
            ("a", Some("v0.1.0"), true)
        );
        assert_eq!(
            message_state(&text, "a", Some("v0.1.0"), || unreachable!()),
            MessageState::Unwritten
        );
        let edited = format!("{text}- y\n");
        assert_eq!(
            message_state(&edited, "a", Some("v0.1.0"), || unreachable!()),
            MessageState::Written
        );
        assert!(matches!(
            message_state(&edited, "a", Some("v0.2.0"), || unreachable!()),
            MessageState::Stale(_)
        ));
        let first = format!("{}{body}- y\n", marker("a", None, body));
        assert!(read_marker(&first).unwrap().after.is_none());
        assert!(matches!(
            message_state(&first, "a", Some("v0.1.0"), || unreachable!()),
            MessageState::Stale(_)
        ));
        // No marker: the file's age decides.
        assert_eq!(
            message_state("hand\n", "a", Some("v0.1.0"), || false),
            MessageState::Written
        );
        assert!(matches!(
            message_state("hand\n", "a", Some("v0.1.0"), || true),
            MessageState::Stale(_)
        ));
        assert_eq!(
            message_state("hand\n", "a", None, || true),
            MessageState::Written
        );
        // The marker is a comment: filled, it is gone.
        assert_eq!(
            crate::release::changelog::fill(&text, "1.0.0", "0.1.0"),
            "Release a 1.0.0\n\n- x\n"
        );
    }

    #[test]
    fn template_has_placeholders_and_groups() {
        let t = super::template("core-utils", &["fix: b", "feat: a"], false);
        assert!(t.contains("Release core-utils {VERSION}\n\nChanges since {PREV_VERSION}:\n\n### Added\n\n- a\n\n### Fixed\n\n- b\n"), "{t}");
        assert!(super::template("x", &["chore: y"], false).ends_with("- Maintenance release.\n"));
        // A first release: nothing to be "since", and no "maintenance" about it.
        let t = super::template("core-utils", &["feat: a"], true);
        assert!(
            t.ends_with("Release core-utils {VERSION}\n\nFirst release:\n\n### Added\n\n- a\n"),
            "{t}"
        );
        let t = super::template("x", &["chore: y"], true);
        assert!(
            t.ends_with("Release x {VERSION}\n\nFirst release.\n"),
            "{t}"
        );
    }
}
