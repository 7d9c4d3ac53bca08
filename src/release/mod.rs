//! The release stages as plans (docs/reference.md §3): `prepare` (stage 4), `tag` (stage 5), `next`
//! (stage 6) and the trunk-based one-shot `release`, with the root's bookkeeping commit.
//!
//! Everything here only *plans*: it reads the workspace and returns a grouped [`Plan`] (each
//! package's steps in order, a package after the packages it depends on, the root last) that
//! `--dry-run` prints and the executor runs. Problems found while planning (a dirty package,
//! a wrong branch, an invalid version) stop the command before anything changes.

pub mod branch;
pub mod changelog;
pub mod notes;
pub mod publish;
pub mod stages;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use crate::config::ProdSource;
use crate::core::error::UserError;
use crate::core::parallel;
use crate::env::manifests;
use crate::forge::{ForgeAction, ForgeCall};
use crate::git::tagcache::TagCache;
use crate::git::{Git, RepoStatus};
use crate::plan::Plan;
use crate::python::pyproject::{self, PyProject, Source, VersionSource};
use crate::python::version::{self, Bump, Version};
use crate::workspace::{Package, Skipped, Workspace};

/// A release stage run through the journal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Prepare,
    Tag,
    Next,
    Release,
}

impl Stage {
    /// The command's name.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Prepare => "prepare",
            Stage::Tag => "tag",
            Stage::Next => "next",
            Stage::Release => "release",
        }
    }

    /// Whether the stage takes `--bump`.
    pub fn bumps(self) -> bool {
        matches!(self, Stage::Prepare | Stage::Release)
    }
}

/// What the release stages were asked for.
///
/// Serialised, it is the key of the journal a run is recorded under (see [`Request::key`]):
/// the fields that shape the plan, so that the same request resumes it. `delete_branch` and
/// `lock` do not shape the plan of the stage and are left out.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Request {
    pub stage: Stage,
    /// The selected packages (`-p`), compared in any order.
    #[serde(serialize_with = "sorted")]
    pub packages: Vec<String>,
    pub bump: Bump,
    pub push: bool,
    /// `release`: start the next development cycle after tagging (`--no-next` turns it off).
    pub next: bool,
    /// Make the root's bookkeeping commit (`--no-root-commit` turns it off).
    pub root_commit: bool,
    /// `tag`: delete `dev_branch` after syncing `base_branch`.
    #[serde(skip)]
    pub delete_branch: bool,
    /// Refresh the locks of the manifests the stage changes (needs uv).
    #[serde(skip)]
    pub lock: bool,
}

fn sorted<S: serde::Serializer>(packages: &[String], s: S) -> Result<S::Ok, S::Error> {
    let mut packages = packages.to_vec();
    packages.sort();
    serde::Serialize::serialize(&packages, s)
}

impl Request {
    /// The journal key of this request: the request as a value, compared as a value.
    pub fn key(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a request serialises")
    }

    /// The command line that makes this request again, as the journal and the workspace lock
    /// name the run (`release --bump minor --push -p alpha`).
    pub fn command_line(&self) -> String {
        let mut line = self.stage.name().to_owned();
        if self.stage.bumps() {
            line.push_str(" --bump ");
            line.push_str(self.bump.as_str());
        }
        if self.push {
            line.push_str(" --push");
        }
        if self.stage == Stage::Release && !self.next {
            line.push_str(" --no-next");
        }
        if !self.root_commit {
            line.push_str(" --no-root-commit");
        }
        let mut packages = self.packages.clone();
        packages.sort();
        for p in packages {
            line.push_str(" -p ");
            line.push_str(&p);
        }
        line
    }

    /// Plan the stage (`tag` without `--sync`).
    pub fn plan(&self, ws: &Workspace) -> Result<Planned> {
        match self.stage {
            Stage::Prepare => plan_prepare(ws, self),
            Stage::Tag => plan_tag(ws, self),
            Stage::Next => plan_next(ws, self),
            Stage::Release => plan_release(ws, self),
        }
    }
}

pub use crate::plan::journal::PackageRelease;

/// A planned stage.
#[derive(Debug)]
pub struct Planned {
    pub plan: Plan,
    pub packages: Vec<PackageRelease>,
    pub skipped: Vec<Skipped>,
    /// Things worth saying before the run (a lock left stale, a compare URL...).
    pub notes: Vec<String>,
}

impl Planned {
    fn new(ws: &Workspace) -> Self {
        Self {
            plan: Plan::grouped(&ws.root),
            packages: Vec::new(),
            skipped: Vec::new(),
            notes: Vec::new(),
        }
    }
}

/// Subject prefix of the commit `next` makes; such commits alone do not call for a release.
const NEXT_PREFIX: &str = "chore: start ";
const NEXT_SUFFIX: &str = " development";

/// The commit message that starts a development cycle.
pub fn next_message(version: &str) -> String {
    format!("{NEXT_PREFIX}{version}{NEXT_SUFFIX}")
}

fn is_next_commit(subject: &str) -> bool {
    subject.starts_with(NEXT_PREFIX) && subject.ends_with(NEXT_SUFFIX)
}

/// What is known of a package before planning its steps.
struct Candidate<'a> {
    pkg: &'a Package,
    git: Git,
    prefix: String,
    version: Version,
    /// The release the changes are counted from and its version: the newest tag merged into
    /// HEAD (any kind; only final ones for a final release, see [`counts_since_final`]), or a
    /// newer tag off HEAD's history whose tree HEAD has (a squash merge).
    last_tag: Option<(String, Version)>,
    /// Full messages of the commits since that tag, newest first, without the tool's own
    /// commits (`next` commits, the release commits of tags) and merges; empty when the tree
    /// is the released tree but for the version.
    messages: Vec<String>,
    branch: Option<String>,
    /// The work tree's state when planning started (branch, HEAD, uncommitted changes).
    status: RepoStatus,
    /// Every tag with the package's prefix (merged or not).
    tags: Vec<String>,
}

impl Candidate<'_> {
    /// The package's tag holding version `v`, however it is spelled (with prefix `""`,
    /// `v0.0.1` holds 0.0.1): versions are compared, not tag names.
    fn tagged(&self, v: &Version) -> Option<&str> {
        version::tag_of_version(self.tags.iter().map(String::as_str), &self.prefix, v)
    }

    /// The tag of version `v`: its existing tag, else the one this tool creates
    /// (`<prefix><v>`, normalised).
    fn tag_name(&self, v: &Version) -> String {
        self.tagged(v)
            .map_or_else(|| format!("{}{v}", self.prefix), str::to_owned)
    }
}

fn problem(problems: &mut Vec<String>, pkg: &Package, text: impl std::fmt::Display) {
    problems.push(format!("{} ({}): {text}", pkg.name, pkg.rel_path));
}

/// What git says about a candidate (gathered for all packages in parallel).
struct Gathered {
    status: RepoStatus,
    tags: Vec<String>,
    last_tag: Option<(String, Version)>,
    messages: Vec<String>,
}

/// The commits in `from..to` (all of `to` without `from`), newest first, each with whether it
/// is a merge: one `git log`.
fn log_with_merges(
    git: &Git,
    from: Option<&str>,
    to: &str,
) -> Result<Vec<(bool, crate::git::Commit)>> {
    let range = from.map_or_else(|| to.to_owned(), |from| format!("{from}..{to}"));
    let out = git.run(["log", "-z", "--format=%H%x1f%P%x1f%s%x1f%b", &range, "--"])?;
    Ok(out
        .split('\0')
        .filter(|r| !r.trim().is_empty())
        .filter_map(|record| {
            let mut parts = record.trim_start_matches('\n').splitn(4, '\x1f');
            let hash = parts.next()?.to_owned();
            let merge = parts.next()?.split_whitespace().count() > 1;
            Some((
                merge,
                crate::git::Commit {
                    hash,
                    subject: parts.next()?.to_owned(),
                    body: parts.next().unwrap_or("").trim_end().to_owned(),
                },
            ))
        })
        .collect())
}

/// Whether a `--bump` makes a final release, which counts the commits since the last *final*
/// release (a dev/pre release counts since the newest tag of any kind). Compared by name so
/// that every pre-release kind (`pre`, `alpha`, `beta`, `rc`) counts as one.
fn counts_since_final(bump: Bump) -> bool {
    !matches!(bump.as_str(), "dev" | "pre" | "alpha" | "beta" | "rc")
}

/// Whether the tree of `to` differs from the tree of `from` by more than version assignments
/// (the `next` commit's `version = "…"` in pyproject.toml, or a hatch version file's
/// `__version__ = "…"`): one `git diff -U0`.
fn tree_differs(git: &Git, from: &str, to: &str) -> Result<bool> {
    let out = git.run([
        "diff",
        "--no-color",
        "--no-ext-diff",
        "--no-renames",
        "-U0",
        from,
        to,
        "--",
    ])?;
    let is_version_line = |line: &str| {
        let line = line.trim();
        ["version", "__version__", "VERSION"].iter().any(|name| {
            line.strip_prefix(name)
                .map(str::trim_start)
                .and_then(|rest| rest.strip_prefix('='))
                .map(str::trim)
                .is_some_and(|value| {
                    value.len() >= 2
                        && (value.starts_with('"') && value.ends_with('"')
                            || value.starts_with('\'') && value.ends_with('\''))
                        && !value[1..value.len() - 1].contains(['"', '\''])
                })
        })
    };
    let (mut removed, mut added) = (0usize, 0usize);
    for line in out.lines() {
        if line.starts_with("+++ ") || line.starts_with("--- ") {
            continue;
        }
        if let Some(rest) = line.strip_prefix('+') {
            added += 1;
            if !is_version_line(rest) {
                return Ok(true);
            }
        } else if let Some(rest) = line.strip_prefix('-') {
            removed += 1;
            if !is_version_line(rest) {
                return Ok(true);
            }
        } else if line.starts_with("Binary files")
            || line.starts_with("new file")
            || line.starts_with("deleted file")
        {
            return Ok(true);
        }
    }
    Ok(added != removed)
}

