//! `update`: move submodule packages to the heads of their branches and record the new pointers
//! in the root (docs/reference.md §3).
//!
//! Three phases:
//!
//! 1. **survey** ([`survey`], in parallel): for every selected package, the pointer the root
//!    records in its last commit (`git ls-tree HEAD`; `git ls-files --stage` for a submodule
//!    not committed yet), the branch its submodule follows (`[packages.NAME] base_branch`,
//!    else `branch` in `.gitmodules`, `.` = the root's branch; unset = the remote's default
//!    branch, else `base_branch`), and that branch's head on `git_remote`, read with `git ls-remote`. A
//!    package whose pointer is already there is up to date and left alone. Every way the move
//!    could lose or hide work refuses that package with a hint, before anything is fetched:
//!    uncommitted changes, another branch checked out. A real run then fetches the branch into
//!    `refs/remotes/<remote>/<branch>` (the only ref the survey may change) and refuses local
//!    commits the remote does not have, a diverged branch, and commits on a detached HEAD that
//!    no ref holds. A dry run fetches nothing and changes nothing.
//! 2. **plan** ([`plan`]): for each package to move, `git submodule update --remote --no-fetch`
//!    in the root, `--merge` (fast-forward only) when the package is on its branch so the
//!    branch follows, `--checkout` when detached, as git itself would; then `git add` of the
//!    moved paths and a root commit of **only** those paths (`git commit --only`), so other
//!    staged work in the root stays staged and out of the commit.
//! 3. **execute** (the command runs the plan): the checkouts, a check that every package
//!    landed on its new commit, then the add and the commit.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;
use serde::Serialize;

use crate::config::Config;
use crate::core::error::UserError;
use crate::core::parallel;
use crate::git::{Commit, Git, RepoStatus, short_hash};
use crate::plan::Plan;
use crate::workspace::{Package, Submodule, Workspace};

/// What `update` needs to know.
#[derive(Clone, Debug, Default)]
pub struct UpdateRequest {
    /// Packages named on the command line (positional names and `-p`); empty = all.
    pub packages: Vec<String>,
    /// Read the remote heads with `ls-remote` instead of fetching (changes nothing).
    pub dry_run: bool,
    pub jobs: Option<usize>,
}

/// How a package's work tree gets to its new commit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checkout {
    /// Already there (only the root pointer moves).
    None,
    /// On its branch: fast-forward the branch (`git submodule update --merge`, ff only).
    FastForward,
    /// Detached: check the commit out (`git submodule update --checkout`).
    Detach,
}

/// A package whose pointer moves.
#[derive(Clone, Debug)]
pub struct Move {
    pub package: String,
    pub path: String,
    /// The submodule's name in `.gitmodules`.
    pub submodule: String,
    pub branch: String,
    /// The pointer recorded in the root.
    pub old: String,
    /// The head of the branch on the remote.
    pub new: String,
    pub checkout: Checkout,
    /// Commits in `old..new`, newest first; `None` when not known (dry run, not fetched yet).
    pub commits: Option<Vec<Commit>>,
    /// Commits in `new..old` when the pointer moves back (the remote branch was rewound).
    pub back: u32,
    /// The remote is a local path or `file://` URL (git refuses those for submodules unless
    /// allowed for the call).
    pub local_url: bool,
}

/// A package left alone, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub package: String,
    pub path: String,
    /// A capitalised sentence naming the package.
    pub message: String,
    pub hint: String,
}

