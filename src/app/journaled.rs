//! The journaled run (docs/reference.md §4): plan (or resume) a command, then print the plan (`--dry-run`)
//! or run it with the executor, the journal recording every step, and report what happened.
//!
//! [`Run::run`] is the whole of it; its parts have names of their own: the workspace lock,
//! [`Run::resume`] (read the journal), [`Run::open_journal`] (resume or plan afresh),
//! [`Run::run_journal`] (the dry-run rendering, or the executor with the forge client and uv,
//! then [`report_events`], the failures and the closing table [`print_release_summary`]).

use anyhow::Result;

use crate::app::{Settings, run_lock};
use crate::core::error::ExitKind;
use crate::core::ui::{self, Cell};
use crate::forge::{self, ForgeAction};
use crate::plan::executor::{self, Outcome, Report};
use crate::plan::journal::{self, Journal, RunLock, Status};
use crate::plan::{Guard, PlanJson, StepJson, StepKind, StepOutcome};
use crate::python::uv::Uv;
use crate::release::Planned;
use crate::workspace::Workspace;

/// A journaled run of one command.
pub struct Run<'a> {
    pub ws: &'a Workspace,
    pub settings: &'a Settings,
    /// How the run is named: `release-tool <command>` runs it again (the journal, the lock).
    pub command: String,
    /// The typed request, serialised: the journal's key (see [`journal::resume_for`]).
    pub request: Option<serde_json::Value>,
    /// Fail (exit 2) instead of skipping forge steps when no forge token is set.
    pub require_forge: bool,
}