/// A package's git state for planning: `git status`, its tags with their distance to HEAD
/// (from the tag cache when valid, see [`crate::git::tagcache`]) and, when there are commits since
/// the newest merged tag, their messages: two or three git processes, one when nothing changed.
fn gather(
    cache: &TagCache,
    pkg: &Package,
    git: &Git,
    prefix: &str,
    since_final: bool,
) -> Result<Gathered> {
    let status = git
        .status()
        .with_context(|| format!("{}: cannot read its git status", pkg.name))?;
    let Some(head) = status.head.clone() else {
        // An unborn branch: no tag, no commit (git log says so, as before).
        git.log(None, "HEAD")
            .with_context(|| format!("{}: cannot read its commits", pkg.name))?;
        return Ok(Gathered {
            status,
            tags: Vec::new(),
            last_tag: None,
            messages: Vec::new(),
        });
    };
    let tags = cache
        .tag_distances(&pkg.rel_path, git, prefix, &head)
        .with_context(|| format!("{}: cannot read its tags", pkg.name))?;
    version::note_ignored_tags(&pkg.name, tags.iter().map(|t| t.name.as_str()), prefix);
    let merged: Vec<String> = if tags.iter().all(|t| t.ahead.is_some()) {
        // `ahead` = commits of the tag that HEAD lacks: 0 means merged into HEAD.
        tags.iter()
            .filter(|t| t.ahead == Some(0))
            .map(|t| t.name.clone())
            .collect()
    } else {
        // No counts (a git without `ahead-behind`): git lists the tags HEAD contains.
        git.run([
            "tag",
            "--list",
            "--merged",
            &head,
            "--",
            &format!("{prefix}*"),
        ])
        .unwrap_or_default()
        .lines()
        .map(|l| l.trim().to_owned())
        .collect()
    };
    let mut last_tag = version::newest_tag(merged.iter().map(String::as_str), prefix, since_final);
    let since = last_tag
        .as_ref()
        .and_then(|(name, _)| tags.iter().find(|t| t.name == *name)?.since);
    let mut messages = Vec::new();
    if since != Some(0) {
        // Commits since the release: changes only when the tree differs from the released
        // tree by more than the version (merges that bring nothing, `next` commits do not).
        let released = |tag: &str| tree_differs(git, &format!("refs/tags/{tag}"), &head);
        let mut unchanged = match &last_tag {
            Some((tag, _)) => !released(tag)?,
            None => false,
        };
        if !unchanged {
            // A newer tag off HEAD's history (the release commit squash-merged): HEAD has its
            // tree, so it is the release HEAD comes from.
            let newest =
                version::newest_tag(tags.iter().map(|t| t.name.as_str()), prefix, since_final);
            if let Some((tag, v)) = newest
                && last_tag.as_ref().is_none_or(|(_, last)| v > *last)
                && !released(&tag)?
            {
                last_tag = Some((tag, v));
                unchanged = true;
            }
        }
        if !unchanged {
            let from = last_tag.as_ref().map(|(t, _)| t.as_str());
            // The release commits of tags since (dev releases before a final one) are the
            // tool's own; their changes are the commits below them.
            let tagged: BTreeSet<&str> = tags.iter().map(|t| t.commit.as_str()).collect();
            let commits = log_with_merges(git, from, &head)
                .with_context(|| format!("{}: cannot read its commits", pkg.name))?;
            let full = |(_, c): &(bool, crate::git::Commit)| {
                if c.body.is_empty() {
                    c.subject.clone()
                } else {
                    format!("{}\n\n{}", c.subject, c.body)
                }
            };
            messages = commits
                .iter()
                .filter(|(merge, c)| {
                    !merge && !is_next_commit(&c.subject) && !tagged.contains(c.hash.as_str())
                })
                .map(full)
                .collect();
            if messages.is_empty() {
                // The tree changed in merges or release commits only: they are the changes.
                messages = commits
                    .iter()
                    .filter(|(_, c)| !is_next_commit(&c.subject))
                    .map(full)
                    .collect();
            }
        }
    }
    Ok(Gathered {
        status,
        tags: tags.into_iter().map(|t| t.name).collect(),
        last_tag,
        messages,
    })
}

/// Look at each selected package: version, tags, commits, branch, cleanliness. The git work
/// runs for all packages in parallel; candidates come back in dependency order.
fn candidates<'a>(
    ws: &'a Workspace,
    names: &[String],
    skipped: &mut Vec<Skipped>,
    problems: &mut Vec<String>,
) -> Result<Vec<Candidate<'a>>> {
    candidates_since(ws, names, false, skipped, problems)
}

/// [`candidates`] with the changes counted since the last final release (`since_final`, for a
/// final release) or since the newest tag of any kind.
fn candidates_since<'a>(
    ws: &'a Workspace,
    names: &[String],
    since_final: bool,
    skipped: &mut Vec<Skipped>,
    problems: &mut Vec<String>,
) -> Result<Vec<Candidate<'a>>> {
    let selected: BTreeSet<String> = ws.select(names)?.iter().map(|p| p.key.clone()).collect();
    let mut eligible = Vec::new();
    for pkg in ws.dependency_order()? {
        if !selected.contains(&pkg.key) {
            continue;
        }
        if ws.config.is_skipped(&pkg.name) {
            skipped.push(Skipped::new(
                pkg,
                "skip = true in its [tool.release_tool.packages] configuration",
            ));
            continue;
        }
        let git = Git::new(&pkg.dir);
        if !git.is_repo_root() {
            skipped.push(Skipped::new(
                pkg,
                format!(
                    "{} is not a git repository (run `git submodule update --init {}`)",
                    pkg.rel_path, pkg.rel_path
                ),
            ));
            continue;
        }
        let Some(text) = pkg.version() else {
            problem(problems, pkg, "has no version in its pyproject.toml");
            continue;
        };
        let version = match version::parse(text) {
            Ok(v) => v,
            Err(e) => {
                problem(problems, pkg, e);
                continue;
            }
        };
        let prefix = ws.config.tag_prefix_for(&pkg.name).to_owned();
        eligible.push((pkg, git, prefix, version));
    }
    // Planning changes nothing on disk: the cache is read (a `status` run fills it), never
    // written.
    let cache = TagCache::open(&ws.root, false);
    let gathered = parallel::map(
        &eligible,
        ws.config.effective_jobs(None),
        |(pkg, git, prefix, _)| gather(&cache, pkg, git, prefix, since_final),
    );
    let mut out = Vec::new();
    for ((pkg, git, prefix, version), g) in eligible.into_iter().zip(gathered) {
        let g = g?;
        out.push(Candidate {
            pkg,
            git,
            prefix,
            version,
            last_tag: g.last_tag,
            messages: g.messages,
            branch: g.status.branch.clone(),
            status: g.status,
            tags: g.tags,
        });
    }
    Ok(out)
}