/// The outcome of the survey.
#[derive(Clone, Debug, Default)]
pub struct Survey {
    /// Packages whose pointer moves, by name.
    pub moves: Vec<Move>,
    /// Packages already at their branch head: (name, path, commit).
    pub up_to_date: Vec<(String, String, String)>,
    /// Packages that cannot be updated without risking work: an error (exit 1).
    pub refused: Vec<Refusal>,
    /// Packages not selected by name that update does not apply to (not a submodule, not
    /// initialized): a warning.
    pub skipped: Vec<Refusal>,
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Whether a URL is a local path or `file://` URL.
pub fn is_local_url(url: &str) -> bool {
    url.starts_with("file:")
        || url.starts_with('/')
        || url.starts_with("./")
        || url.starts_with("../")
        || Path::new(url).is_absolute()
}

enum Inspected {
    Up(String),
    Moves(Box<Move>),
    Refused(Refusal),
    Skipped(Refusal),
}

/// Look at every selected package (in parallel) and decide what moves. Unknown names and
/// packages named explicitly that are not submodules are usage errors (exit 2) before any git
/// work. Fetches (real run) or reads `ls-remote` (dry run); changes nothing else.
pub fn survey(ws: &Workspace, req: &UpdateRequest) -> Result<Survey> {
    let selected = ws.select(&req.packages)?;
    let explicit = !req.packages.is_empty();
    if explicit && let Some(p) = selected.iter().find(|p| p.submodule.is_none()) {
        return Err(UserError::usage(format!(
            "Package {} ({}) is not a git submodule of the root",
            p.name, p.rel_path
        ))
        .with_hint(format!(
            "`update` moves submodule pointers; register its repository with `git submodule add URL {}` (or `release-tool add URL`)",
            p.rel_path
        ))
        .into());
    }
    let root = Git::new(&ws.root);
    // The pointers of the root's last commit: what `update` commits against (and what makes a
    // re-run after `--no-commit` or a failed commit finish the job). A submodule added but not
    // committed yet counts from the index.
    let mut pointers: BTreeMap<String, String> = root.submodule_pointers()?.into_iter().collect();
    if let Some(committed) = root.submodule_pointers_at("HEAD")? {
        pointers.extend(committed);
    }
    let root_branch = root.current_branch()?;
    let jobs = ws.config.effective_jobs(req.jobs);
    let inspected = parallel::map(&selected, jobs, |pkg| {
        inspect(
            &ws.config,
            pkg,
            pointers.get(&pkg.rel_path).map(String::as_str),
            root_branch.as_deref(),
            explicit,
            req.dry_run,
        )
    });
    let mut survey = Survey::default();
    for (pkg, result) in selected.iter().zip(inspected) {
        match result {
            Inspected::Up(hash) => {
                survey
                    .up_to_date
                    .push((pkg.name.clone(), pkg.rel_path.clone(), hash));
            }
            Inspected::Moves(m) => survey.moves.push(*m),
            Inspected::Refused(r) => survey.refused.push(r),
            Inspected::Skipped(r) => survey.skipped.push(r),
        }
    }
    Ok(survey)
}

/// A step of [`inspect`]: its value, or the package's outcome when the survey stops there.
type Step<T> = std::result::Result<T, Inspected>;

/// One package under survey: its names for messages, its repository and remote.
struct Surveyed<'a> {
    pkg: &'a Package,
    path: &'a str,
    git: Git,
    remote: &'a str,
}

impl Surveyed<'_> {
    /// The package is refused with `message` and `hint`.
    fn refuse(&self, message: String, hint: String) -> Inspected {
        refused(self.pkg, message, hint)
    }

    /// A git error in the package's repository refuses it.
    fn git_error(&self, e: &crate::git::GitError) -> Inspected {
        self.refuse(
            format!("Package {} ({}): {e}", self.pkg.name, self.path),
            "fix the repository (see `release-tool status`) and run `update` again".to_owned(),
        )
    }

    /// `branch` is not on the remote.
    fn not_found(&self, sm: &Submodule, branch: &str, url: &str) -> Inspected {
        let (path, remote) = (self.path, self.remote);
        self.refuse(
            format!(
                "Package {} ({path}): branch `{branch}` not found on `{remote}` ({url})",
                self.pkg.name
            ),
            format!(
                "push it, or set the branch the submodule follows: `git config -f .gitmodules submodule.{}.branch NAME`",
                sm.name
            ),
        )
    }

    /// The remote cannot be read.
    fn unreachable(&self, branch: &str, e: &crate::git::GitError) -> Inspected {
        let (path, remote) = (self.path, self.remote);
        self.refuse(
            format!(
                "Package {} ({path}): cannot read branch `{branch}` of `{remote}`: {e}",
                self.pkg.name
            ),
            format!("check the remote and your access: `git -C {path} fetch {remote} {branch}`"),
        )
    }
}

/// The refusal of `pkg` with `message` and `hint`.
fn refused(pkg: &Package, message: String, hint: String) -> Inspected {
    Inspected::Refused(Refusal {
        package: pkg.name.clone(),
        path: pkg.rel_path.clone(),
        message,
        hint,
    })
}

