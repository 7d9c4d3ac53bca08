//! Release stages 1 and 2 and `clear` (docs/reference.md §3): change files for uncommitted work, commits
//! from message files, and removing the change files again.
//!
//! Every function here builds a [`Plan`] and reports what it found; nothing is changed until the
//! caller runs the plan. The files live in `<changes_output_dir>/<package>/` under the root:
//! `changes_uncommitted_filename` (written by `changes`), `commit_message_filename` (created empty
//! by `changes`, filled by the user, read by `commit`), and the stage 3 files
//! (`changes_since_tag_filename`, `tag_message_filename`), which `clear` also removes.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde::Serialize;

use crate::git::statuscache::StatusCache;
use crate::git::{self, Git};
use crate::plan::Plan;
use crate::workspace::{Package, Skipped, Workspace};

/// The tree of an empty repository: what an unborn HEAD is diffed against.
const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

/// The top-level file of the changes directory that `clear` also removes (the LLM prompt).
pub const PROMPT_FILE: &str = "prompt.md";

/// The other top-level file of the changes directory that `clear` removes: the product's
/// combined notes as `notes` drafts them (docs/llm.md).
pub const PRODUCT_NOTES_FILE: &str = "product_notes.md";

/// A package a stage refuses to touch: named, with what to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Refused {
    pub package: String,
    pub message: String,
    pub hint: String,
}

/// The directory of a package's change files.
pub fn package_changes_dir(ws: &Workspace, package: &str) -> PathBuf {
    ws.root.join(&ws.config.changes_output_dir).join(package)
}

/// The root's `git status` (submodules left out), read once for all in-tree packages of a
/// stage, each seeing its directory's part ([`git::RepoStatus::narrowed_to`]).
#[derive(Default)]
struct RootStatus(std::sync::OnceLock<Result<git::RepoStatus, String>>);