/// The git status of every candidate, by key.
fn known_statuses(cands: &[Candidate<'_>]) -> BTreeMap<String, RepoStatus> {
    cands
        .iter()
        .map(|c| (c.pkg.key.clone(), c.status.clone()))
        .collect()
}

fn require_clean(c: &Candidate<'_>, problems: &mut Vec<String>) {
    let status = &c.status;
    if !status.changed.is_empty() {
        problem(
            problems,
            c.pkg,
            format!(
                "has {} uncommitted change(s); commit them (`release-tool commit`) or stash them first",
                status.changed.len()
            ),
        );
    }
}

fn require_branch(c: &Candidate<'_>, branch: &str, problems: &mut Vec<String>) {
    if c.branch.as_deref() != Some(branch) {
        problem(
            problems,
            c.pkg,
            format!(
                "is on {}, not on {branch}; check out {branch} first (`git -C {} checkout {branch}`)",
                c.branch
                    .as_deref()
                    .map_or_else(|| "a detached HEAD".to_owned(), |b| format!("branch {b}")),
                c.pkg.rel_path
            ),
        );
    }
}

fn fail_on(problems: &[String], what: &str) -> Result<()> {
    if problems.is_empty() {
        return Ok(());
    }
    Err(UserError::failure(format!(
        "Cannot {what}; nothing was changed:\n  {}",
        problems.join("\n  ")
    ))
    .with_hint("fix the packages named above, then run the same command again")
    .into())
}

/// The pyproject (and, for hatch's dynamic versions, the version file) of a package with a
/// new version: `(path, new content)` pairs, given the content planned so far.
fn version_edits(
    plan: &Plan,
    pkg: &Package,
    version: &str,
    edit: impl FnOnce(&mut PyProject) -> Result<()>,
) -> Result<Vec<(PathBuf, String)>> {
    let path = pkg.dir.join("pyproject.toml");
    let text = plan
        .current_content(&path)
        .with_context(|| format!("Cannot read {}", path.display()))?;
    let mut doc = PyProject::parse(&path, &text)?;
    let mut edits = Vec::new();
    match doc.version_source() {
        VersionSource::Static(_) => doc.set_version(version)?,
        VersionSource::Dynamic {
            hatch_path: Some(rel),
        } => {
            let file = pkg.dir.join(&rel);
            let old = plan
                .current_content(&file)
                .with_context(|| format!("Cannot read the version file {}", file.display()))?;
            let new = pyproject::set_version_in_text(&old, version).ok_or_else(|| {
                UserError::failure(format!("{}: no version assignment found", file.display()))
            })?;
            edits.push((file, new));
        }
        _ => {
            return Err(UserError::failure(format!(
                "{}: the version is neither static nor a hatch version file",
                path.display()
            ))
            .with_hint("set [project] version, or [tool.hatch.version] path")
            .into());
        }
    }
    edit(&mut doc)?;
    edits.insert(0, (path, doc.render()));
    Ok(edits)
}

fn rel_in(pkg: &Package, path: &Path) -> String {
    path.strip_prefix(&pkg.dir)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Plan writing `edits` and `git add` of them in a package.
fn write_and_add(plan: &mut Planned, pkg: &Package, edits: &[(PathBuf, String)]) {
    let name = Some(pkg.name.as_str());
    let mut paths = Vec::new();
    for (path, content) in edits {
        plan.plan.write(name, path, content.clone());
        paths.push(rel_in(pkg, path));
    }
    let mut args = vec!["add".to_owned(), "--".to_owned()];
    args.extend(paths);
    plan.plan.git(name, &pkg.dir, args);
}

/// The tag message of a package: its `tag_message.md` when written for this release, else
/// notes grouped from the conventional commits; comments removed and placeholders filled. The
/// Python `release_tool`'s untouched template, and this tool's, count as unwritten, as they
/// did there. Also the file with its text when there is one for this release (the release
/// consumes it), or why it is not used (a message written for an earlier release).
fn tag_message(
    ws: &Workspace,
    c: &Candidate<'_>,
    version: &str,
) -> (String, Option<(PathBuf, String)>, Option<String>) {
    let file = stages::package_changes_dir(ws, &c.pkg.name).join(&ws.config.tag_message_filename);
    let newest =
        version::newest_tag(c.tags.iter().map(String::as_str), &c.prefix, false).map(|(t, _)| t);
    let mut stale = None;
    let mut used = None;
    let mut written = None;
    if let Ok(text) = fs_err::read_to_string(&file) {
        match notes::message_state(&text, &c.pkg.name, newest.as_deref(), || {
            newest
                .as_deref()
                .is_some_and(|tag| notes::released_after(&c.git, tag, &file))
        }) {
            notes::MessageState::Written => written = Some(text.clone()),
            notes::MessageState::Unwritten => {}
            notes::MessageState::Stale(why) => {
                stale = Some(format!(
                    "{}: {} is not used: {why}; the notes grouped from the commits stand in (`release-tool notes` writes a new one)",
                    c.pkg.name,
                    ws.rel(&file)
                ));
            }
        }
        // Consumed: a message written for this release, or this tool's untouched template
        // for it (not the Python tool's, nor an empty file: never written for a release).
        if written.is_some() || stale.is_none() && notes::read_marker(&text).is_some() {
            used = Some((file, text));
        }
    }
    let refs: Vec<&str> = c.messages.iter().map(String::as_str).collect();
    let template = written.unwrap_or_else(|| notes::template(&c.pkg.name, &refs));
    let prev = c
        .last_tag
        .as_ref()
        .map_or_else(|| "the first commit".to_owned(), |(_, v)| v.to_string());
    (changelog::fill(&template, version, &prev), used, stale)
}

/// Consume a tag message a release used: archived as
/// `.release_tool/released/<package>/<tag>.md` and removed, so that the next release does not
/// use it again (steps of the plan: shown by `--dry-run`, done once on resume).
fn plan_consume_message(
    ws: &Workspace,
    planned: &mut Planned,
    pkg: &Package,
    tag: &str,
    used: Option<(PathBuf, String)>,
) {
    let Some((file, text)) = used else { return };
    let name = Some(pkg.name.as_str());
    let archive = ws
        .root
        .join(crate::core::fsutil::STATE_DIR)
        .join("released")
        .join(&pkg.name)
        .join(format!("{tag}.md"));
    planned.plan.write(name, archive, text);
    planned.plan.remove_file(name, file);
}

fn new_version(c: &Candidate<'_>, bump: Bump) -> Result<Version> {
    let refs: Vec<&str> = c.messages.iter().map(String::as_str).collect();
    let v = match bump {
        Bump::Auto => version::bump_auto(&c.version, &refs),
        other => version::bump(&c.version, other),
    };
    v.with_context(|| format!("{}: cannot bump {}", c.pkg.name, c.version))
}

/// What the root gets: package → tag (staging), package → (tag, version) (prod), and whether
/// the packages' versions or requirements changed (the dev lock records them).
#[derive(Default)]
struct Pins {
    staging: BTreeMap<String, String>,
    prod: BTreeMap<String, (String, Version)>,
    versions_changed: bool,
}

/// The steps every package-moving stage ends with: staging/prod pins, (with `push`) the locks
/// of manifests that have one, the dev lock when versions changed, and one root commit with the
/// pins, the locks and the submodule pointers.
fn plan_root(
    ws: &Workspace,
    planned: &mut Planned,
    pins: &Pins,
    moved: &[&Package],
    summary: &str,
    req: &Request,
) -> Result<()> {
    let mut changed_files = Vec::new();
    let needed = needed_package_keys(ws)?;
    for (rel, prod) in [
        (&ws.config.staging_pyproject_path, false),
        (&ws.config.prod_pyproject_path, true),
    ] {
        let path = ws.path(rel);
        if !path.is_file() {
            // A pin is never skipped silently: a root without the manifest (an adopted uv
            // workspace) is refused before the first step.
            let pinned = if prod {
                pins.prod.keys().any(|k| needed.contains(k))
            } else {
                pins.staging.keys().any(|k| needed.contains(k))
            };
            if pinned {
                let mode = if prod { "prod" } else { "staging" };
                return Err(UserError::usage(format!(
                    "No {mode} manifest: {rel} does not exist, so the release could not pin its packages there; nothing was changed"
                ))
                .with_hint(format!(
                    "run `release-tool manifests` to create {rel} from the dev manifest, commit it, then run the same command again"
                ))
                .into());
            }
            continue;
        }
        let text = planned.plan.current_content(&path).unwrap_or_default();
        let mut doc = PyProject::parse(&path, &text)?;
        pin_packages(ws, &mut doc, pins, &needed, prod)?;
        let after = doc.render();
        if after != text {
            planned.plan.write(None, &path, after);
            changed_files.push(rel.clone());
            plan_manifest_lock(ws, planned, &path, req, &mut changed_files);
        }
    }
    // The dev lock records every workspace member's version and requirements: left as it was,
    // `check` and `uv sync --locked` would find it stale after the release. Members are local,
    // so it is refreshed with or without --push.
    if req.lock && pins.versions_changed && !moved.is_empty() && ws.root.join("uv.lock").is_file() {
        planned.plan.uv(None, &ws.root, ["lock"]);
        changed_files.push("uv.lock".to_owned());
    }
    if req.root_commit {
        plan_root_commit(ws, planned, changed_files, moved, summary, req)?;
    }
    Ok(())
}

/// The keys of the packages the root's dev manifest needs (its dependencies and theirs): the
/// only ones pinned in staging and prod.
fn needed_package_keys(ws: &Workspace) -> Result<BTreeSet<String>> {
    let dev = PyProject::load(&ws.root.join("pyproject.toml"))?;
    let names = dev.dependency_names().unwrap_or_default();
    Ok(manifests::needed_packages(ws, &names)
        .into_iter()
        .map(|p| p.key.clone())
        .collect())
}

/// The names the root's dev manifest lists, as spelled there, by normalised name.
fn dev_spellings(ws: &Workspace) -> HashMap<String, String> {
    let Ok(dev) = PyProject::load(&ws.root.join("pyproject.toml")) else {
        return HashMap::new();
    };
    dev.dependencies()
        .iter()
        .filter_map(|d| {
            let name = pyproject::requirement_spelling(d)?;
            Some((pyproject::normalize_name(name), name.to_owned()))
        })
        .collect()
}

/// Pin the needed packages in the staging (`prod` false) or prod manifest `doc`: a git source
/// at the tag, or `name==version` when prod pins come from an index.
fn pin_packages(
    ws: &Workspace,
    doc: &mut PyProject,
    pins: &Pins,
    needed: &BTreeSet<String>,
    prod: bool,
) -> Result<()> {
    let spelled = dev_spellings(ws);
    let mut listed: BTreeSet<String> = doc
        .dependency_names()
        .unwrap_or_default()
        .into_iter()
        .collect();
    let entries: Vec<(&String, String, Option<&Version>)> = if prod {
        pins.prod
            .iter()
            .map(|(k, (t, v))| (k, t.clone(), Some(v)))
            .collect()
    } else {
        pins.staging
            .iter()
            .map(|(k, t)| (k, t.clone(), None))
            .collect()
    };
    for (key, tag, v) in entries {
        let Some(pkg) = ws.package(key) else { continue };
        if !needed.contains(&pkg.key) {
            continue;
        }
        if prod && ws.config.prod_source == ProdSource::Index {
            if let Some(v) = v {
                let name = doc
                    .dependency_spelling(&pkg.name)
                    .unwrap_or_else(|| pkg.name.clone());
                let req = format!("{name}=={v}");
                if !doc.replace_dependency(&pkg.name, &req) {
                    doc.add_dependency(&req)?;
                }
            }
            continue;
        }
        let Some(url) = crate::workspace::package_pin_url(ws, pkg) else {
            continue;
        };
        doc.set_source(
            &pkg.name,
            &Source {
                git: Some(url),
                tag: Some(tag),
                ..Source::default()
            },
        );
        if !listed.contains(&pkg.key) {
            // Spelled as the dev manifest lists it (a name matches in any spelling).
            let name = spelled
                .get(&pkg.key)
                .cloned()
                .unwrap_or_else(|| pkg.name.clone());
            doc.add_dependency(&name)?;
            listed.insert(pkg.key.clone());
        }
    }
    Ok(())
}

/// After a manifest changed: its lock, refreshed with `--push` (the tags are on the remotes),
/// else a note that it is stale.
fn plan_manifest_lock(
    ws: &Workspace,
    planned: &mut Planned,
    path: &Path,
    req: &Request,
    changed_files: &mut Vec<String>,
) {
    let dir = path.parent().unwrap_or(&ws.root).to_path_buf();
    let lock_rel = ws.rel(&dir.join("uv.lock"));
    if req.push && req.lock {
        // The tags are on the remotes by now: lock against them, so that `sync` (and
        // the Docker image) install exactly what was released.
        planned.plan.uv(None, &dir, ["lock"]);
        changed_files.push(lock_rel);
    } else if dir.join("uv.lock").is_file() {
        planned.notes.push(format!(
            "{lock_rel} is not refreshed without --push (the new tags are not on the remotes yet): push, then run `release-tool lock --all`"
        ));
    }
}

/// The root commit of the pins, the locks and the moved submodule pointers, and (with
/// `push`) its push; nothing when the root is no repository or nothing changed.
fn plan_root_commit(
    ws: &Workspace,
    planned: &mut Planned,
    changed_files: Vec<String>,
    moved: &[&Package],
    summary: &str,
    req: &Request,
) -> Result<()> {
    let root_git = Git::new(&ws.root);
    if !root_git.is_repo_root() {
        planned
            .notes
            .push("the root is not a git repository: no root commit".to_owned());
        return Ok(());
    }
    let gitlinks: BTreeSet<String> = root_git
        .submodule_pointers()
        .unwrap_or_default()
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    let mut paths = changed_files;
    paths.extend(
        moved
            .iter()
            .filter(|p| gitlinks.contains(&p.rel_path))
            .map(|p| p.rel_path.clone()),
    );
    if paths.is_empty() {
        return Ok(());
    }
    let mut args = vec!["add".to_owned(), "--".to_owned()];
    args.extend(paths);
    planned.plan.git(None, &ws.root, args);
    let message = root_commit_message(summary, &planned.packages);
    planned.plan.commit(None, &ws.root, message.trim_end());
    if req.push {
        match root_git.current_branch()? {
            Some(branch) if root_git.has_remote(&ws.config.git_remote)? => {
                planned.plan.push_refs(
                    None,
                    &ws.root,
                    &ws.config.git_remote,
                    &[format!("refs/heads/{branch}")],
                );
            }
            _ => planned.notes.push(format!(
                "the root has no remote `{}` (or no branch): its commit is not pushed",
                ws.config.git_remote
            )),
        }
    }
    Ok(())
}

/// The root commit's message: `summary`, then a line per package with its version and tag
/// (or the version its next cycle starts).
fn root_commit_message(summary: &str, packages: &[PackageRelease]) -> String {
    let mut message = format!("{summary}\n\n");
    for p in packages {
        let _ = std::fmt::Write::write_fmt(
            &mut message,
            format_args!(
                "- {} {}{}\n",
                p.package,
                p.version,
                match (&p.tag, &p.next) {
                    (Some(t), _) => format!(" ({t})"),
                    // `next`: the version the new cycle starts.
                    (None, Some(n)) => format!(" → {n}"),
                    (None, None) => String::new(),
                }
            ),
        );
    }
    message
}

/// The root files a release commit may add besides submodule pointers: the staging and prod
/// manifests and their locks, and the dev lock (paths relative to the root).
fn root_release_files(ws: &Workspace) -> Vec<String> {
    let mut files = Vec::new();
    for rel in [
        &ws.config.staging_pyproject_path,
        &ws.config.prod_pyproject_path,
    ] {
        files.push(rel.clone());
        let lock = Path::new(rel).with_file_name("uv.lock");
        files.push(lock.to_string_lossy().replace('\\', "/"));
    }
    files.push("uv.lock".to_owned());
    files
}

/// Check the root before planning a commit in it: nothing staged that is not ours, and no
/// uncommitted change in a file the commit adds (it would slip into the release commit).
fn require_root_ready(ws: &Workspace, req: &Request, problems: &mut Vec<String>) {
    if !req.root_commit {
        return;
    }
    let git = Git::new(&ws.root);
    if !git.is_repo_root() || git.resolve("HEAD").ok().flatten().is_none() {
        return;
    }
    if let Ok(false) = git.test(["diff", "--cached", "--quiet", "--ignore-submodules=all"]) {
        problems.push(
            "the root has staged changes; commit or unstage them first (the release makes its own root commit)".to_owned(),
        );
        return;
    }
    let mut args = vec![
        "diff".to_owned(),
        "--name-only".to_owned(),
        "HEAD".to_owned(),
        "--".to_owned(),
    ];
    args.extend(root_release_files(ws));
    let changed = git.run(&args).unwrap_or_default();
    let changed: Vec<&str> = changed.lines().filter(|l| !l.is_empty()).collect();
    if !changed.is_empty() {
        problems.push(format!(
            "the root has uncommitted changes in {}; commit or stash them first (the release commit adds these files)",
            changed.join(", ")
        ));
    }
}

/// For each dependent of a released package that is not released in this run: raise its
/// requirement in a `chore(deps)` commit (pushed with `push`) so its next release carries it.
fn plan_dependent_bounds(
    ws: &Workspace,
    planned: &mut Planned,
    released: &BTreeMap<String, Version>,
    status_of: &dyn Fn(&Package) -> Result<RepoStatus>,
    req: &Request,
) -> Result<Vec<String>> {
    let mut touched = Vec::new();
    for pkg in ws.dependency_order()? {
        if released.contains_key(&pkg.key) || ws.config.is_skipped(&pkg.name) {
            continue;
        }
        let raises: Vec<(&String, &Version)> = released
            .iter()
            .filter(|(k, _)| pkg.workspace_deps.contains(k))
            .collect();
        if raises.is_empty() {
            continue;
        }
        let status = if Git::new(&pkg.dir).is_repo_root() {
            Some(status_of(pkg)?)
        } else {
            None
        };
        if status.as_ref().is_none_or(|s| !s.changed.is_empty()) {
            planned.notes.push(format!(
                "{}: its requirements on {} are not raised (not a clean git repository); raise them by hand",
                pkg.name,
                raises.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>().join(", ")
            ));
            continue;
        }
        let path = pkg.dir.join("pyproject.toml");
        let text = planned.plan.current_content(&path).unwrap_or_default();
        let mut doc = PyProject::parse(&path, &text)?;
        let mut what = Vec::new();
        for (key, v) in &raises {
            let name = ws.package(key).map_or(key.as_str(), |p| p.name.as_str());
            if doc.raise_lower_bound(name, &v.to_string())? {
                what.push(format!("{name}>={v}"));
            }
        }
        if what.is_empty() {
            continue;
        }
        let after = doc.render();
        write_and_add(planned, pkg, &[(path, after)]);
        let name = Some(pkg.name.as_str());
        planned.plan.commit(
            name,
            &pkg.dir,
            &format!("chore(deps): require {}", what.join(", ")),
        );
        if req.push
            && let Some(branch) = status.and_then(|s| s.branch)
        {
            planned.plan.push_refs(
                name,
                &pkg.dir,
                &ws.config.git_remote,
                &[format!("refs/heads/{branch}")],
            );
        }
        planned.plan.after.insert(
            pkg.name.clone(),
            raises
                .iter()
                .filter_map(|(k, _)| ws.package(k).map(|p| p.name.clone()))
                .collect(),
        );
        touched.push(pkg.name.clone());
    }
    Ok(touched)
}

/// New version of each package of a run, by key.
fn released_versions(todo: &[Candidate<'_>], versions: &[Version]) -> BTreeMap<String, Version> {
    todo.iter()
        .zip(versions)
        .map(|(c, v)| (c.pkg.key.clone(), v.clone()))
        .collect()
}

/// Skip (with a note) a package that has no changes since its last release; true when skipped.
fn skipped_unchanged(c: &Candidate<'_>, skipped: &mut Vec<Skipped>) -> bool {
    if !c.messages.is_empty() {
        return false;
    }
    skipped.push(Skipped::new(
        c.pkg,
        format!(
            "no changes since {}",
            c.last_tag.as_ref().map_or("its start", |(t, _)| t.as_str())
        ),
    ));
    true
}

/// The names of the packages of this run that `pkg` depends on (it waits for them).
fn waits_for(ws: &Workspace, pkg: &Package, in_run: &dyn Fn(&str) -> bool) -> Vec<String> {
    pkg.workspace_deps
        .iter()
        .filter(|d| in_run(d))
        .filter_map(|d| ws.package(d).map(|p| p.name.clone()))
        .collect()
}

/// The release edits of a package: version, own workspace sources stripped, requirements on
/// packages released in this run raised, CHANGELOG entry.
fn release_edits(
    ws: &Workspace,
    plan: &Plan,
    pkg: &Package,
    version: &str,
    message: &str,
    raised: &BTreeMap<String, Version>,
) -> Result<Vec<(PathBuf, String)>> {
    let mut edits = version_edits(plan, pkg, version, |doc| {
        doc.strip_workspace_sources();
        for (key, v) in raised {
            if pkg.workspace_deps.contains(key) {
                let name = ws.package(key).map_or(key.as_str(), |p| p.name.as_str());
                doc.raise_lower_bound(name, &v.to_string())?;
            }
        }
        Ok(())
    })?;
    if !ws.config.changelog.is_empty() {
        let path = pkg.dir.join(&ws.config.changelog);
        let old = plan.current_content(&path);
        let new = changelog::prepend(old.as_deref(), version, &changelog::today(), message);
        if old.as_deref() != Some(new.as_str()) {
            edits.push((path, new));
        }
    }
    Ok(edits)
}

fn release_call(
    ws: &Workspace,
    pkg: &Package,
    tag: &str,
    version: &Version,
    body: &str,
) -> Option<ForgeCall> {
    if !ws.config.forge.releases || ws.config.forge.kind == crate::config::ForgeKind::None {
        return None;
    }
    Some(ForgeCall {
        repo: crate::forge::repo_for(ws, pkg)?,
        action: ForgeAction::CreateRelease {
            tag: tag.to_owned(),
            name: format!("{} {version}", pkg.name),
            body: body.to_owned(),
            prerelease: !version::is_final(version),
        },
    })
}

/// The forge step of a release, or a note saying why there is none.
fn plan_release_call(
    ws: &Workspace,
    planned: &mut Planned,
    pkg: &Package,
    tag: &str,
    version: &Version,
    body: &str,
) {
    match release_call(ws, pkg, tag, version, body) {
        Some(call) => planned.plan.forge(Some(&pkg.name), call),
        None if ws.config.forge.releases
            && ws.config.forge.kind != crate::config::ForgeKind::None =>
        {
            planned.notes.push(format!(
                "{}: no forge release: owner/repo cannot be told from its remote URL (set [tool.release_tool.packages.{}] repository = \"owner/repo\")",
                pkg.name, pkg.name
            ));
        }
        None => {}
    }
}

/// The release commit of a package: its version, stripped sources, raised bounds and CHANGELOG
/// entry, added and committed with the filled tag message. Returns the tag name and message.
fn plan_release_commit(
    ws: &Workspace,
    planned: &mut Planned,
    c: &Candidate<'_>,
    version: &str,
    released: &BTreeMap<String, Version>,
) -> Result<(String, String)> {
    let tag = format!("{}{version}", c.prefix);
    let (message, used, stale) = tag_message(ws, c, version);
    planned.notes.extend(stale);
    let edits = release_edits(ws, &planned.plan, c.pkg, version, &message, released)?;
    write_and_add(planned, c.pkg, &edits);
    planned
        .plan
        .commit(Some(c.pkg.name.as_str()), &c.pkg.dir, &message);
    plan_consume_message(ws, planned, c.pkg, &tag, used);
    Ok((tag, message))
}

/// The root's pins and commit, summarised as `<verb>: a 0.1.0, b 0.1.0` (nothing when no package
/// takes part).
fn finish_with_root(
    ws: &Workspace,
    planned: &mut Planned,
    pins: &Pins,
    moved: &[&Package],
    verb: &str,
    req: &Request,
) -> Result<()> {
    if planned.packages.is_empty() {
        return Ok(());
    }
    let summary = format!(
        "{verb}: {}",
        planned
            .packages
            .iter()
            .map(|p| format!("{} {}", p.package, p.version))
            .collect::<Vec<_>>()
            .join(", ")
    );
    plan_root(ws, planned, pins, moved, &summary, req)
}

/// Plan the dependents' bound commits of a run; returns every package whose commits move (the
/// run's and those dependents), for the root's submodule pointers.
/// `known`: the git status of the packages already looked at (by key); others are asked.
fn moved_with_dependents<'a>(
    ws: &'a Workspace,
    planned: &mut Planned,
    todo: &[Candidate<'a>],
    released: &BTreeMap<String, Version>,
    known: &BTreeMap<String, RepoStatus>,
    req: &Request,
) -> Result<Vec<&'a Package>> {
    let status_of = |p: &Package| -> Result<RepoStatus> {
        match known.get(&p.key) {
            Some(status) => Ok(status.clone()),
            None => Ok(Git::new(&p.dir).status()?),
        }
    };
    let touched = plan_dependent_bounds(ws, planned, released, &status_of, req)?;
    Ok(todo
        .iter()
        .map(|c| c.pkg)
        .chain(touched.iter().filter_map(|n| ws.package(n)))
        .collect())
}

// ---------------------------------------------------------------------------------------------
// release: the trunk-based one-shot

/// A repository whose remote is asked before a release with `--push` changes anything.
#[derive(Clone)]
struct RemoteCheck {
    /// How problems name it: `b (packages/b)`, `the root`.
    who: String,
    dir: PathBuf,
    rel: String,
    branch: String,
    /// The tag the release makes (none for the root).
    tag: Option<String>,
}

/// Ask each remote (one `git ls-remote` per repository, in parallel) what a push would meet,
/// before anything changes: the tag to make must not be there yet (the push would be refused
/// half way: the branch pushed, the tag rejected), and the remote's branch must be contained in
/// HEAD (else the push is refused as not a fast-forward, after the release commits are made).
fn check_remotes(ws: &Workspace, checks: &[RemoteCheck], problems: &mut Vec<String>) {
    let remote = &ws.config.git_remote;
    let found = crate::core::parallel::map(checks, ws.config.effective_jobs(None), |c| {
        remote_problems(c, remote)
    });
    for (c, found) in checks.iter().zip(found) {
        problems.extend(found.into_iter().map(|p| format!("{}: {p}", c.who)));
    }
}

fn remote_problems(c: &RemoteCheck, remote: &str) -> Vec<String> {
    let git = Git::new(&c.dir);
    let branch_ref = format!("refs/heads/{}", c.branch);
    let tag_ref = c.tag.as_ref().map(|t| format!("refs/tags/{t}"));
    let mut args = vec![
        "ls-remote".to_owned(),
        "--".to_owned(),
        remote.to_owned(),
        branch_ref.clone(),
    ];
    args.extend(tag_ref.clone());
    let out = match git.run_batch(&args) {
        Ok(out) => out,
        Err(e) => {
            let why = e.stderr().map_or_else(|| e.to_string(), str::to_owned);
            return vec![format!(
                "cannot reach its remote `{remote}`: {}",
                why.lines().next().unwrap_or("")
            )];
        }
    };
    let mut problems = Vec::new();
    for (oid, name) in out.lines().filter_map(|l| l.split_once('\t')) {
        if Some(name) == tag_ref.as_deref() {
            problems.push(format!(
                "tag {} already exists on `{remote}` (fetch it with `git -C {} fetch --tags {remote}`); choose another --bump",
                c.tag.as_deref().unwrap_or_default(),
                c.rel
            ));
        } else if name == branch_ref {
            let contained = git.resolve(oid).ok().flatten().is_some()
                && git.is_ancestor(oid, "HEAD").unwrap_or(false);
            if !contained {
                problems.push(format!(
                    "`{remote}` has commits on {} that are not in HEAD; pull them first (`git -C {} pull --rebase {remote} {}`)",
                    c.branch, c.rel, c.branch
                ));
            }
        }
    }
    problems
}

/// Plan `release`: for every selected package with commits since its last tag, in dependency
/// order: bump, changelog, release commit, annotated tag, (next-dev commit), push, forge
/// release; then the root's pins and commit.
pub fn plan_release(ws: &Workspace, req: &Request) -> Result<Planned> {
    ws.require_sound()?;
    let mut planned = Planned::new(ws);
    let mut problems = Vec::new();
    let cands = candidates_since(
        ws,
        &req.packages,
        counts_since_final(req.bump),
        &mut planned.skipped,
        &mut problems,
    )?;
    let known = known_statuses(&cands);
    let todo = releasable(ws, req, cands, &mut planned, &mut problems)?;
    require_root_ready(ws, req, &mut problems);
    let versions = release_versions(&todo, req, &mut problems);
    if req.push && problems.is_empty() {
        check_release_remotes(ws, req, &todo, &versions, &mut problems)?;
    }
    fail_on(&problems, "release")?;
    let released = released_versions(&todo, &versions);
    let mut pins = Pins {
        versions_changed: true,
        ..Pins::default()
    };
    for (c, v) in todo.iter().zip(&versions) {
        plan_package_release(ws, &mut planned, &mut pins, c, v, &released, req)?;
    }
    if !req.push && !todo.is_empty() {
        planned.notes.push(format!(
            "without --push nothing is pushed and no forge release is made, and a later `release --push` finds nothing left to release: push by hand afterwards (`release-tool foreach -- git push --follow-tags {remote} HEAD`, then `git push` in the root)",
            remote = ws.config.git_remote
        ),
        );
    }
    let moved = moved_with_dependents(ws, &mut planned, &todo, &released, &known, req)?;
    finish_with_root(ws, &mut planned, &pins, &moved, "release", req)?;
    Ok(planned)
}

/// The candidates with commits since their last tag (the others skipped), each checked for
/// what a release needs: clean, on a branch, (with `push`) a remote.
fn releasable<'a>(
    ws: &Workspace,
    req: &Request,
    cands: Vec<Candidate<'a>>,
    planned: &mut Planned,
    problems: &mut Vec<String>,
) -> Result<Vec<Candidate<'a>>> {
    let mut todo = Vec::new();
    for c in cands {
        if skipped_unchanged(&c, &mut planned.skipped) {
            continue;
        }
        require_clean(&c, problems);
        if c.branch.is_none() {
            problem(
                problems,
                c.pkg,
                "is on a detached HEAD; check out a branch first",
            );
        }
        if req.push && !c.git.has_remote(&ws.config.git_remote)? {
            problem(
                problems,
                c.pkg,
                format!("has no remote `{}` to push to", ws.config.git_remote),
            );
        }
        todo.push(c);
    }
    Ok(todo)
}