/// Look at one package: up to date, a move, or refused/skipped with the reason.
fn inspect(
    config: &Config,
    pkg: &Package,
    old: Option<&str>,
    root_branch: Option<&str>,
    explicit: bool,
    dry_run: bool,
) -> Inspected {
    let survey = || -> Step<Inspected> {
        let (sm, old) = initialized_submodule(pkg, old, explicit)?;
        let s = Surveyed {
            pkg,
            path: &pkg.rel_path,
            git: Git::new(&pkg.dir),
            remote: &config.git_remote,
        };
        let url = remote_url(&s)?;
        let branch = followed_branch(&s, sm, root_branch, config)?;
        // The branch head on the remote, read without changing any ref.
        let new = match s.git.remote_branch_head(s.remote, &branch) {
            Ok(Some(new)) => new,
            Ok(None) => return Err(s.not_found(sm, &branch, &url)),
            Err(e) => return Err(s.unreachable(&branch, &e)),
        };
        if new == old {
            return Ok(Inspected::Up(new));
        }
        let status = s.git.status().map_err(|e| s.git_error(&e))?;
        let head = status.head.clone().unwrap_or_default();
        // Refusals that need no fetch come first: they leave every ref as it was.
        if head != new {
            refuse_local_work(&s, &status, &branch, &new)?;
        }
        let new = fetched_head(&s, sm, &branch, &url, old, new, dry_run)?;
        // Whether the new commit is here (always after a fetch; on a dry run only when
        // fetched before).
        let known = s.git.resolve(&new).map_err(|e| s.git_error(&e))?.is_some();
        let checkout = checkout_for(&s, &status, &head, &new, &branch, known)?;
        let (commits, back) = commits_between(&s.git, known, old, &new);
        Ok(Inspected::Moves(Box::new(Move {
            package: pkg.name.clone(),
            path: pkg.rel_path.clone(),
            submodule: sm.name.clone(),
            branch,
            old: old.to_owned(),
            new,
            checkout,
            commits,
            back,
            local_url: is_local_url(&url) || sm.url.as_deref().is_some_and(is_local_url),
        })))
    };
    match survey() {
        Ok(outcome) | Err(outcome) => outcome,
    }
}

/// The package's submodule and the pointer the root records, when it is an initialized
/// submodule the root has a commit for.
fn initialized_submodule<'a>(
    pkg: &'a Package,
    old: Option<&'a str>,
    explicit: bool,
) -> Step<(&'a Submodule, &'a str)> {
    let path = pkg.rel_path.as_str();
    let Some(sm) = &pkg.submodule else {
        return Err(Inspected::Skipped(Refusal {
            package: pkg.name.clone(),
            path: path.to_owned(),
            message: format!("Skipping {} ({path}): not a git submodule", pkg.name),
            hint: String::new(),
        }));
    };
    let Some(old) = old else {
        return Err(refused(
            pkg,
            format!(
                "Package {} ({path}) is in .gitmodules but the root records no commit for it",
                pkg.name
            ),
            format!(
                "stage it in the root with `git add {path}` (or remove its stale .gitmodules entry)"
            ),
        ));
    };
    if !pkg.dir.join(".git").exists() {
        let message = format!("Package {} ({path}): submodule not initialized", pkg.name);
        let hint = format!("run `git submodule update --init -- {path}` first");
        return Err(if explicit {
            refused(pkg, message, hint)
        } else {
            Inspected::Skipped(Refusal {
                package: pkg.name.clone(),
                path: path.to_owned(),
                message: format!(
                    "Skipping {} ({path}): submodule not initialized (run `git submodule update --init -- {path}` to include it)",
                    pkg.name
                ),
                hint,
            })
        });
    }
    Ok((sm, old))
}

/// The URL of the package's `git_remote`.
fn remote_url(s: &Surveyed) -> Step<String> {
    let (path, remote) = (s.path, s.remote);
    match s.git.remote_url(remote) {
        Ok(Some(url)) => Ok(url),
        Ok(None) => Err(s.refuse(
            format!("Package {} ({path}) has no remote `{remote}`", s.pkg.name),
            format!("add it with `git -C {path} remote add {remote} URL`"),
        )),
        Err(e) => Err(s.git_error(&e)),
    }
}

/// The branch the submodule follows: `[packages.NAME] base_branch`, else `branch` in
/// `.gitmodules` (`.` = the root's branch), else the remote's default branch, else
/// `base_branch`.
fn followed_branch(
    s: &Surveyed,
    sm: &Submodule,
    root_branch: Option<&str>,
    config: &Config,
) -> Step<String> {
    if let Some(b) = config.base_branch_override(&s.pkg.name) {
        return Ok(b.to_owned());
    }
    Ok(match sm.branch.as_deref() {
        Some(".") => match root_branch {
            Some(b) => b.to_owned(),
            None => {
                return Err(s.refuse(
                    format!(
                        "Package {} ({}) follows the root's branch (`branch = .`), but the root is on a detached HEAD",
                        s.pkg.name, s.path
                    ),
                    "switch the root to a branch first".to_owned(),
                ));
            }
        },
        Some(b) => b.to_owned(),
        None => match s.git.remote_default_branch(s.remote) {
            Ok(Some(b)) => b,
            Ok(None) | Err(_) => config.base_branch.clone(),
        },
    })
}

