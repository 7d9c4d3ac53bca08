//! `branch` (stage 0): create or fast-forward `dev_branch` from `<git_remote>/<base_branch>` in
//! every selected package and switch the package to it (docs/reference.md §3); `base_branch` is each
//! package's own ([`Workspace::base_branch`]).
//!
//! For each package (in parallel, each in its own repository):
//!
//! 1. **facts**: a real run fetches `git_remote` (a dry run reads `git ls-remote` instead and
//!    changes nothing); the start point is `<remote>/<base_branch>`, or with a fallback the
//!    package's `HEAD` (`--fallback-head`) or its local `base_branch` (`--fallback-local`).
//! 2. **decision**: `dev_branch` missing → created; at the start point, or already containing
//!    it → up to date; behind it → fast-forwarded; diverged → refused (never reset, never
//!    merged). Uncommitted work is stashed around a switch (`--no-stash` refuses instead).
//! 3. **steps** ([`Op`]): the same list is printed by `--dry-run` and executed by a real run:
//!    stash, create / fast-forward / switch, stash pop, then upstream (`--set-upstream-to` when
//!    the remote has the branch) or `push -u` with `--push`.
//!
//! A stash the tool made is always popped (`--index`: what was staged is staged again); when the
//! pop conflicts it is kept and reported by name (`stash@{0}: release-tool/<dev_branch>`), never
//! dropped. A stash it did not make (git saved nothing) is never popped.

use std::path::Path;

use anyhow::Result;
use serde::Serialize;

use crate::core::error::UserError;
use crate::core::parallel;
use crate::git::{self, Git, GitError, short_hash};
use crate::plan::Plan;
use crate::workspace::{Package, Workspace};

/// Where to start `dev_branch` when the remote has no `base_branch`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Fallback {
    /// No fallback: a missing remote base branch refuses the package.
    #[default]
    None,
    /// The package's `HEAD`.
    Head,
    /// The local `base_branch`.
    Local,
}

/// What `branch` needs to know.
#[derive(Clone, Debug, Default)]
pub struct BranchRequest {
    /// Packages selected with `-p` (empty = all).
    pub packages: Vec<String>,
    pub dry_run: bool,
    /// Refuse a dirty package instead of stashing its work.
    pub no_stash: bool,
    /// Push `dev_branch` (with `-u`).
    pub push: bool,
    pub fallback: Fallback,
    pub jobs: Option<usize>,
}

/// What happened (or would happen) to a package's `dev_branch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Created,
    FastForwarded,
    UpToDate,
    Refused,
}

impl Action {
    /// The word shown in the table.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::FastForwarded => "fast-forwarded",
            Self::UpToDate => "up-to-date",
            Self::Refused => "refused",
        }
    }
}

/// One git step of a package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// `git fetch` of the remote (done before the decision on a real run).
    Fetch,
    /// Stash uncommitted work, untracked files included.
    StashPush,
    /// Create `dev_branch` at `start` and switch to it.
    Create { start: String },
    /// Fast-forward the checked-out `dev_branch` to `start`.
    FastForwardCheckedOut { start: String },
    /// Move the (not checked out) `dev_branch` from `old` to `start`.
    FastForwardRef { start: String, old: String },
    /// Switch to `dev_branch`.
    Switch,
    /// Restore the stash made by [`Op::StashPush`].
    StashPop,
    /// `git branch --set-upstream-to <remote>/<dev> <dev>`.
    SetUpstream,
    /// `git push -u <remote> <dev>`.
    Push,
}

impl Op {
    /// The git argv of the step.
    pub fn argv(&self, remote: &str, dev: &str) -> Vec<String> {
        self.argv_in(remote, dev, false)
    }