impl Run<'_> {
    /// Plan (or resume) the command, then print it (`--dry-run`) or run it with the journal.
    /// `build` plans afresh; it is not called when an unfinished run of the same request is
    /// resumed from the journal.
    ///
    /// `leading`: steps planned before this one and shown with it by `--dry-run --json` (the
    /// `--sync` steps of `tag`), so that the output stays one JSON document. `held`: the
    /// workspace lock when the caller took it already (`tag --sync` takes it before its sync
    /// steps); otherwise the run takes it.
    pub fn run(
        &self,
        leading: &[StepJson],
        held: Option<RunLock>,
        build: impl FnOnce() -> Result<Planned>,
    ) -> Result<ExitKind> {
        self.check_forge()?;
        // One run at a time per workspace: a second one refuses before it reads the journal or
        // plans anything.
        let _lock = match held {
            Some(lock) => Some(lock),
            None => run_lock(self.ws, self.settings, &self.command)?,
        };
        let resume = self.resume()?;
        self.run_resumed(resume, leading, build)
    }

    /// [`Run::run`] once the caller holds the lock (or runs dry) and has read the journal
    /// (`resume`): `tag --sync` syncs in between.
    pub fn run_resumed(
        &self,
        resume: journal::Resume,
        leading: &[StepJson],
        build: impl FnOnce() -> Result<Planned>,
    ) -> Result<ExitKind> {
        self.check_forge()?;
        let mut timings = ui::Timings::start();
        let journal = self.open_journal(resume, build)?;
        timings.phase("plan");
        if !self.settings.dry_run {
            return self.run_journal(journal, leading);
        }
        // `-v`: what the dry run planned and how long it took.
        let steps = journal.plan.steps.len();
        let packages = journal.packages.len();
        let kind = self.run_journal(journal, leading)?;
        timings.phase("render");
        if steps > 0 {
            timings.report(
                &format!("Planned {}", crate::core::text::count(packages, "package")),
                &crate::core::text::count(steps, "step"),
            );
        }
        Ok(kind)
    }

    /// `--require-forge`: a usage error, before anything changes, when no forge token is set;
    /// and always a usage error when the token's variable holds something that is no token
    /// (a line break inside), before the first step rather than after the pushes.
    fn check_forge(&self) -> Result<()> {
        let env = |k: &str| std::env::var(k).ok();
        if self.require_forge {
            forge::require(&self.ws.config.forge, &env)?;
        } else {
            forge::check_token(&self.ws.config.forge, &env)?;
        }
        Ok(())
    }

    /// Print the journal's plan (`--dry-run`) or run what is left of it, and report.
    pub fn run_journal(&self, journal: Journal, leading: &[StepJson]) -> Result<ExitKind> {
        if journal.plan.is_empty() {
            if self.settings.json {
                // Still the JSON promised: an empty plan (`--dry-run`) or no package released.
                if self.settings.dry_run {
                    ui::print_json(&PlanJson::dry_run(leading.to_vec()))?;
                } else {
                    ui::print_json(&RunJson::default())?;
                }
            }
            ui::note("Nothing to do");
            return Ok(ExitKind::Success);
        }
        let forge_reason =
            forge::unavailable_reason(&self.ws.config.forge, &|k: &str| std::env::var(k).ok());
        if self.settings.dry_run {
            // What the real run refuses (the executor checks again), the dry run refuses too.
            journal.plan.refuse_links(&journal.completed())?;
            self.print_dry_run(&journal, leading, forge_reason.as_deref())?;
            return Ok(ExitKind::Success);
        }
        let (journal, report) = self.execute(journal, forge_reason)?;
        record_owed_releases(self.ws, &journal);
        report_events(self.ws, &journal, &report);
        if self.settings.json {
            // From the journal, so that a resumed run reports what the whole run did, like a
            // fresh one; also when a step failed (each step says how far it got).
            ui::print_json(&RunJson::new(self.ws, &journal, &report))?;
        } else {
            print_release_summary(&journal, Some(&report));
        }
        if !report.ok() {
            self.report_failures(&report);
            return Ok(ExitKind::Failure);
        }
        ui::summary(
            &format!(
                "Done: {} run{}",
                crate::core::text::count(report.ran(), "step"),
                if journal.finished {
                    ""
                } else {
                    " (unfinished)"
                }
            ),
            false,
        );
        Ok(ExitKind::Success)
    }

    /// The root's journal read for this run: an unfinished run of the same request to
    /// continue, or none (an unfinished run of another command is an error).
    pub fn resume(&self) -> Result<journal::Resume> {
        journal::resume_for(&self.ws.root, &self.command, self.request.as_ref())
    }

    /// The journal to run: the unfinished one of the same request, or a fresh one for the plan
    /// `build` makes (its skipped packages and notes said first).
    pub fn open_journal(
        &self,
        resume: journal::Resume,
        build: impl FnOnce() -> Result<Planned>,
    ) -> Result<Journal> {
        match resume {
            journal::Resume::Continue(j) => {
                self.check_resumed_pushes(&j)?;
                ui::note(&format!(
                    "Resuming `release-tool {}`: {} of {} steps were done (journal {})",
                    self.command,
                    j.completed().len(),
                    j.steps.len(),
                    Journal::path(&self.ws.root).display()
                ));
                Ok(*j)
            }
            journal::Resume::Fresh => {
                let planned = build()?;
                for s in &planned.skipped {
                    ui::note(&format!("{}: skipped, {}", s.package, s.reason));
                }
                for n in &planned.notes {
                    ui::note(&format!("note: {n}"));
                }
                Ok(self.journal(planned))
            }
        }
    }

    /// Before a resumed run pushes: the branches it pushes still hold what it made. A user
    /// who reset a package meanwhile (`git reset --hard origin/main`) took its release commits
    /// off the branch: the pending push would put the tag on a commit the branch does not have
    /// (or the run would tag a commit it did not make). Refused, naming the package, before any
    /// step; the run is kept. One check per repository with a pending push, in parallel.
    fn check_resumed_pushes(&self, journal: &Journal) -> Result<()> {
        use std::collections::BTreeMap;
        // Per repository: the HEADs its done commits started from, and its pending pushes.
        let mut repos: BTreeMap<&std::path::Path, ResumedRepo<'_>> = BTreeMap::new();
        for (step, state) in journal.plan.steps.iter().zip(&journal.steps) {
            let (StepKind::Git { dir, .. } | StepKind::GitInput { dir, .. }) = &step.kind else {
                continue;
            };
            let entry = repos
                .entry(dir.as_path())
                .or_insert_with(|| (step.package.as_deref(), Vec::new(), Vec::new()));
            match &step.guard {
                Guard::Commit { .. } if state.status == Status::Done => {
                    entry.1.extend(state.head_before.as_deref());
                }
                Guard::Import { from, .. } if state.status == Status::Done => {
                    entry.1.push(from);
                }
                Guard::Push { refs, .. } if !state.status.is_complete() => entry.2.push(refs),
                _ => {}
            }
        }
        let repos: Vec<_> = repos
            .into_iter()
            .filter(|(_, (_, _, pushes))| !pushes.is_empty())
            .collect();
        let found = crate::core::parallel::map(&repos, self.settings.jobs, |(dir, repo)| {
            moved_off_the_run(dir, &repo.1, &repo.2)
        });
        let problems: Vec<String> = repos
            .iter()
            .zip(found)
            .flat_map(|((dir, (package, _, _)), found)| {
                let who = match package {
                    Some(name) => format!("{name} ({})", self.ws.rel(dir)),
                    None => "the root".to_owned(),
                };
                found.into_iter().map(move |p| format!("{who}: {p}"))
            })
            .collect();
        if problems.is_empty() {
            return Ok(());
        }
        Err(crate::core::error::UserError::failure(format!(
            "Cannot resume `release-tool {}`; nothing was changed:\n  {}",
            self.command,
            problems.join("\n  ")
        ))
        .with_hint(
            "bring the run's commits back onto the branch (`git reflog` in the package lists them; `git reset --hard <commit>`) and run the same command again, or abandon the run with `release-tool abort` (it shows what the run did) and release again",
        )
        .into())
    }

    /// A fresh journal for a planned run of this request.
    pub fn journal(&self, planned: Planned) -> Journal {
        let mut journal = Journal::new(self.command.clone(), planned.plan);
        journal.request.clone_from(&self.request);
        journal.packages = planned.packages;
        journal
    }

    /// `--dry-run`: the steps a real run would still run (a resumed run skips the completed
    /// ones), as text or JSON, and what becomes of the forge steps.
    fn print_dry_run(
        &self,
        journal: &Journal,
        leading: &[StepJson],
        forge_reason: Option<&str>,
    ) -> Result<()> {
        let plan = &journal.plan;
        let done = journal.completed();
        if self.settings.json {
            // As many steps as the count below.
            let remaining: Vec<_> = leading
                .iter()
                .cloned()
                .chain(
                    plan.to_json()
                        .into_iter()
                        .enumerate()
                        .filter(|(i, _)| !done.contains(i))
                        .map(|(_, s)| s),
                )
                .collect();
            ui::print_json(&PlanJson::dry_run(remaining))?;
        } else {
            ui::print_text(&plan.render_marked(&done));
        }
        if has_forge_steps(journal) {
            match forge_reason {
                Some(reason) => ui::note(&format!("note: forge steps will be skipped: {reason}")),
                None => ui::note(
                    "note: forge calls send the token from the environment; it is never shown",
                ),
            }
        }
        ui::note(&format!(
            "Dry run: {} planned, nothing changed",
            crate::core::text::count(plan.steps.len() - done.len(), "step")
        ));
        Ok(())
    }

    /// Run the journal with the executor: the forge client from the configuration (forge steps
    /// skipped, with a warning, when there is none), uv when the plan has uv steps.
    fn execute(&self, journal: Journal, forge_reason: Option<String>) -> Result<(Journal, Report)> {
        let env = |k: &str| std::env::var(k).ok();
        let client = forge::Client::from_config(&self.ws.config.forge, &env)?;
        if has_forge_steps(&journal)
            && let Some(reason) = &forge_reason
        {
            ui::warn(&format!(
                "forge steps will be skipped: {reason} (pass --require-forge to make this an error)"
            ));
        }
        let uv = if journal
            .plan
            .steps
            .iter()
            .any(|s| matches!(s.kind, StepKind::Uv { .. } | StepKind::ProveLock { .. }))
        {
            Some(Uv::find()?.quiet(self.settings.quiet))
        } else {
            None
        };
        let engine = journal_engine(&journal)?;
        executor::execute(
            journal,
            &executor::Options {
                uv: uv.as_ref(),
                engine: engine.as_ref(),
                jobs: self.settings.jobs,
                forge: client.as_ref(),
                forge_unavailable: forge_reason,
                write_journal: true,
                ..executor::Options::default()
            },
        )
    }

    /// A failed run: each failure with its hint, the packages that did not start, and how to
    /// go on.
    fn report_failures(&self, report: &Report) {
        for f in &report.failures {
            ui::error(&format!(
                "{}: step `{}` failed: {}",
                f.package, f.step, f.cause
            ));
            if let Some(hint) = &f.hint {
                ui::hint(&format!("{}: {hint}", f.package));
            }
        }
        for (name, waits) in &report.blocked {
            ui::warn(&format!(
                "{name}: not started: waits for {}",
                waits.join(", ")
            ));
        }
        ui::hint(&format!(
            "{}; the journal {} keeps what is done, nothing is repeated",
            journal::ways_forward(&self.command),
            Journal::path(&self.ws.root).display()
        ));
    }
}

