//! The release stages as plans (docs/reference.md §3): `prepare` (stage 4), `tag` (stage 5), `next`
//! (stage 6) and the trunk-based one-shot `release`, with the root's bookkeeping commit.
//!
//! Everything here only *plans*: it reads the workspace and returns a grouped [`Plan`] (each
//! package's steps in order, a package after the packages it depends on, the root last) that
//! `--dry-run` prints and the executor runs. Problems found while planning (a dirty package,
//! a wrong branch, an invalid version) stop the command before anything changes.

pub mod branch;
pub mod changelog;
mod groups;
pub mod notes;
pub mod product;
pub mod publish;
pub mod stages;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use crate::config::{Dependents, ProdSource};
use crate::core::error::UserError;
use crate::core::parallel;
use crate::env::manifests;
use crate::forge::{ForgeAction, ForgeCall};
use crate::git::fastcommit;
use crate::git::statuscache::StatusCache;
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
    /// `--replan`: plan again, from the workspace as it is, what an unfinished run of this
    /// request did not do (the journal's request stays the key).
    #[serde(skip)]
    pub replan: bool,
    /// With `replan`: what the unfinished run releases (its journal's packages); a package
    /// whose tag the run made counts as released (pinned, reported, pushed when still local).
    #[serde(skip)]
    pub earlier: Vec<PackageRelease>,
    /// `--set-version NAME=VERSION` (`prepare`, `release`): the version of a package instead
    /// of `--bump`, by normalised package name, the version normalised.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub set_versions: BTreeMap<String, String>,
    /// `release --allow-branch`: release packages that are not on their base branch.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub allow_branch: bool,
    /// `--dependents` (`prepare`, `release`): the pin policy for dependents instead of the
    /// configuration's `dependents` (see [`Request::dependents`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dependents: Option<Dependents>,
    /// `release --push --image`: build and push the production image as the run's last steps
    /// (also when `[tool.release_tool.docker] on_release = true`; the application layer adds
    /// the steps, see `docker::plan_release_image`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub image: bool,
    /// `release --no-image`: no image steps even when `[tool.release_tool.docker] on_release =
    /// true` (the generated `release.yml` passes it when its own job builds the image).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_image: bool,
    /// `release --no-product`: leave the product (the root project's version, tag, notes and
    /// forge release) alone.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_product: bool,
    /// `release --product-bump`: how the product's version is bumped (default: the
    /// configuration's `[product] bump`, `auto`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_bump: Option<Bump>,
    /// `release --no-assets` / `tag --no-assets`: forge releases without their built files
    /// (also when `[tool.release_tool.forge] assets = false`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_assets: bool,
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
            for (name, v) in &self.set_versions {
                line.push_str(" --set-version ");
                line.push_str(name);
                line.push('=');
                line.push_str(v);
            }
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
        if self.allow_branch {
            line.push_str(" --allow-branch");
        }
        if let Some(d) = self.dependents {
            line.push_str(" --dependents ");
            line.push_str(d.as_str());
        }
        if self.image {
            line.push_str(" --image");
        }
        if self.no_image {
            line.push_str(" --no-image");
        }
        if self.no_product {
            line.push_str(" --no-product");
        }
        if let Some(b) = self.product_bump {
            line.push_str(" --product-bump ");
            line.push_str(b.as_str());
        }
        if self.no_assets {
            line.push_str(" --no-assets");
        }
        let mut packages = self.packages.clone();
        packages.sort();
        for p in packages {
            line.push_str(" -p ");
            line.push_str(&p);
        }
        line
    }

    /// The pin policy for dependents of the packages this run releases: `--dependents`, else
    /// the configuration's `dependents`.
    pub fn dependents(&self, ws: &Workspace) -> Dependents {
        self.dependents.unwrap_or(ws.config.dependents)
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
    /// `--no-assets`: forge releases without their built files.
    pub no_assets: bool,
    /// The identities and settings of the fast-import path, read once per plan (`Err`: why
    /// every package takes the porcelain path; see `git::fastcommit`).
    fast: Option<std::result::Result<fastcommit::Settings, String>>,
}

impl Planned {
    fn new(ws: &Workspace) -> Self {
        Self {
            plan: Plan::grouped(&ws.root),
            packages: Vec::new(),
            skipped: Vec::new(),
            notes: Vec::new(),
            no_assets: false,
            fast: None,
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
    /// The authors of the commits of `messages`, oldest first, each once (a forge release's
    /// contributors).
    authors: Vec<String>,
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

/// The caches planning reads (never writes).
struct PlanCaches {
    tags: TagCache,
    status: StatusCache,
}

impl PlanCaches {
    /// Whether the tag `tag` of `pkg` points at its HEAD and its work tree is clean, as far as
    /// both caches tell without a process (`false` whenever they cannot): then the files of
    /// that release are the files on disk.
    fn release_is_clean_head(&self, pkg: &Package, git: &Git, prefix: &str, tag: &str) -> bool {
        let Some(Some(head)) = git.files().and_then(|f| f.head()).map(|(_, h)| h) else {
            return false;
        };
        self.tags
            .cached_distances(&pkg.rel_path, git, prefix, &head)
            .is_some_and(|tags| tags.iter().any(|t| t.name == tag && t.commit == head))
            && self.status.holds_clean(&pkg.rel_path, git)
    }
}

/// What git says about a candidate (gathered for all packages in parallel).
struct Gathered {
    status: RepoStatus,
    tags: Vec<String>,
    last_tag: Option<(String, Version)>,
    messages: Vec<String>,
    authors: Vec<String>,
}

/// The commits in `from..to` (all of `to` without `from`), newest first, each with whether it
/// is a merge: one `git log`.
fn log_with_merges(
    git: &Git,
    from: Option<&str>,
    to: &str,
) -> Result<Vec<(bool, crate::git::Commit)>> {
    log_with_merges_in(git, from, to, None)
}

/// [`log_with_merges`] limited to the commits that touch `path` (an in-tree package's
/// directory in the root repository). Read in-process when it can be (no path: see
/// [`crate::git::local::LocalRepo::log`]), else one `git log`.
fn log_with_merges_in(
    git: &Git,
    from: Option<&str>,
    to: &str,
    path: Option<&str>,
) -> Result<Vec<(bool, crate::git::Commit)>> {
    if path.is_none()
        && let Some(commits) = git.local().and_then(|l| l.log(from, to))
    {
        return Ok(commits);
    }
    let range = from.map_or_else(|| to.to_owned(), |from| format!("{from}..{to}"));
    let mut args = vec![
        "log",
        "-z",
        "--format=%H%x1f%P%x1f%aN%x1f%s%x1f%b",
        &range,
        "--",
    ];
    if let Some(path) = path {
        args.push(crate::git::check_arg("path", path)?);
    }
    let out = git.run(args)?;
    Ok(out
        .split('\0')
        .filter(|r| !r.trim().is_empty())
        .filter_map(|record| {
            let mut parts = record.trim_start_matches('\n').splitn(5, '\x1f');
            let hash = parts.next()?.to_owned();
            let merge = parts.next()?.split_whitespace().count() > 1;
            let author = parts.next()?.to_owned();
            Some((
                merge,
                crate::git::Commit {
                    hash,
                    author,
                    subject: parts.next()?.to_owned(),
                    body: parts.next().unwrap_or("").trim_end().to_owned(),
                },
            ))
        })
        .collect())
}

/// The commits that are a release's changes, of `commits` ([`log_with_merges`], newest first):
/// neither merges nor the tool's own commits (`next` commits, and the commits `tool_made`
/// names: the release commits of tags); a squash merge of a release (a key of `squashed`)
/// stands for the commits it squashed, under the same rule, and those are not counted again
/// where HEAD's history has them too. When that leaves none, the tree changed in merges or the
/// tool's release commits only, and they are the changes (all but the `next` commits). The one
/// rule of `notes` and release planning.
fn change_commits<'c>(
    commits: &'c [(bool, crate::git::Commit)],
    squashed: &'c HashMap<String, Vec<(bool, crate::git::Commit)>>,
    tool_made: impl Fn(&str) -> bool,
) -> Vec<&'c crate::git::Commit> {
    let inner: BTreeSet<&str> = squashed
        .values()
        .flatten()
        .map(|(_, c)| c.hash.as_str())
        .collect();
    let counts = |merge: bool, c: &crate::git::Commit| {
        !merge && !is_next_commit(&c.subject) && !tool_made(&c.hash)
    };
    let mut out = Vec::new();
    for (merge, c) in commits {
        if let Some(squash) = squashed.get(&c.hash) {
            out.extend(squash.iter().filter(|(m, c)| counts(*m, c)).map(|(_, c)| c));
        } else if counts(*merge, c) && !inner.contains(c.hash.as_str()) {
            out.push(c);
        }
    }
    if out.is_empty() {
        out = commits
            .iter()
            .filter(|(_, c)| !is_next_commit(&c.subject))
            .map(|(_, c)| c)
            .collect();
    }
    out
}

/// Whether a `--bump` makes a final release, which counts the commits since the last *final*
/// release (a dev/pre release counts since the newest tag of any kind). Compared by name so
/// that every pre-release kind (`pre`, `alpha`, `beta`, `rc`) counts as one.
fn counts_since_final(bump: Bump) -> bool {
    !matches!(bump.as_str(), "dev" | "pre" | "alpha" | "beta" | "rc")
}

/// Whether the tree of `to` differs from the tree of `from` by more than version assignments
/// (the `next` commit's `version = "…"` in pyproject.toml, or a hatch version file's
/// `__version__ = "…"`), limited to `path` (an in-tree package's directory) when given: read
/// in-process ([`tree_differs_in_process`]) where the repository allows, else one
/// `git diff -U0` ([`tree_differs_by_git`]).
fn tree_differs_in(git: &Git, from: &str, to: &str, path: Option<&str>) -> Result<bool> {
    if let Some(local) = git.local()
        && let Some(differs) = tree_differs_in_process(&local, git.dir(), from, to, path)
    {
        return Ok(differs);
    }
    tree_differs_by_git(git, from, to, path)
}

/// Whether `line` (without its `+`/`-` and end of line) assigns a quoted version:
/// `version = "…"`, `__version__ = '…'`, `VERSION = "…"`.
fn is_version_line(line: &str) -> bool {
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
}

/// [`tree_differs_in`] by `git diff -U0`: every added or removed line a version line, as many
/// added as removed, no binary, new or deleted file.
fn tree_differs_by_git(git: &Git, from: &str, to: &str, path: Option<&str>) -> Result<bool> {
    let mut args = vec![
        "diff",
        "--no-color",
        "--no-ext-diff",
        "--no-renames",
        "-U0",
        from,
        to,
        "--",
    ];
    if let Some(path) = path {
        args.push(crate::git::check_arg("path", path)?);
    }
    let out = git.run(args)?;
    let (mut removed, mut added) = (0usize, 0usize);
    // Between a `diff --git` line and its first `@@` is the file's header (`--- a/…`).
    let mut header = false;
    for line in out.lines() {
        if line.starts_with("diff --git ") {
            header = true;
        } else if line.starts_with("@@") {
            header = false;
        }
        if header && (line.starts_with("+++ ") || line.starts_with("--- ")) {
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

/// [`tree_differs_in`] without a process, for the common case: the files that differ
/// ([`crate::git::local::LocalRepo::changed_files`]), each a text file with as many lines on
/// both sides whose differing lines are version lines on both sides (a version edited in
/// place). Then git's diff is those line pairs and git's answer is "not differs"; a file with
/// another line that differs, added, deleted, binary (a NUL in its first 8000 bytes, git's
/// test), a symbolic link turned into a file or back, or a changed submodule: "differs", as
/// for git. A change of the executable bit alone does not count, as for git. `None` (ask git)
/// for the rest: files whose line counts differ or whose version lines moved (git's diff
/// decides what is paired with what), attributes that could change git's view of a file
/// (`.gitattributes` along a changed file's path in the work tree, `info/attributes`, an
/// attributes file in any config), trees that cannot be read for certain. `workdir` is the
/// repository's work tree (attributes are read from there, as git does).
fn tree_differs_in_process(
    local: &crate::git::local::LocalRepo,
    workdir: &Path,
    from: &str,
    to: &str,
    path: Option<&str>,
) -> Option<bool> {
    const LINK: u32 = 0o120_000;
    const SUBMODULE: u32 = 0o160_000;
    let changes = local.changed_files(from, to, path)?;
    if changes.is_empty() {
        return Some(false);
    }
    if local.has_attribute_sources() || crate::git::worktree::attributes_elsewhere() {
        return None;
    }
    // Every directory from a changed file's up to the work tree's top.
    for change in &changes {
        let rel = String::from_utf8(change.path.clone()).ok()?;
        if Path::new(&rel)
            .ancestors()
            .skip(1)
            .any(|dir| workdir.join(dir).join(".gitattributes").exists())
        {
            return None;
        }
    }
    let mut undecided = false;
    for change in changes {
        let (Some((old_mode, old)), Some((new_mode, new))) = (change.old, change.new) else {
            return Some(true);
        };
        if old == new && (old_mode == LINK) == (new_mode == LINK) {
            continue;
        }
        if (old_mode == LINK) != (new_mode == LINK)
            || old_mode == SUBMODULE
            || new_mode == SUBMODULE
        {
            return Some(true);
        }
        let (old, new) = (local.blob(&old)?, local.blob(&new)?);
        let binary = |data: &[u8]| data[..data.len().min(8000)].contains(&0);
        if binary(&old) || binary(&new) {
            return Some(true);
        }
        let (old, new): (Vec<&[u8]>, Vec<&[u8]>) = (
            old.split_inclusive(|&b| b == b'\n').collect(),
            new.split_inclusive(|&b| b == b'\n').collect(),
        );
        let version = |line: &[u8]| is_version_line(&String::from_utf8_lossy(line));
        // A line that is not a version line on either side: it is in git's diff too.
        let (a, b): (Vec<&[u8]>, Vec<&[u8]>) = (
            old.iter().copied().filter(|l| !version(l)).collect(),
            new.iter().copied().filter(|l| !version(l)).collect(),
        );
        if a != b {
            return Some(true);
        }
        if old.len() != new.len()
            || old
                .iter()
                .zip(&new)
                .any(|(o, n)| o != n && !(version(o) && version(n)))
        {
            undecided = true;
        }
    }
    (!undecided).then_some(false)
}

/// A package's git state for planning: `git status` (from the status cache when it holds the
/// package as clean, see [`crate::git::statuscache`]), its tags with their distance to HEAD
/// (from the tag cache when valid, see [`crate::git::tagcache`]) and, when there are commits
/// since the newest merged tag, their messages: two or three git processes, none when nothing
/// changed and both caches hold.
fn gather(
    caches: &PlanCaches,
    pkg: &Package,
    git: &Git,
    prefix: &str,
    since_final: bool,
) -> Result<Gathered> {
    let cache = &caches.tags;
    let path = pkg.path_filter();
    let status = caches
        .status
        .repo_status(&pkg.rel_path, git)
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
            authors: Vec::new(),
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
    let mut authors: Vec<String> = Vec::new();
    if since != Some(0) {
        // Commits since the release: changes only when the tree differs from the released
        // tree by more than the version (merges that bring nothing, `next` commits do not).
        let released = |tag: &str| tree_differs_in(git, &format!("refs/tags/{tag}"), &head, path);
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
            let commits = log_with_merges_in(git, from, &head, path)
                .with_context(|| format!("{}: cannot read its commits", pkg.name))?;
            // A dev/pre release squash-merged (a final release after it): the squash commit
            // stands for the commits of that release, which are not in HEAD's history.
            let squashed = if since_final && path.is_none() {
                squashed_releases(
                    git,
                    prefix,
                    &tags,
                    last_tag.as_ref().map(|(_, v)| v),
                    from,
                    &head,
                )?
            } else {
                HashMap::new()
            };
            let changes = change_commits(&commits, &squashed, |hash| tagged.contains(hash));
            for c in changes.iter().rev() {
                if !c.author.is_empty() && !authors.contains(&c.author) {
                    authors.push(c.author.clone());
                }
            }
            messages = changes
                .into_iter()
                .map(|c| {
                    if c.body.is_empty() {
                        c.subject.clone()
                    } else {
                        format!("{}\n\n{}", c.subject, c.body)
                    }
                })
                .collect();
        }
    }
    Ok(Gathered {
        status,
        tags: tags.into_iter().map(|t| t.name).collect(),
        last_tag,
        messages,
        authors,
    })
}

/// The squash merges of dev/pre releases in `from..head`: commit → the commits of the release
/// it squashed (`head..tag`, the release commit included). A release counts when its tag is
/// newer than `last` (the last final release), not merged into HEAD, and a commit of HEAD's
/// history has exactly its tree. Only asked when such a tag exists (two git processes more).
fn squashed_releases(
    git: &Git,
    prefix: &str,
    tags: &[crate::git::TagRef],
    last: Option<&Version>,
    from: Option<&str>,
    head: &str,
) -> Result<HashMap<String, Vec<(bool, crate::git::Commit)>>> {
    let unmerged: Vec<&crate::git::TagRef> = tags
        .iter()
        .filter(|t| t.ahead.is_some_and(|a| a > 0))
        .filter(|t| {
            version::parse_tag(&t.name, prefix)
                .is_some_and(|v| !version::is_final(&v) && last.is_none_or(|l| v > *l))
        })
        .collect();
    let mut out = HashMap::new();
    if unmerged.is_empty() {
        return Ok(out);
    }
    let range = from.map_or_else(|| head.to_owned(), |from| format!("{from}..{head}"));
    let trees: HashMap<String, String> = git
        .run(["log", "--format=%T %H", &range, "--"])?
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(tree, commit)| (tree.to_owned(), commit.to_owned()))
        .collect();
    for tag in unmerged {
        let tree = git.run(["rev-parse", &format!("{}^{{tree}}", tag.commit)])?;
        if let Some(commit) = trees.get(tree.trim()) {
            // What the squash brought: the release's commits HEAD's history lacks.
            let inner = log_with_merges(git, Some(head), &tag.commit)?;
            out.insert(commit.clone(), inner);
        }
    }
    Ok(out)
}

/// Look at each selected package: version, tags, commits, branch, cleanliness. The git work
/// runs for all packages in parallel; candidates come back in dependency order.
fn candidates<'a>(
    ws: &'a Workspace,
    names: &[String],
    skipped: &mut Vec<Skipped>,
    problems: &mut Vec<String>,
) -> Result<Vec<Candidate<'a>>> {
    candidates_since(ws, names, false, false, skipped, problems)
}