impl RootStatus {
    fn of(&self, ws: &Workspace, pkg: &Package) -> Result<git::RepoStatus> {
        let root = self
            .0
            .get_or_init(|| {
                Git::new(&ws.root)
                    .status_without_submodules()
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        match root.narrowed_to(&pkg.rel_path) {
            Some(status) => Ok(status),
            // A path git quotes: the directory's own status, from git.
            None => Ok(Git::new(&ws.root).status_of_path(&pkg.rel_path)?),
        }
    }
}

/// The selected packages that are not skipped by configuration and are git repositories (or
/// directories of the root's, in-tree).
fn selected<'a>(
    ws: &'a Workspace,
    names: &[String],
    skipped: &mut Vec<Skipped>,
) -> Result<Vec<&'a Package>> {
    let mut out = Vec::new();
    for pkg in ws.select(names)? {
        if ws.config.is_skipped(&pkg.name) {
            skipped.push(Skipped::new(
                pkg,
                "skip = true in its [tool.release_tool.packages] configuration",
            ));
        } else if pkg.in_tree() {
            out.push(pkg);
        } else if !Git::new(&pkg.dir).is_repo_root() {
            skipped.push(Skipped::new(
                pkg,
                format!(
                    "{} is not a git repository (run `git submodule update --init {}`)",
                    pkg.rel_path, pkg.rel_path
                ),
            ));
        } else {
            out.push(pkg);
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Stage 1: changes

/// What `changes` writes for one dirty package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct PackageChanges {
    pub package: String,
    /// The package directory, relative to the root.
    pub path: String,
    /// Number of changed or untracked files.
    pub files: usize,
    /// The changes file, relative to the root.
    pub changes_file: String,
    /// The commit message file, relative to the root.
    pub message_file: String,
    /// Whether the message file already had text (it is never overwritten).
    pub message_kept: bool,
    /// The current branch (`None` when detached), for the LLM prompt.
    #[serde(skip)]
    pub branch: Option<String>,
    /// The text of the changes file, for the LLM prompt.
    #[serde(skip)]
    pub report: String,
}

/// The outcome of planning `changes`.
#[derive(Debug)]
pub struct ChangesPlan {
    pub plan: Plan,
    pub packages: Vec<PackageChanges>,
    /// Selected packages with a clean work tree.
    pub clean: Vec<String>,
    pub skipped: Vec<Skipped>,
}

/// Plan `changes` for the packages named (all when empty).
pub fn plan_changes(ws: &Workspace, names: &[String]) -> Result<ChangesPlan> {
    let mut skipped = Vec::new();
    let mut result = ChangesPlan {
        plan: Plan::new(&ws.root),
        packages: Vec::new(),
        clean: Vec::new(),
        skipped: Vec::new(),
    };
    let pkgs = selected(ws, names, &mut skipped)?;
    // Which packages are dirty: from the status cache (a `status` run fills it; read here, never
    // written), so a package nobody touched since costs no process. The git work of every
    // other package in parallel: `git status`, and for a dirty package its short status, diff
    // and untracked files.
    let cache = StatusCache::open(&ws.root, false);
    let root_status = RootStatus::default();
    let looked = crate::core::parallel::map(&pkgs, ws.config.effective_jobs(None), |pkg| {
        let git = Git::new(pkg.repo_dir(&ws.root));
        let status = if pkg.in_tree() {
            root_status.of(ws, pkg)
        } else {
            cache.repo_status(&pkg.rel_path, &git).map_err(Into::into)
        }
        .with_context(|| format!("{} ({}): cannot read git status", pkg.name, pkg.rel_path))?;
        if status.changed.is_empty() {
            return Ok((status, None));
        }
        let report = changes_report(&git, pkg, &status)
            .with_context(|| format!("{} ({}): cannot read the changes", pkg.name, pkg.rel_path))?;
        Ok::<_, anyhow::Error>((status, Some(report)))
    });
    for (pkg, looked) in pkgs.into_iter().zip(looked) {
        let (status, report) = looked?;
        let Some(report) = report else {
            result.clean.push(pkg.name.clone());
            continue;
        };
        let dir = package_changes_dir(ws, &pkg.name);
        let changes_file = dir.join(&ws.config.changes_uncommitted_filename);
        let message_file = dir.join(&ws.config.commit_message_filename);
        let name = Some(pkg.name.as_str());
        result.plan.write(name, &changes_file, report.clone());
        // Never clobber a message the user has started: create it only when missing.
        result.plan.create(name, &message_file, "");
        let message_kept =
            fs_err::read_to_string(&message_file).is_ok_and(|text| !text.trim().is_empty());
        result.packages.push(PackageChanges {
            package: pkg.name.clone(),
            path: pkg.rel_path.clone(),
            files: status.dirty(),
            changes_file: ws.rel(&changes_file),
            message_file: ws.rel(&message_file),
            message_kept,
            branch: status.branch.clone(),
            report,
        });
    }
    result.skipped = skipped;
    Ok(result)
}

/// The text of a changes file: short status, diff stat and full diff against HEAD, then every
/// untracked file as a "new file" diff (binary files as git's one-line note). An in-tree
/// package's covers its directory of the root (paths relative to the root).
fn changes_report(git: &Git, pkg: &Package, status: &git::RepoStatus) -> Result<String> {
    let path = pkg.path_filter();
    let base = if status.head.is_some() {
        "HEAD"
    } else {
        EMPTY_TREE
    };
    // The short status as `git status --porcelain` prints it, from the v2 records already
    // read (git again only when a path needs its quoting).
    let porcelain = match &status.short {
        Some(short) => short.clone(),
        None => git.status_porcelain_in(path)?,
    };
    let (stat, diff) = git.diff_stat_and_patch_in(base, None, path)?;
    let mut untracked_stat = String::new();
    let mut untracked_diff = String::new();
    for path in &status.untracked {
        let text = git.diff_untracked(path)?;
        if text.lines().any(|l| l.starts_with("Binary files ")) {
            let _ = writeln!(untracked_stat, " {path} | binary file, content not shown");
        } else {
            let added = text
                .lines()
                .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
                .count();
            let _ = writeln!(untracked_stat, " {path} | {added} lines, new file");
        }
        untracked_diff.push_str(&text);
        if !text.is_empty() && !text.ends_with('\n') {
            untracked_diff.push('\n');
        }
    }
    let branch = status.branch.as_deref().unwrap_or("(detached HEAD)");
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Uncommitted changes in {} ({}, branch {branch})\n",
        pkg.name, pkg.rel_path
    );
    let _ = writeln!(out, "## git status --porcelain\n\n{porcelain}");
    let _ = write!(out, "## git diff --stat {base}\n\n{stat}");
    if !untracked_stat.is_empty() {
        let _ = write!(out, "\nUntracked files:\n{untracked_stat}");
    }
    let _ = write!(out, "\n## git diff {base}\n\n{diff}");
    if !untracked_diff.is_empty() {
        let _ = write!(out, "\n## Untracked files\n\n{untracked_diff}");
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Stage 2: commit

/// What `commit` does for one package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct PackageCommit {
    pub package: String,
    pub path: String,
    pub branch: String,
    /// Files to commit (0 when only pushing).
    pub files: usize,
    /// First line of the commit message, when committing.
    pub subject: Option<String>,
    /// Whether the branch is pushed.
    pub push: bool,
    /// The new commit (set after a real run).
    pub commit: Option<String>,
}

/// The outcome of planning `commit`.
#[derive(Debug)]
pub struct CommitPlan {
    pub plan: Plan,
    pub packages: Vec<PackageCommit>,
    /// Packages with a message but nothing to commit.
    pub nothing_to_commit: Vec<String>,
    /// Packages with uncommitted changes but no message file: left as they are.
    pub no_message: Vec<String>,
    pub refused: Vec<Refused>,
    pub skipped: Vec<Skipped>,
}

/// `commit` options.
#[derive(Clone, Copy, Debug, Default)]
pub struct CommitRequest {
    /// Commit packages that have a message.
    pub commit: bool,
    /// Push the current branch of packages that committed or are ahead of their upstream.
    pub push: bool,
}

/// Plan `commit` for the packages named (all when empty).
pub fn plan_commit(ws: &Workspace, names: &[String], request: CommitRequest) -> Result<CommitPlan> {
    let mut skipped = Vec::new();
    let mut result = CommitPlan {
        plan: Plan::new(&ws.root),
        packages: Vec::new(),
        nothing_to_commit: Vec::new(),
        no_message: Vec::new(),
        refused: Vec::new(),
        skipped: Vec::new(),
    };
    let remote = ws.config.git_remote.as_str();
    let root_status = RootStatus::default();
    // In-tree packages commit in the root one after the other; the root is pushed once, after.
    let mut root_push: Option<Vec<String>> = None;
    for pkg in selected(ws, names, &mut skipped)? {
        // Where to tell the user to run git: the package's repository.
        let repo = pkg.repo_rel();
        let dir = package_changes_dir(ws, &pkg.name);
        let message_file = dir.join(&ws.config.commit_message_filename);
        let message = if request.commit {
            fs_err::read_to_string(&message_file)
                .ok()
                .filter(|m| !m.trim().is_empty())
        } else {
            None
        };
        let git = Git::new(pkg.repo_dir(&ws.root));
        let status = if pkg.in_tree() {
            root_status.of(ws, pkg)
        } else {
            git.status().map_err(Into::into)
        }
        .with_context(|| format!("{} ({}): cannot read git status", pkg.name, pkg.rel_path))?;
        let commits = message.is_some() && !status.changed.is_empty();
        if message.is_some() && !commits {
            result.nothing_to_commit.push(pkg.name.clone());
        }
        if request.commit && message.is_none() && !status.changed.is_empty() {
            result.no_message.push(pkg.name.clone());
        }
        let wants_push = request.push
            && (commits || status.upstream.is_none() || status.ahead > 0)
            && (commits || status.head.is_some());
        if !commits && !wants_push {
            continue;
        }
        let Some(branch) = status.branch.clone() else {
            if !commits {
                skipped.push(Skipped::new(
                    pkg,
                    format!("HEAD is detached in {repo}; nothing pushed"),
                ));
                continue;
            }
            result.refused.push(Refused {
                package: pkg.name.clone(),
                message: format!("{}: HEAD is detached in {repo}; not committed", pkg.name),
                hint: format!(
                    "switch to a branch first: `git -C {repo} switch <branch>`, then run the command again"
                ),
            });
            continue;
        };
        if wants_push && !git.has_remote(remote)? {
            result.refused.push(Refused {
                package: pkg.name.clone(),
                message: format!(
                    "{}: no remote `{remote}` in {repo}; nothing committed or pushed",
                    pkg.name
                ),
                hint: format!(
                    "add it with `git -C {repo} remote add {remote} URL`, or set `git_remote`"
                ),
            });
            continue;
        }
        let name = Some(pkg.name.as_str());
        if commits {
            if pkg.in_tree() {
                // Its directory only: `commit -- <dir>` leaves whatever else the root has staged.
                // `:(literal)`: a directory named with glob characters is itself only.
                let path = format!(":(literal){}", pkg.rel_path);
                result
                    .plan
                    .git(name, &ws.root, ["add", "-A", "--", path.as_str()]);
                let mut args = git::commit_file_args(&message_file);
                args.extend(["--".to_owned(), path]);
                result.plan.git(name, &ws.root, args);
            } else {
                result.plan.git(name, &pkg.dir, ["add", "-A"]);
                result
                    .plan
                    .git(name, &pkg.dir, git::commit_file_args(&message_file));
            }
            // Committed: the change files have done their job, and a re-run commits nothing.
            result
                .plan
                .remove_file(name, dir.join(&ws.config.changes_uncommitted_filename));
            result.plan.remove_file(name, &message_file);
            if is_only(
                &dir,
                &[
                    &ws.config.changes_uncommitted_filename,
                    &ws.config.commit_message_filename,
                ],
            ) {
                result.plan.remove_empty_dir(name, &dir);
            }
        }
        if wants_push && pkg.in_tree() {
            root_push = Some(git::push_args(remote, &branch, status.upstream.is_none())?);
        } else if wants_push {
            let set_upstream = status.upstream.is_none();
            result.plan.git(
                name,
                &pkg.dir,
                git::push_args(remote, &branch, set_upstream)?,
            );
        }
        result.packages.push(PackageCommit {
            package: pkg.name.clone(),
            path: pkg.rel_path.clone(),
            branch,
            files: if commits { status.dirty() } else { 0 },
            subject: message
                .filter(|_| commits)
                .and_then(|m| m.lines().find(|l| !l.trim().is_empty()).map(str::to_owned)),
            push: wants_push,
            commit: None,
        });
    }
    if let Some(args) = root_push {
        result.plan.git(None, &ws.root, args);
    }
    result.skipped = skipped;
    Ok(result)
}

/// Whether `dir` holds nothing but (some of) the files named.
fn is_only(dir: &Path, names: &[&String]) -> bool {
    fs_err::read_dir(dir).is_ok_and(|entries| {
        entries.flatten().all(|e| {
            e.file_type().is_ok_and(|t| !t.is_dir())
                && names.iter().any(|n| e.file_name() == n.as_str())
        })
    })
}

// ---------------------------------------------------------------------------------------------
// clear

/// The outcome of planning `clear`.
#[derive(Debug)]
pub struct ClearPlan {
    pub plan: Plan,
    /// Files to remove, relative to the root.
    pub removed: Vec<String>,
    /// Files and directories kept because release-tool does not write them, relative to the root.
    pub kept: Vec<String>,
}

/// Plan `clear`: remove the files release-tool writes in `changes_output_dir` and the
/// directories that are empty afterwards; anything else is kept and listed. With package names,
/// only those packages' directories are cleared.
pub fn plan_clear(ws: &Workspace, names: &[String]) -> Result<ClearPlan> {
    let out_dir = ws.root.join(&ws.config.changes_output_dir);
    let mut result = ClearPlan {
        plan: Plan::new(&ws.root),
        removed: Vec::new(),
        kept: Vec::new(),
    };
    if !out_dir.is_dir() {
        return Ok(result);
    }
    let only: Option<Vec<String>> = if names.is_empty() {
        None
    } else {
        Some(ws.select(names)?.iter().map(|p| p.name.clone()).collect())
    };
    let known = [
        &ws.config.changes_uncommitted_filename,
        &ws.config.commit_message_filename,
        &ws.config.changes_since_tag_filename,
        &ws.config.tag_message_filename,
    ];
    let mut everything_removed = true;
    for entry in sorted_entries(&out_dir)? {
        let path = entry.path();
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let is_dir = entry.file_type()?.is_dir();
        if let Some(only) = &only
            && !(is_dir && only.contains(&file_name))
        {
            everything_removed = false;
            continue;
        }
        if !is_dir {
            if file_name == PROMPT_FILE || file_name == PRODUCT_NOTES_FILE {
                result.removed.push(ws.rel(&path));
                result.plan.remove_file(None, &path);
            } else {
                everything_removed = false;
                result.kept.push(ws.rel(&path));
            }
            continue;
        }
        let package = Some(file_name.as_str());
        let mut dir_emptied = true;
        for inner in sorted_entries(&path)? {
            let inner_path = inner.path();
            let inner_name = inner.file_name();
            if !inner.file_type()?.is_dir() && known.iter().any(|k| inner_name == k.as_str()) {
                result.removed.push(ws.rel(&inner_path));
                result.plan.remove_file(package, &inner_path);
            } else {
                dir_emptied = false;
                result.kept.push(ws.rel(&inner_path));
            }
        }
        if dir_emptied {
            result.plan.remove_empty_dir(package, &path);
        } else {
            everything_removed = false;
        }
    }
    if everything_removed {
        // The output directory and its parents inside the root, as long as they hold nothing
        // else (`release_tool/changes`, then `release_tool`).
        let mut dir = out_dir.clone();
        result.plan.remove_empty_dir(None, &dir);
        while let Some(parent) = dir.parent().map(Path::to_path_buf) {
            if parent == ws.root || !parent.starts_with(&ws.root) {
                break;
            }
            let only_child = fs_err::read_dir(&parent)
                .is_ok_and(|entries| entries.flatten().all(|e| e.path() == dir));
            if !only_child {
                break;
            }
            result.plan.remove_empty_dir(None, &parent);
            dir = parent;
        }
    }
    Ok(result)
}

fn sorted_entries(dir: &Path) -> Result<Vec<fs_err::DirEntry>> {
    let mut entries = fs_err::read_dir(dir)?.collect::<std::io::Result<Vec<_>>>()?;
    entries.sort_by_key(fs_err::DirEntry::file_name);
    Ok(entries)
}