/// The container engine of the plan's engine steps (`release --image`: the engine found while
/// planning, found again on this machine), when it has any.
fn journal_engine(journal: &Journal) -> Result<Option<crate::engine::Engine>> {
    let name = journal.plan.steps.iter().find_map(|s| match &s.kind {
        StepKind::Engine { engine, .. } => Some(engine.as_str()),
        _ => None,
    });
    let Some(name) = name else { return Ok(None) };
    let choice = crate::engine::EngineKind::from_name(name).map_or(
        crate::engine::EngineChoice::Auto,
        crate::engine::EngineKind::choice,
    );
    Ok(Some(crate::engine::Engine::find(choice)?))
}

/// The forge releases this run skipped (no token) are owed, those it made (or found) are not
/// any more: `.release_tool/forge-owed.json`, written once at the end of the run and only when
/// it changes ([`forge::owed`]). A later `release --push` makes the owed ones.
fn record_owed_releases(ws: &Workspace, journal: &Journal) {
    let (mut skipped, mut done) = (Vec::new(), Vec::new());
    for (step, state) in journal.plan.steps.iter().zip(&journal.steps) {
        if let (Some(package), StepKind::Forge { call }) = (&step.package, &step.kind)
            && let ForgeAction::CreateRelease { tag, .. } = &call.action
        {
            let owed = forge::owed::OwedRelease {
                package: package.clone(),
                tag: tag.clone(),
            };
            match state.status {
                Status::Skipped => skipped.push(owed),
                Status::Done => done.push(owed),
                _ => {}
            }
        }
    }
    if skipped.is_empty() && done.is_empty() {
        return;
    }
    if let Err(e) = forge::owed::Owed::update(&ws.root, &skipped, &done) {
        ui::warn(&format!(
            "could not record the forge releases still to make in {}: {e}",
            forge::owed::Owed::path(&ws.root).display()
        ));
    } else if !skipped.is_empty() {
        ui::note(&format!(
            "{} skipped for lack of a token {} owed: a later `release-tool release --push` with a token makes {}",
            crate::core::text::count(skipped.len(), "forge release"),
            if skipped.len() == 1 { "is" } else { "are" },
            if skipped.len() == 1 { "it" } else { "them" }
        ));
    }
}