    /// [`Op::argv`] for the package's repository; `root`: the root's (in-tree packages), whose
    /// switch leaves its submodules as they are (`--no-recurse-submodules`, over a
    /// `submodule.recurse` setting): they are packages `branch` moves on their own.
    pub fn argv_in(&self, remote: &str, dev: &str, root: bool) -> Vec<String> {
        let mut argv = self.plain_argv(remote, dev);
        if root && matches!(self, Self::Create { .. } | Self::Switch) {
            argv.insert(1, "--no-recurse-submodules".to_owned());
        }
        argv
    }

    fn plain_argv(&self, remote: &str, dev: &str) -> Vec<String> {
        let v = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        match self {
            Self::Fetch => v(&["fetch", "--quiet", "--prune", "--tags", "--", remote]),
            Self::StashPush => git::stash_push_args(&stash_message(dev)),
            Self::Create { start } => v(&["switch", "--quiet", "--no-track", "-c", dev, start]),
            Self::FastForwardCheckedOut { start } => v(&["merge", "--quiet", "--ff-only", start]),
            Self::FastForwardRef { start, old } => v(&[
                "update-ref",
                "-m",
                &format!("release-tool: fast-forward {dev}"),
                &format!("refs/heads/{dev}"),
                start,
                old,
            ]),
            Self::Switch => v(&["switch", "--quiet", dev]),
            Self::StashPop => git::stash_pop_args("stash@{0}"),
            Self::SetUpstream => v(&[
                "branch",
                "--quiet",
                &format!("--set-upstream-to={remote}/{dev}"),
                dev,
            ]),
            Self::Push => v(&["push", "--quiet", "-u", "--", remote, dev]),
        }
    }
}

/// The message of the tool's stash: `release-tool/<dev_branch>`.
pub fn stash_message(dev: &str) -> String {
    format!("release-tool/{dev}")
}

/// One package in the report (`--json`: `{package, branch, from, action, ahead, behind,
/// stash?, problem?}`).
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct BranchRow {
    pub package: String,
    #[serde(skip)]
    pub path: String,
    pub branch: String,
    /// The start point: `origin/main`, `HEAD` or `main`.
    pub from: Option<String>,
    pub action: Action,
    /// Commits on `dev_branch` not on the upstream (or, without one, on `from`), and back.
    pub ahead: Option<u32>,
    pub behind: Option<u32>,
    /// What ahead/behind count against: `<remote>/<dev_branch>` or `from`.
    pub upstream: Option<String>,
    /// Whether uncommitted work was stashed around the switch (and restored unless `stash`).
    pub stashed: bool,
    /// A stash the tool made and could not restore: `stash@{N}: release-tool/<dev_branch>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    #[serde(skip)]
    pub hint: Option<String>,
    /// A remark for the human output (e.g. not fetched yet on a dry run).
    #[serde(skip)]
    pub note: Option<String>,
    /// The start commit.
    #[serde(skip)]
    pub start: Option<String>,
    /// The steps run (or, on a dry run, planned), the fetch first.
    #[serde(skip)]
    pub ops: Vec<Op>,
}

impl BranchRow {
    /// Whether the package failed (refused, or a step went wrong): exit 1.
    pub fn failed(&self) -> bool {
        self.action == Action::Refused || self.problem.is_some()
    }
}

/// The outcome of `branch`.
#[derive(Clone, Debug, Default)]
pub struct BranchReport {
    /// One row per selected package, by name.
    pub rows: Vec<BranchRow>,
    /// Packages left out by `skip = true`.
    pub skipped: Vec<String>,
}

impl BranchReport {
    pub fn failed(&self) -> bool {
        self.rows.iter().any(BranchRow::failed)
    }

    /// The steps as a plan (what `--dry-run` prints).
    pub fn plan(&self, root: &Path, remote: &str, dev: &str) -> Plan {
        let mut plan = Plan::new(root);
        for row in &self.rows {
            for op in &row.ops {
                plan.git(
                    Some(&row.package),
                    root.join(&row.path),
                    op.argv_in(remote, dev, row.path == "."),
                );
            }
        }
        plan
    }
}