/// Refuses a package that would lose or hide work when checked out at `new`: uncommitted
/// changes, another branch checked out.
fn refuse_local_work(s: &Surveyed, status: &RepoStatus, branch: &str, new: &str) -> Step<()> {
    let path = s.path;
    let name = &s.pkg.name;
    if status.dirty() > 0 {
        return Err(s.refuse(
            format!(
                "Package {name} ({path}) has {} and would be checked out at {}",
                plural(status.dirty(), "uncommitted change", "uncommitted changes"),
                short_hash(new)
            ),
            format!(
                "commit or stash the changes (`git -C {path} stash`), then run `release-tool update {name}` again"
            ),
        ));
    }
    if let Some(b) = status.branch.as_deref()
        && b != branch
    {
        return Err(s.refuse(
            format!(
                "Package {name} ({path}) is on branch `{b}`, but its submodule follows `{branch}`"
            ),
            format!(
                "switch it with `git -C {path} switch {branch}`, or set the branch it follows in .gitmodules"
            ),
        ));
    }
    Ok(())
}

/// The commit to move to: on a real run, the branch fetched into
/// `refs/remotes/<remote>/<branch>` (the ref `git submodule update --remote` reads); on a dry
/// run, `new` as `ls-remote` gave it. Up to date when the fetched head is the pointer.
fn fetched_head(
    s: &Surveyed,
    sm: &Submodule,
    branch: &str,
    url: &str,
    old: &str,
    new: String,
    dry_run: bool,
) -> Step<String> {
    if dry_run {
        return Ok(new);
    }
    let remote = s.remote;
    if let Err(e) = s.git.fetch_branch(remote, branch) {
        return Err(s.unreachable(branch, &e));
    }
    match s.git.resolve(&format!("refs/remotes/{remote}/{branch}")) {
        // The remote may have moved since `ls-remote`: the fetched head wins.
        Ok(Some(fetched)) if fetched == old => Err(Inspected::Up(fetched)),
        Ok(Some(fetched)) => Ok(fetched),
        Ok(None) => Err(s.not_found(sm, branch, url)),
        Err(e) => Err(s.git_error(&e)),
    }
}

/// How the work tree gets from `head` to `new`, refusing local commits the remote does not
/// have, a diverged branch, and commits on a detached HEAD that no ref holds.
fn checkout_for(
    s: &Surveyed,
    status: &RepoStatus,
    head: &str,
    new: &str,
    branch: &str,
    known: bool,
) -> Step<Checkout> {
    let (path, remote, name) = (s.path, s.remote, &s.pkg.name);
    let git = &s.git;
    if head == new {
        return Ok(Checkout::None);
    }
    if status.branch.is_some() {
        if known {
            let ahead = match (git.is_ancestor(head, new), git.is_ancestor(new, head)) {
                (Ok(behind), Ok(ahead)) => (behind, ahead),
                (Err(e), _) | (_, Err(e)) => return Err(s.git_error(&e)),
            };
            match ahead {
                (true, _) => {}
                (false, true) => {
                    let n = git.count_commits(Some(new), head).unwrap_or(0);
                    return Err(s.refuse(
                        format!(
                            "Package {name} ({path}) has {} on `{branch}` that `{remote}` does not have",
                            plural(n as usize, "commit", "commits")
                        ),
                        format!("push them first: `git -C {path} push {remote} {branch}`"),
                    ));
                }
                (false, false) => {
                    return Err(s.refuse(
                        format!(
                            "Package {name} ({path}): `{branch}` has diverged from `{remote}/{branch}`"
                        ),
                        format!(
                            "bring them together with `git -C {path} pull --rebase {remote} {branch}` and push, then run update again"
                        ),
                    ));
                }
            }
        }
        return Ok(Checkout::FastForward);
    }
    if known && !head.is_empty() {
        let safe = git.is_ancestor(head, new).and_then(|behind| {
            if behind {
                Ok(true)
            } else {
                git.is_on_any_ref(head)
            }
        });
        match safe {
            Ok(true) => {}
            Ok(false) => {
                return Err(s.refuse(
                    format!(
                        "Package {name} ({path}) is on a detached HEAD at {} with commits no branch or tag holds",
                        short_hash(head)
                    ),
                    format!("keep them on a branch first: `git -C {path} switch -c NAME`"),
                ));
            }
            Err(e) => return Err(s.git_error(&e)),
        }
    }
    Ok(Checkout::Detach)
}