fn has_forge_steps(journal: &Journal) -> bool {
    journal
        .plan
        .steps
        .iter()
        .any(|s| matches!(s.kind, StepKind::Forge { .. }))
}

/// What the steps said as they ran: skipped steps (with the pull request to open by hand),
/// notes (a forge release's URL), with `-v` the steps found already done.
pub fn report_events(ws: &Workspace, journal: &Journal, report: &Report) {
    for e in &report.events {
        match &e.outcome {
            Outcome::Skipped(reason) => {
                ui::note(&format!("{}: skipped {}: {reason}", e.package, e.step));
                if let StepKind::Forge { call } = &journal.plan.steps[e.index].kind
                    && let ForgeAction::OpenPullRequest { head, base, .. } = &call.action
                    && let Some(pkg) = ws.package(&e.package)
                {
                    ui::note(&crate::release::open_by_hand(ws, pkg, base, head));
                }
            }
            Outcome::Ran(Some(note)) => ui::note(&format!("{}: {}: {note}", e.package, e.step)),
            Outcome::AlreadyDone(why) if ui::verbosity() > 0 => {
                ui::note(&format!("{}: {} (already done: {why})", e.package, e.step));
            }
            _ => {}
        }
    }
}

/// The closing table of a release stage, on stdout: one row per package of the run, with its
/// version change, tag, next development version and what became of it.
pub fn print_release_summary(journal: &Journal, report: Option<&Report>) {
    if journal.packages.is_empty() {
        return;
    }
    let rows = release_summary_rows(journal, report);
    ui::print_table(&SUMMARY_HEADERS, rows);
}

/// The headers of [`print_release_summary`].
pub const SUMMARY_HEADERS: [&str; 5] = ["package", "version", "tag", "next", "result"];