#[derive(Clone, Copy)]
struct Ctx<'a> {
    /// The workspace root (an in-tree package's repository).
    root: &'a Path,
    remote: &'a str,
    /// The package's base branch ([`Workspace::base_branch`]).
    base: &'a str,
    dev: &'a str,
    req: &'a BranchRequest,
}

/// Run (or, with `dry_run`, plan) `branch` for the selected packages. Unknown package names and
/// branch/remote names git would read as options are usage errors (exit 2).
pub fn run(ws: &Workspace, req: &BranchRequest) -> Result<BranchReport> {
    let config = &ws.config;
    for (what, value) in [
        ("git_remote", config.git_remote.as_str()),
        ("base_branch", config.base_branch.as_str()),
        ("dev_branch", config.dev_branch.as_str()),
    ] {
        if git::check_arg(what, value).is_err() || value.is_empty() {
            return Err(
                UserError::usage(format!("Invalid {what} `{value}` in the configuration"))
                    .with_hint(format!(
                        "set `{what}` to a git name that does not start with `-`"
                    ))
                    .into(),
            );
        }
    }
    let selected = ws.select(&req.packages)?;
    let mut report = BranchReport::default();
    let mut todo: Vec<&Package> = Vec::new();
    for pkg in selected {
        if config.is_skipped(&pkg.name) {
            report.skipped.push(pkg.name.clone());
        } else {
            todo.push(pkg);
        }
    }
    let ctx = Ctx {
        root: &ws.root,
        remote: &config.git_remote,
        base: &config.base_branch,
        dev: &config.dev_branch,
        req,
    };
    let jobs = config.effective_jobs(req.jobs);
    // In-tree packages share the root's branch: the first of them branches the root, the
    // others report the same outcome.
    let (in_tree, own): (Vec<&Package>, Vec<&Package>) = todo.iter().partition(|p| p.in_tree());
    report.rows = parallel::map(&own, jobs, |pkg| {
        let ctx = Ctx {
            base: ws.base_branch(pkg),
            ..ctx
        };
        branch_package(&ctx, pkg)
    });
    // The root after its submodules' packages: its fetch and switch never run beside theirs.
    report.rows.extend(branch_root(ws, &ctx, &in_tree));
    report.rows.sort_by(|a, b| {
        crate::python::pyproject::normalize_name(&a.package)
            .cmp(&crate::python::pyproject::normalize_name(&b.package))
    });
    Ok(report)
}

/// `branch` for the in-tree packages: the root branched once, by the first of them, the others
/// reporting the same outcome. They share one branch, so they must share one base branch.
fn branch_root(ws: &Workspace, ctx: &Ctx<'_>, in_tree: &[&Package]) -> Vec<BranchRow> {
    let Some(lead) = in_tree.first() else {
        return Vec::new();
    };
    let base = ws.base_branch(lead);
    let lead_row = if let Some(other) = in_tree.iter().find(|p| ws.base_branch(p) != base) {
        let mut row = branch_row(ctx, lead);
        refuse(
            &mut row,
            format!(
                "In-tree packages {} and {} share the root's branch but not their base branch ({base} and {})",
                lead.name,
                other.name,
                ws.base_branch(other)
            ),
            "give the in-tree packages one base_branch in [tool.release_tool.packages], or branch them with -p, one base branch at a time".to_owned(),
        );
        row
    } else {
        branch_package(&Ctx { base, ..*ctx }, lead)
    };
    let mut rows = Vec::with_capacity(in_tree.len());
    for pkg in &in_tree[1..] {
        let mut row = lead_row.clone();
        row.package.clone_from(&pkg.name);
        row.ops.clear();
        row.note = Some(format!("the root's branch, with {}", lead.name));
        rows.push(row);
    }
    rows.insert(0, lead_row);
    rows
}

fn refuse(row: &mut BranchRow, message: String, hint: String) {
    row.action = Action::Refused;
    row.problem = Some(message);
    row.hint = Some(hint);
    row.ops.clear();
}