/// The commits in `old..new` (newest first) and, when there are none, how many `new` is
/// behind `old`; unknown when either commit is not here.
fn commits_between(git: &Git, known: bool, old: &str, new: &str) -> (Option<Vec<Commit>>, u32) {
    if known && git.resolve(old).ok().flatten().is_some() {
        let commits = git.log(Some(old), new).ok();
        let back = if commits.as_ref().is_some_and(Vec::is_empty) {
            git.count_commits(Some(new), old).unwrap_or(0)
        } else {
            0
        };
        (commits, back)
    } else {
        (None, 0)
    }
}

/// The root commit message: a line per moved package and its commit subjects.
pub fn commit_message(moves: &[Move]) -> String {
    let mut message = String::from("chore: update submodules\n\n");
    for m in moves {
        let _ = writeln!(
            message,
            "- {} {} → {}",
            m.package,
            short_hash(&m.old),
            short_hash(&m.new)
        );
        for c in m.commits.iter().flatten() {
            let _ = writeln!(message, "  - {}", c.subject);
        }
    }
    message.trim_end().to_owned()
}

/// The steps that move the packages' work trees (run in the root, one package at a time).
pub fn checkout_plan(root: &Path, moves: &[Move]) -> Plan {
    let mut plan = Plan::new(root);
    for m in moves {
        let mut args: Vec<String> = Vec::new();
        if m.local_url {
            args.extend(["-c".into(), "protocol.file.allow=always".into()]);
        }
        // Make git follow the branch surveyed, even when `.gitmodules` leaves it unset.
        args.extend([
            "-c".into(),
            format!("submodule.{}.branch={}", m.submodule, m.branch),
        ]);
        let mode = match m.checkout {
            Checkout::None => continue,
            Checkout::FastForward => {
                args.extend(["-c".into(), "merge.ff=only".into()]);
                "--merge"
            }
            Checkout::Detach => "--checkout",
        };
        args.extend(
            [
                "submodule",
                "update",
                "--quiet",
                "--remote",
                "--no-fetch",
                mode,
                "--",
                &m.path,
            ]
            .map(str::to_owned),
        );
        plan.git(Some(&m.package), root, args);
    }
    plan
}

/// The steps that record the new pointers: `git add` of the moved paths, then (with `commit`)
/// a root commit of only those paths.
pub fn record_plan(root: &Path, moves: &[Move], commit: bool) -> Plan {
    let mut plan = Plan::new(root);
    if moves.is_empty() {
        return plan;
    }
    let paths: Vec<String> = moves.iter().map(|m| m.path.clone()).collect();
    let mut add = vec!["add".to_owned(), "--".to_owned()];
    add.extend(paths.iter().cloned());
    plan.git(None, root, add);
    if commit {
        let mut args = vec![
            "commit".to_owned(),
            "--quiet".to_owned(),
            "-m".to_owned(),
            commit_message(moves),
            "--only".to_owned(),
            "--".to_owned(),
        ];
        args.extend(paths);
        plan.git(None, root, args);
    }
    plan
}

/// After the checkouts: every moved package must be at its new commit.
pub fn verify(root: &Path, moves: &[Move]) -> Result<()> {
    for m in moves {
        let head = Git::new(root.join(&m.path)).rev_parse("HEAD")?;
        if head != m.new {
            return Err(UserError::failure(format!(
                "Package {} ({}): `git submodule update` left it at {}, not at {} ({} on the remote)",
                m.package,
                m.path,
                short_hash(&head),
                short_hash(&m.new),
                m.branch
            ))
            .with_hint(format!(
                "nothing was committed in the root; check `git -C {} status` and the submodule's settings in .git/config",
                m.path
            ))
            .into());
        }
    }
    Ok(())
}

/// One package in `update --json`.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct UpdateRow {
    pub package: String,
    pub path: String,
    /// "updated", "up-to-date", "refused" or "skipped".
    #[schemars(with = "String")]
    pub status: &'static str,
    pub old: Option<String>,
    pub new: Option<String>,
    /// Subjects of the commits between old and new, newest first.
    pub commits: Vec<String>,
    pub problem: Option<String>,
}