/// The rows of [`print_release_summary`].
pub fn release_summary_rows(journal: &Journal, report: Option<&Report>) -> Vec<Vec<Cell>> {
    journal
        .packages
        .iter()
        .map(|p| {
            let version = if p.from == p.version {
                p.version.to_string()
            } else {
                format!("{} → {}", p.from, p.version)
            };
            let failed = report.and_then(|r| r.failures.iter().find(|f| f.package == p.package));
            let blocked = report.and_then(|r| r.blocked.iter().find(|(n, _)| *n == p.package));
            let result = if let Some(f) = failed {
                Cell::error(format!("failed at `{}`", f.step))
            } else if let Some((_, waits)) = blocked {
                Cell::warning(format!("not started: waits for {}", waits.join(", ")))
            } else {
                Cell::plain(package_result(journal, &p.package))
            };
            let dash = || "-".to_owned();
            vec![
                Cell::strong(p.package.clone()),
                Cell::plain(version),
                Cell::plain(p.tag.clone().unwrap_or_else(dash)),
                Cell::plain(p.next.as_ref().map_or_else(dash, ToString::to_string)),
                result,
            ]
        })
        .collect()
}

/// What became of a package that did not fail: pushed or local only, and its forge steps.
fn package_result(journal: &Journal, package: &str) -> String {
    let mut done = Vec::new();
    let steps = journal
        .plan
        .steps
        .iter()
        .zip(&journal.steps)
        .filter(|(s, _)| s.package.as_deref() == Some(package));
    // Packages of one shared unit (in-tree packages) are pushed by its one push.
    let unit = journal.plan.shared.get(package);
    let mut pushed = unit.is_some()
        && journal
            .plan
            .steps
            .iter()
            .zip(&journal.steps)
            .any(|(s, state)| {
                matches!(s.guard, Guard::Push { .. })
                    && state.status == Status::Done
                    && s.package.as_ref().and_then(|p| journal.plan.shared.get(p)) == unit
            });
    for (step, state) in steps {
        match (&step.guard, &step.kind, state.status) {
            (Guard::Push { .. }, _, Status::Done) => pushed = true,
            (_, StepKind::Forge { call }, status) => {
                let what = match call.action {
                    ForgeAction::CreateRelease { .. } => "forge release",
                    ForgeAction::OpenPullRequest { .. } => "pull request",
                    ForgeAction::UploadAssets { .. } => "release assets",
                };
                done.push(match status {
                    Status::Done => what.to_owned(),
                    _ => format!("{what} skipped"),
                });
            }
            _ => {}
        }
    }
    done.insert(0, if pushed { "pushed" } else { "local only" }.to_owned());
    done.join(", ")
}

/// A repository of a resumed run: its package (`None`: the root), the HEADs its done commits
/// started from, its pending pushes (full ref names).
type ResumedRepo<'a> = (Option<&'a str>, Vec<&'a str>, Vec<&'a [String]>);

/// What keeps a resumed run from pushing in `dir`: a tag of a pending push that is not on the
/// branch pushed with it, or a commit the run made that the branch no longer has (its HEAD
/// before the commit is the branch's tip again, or not under it at all).
fn moved_off_the_run(dir: &std::path::Path, heads: &[&str], pushes: &[&[String]]) -> Vec<String> {
    use crate::git::{Git, short_hash};
    let git = Git::new(dir);
    let mut problems = Vec::new();
    for refs in pushes {
        let branches: Vec<&str> = refs
            .iter()
            .filter_map(|r| r.strip_prefix("refs/heads/"))
            .collect();
        for branch in &branches {
            let Ok(Some(tip)) = git.resolve(&format!("refs/heads/{branch}")) else {
                problems.push(format!(
                    "branch {branch}, which the run pushes, is gone; check it out again"
                ));
                continue;
            };
            for head in heads {
                let under = git.is_ancestor(head, &tip).unwrap_or(false);
                if !under || *head == tip {
                    problems.push(format!(
                        "the commit the run made on top of {} is not on branch {branch} any more ({branch} is at {}: reset or moved since the run stopped)",
                        short_hash(head),
                        short_hash(&tip)
                    ));
                    break;
                }
            }
            for tag in refs.iter().filter_map(|r| r.strip_prefix("refs/tags/")) {
                let Ok(Some(commit)) = git.resolve(&format!("refs/tags/{tag}^{{commit}}")) else {
                    continue;
                };
                if !git.is_ancestor(&commit, &tip).unwrap_or(false) {
                    problems.push(format!(
                        "tag {tag} is on commit {}, which branch {branch} does not have: pushing both would put the tag on a commit off {branch}",
                        short_hash(&commit)
                    ));
                }
            }
        }
    }
    problems.dedup();
    problems
}