fn branch_package(ctx: &Ctx<'_>, pkg: &Package) -> BranchRow {
    let mut row = branch_row(ctx, pkg);
    if let Err((message, hint)) = decide(ctx, pkg, &mut row) {
        refuse(&mut row, message, hint);
        return row;
    }
    if !ctx.req.dry_run {
        execute(ctx, pkg, &mut row);
    }
    row
}

/// A package's row before anything is known.
fn branch_row(ctx: &Ctx<'_>, pkg: &Package) -> BranchRow {
    BranchRow {
        package: pkg.name.clone(),
        path: pkg.repo_rel().to_owned(),
        branch: ctx.dev.to_owned(),
        from: None,
        action: Action::Refused,
        ahead: None,
        behind: None,
        upstream: None,
        stashed: false,
        stash: None,
        problem: None,
        hint: None,
        note: None,
        start: None,
        ops: Vec::new(),
    }
}

type Refusal = (String, String);

/// One package's repository, named for refusals.
struct Repo<'a> {
    name: &'a str,
    path: &'a str,
    git: Git,
}

impl Repo<'_> {
    /// A git error refuses the package.
    fn git_error(&self, e: &GitError) -> Refusal {
        (
            format!("Package {} ({}): {e}", self.name, self.path),
            "fix the repository (see `release-tool status`) and run `branch` again".to_owned(),
        )
    }

    /// The remote cannot be read.
    fn unreachable(&self, remote: &str, e: &GitError) -> Refusal {
        let path = self.path;
        (
            format!(
                "Package {} ({path}): cannot read `{remote}`: {e}",
                self.name
            ),
            format!("check the remote and your access: `git -C {path} fetch {remote}`"),
        )
    }
}

/// Gather the facts and fill `row` with the action and the steps; `Err` refuses the package.
fn decide(ctx: &Ctx<'_>, pkg: &Package, row: &mut BranchRow) -> Result<(), Refusal> {
    let repo = Repo {
        name: &pkg.name,
        path: pkg.repo_rel(),
        git: Git::new(pkg.repo_dir(ctx.root)),
    };
    check_repository(ctx, &repo)?;
    // A dirty package that must switch is refused before anything is fetched. The root of an
    // in-tree package: its own files (a submodule's state is no in-tree package's work).
    let status = if pkg.in_tree() {
        repo.git.status_without_submodules()
    } else {
        repo.git.status()
    }
    .map_err(|e| repo.git_error(&e))?;
    let on_dev = status.branch.as_deref() == Some(ctx.dev);
    if ctx.req.no_stash && !on_dev && status.dirty() > 0 {
        return Err(no_stash_refusal(repo.name, repo.path, status.dirty()));
    }
    let (remote_base, remote_dev) = remote_branches(ctx, &repo)?;
    row.ops.push(Op::Fetch);
    let (start, from) = start_point(ctx, &repo, remote_base)?;
    row.from = Some(from.clone());
    row.start = Some(start.clone());
    let move_op = move_dev(ctx, &repo, row, &start, &from, on_dev)?;
    let touches_tree = !on_dev || matches!(move_op, Some(Op::FastForwardCheckedOut { .. }));
    let stash = touches_tree && status.dirty() > 0;
    if stash && ctx.req.no_stash {
        return Err(no_stash_refusal(repo.name, repo.path, status.dirty()));
    }
    if stash {
        row.ops.push(Op::StashPush);
        row.stashed = true;
    }
    let creates = matches!(move_op, Some(Op::Create { .. }));
    row.ops.extend(move_op);
    if !on_dev && !creates {
        row.ops.push(Op::Switch);
    }
    if stash {
        row.ops.push(Op::StashPop);
    }
    if ctx.req.push {
        row.ops.push(Op::Push);
    } else if remote_dev && !tracks_remote_dev(ctx, &repo)? {
        row.ops.push(Op::SetUpstream);
    }
    Ok(())
}