/// The `update --json` document.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct UpdateReport {
    pub root: String,
    pub packages: Vec<UpdateRow>,
    /// The root commit made, if any.
    pub commit: Option<String>,
}

impl UpdateReport {
    /// The report of a survey, rows sorted by package name.
    pub fn new(root: &Path, survey: &Survey, commit: Option<String>) -> Self {
        let mut packages: Vec<UpdateRow> = Vec::new();
        for m in &survey.moves {
            packages.push(UpdateRow {
                package: m.package.clone(),
                path: m.path.clone(),
                status: "updated",
                old: Some(m.old.clone()),
                new: Some(m.new.clone()),
                commits: m
                    .commits
                    .iter()
                    .flatten()
                    .map(|c| c.subject.clone())
                    .collect(),
                problem: None,
            });
        }
        for (name, path, hash) in &survey.up_to_date {
            packages.push(UpdateRow {
                package: name.clone(),
                path: path.clone(),
                status: "up-to-date",
                old: Some(hash.clone()),
                new: Some(hash.clone()),
                commits: Vec::new(),
                problem: None,
            });
        }
        for (status, list) in [("refused", &survey.refused), ("skipped", &survey.skipped)] {
            for r in list {
                packages.push(UpdateRow {
                    package: r.package.clone(),
                    path: r.path.clone(),
                    status,
                    old: None,
                    new: None,
                    commits: Vec::new(),
                    problem: Some(r.message.clone()),
                });
            }
        }
        packages.sort_by(|a, b| {
            crate::python::pyproject::normalize_name(&a.package)
                .cmp(&crate::python::pyproject::normalize_name(&b.package))
        });
        Self {
            root: root.display().to_string(),
            packages,
            commit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mv(name: &str, subjects: &[&str]) -> Move {
        Move {
            package: name.to_owned(),
            path: format!("packages/{name}"),
            submodule: format!("packages/{name}"),
            branch: "main".to_owned(),
            old: "1111111aaaa".to_owned(),
            new: "2222222bbbb".to_owned(),
            checkout: Checkout::FastForward,
            commits: Some(
                subjects
                    .iter()
                    .map(|s| Commit {
                        hash: String::new(),
                        author: String::new(),
                        subject: (*s).to_owned(),
                        body: String::new(),
                    })
                    .collect(),
            ),
            back: 0,
            local_url: false,
        }
    }

    #[test]
    fn message_lists_moves_and_subjects() {
        let msg = commit_message(&[mv("core-utils", &["feat: b", "fix: a"]), mv("x", &[])]);
        assert_eq!(
            msg,
            "chore: update submodules\n\n- core-utils 1111111 → 2222222\n  - feat: b\n  - fix: a\n- x 1111111 → 2222222"
        );
    }

    #[test]
    fn plans_only_move_what_needs_moving() {
        let mut a = mv("a", &["feat: x"]);
        a.local_url = true;
        let mut b = mv("b", &[]);
        b.checkout = Checkout::None;
        let mut c = mv("c", &[]);
        c.checkout = Checkout::Detach;
        let moves = [a, b, c];
        let json = checkout_plan(Path::new("/r"), &moves).to_json();
        let details: Vec<&str> = json.iter().map(|s| s.detail.as_str()).collect();
        assert_eq!(
            details,
            [
                "git -C . -c protocol.file.allow=always -c submodule.packages/a.branch=main -c merge.ff=only submodule update --quiet --remote --no-fetch --merge -- packages/a",
                "git -C . -c submodule.packages/c.branch=main submodule update --quiet --remote --no-fetch --checkout -- packages/c",
            ]
        );
        let record = record_plan(Path::new("/r"), &moves, true).to_json();
        assert_eq!(record.len(), 2);
        assert_eq!(
            record[0].detail,
            "git -C . add -- packages/a packages/b packages/c"
        );
        assert!(
            record[1]
                .detail
                .ends_with("--only -- packages/a packages/b packages/c"),
            "{}",
            record[1].detail
        );
        assert_eq!(record_plan(Path::new("/r"), &moves, false).steps.len(), 1);
        assert!(record_plan(Path::new("/r"), &[], true).is_empty());
    }

    #[test]
    fn local_urls() {
        for url in ["file:///x/y.git", "/srv/git/x.git", "../x.git", "./x"] {
            assert!(is_local_url(url), "{url}");
        }
        for url in [
            "https://github.com/o/r.git",
            "git@github.com:o/r.git",
            "ssh://h/r",
        ] {
            assert!(!is_local_url(url), "{url}");
        }
    }
}