/// The version each package is released at (`--bump`); a problem when it cannot be bumped or
/// its tag exists (then its current version stands in).
fn release_versions(
    todo: &[Candidate<'_>],
    req: &Request,
    problems: &mut Vec<String>,
) -> Vec<Version> {
    let mut versions = Vec::new();
    for c in todo {
        match new_version(c, req.bump) {
            Ok(v) => {
                if let Some(tag) = c.tagged(&v) {
                    problem(
                        problems,
                        c.pkg,
                        format!("tag {tag} already exists; choose another --bump"),
                    );
                }
                versions.push(v);
            }
            Err(e) => {
                problems.push(format!("{e:#}"));
                versions.push(c.version.clone());
            }
        }
    }
    versions
}

/// With `push`: the remotes of the packages (and of the root, when it commits) take the
/// push: branch not ahead, tag not there, remote reachable.
fn check_release_remotes(
    ws: &Workspace,
    req: &Request,
    todo: &[Candidate<'_>],
    versions: &[Version],
    problems: &mut Vec<String>,
) -> Result<()> {
    let mut checks: Vec<RemoteCheck> = todo
        .iter()
        .zip(versions)
        .map(|(c, v)| RemoteCheck {
            who: format!("{} ({})", c.pkg.name, c.pkg.rel_path),
            dir: c.pkg.dir.clone(),
            rel: c.pkg.rel_path.clone(),
            branch: c.branch.clone().unwrap_or_default(),
            tag: Some(format!("{}{v}", c.prefix)),
        })
        .collect();
    let root = Git::new(&ws.root);
    if req.root_commit
        && !todo.is_empty()
        && root.is_repo_root()
        && root.has_remote(&ws.config.git_remote)?
        && let Some(branch) = root.current_branch()?
    {
        checks.push(RemoteCheck {
            who: "the root".to_owned(),
            dir: ws.root.clone(),
            rel: ".".to_owned(),
            branch,
            tag: None,
        });
    }
    check_remotes(ws, &checks, problems);
    Ok(())
}

/// One package's release steps: release commit, tag, (`next`) next-dev commit, (`push`) push
/// and forge release; its pins and its line in the report.
fn plan_package_release(
    ws: &Workspace,
    planned: &mut Planned,
    pins: &mut Pins,
    c: &Candidate<'_>,
    v: &Version,
    released: &BTreeMap<String, Version>,
    req: &Request,
) -> Result<()> {
    let pkg = c.pkg;
    let name = Some(pkg.name.as_str());
    let vs = v.to_string();
    let (tag, message) = plan_release_commit(ws, planned, c, &vs, released)?;
    planned.plan.tag(name, &pkg.dir, &tag, "HEAD", &message);
    let mut next = None;
    if req.next && version::is_final(v) {
        let n = version::next_dev(v)?;
        let ns = n.to_string();
        let edits = version_edits(&planned.plan, pkg, &ns, |_| Ok(()))?;
        write_and_add(planned, pkg, &edits);
        planned.plan.commit(name, &pkg.dir, &next_message(&ns));
        next = Some(n);
    }
    if req.push {
        let branch = c.branch.clone().unwrap_or_default();
        planned.plan.push_refs(
            name,
            &pkg.dir,
            &ws.config.git_remote,
            &[format!("refs/heads/{branch}"), format!("refs/tags/{tag}")],
        );
        plan_release_call(ws, planned, pkg, &tag, v, &message);
    }
    planned.plan.after.insert(
        pkg.name.clone(),
        waits_for(ws, pkg, &|k| released.contains_key(k)),
    );
    pins.staging.insert(pkg.key.clone(), tag.clone());
    if version::is_final(v) {
        pins.prod.insert(pkg.key.clone(), (tag.clone(), v.clone()));
    }
    planned.packages.push(PackageRelease {
        package: pkg.name.clone(),
        from: c.version.clone(),
        version: v.clone(),
        tag: Some(tag),
        next,
        prerelease: !version::is_final(v),
    });
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// prepare (stage 4)

/// Plan `prepare`: on `dev_branch`, bump each package with commits since its last tag, strip
/// its workspace sources, add the CHANGELOG entry, raise dependents' bounds and make the
/// release commit; a dev/pre version is tagged at once and pinned in staging. With `push`, push
/// the branch (and tag) and open a pull request `dev_branch` → `base_branch`.
pub fn plan_prepare(ws: &Workspace, req: &Request) -> Result<Planned> {
    ws.require_sound()?;
    let mut planned = Planned::new(ws);
    let mut problems = Vec::new();
    let dev = ws.config.dev_branch.clone();
    let cands = candidates_since(
        ws,
        &req.packages,
        counts_since_final(req.bump),
        &mut planned.skipped,
        &mut problems,
    )?;
    let known = known_statuses(&cands);
    let mut todo = Vec::new();
    let mut prepared = Vec::new();
    for c in cands {
        if skipped_unchanged(&c, &mut planned.skipped) {
            continue;
        }
        require_clean(&c, &mut problems);
        require_branch(&c, &dev, &mut problems);
        if req.push && !c.git.has_remote(&ws.config.git_remote)? {
            problem(
                &mut problems,
                c.pkg,
                format!("has no remote `{}` to push to", ws.config.git_remote),
            );
        }
        if already_prepared(&c)? {
            prepared.push(c);
        } else {
            require_not_prepared_earlier(&c, ws.base_branch(c.pkg), &mut problems)?;
            todo.push(c);
        }
    }
    require_root_ready(ws, req, &mut problems);
    let mut versions = Vec::new();
    for c in &todo {
        match new_version(c, req.bump) {
            Ok(v) => versions.push(v),
            Err(e) => {
                problems.push(format!("{e:#}"));
                versions.push(c.version.clone());
            }
        }
    }
    fail_on(&problems, "prepare")?;
    let released = released_versions(&todo, &versions);
    let mut pins = Pins {
        versions_changed: true,
        ..Pins::default()
    };
    for (c, v) in todo.iter().zip(&versions) {
        let pkg = c.pkg;
        let name = Some(pkg.name.as_str());
        let vs = v.to_string();
        let (tag, message) = plan_release_commit(ws, &mut planned, c, &vs, &released)?;
        let final_version = version::is_final(v);
        let mut refs = vec![format!("refs/heads/{dev}")];
        if !final_version {
            planned.plan.tag(name, &pkg.dir, &tag, "HEAD", &message);
            refs.push(format!("refs/tags/{tag}"));
            pins.staging.insert(pkg.key.clone(), tag.clone());
        }
        if req.push {
            plan_pull_request(ws, &mut planned, pkg, &refs, &message);
        }
        planned.plan.after.insert(
            pkg.name.clone(),
            waits_for(ws, pkg, &|k| released.contains_key(k)),
        );
        planned.packages.push(PackageRelease {
            package: pkg.name.clone(),
            from: c.version.clone(),
            version: v.clone(),
            tag: (!final_version).then_some(tag),
            next: None,
            prerelease: !final_version,
        });
    }
    for c in &prepared {
        let tag = c.tag_name(&c.version);
        if req.push {
            // Prepared by an earlier run: push it and open (or find) its pull request.
            let message = c.git.run(["log", "-1", "--format=%B", "HEAD"])?;
            plan_pull_request(
                ws,
                &mut planned,
                c.pkg,
                &[format!("refs/heads/{dev}")],
                message.trim_end(),
            );
        } else {
            planned.skipped.push(Skipped::new(
                c.pkg,
                format!(
                    "already prepared at {} (its release commit is HEAD of {dev}); after the merge run `release-tool tag` to tag {tag}",
                    c.version
                ),
            ));
        }
    }
    let moved = moved_with_dependents(ws, &mut planned, &todo, &released, &known, req)?;
    finish_with_root(ws, &mut planned, &pins, &moved, "prepare", req)?;
    Ok(planned)
}

/// A final version that is not tagged and not on `base_branch` yet, whose release commit is
/// no longer HEAD (commits were added after it): an earlier `prepare` made it and it waits for
/// its merge. Preparing again would bump it a second time and that version would never be
/// released: refuse, and say what to do.
fn require_not_prepared_earlier(
    c: &Candidate<'_>,
    base: &str,
    problems: &mut Vec<String>,
) -> Result<()> {
    if !version::is_final(&c.version) || c.tagged(&c.version).is_some() {
        return Ok(());
    }
    match version_at(c, &format!("refs/heads/{base}"))? {
        Some(on_base) if on_base != c.version => problem(
            problems,
            c.pkg,
            format!(
                "{} is already prepared (not on {base}, not tagged) and has commits after its release commit: merge it, then `release-tool tag --sync`; to prepare it again, drop its release commit first",
                c.version
            ),
        ),
        _ => {}
    }
    Ok(())
}

/// Whether `prepare` already ran for a package: HEAD is the commit that set its version to a
/// final version that has no tag yet (the release commit waiting for its merge). Preparing it
/// again would bump it twice.
fn already_prepared(c: &Candidate<'_>) -> Result<bool> {
    if !version::is_final(&c.version) || c.tagged(&c.version).is_some() {
        return Ok(false);
    }
    let Some(parent) = c.git.resolve("HEAD^")? else {
        return Ok(false);
    };
    let before = c
        .git
        .read_blob(&parent, "pyproject.toml")?
        .unwrap_or_default();
    let version_before = PyProject::parse(&c.pkg.dir.join("pyproject.toml"), &before)
        .ok()
        .and_then(|d| match d.version_source() {
            VersionSource::Static(v) => version::parse(&v).ok(),
            _ => None,
        });
    Ok(version_before.is_some_and(|v| v != c.version))
}

/// Push `refs` of a prepared package and open its pull request `dev_branch` → `base_branch`
/// (or say where to open it by hand when no forge is configured).
fn plan_pull_request(
    ws: &Workspace,
    planned: &mut Planned,
    pkg: &Package,
    refs: &[String],
    message: &str,
) {
    let name = Some(pkg.name.as_str());
    let (dev, base) = (&ws.config.dev_branch, ws.base_branch(pkg));
    planned
        .plan
        .push_refs(name, &pkg.dir, &ws.config.git_remote, refs);
    let forge_on =
        ws.config.forge.pull_requests && ws.config.forge.kind != crate::config::ForgeKind::None;
    match crate::forge::repo_for(ws, pkg) {
        Some(repo) if forge_on => planned.plan.forge(
            name,
            ForgeCall {
                repo,
                action: ForgeAction::OpenPullRequest {
                    head: dev.clone(),
                    base: base.to_owned(),
                    title: message.lines().next().unwrap_or("").to_owned(),
                    body: message.to_owned(),
                },
            },
        ),
        _ => planned.notes.push(format!(
            "{}: open the pull request by hand: {}",
            pkg.name,
            compare_url(ws, pkg, base, dev)
        )),
    }
}

/// A web URL to compare `head` with `base` (to open a pull request by hand).
pub fn compare_url(ws: &Workspace, pkg: &Package, base: &str, head: &str) -> String {
    let url = crate::workspace::package_url(ws, pkg).unwrap_or_default();
    let web = if let Some(rest) = url.strip_prefix("git@") {
        format!("https://{}", rest.replacen(':', "/", 1))
    } else if let Some(rest) = url.strip_prefix("ssh://git@") {
        format!("https://{rest}")
    } else {
        url
    };
    let web = web.trim_end_matches('/').trim_end_matches(".git");
    format!("{web}/compare/{base}...{head}?expand=1")
}

// ---------------------------------------------------------------------------------------------
// tag (stage 5)

/// Plan the `--sync` part of `tag`: fetch, check out and fast-forward `base_branch`, and
/// (with `delete_branch`) delete the merged `dev_branch`. Run before [`plan_tag`].
pub fn plan_tag_sync(ws: &Workspace, req: &Request) -> Result<Planned> {
    let mut planned = Planned::new(ws);
    let mut problems = Vec::new();
    let remote = &ws.config.git_remote;
    for c in candidates(ws, &req.packages, &mut planned.skipped, &mut problems)? {
        let base = ws.base_branch(c.pkg);
        require_clean(&c, &mut problems);
        let name = Some(c.pkg.name.as_str());
        let dir = &c.pkg.dir;
        planned
            .plan
            .git(name, dir, ["fetch", "--quiet", "--tags", "--", remote]);
        if c.branch.as_deref() != Some(base) {
            planned.plan.git(name, dir, ["checkout", "--quiet", base]);
        }
        planned.plan.git(
            name,
            dir,
            [
                "merge",
                "--ff-only",
                "--quiet",
                &format!("refs/remotes/{remote}/{base}"),
            ],
        );
        if req.delete_branch
            && c.git
                .resolve(&format!("refs/heads/{}", ws.config.dev_branch))?
                .is_some()
        {
            // `-d` refuses to delete a branch that is not merged: no work is lost.
            planned
                .plan
                .git(name, dir, ["branch", "-d", "--", &ws.config.dev_branch]);
        }
    }
    fail_on(&problems, "sync")?;
    Ok(planned)
}

/// Plan `tag`: on `base_branch`, an annotated tag `<prefix><version>` on the release commit
/// (the last commit that changed the version), the prod (and staging) pins, push and the forge
/// release.
pub fn plan_tag(ws: &Workspace, req: &Request) -> Result<Planned> {
    plan_tag_at(ws, req, false)
}

/// [`plan_tag`] as it will be once `tag --sync` has fast-forwarded `base_branch` to
/// `<remote>/<base_branch>` as last fetched, whatever is checked out now: what `tag --sync
/// --dry-run` shows, as it cannot run the sync.
pub fn plan_tag_after_sync(ws: &Workspace, req: &Request) -> Result<Planned> {
    plan_tag_at(ws, req, true)
}

/// The version of a package at `rev` (its pyproject's static version, or its hatch version
/// file's); `None` when `rev` does not exist or has no readable version.
fn version_at(c: &Candidate<'_>, rev: &str) -> Result<Option<Version>> {
    if c.git.resolve(rev)?.is_none() {
        return Ok(None);
    }
    let file = "pyproject.toml";
    let Some(text) = c.git.read_blob(rev, file)? else {
        return Ok(None);
    };
    let Ok(doc) = PyProject::parse(&c.pkg.dir.join(file), &text) else {
        return Ok(None);
    };
    let found = match doc.version_source() {
        VersionSource::Static(s) => Some(s),
        VersionSource::Dynamic {
            hatch_path: Some(rel),
        } => c
            .git
            .read_blob(rev, &rel)?
            .and_then(|t| pyproject::version_in_text(&t).map(str::to_owned)),
        _ => None,
    };
    Ok(found.and_then(|s| version::parse(&s).ok()))
}

/// A package `tag` tags: its tag on the release commit `target`, with that commit's message.
struct TagStep {
    /// The index of the package in the candidates.
    index: usize,
    tag: String,
    target: String,
    version: Version,
    message: String,
}

fn plan_tag_at(ws: &Workspace, req: &Request, after_sync: bool) -> Result<Planned> {
    ws.require_sound()?;
    let mut planned = Planned::new(ws);
    let mut problems = Vec::new();
    let remote = &ws.config.git_remote;
    let cands = candidates(ws, &req.packages, &mut planned.skipped, &mut problems)?;
    let mut steps = Vec::new();
    for (index, c) in cands.iter().enumerate() {
        let tip = if after_sync {
            format!("refs/remotes/{remote}/{}", ws.base_branch(c.pkg))
        } else {
            "HEAD".to_owned()
        };
        let Some(v) = version_to_tag(ws, c, &tip, after_sync, &mut planned, &mut problems)? else {
            continue;
        };
        if let Some(step) = tag_step(c, index, &tip, v, req, &mut planned, &mut problems)? {
            steps.push(step);
        }
    }
    if !steps.is_empty() {
        // Its root commit would take along whatever the user staged there.
        require_root_ready(ws, req, &mut problems);
    }
    fail_on(&problems, "tag")?;
    let in_run: BTreeSet<String> = steps
        .iter()
        .map(|s| cands[s.index].pkg.key.clone())
        .collect();
    let mut pins = Pins::default();
    let mut moved = Vec::new();
    for step in steps {
        let pkg = cands[step.index].pkg;
        plan_package_tag(ws, &mut planned, &mut pins, pkg, step, &in_run, req);
        moved.push(pkg);
    }
    finish_with_root(ws, &mut planned, &pins, &moved, "tag", req)?;
    Ok(planned)
}

/// The version `tag` releases: the one on `<remote>/<base_branch>` after a sync (with a note
/// when that ref is behind the remote), else the package's own on `base_branch`. `None`
/// refuses the package (a problem).
fn version_to_tag(
    ws: &Workspace,
    c: &Candidate<'_>,
    tip: &str,
    after_sync: bool,
    planned: &mut Planned,
    problems: &mut Vec<String>,
) -> Result<Option<Version>> {
    let base = ws.base_branch(c.pkg);
    let remote = &ws.config.git_remote;
    if !after_sync {
        if c.branch.as_deref() != Some(base) {
            require_branch(c, base, problems);
            return Ok(None);
        }
        return Ok(Some(c.version.clone()));
    }
    // A read-only look at the remote: say when the plan is from a stale fetch.
    let branch_ref = format!("refs/heads/{base}");
    if let Ok(out) = c
        .git
        .run_batch(["ls-remote", "--", remote, branch_ref.as_str()])
        && let Some(on_remote) = out.split_whitespace().next()
        && c.git.resolve(tip)?.as_deref() != Some(on_remote)
    {
        planned.notes.push(format!(
        "{}: {remote}/{base} has moved since it was last fetched; this plan is from the last fetch (`release-tool status --fetch` refreshes it)",
        c.pkg.name
    ));
    }
    let v = version_at(c, tip)?;
    if v.is_none() {
        problem(
            problems,
            c.pkg,
            format!(
                "has no readable version on {remote}/{base}; fetch it first (`git -C {} fetch {remote}`)",
                c.pkg.rel_path
            ),
        );
    }
    Ok(v)
}

/// The package's step at version `v`, or `None` when it is skipped (an untagged development
/// version, a tag already on the release commit without `push`) or refused (a problem: no
/// commit to tag, the tag elsewhere).
fn tag_step(
    c: &Candidate<'_>,
    index: usize,
    tip: &str,
    v: Version,
    req: &Request,
    planned: &mut Planned,
    problems: &mut Vec<String>,
) -> Result<Option<TagStep>> {
    let tag = c.tag_name(&v);
    // `prepare` tags a dev/pre version at once: one without its tag was never prepared
    // (a new package, a package with no changes this cycle), and is not a release.
    if !version::is_final(&v) && c.tagged(&v).is_none() {
        planned.skipped.push(Skipped::new(
            c.pkg,
            format!(
                "{v} is a development version that `prepare` did not tag; nothing to release (`prepare --bump dev|pre` tags one)"
            ),
        ));
        return Ok(None);
    }
    let Some(target) = release_commit(c, tip, &v)? else {
        problem(problems, c.pkg, "has no commit to tag");
        return Ok(None);
    };
    if let Some(existing) = c.git.resolve(&format!("refs/tags/{tag}"))? {
        if existing != target {
            problem(
                problems,
                c.pkg,
                format!(
                    "tag {tag} already exists on {}, not on the release commit {}",
                    crate::git::short_hash(&existing),
                    crate::git::short_hash(&target)
                ),
            );
            return Ok(None);
        }
        if !req.push {
            planned.skipped.push(Skipped::new(
                c.pkg,
                format!("tag {tag} already exists on the release commit"),
            ));
            return Ok(None);
        }
    }
    let message = c.git.run(["log", "-1", "--format=%B", &target])?;
    Ok(Some(TagStep {
        index,
        tag,
        target,
        version: v,
        message: message.trim_end().to_owned(),
    }))
}

/// The release commit below `tip`: the newest commit that changed the version, when it has
/// version `v`, else `tip` itself; `None` when no commit changed `pyproject.toml`.
fn release_commit(c: &Candidate<'_>, tip: &str, v: &Version) -> Result<Option<String>> {
    let file = "pyproject.toml";
    let target = c
        .git
        .run(["log", "-1", "--format=%H", tip, "--", file])?
        .trim()
        .to_owned();
    if target.is_empty() {
        return Ok(None);
    }
    let at_target = c.git.read_blob(&target, file)?.unwrap_or_default();
    let target_version = PyProject::parse(&c.pkg.dir.join(file), &at_target)
        .ok()
        .and_then(|d| match d.version_source() {
            VersionSource::Static(s) => Some(s),
            _ => None,
        });
    Ok(Some(
        if target_version
            .as_deref()
            .is_some_and(|s| version::parse(s).ok().as_ref() == Some(v))
        {
            target
        } else {
            c.git.rev_parse(tip)?
        },
    ))
}

/// The steps of one package's tag: the tag, with `push` its push and forge release; its pins
/// and its line in the report.
fn plan_package_tag(
    ws: &Workspace,
    planned: &mut Planned,
    pins: &mut Pins,
    pkg: &Package,
    step: TagStep,
    in_run: &BTreeSet<String>,
    req: &Request,
) {
    let TagStep {
        tag,
        target,
        version: v,
        message,
        ..
    } = step;
    let name = Some(pkg.name.as_str());
    planned.plan.tag(name, &pkg.dir, &tag, &target, &message);
    if req.push {
        planned.plan.push_refs(
            name,
            &pkg.dir,
            &ws.config.git_remote,
            &[format!("refs/tags/{tag}")],
        );
        plan_release_call(ws, planned, pkg, &tag, &v, &message);
    }
    planned.plan.after.insert(
        pkg.name.clone(),
        waits_for(ws, pkg, &|k| in_run.contains(k)),
    );
    pins.staging.insert(pkg.key.clone(), tag.clone());
    if version::is_final(&v) {
        pins.prod.insert(pkg.key.clone(), (tag.clone(), v.clone()));
    }
    planned.packages.push(PackageRelease {
        package: pkg.name.clone(),
        from: v.clone(),
        version: v.clone(),
        tag: Some(tag),
        next: None,
        prerelease: !version::is_final(&v),
    });
}

// ---------------------------------------------------------------------------------------------
// next (stage 6)

/// Plan `next`: for each package whose version is final, on `dev_branch` (created from, or
/// fast-forwarded to, `base_branch`): version → next dev, commit `chore: start … development`,
/// and with `push` push the branch.
pub fn plan_next(ws: &Workspace, req: &Request) -> Result<Planned> {
    ws.require_sound()?;
    let mut planned = Planned::new(ws);
    let mut problems = Vec::new();
    let dev = ws.config.dev_branch.clone();
    let cands = candidates(ws, &req.packages, &mut planned.skipped, &mut problems)?;
    let mut todo = Vec::new();
    for c in cands {
        let base = ws.base_branch(c.pkg);
        if !version::is_final(&c.version) {
            planned.skipped.push(Skipped::new(
                c.pkg,
                format!("{} is already a development version", c.version),
            ));
            continue;
        }
        require_clean(&c, &mut problems);
        let on = c.branch.as_deref();
        if on != Some(dev.as_str()) && on != Some(base) {
            require_branch(&c, &dev, &mut problems);
            continue;
        }
        let Some(base_head) = c.git.resolve(&format!("refs/heads/{base}"))? else {
            problem(&mut problems, c.pkg, format!("has no branch {base}"));
            continue;
        };
        // The next cycle starts at base_branch: a dev_branch with commits that are not on it
        // (a release not merged yet) is refused, checked out or not.
        let dev_head = c.git.resolve(&format!("refs/heads/{dev}"))?;
        if let Some(dev_head) = &dev_head
            && !c.git.is_ancestor(dev_head, &base_head)?
        {
            problem(
                &mut problems,
                c.pkg,
                format!(
                    "{dev} has commits that are not on {base}; merge it first (then `release-tool tag --sync`), or delete it"
                ),
            );
            continue;
        }
        let restart = on != Some(dev.as_str()) || dev_head.as_deref() != Some(base_head.as_str());
        todo.push((c, restart, base));
    }
    if !todo.is_empty() {
        // Its root commit would take along whatever the user staged there.
        require_root_ready(ws, req, &mut problems);
    }
    fail_on(&problems, "start the next development cycle")?;
    for (c, restart, base) in &todo {
        let pkg = c.pkg;
        let name = Some(pkg.name.as_str());
        let n = version::next_dev(&c.version)?;
        let ns = n.to_string();
        if *restart {
            // dev_branch is missing, not checked out, or merged into base_branch (behind it):
            // (re)start it at base_branch.
            planned.plan.git(
                name,
                &pkg.dir,
                [
                    "checkout",
                    "--quiet",
                    "-B",
                    &dev,
                    &format!("refs/heads/{base}"),
                ],
            );
        }
        let edits = version_edits(&planned.plan, pkg, &ns, |_| Ok(()))?;
        write_and_add(&mut planned, pkg, &edits);
        planned.plan.commit(name, &pkg.dir, &next_message(&ns));
        if req.push {
            planned.plan.push_refs(
                name,
                &pkg.dir,
                &ws.config.git_remote,
                &[format!("refs/heads/{dev}")],
            );
            planned.plan.git(
                name,
                &pkg.dir,
                [
                    "branch",
                    "--quiet",
                    &format!("--set-upstream-to={}/{dev}", ws.config.git_remote),
                    &dev,
                ],
            );
        }
        planned.packages.push(PackageRelease {
            package: pkg.name.clone(),
            from: c.version.clone(),
            version: c.version.clone(),
            tag: None,
            next: Some(n),
            prerelease: false,
        });
    }
    if !planned.packages.is_empty() {
        let moved: Vec<&Package> = todo.iter().map(|(c, _, _)| c.pkg).collect();
        let summary = format!(
            "next: {}",
            planned
                .packages
                .iter()
                .map(|p| format!(
                    "{} {}",
                    p.package,
                    p.next.as_ref().map(ToString::to_string).unwrap_or_default()
                ))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let pins = Pins {
            versions_changed: true,
            ..Pins::default()
        };
        plan_root(ws, &mut planned, &pins, &moved, &summary, req)?;
    }
    Ok(planned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(stage: Stage, packages: &[&str]) -> Request {
        Request {
            stage,
            packages: packages.iter().map(|p| (*p).to_owned()).collect(),
            bump: Bump::Minor,
            push: true,
            next: stage == Stage::Release,
            root_commit: true,
            delete_branch: false,
            lock: true,
        }
    }

    #[test]
    fn a_request_keys_its_journal_by_what_shapes_the_plan() {
        let a = request(Stage::Release, &["b", "a"]);
        assert_eq!(a.command_line(), "release --bump minor --push -p a -p b");
        // The packages in any order, and what does not shape the plan, give the same key.
        let b = Request {
            delete_branch: true,
            lock: false,
            ..request(Stage::Release, &["a", "b"])
        };
        assert_eq!(a.key(), b.key());
        let no_next = Request {
            next: false,
            root_commit: false,
            ..a.clone()
        };
        assert_ne!(a.key(), no_next.key());
        assert_eq!(
            no_next.command_line(),
            "release --bump minor --push --no-next --no-root-commit -p a -p b"
        );
        assert_ne!(a.key(), request(Stage::Prepare, &["a", "b"]).key());
        // `tag` and `next` take no --bump.
        let tag = Request {
            bump: Bump::Patch,
            ..request(Stage::Tag, &[])
        };
        assert_eq!(tag.command_line(), "tag --push");
    }

    fn git(dir: &Path, args: &[&str]) {
        let identity = ["-c", "user.name=T", "-c", "user.email=t@example.com"];
        if let Err(e) = crate::git::Git::new(dir).run(identity.iter().chain(args)) {
            panic!("git {args:?}: {e}");
        }
    }

    #[test]
    fn remote_problems_name_a_tag_already_there_a_branch_ahead_and_an_unreachable_remote() {
        let tmp = tempfile::tempdir().unwrap();
        let (remote, work, other) = (
            tmp.path().join("remote.git"),
            tmp.path().join("work"),
            tmp.path().join("other"),
        );
        let s = |p: &Path| p.to_str().unwrap().to_owned();
        git(
            tmp.path(),
            &["init", "-q", "--bare", "-b", "main", &s(&remote)],
        );
        git(tmp.path(), &["clone", "-q", &s(&remote), &s(&work)]);
        git(&work, &["commit", "-q", "--allow-empty", "-m", "one"]);
        git(&work, &["push", "-q", "origin", "HEAD:main"]);
        let check = RemoteCheck {
            who: "p (packages/p)".to_owned(),
            dir: work.clone(),
            rel: "packages/p".to_owned(),
            branch: "main".to_owned(),
            tag: Some("v1.0.0".to_owned()),
        };
        assert_eq!(remote_problems(&check, "origin"), Vec::<String>::new());

        // The tag is on the remote only (released from another clone).
        git(&work, &["tag", "v1.0.0"]);
        git(&work, &["push", "-q", "origin", "v1.0.0"]);
        git(&work, &["tag", "-d", "v1.0.0"]);
        let found = remote_problems(&check, "origin");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("tag v1.0.0 already exists on `origin`"),
            "{found:?}"
        );

        // Someone else pushed to main: a commit this clone does not even have.
        git(tmp.path(), &["clone", "-q", &s(&remote), &s(&other)]);
        git(&other, &["commit", "-q", "--allow-empty", "-m", "two"]);
        git(&other, &["push", "-q", "origin", "HEAD:main"]);
        let branch_only = RemoteCheck {
            tag: None,
            ..check.clone()
        };
        let found = remote_problems(&branch_only, "origin");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("`origin` has commits on main that are not in HEAD"),
            "{found:?}"
        );
        // Once pulled, the remote's branch is in HEAD: nothing to say.
        git(&work, &["pull", "-q", "--ff-only", "origin", "main"]);
        assert_eq!(
            remote_problems(&branch_only, "origin"),
            Vec::<String>::new()
        );

        git(
            &work,
            &[
                "remote",
                "set-url",
                "origin",
                &s(&tmp.path().join("gone.git")),
            ],
        );
        let found = remote_problems(&check, "origin");
        assert!(
            found.len() == 1 && found[0].starts_with("cannot reach its remote `origin`: "),
            "{found:?}"
        );
    }

    #[test]
    fn next_commits_are_recognised() {
        assert!(is_next_commit(&next_message("0.1.1.dev0")));
        assert!(!is_next_commit("chore: start over"));
    }
}