/// The package is a git repository with the remote `git_remote`.
fn check_repository(ctx: &Ctx<'_>, repo: &Repo) -> Result<(), Refusal> {
    let (name, path, remote) = (repo.name, repo.path, ctx.remote);
    if !repo.git.is_repo_root() {
        return Err((
            format!("Package {name} ({path}) is not a git repository"),
            format!("initialize it with `git submodule update --init -- {path}`"),
        ));
    }
    if repo
        .git
        .remote_url(remote)
        .map_err(|e| repo.git_error(&e))?
        .is_none()
    {
        return Err((
            format!("Package {name} ({path}) has no remote `{remote}`"),
            format!("add it with `git -C {path} remote add {remote} URL`"),
        ));
    }
    Ok(())
}

/// The remote base branch's head and whether the remote has `dev_branch`: from `ls-remote`
/// on a dry run (nothing written), from the fetched remote-tracking refs on a real run.
fn remote_branches(ctx: &Ctx<'_>, repo: &Repo) -> Result<(Option<String>, bool), Refusal> {
    let (git, remote, base, dev) = (&repo.git, ctx.remote, ctx.base, ctx.dev);
    let unreachable = |e| repo.unreachable(remote, &e);
    let git_error = |e| repo.git_error(&e);
    if ctx.req.dry_run {
        Ok((
            git.remote_branch_head(remote, base).map_err(unreachable)?,
            git.remote_branch_head(remote, dev)
                .map_err(unreachable)?
                .is_some(),
        ))
    } else {
        git.fetch_prune(remote).map_err(unreachable)?;
        Ok((
            git.resolve(&format!("refs/remotes/{remote}/{base}"))
                .map_err(git_error)?,
            git.resolve(&format!("refs/remotes/{remote}/{dev}"))
                .map_err(git_error)?
                .is_some(),
        ))
    }
}

/// Where `dev_branch` starts, and the name of that place: the remote base branch, else the
/// `--fallback-*` the request chose.
fn start_point(
    ctx: &Ctx<'_>,
    repo: &Repo,
    remote_base: Option<String>,
) -> Result<(String, String), Refusal> {
    let (name, path, git) = (repo.name, repo.path, &repo.git);
    let (remote, base, dev) = (ctx.remote, ctx.base, ctx.dev);
    let git_error = |e| repo.git_error(&e);
    if let Some(hash) = remote_base {
        return Ok((hash, format!("{remote}/{base}")));
    }
    let missing = format!("`{remote}/{base}` does not exist (no branch `{base}` on `{remote}`)");
    match ctx.req.fallback {
        Fallback::None => Err((
            format!("Package {name} ({path}): {missing}"),
            format!(
                "push `{base}` to `{remote}`, set the package's branch with `base_branch` in [tool.release_tool.packages.{name}], or start `{dev}` from the package's HEAD with `--fallback-head` or from its local `{base}` with `--fallback-local`"
            ),
        )),
        Fallback::Head => match git.resolve("HEAD").map_err(git_error)? {
            Some(h) => Ok((h, "HEAD".to_owned())),
            None => Err((
                format!("Package {name} ({path}): {missing}, and HEAD has no commit"),
                format!("make a first commit in {path}"),
            )),
        },
        Fallback::Local => match git
            .resolve(&format!("refs/heads/{base}"))
            .map_err(git_error)?
        {
            Some(h) => Ok((h, base.to_owned())),
            None => Err((
                format!(
                    "Package {name} ({path}): {missing}, and there is no local branch `{base}`"
                ),
                "use `--fallback-head` to start from HEAD".to_owned(),
            )),
        },
    }
}