/// The `--json` document of a journaled run (`prepare`, `tag`, `next`, `release`): every step
/// of the plan with what became of it, and what the run made of each package and of the product
/// (docs/commands.md, "JSON output"). Taken from the journal and the executor's report, so a
/// resumed run reports the whole run, like a fresh one.
#[derive(Debug, Default, serde::Serialize, schemars::JsonSchema)]
pub struct RunJson {
    /// Always `false`: a dry run prints its plan ([`PlanJson`]).
    pub dry_run: bool,
    /// Whether every step of the run is done (`false` after a failure: the same command
    /// resumes it).
    pub finished: bool,
    /// The plan's steps, each with its `state`.
    pub steps: Vec<StepJson>,
    /// The packages of the run, in the order of the closing table.
    pub packages: Vec<PackageJson>,
    /// The product (the root project), when the run tags it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<ProductJson>,
}

/// One package of a journaled run: its release (the fields of the closing table) and what the
/// run made of it.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct PackageJson {
    pub package: String,
    /// The version before the run.
    pub from: String,
    /// The version released (or prepared).
    pub version: String,
    /// The tag this stage makes (or finds) for the version.
    pub tag: Option<String>,
    /// The next development version (`release`, `next`).
    pub next: Option<String>,
    pub prerelease: bool,
    /// The commit the run left the package's branch at, when the run committed in it.
    pub commit: Option<String>,
    /// The refs pushed (`refs/heads/main`, `refs/tags/v0.2.0`), by this run or the run it
    /// resumed.
    pub pushed: Vec<String>,
    /// The package's forge release, when the run has a step for it.
    pub forge_release: Option<ForgeJson>,
    /// The package's pull request (`prepare --push`), when the run has a step for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pull_request: Option<ForgeJson>,
    /// The files attached to the forge release (by name).
    pub assets: Vec<String>,
    /// `done`, `failed` (a step of the package failed) or `not_run` (the run stopped before
    /// the package was done).
    pub result: StepOutcome,
}

/// The product (the root project) in a journaled run.
#[derive(Debug, Default, serde::Serialize, schemars::JsonSchema)]
pub struct ProductJson {
    /// The version tagged (the tag without the product's tag prefix).
    pub version: Option<String>,
    pub tag: Option<String>,
    /// The commit the run left the root's branch at, when the run committed in it.
    pub commit: Option<String>,
    pub pushed: Vec<String>,
    pub forge_release: Option<ForgeJson>,
}

/// A forge release or pull request of a run.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct ForgeJson {
    /// Its web page, when the forge answered.
    pub url: Option<String>,
    /// `created`, `updated` (it existed: updated, or reused for a pull request), `owed` (skipped
    /// for lack of a token: a later `release --push` makes it), `skipped` (another reason),
    /// `none` (not made: the run stopped before it).
    pub action: &'static str,
}