/// Why the release stages leave an in-tree package out (docs/in-tree.md, "What works").
pub const IN_TREE_NOT_RELEASED: &str = "in-tree package (its commits and tags are the root repository's): \
     the pull-request stages (prepare, tag, next) do not release in-tree packages yet; release it \
     with `release-tool release` (see docs/in-tree.md)";

/// [`candidates`] with the changes counted since the last final release (`since_final`, for a
/// final release) or since the newest tag of any kind.
fn candidates_since<'a>(
    ws: &'a Workspace,
    names: &[String],
    since_final: bool,
    in_tree: bool,
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
        if pkg.in_tree() && !in_tree {
            skipped.push(Skipped::new(pkg, IN_TREE_NOT_RELEASED));
            continue;
        }
        // An in-tree package's git is the root's (its commits: those touching its directory).
        let git = Git::new(pkg.repo_dir(&ws.root));
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
        let prefix = ws.tag_prefix(pkg).into_owned();
        eligible.push((pkg, git, prefix, version));
    }
    // Planning changes nothing on disk: the caches are read (a `status` run fills them), never
    // written.
    let caches = PlanCaches {
        tags: TagCache::open(&ws.root, false),
        status: StatusCache::open(&ws.root, false),
    };
    let gathered = parallel::map(
        &eligible,
        ws.config.effective_jobs(None),
        |(pkg, git, prefix, _)| {
            // The repository is kept for the gathering only (dropped with this handle): a
            // thousand kept repositories would hold about 150 MB.
            let reading = git.clone().reading();
            gather(&caches, pkg, &reading, prefix, since_final).map(|mut g| {
                if let Some(dir) = pkg.path_filter() {
                    // The root's status, limited to the package's directory.
                    let under = |p: &String| p == dir || p.starts_with(&format!("{dir}/"));
                    g.status.changed.retain(under);
                    g.status.untracked.retain(under);
                    g.status.short = None;
                }
                g
            })
        },
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
            authors: g.authors,
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
                "has {}; commit them (`release-tool commit`) or stash them first",
                crate::core::text::count(status.changed.len(), "uncommitted change")
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
    .with_hint("fix what is named above, then run the same command again")
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

/// Plan writing `edits` in a package, and `git add` of the new files among them (a first
/// `CHANGELOG.md`): `git commit --only -- <paths>` takes the work tree content of tracked paths
/// itself, so a file that exists (tracked: an untracked one makes the package dirty, refused
/// before planning) needs no `git add` process. Returns the paths (relative to the package),
/// the paths its commit takes ([`Plan::commit_paths`]).
fn write_and_add(plan: &mut Planned, pkg: &Package, edits: &[(PathBuf, String)]) -> Vec<String> {
    let name = Some(pkg.name.as_str());
    let mut paths = Vec::new();
    let mut new = Vec::new();
    for (path, content) in edits {
        if plan.plan.current_content(path).is_none() {
            new.push(rel_in(pkg, path));
        }
        plan.plan.write(name, path, content.clone());
        paths.push(rel_in(pkg, path));
    }
    if !new.is_empty() {
        let mut args = vec!["add".to_owned(), "--".to_owned()];
        args.extend(new);
        plan.plan.git(name, &pkg.dir, args);
    }
    paths
}

/// A tag message, the file it came from with its text (consumed by the release), and why a
/// file was not used.
type TagMessage = (String, Option<(PathBuf, String)>, Option<String>);

/// The tag message of a package: its `tag_message.md` when written for this release, else
/// notes grouped from the conventional commits; comments removed and placeholders filled. The
/// Python `release_tool`'s untouched template, and this tool's, count as unwritten, as they
/// did there. Also the file with its text when there is one for this release (the release
/// consumes it), or why it is not used (a message written for an earlier release). A file
/// reached through a symbolic link is refused, never read: its text would go into a tag and a
/// forge release (docs/security.md, "Symbolic links").
fn tag_message(ws: &Workspace, c: &Candidate<'_>, version: &str) -> Result<TagMessage> {
    let file = stages::package_changes_dir(ws, &c.pkg.name).join(&ws.config.tag_message_filename);
    if let Some(link) = crate::core::fsutil::link_below(&ws.root, &file, true) {
        return Err(UserError::failure(format!(
            "Refusing to read the tag message of {} through a symbolic link; nothing was changed: {} is a symbolic link to {}",
            c.pkg.name,
            ws.rel(&link.path),
            link.target.display()
        ))
        .with_hint(format!(
            "write the message in {} itself (`release-tool notes` makes one), then run the same command again",
            ws.rel(&file)
        ))
        .into());
    }
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
    let template =
        written.unwrap_or_else(|| notes::template(&c.pkg.name, &refs, c.last_tag.is_none()));
    let prev = c
        .last_tag
        .as_ref()
        .map_or_else(|| "the first commit".to_owned(), |(_, v)| v.to_string());
    Ok((changelog::fill(&template, version, &prev), used, stale))
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

/// The version a package is released at: its `--set-version`, which must be neither tagged
/// already nor at or below the last release of the package's line (its newest tag merged into
/// HEAD), else `--bump` (`auto` read from its commits), moved past such a version when it
/// would land on one (with a note saying so). A version that cannot be had is a problem; the
/// current version stands in.
fn new_version(
    c: &Candidate<'_>,
    req: &Request,
    notes: &mut Vec<String>,
    problems: &mut Vec<String>,
) -> Version {
    let floor = c.last_tag.as_ref();
    if let Some(text) = req.set_versions.get(&c.pkg.key) {
        let v = version::parse(text).unwrap_or_else(|_| c.version.clone());
        let name = &c.pkg.name;
        if let Some(tag) = c.tagged(&v) {
            problem(
                problems,
                c.pkg,
                format!(
                    "--set-version {name}={v}: {v} is already tagged ({tag}); choose a version that is not released yet"
                ),
            );
        } else if let Some((tag, last)) = floor.filter(|(_, last)| v <= *last) {
            problem(
                problems,
                c.pkg,
                format!(
                    "--set-version {name}={v} is not newer than {last}, its last release ({tag}); choose a higher version"
                ),
            );
        }
        return v;
    }
    let kind = match req.bump {
        Bump::Auto => {
            let refs: Vec<&str> = c.messages.iter().map(String::as_str).collect();
            version::auto_bump_kind(&c.version, &refs)
        }
        other => other,
    };
    let taken = |v: &Version| c.tagged(v).is_some();
    match version::bump_past(&c.version, kind, floor.map(|(_, v)| v), taken) {
        Ok((v, moved)) => {
            if let Some(plain) = moved {
                let why = match (c.tagged(&plain), floor) {
                    (Some(tag), _) => format!("{plain} is already tagged ({tag})"),
                    (None, Some((tag, last))) => {
                        format!("{plain} is not newer than {last}, the last release ({tag})")
                    }
                    (None, None) => format!("{plain} is taken"),
                };
                notes.push(format!(
                    "{}: {why}: --bump {kind} moves past it to {v}",
                    c.pkg.name
                ));
            }
            v
        }
        Err(e) => {
            problems.push(format!("{}: cannot bump {}: {e}", c.pkg.name, c.version));
            c.version.clone()
        }
    }
}

/// Every `--set-version` names a package this run releases: else a usage error (nothing has
/// changed yet) naming it and why it is not released.
fn require_set_versions_released(
    ws: &Workspace,
    req: &Request,
    todo: &[Candidate<'_>],
    skipped: &[Skipped],
) -> Result<()> {
    for (key, v) in &req.set_versions {
        if todo.iter().any(|c| &c.pkg.key == key) {
            continue;
        }
        let (why, hint) = match ws.package(key) {
            None => (
                format!("there is no package `{key}` in the workspace"),
                "name a workspace member (`release-tool status` lists them)".to_owned(),
            ),
            Some(pkg) => match skipped.iter().find(|s| s.package == pkg.name) {
                Some(s) => (
                    format!("`{}` is not released by this run: {}", pkg.name, s.reason),
                    format!("drop --set-version {}={v}", pkg.name),
                ),
                None if !req.packages.is_empty()
                    && !req
                        .packages
                        .iter()
                        .any(|p| crate::python::pyproject::normalize_name(p) == *key) =>
                {
                    (
                        format!("`{}` is not selected", pkg.name),
                        format!(
                            "add `-p {}`, or drop --set-version {}={v}",
                            pkg.name, pkg.name
                        ),
                    )
                }
                None => (
                    format!("`{}` is not released by this run", pkg.name),
                    format!("drop --set-version {}={v}", pkg.name),
                ),
            },
        };
        return Err(UserError::usage(format!(
            "Cannot use --set-version {key}={v}: {why}; nothing was changed"
        ))
        .with_hint(hint)
        .into());
    }
    Ok(())
}

/// What the root gets: package → tag (staging), package → (tag, version) (prod), and whether
/// the packages' versions or requirements changed (the dev lock records them).
#[derive(Default)]
struct Pins {
    staging: BTreeMap<String, String>,
    prod: BTreeMap<String, (String, Version)>,
    versions_changed: bool,
    /// `release`: what each released package brings to the product's notes, in run order.
    product: Vec<product::Entry>,
}

impl Pins {
    /// Package → tag of what this run pins in the prod (`prod`) or staging manifest.
    fn tags(&self, prod: bool) -> BTreeMap<String, String> {
        if prod {
            self.prod
                .iter()
                .map(|(k, (t, _))| (k.clone(), t.clone()))
                .collect()
        } else {
            self.staging.clone()
        }
    }
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
    let product = match req.stage {
        Stage::Release => {
            let prod_changes = prod_pins_change(ws, planned, pins, &needed, req)?;
            product::plan(ws, planned, req, &pins.product, prod_changes)?
        }
        Stage::Prepare => {
            // `prepare` pins no final version yet: the product is bumped when `tag` will
            // change what prod pins, with the final versions prepared here.
            let prospective = Pins {
                prod: pins
                    .product
                    .iter()
                    .filter(|e| version::is_final(&e.version))
                    .filter_map(|e| {
                        let key = ws.package(&e.package)?.key.clone();
                        Some((key, (e.tag.clone(), e.version.clone())))
                    })
                    .collect(),
                ..Pins::default()
            };
            let prod_changes = prod_pins_change(ws, planned, &prospective, &needed, req)?;
            product::plan(ws, planned, req, &pins.product, prod_changes)?
        }
        Stage::Tag => {
            let prod_changes = prod_pins_change(ws, planned, pins, &needed, req)?;
            product::plan_tag(ws, planned, req, &pins.product, prod_changes)?
        }
        Stage::Next => None,
    };
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
        product::set_manifest_version(&mut doc, product.as_ref())?;
        let after = doc.render();
        if after != text {
            let run_pins = pins.tags(prod);
            let checked = check_pins(ws, planned, rel, &doc, &run_pins, pins, &needed)?;
            // Prod pins from an index (`name==version`) are not installable before `publish`:
            // only the planning check applies to them.
            let from_index = prod && ws.config.prod_source == ProdSource::Index;
            if req.push && req.lock && !from_index {
                planned
                    .plan
                    .prove_lock(&path, after.clone(), proof_redirects(ws, &run_pins));
                let checked = crate::core::text::count(checked, "package");
                planned.notes.push(format!(
                    "{rel}: the pins of {checked} agree with the versions and tags this release makes; before its first push the run also proves that {rel} resolves (`uv lock` in a temporary copy, the new tags fetched from the local repositories)"
                ));
            } else if checked > 0 {
                planned.notes.push(format!(
                    "{rel}: the pins of {} agree with the versions and tags this release makes",
                    crate::core::text::count(checked, "package")
                ));
            }
            planned.plan.write(None, &path, after);
            changed_files.push(rel.clone());
            let local = (!from_index).then(|| proof_redirects(ws, &run_pins));
            plan_manifest_lock(ws, planned, &path, req, &mut changed_files, local);
        } else if req.replan && committed_differs(ws, rel, &after) {
            // `--replan`: the unfinished run (or the user) already wrote the pins; its lock and
            // commit are still to make, and (before a first push) the proof that they resolve.
            let from_index = prod && ws.config.prod_source == ProdSource::Index;
            let run_pins = pins.tags(prod);
            if req.push && req.lock && !from_index {
                planned
                    .plan
                    .prove_lock(&path, after.clone(), proof_redirects(ws, &run_pins));
            }
            changed_files.push(rel.clone());
            let local = (!from_index).then(|| proof_redirects(ws, &run_pins));
            plan_manifest_lock(ws, planned, &path, req, &mut changed_files, local);
        }
    }
    if let Some(p) = product.as_ref().filter(|_| req.stage != Stage::Tag) {
        changed_files.extend(product::plan_root_files(ws, planned, p)?);
    }
    // The dev lock records every workspace member's version and requirements: left as it was,
    // `check` and `uv sync --locked` would find it stale after the release. Members are local,
    // so it is refreshed with or without --push.
    if req.lock && pins.versions_changed && !moved.is_empty() && ws.root.join("uv.lock").is_file() {
        planned.plan.uv(None, &ws.root, ["lock"]);
        changed_files.push("uv.lock".to_owned());
    }
    if req.root_commit {
        plan_root_commit(
            ws,
            planned,
            changed_files,
            moved,
            summary,
            req,
            product.as_ref(),
        )?;
    } else if let Some(p) = product.as_ref().filter(|p| p.tag_now) {
        planned.notes.push(format!(
            "--no-root-commit: the product's version {} is written but not tagged ({} needs the root's release commit)",
            p.version, p.tag
        ));
    }
    Ok(())
}

/// Whether the run changes what the prod manifest pins (the product is released then).
fn prod_pins_change(
    ws: &Workspace,
    planned: &Planned,
    pins: &Pins,
    needed: &BTreeSet<String>,
    req: &Request,
) -> Result<bool> {
    let path = ws.path(&ws.config.prod_pyproject_path);
    if !path.is_file() {
        return Ok(false);
    }
    let text = planned.plan.current_content(&path).unwrap_or_default();
    let mut doc = PyProject::parse(&path, &text)?;
    pin_packages(ws, &mut doc, pins, needed, true)?;
    let after = doc.render();
    // `--replan`: pins the unfinished run (or the user) wrote already count as its own.
    Ok(
        after != text
            || req.replan && committed_differs(ws, &ws.config.prod_pyproject_path, &after),
    )
}

/// Whether the root's committed `rel` (at HEAD) differs from `text` (a file not committed
/// differs).
fn committed_differs(ws: &Workspace, rel: &str, text: &str) -> bool {
    Git::new(&ws.root)
        .run(["show", &format!("HEAD:{rel}")])
        .map_or(true, |committed| committed.trim_end() != text.trim_end())
}

/// Where the pre-push proof fetches the packages this run tags: each one's remote (as the
/// manifest pins it, and as git names it; with and without `.git`, so that git's longest
/// `insteadOf` prefix always is the whole URL) from its local repository.
fn proof_redirects(
    ws: &Workspace,
    run_pins: &BTreeMap<String, String>,
) -> Vec<crate::plan::Redirect> {
    let mut out: Vec<crate::plan::Redirect> = Vec::new();
    for key in run_pins.keys() {
        let Some(pkg) = ws.package(key) else { continue };
        let to = format!("file://{}", pkg.repo_dir(&ws.root).display());
        let urls = [
            crate::workspace::package_pin_url(ws, pkg),
            crate::workspace::package_url(ws, pkg),
        ];
        for url in urls.into_iter().flatten() {
            let bare = url.strip_suffix(".git").unwrap_or(&url).to_owned();
            for from in [format!("{bare}.git"), bare] {
                if !out.iter().any(|r| r.from == from) {
                    out.push(crate::plan::Redirect {
                        from,
                        to: to.clone(),
                    });
                }
            }
        }
    }
    out
}

/// The static half of the pre-push proof, run while planning (so `--dry-run` shows it): in the
/// manifest `doc` as the release leaves it, every requirement of an installed member on another
/// member (their `[project] dependencies`, markers aside) must hold for what the manifest
/// installs: a direct reference at the tag pinned (uv refuses two URLs for one package), a
/// version specifier containing the version released (or tagged). Members of this run are read
/// as planned; other members that depend on one of them, at their pinned tag. Returns how many
/// members were checked; the problems stop the command before anything changes.
fn check_pins(
    ws: &Workspace,
    planned: &Planned,
    rel: &str,
    doc: &PyProject,
    run_pins: &BTreeMap<String, String>,
    pins: &Pins,
    needed: &BTreeSet<String>,
) -> Result<usize> {
    // What the manifest installs: member key -> (tag, version).
    let made: HashMap<(&str, &str), &Version> = planned
        .packages
        .iter()
        .filter_map(|p| Some(((p.package.as_str(), p.tag.as_deref()?), &p.version)))
        .collect();
    let mut installed: BTreeMap<String, (String, Option<Version>)> = BTreeMap::new();
    for (name, source) in doc.uv_sources() {
        let (Some(pkg), Some(tag)) = (ws.package(&name), source.tag) else {
            continue;
        };
        let v = made
            .get(&(pkg.name.as_str(), tag.as_str()))
            .map(|v| (*v).clone())
            .or_else(|| version::parse_tag(&tag, &ws.tag_prefix(pkg)));
        installed.insert(pkg.key.clone(), (tag, v));
    }
    for (key, (tag, v)) in &pins.prod {
        if ws.config.prod_source == ProdSource::Index && run_pins.contains_key(key) {
            installed.insert(key.clone(), (tag.clone(), Some(v.clone())));
        }
    }
    let mut problems = Vec::new();
    // A pin of a member outside the run to a tag its repository does not have (told from the
    // files; a repository the files cannot tell about is left to uv).
    for (key, (tag, _)) in &installed {
        let Some(pkg) = ws.package(key) else { continue };
        if run_pins.contains_key(key) || !needed.contains(key) {
            continue;
        }
        let missing = crate::git::files::RepoFiles::open(pkg.repo_dir(&ws.root))
            .and_then(|files| files.read_ref(&format!("refs/tags/{tag}")))
            .is_some_and(|oid| oid.is_none());
        if missing {
            problems.push(format!(
                "{rel}: pins {} at {tag}, which is neither a tag of {} ({}) nor made by this release (pin an existing tag: `release-tool manifests`; or fetch it: `git -C {} fetch --tags`)",
                pkg.name, pkg.name, pkg.rel_path, pkg.rel_path
            ));
        }
    }
    // The members to check: those of the run as planned, and (one git call each, in
    // parallel) the pinned releases of the others that depend on one of them.
    let mut outside = Vec::new();
    let mut texts = Vec::new();
    for key in needed {
        let Some(pkg) = ws.package(key) else { continue };
        let Some((tag, _)) = installed.get(key) else {
            continue;
        };
        if run_pins.contains_key(key) {
            let text = planned
                .plan
                .current_content(&pkg.dir.join("pyproject.toml"));
            texts.push((pkg, tag, text));
        } else if pkg.workspace_deps.iter().any(|d| run_pins.contains_key(d)) {
            outside.push((pkg, tag));
        }
    }
    // A release at HEAD of a clean work tree (as the caches `status` fills tell, without a
    // process) is the file on disk; any other is read from git.
    let caches = (!outside.is_empty()).then(|| PlanCaches {
        tags: TagCache::open(&ws.root, false),
        status: StatusCache::open(&ws.root, false),
    });
    let read = parallel::map(&outside, ws.config.effective_jobs(None), |(pkg, tag)| {
        let git = Git::new(pkg.repo_dir(&ws.root));
        if let Some(caches) = &caches
            && caches.release_is_clean_head(pkg, &git, &ws.tag_prefix(pkg), tag)
            && let Ok(text) = fs_err::read_to_string(pkg.dir.join("pyproject.toml"))
        {
            return Some(text);
        }
        let file = pkg.path_filter().map_or_else(
            || "pyproject.toml".to_owned(),
            |d| format!("{d}/pyproject.toml"),
        );
        git.read_blob(tag, &file).ok().flatten()
    });
    texts.extend(
        outside
            .into_iter()
            .zip(read)
            .map(|((p, t), text)| (p, t, text)),
    );
    let mut checked = 0;
    for (pkg, tag, text) in texts {
        let Some(text) = text else { continue };
        checked += 1;
        let at = format!("{} {tag}", pkg.name);
        for requirement in PyProject::parse(&pkg.dir.join("pyproject.toml"), &text)
            .map(|d| d.dependencies())
            .unwrap_or_default()
        {
            let Ok(parsed) = pyproject::parse_pep508(&requirement) else {
                continue;
            };
            if !parsed.marker.is_true() {
                continue;
            }
            let dep_key = pyproject::normalize_name(parsed.name.as_ref());
            let Some((dep_tag, dep_version)) = installed.get(&dep_key) else {
                continue;
            };
            let dep = ws
                .package(&dep_key)
                .map_or(dep_key.as_str(), |p| p.name.as_str());
            match &parsed.version_or_url {
                Some(pep508_rs::VersionOrUrl::Url(_)) => {
                    if let Some((_, range)) = pyproject::git_reference_ref(&requirement)
                        && requirement[range.clone()] != *dep_tag
                    {
                        problems.push(format!(
                            "{rel}: {at} requires `{requirement}`, but {rel} pins {dep} at {dep_tag}: uv refuses two URLs for one package (point the reference at @{dep_tag}, or release {} too)",
                            pkg.name
                        ));
                    }
                }
                Some(pep508_rs::VersionOrUrl::VersionSpecifier(spec)) => {
                    if let Some(v) = dep_version
                        && !spec.contains(v)
                    {
                        problems.push(format!(
                            "{rel}: {at} requires `{requirement}`, but {rel} installs {dep} {v} ({dep_tag}): no version satisfies both (widen the requirement in {}/pyproject.toml, or choose another --bump for {dep})",
                            pkg.rel_path
                        ));
                    }
                }
                None => {}
            }
        }
    }
    if !problems.is_empty() {
        return Err(UserError::usage(format!(
            "The new pins would not install; nothing was changed:\n  {}",
            problems.join("\n  ")
        ))
        .with_hint(
            "fix the requirements named above (commit them in the package), then run the same command again; `--dry-run` shows this check",
        )
        .into());
    }
    Ok(checked)
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
                // An in-tree package is built from its directory of the root at the tag.
                subdirectory: pkg.path_filter().map(str::to_owned),
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
    local: Option<Vec<crate::plan::Redirect>>,
) {
    let dir = path.parent().unwrap_or(&ws.root).to_path_buf();
    let lock_rel = ws.rel(&dir.join("uv.lock"));
    if req.push && req.lock {
        // The tags are on the remotes by now: lock against them, so that `sync` (and
        // the Docker image) install exactly what was released.
        planned.plan.uv(None, &dir, ["lock"]);
        changed_files.push(lock_rel);
    } else if req.lock
        && let Some(redirects) = local
    {
        // Not pushed: the tags are fetched from the local repositories (the lock records the
        // remotes' URLs and the commits, which the later push makes true).
        planned.plan.uv_redirected(None, &dir, &["lock"], redirects);
        changed_files.push(lock_rel);
    } else if dir.join("uv.lock").is_file() {
        let why = if req.lock {
            "without --push (its pins name index versions not published yet): publish, then run"
        } else {
            "(no uv): run"
        };
        planned.notes.push(format!(
            "{lock_rel} is not refreshed {why} `release-tool lock --all`"
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
    product: Option<&product::Product>,
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
    let mut pointers: Vec<String> = moved
        .iter()
        .filter(|p| gitlinks.contains(&p.rel_path))
        .map(|p| p.rel_path.clone())
        .collect();
    // A pointer moves when the plan commits in its package, or when the package's HEAD is
    // already elsewhere than the root's HEAD records (`--replan`: the unfinished run made the
    // commits; `tag`: it makes none, and a re-run of a finished `tag --push` has nothing to
    // record). One `git diff` for every pointer the plan does not move itself.
    let settled: BTreeSet<String> = moved
        .iter()
        .filter(|p| gitlinks.contains(&p.rel_path))
        .filter(|p| req.replan || !planned.plan.commits_in(&p.dir))
        .map(|p| p.rel_path.clone())
        .collect();
    if !settled.is_empty() {
        let mut args = vec![
            "diff".to_owned(),
            "--name-only".to_owned(),
            "HEAD".to_owned(),
            "--".to_owned(),
        ];
        args.extend(settled.iter().cloned());
        let differ = root_git.run(&args).unwrap_or_default();
        let differ: BTreeSet<&str> = differ.lines().collect();
        pointers.retain(|p| !settled.contains(p) || differ.contains(p.as_str()));
    }
    if req.replan && !settled.is_empty() {
        // `--replan`: no commit when neither a pointer nor a manifest changed.
        let manifests = [
            &ws.config.staging_pyproject_path,
            &ws.config.prod_pyproject_path,
        ];
        if pointers.is_empty() && !changed_files.iter().any(|f| manifests.contains(&f)) {
            return Ok(());
        }
    }
    let mut paths = changed_files;
    paths.extend(pointers);
    if paths.is_empty() {
        // Nothing to record (a re-run of `tag --push` after `tag`): no commit; the root's
        // branch, when still local, is pushed by `plan_root_still_local`.
        return Ok(());
    }
    let mut args = vec!["add".to_owned(), "--".to_owned()];
    args.extend(paths.iter().cloned());
    planned.plan.git(None, &ws.root, args);
    let mut message = root_commit_message(summary, &planned.packages);
    if let Some(p) = product {
        let tag = if p.tag_now {
            format!(" ({})", p.tag)
        } else {
            String::new()
        };
        let _ = std::fmt::Write::write_fmt(
            &mut message,
            format_args!("\nProduct {} {}{tag}\n", p.name, p.version),
        );
    }
    planned
        .plan
        .commit_paths(None, &ws.root, message.trim_end(), &paths);
    let product = product.filter(|p| p.tag_now);
    if let Some(p) = product {
        planned
            .plan
            .tag(None, &ws.root, &p.tag, "HEAD", &p.tag_message());
    }
    if req.push {
        match root_git.current_branch()? {
            Some(branch) if root_git.has_remote(&ws.config.git_remote)? => {
                let mut refs = vec![format!("refs/heads/{branch}")];
                refs.extend(product.map(|p| format!("refs/tags/{}", p.tag)));
                planned
                    .plan
                    .push_refs(None, &ws.root, &ws.config.git_remote, &refs);
                if let Some(call) = product.and_then(|p| p.forge.clone()) {
                    let lock = prod_lock_asset(ws, planned, &call);
                    planned.plan.forge(None, call);
                    if let Some(lock) = lock {
                        planned.plan.forge(None, lock);
                    }
                }
            }
            _ => planned.notes.push(format!(
                "the root has no remote `{}` (or no branch): its commit is not pushed",
                ws.config.git_remote
            )),
        }
    }
    Ok(())
}

/// `next --push`: push the package's `dev` branch and make it track the remote's.
fn plan_dev_branch_push(ws: &Workspace, planned: &mut Planned, pkg: &Package, dev: &str) {
    let name = Some(pkg.name.as_str());
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
            dev,
        ],
    );
}

/// The subject of the root's commit: `verb: a 0.1.0, b 0.1.0` while that fits a subject line
/// (72 characters), else `verb: 750 packages` (the body lists them, one line each).
fn root_subject(verb: &str, items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    let names = format!("{verb}: {}", items.join(", "));
    if names.chars().count() <= 72 {
        names
    } else {
        format!("{verb}: {} packages", items.len())
    }
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
    // The product's version and notes.
    files.push("pyproject.toml".to_owned());
    if !ws.config.product.changelog.is_empty() {
        files.push(ws.config.product.changelog.clone());
    }
    files
}

/// The root's files a release commits (manifests, locks, the product's version and notes) that
/// have uncommitted changes, among `files` (paths relative to the root): what a command that
/// wrote them (`manifests`, `sync`, `lock`) leaves for the user to commit, since `release`
/// refuses to start over them. Empty when git cannot tell (not a repository).
pub fn uncommitted_release_files(ws: &Workspace, files: &[String]) -> Vec<String> {
    let ours = root_release_files(ws);
    let wanted: Vec<String> = files.iter().filter(|f| ours.contains(f)).cloned().collect();
    if wanted.is_empty() {
        return Vec::new();
    }
    let mut args = vec![
        "status".to_owned(),
        "--porcelain".to_owned(),
        "--untracked-files=all".to_owned(),
        "--".to_owned(),
    ];
    args.extend(wanted);
    Git::new(&ws.root)
        .run(&args)
        .map(|out| {
            out.lines()
                .filter_map(|l| l.get(3..))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
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
    if req.replan {
        // The unfinished run may have written and added its own root files: only other staged
        // changes are refused.
        let ours = root_release_files(ws);
        let staged = git
            .run(["diff", "--cached", "--name-only", "--ignore-submodules=all"])
            .unwrap_or_default();
        let other: Vec<&str> = staged
            .lines()
            .filter(|l| !l.is_empty() && !ours.iter().any(|o| o == l))
            .collect();
        if !other.is_empty() {
            problems.push(format!(
                "the root has staged changes in {}; commit or unstage them first (the release makes its own root commit)",
                other.join(", ")
            ));
        }
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

/// For each dependent of a released package that is not released in this run: raise (or pin,
/// see [`Request::dependents`]) its requirement in a `chore(deps)` commit (pushed with `push`)
/// so its next release carries it; nothing with `dependents = "keep"`.
fn plan_dependent_bounds(
    ws: &Workspace,
    planned: &mut Planned,
    released: &BTreeMap<String, Version>,
    status_of: &dyn Fn(&Package) -> Result<RepoStatus>,
    req: &Request,
) -> Result<Vec<String>> {
    let mut touched = Vec::new();
    let policy = req.dependents(ws);
    if policy == Dependents::Keep {
        return Ok(touched);
    }
    for pkg in ws.dependency_order()? {
        if released.contains_key(&pkg.key) || ws.config.is_skipped(&pkg.name) {
            continue;
        }
        // Its requirements, and its direct git references anywhere (an extra, a group).
        let raises: Vec<(&String, &Version)> = released
            .iter()
            .filter(|(k, _)| {
                pkg.workspace_deps.contains(k)
                    || pkg
                        .meta
                        .as_ref()
                        .is_some_and(|m| m.git_references.contains(k))
            })
            .collect();
        if raises.is_empty() {
            continue;
        }
        let status = if pkg.in_tree() {
            // The root's status, limited to its directory.
            status_of(pkg).ok().map(|mut s| {
                let dir = pkg.rel_path.as_str();
                s.changed
                    .retain(|p| p == dir || p.starts_with(&format!("{dir}/")));
                s
            })
        } else if Git::new(&pkg.dir).is_repo_root() {
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
            if require_version(&mut doc, name, v, policy)? {
                let op = if policy == Dependents::Exact {
                    "=="
                } else {
                    ">="
                };
                what.push(format!("{name}{op}{v}"));
            }
            let tag = release_tag(ws, name, v);
            if !doc.repoint_git_references(name, &tag).is_empty() {
                what.push(format!("{name} @ {tag}"));
            }
        }
        if what.is_empty() {
            continue;
        }
        let after = doc.render();
        let paths = write_and_add(planned, pkg, &[(path, after)]);
        let name = Some(pkg.name.as_str());
        let message = format!("chore(deps): require {}", what.join(", "));
        if pkg.in_tree() {
            // A root commit in the in-tree packages' unit; the root's push takes it.
            planned
                .plan
                .shared
                .insert(pkg.name.clone(), IN_TREE_UNIT.to_owned());
            let paths: Vec<String> = paths.iter().map(|p| root_rel(pkg, p)).collect();
            planned.plan.commit_paths(name, &ws.root, &message, &paths);
        } else {
            planned.plan.commit_paths(name, &pkg.dir, &message, &paths);
        }
        if req.push
            && !pkg.in_tree()
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

/// A dependent's requirement on `name`, released at `v`, as `policy` wants it: its lower bound
/// raised (`raise`), pinned (`exact`), or left alone (`keep`); whether it changed.
fn require_version(
    doc: &mut PyProject,
    name: &str,
    v: &Version,
    policy: Dependents,
) -> Result<bool> {
    Ok(match policy {
        Dependents::Raise => doc.raise_lower_bound(name, &v.to_string())?,
        Dependents::Exact => doc.pin_exact(name, &v.to_string())?,
        Dependents::Keep => false,
    })
}

/// The tag a release of `name` at `v` makes: `<tag_prefix><v>`.
fn release_tag(ws: &Workspace, name: &str, v: &Version) -> String {
    format!("{}{v}", &ws.tag_prefix_named(name))
}

/// New version of each package of a run, by key.
fn released_versions(todo: &[Candidate<'_>], versions: &[Version]) -> BTreeMap<String, Version> {
    todo.iter()
        .zip(versions)
        .map(|(c, v)| (c.pkg.key.clone(), v.clone()))
        .collect()
}

/// Skip (with a note) a package that has no commits since its last release; true when skipped.
fn skipped_unchanged(c: &Candidate<'_>, skipped: &mut Vec<Skipped>) -> bool {
    if !c.messages.is_empty() {
        return false;
    }
    skipped.push(Skipped::new(
        c.pkg,
        format!(
            "no commits since {}",
            c.last_tag
                .as_ref()
                .map_or("the first commit", |(t, _)| t.as_str())
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
/// packages released in this run raised or pinned (`policy`), CHANGELOG entry.
fn release_edits(
    ws: &Workspace,
    plan: &Plan,
    pkg: &Package,
    version: &str,
    message: &str,
    raised: &BTreeMap<String, Version>,
    policy: Dependents,
) -> Result<Vec<(PathBuf, String)>> {
    let mut edits = version_edits(plan, pkg, version, |doc| {
        doc.strip_workspace_sources();
        if policy == Dependents::Keep {
            return Ok(());
        }
        for (key, v) in raised {
            if pkg.workspace_deps.contains(key) {
                let name = ws.package(key).map_or(key.as_str(), |p| p.name.as_str());
                require_version(doc, name, v, policy)?;
            }
        }
        // `name @ git+URL@TAG` (dependencies, extras, groups) on a package of the run moves to
        // its new tag: only the names referenced are looked up (a release of many packages).
        let mut referenced: Vec<String> = doc
            .git_references()
            .into_iter()
            .map(|(key, _, _)| key)
            .collect();
        referenced.dedup();
        for key in referenced {
            if let Some(v) = raised.get(&key)
                && key != pkg.key
            {
                let name = ws.package(&key).map_or(key.as_str(), |p| p.name.as_str());
                doc.repoint_git_references(name, &release_tag(ws, name, v));
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

/// What a package's forge release says and is besides its tag message: the package's tags
/// (for the previous release, compared in a link, and whether this one is the newest final
/// release) and the authors of its changes (names only, oldest first).
#[derive(Clone, Copy)]
struct ReleaseContext<'a> {
    prefix: &'a str,
    tags: &'a [String],
    authors: &'a [String],
}

/// Whether `v` is a final release and no final tag of `tags` is newer: the one a forge shows
/// as "latest" (a patch of an older line, or a pre-release, is not).
pub(crate) fn newest_final<'a>(
    tags: impl IntoIterator<Item = &'a str>,
    prefix: &str,
    v: &Version,
) -> bool {
    version::is_final(v)
        && !tags
            .into_iter()
            .filter_map(|t| version::parse_tag(t, prefix))
            .any(|w| version::is_final(&w) && w > *v)
}

/// The release before `v` among `tags`: the newest final one older than `v` (any kind older
/// than `v` for a pre- or dev-release when there is no final one).
fn previous_tag(ctx: &ReleaseContext, v: &Version) -> Option<String> {
    let older = || {
        ctx.tags
            .iter()
            .filter_map(|t| version::parse_tag(t, ctx.prefix).map(|w| (w, t)))
            .filter(|(w, _)| w < v)
    };
    older()
        .filter(|(w, _)| version::is_final(w))
        .max_by(|a, b| a.0.cmp(&b.0))
        .or_else(|| {
            (!version::is_final(v))
                .then(|| older().max_by(|a, b| a.0.cmp(&b.0)))
                .flatten()
        })
        .map(|(_, t)| t.clone())
}

/// The body of a package's forge release: the tag message, then a link comparing the previous
/// release's tag with this one (when the package's web page is known: its remote, or the
/// forge's host), then the contributors (commit authors, names only, never e-mail addresses).
fn release_body(
    ws: &Workspace,
    pkg: &Package,
    tag: &str,
    v: &Version,
    message: &str,
    ctx: &ReleaseContext,
) -> String {
    let mut body = message.trim_end().to_owned();
    if let Some(prev) = previous_tag(ctx, v)
        && let Some(web) = product::package_web(ws, pkg)
    {
        let _ = std::fmt::Write::write_fmt(
            &mut body,
            format_args!("\n\n**Full changelog**: [{prev}...{tag}]({web}/compare/{prev}...{tag})"),
        );
    }
    let names: Vec<String> =
        ctx.authors
            .iter()
            .filter_map(|a| contributor_name(a))
            .fold(Vec::new(), |mut seen, n| {
                if !seen.contains(&n) {
                    seen.push(n);
                }
                seen
            });
    if !names.is_empty() {
        let _ = std::fmt::Write::write_fmt(
            &mut body,
            format_args!("\n\n**Contributors**: {}", names.join(", ")),
        );
    }
    body
}

/// A commit author as shown in a release: the name without any `<address>` part; `None` for
/// an empty name or one that is itself an e-mail address.
fn contributor_name(author: &str) -> Option<String> {
    let name = author.split('<').next().unwrap_or_default().trim();
    (!name.is_empty() && !name.contains('@')).then(|| name.to_owned())
}

fn release_call(
    ws: &Workspace,
    pkg: &Package,
    tag: &str,
    version: &Version,
    body: &str,
    ctx: &ReleaseContext,
) -> Option<ForgeCall> {
    if !ws.config.forge.releases || ws.config.forge.kind == crate::config::ForgeKind::None {
        return None;
    }
    Some(ForgeCall {
        repo: crate::forge::repo_for(ws, pkg)?,
        action: ForgeAction::CreateRelease {
            tag: tag.to_owned(),
            name: format!("{} {version}", pkg.name),
            body: release_body(ws, pkg, tag, version, body, ctx),
            prerelease: !version::is_final(version),
            // Gitea has no `make_latest`: the plan shows none for it.
            latest: (ws.config.forge.kind != crate::config::ForgeKind::Gitea)
                .then(|| newest_final(ctx.tags.iter().map(String::as_str), ctx.prefix, version)),
        },
    })
}

/// The build of a package's release assets: its wheel and sdist built from `tag` as `publish`
/// builds them (`uv build --no-sources` in a checkout of the tag), in
/// `.release_tool/assets/<package>/<tag>/` under the root: `git init`, `git fetch` of the tag
/// from the package, `git checkout` of it, `uv build`, each a step of the plan (journaled; a
/// resumed run does not build again what is built). Returns the directory of the files and
/// the build directory (removed once they are attached).
fn plan_asset_build(
    ws: &Workspace,
    planned: &mut Planned,
    pkg: &Package,
    tag: &str,
) -> (PathBuf, PathBuf) {
    let name = Some(pkg.name.as_str());
    let work = ws
        .root
        .join(crate::core::fsutil::STATE_DIR)
        .join("assets")
        .join(&pkg.key)
        .join(tag.replace(['/', '\\'], "_"));
    let src = work.join("src");
    let dist = work.join("dist");
    planned.plan.git(
        name,
        &ws.root,
        [
            "init".to_owned(),
            "--quiet".to_owned(),
            "--".to_owned(),
            src.display().to_string(),
        ],
    );
    planned.plan.git(
        name,
        &src,
        [
            "fetch".to_owned(),
            "--quiet".to_owned(),
            "--no-tags".to_owned(),
            "--".to_owned(),
            pkg.repo_dir(&ws.root).display().to_string(),
            format!("+refs/tags/{tag}:refs/tags/{tag}"),
        ],
    );
    planned.plan.git(
        name,
        &src,
        [
            "checkout".to_owned(),
            "--quiet".to_owned(),
            "--force".to_owned(),
            "--detach".to_owned(),
            format!("refs/tags/{tag}"),
        ],
    );
    // An in-tree package is built from its directory of the root's tag.
    let built = pkg
        .path_filter()
        .map_or_else(|| src.clone(), |d| src.join(d));
    planned.plan.uv(
        name,
        &built,
        [
            "build".to_owned(),
            "--no-sources".to_owned(),
            "--out-dir".to_owned(),
            dist.display().to_string(),
        ],
    );
    (dist, work)
}

/// The product release's asset: the prod lock (`uv.lock` next to the prod manifest), when
/// assets are on and the lock exists (or the run makes it).
fn prod_lock_asset(ws: &Workspace, planned: &Planned, call: &ForgeCall) -> Option<ForgeCall> {
    let ForgeAction::CreateRelease { tag, .. } = &call.action else {
        return None;
    };
    let lock = ws
        .root
        .join(&ws.config.prod_pyproject_path)
        .parent()?
        .join("uv.lock");
    let dir = lock.parent()?;
    // There now, or made by the run (`uv lock` in its directory, or written).
    let made = planned.plan.steps.iter().any(|step| match &step.kind {
        crate::plan::StepKind::Uv { dir: d, args, .. } => {
            d == dir && args.first().is_some_and(|a| a == "lock")
        }
        crate::plan::StepKind::WriteFile { path, .. } => *path == lock,
        _ => false,
    });
    (assets_on(ws, planned) && (lock.is_file() || made)).then(|| ForgeCall {
        repo: call.repo.clone(),
        action: ForgeAction::UploadAssets {
            tag: tag.clone(),
            paths: vec![lock],
        },
    })
}

/// Whether a run attaches release assets: not with `--no-assets` or `forge.assets = false`,
/// and only when a forge client can be made (without a token the release is skipped and owed,
/// and nothing is built for it).
fn assets_on(ws: &Workspace, planned: &Planned) -> bool {
    !planned.no_assets
        && ws.config.forge.assets
        && crate::forge::unavailable_reason(&ws.config.forge, &|k: &str| std::env::var(k).ok())
            .is_none()
}

/// Whether forge steps are off for `pkg` (a local remote and no forge configured, see
/// [`crate::forge::off_for_local_remote`]); the plan says so once, not per package.
fn forge_off_locally(ws: &Workspace, planned: &mut Planned, pkg: &Package) -> bool {
    if !crate::forge::off_for_local_remote(ws, pkg) {
        return false;
    }
    let note = crate::forge::LOCAL_REMOTES_NOTE;
    if !planned.notes.iter().any(|n| n == note) {
        planned.notes.push(note.to_owned());
    }
    true
}

/// The forge step of a release (with its assets: built from the tag, attached after the
/// release is made), or a note saying why there is none.
fn plan_release_call(
    ws: &Workspace,
    planned: &mut Planned,
    pkg: &Package,
    tag: &str,
    version: &Version,
    body: &str,
    ctx: &ReleaseContext,
) {
    if forge_off_locally(ws, planned, pkg) {
        return;
    }
    match release_call(ws, pkg, tag, version, body, ctx) {
        Some(call) if assets_on(ws, planned) => {
            let (dist, work) = plan_asset_build(ws, planned, pkg, tag);
            let assets = ForgeCall {
                repo: call.repo.clone(),
                action: ForgeAction::UploadAssets {
                    tag: tag.to_owned(),
                    paths: vec![dist],
                },
            };
            planned.plan.forge(Some(&pkg.name), call);
            planned.plan.forge(Some(&pkg.name), assets);
            planned.plan.remove_dir_made_by_run(Some(&pkg.name), work);
        }
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
    policy: Dependents,
) -> Result<(String, String)> {
    let tag = format!("{}{version}", c.prefix);
    let (message, used, stale) = tag_message(ws, c, version)?;
    planned.notes.extend(stale);
    let edits = release_edits(
        ws,
        &planned.plan,
        c.pkg,
        version,
        &message,
        released,
        policy,
    )?;
    let paths = write_and_add(planned, c.pkg, &edits);
    planned
        .plan
        .commit_paths(Some(c.pkg.name.as_str()), &c.pkg.dir, &message, &paths);
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
    let summary = root_subject(
        verb,
        planned
            .packages
            .iter()
            .map(|p| format!("{} {}", p.package, p.version)),
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
        "HEAD".to_owned(),
        branch_ref.clone(),
    ];
    args.extend(tag_ref.clone());
    let out = match git.run_batch(&args) {
        Ok(out) => out,
        Err(e) => {
            return vec![format!(
                "cannot reach its remote `{remote}`: {}",
                e.unreachable_reason()
            )];
        }
    };
    let mut problems = Vec::new();
    let names: Vec<&str> = out
        .lines()
        .filter_map(|l| l.split_once('\t').map(|(_, n)| n))
        .collect();
    // A remote with a HEAD has branches: the release pushes to one of them, it never creates
    // one (a branch without upstream would land there as a new branch). An empty remote (a new
    // package's first push) gets its first branch.
    if names.contains(&"HEAD") && !names.contains(&branch_ref.as_str()) {
        problems.push(format!(
            "`{remote}` has no branch {branch}: the release would create it there; release from a branch the remote has, or publish this one first (`git -C {rel} push -u {remote} {branch}`)",
            branch = c.branch,
            rel = c.rel,
        ));
    }
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
    ws.require_sound_but_uninitialized()?;
    let mut planned = Planned::new(ws);
    planned.no_assets = req.no_assets;
    let mut problems = Vec::new();
    let cands = candidates_since(
        ws,
        &req.packages,
        counts_since_final(req.bump),
        true,
        &mut planned.skipped,
        &mut problems,
    )?;
    let known = known_statuses(&cands);
    let mut unchanged = Vec::new();
    groups::check(ws)?;
    let grouped = groups::forced(ws, &cands, &mut problems);
    let todo = releasable(
        ws,
        req,
        cands,
        &mut planned,
        &mut problems,
        &mut unchanged,
        &grouped,
    )?;
    require_set_versions_released(ws, req, &todo, &planned.skipped)?;
    require_root_ready(ws, req, &mut problems);
    require_in_tree_deps_in_tree(ws, &todo, &mut problems);
    // `--replan`: a release commit the unfinished run made (not yet tagged) is not bumped again.
    let committed = todo
        .iter()
        .map(|c| committed_earlier(req, c))
        .collect::<Result<Vec<bool>>>()?;
    let mut versions: Vec<Version> = todo
        .iter()
        .zip(&committed)
        .map(|(c, &done)| {
            if done {
                c.version.clone()
            } else {
                new_version(c, req, &mut planned.notes, &mut problems)
            }
        })
        .collect();
    groups::share(ws, &todo, &mut versions, &mut planned.notes, &mut problems);
    if req.push && problems.is_empty() {
        check_release_remotes(ws, req, &todo, &versions, &mut problems)?;
    }
    if problems
        .iter()
        .any(|p| p.contains(", not on its base branch "))
    {
        return Err(UserError::failure(format!(
            "Cannot release; nothing was changed:\n  {}",
            problems.join("\n  ")
        ))
        .with_hint(
            "`release` releases each package from its base branch: check out the base branch (merge the work first), or pass --allow-branch to release from the branch checked out",
        )
        .into());
    }
    fail_on(&problems, "release")?;
    let released = released_versions(&todo, &versions);
    let mut pins = Pins {
        versions_changed: true,
        ..Pins::default()
    };
    let mut in_tree = Vec::new();
    for ((c, v), &done) in todo.iter().zip(&versions).zip(&committed) {
        if c.pkg.in_tree() {
            in_tree.push((c, v));
            continue;
        }
        plan_package_release(ws, &mut planned, &mut pins, c, v, &released, req, done)?;
    }
    plan_in_tree_release(ws, &mut planned, &mut pins, &in_tree, &released, req)?;
    // The report and the root's commit list the packages in dependency order.
    let order = |name: &str| todo.iter().position(|c| c.pkg.name == name);
    planned.packages.sort_by_key(|p| order(&p.package));
    pins.product.sort_by_key(|e| order(&e.package));
    if !req.push && !todo.is_empty() {
        planned.notes.push(
            "without --push nothing is pushed and no forge release is made: push later with `release-tool release --push` (it pushes what is still local: branches, tags, forge releases, the root)".to_owned(),
        );
    }
    let mut moved = moved_with_dependents(ws, &mut planned, &todo, &released, &known, req)?;
    moved.extend(plan_earlier(ws, &mut planned, &mut pins, &unchanged, req));
    if req.push {
        let owed = crate::forge::owed::Owed::load(&ws.root);
        plan_still_local(ws, &mut planned, &unchanged, &owed, &mut problems);
        fail_on(&problems, "release")?;
    }
    finish_with_root(ws, &mut planned, &pins, &moved, "release", req)?;
    if req.push {
        plan_root_still_local(ws, &mut planned, req, &mut problems)?;
        fail_on(&problems, "release")?;
    }
    Ok(planned)
}

/// What a remote has of a package's branch and tag (one `git ls-remote`).
struct RemoteRefs {
    branch: Option<String>,
    tag: Option<String>,
}

fn remote_refs(git: &Git, remote: &str, branch: &str, tag: Option<&str>) -> Result<RemoteRefs> {
    let branch_ref = format!("refs/heads/{branch}");
    let tag_ref = tag.map(|t| format!("refs/tags/{t}"));
    let mut args = vec![
        "ls-remote".to_owned(),
        "--".to_owned(),
        remote.to_owned(),
        branch_ref.clone(),
    ];
    args.extend(tag_ref.clone());
    let out = git.run_batch(&args).map_err(|e| {
        anyhow::anyhow!(
            "cannot reach its remote `{remote}`: {}",
            e.unreachable_reason()
        )
    })?;
    let mut refs = RemoteRefs {
        branch: None,
        tag: None,
    };
    for (oid, name) in out.lines().filter_map(|l| l.split_once('\t')) {
        if name == branch_ref {
            refs.branch = Some(oid.to_owned());
        } else if Some(name) == tag_ref.as_deref() {
            refs.tag = Some(oid.to_owned());
        }
    }
    Ok(refs)
}

/// `release --push` after a `release` without it (docs/release.md, "Release now, push later"):
/// for each package with nothing new to release, what is still local is pushed: its last tag
/// when the remote lacks it (then its forge release is made too), its branch when it is the
/// base branch and ahead of the remote. One `git ls-remote` per such package, in parallel; nothing when all is there.
fn plan_still_local(
    ws: &Workspace,
    planned: &mut Planned,
    unchanged: &[Candidate<'_>],
    owed: &crate::forge::owed::Owed,
    problems: &mut Vec<String>,
) {
    let remote = &ws.config.git_remote;
    let looked: Vec<&Candidate<'_>> = unchanged
        .iter()
        .filter(|c| c.branch.is_some() && c.git.has_remote(remote).unwrap_or(false))
        .collect();
    let found = crate::core::parallel::map(&looked, ws.config.effective_jobs(None), |c| {
        let branch = c.branch.as_deref().unwrap_or_default();
        let refs = remote_refs(
            &c.git,
            remote,
            branch,
            c.last_tag.as_ref().map(|(t, _)| t.as_str()),
        )?;
        // Older tags whose forge release is owed: on the remote too? (one more `ls-remote`,
        // only for a package that owes one).
        let older: Vec<&str> = owed
            .tags_of(&c.pkg.name)
            .filter(|t| c.last_tag.as_ref().is_none_or(|(last, _)| last != t))
            .filter(|t| c.tags.iter().any(|have| have == t))
            .collect();
        let older_on_remote = if older.is_empty() {
            Vec::new()
        } else {
            owed_tags_on_remote(&c.git, remote, &older)?
        };
        Ok::<_, anyhow::Error>((refs, older_on_remote))
    });
    for (c, found) in looked.into_iter().zip(found) {
        let (refs, older_owed) = match found {
            Ok(found) => found,
            Err(e) => {
                problem(problems, c.pkg, format!("{e:#}"));
                continue;
            }
        };
        // Forge releases skipped for lack of a token by an earlier run (their tags are on the
        // remote): made now (skipped again, and still owed, without a token).
        let mut owed_tags: Vec<(String, Version)> = Vec::new();
        if let Some((tag, v)) = &c.last_tag
            && refs.tag.is_some()
            && owed.owes(&c.pkg.name, tag)
        {
            owed_tags.push((tag.clone(), v.clone()));
        }
        for tag in older_owed {
            if let Some(v) = version::parse_tag(&tag, &c.prefix) {
                owed_tags.push((tag, v));
            }
        }
        for (tag, v) in &owed_tags {
            let message = tag_contents(&c.git, tag);
            let ctx = ReleaseContext {
                prefix: &c.prefix,
                tags: &c.tags,
                authors: &[],
            };
            plan_release_call(ws, planned, c.pkg, tag, v, message.trim_end(), &ctx);
        }
        if !owed_tags.is_empty() && !planned.packages.iter().any(|p| p.package == c.pkg.name) {
            let (tag, version) = owed_tags[0].clone();
            planned.packages.push(PackageRelease {
                package: c.pkg.name.clone(),
                from: version.clone(),
                next: (c.version != version).then(|| c.version.clone()),
                prerelease: !version::is_final(&version),
                version,
                tag: Some(tag),
            });
        }
        let branch = c.branch.clone().unwrap_or_default();
        let head = c.status.head.clone().unwrap_or_default();
        let mut push = Vec::new();
        let mut new_tag = None;
        if let Some((tag, v)) = &c.last_tag
            && refs.tag.is_none()
        {
            push.push(format!("refs/tags/{tag}"));
            new_tag = Some((tag.clone(), v.clone()));
        }
        match &refs.branch {
            Some(oid) if *oid == head => {}
            // Only the base branch a release is made on; other branches are the user's.
            _ if branch != ws.base_branch(c.pkg) => {}
            Some(oid)
                if !(c.git.resolve(oid).ok().flatten().is_some()
                    && c.git.is_ancestor(oid, "HEAD").unwrap_or(false)) =>
            {
                if !push.is_empty() {
                    planned.notes.push(format!(
                        "{}: branch {branch} not pushed: `{remote}` has commits on it that are not in HEAD (pull them first)",
                        c.pkg.name
                    ));
                }
            }
            _ => push.insert(0, format!("refs/heads/{branch}")),
        }
        if push.is_empty() {
            continue;
        }
        let name = Some(c.pkg.name.as_str());
        planned.plan.push_refs(name, &c.pkg.dir, remote, &push);
        if let Some((tag, v)) = &new_tag {
            let message = tag_contents(&c.git, tag);
            let ctx = ReleaseContext {
                prefix: &c.prefix,
                tags: &c.tags,
                authors: &[],
            };
            plan_release_call(ws, planned, c.pkg, tag, v, message.trim_end(), &ctx);
        }
        if !planned.packages.iter().any(|p| p.package == c.pkg.name) {
            let version = new_tag
                .as_ref()
                .or(c.last_tag.as_ref())
                .map_or_else(|| c.version.clone(), |(_, v)| v.clone());
            planned.packages.push(PackageRelease {
                package: c.pkg.name.clone(),
                from: version.clone(),
                next: (c.version != version).then(|| c.version.clone()),
                prerelease: !version::is_final(&version),
                version,
                tag: new_tag.map(|(t, _)| t),
            });
        }
    }
}

/// The message of an annotated tag (`git for-each-ref --format=%(contents)`): a forge
/// release's body.
fn tag_contents(git: &Git, tag: &str) -> String {
    git.run([
        "for-each-ref",
        "--format=%(contents)",
        &format!("refs/tags/{tag}"),
    ])
    .unwrap_or_default()
}

/// Which of `tags` a remote has (one `git ls-remote`).
fn owed_tags_on_remote(git: &Git, remote: &str, tags: &[&str]) -> Result<Vec<String>> {
    let mut args = vec!["ls-remote".to_owned(), "--".to_owned(), remote.to_owned()];
    args.extend(tags.iter().map(|t| format!("refs/tags/{t}")));
    let out = git.run_batch(&args).map_err(|e| {
        anyhow::anyhow!(
            "cannot reach its remote `{remote}`: {}",
            e.unreachable_reason()
        )
    })?;
    Ok(tags
        .iter()
        .filter(|t| {
            let wanted = format!("refs/tags/{t}");
            out.lines()
                .any(|l| l.split_once('\t').is_some_and(|(_, n)| n == wanted))
        })
        .map(|t| (*t).to_owned())
        .collect())
}

/// With `push`: the root's branch pushed when it is ahead of its remote and the plan pushes it
/// no other way, when packages are pushed too or its HEAD is a release's bookkeeping commit
/// (made by a `release` without `--push`); other unpushed root commits are left alone.
fn plan_root_still_local(
    ws: &Workspace,
    planned: &mut Planned,
    req: &Request,
    problems: &mut Vec<String>,
) -> Result<()> {
    let root = Git::new(&ws.root);
    let remote = &ws.config.git_remote;
    let pushes_root = planned
        .plan
        .steps
        .iter()
        .any(|s| s.package.is_none() && matches!(s.guard, crate::plan::Guard::Push { .. }));
    if pushes_root || !req.root_commit || !root.is_repo_root() || !root.has_remote(remote)? {
        return Ok(());
    }
    let Some(branch) = root.current_branch()? else {
        return Ok(());
    };
    let packages_pushed = planned
        .plan
        .steps
        .iter()
        .any(|s| s.package.is_some() && matches!(s.guard, crate::plan::Guard::Push { .. }));
    let bookkeeping = root
        .run(["log", "-1", "--format=%s", "HEAD"])
        .is_ok_and(|s| s.starts_with("release: "));
    if !packages_pushed && !bookkeeping {
        return Ok(());
    }
    let refs = match remote_refs(&root, remote, &branch, None) {
        Ok(refs) => refs,
        Err(e) => {
            problems.push(format!("the root: {e:#}"));
            return Ok(());
        }
    };
    let head = root.resolve("HEAD")?.unwrap_or_default();
    let ahead = match &refs.branch {
        Some(oid) if *oid == head => false,
        Some(oid) => root.resolve(oid).ok().flatten().is_some() && root.is_ancestor(oid, "HEAD")?,
        None => true,
    };
    // The product's tag on the bookkeeping commit (a `release` without `--push` made it),
    // when the remote lacks it: pushed with the branch, then its forge release.
    let product_tag = if bookkeeping && !req.no_product {
        product::tag_at_head(ws, &root, remote, &branch)
    } else {
        None
    };
    let mut refs = Vec::new();
    if ahead {
        refs.push(format!("refs/heads/{branch}"));
    }
    if let Some((tag, _)) = &product_tag {
        refs.push(format!("refs/tags/{tag}"));
    }
    if !refs.is_empty() {
        planned.plan.push_refs(None, &ws.root, remote, &refs);
    }
    if let Some((_, Some(call))) = product_tag {
        planned.plan.forge(None, call);
    }
    Ok(())
}

/// `--replan`: the packages the unfinished run already released (their tag exists, so the
/// planner sees no commits since it): pinned, reported and moved in the root as the run would
/// have; their pushes come from [`plan_still_local`]. Returns those packages.
fn plan_earlier<'a>(
    ws: &Workspace,
    planned: &mut Planned,
    pins: &mut Pins,
    unchanged: &[Candidate<'a>],
    req: &Request,
) -> Vec<&'a Package> {
    let mut moved = Vec::new();
    for p in &req.earlier {
        let Some(tag) = &p.tag else { continue };
        let Some(c) = unchanged
            .iter()
            .find(|c| c.pkg.name == p.package && c.tags.contains(tag))
        else {
            continue;
        };
        pins.staging.insert(c.pkg.key.clone(), tag.clone());
        if version::is_final(&p.version) {
            pins.prod
                .insert(c.pkg.key.clone(), (tag.clone(), p.version.clone()));
        }
        // Its part of the product's notes, from the tag's message.
        let message = c
            .git
            .run(["tag", "--list", "--format=%(contents)", "--", tag])
            .unwrap_or_default();
        let prev = release_before(c, tag, &p.version);
        pins.product.push(product::Entry {
            package: c.pkg.name.clone(),
            version: p.version.clone(),
            tag: tag.clone(),
            prev_tag: prev.as_ref().map(|(t, _)| t.clone()),
            level: product::level(
                Bump::Stable,
                prev.as_ref().map(|(_, v)| v),
                &p.from,
                &p.version,
            ),
            message,
            web: product::package_web(ws, c.pkg),
        });
        planned.packages.push(p.clone());
        moved.push(c.pkg);
    }
    moved
}

/// The candidates with commits since their last tag (the others skipped), each checked for
/// what a release needs: clean, on a branch, (with `push`) a remote.
fn releasable<'a>(
    ws: &Workspace,
    req: &Request,
    cands: Vec<Candidate<'a>>,
    planned: &mut Planned,
    problems: &mut Vec<String>,
    unchanged: &mut Vec<Candidate<'a>>,
    grouped: &BTreeSet<String>,
) -> Result<Vec<Candidate<'a>>> {
    let mut todo = Vec::new();
    for c in cands {
        // A member of a version group with changes is released with it, changes or not.
        if !grouped.contains(&c.pkg.key) && skipped_unchanged(&c, &mut planned.skipped) {
            unchanged.push(c);
            continue;
        }
        require_clean(&c, problems);
        let base = ws.base_branch(c.pkg);
        if !req.allow_branch && c.branch.as_deref() != Some(base) {
            // Releasing from another branch would tag and pin unmerged work.
            problem(
                problems,
                c.pkg,
                format!(
                    "is on {}, not on its base branch {base}; check out {base} first (`git -C {} checkout {base}`){}",
                    c.branch
                        .as_deref()
                        .map_or_else(|| "a detached HEAD".to_owned(), |b| format!("branch {b}")),
                    c.pkg.rel_path,
                    c.branch.as_deref().map_or_else(String::new, |b| format!(
                        ", or pass --allow-branch to release from {b}"
                    )),
                ),
            );
        } else if c.branch.is_none() {
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

/// The version each package is released at ([`new_version`]); a problem when it cannot be
/// had (then its current version stands in).
fn release_versions(
    todo: &[Candidate<'_>],
    req: &Request,
    notes: &mut Vec<String>,
    problems: &mut Vec<String>,
) -> Vec<Version> {
    todo.iter()
        .map(|c| new_version(c, req, notes, problems))
        .collect()
}

/// `--replan` of a `release`: whether the unfinished run made this package's release commit
/// (HEAD sets the version the run planned) but not its tag, so that the plan tags HEAD
/// instead of bumping again.
fn committed_earlier(req: &Request, c: &Candidate<'_>) -> Result<bool> {
    if c.pkg.in_tree() {
        // The root's HEAD is no in-tree package's own: a resumed run's journal knows its steps.
        return Ok(false);
    }
    let Some(p) = req.earlier.iter().find(|p| p.package == c.pkg.name) else {
        return Ok(false);
    };
    if !req.replan || p.version != c.version || c.tagged(&c.version).is_some() {
        return Ok(false);
    }
    head_sets_version(c)
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
            dir: c.pkg.repo_dir(&ws.root).to_path_buf(),
            rel: c.pkg.repo_rel().to_owned(),
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

/// A package's release commit, tag and next-dev commit by the porcelain commands (`git add` of
/// a new file, `git commit --only`, `git tag`): where hooks or signing apply, or the release
/// commit exists already. Returns the tag, its message and the next-dev version.
#[allow(clippy::too_many_arguments)]
fn plan_porcelain_release(
    ws: &Workspace,
    planned: &mut Planned,
    c: &Candidate<'_>,
    v: &Version,
    released: &BTreeMap<String, Version>,
    req: &Request,
    committed: bool,
) -> Result<(String, String, Option<Version>)> {
    let pkg = c.pkg;
    let name = Some(pkg.name.as_str());
    let vs = v.to_string();
    let (tag, message) = if committed {
        // The release commit is HEAD (made by the unfinished run): tag it with its message.
        let message = c.git.run(["log", "-1", "--format=%B", "HEAD"])?;
        planned.notes.push(format!(
            "{}: its release commit for {vs} is HEAD (made by the unfinished run): tagged, not bumped again",
            pkg.name
        ));
        (c.tag_name(v), message.trim_end().to_owned())
    } else {
        plan_release_commit(ws, planned, c, &vs, released, req.dependents(ws))?
    };
    planned.plan.tag(name, &pkg.dir, &tag, "HEAD", &message);
    let mut next = None;
    if req.next && version::is_final(v) {
        let n = version::next_dev(v)?;
        let ns = n.to_string();
        let edits = version_edits(&planned.plan, pkg, &ns, |_| Ok(()))?;
        let paths = write_and_add(planned, pkg, &edits);
        planned
            .plan
            .commit_paths(name, &pkg.dir, &next_message(&ns), &paths);
        next = Some(n);
    }
    Ok((tag, message, next))
}

/// One file of a fast-import commit: path in the package, mode, content.
type FastFile = (String, u32, String);

/// The fast path of a package's release (`git::fastcommit`): the release edits and the next-dev
/// edits written, then the release commit, its annotated tag and the next-dev commit made by one
/// `git fast-import`, and the index brought in line by one `git reset -- <paths>`. `None`
/// (nothing planned) where the porcelain path is needed: hooks, signing, attributes or settings
/// that change what `git commit`/`git tag` make, a detached or unborn HEAD, a symbolic link or
/// a carriage return among the files, `RELEASE_TOOL_PORCELAIN_COMMITS`.
fn plan_fast_release(
    ws: &Workspace,
    planned: &mut Planned,
    c: &Candidate<'_>,
    v: &Version,
    released: &BTreeMap<String, Version>,
    req: &Request,
) -> Result<Option<(String, String, Option<Version>)>> {
    let pkg = c.pkg;
    let (Some(branch), Some(from)) = (c.branch.as_deref(), c.status.head.as_deref()) else {
        return Ok(None);
    };
    let settings = match planned
        .fast
        .get_or_insert_with(|| fastcommit::Settings::read(&ws.root))
    {
        Ok(settings) => settings.clone(),
        Err(why) => {
            tracing::debug!("{}: porcelain commits: {why}", pkg.name);
            return Ok(None);
        }
    };
    let vs = v.to_string();
    let tag = format!("{}{vs}", c.prefix);
    let (message, used, stale) = tag_message(ws, c, &vs)?;
    let edits = release_edits(
        ws,
        &planned.plan,
        pkg,
        &vs,
        &message,
        released,
        req.dependents(ws),
    )?;
    let rel: Vec<String> = edits.iter().map(|(p, _)| rel_in(pkg, p)).collect();
    if let Some(why) = fastcommit::package_refusal(&pkg.dir, &rel) {
        tracing::debug!("{}: porcelain commits: {why}", pkg.name);
        return Ok(None);
    }
    let Some(modes) = c.git.local().and_then(|l| l.tree_files(from)) else {
        return Ok(None);
    };
    let files = |edits: &[(PathBuf, String)]| -> Option<Vec<FastFile>> {
        edits
            .iter()
            .map(|(p, content)| {
                let rel = rel_in(pkg, p);
                let mode =
                    match modes.binary_search_by(|(m, _, _)| m.as_slice().cmp(rel.as_bytes())) {
                        Ok(i) => Some(modes[i].1).filter(|m| matches!(m, 0o100_644 | 0o100_755))?,
                        Err(_) => 0o100_644,
                    };
                (!content.contains('\r')).then(|| (rel, mode, content.clone()))
            })
            .collect()
    };
    let Some(first) = files(&edits) else {
        return Ok(None);
    };
    // Planned from here on; taken back (the steps cut off) when the stream cannot be had.
    let start = planned.plan.steps.len();
    let name = Some(pkg.name.as_str());
    for (path, content) in &edits {
        planned.plan.write(name, path, content.clone());
    }
    let mut next = None;
    let mut second = Vec::new();
    if req.next && version::is_final(v) {
        let n = version::next_dev(v)?;
        let edits = version_edits(&planned.plan, pkg, &n.to_string(), |_| Ok(()))?;
        let Some(f) = files(&edits) else {
            planned.plan.steps.truncate(start);
            return Ok(None);
        };
        for (path, content) in &edits {
            planned.plan.write(name, path, content.clone());
        }
        second = f;
        next = Some(n);
    }
    let next_msg = next.as_ref().map(|n| next_message(&n.to_string()));
    let mut commits = vec![fastcommit::Commit {
        message: &message,
        files: first
            .iter()
            .map(|(p, m, t)| (p.clone(), *m, t.as_str()))
            .collect(),
    }];
    if let Some(m) = &next_msg {
        commits.push(fastcommit::Commit {
            message: m,
            files: second
                .iter()
                .map(|(p, m, t)| (p.clone(), *m, t.as_str()))
                .collect(),
        });
    }
    let Some(stream) = fastcommit::stream(&settings, branch, from, &commits, &tag, &message) else {
        planned.plan.steps.truncate(start);
        return Ok(None);
    };
    let mut paths: Vec<String> = first
        .iter()
        .chain(&second)
        .map(|(p, _, _)| p.clone())
        .collect();
    paths.sort();
    paths.dedup();
    let stream_path = ws
        .root
        .join(crate::plan::IMPORT_DIR)
        .join(format!("{}.fast-import", pkg.name));
    planned.plan.import(
        name,
        &pkg.dir,
        stream_path,
        stream,
        crate::plan::Guard::Import {
            branch: branch.to_owned(),
            from: from.to_owned(),
            tag: tag.clone(),
        },
        &paths,
    );
    planned.notes.extend(stale);
    plan_consume_message(ws, planned, pkg, &tag, used);
    Ok(Some((tag, message, next)))
}

/// One package's release steps: release commit, tag, (`next`) next-dev commit, (`push`) push
/// and forge release; its pins and its line in the report.
#[allow(clippy::too_many_arguments)]
fn plan_package_release(
    ws: &Workspace,
    planned: &mut Planned,
    pins: &mut Pins,
    c: &Candidate<'_>,
    v: &Version,
    released: &BTreeMap<String, Version>,
    req: &Request,
    committed: bool,
) -> Result<()> {
    let pkg = c.pkg;
    let name = Some(pkg.name.as_str());
    let fast = if committed {
        None
    } else {
        plan_fast_release(ws, planned, c, v, released, req)?
    };
    let (tag, message, next) = match fast {
        Some(done) => done,
        None => plan_porcelain_release(ws, planned, c, v, released, req, committed)?,
    };
    if req.push {
        let branch = c.branch.clone().unwrap_or_default();
        planned.plan.push_refs(
            name,
            &pkg.dir,
            &ws.config.git_remote,
            &[format!("refs/heads/{branch}"), format!("refs/tags/{tag}")],
        );
        let ctx = ReleaseContext {
            prefix: &c.prefix,
            tags: &c.tags,
            authors: &c.authors,
        };
        plan_release_call(ws, planned, pkg, &tag, v, &message, &ctx);
    }
    planned.plan.after.insert(
        pkg.name.clone(),
        waits_for(ws, pkg, &|k| released.contains_key(k)),
    );
    pins.staging.insert(pkg.key.clone(), tag.clone());
    if version::is_final(v) {
        pins.prod.insert(pkg.key.clone(), (tag.clone(), v.clone()));
    }
    pins.product
        .push(product_entry(ws, c, v, &tag, &message, req));
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

/// An in-tree package of the run must not require a package of its own repository: uv builds
/// the in-tree package from the root at its tag, inside the root's workspace, where the other
/// package is a workspace member, and refuses its `git` pin beside it ("conflicting URLs").
fn require_in_tree_deps_in_tree(
    ws: &Workspace,
    todo: &[Candidate<'_>],
    problems: &mut Vec<String>,
) {
    for c in todo.iter().filter(|c| c.pkg.in_tree()) {
        let own: Vec<&str> = c
            .pkg
            .workspace_deps
            .iter()
            .filter_map(|k| ws.package(k))
            .filter(|d| !d.in_tree())
            .map(|d| d.name.as_str())
            .collect();
        if own.is_empty() {
            continue;
        }
        problem(
            problems,
            c.pkg,
            format!(
                "is in-tree and requires {}, a package of its own repository: uv builds {} from the root's tag inside the root's workspace, where {} is a workspace member, and refuses its pin from its own remote beside it; move {} into the root too, or give {} its own repository (`release-tool split {} --remote URL`), see docs/in-tree.md",
                own.join(", "),
                c.pkg.name,
                own.join(", "),
                own.join(", "),
                c.pkg.name,
                c.pkg.name,
            ),
        );
    }
}

/// The unit the in-tree packages of a run share ([`crate::plan::Plan::shared`]): their steps
/// all run in the root's work tree, one after the other.
pub const IN_TREE_UNIT: &str = "in-tree packages";

/// A path of `pkg` (relative to its directory) relative to the root.
fn root_rel(pkg: &Package, rel: &str) -> String {
    format!("{}/{rel}", pkg.rel_path)
}

/// The subject of a root commit over several packages: `one` for one item (or when all items
/// share it), else `many` of the items, or of their count when the list is too long.
fn next_subject(items: &[(String, String)]) -> String {
    let first = &items[0].1;
    if items.iter().all(|(_, n)| n == first) {
        return next_message(first);
    }
    let list: Vec<String> = items.iter().map(|(p, n)| format!("{p} {n}")).collect();
    let joined = list.join(", ");
    if next_message(&joined).chars().count() <= 72 {
        next_message(&joined)
    } else {
        next_message(&format!("{} packages'", items.len()))
    }
}

/// The in-tree packages of a `release` (docs/in-tree.md, "The release of in-tree packages"):
/// their version and changelog edits in their directories, ONE root commit for all of them
/// (`release: a 0.2.0, c 1.1.0`, a line per package in the body), their annotated tags
/// (`tag_template`) on it, ONE next-dev root commit, and with `push` one atomic push of the
/// root's branch with every tag, then a forge release per package on the root's repository.
/// The steps belong to their packages but run in one unit ([`IN_TREE_UNIT`]).
fn plan_in_tree_release(
    ws: &Workspace,
    planned: &mut Planned,
    pins: &mut Pins,
    items: &[(&Candidate<'_>, &Version)],
    released: &BTreeMap<String, Version>,
    req: &Request,
) -> Result<()> {
    let Some((first, _)) = items.first() else {
        return Ok(());
    };
    let lead = Some(first.pkg.name.as_str());
    for (c, _) in items {
        planned
            .plan
            .shared
            .insert(c.pkg.name.clone(), IN_TREE_UNIT.to_owned());
    }
    let mut paths = Vec::new();
    let mut made = Vec::new();
    let mut consumed = Vec::new();
    let mut messages = Vec::new();
    for (c, v) in items {
        let vs = v.to_string();
        let tag = format!("{}{vs}", c.prefix);
        let (message, used, stale) = tag_message(ws, c, &vs)?;
        planned.notes.extend(stale);
        let edits = release_edits(
            ws,
            &planned.plan,
            c.pkg,
            &vs,
            &message,
            released,
            req.dependents(ws),
        )?;
        paths.extend(
            write_and_add(planned, c.pkg, &edits)
                .iter()
                .map(|p| root_rel(c.pkg, p)),
        );
        consumed.push((c.pkg, tag.clone(), used));
        messages.push(message);
        made.push(PackageRelease {
            package: c.pkg.name.clone(),
            from: c.version.clone(),
            version: (*v).clone(),
            tag: Some(tag.clone()),
            next: None,
            prerelease: !version::is_final(v),
        });
    }
    let summary = root_subject(
        "release",
        made.iter().map(|p| format!("{} {}", p.package, p.version)),
    );
    let message = root_commit_message(&summary, &made);
    planned
        .plan
        .commit_paths(lead, &ws.root, message.trim_end(), &paths);
    for (pkg, tag, used) in consumed {
        plan_consume_message(ws, planned, pkg, &tag, used);
    }
    for (((c, _), p), notes) in items.iter().zip(&made).zip(&messages) {
        let tag = p.tag.clone().unwrap_or_default();
        planned
            .plan
            .tag(Some(&c.pkg.name), &ws.root, &tag, "HEAD", notes);
    }
    let mut next_paths = Vec::new();
    let mut nexts = Vec::new();
    if req.next {
        for ((c, v), p) in items.iter().zip(made.iter_mut()) {
            if !version::is_final(v) {
                continue;
            }
            let n = version::next_dev(v)?;
            let ns = n.to_string();
            let edits = version_edits(&planned.plan, c.pkg, &ns, |_| Ok(()))?;
            next_paths.extend(
                write_and_add(planned, c.pkg, &edits)
                    .iter()
                    .map(|r| root_rel(c.pkg, r)),
            );
            nexts.push((c.pkg.name.clone(), ns));
            p.next = Some(n);
        }
        if !nexts.is_empty() {
            planned
                .plan
                .commit_paths(lead, &ws.root, &next_subject(&nexts), &next_paths);
        }
    }
    if req.push {
        let branch = first.branch.clone().unwrap_or_default();
        let mut refs = vec![format!("refs/heads/{branch}")];
        refs.extend(
            made.iter()
                .filter_map(|p| p.tag.as_ref())
                .map(|t| format!("refs/tags/{t}")),
        );
        planned
            .plan
            .push_refs(lead, &ws.root, &ws.config.git_remote, &refs);
        for (((c, v), p), notes) in items.iter().zip(&made).zip(&messages) {
            let ctx = ReleaseContext {
                prefix: &c.prefix,
                tags: &c.tags,
                authors: &c.authors,
            };
            let tag = p.tag.clone().unwrap_or_default();
            plan_release_call(ws, planned, c.pkg, &tag, v, notes, &ctx);
        }
    }
    for (((c, v), p), notes) in items.iter().zip(made).zip(&messages) {
        let pkg = c.pkg;
        let tag = p.tag.clone().unwrap_or_default();
        planned.plan.after.insert(
            pkg.name.clone(),
            waits_for(ws, pkg, &|k| released.contains_key(k)),
        );
        pins.staging.insert(pkg.key.clone(), tag.clone());
        if version::is_final(v) {
            pins.prod
                .insert(pkg.key.clone(), (tag.clone(), (*v).clone()));
        }
        pins.product.push(product_entry(ws, c, v, &tag, notes, req));
        planned.packages.push(p);
    }
    Ok(())
}

/// What a package bumped by the run (`release`, `prepare`) brings to the product's notes: its
/// version, tag and message, and the size of its bump (the kind `--bump` asked for, or chose
/// from its commits).
fn product_entry(
    ws: &Workspace,
    c: &Candidate<'_>,
    v: &Version,
    tag: &str,
    message: &str,
    req: &Request,
) -> product::Entry {
    let pkg = c.pkg;
    let kind = match req.bump {
        Bump::Auto if !req.set_versions.contains_key(&pkg.key) => {
            let refs: Vec<&str> = c.messages.iter().map(String::as_str).collect();
            version::auto_bump_kind(&c.version, &refs)
        }
        _ if req.set_versions.contains_key(&pkg.key) => Bump::Stable,
        other => other,
    };
    let prev = c.last_tag.as_ref();
    product::Entry {
        package: pkg.name.clone(),
        version: v.clone(),
        tag: tag.to_owned(),
        prev_tag: prev.map(|(t, _)| t.clone()),
        message: message.to_owned(),
        level: product::level(kind, prev.map(|(_, v)| v), &c.version, v),
        web: product::package_web(ws, pkg),
    }
}

/// The release before `tag` (version `v`) of a package: its newest other tag below `v` (a
/// final one for a final `v`), for the compare link of the product's notes.
fn release_before(c: &Candidate<'_>, tag: &str, v: &Version) -> Option<(String, Version)> {
    version::newest_tag(
        c.tags.iter().map(String::as_str).filter(|t| *t != tag),
        &c.prefix,
        version::is_final(v),
    )
    .filter(|(_, prev)| prev < v)
}

// ---------------------------------------------------------------------------------------------
// prepare (stage 4)

/// Plan `prepare`: on `dev_branch`, bump each package with commits since its last tag, strip
/// its workspace sources, add the CHANGELOG entry, raise dependents' bounds and make the
/// release commit; a dev/pre version is tagged at once and pinned in staging. With `push`, push
/// the branch (and tag) and open a pull request `dev_branch` → `base_branch`.
pub fn plan_prepare(ws: &Workspace, req: &Request) -> Result<Planned> {
    ws.require_sound_but_uninitialized()?;
    let mut planned = Planned::new(ws);
    planned.no_assets = req.no_assets;
    let mut problems = Vec::new();
    let dev = ws.config.dev_branch.clone();
    let cands = candidates_since(
        ws,
        &req.packages,
        counts_since_final(req.bump),
        false,
        &mut planned.skipped,
        &mut problems,
    )?;
    let known = known_statuses(&cands);
    let mut todo = Vec::new();
    let mut prepared = Vec::new();
    let mut unchanged = Vec::new();
    groups::check(ws)?;
    let grouped = groups::forced(ws, &cands, &mut problems);
    for c in cands {
        // A member of a version group with changes is prepared with it, changes or not.
        if !grouped.contains(&c.pkg.key) && skipped_unchanged(&c, &mut planned.skipped) {
            unchanged.push(c);
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
    require_set_versions_released(ws, req, &todo, &planned.skipped)?;
    require_root_ready(ws, req, &mut problems);
    let mut versions = release_versions(&todo, req, &mut planned.notes, &mut problems);
    groups::share(ws, &todo, &mut versions, &mut planned.notes, &mut problems);
    if req.push && problems.is_empty() {
        check_prepare_tags(ws, &todo, &versions, &mut problems);
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
        let (tag, message) =
            plan_release_commit(ws, &mut planned, c, &vs, &released, req.dependents(ws))?;
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
        pins.product
            .push(product_entry(ws, c, v, &tag, &message, req));
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
    let mut replanned = Vec::new();
    for c in &prepared {
        let tag = c.tag_name(&c.version);
        // `--replan`: prepared by the unfinished run, so still part of it (the root commit).
        if let Some(p) = req.earlier.iter().find(|p| p.package == c.pkg.name) {
            planned.packages.push(p.clone());
            replanned.push(c.pkg);
        }
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
    let mut moved = moved_with_dependents(ws, &mut planned, &todo, &released, &known, req)?;
    moved.extend(replanned);
    moved.extend(plan_earlier(ws, &mut planned, &mut pins, &unchanged, req));
    finish_with_root(ws, &mut planned, &pins, &moved, "prepare", req)?;
    Ok(planned)
}

/// `prepare --push` tags a dev/pre version at once and pushes the tag with `dev_branch`: ask
/// each such package's remote (one `git ls-remote` per package, in parallel; a dry run too, it
/// only reads) before anything changes, so that a tag already there (someone prepared the same
/// version) or an unreachable remote stops the run before the release commit, not at the push.
fn check_prepare_tags(
    ws: &Workspace,
    todo: &[Candidate<'_>],
    versions: &[Version],
    problems: &mut Vec<String>,
) {
    let remote = &ws.config.git_remote;
    let checks: Vec<(&Candidate<'_>, String)> = todo
        .iter()
        .zip(versions)
        .filter(|(_, v)| !version::is_final(v))
        .map(|(c, v)| (c, format!("{}{v}", c.prefix)))
        .collect();
    let found = crate::core::parallel::map(&checks, ws.config.effective_jobs(None), |(c, tag)| {
        let tag_ref = format!("refs/tags/{tag}");
        match c
            .git
            .run_batch(["ls-remote", "--", remote.as_str(), tag_ref.as_str()])
        {
            Ok(out) if out.lines().any(|l| l.ends_with(&format!("\t{tag_ref}"))) => Some(format!(
                "tag {tag} already exists on `{remote}` (fetch it with `git -C {} fetch --tags {remote}`); choose another --bump",
                c.pkg.rel_path
            )),
            Ok(_) => None,
            Err(e) => Some(format!(
                "cannot reach its remote `{remote}`: {}",
                e.unreachable_reason()
            )),
        }
    });
    for ((c, _), found) in checks.iter().zip(found) {
        if let Some(p) = found {
            problem(problems, c.pkg, p);
        }
    }
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
    head_sets_version(c)
}

/// Whether HEAD's commit changed the package's (static) version to the one it has now.
fn head_sets_version(c: &Candidate<'_>) -> Result<bool> {
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
    if forge_off_locally(ws, planned, pkg) {
        return;
    }
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
        _ => planned.notes.push(open_by_hand(ws, pkg, base, dev)),
    }
}

/// The note that says to open the pull request `head` → `base` by hand, with the compare URL
/// when there is one.
pub fn open_by_hand(ws: &Workspace, pkg: &Package, base: &str, head: &str) -> String {
    match compare_url(ws, pkg, base, head) {
        Some(url) => format!("{}: open the pull request by hand: {url}", pkg.name),
        None => format!(
            "{}: open the pull request {head} → {base} by hand",
            pkg.name
        ),
    }
}

/// A web URL to compare `head` with `base` (to open a pull request by hand); `None` for a
/// remote that is no web server's (a `file://` URL or a path) or unknown.
pub fn compare_url(ws: &Workspace, pkg: &Package, base: &str, head: &str) -> Option<String> {
    let url = crate::workspace::package_url(ws, pkg)?;
    if crate::workspace::is_local_url(&url) {
        return None;
    }
    let web = if let Some(rest) = url.strip_prefix("git@") {
        format!("https://{}", rest.replacen(':', "/", 1))
    } else if let Some(rest) = url.strip_prefix("ssh://git@") {
        format!("https://{rest}")
    } else {
        url
    };
    let web = web.trim_end_matches('/').trim_end_matches(".git");
    Some(format!("{web}/compare/{base}...{head}?expand=1"))
}

// ---------------------------------------------------------------------------------------------
// tag (stage 5)

/// Plan the `--sync` part of `tag`: fetch, check out and fast-forward `base_branch`, and
/// (with `delete_branch`) delete the merged `dev_branch`. Run before [`plan_tag`].
pub fn plan_tag_sync(ws: &Workspace, req: &Request) -> Result<Planned> {
    let mut planned = Planned::new(ws);
    planned.no_assets = req.no_assets;
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
    ws.require_sound_but_uninitialized()?;
    let mut planned = Planned::new(ws);
    planned.no_assets = req.no_assets;
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
        let c = &cands[step.index];
        let pkg = c.pkg;
        let prev = release_before(c, &step.tag, &step.version);
        pins.product.push(product::Entry {
            package: pkg.name.clone(),
            version: step.version.clone(),
            tag: step.tag.clone(),
            prev_tag: prev.as_ref().map(|(t, _)| t.clone()),
            message: step.message.clone(),
            level: Bump::Stable,
            web: product::package_web(ws, pkg),
        });
        plan_package_tag(ws, &mut planned, &mut pins, c, step, &in_run, req);
        moved.push(pkg);
    }
    finish_with_root(ws, &mut planned, &pins, &moved, "tag", req)?;
    if req.push {
        // A re-run after a `tag` without `--push` has no root commit to make: the root's
        // branch is pushed all the same when it is ahead of its remote.
        plan_root_still_local(ws, &mut planned, req, &mut problems)?;
        fail_on(&problems, "tag")?;
    }
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
        // A squash merge: the tagged release commit (a dev/pre release `prepare` tagged on
        // `dev_branch`) is not in the history, but its tree is exactly the release commit's.
        let tree = |commit: &str| {
            c.git
                .run(["rev-parse", "--verify", &format!("{commit}^{{tree}}")])
                .map(|t| t.trim().to_owned())
        };
        let squashed = existing != target && tree(&existing)? == tree(&target)?;
        if existing != target && !squashed {
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
        // `--replan`: a tag the unfinished run made stays part of it (pins, root commit).
        let on = if squashed {
            format!(
                "the release commit (squash-merged as {})",
                crate::git::short_hash(&target)
            )
        } else {
            "the release commit".to_owned()
        };
        if !req.push && !req.earlier.iter().any(|p| p.package == c.pkg.name) {
            planned.skipped.push(Skipped::new(
                c.pkg,
                format!("tag {tag} already exists on {on}"),
            ));
            return Ok(None);
        }
        if squashed {
            // The tag stays where it is (pushed when still local, pinned as it is).
            let message = c.git.run(["log", "-1", "--format=%B", &existing])?;
            return Ok(Some(TagStep {
                index,
                tag,
                target: existing,
                version: v,
                message: message.trim_end().to_owned(),
            }));
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
    c: &Candidate<'_>,
    step: TagStep,
    in_run: &BTreeSet<String>,
    req: &Request,
) {
    let pkg = c.pkg;
    let ctx = &ReleaseContext {
        prefix: &c.prefix,
        tags: &c.tags,
        authors: &c.authors,
    };
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
        plan_release_call(ws, planned, pkg, &tag, &v, &message, ctx);
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
    ws.require_sound_but_uninitialized()?;
    let mut planned = Planned::new(ws);
    planned.no_assets = req.no_assets;
    let mut problems = Vec::new();
    let dev = ws.config.dev_branch.clone();
    let cands = candidates(ws, &req.packages, &mut planned.skipped, &mut problems)?;
    let mut todo = Vec::new();
    let mut replanned = Vec::new();
    for c in cands {
        let base = ws.base_branch(c.pkg);
        if let Some(p) = req
            .earlier
            .iter()
            .find(|p| p.package == c.pkg.name && p.next.as_ref() == Some(&c.version))
        {
            // `--replan`: its next cycle was started by the unfinished run.
            replanned.push((c.pkg, p.clone()));
            continue;
        }
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
        let paths = write_and_add(&mut planned, pkg, &edits);
        planned
            .plan
            .commit_paths(name, &pkg.dir, &next_message(&ns), &paths);
        if req.push {
            plan_dev_branch_push(ws, &mut planned, pkg, &dev);
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
    for (pkg, p) in &replanned {
        if req.push {
            plan_dev_branch_push(ws, &mut planned, pkg, &dev);
        }
        planned.packages.push(p.clone());
    }
    if !planned.packages.is_empty() {
        let moved: Vec<&Package> = todo
            .iter()
            .map(|(c, _, _)| c.pkg)
            .chain(replanned.iter().map(|(p, _)| *p))
            .collect();
        let summary = root_subject(
            "next",
            planned.packages.iter().map(|p| {
                format!(
                    "{} {}",
                    p.package,
                    p.next.as_ref().map(ToString::to_string).unwrap_or_default()
                )
            }),
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

    /// The in-process "differs by more than the version" against `git diff -U0`'s answer, on
    /// pairs of commits of one repository: a version edit alone (pyproject, `__version__`), an
    /// edit beside it, a file added or deleted, a binary file, an executable bit alone, a line
    /// that looks like a diff header, a version moved between files, a symbolic link, a
    /// lost end of line, CRLF, Latin-1 text, lines reordered, an in-tree package's directory.
    /// The in-process answer may be "ask git", never another answer than git's.
    #[test]
    fn tree_differs_in_process_agrees_with_git() {
        use crate::git::test_support::{ENV, git};
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        git(dir, &["init", "--quiet", "-b", "main"]);
        let write = |path: &str, text: &[u8]| {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        let commit = |message: &str| {
            git(dir, &["add", "-A"]);
            git(dir, &["commit", "--quiet", "--allow-empty", "-m", message]);
            git(dir, &["rev-parse", "HEAD"])
        };
        write(
            "pyproject.toml",
            b"[project]\nname = \"a\"\nversion = \"1.0.0\"\n",
        );
        write("src/a/__init__.py", b"__version__ = '1.0.0'\nx = 1\n");
        write("pkgs/b/pyproject.toml", b"[project]\nversion = \"0.1.0\"\n");
        write("pkgs/c/c.py", b"-- not a header\n");
        let mut states = vec![commit("base")];
        // Each change, then a commit: `rm:`, `chmod:` and `ln:` remove a file, set its
        // executable bit, or make it a symbolic link to `pyproject.toml`.
        let steps: [(&str, &[u8], &str); 17] = [
            (
                "pyproject.toml",
                b"[project]\nname = \"a\"\nversion = \"1.0.1.dev0\"\n",
                "version only",
            ),
            (
                "src/a/__init__.py",
                b"__version__ = '1.0.1.dev0'\nx = 1\n",
                "version file",
            ),
            (
                "src/a/__init__.py",
                b"__version__ = '1.0.1.dev0'\nx = 2\n",
                "an edit",
            ),
            ("src/a/new.py", b"", "an empty file added"),
            ("rm:src/a/new.py", b"", "deleted"),
            ("data.bin", b"\0\x01version = \"1\"\n", "binary"),
            ("data.bin", b"\0\x01version = \"2\"\n", "binary edited"),
            ("chmod:data.bin", b"", "executable bit"),
            ("pkgs/c/c.py", b"", "a line like a header removed"),
            (
                "pkgs/b/VERSION.py",
                b"VERSION = \"0.1.0\"\n",
                "version moved",
            ),
            ("ln:link", b"", "link"),
            (
                "pkgs/b/VERSION.py",
                b"VERSION = \"0.1.0\"",
                "end of line lost",
            ),
            ("pkgs/b/VERSION.py", b"VERSION = \"0.2.0\"\r\n", "crlf"),
            ("pkgs/c/latin1.txt", b"caf\xe9\n", "latin-1"),
            ("pkgs/c/latin1.txt", b"caf\xe8\n", "latin-1 edited"),
            (
                "pkgs/c/order.toml",
                b"a = 1\nversion = \"1\"\n",
                "two lines",
            ),
            (
                "pkgs/c/order.toml",
                b"version = \"1\"\na = 1\n",
                "reordered",
            ),
        ];
        for (path, text, message) in steps {
            if let Some(path) = path.strip_prefix("rm:") {
                std::fs::remove_file(dir.join(path)).unwrap();
            } else if let Some(path) = path.strip_prefix("chmod:") {
                git(dir, &["update-index", "--chmod=+x", path]);
            } else if let Some(path) = path.strip_prefix("ln:") {
                std::os::unix::fs::symlink("pyproject.toml", dir.join(path)).unwrap();
            } else {
                write(path, text);
            }
            if message == "version moved" {
                write("pkgs/b/pyproject.toml", b"[project]\n");
            }
            states.push(commit(message));
        }
        let repo = Git::new(dir).with_env(ENV);
        let local = crate::git::LocalRepo::open(dir).expect("read in-process");
        let (mut checked, mut answered) = (0, 0);
        for (i, from) in states.iter().enumerate() {
            for to in &states[i..] {
                for path in [None, Some("pkgs/b"), Some("pkgs/c"), Some("src")] {
                    let by_git = tree_differs_by_git(&repo, from, to, path).unwrap();
                    let in_process = tree_differs_in_process(&local, dir, from, to, path);
                    if let Some(answer) = in_process {
                        assert_eq!(answer, by_git, "{from}..{to} -- {path:?}");
                        answered += 1;
                    }
                    checked += 1;
                }
            }
        }
        assert!(
            checked > 600 && answered > checked * 3 / 4,
            "{answered} of {checked}"
        );
        // A version edited in place is answered in-process, and is not a change.
        let differs =
            |a: usize, b: usize| tree_differs_in_process(&local, dir, &states[a], &states[b], None);
        assert_eq!(differs(0, 1), Some(false));
        assert_eq!(differs(0, 2), Some(false));
        assert_eq!(differs(2, 3), Some(true));
        // Lines that moved: git's pairing decides.
        let n = states.len();
        assert_eq!(differs(n - 2, n - 1), None);
        // Attributes in the work tree along a changed path: git decides.
        std::fs::write(dir.join(".gitattributes"), "*.py -diff\n").unwrap();
        assert_eq!(differs(0, 2), None);
    }

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
            replan: false,
            earlier: Vec::new(),
            set_versions: BTreeMap::new(),
            allow_branch: false,
            dependents: None,
            image: false,
            no_image: false,
            no_product: false,
            no_assets: false,
            product_bump: None,
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
        // --set-version and --allow-branch shape the plan.
        let set = Request {
            set_versions: BTreeMap::from([("a".to_owned(), "0.3.0".to_owned())]),
            ..a.clone()
        };
        assert_ne!(a.key(), set.key());
        let other = Request {
            set_versions: BTreeMap::from([("a".to_owned(), "0.4.0".to_owned())]),
            ..a.clone()
        };
        assert_ne!(set.key(), other.key());
        let allow = Request {
            allow_branch: true,
            ..a.clone()
        };
        assert_ne!(a.key(), allow.key());
        assert_eq!(
            Request {
                allow_branch: true,
                ..set.clone()
            }
            .command_line(),
            "release --bump minor --set-version a=0.3.0 --push --allow-branch -p a -p b"
        );
        // --dependents and --image shape the plan.
        let exact = Request {
            dependents: Some(Dependents::Exact),
            image: true,
            no_image: false,
            ..a.clone()
        };
        assert_ne!(a.key(), exact.key());
        assert_eq!(
            exact.command_line(),
            "release --bump minor --push --dependents exact --image -p a -p b"
        );
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
    fn latest_previous_tag_and_contributors_of_a_forge_release() {
        let tags: Vec<String> = ["v0.1.0", "v0.2.0", "v0.2.1rc1", "v1.0.0", "junk"]
            .iter()
            .map(|t| (*t).to_owned())
            .collect();
        let v = |s: &str| version::parse(s).unwrap();
        let names = |t: &'static [&'static str]| t.iter().copied();
        let tags_ = &["v0.1.0", "v0.2.0", "v0.2.1rc1", "v1.0.0", "junk"];
        // The newest final release is "latest"; a patch of an older line and a pre-release are not.
        assert!(newest_final(names(tags_), "v", &v("1.1.0")));
        assert!(newest_final(names(tags_), "v", &v("1.0.0")));
        assert!(!newest_final(names(tags_), "v", &v("0.2.2")));
        assert!(!newest_final(names(tags_), "v", &v("1.1.0rc1")));
        let ctx = ReleaseContext {
            prefix: "v",
            tags: &tags,
            authors: &[],
        };
        assert_eq!(previous_tag(&ctx, &v("0.2.2")).as_deref(), Some("v0.2.0"));
        assert_eq!(previous_tag(&ctx, &v("1.1.0")).as_deref(), Some("v1.0.0"));
        assert_eq!(previous_tag(&ctx, &v("0.1.0")), None);
        assert_eq!(previous_tag(&ctx, &v("0.0.1rc1")), None);
        assert_eq!(
            contributor_name("Ada Lovelace"),
            Some("Ada Lovelace".to_owned())
        );
        assert_eq!(
            contributor_name("Ada <ada@example.com>"),
            Some("Ada".to_owned())
        );
        assert_eq!(contributor_name("ada@example.com"), None);
        assert_eq!(contributor_name("  "), None);
    }

    #[test]
    fn change_commits_leave_out_merges_next_and_release_commits_and_open_squashes() {
        let c = |hash: &str, subject: &str| crate::git::Commit {
            hash: hash.to_owned(),
            author: String::new(),
            subject: subject.to_owned(),
            body: String::new(),
        };
        let subjects = |v: Vec<&crate::git::Commit>| -> Vec<String> {
            v.into_iter().map(|c| c.subject.clone()).collect()
        };
        let log = vec![
            (false, c("1", &next_message("0.1.1.dev0"))),
            (true, c("2", "Merge pull request #1")),
            (false, c("3", "Release a 0.1.0.dev1")),
            (false, c("4", "feat: x")),
            (false, c("5", "squash of 0.1.0.dev1")),
        ];
        let none = HashMap::new();
        // Merges, `next` commits and the commits `tool_made` names are left out.
        assert_eq!(
            subjects(change_commits(&log, &none, |h| h == "3")),
            ["feat: x", "squash of 0.1.0.dev1"]
        );
        // A squash merge stands for the commits it squashed (under the same rule), and those
        // are not counted twice.
        let squashed = HashMap::from([(
            "5".to_owned(),
            vec![
                (false, c("4", "feat: x")),
                (false, c("6", "fix: y")),
                (false, c("3", "Release a 0.1.0.dev1")),
            ],
        )]);
        assert_eq!(
            subjects(change_commits(&log, &squashed, |h| h == "3")),
            ["feat: x", "fix: y"]
        );
        // Only merges and the tool's commits: they are the changes, but never `next` commits.
        let merges = vec![
            (false, c("1", &next_message("0.1.1.dev0"))),
            (true, c("2", "Merge pull request #1")),
        ];
        assert_eq!(
            subjects(change_commits(&merges, &none, |_| false)),
            ["Merge pull request #1"]
        );
    }

    #[test]
    fn next_commits_are_recognised() {
        assert_eq!(
            root_subject(
                "release",
                ["a 0.1.0", "b 0.1.0"].map(String::from).into_iter()
            ),
            "release: a 0.1.0, b 0.1.0"
        );
        assert_eq!(
            root_subject("release", (0..750).map(|i| format!("package-{i} 1.0.{i}"))),
            "release: 750 packages"
        );
        assert!(is_next_commit(&next_message("0.1.1.dev0")));
        assert!(!is_next_commit("chore: start over"));
    }
}