/// How the local `dev_branch` gets to `start` (created, fast-forwarded, or left: up to date
/// or ahead), with `row.action` set; a diverged `dev_branch` refuses the package.
fn move_dev(
    ctx: &Ctx<'_>,
    repo: &Repo,
    row: &mut BranchRow,
    start: &str,
    from: &str,
    on_dev: bool,
) -> Result<Option<Op>, Refusal> {
    let (name, path, git, dev) = (repo.name, repo.path, &repo.git, ctx.dev);
    let git_error = |e| repo.git_error(&e);
    let local_dev = git
        .resolve(&format!("refs/heads/{dev}"))
        .map_err(git_error)?;
    // On a dry run the remote head may not have been fetched yet.
    let known = git.resolve(start).map_err(git_error)?.is_some();
    let start = start.to_owned();
    Ok(match &local_dev {
        None => {
            row.action = Action::Created;
            Some(Op::Create { start })
        }
        Some(old) if *old == start => {
            row.action = Action::UpToDate;
            None
        }
        Some(old) => {
            let (behind, ahead) = if known {
                (
                    git.is_ancestor(old, &start).map_err(git_error)?,
                    git.is_ancestor(&start, old).map_err(git_error)?,
                )
            } else {
                row.note = Some(format!(
                    "{from} is not fetched yet: a real run refuses `{dev}` if it has diverged"
                ));
                (true, false)
            };
            if behind {
                row.action = Action::FastForwarded;
                Some(if on_dev {
                    Op::FastForwardCheckedOut { start }
                } else {
                    Op::FastForwardRef {
                        start,
                        old: old.clone(),
                    }
                })
            } else if ahead {
                row.action = Action::UpToDate;
                None
            } else {
                return Err((
                    format!(
                        "Package {name} ({path}): `{dev}` ({}) has diverged from {from} ({}); not reset, not merged",
                        short_hash(old),
                        short_hash(&start)
                    ),
                    format!(
                        "bring them together yourself, e.g. `git -C {path} switch {dev} && git -C {path} rebase {from}`, then run `branch` again"
                    ),
                ));
            }
        }
    })
}

/// Whether the local `dev_branch` already tracks `<remote>/<dev_branch>`.
fn tracks_remote_dev(ctx: &Ctx<'_>, repo: &Repo) -> Result<bool, Refusal> {
    let (git, remote, dev) = (&repo.git, ctx.remote, ctx.dev);
    let git_error = |e| repo.git_error(&e);
    Ok(git
        .config_get(&format!("branch.{dev}.remote"))
        .map_err(git_error)?
        .as_deref()
        == Some(remote)
        && git
            .config_get(&format!("branch.{dev}.merge"))
            .map_err(git_error)?
            == Some(format!("refs/heads/{dev}")))
}

fn no_stash_refusal(name: &str, path: &str, n: usize) -> Refusal {
    (
        format!(
            "Package {name} ({path}) has {} and `--no-stash` was given",
            crate::core::text::count(n, "uncommitted change")
        ),
        format!(
            "commit or stash them (`git -C {path} stash`), or run `branch` without `--no-stash` to have them stashed and restored"
        ),
    )
}