impl RunJson {
    /// The document of a run of `journal` that ended with `report`. One pass over the steps.
    pub fn new(ws: &Workspace, journal: &Journal, report: &Report) -> Self {
        use std::collections::HashMap;
        let plan = &journal.plan;
        let already: std::collections::HashSet<usize> = report
            .events
            .iter()
            .filter(|e| matches!(e.outcome, Outcome::AlreadyDone(_)))
            .map(|e| e.index)
            .collect();
        let mut steps = plan.to_json();
        let mut accs: HashMap<Option<&str>, Acc> = HashMap::new();
        for (i, ((step, state), json)) in plan
            .steps
            .iter()
            .zip(&journal.steps)
            .zip(steps.iter_mut())
            .enumerate()
        {
            let outcome = match state.status {
                Status::Done if already.contains(&i) => StepOutcome::AlreadyDone,
                Status::Done => StepOutcome::Done,
                Status::Skipped => StepOutcome::Skipped,
                Status::Failed | Status::Running => StepOutcome::Failed,
                Status::Pending => StepOutcome::NotRun,
            };
            json.state = Some(outcome);
            json.note.clone_from(if outcome == StepOutcome::Failed {
                &state.error
            } else {
                &state.note
            });
            let acc = accs.entry(step.package.as_deref()).or_default();
            let done = state.status == Status::Done;
            acc.failed |= outcome == StepOutcome::Failed;
            acc.open |= !state.status.is_complete();
            match (&step.guard, &step.kind) {
                (Guard::Commit { .. }, _) if done => acc.committed = true,
                (Guard::Push { refs, .. }, _) if done => acc.pushed.extend(refs.iter().cloned()),
                (Guard::Tag { name, .. }, _) => acc.tag = Some(name.clone()),
                (Guard::Import { tag, .. }, _) => {
                    acc.committed |= done;
                    acc.tag = Some(tag.clone());
                }
                (_, StepKind::Forge { call }) => match &call.action {
                    ForgeAction::CreateRelease { .. } => {
                        acc.forge_release = Some(forge_json(state, true));
                    }
                    ForgeAction::OpenPullRequest { .. } => {
                        acc.pull_request = Some(forge_json(state, false));
                    }
                    ForgeAction::UploadAssets { paths, .. } if done => {
                        acc.assets.extend(paths.iter().filter_map(|p| {
                            p.file_name().map(|n| n.to_string_lossy().into_owned())
                        }));
                    }
                    ForgeAction::UploadAssets { .. } => {}
                },
                _ => {}
            }
        }
        let dir_of = |package: Option<&str>| match package {
            None => Some(ws.root.clone()),
            Some(name) => ws.package(name).map(|p| p.dir.clone()),
        };
        let commit = |package: Option<&str>, acc: &Acc| {
            if !acc.committed {
                return None;
            }
            dir_of(package)
                .and_then(|d| journal.heads.get(&d))
                .map(|at| at.head.clone())
        };
        let packages = journal
            .packages
            .iter()
            .map(|p| {
                let acc = accs.remove(&Some(p.package.as_str())).unwrap_or_default();
                PackageJson {
                    package: p.package.clone(),
                    from: p.from.to_string(),
                    version: p.version.to_string(),
                    tag: p.tag.clone(),
                    next: p.next.as_ref().map(ToString::to_string),
                    prerelease: p.prerelease,
                    commit: commit(Some(&p.package), &acc),
                    result: if acc.failed {
                        StepOutcome::Failed
                    } else if acc.open {
                        StepOutcome::NotRun
                    } else {
                        StepOutcome::Done
                    },
                    pushed: acc.pushed,
                    forge_release: acc.forge_release,
                    pull_request: acc.pull_request,
                    assets: acc.assets,
                }
            })
            .collect();
        let product = accs.remove(&None).and_then(|acc| {
            let tag = acc.tag.clone()?;
            let prefix = &ws.config.product.tag_prefix;
            Some(ProductJson {
                version: tag.strip_prefix(prefix.as_str()).map(str::to_owned),
                commit: commit(None, &acc),
                tag: Some(tag),
                pushed: acc.pushed,
                forge_release: acc.forge_release,
            })
        });
        Self {
            dry_run: false,
            finished: journal.finished,
            steps,
            packages,
            product,
        }
    }
}

/// What a run made of one package (or of the root), gathered in [`RunJson::new`].
#[derive(Default)]
struct Acc {
    committed: bool,
    pushed: Vec<String>,
    forge_release: Option<ForgeJson>,
    pull_request: Option<ForgeJson>,
    assets: Vec<String>,
    tag: Option<String>,
    failed: bool,
    open: bool,
}

/// What became of a forge step, from its journal state: the URL it noted, created or found.
/// A skipped forge release is owed ([`record_owed_releases`]); a skipped pull request is not.
fn forge_json(state: &journal::StepState, owed: bool) -> ForgeJson {
    let note = state.note.as_deref();
    match state.status {
        Status::Done => match note.and_then(|n| n.strip_prefix(executor::FORGE_UPDATED)) {
            Some(url) => ForgeJson {
                url: Some(url.to_owned()),
                action: "updated",
            },
            None => ForgeJson {
                url: note.map(str::to_owned),
                action: "created",
            },
        },
        Status::Skipped => ForgeJson {
            url: None,
            action: if owed { "owed" } else { "skipped" },
        },
        _ => ForgeJson {
            url: None,
            action: "none",
        },
    }
}