/// Run the planned steps (the fetch is done already). A stash made here is always popped, also
/// when a step before the pop failed; when the pop conflicts the stash is kept and named.
fn execute(ctx: &Ctx<'_>, pkg: &Package, row: &mut BranchRow) {
    let (name, path, dev, remote) = (pkg.name.as_str(), pkg.repo_rel(), ctx.dev, ctx.remote);
    let git = Git::new(pkg.repo_dir(ctx.root));
    let mut stash: Option<String> = None;
    let mut failed = false;
    let ops: Vec<Op> = row.ops.clone();
    for op in ops.iter().filter(|op| **op != Op::Fetch) {
        match op {
            Op::StashPush => match git.stash_push(&stash_message(dev)) {
                Ok(Some(hash)) => stash = Some(hash),
                // Nothing git can stash (a nested submodule at another commit): nothing to
                // restore either, and `refs/stash` is not ours to pop.
                Ok(None) => row.stashed = false,
                Err(e) => {
                    refuse(
                        row,
                        format!("Package {name} ({path}): cannot stash the uncommitted work: {e}"),
                        format!(
                            "commit or stash it yourself, then run `branch` again (`git -C {path} status`)"
                        ),
                    );
                    row.stashed = false;
                    return;
                }
            },
            Op::StashPop => {
                if let Some(hash) = stash.take() {
                    pop(&git, row, name, path, dev, &hash);
                }
                if row.problem.is_some() {
                    failed = true;
                }
            }
            _ if failed => {}
            op => {
                let argv = op.argv_in(remote, dev, pkg.in_tree());
                let result = if *op == Op::Push {
                    git.run_batch(&argv)
                } else {
                    git.run(&argv)
                };
                if let Err(e) = result {
                    failed = true;
                    let moved = matches!(op, Op::Push | Op::SetUpstream);
                    if !moved {
                        row.action = Action::Refused;
                    }
                    row.problem = Some(format!(
                        "Package {name} ({path}): `git {}` failed: {e}",
                        crate::core::text::shell_words(&argv)
                    ));
                    row.hint = Some(if *op == Op::Push {
                        format!(
                            "`{remote}/{dev}` may have commits `{dev}` lacks: `git -C {path} pull --rebase {remote} {dev}`, then push"
                        )
                    } else {
                        format!("check `git -C {path} status`, then run `branch` again")
                    });
                }
            }
        }
    }
    // Ahead/behind of dev_branch against its upstream, or the start point without one.
    let remote_dev = format!("refs/remotes/{remote}/{dev}");
    let against = match git.resolve(&remote_dev) {
        Ok(Some(_)) => Some((remote_dev, format!("{remote}/{dev}"))),
        _ => row.start.clone().zip(row.from.clone()),
    };
    if let Some((rev, label)) = against
        && let Ok((ahead, behind)) = git.ahead_behind(&format!("refs/heads/{dev}"), &rev)
    {
        row.ahead = Some(ahead);
        row.behind = Some(behind);
        row.upstream = Some(label);
    }
}

fn pop(git: &Git, row: &mut BranchRow, name: &str, path: &str, dev: &str, hash: &str) {
    let kept = |row: &mut BranchRow, detail: String| {
        let entry = git
            .stash_name(hash)
            .ok()
            .flatten()
            .unwrap_or_else(|| format!("stash {}", short_hash(hash)));
        let stash = format!("{entry}: {}", stash_message(dev));
        row.problem = Some(format!(
            "Package {name} ({path}): restoring the uncommitted work on `{dev}` {detail}; it is kept in {stash}"
        ));
        row.hint = Some(format!(
            "resolve the conflicts in {path} and drop the stash with `git -C {path} stash drop {entry}`, or look at it with `git -C {path} stash show -p {entry}`"
        ));
        row.stash = Some(stash);
    };
    let entry = match git.stash_name(hash) {
        Ok(Some(entry)) => entry,
        Ok(None) => {
            row.problem = Some(format!(
                "Package {name} ({path}): the stash {} made for `{dev}` is no longer in `git stash list`",
                short_hash(hash)
            ));
            row.hint = Some(format!(
                "recover it with `git -C {path} stash apply {hash}` (the commit is still in the object store)"
            ));
            return;
        }
        Err(e) => return kept(row, format!("could not be checked ({e})")),
    };
    if let Err(e) = git.stash_pop(&entry) {
        let still_there = git.stash_name(hash).ok().flatten().is_some();
        if still_there {
            let reason = match e {
                // `--index` says "Index was not unstashed." when the work tree conflicted.
                e if e
                    .stderr()
                    .is_some_and(|s| s.contains("onflict") || s.contains("not unstashed")) =>
                {
                    "conflicted".to_owned()
                }
                e => format!("failed ({e})"),
            };
            kept(row, reason);
        } else {
            row.problem = Some(format!(
                "Package {name} ({path}): `git stash pop` reported a problem: {e}"
            ));
            row.hint = Some(format!("check `git -C {path} status`"));
        }
    }
}
