//! The executor: runs a [`Plan`] step by step, records every step in the [`Journal`], and
//! never repeats a step that is already done (docs/reference.md §4).
//!
//! - A plain plan runs in order. A grouped plan runs each package's steps in order, packages in
//!   parallel (`jobs` workers), a package only once every package it waits for is done, and the
//!   root's steps last. A failure stops that package and everything waiting for it; independent
//!   packages finish.
//! - Before running a step it checks whether the step's effect is already there: a file that
//!   already has its new content, a commit made before the process stopped (HEAD moved and has
//!   the message), a tag already on the same commit, refs already on the remote. Those count
//!   as done. A file changed by someone else since the plan was made, or a tag on another
//!   commit, is a failure, not something to overwrite.
//! - Every step kind runs here: files, git, uv, forge calls, container engine steps. A plan
//!   run once with no journal ([`crate::plan::Plan::execute`], `docker`) is a *direct* run:
//!   steps in the plan's order, no probes, no crash points.
//! - For tests, the process can be made to die at a chosen step ([`crash_hook`]), to prove that
//!   the probes above cover every moment a real crash can happen.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use anyhow::{Context as _, Result, anyhow};

use crate::engine::Engine;
use crate::forge::{self, ForgeOutcome};
use crate::git::{self, Git};
use crate::plan::journal::{Journal, RepoAt, Status};
use crate::plan::{Guard, Plan, Step, StepKind};
use crate::python::uv::Uv;

/// How to run.
#[derive(Default)]
pub struct Options<'a> {
    pub uv: Option<&'a Uv>,
    pub jobs: usize,
    /// The forge client; `None` skips forge steps with `forge_unavailable` as the reason.
    pub forge: Option<&'a forge::Client>,
    pub forge_unavailable: Option<String>,
    /// The container engine of engine steps (`docker --build`).
    pub engine: Option<&'a Engine>,
    /// Write the journal after every step (off for commands that keep none).
    pub write_journal: bool,
    /// A plan run once, right after it was made, with no journal to resume ([`Plan::execute`]):
    /// every step runs as planned, in the plan's order, without the probes that make a resumed
    /// run safe (a file's content before, the commit, tag and push guards).
    pub direct: bool,
    /// Capture uv's output ([`Report::uv_outputs`]) instead of streaming it to stderr.
    pub capture_uv: bool,
    /// Hide the container engine's output (`-q`); otherwise each engine step is headed by its
    /// command line and streams its output to stderr.
    pub quiet: bool,
    /// No progress bar (the engine's own output streams instead).
    pub no_progress: bool,
    /// The model of LLM steps (`changes --llm`, `notes --llm`); `None` skips them.
    pub llm: Option<&'a dyn crate::plan::Ask>,
}

/// The note of a forge step whose release (or pull request) was there already, before its URL.
pub const FORGE_UPDATED: &str = "already there, updated: ";

/// A step that failed.
#[derive(Clone, Debug)]
pub struct Failure {
    /// The package, or "root".
    pub package: String,
    /// The step, in one line.
    pub step: String,
    pub cause: String,
    /// What to do about it, when the cause says (a forge error's hint, a file that is not
    /// writable).
    pub hint: Option<String>,
}

/// What happened to one step.
#[derive(Clone, Debug)]
pub struct StepEvent {
    pub index: usize,
    pub package: String,
    pub step: String,
    pub outcome: Outcome,
}

/// How a step ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Ran now; with a note (for example the URL of a forge release).
    Ran(Option<String>),
    /// Its effect was already there (a resumed run, or an earlier run that stopped).
    AlreadyDone(String),
    /// Done in an earlier run, per the journal.
    DoneBefore,
    /// Nothing to do, and why.
    Skipped(String),
}

/// The outcome of a run.
#[derive(Debug, Default)]
pub struct Report {
    pub events: Vec<StepEvent>,
    pub failures: Vec<Failure>,
    /// The error of each failed step, by step index, for a caller that returns it as it is
    /// (its exit kind and hint kept).
    pub errors: Vec<(usize, anyhow::Error)>,
    /// With [`Options::capture_uv`]: the output of each uv step, in order.
    pub uv_outputs: Vec<String>,
    /// Packages (or "root") not started because something they wait for failed, with what.
    pub blocked: Vec<(String, Vec<String>)>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.failures.is_empty() && self.blocked.is_empty()
    }

    /// Steps that ran now.
    pub fn ran(&self) -> usize {
        self.events
            .iter()
            .filter(|e| matches!(e.outcome, Outcome::Ran(_)))
            .count()
    }
}

/// The test-only crash hook: the process kills itself (`SIGKILL`: no destructors, no flush, the
/// lock file left behind) at a chosen step, as a power cut or the OOM killer would.
///
/// - `RELEASE_TOOL_FAIL_AFTER_STEP=N`: once the N-th step is done **and recorded** in the journal.
/// - `RELEASE_TOOL_FAIL_AFTER_EFFECT=N`: once the N-th step has taken effect (the commit is made,
///   the file written, the push or the forge call done) but **before** the journal records it,
///   the window the probes must cover.
///
/// Steps are counted in the order they complete, from 1, across the whole run: the steps an
/// earlier run completed count too (all of them, before the resumed run starts a step; the hook
/// never fires on them), so `N` names the same step in a fresh run and in a resumed one. A skipped step counts;
/// a failed one does not. A direct run ([`Options::direct`]) has no crash points. The variables
/// are read once; an unset, empty or non-numeric value (or 0) turns the hook off. Documented in
/// docs/development.md.
///
/// Compiled into debug builds only (`cfg(debug_assertions)`: the builds `cargo test` runs); a
/// release build has neither the hook nor its variables.
#[cfg(debug_assertions)]
pub mod crash_hook {
    use std::sync::OnceLock;

    /// Die after the N-th step is recorded in the journal.
    pub const AFTER_STEP_ENV: &str = "RELEASE_TOOL_FAIL_AFTER_STEP";
    /// Die after the N-th step took effect, before the journal records it.
    pub const AFTER_EFFECT_ENV: &str = "RELEASE_TOOL_FAIL_AFTER_EFFECT";

    /// Where the hook fires.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Window {
        /// After the journal recorded the step.
        Recorded,
        /// After the effect, before the journal records it.
        Unrecorded,
    }

    fn read(var: &str) -> Option<usize> {
        std::env::var(var)
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|n| *n > 0)
    }

    /// The step (1-based, in completion order) at which each window fires, read once.
    pub(super) fn points() -> (Option<usize>, Option<usize>) {
        static POINTS: OnceLock<(Option<usize>, Option<usize>)> = OnceLock::new();
        *POINTS.get_or_init(|| (read(AFTER_STEP_ENV), read(AFTER_EFFECT_ENV)))
    }

    /// Fire when `window` is set to `count`.
    pub(super) fn check(window: Window, count: usize, headline: &str) {
        let (recorded, unrecorded) = points();
        let at = match window {
            Window::Recorded => recorded,
            Window::Unrecorded => unrecorded,
        };
        if at == Some(count) {
            let var = match window {
                Window::Recorded => AFTER_STEP_ENV,
                Window::Unrecorded => AFTER_EFFECT_ENV,
            };
            eprintln!(
                "release-tool: {var}={count}: killing the process after step {count} ({headline})"
            );
            die();
        }
    }

    #[cfg(unix)]
    fn die() -> ! {
        let _ =
            rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::KILL);
        std::process::abort()
    }

    #[cfg(not(unix))]
    fn die() -> ! {
        std::process::abort()
    }
}

struct Unit {
    name: String,
    steps: Vec<usize>,
    waits: Vec<usize>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum UnitState {
    Waiting,
    Running,
    Done,
    Failed,
    Blocked,
}

fn who(step: &Step) -> String {
    step.package.clone().unwrap_or_else(|| "root".to_owned())
}

fn units(plan: &Plan) -> Vec<Unit> {
    if !plan.grouped {
        return vec![Unit {
            name: plan.steps.first().map_or_else(|| "root".to_owned(), who),
            steps: (0..plan.steps.len()).collect(),
            waits: Vec::new(),
        }];
    }
    let mut units: Vec<Unit> = Vec::new();
    let mut root = Vec::new();
    for (i, step) in plan.steps.iter().enumerate() {
        match &step.package {
            None => root.push(i),
            Some(name) => {
                let name = plan.unit_of(name);
                match units.iter_mut().find(|u| u.name == name) {
                    Some(unit) => unit.steps.push(i),
                    None => units.push(Unit {
                        name: name.to_owned(),
                        steps: vec![i],
                        waits: Vec::new(),
                    }),
                }
            }
        }
    }
    let names: Vec<String> = units.iter().map(|u| u.name.clone()).collect();
    for (package, after) in &plan.after {
        let own = plan.unit_of(package);
        let Some(k) = names.iter().position(|n| n == own) else {
            continue;
        };
        for dep in after {
            let dep = plan.unit_of(dep);
            if let Some(w) = names.iter().position(|n| n == dep)
                && w != k
                && !units[k].waits.contains(&w)
            {
                units[k].waits.push(w);
            }
        }
    }
    break_shared_cycles(plan, &mut units);
    let proofs: Vec<usize> = root
        .iter()
        .copied()
        .filter(|&i| matches!(plan.steps[i].kind, StepKind::ProveLock { .. }))
        .collect();
    if !proofs.is_empty() {
        root.retain(|i| !proofs.contains(i));
        units = gate_publishing(plan, units, proofs);
    }
    if !root.is_empty() {
        let waits = (0..units.len()).collect();
        units.push(Unit {
            name: "root".to_owned(),
            steps: root,
            waits,
        });
    }
    units
}

/// A shared unit ([`Plan::shared`]) holds packages that depend on others' packages and are
/// depended on by them (a submodule package between two in-tree ones): it stops waiting for
/// any unit that waits for it, so it runs first (the bounds are written at planning, the order
/// only decides what a failure blocks).
fn break_shared_cycles(plan: &Plan, units: &mut [Unit]) {
    for k in 0..units.len() {
        if !plan.shared.values().any(|u| *u == units[k].name) {
            continue;
        }
        // Every unit that waits for k, directly or not.
        let mut reaches = vec![false; units.len()];
        let mut todo = vec![k];
        while let Some(t) = todo.pop() {
            for (u, unit) in units.iter().enumerate() {
                if !reaches[u] && unit.waits.contains(&t) {
                    reaches[u] = true;
                    todo.push(u);
                }
            }
        }
        units[k].waits.retain(|&w| !reaches[w]);
    }
}

/// Whether a step makes anything public: a push or a forge call.
fn publishes(step: &Step) -> bool {
    matches!(step.guard, Guard::Push { .. }) || matches!(step.kind, StepKind::Forge { .. })
}

/// A grouped plan with pre-push proofs: each package unit is cut before its first push or
/// forge call; the local parts run first (as they waited before), then the proofs (after every
/// local part), then the publishing parts (each after the proofs, its own local part and the
/// publishing parts of the packages it waited for).
fn gate_publishing(plan: &Plan, units: Vec<Unit>, proofs: Vec<usize>) -> Vec<Unit> {
    let count = units.len();
    let mut heads = Vec::with_capacity(count);
    let mut tails = Vec::new();
    // tail_of[k]: the unit index of package k's publishing part, if it has one.
    let mut tail_of = vec![None; count];
    for (k, unit) in units.into_iter().enumerate() {
        let cut = unit
            .steps
            .iter()
            .position(|&i| publishes(&plan.steps[i]))
            .unwrap_or(unit.steps.len());
        let (local, public) = unit.steps.split_at(cut);
        if !public.is_empty() {
            tail_of[k] = Some(count + 1 + tails.len());
            tails.push(Unit {
                name: unit.name.clone(),
                steps: public.to_vec(),
                waits: unit.waits.clone(),
            });
        }
        heads.push(Unit {
            name: unit.name,
            steps: local.to_vec(),
            waits: unit.waits,
        });
    }
    let proof = Unit {
        name: "the pre-push proof".to_owned(),
        steps: proofs,
        waits: (0..count).collect(),
    };
    for (k, tail) in tail_of.iter().enumerate() {
        let Some(t) = tail else { continue };
        let unit = &mut tails[t - count - 1];
        let deps: Vec<usize> = unit
            .waits
            .iter()
            .map(|&w| tail_of[w].unwrap_or(w))
            .collect();
        unit.waits = deps;
        unit.waits.extend([k, count]);
    }
    let mut out = heads;
    out.push(proof);
    out.extend(tails);
    out
}

/// Run the journal's plan, continuing after the steps it records as complete. The journal is
/// updated (and, with `write_journal`, saved) after every step; it is marked finished when every
/// step is complete.
pub fn execute(mut journal: Journal, opts: &Options<'_>) -> Result<(Journal, Report)> {
    // Before the journal is saved or any step runs: no step writes through a symbolic link.
    journal.plan.refuse_links(&journal.completed())?;
    if !opts.direct {
        record_heads(&mut journal, opts.jobs);
    }
    if opts.write_journal {
        // Before the first step takes effect: a run killed during it must find its journal (and
        // resume it), not a half-changed workspace that no new plan accepts.
        journal.save()?;
    }
    // A journal never run before (made by this process, not read from the disk).
    let fresh = !journal.loaded && journal.steps.iter().all(|s| s.status == Status::Pending);
    let units = units(&journal.plan);
    let plan = journal.plan.clone();
    let shared = Mutex::new((journal, Report::default()));
    let states = Mutex::new(vec![UnitState::Waiting; units.len()]);
    let wake = Condvar::new();
    let workers = opts.jobs.max(1).min(units.len().max(1));
    // Steps complete so far, in completion order (the crash hook counts with it). The steps an
    // earlier run completed are counted at once, before any unit starts: units run in parallel,
    // and counting them as each unit passes them would let a new step of one unit take a number
    // before another unit passed its done steps (the same N would name different steps).
    let remaining = journal_remaining(&shared);
    let completed = AtomicUsize::new(plan.steps.len() - remaining);
    let progress = crate::core::ui::Progress::start(if opts.no_progress { 0 } else { remaining });
    let run_unit = |u: &Unit| -> bool {
        for &i in &u.steps {
            let step = &plan.steps[i];
            let _count = StepDone(
                &progress,
                !shared.lock().expect("journal lock").0.steps[i]
                    .status
                    .is_complete(),
            );
            let prior = shared.lock().expect("journal lock").0.steps[i].clone();
            if prior.status.is_complete() {
                record(&shared, i, &plan, Outcome::DoneBefore, opts);
                continue;
            }
            if opts.direct {
                // A direct run traces each step as it starts, as the command it runs
                // (`git -C dir push`, not `git git -C dir push`).
                tracing::info!("{}: {}", who(step), plan.headline(step));
            }
            match run_step(&plan, step, &prior, i, &shared, opts, fresh) {
                Ok(outcome) => {
                    // The step's number in completion order: the crash hook's (debug builds only).
                    #[cfg_attr(not(debug_assertions), allow(unused_variables))]
                    let count = completed.fetch_add(1, Ordering::SeqCst) + 1;
                    // The crash points are a journaled run's: a direct run has nothing to resume.
                    #[cfg(debug_assertions)]
                    let crash = !opts.direct;
                    #[cfg(debug_assertions)]
                    if crash {
                        crash_hook::check(
                            crash_hook::Window::Unrecorded,
                            count,
                            &plan.headline(step),
                        );
                    }
                    record(&shared, i, &plan, outcome, opts);
                    #[cfg(debug_assertions)]
                    if crash {
                        crash_hook::check(
                            crash_hook::Window::Recorded,
                            count,
                            &plan.headline(step),
                        );
                    }
                }
                Err(e) => {
                    let cause = format!("{e:#}");
                    let mut guard = shared.lock().expect("journal lock");
                    let (journal, report) = &mut *guard;
                    journal.steps[i].status = Status::Failed;
                    journal.steps[i].error = Some(cause.clone());
                    if opts.write_journal {
                        let _ = journal.log_step(i);
                    }
                    report.failures.push(Failure {
                        package: who(step),
                        step: plan.headline(step),
                        cause,
                        hint: crate::core::error::classify(&e).1.or_else(|| io_hint(&e)),
                    });
                    report.errors.push((i, e));
                    return false;
                }
            }
        }
        true
    };
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let next = {
                        let mut st = states.lock().expect("scheduler lock");
                        loop {
                            // Anything waiting for a failed or blocked unit is blocked too.
                            let mut changed = true;
                            while changed {
                                changed = false;
                                for (k, unit) in units.iter().enumerate() {
                                    if st[k] == UnitState::Waiting
                                        && unit.waits.iter().any(|&w| {
                                            matches!(st[w], UnitState::Failed | UnitState::Blocked)
                                        })
                                    {
                                        st[k] = UnitState::Blocked;
                                        changed = true;
                                    }
                                }
                            }
                            if let Some(k) = (0..units.len()).find(|&k| {
                                st[k] == UnitState::Waiting
                                    && units[k].waits.iter().all(|&w| st[w] == UnitState::Done)
                            }) {
                                st[k] = UnitState::Running;
                                break Some(k);
                            }
                            if !st.contains(&UnitState::Running) {
                                break None;
                            }
                            st = wake.wait(st).expect("scheduler lock");
                        }
                    };
                    let Some(k) = next else {
                        wake.notify_all();
                        break;
                    };
                    let ok = run_unit(&units[k]);
                    states.lock().expect("scheduler lock")[k] = if ok {
                        UnitState::Done
                    } else {
                        UnitState::Failed
                    };
                    wake.notify_all();
                }
            });
        }
    });
    let states = states.into_inner().expect("scheduler lock");
    let (mut journal, mut report) = shared.into_inner().expect("journal lock");
    for (k, unit) in units.iter().enumerate() {
        if states[k] == UnitState::Blocked {
            let failed_waits = unit
                .waits
                .iter()
                .filter(|&&w| matches!(states[w], UnitState::Failed | UnitState::Blocked))
                .map(|&w| units[w].name.clone())
                .collect();
            let members: Vec<&String> = plan
                .shared
                .iter()
                .filter(|(_, u)| **u == unit.name)
                .map(|(p, _)| p)
                .collect();
            if members.is_empty() {
                report.blocked.push((unit.name.clone(), failed_waits));
            } else {
                for p in members {
                    report.blocked.push((p.clone(), failed_waits.clone()));
                }
            }
        }
    }
    report.events.sort_by_key(|e| e.index);
    journal.finished = journal.steps.iter().all(|s| s.status.is_complete());
    if opts.write_journal {
        journal.save()?;
    }
    Ok((journal, report))
}

/// Steps not complete yet: what the progress bar counts.
fn journal_remaining(shared: &Mutex<(Journal, Report)>) -> usize {
    let guard = shared.lock().expect("journal lock");
    guard
        .0
        .steps
        .iter()
        .filter(|s| !s.status.is_complete())
        .count()
}

/// One more step of the progress bar when a step that was not complete is over.
struct StepDone<'a>(&'a crate::core::ui::Progress, bool);

impl Drop for StepDone<'_> {
    fn drop(&mut self) {
        if self.1 {
            self.0.inc();
        }
    }
}

fn record(
    shared: &Mutex<(Journal, Report)>,
    index: usize,
    plan: &Plan,
    outcome: Outcome,
    opts: &Options<'_>,
) {
    let step = &plan.steps[index];
    let mut guard = shared.lock().expect("journal lock");
    let (journal, report) = &mut *guard;
    let state = &mut journal.steps[index];
    match &outcome {
        Outcome::Ran(note) => {
            state.status = Status::Done;
            state.note.clone_from(note);
        }
        Outcome::AlreadyDone(note) => {
            state.status = Status::Done;
            state.note = Some(note.clone());
        }
        Outcome::DoneBefore => {}
        Outcome::Skipped(reason) => {
            state.status = Status::Skipped;
            state.note = Some(reason.clone());
        }
    }
    state.error = None;
    if opts.write_journal && outcome != Outcome::DoneBefore {
        let _ = journal.log_step(index);
    }
    let headline = plan.headline(step);
    match &outcome {
        Outcome::Ran(_) if !opts.direct => tracing::info!("{}: {headline}", who(step)),
        Outcome::AlreadyDone(why) => tracing::info!("{}: {headline}: {why}", who(step)),
        _ => {}
    }
    report.events.push(StepEvent {
        index,
        package: who(step),
        step: headline,
        outcome,
    });
}

/// Before a step runs a command (git, uv, a forge call, a container engine): every record the
/// log has so far goes to the disk, in one fsync shared with the steps of other packages that
/// reach this point at the same time. A power cut can then lose only the records of steps
/// that are running (a command's) or that only wrote files since: each of them is found done or
/// not done by its probe, as in the window between a step's effect and its record that the
/// fault matrix kills in. A commit's `head_before` is on the disk before the commit is made.
fn durable(shared: &Mutex<(Journal, Report)>, opts: &Options<'_>) -> Result<()> {
    if !opts.write_journal || opts.direct {
        return Ok(());
    }
    let point = shared.lock().expect("journal lock").0.log_sync_point();
    Journal::sync_log(&point, || {
        shared
            .lock()
            .expect("journal lock")
            .0
            .log_sync_point()
            .written()
    })
}

/// The hint for a step that could not write a file or directory.
fn io_hint(e: &anyhow::Error) -> Option<String> {
    e.chain()
        .filter_map(|c| c.downcast_ref::<std::io::Error>())
        .any(|io| {
            matches!(
                io.kind(),
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
            )
        })
        .then(|| {
            "the path named above is not writable (permissions, a read-only mount or an \
             immutable file): make it writable"
                .to_owned()
        })
}

/// Normalise a commit message the way `git commit -m` cleans it up (whitespace mode).
fn clean_message(message: &str) -> String {
    let mut out = Vec::new();
    for line in message.lines().map(str::trim_end) {
        if line.is_empty() && out.last().is_none_or(|l: &&str| l.is_empty()) {
            continue;
        }
        out.push(line);
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out.join("\n")
}

/// `fresh`: the journal was made by this process and no step of it had started when this run
/// began (nothing of it can have taken effect in an earlier process).
fn run_step(
    plan: &Plan,
    step: &Step,
    prior: &crate::plan::journal::StepState,
    index: usize,
    shared: &Mutex<(Journal, Report)>,
    opts: &Options<'_>,
    fresh: bool,
) -> Result<Outcome> {
    match &step.kind {
        StepKind::WriteFile {
            path,
            before,
            after,
        } => {
            if opts.direct {
                plan.run_file_step(&step.kind)?;
                return Ok(Outcome::Ran(None));
            }
            let current = fs_err::read_to_string(path).ok();
            if current.as_deref() == Some(after.as_str()) {
                return Ok(Outcome::AlreadyDone(
                    "the file already has its new content".into(),
                ));
            }
            if current != *before {
                let what = if before.is_none() {
                    "was created"
                } else if current.is_none() {
                    "was deleted"
                } else {
                    "was changed"
                };
                return Err(crate::core::error::UserError::failure(format!(
                    "{} {what} since the plan was made; refusing to overwrite it",
                    path.display()
                ))
                .with_hint(
                    "to keep that change, run the same command with --replan: what is done is kept and the rest is planned again from the files as they are now; or `release-tool abort` to abandon the run",
                )
                .into());
            }
            plan.run_file_step(&step.kind)?;
            Ok(Outcome::Ran(None))
        }
        StepKind::CreateDir { .. }
        | StepKind::RemoveDir { .. }
        | StepKind::RemoveFile { .. }
        | StepKind::RemoveEmptyDir { .. } => {
            plan.run_file_step(&step.kind)?;
            Ok(Outcome::Ran(None))
        }
        StepKind::GitInput { dir, args, input } => {
            // `fast-import` of the same stream makes the same objects and refs: safe to repeat.
            let git = Git::new(dir);
            if let Guard::Import { branch, from, tag } = &step.guard
                && !opts.direct
            {
                if let Some(done) = import_done(&git, branch, from, tag)? {
                    return Ok(Outcome::AlreadyDone(done));
                }
                require_where_expected(plan, step, shared, &git, None)?;
                import_on_branch(&git, branch)?;
            }
            durable(shared, opts)?;
            if let Err(e) = git.run_with_input(args, input) {
                if let Guard::Import { branch, from, tag } = &step.guard {
                    undo_half_import(&git, branch, from, tag, input);
                }
                return Err(e.into());
            }
            if matches!(step.guard, Guard::Import { .. }) {
                moved_by_run(shared, dir, &git);
            }
            Ok(Outcome::Ran(None))
        }
        StepKind::Git { dir, args } if opts.direct => {
            Git::new(dir).run(args)?;
            Ok(Outcome::Ran(None))
        }
        StepKind::Git { dir, args } => {
            let git = Git::new(dir);
            match &step.guard {
                Guard::Commit { message } => {
                    // One read of HEAD and the branch serves the probe, the check and the
                    // record (in-process when the files tell).
                    let now = repo_at(&git);
                    let head = now.as_ref().map(|n| n.head.clone()).unwrap_or_default();
                    if let Some(before) = &prior.head_before
                        && *before != head
                        && !head.is_empty()
                    {
                        let made = git.run(["log", "-1", "--format=%B", "HEAD"])?;
                        if clean_message(&made) == clean_message(message) {
                            if let Some(now) = now {
                                moved_to(shared, dir, now);
                            }
                            return Ok(Outcome::AlreadyDone(format!(
                                "commit {} was made before the run stopped",
                                git::short_hash(&head)
                            )));
                        }
                    }
                    require_where_expected(plan, step, shared, &git, now.as_ref())?;
                    {
                        let mut guard = shared.lock().expect("journal lock");
                        let state = &mut guard.0.steps[index];
                        state.status = Status::Running;
                        state.head_before = Some(head);
                        if opts.write_journal {
                            guard.0.log_step(index)?;
                        }
                    }
                }
                Guard::Tag { name, target } => {
                    // The tag's existence read without a process; the commits compared (rare:
                    // a resumed run, or a tag made elsewhere) by git.
                    let tag_ref = format!("refs/tags/{name}");
                    if local_ref(&git, &tag_ref).is_some()
                        && let Some(existing) = git.resolve(&tag_ref)?
                    {
                        let wanted = git
                            .resolve(target)?
                            .ok_or_else(|| anyhow!("{target} does not name a commit"))?;
                        if existing == wanted {
                            return Ok(Outcome::AlreadyDone(format!(
                                "tag {name} is already on {}",
                                git::short_hash(&wanted)
                            )));
                        }
                        anyhow::bail!(
                            "tag {name} already exists on commit {}, not on {target} ({}); \
                             delete it if it is wrong (`git tag -d {name}`), or release another version",
                            git::short_hash(&existing),
                            git::short_hash(&wanted)
                        );
                    }
                    require_where_expected(plan, step, shared, &git, None)?;
                }
                Guard::Push { remote, refs } => {
                    // In a fresh run (a journal this process made) a push not started yet cannot
                    // have reached the remote: no `ls-remote`. A resumed run probes (an earlier
                    // process may have pushed without recording it, or its record was lost).
                    if !fresh && refs_on_remote(&git, remote, refs) {
                        track_pushed(&git, remote, refs);
                        return Ok(Outcome::AlreadyDone(format!(
                            "{remote} already has {}",
                            refs.join(", ")
                        )));
                    }
                    require_where_expected(plan, step, shared, &git, None)?;
                }
                Guard::None | Guard::Import { .. } => {}
            }
            durable(shared, opts)?;
            git.run_batch(args)?;
            let moves_head = matches!(step.guard, Guard::Commit { .. })
                || args
                    .first()
                    .is_some_and(|a| MOVES_HEAD.contains(&a.as_str()));
            if moves_head {
                moved_by_run(shared, dir, &git);
            }
            Ok(Outcome::Ran(None))
        }
        StepKind::Uv {
            dir,
            args,
            redirects,
        } => {
            plan.refuse_link_now(&step.kind)?;
            let uv = opts
                .uv
                .ok_or_else(|| anyhow!("uv is needed for this step"))?;
            let env = redirect_env(redirects);
            let env_refs: Vec<(&str, &str)> =
                env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let redirected;
            let uv = if env.is_empty() {
                uv
            } else {
                redirected = uv.clone().with_env(&env_refs);
                &redirected
            };
            durable(shared, opts)?;
            if opts.capture_uv {
                let out = uv.run_quiet(dir, args)?;
                shared.lock().expect("journal lock").1.uv_outputs.push(out);
            } else {
                uv.run_streaming(dir, args)?;
            }
            Ok(Outcome::Ran(None))
        }
        StepKind::Engine {
            dir, args, digest, ..
        } => {
            let engine = opts
                .engine
                .ok_or_else(|| anyhow!("no engine for `{}`", plan.headline(step)))?;
            if !opts.quiet {
                crate::core::ui::section(&plan.headline(step));
            }
            let args = crate::plan::resolve_root_head(&plan.root, args)?;
            if let Some(d) = digest {
                // A digest left by an earlier push must not pass for this one's.
                if let Some(parent) = d.file.parent() {
                    fs_err::create_dir_all(parent)?;
                }
                match fs_err::remove_file(&d.file) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                    _ => {}
                }
            }
            durable(shared, opts)?;
            let printed = engine.run_digest(dir, &args, opts.quiet)?;
            if let Some(d) = digest {
                keep_digest(d, printed.as_deref(), &plan.headline(step))?;
            }
            Ok(Outcome::Ran(None))
        }
        StepKind::Llm {
            target,
            system,
            user,
            header,
            ..
        } => {
            let Some(ask) = opts.llm else {
                return Ok(Outcome::Skipped("no LLM client".to_owned()));
            };
            match ask.ask(step.package.as_deref().unwrap_or(""), system, user) {
                Ok(text) => {
                    durable(shared, opts)?;
                    plan.run_file_step(&StepKind::WriteFile {
                        path: target.clone(),
                        before: None,
                        after: format!("{header}{text}"),
                    })?;
                    Ok(Outcome::Ran(None))
                }
                Err(reason) => Ok(Outcome::Skipped(reason)),
            }
        }
        StepKind::ProveLock {
            manifest,
            content,
            redirects,
        } => {
            let uv = opts
                .uv
                .ok_or_else(|| anyhow!("uv is needed for this step"))?;
            prove_lock(uv, &plan.root, manifest, content, redirects)?;
            Ok(Outcome::Ran(None))
        }
        StepKind::Forge { call } => {
            let Some(client) = opts.forge else {
                return Ok(Outcome::Skipped(
                    opts.forge_unavailable
                        .clone()
                        .unwrap_or_else(|| "no forge configured".to_owned()),
                ));
            };
            durable(shared, opts)?;
            match client
                .execute(call)
                .with_context(|| format!("Forge call for {} failed", call.summary()))?
            {
                ForgeOutcome::Created { url } => Ok(Outcome::Ran(Some(url))),
                ForgeOutcome::Existing { url } => {
                    Ok(Outcome::AlreadyDone(format!("{FORGE_UPDATED}{url}")))
                }
                ForgeOutcome::Skipped { reason } => Ok(Outcome::Skipped(reason)),
            }
        }
    }
}

/// The environment that makes git (uv's) fetch each `redirects` URL from its local repository
/// (`url.<to>.insteadOf <from>`, added to the `GIT_CONFIG_COUNT` variables already set), and
/// uv resolve refs with git rather than GitHub's API (a tag not pushed yet is not there).
/// Empty without redirects.
fn redirect_env(redirects: &[crate::plan::Redirect]) -> Vec<(String, String)> {
    if redirects.is_empty() {
        return Vec::new();
    }
    let start = std::env::var("GIT_CONFIG_COUNT")
        .ok()
        .and_then(|n| n.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut env: Vec<(String, String)> = Vec::new();
    for (i, r) in redirects.iter().enumerate() {
        env.push((
            format!("GIT_CONFIG_KEY_{}", start + i),
            format!("url.{}.insteadOf", r.to),
        ));
        env.push((format!("GIT_CONFIG_VALUE_{}", start + i), r.from.clone()));
    }
    env.push((
        "GIT_CONFIG_COUNT".to_owned(),
        (start + redirects.len()).to_string(),
    ));
    env.push(("UV_NO_GITHUB_FAST_PATH".to_owned(), "1".to_owned()));
    env
}

/// [`StepKind::ProveLock`]: `uv lock` of `content` in a temporary directory (relative `path`
/// sources made absolute, the manifest's own `uv.lock` as the starting point), git told by
/// `url.<to>.insteadOf <from>` (added to the `GIT_CONFIG_COUNT` variables already set) to fetch
/// each redirected remote from the local repository, so the tags not pushed yet resolve and the
/// URLs stay the ones the manifest and the packages name. Nothing outside the temporary
/// directory changes, so running it again is always safe.
fn prove_lock(
    uv: &Uv,
    root: &std::path::Path,
    manifest: &std::path::Path,
    content: &str,
    redirects: &[crate::plan::Redirect],
) -> Result<()> {
    use crate::core::error::UserError;
    let rel = crate::core::fsutil::rel(root, manifest);
    let base = manifest.parent().unwrap_or(root);
    let mut doc = crate::python::pyproject::PyProject::parse(manifest, content)?;
    let prefix = format!("{}/", base.display());
    let names: Vec<String> = doc
        .uv_source_items()
        .iter()
        .map(|(n, _)| (*n).to_owned())
        .collect();
    for name in names {
        if let Some(item) = doc.item(&["tool", "uv", "sources", &name]) {
            let mut item = item.clone();
            crate::python::pyproject::rebase_source_paths(&mut item, &prefix);
            doc.set_item(&["tool", "uv", "sources", &name], Some(&item));
        }
    }
    let dir = tempfile::Builder::new()
        .prefix("release-tool-proof-")
        .tempdir()
        .context("Cannot create a temporary directory for the pre-push proof")?;
    fs_err::write(dir.path().join("pyproject.toml"), doc.render())?;
    if let Ok(lock) = fs_err::read(base.join("uv.lock")) {
        fs_err::write(dir.path().join("uv.lock"), lock)?;
    }
    let env = redirect_env(redirects);
    let env_refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let uv = uv.clone().with_env(&env_refs);
    uv.run_quiet(dir.path(), ["lock"]).map_err(|e| {
        // The runner's first line names the temporary directory; uv's own words follow it
        // (its progress lines left out).
        let text = format!("{e:#}");
        let (first, rest) = text.split_once('\n').unwrap_or((text.as_str(), ""));
        let mut said: Vec<&str> = first.split_once("): ").map(|(_, s)| s).into_iter().collect();
        said.extend(rest.lines());
        let said = said
            .into_iter()
            .filter(|l| {
                let t = l.trim_start();
                !(t.is_empty()
                    || t.starts_with("Using ")
                    || t.starts_with("Updating ")
                    || t.starts_with("Updated ")
                    || t.starts_with('/'))
            })
            .collect::<Vec<_>>()
            .join("\n");
        UserError::failure(format!(
            "{rel} would not resolve with this release's pins (`uv lock` against the local release commits, before any push); nothing was pushed:\n{said}"
        ))
        .with_hint(
            "make the requirements uv names agree with the versions and tags this release makes (a member's bound, pin or direct reference); the release commits and tags made so far are local only",
        )
    })?;
    Ok(())
}

/// The git commands of plan steps that move HEAD or switch the branch by design: after one, a
/// repository is expected where the step left it.
const MOVES_HEAD: &[&str] = &[
    "checkout",
    "switch",
    "reset",
    "merge",
    "pull",
    "rebase",
    "commit",
    "cherry-pick",
    "revert",
    "am",
];

/// A repository's HEAD and branch: read from its files without a process
/// ([`crate::git::files::RepoFiles::head`]), else in-process with gix (`git::local`), else in
/// one `git rev-parse` (anything neither can tell for certain: reftable, a redirecting
/// environment, a symbolic ref); `None` without a commit.
fn repo_at(git: &Git) -> Option<RepoAt> {
    if let Some((branch, head)) = git.files().and_then(|f| f.head()) {
        return head.map(|head| RepoAt {
            head,
            branch: branch.and_then(|b| b.strip_prefix("refs/heads/").map(str::to_owned)),
        });
    }
    if let Some(at) = git.local().and_then(|l| l.head_and_branch()) {
        return at.map(|(head, branch)| RepoAt { head, branch });
    }
    let out = git
        .run(["rev-parse", "HEAD", "--symbolic-full-name", "HEAD"])
        .ok()?;
    let mut lines = out.lines();
    let head = lines.next()?.trim().to_owned();
    let branch = lines
        .next()
        .and_then(|l| l.trim().strip_prefix("refs/heads/"))
        .map(str::to_owned);
    Some(RepoAt { head, branch })
}

/// Record where each repository the plan commits, tags or pushes in is (HEAD and branch), for
/// those the journal has no record of yet: a fresh run records them all before its first step,
/// in parallel (one `git rev-parse` per repository).
fn record_heads(journal: &mut Journal, jobs: usize) {
    let mut dirs: Vec<std::path::PathBuf> = Vec::new();
    for step in &journal.plan.steps {
        if let StepKind::Git { dir, .. } | StepKind::GitInput { dir, .. } = &step.kind
            && !step.guard.is_none()
            && !journal.heads.contains_key(dir)
            && !dirs.contains(dir)
        {
            dirs.push(dir.clone());
        }
    }
    let found = crate::core::parallel::map(&dirs, jobs, |dir| repo_at(&Git::new(dir)));
    for (dir, at) in dirs.into_iter().zip(found) {
        if let Some(at) = at {
            journal.heads.insert(dir, at);
        }
    }
}

/// The run moved `dir`'s HEAD (its own commit, checkout, merge): expect it where it is now.
fn moved_by_run(shared: &Mutex<(Journal, Report)>, dir: &std::path::Path, git: &Git) {
    if !shared
        .lock()
        .expect("journal lock")
        .0
        .heads
        .contains_key(dir)
    {
        return;
    }
    if let Some(at) = repo_at(git) {
        moved_to(shared, dir, at);
    }
}

/// The run's own step left `dir` at `at` (read already): expect it there.
fn moved_to(shared: &Mutex<(Journal, Report)>, dir: &std::path::Path, at: RepoAt) {
    let mut guard = shared.lock().expect("journal lock");
    if guard.0.heads.contains_key(dir) {
        guard.0.move_head(dir, at);
    }
}

/// The probe of a release's `git fast-import` ([`Guard::Import`]): `Some(why)` when it is done
/// (the tag exists on a commit of the branch: fast-import writes the branch before the tags);
/// an error when the tag exists elsewhere, or when HEAD is not on the branch any more (the
/// index would be brought in line with another branch). `None`: to be run (again: the same
/// stream makes the same objects; fast-import itself refuses a branch moved elsewhere).
fn import_done(git: &Git, branch: &str, from: &str, tag: &str) -> Result<Option<String>> {
    let tag_ref = format!("refs/tags/{tag}");
    let branch_ref = format!("refs/heads/{branch}");
    if local_ref(git, &tag_ref).is_some()
        && let Some(tagged) = git.resolve(&format!("{tag_ref}^{{commit}}"))?
    {
        let tip = git.resolve(&branch_ref)?;
        if let Some(tip) = &tip
            && git.is_ancestor(&tagged, tip)?
            && tagged != from
        {
            return Ok(Some(format!(
                "tag {tag} is already on {}",
                git::short_hash(&tagged)
            )));
        }
        anyhow::bail!(
            "tag {tag} already exists on commit {}, which branch {branch} does not contain; \
             delete it if it is wrong (`git tag -d {tag}`), or release another version",
            git::short_hash(&tagged)
        );
    }
    Ok(None)
}

/// Before a release's `git fast-import` (after [`require_where_expected`], which names what
/// moved when the run recorded where the repository was): HEAD must be on `branch`, or the
/// index would be brought in line with another branch.
fn import_on_branch(git: &Git, branch: &str) -> Result<()> {
    match repo_at(git) {
        Some(at) if at.branch.as_deref() == Some(branch) => Ok(()),
        at => anyhow::bail!(
            "HEAD is {} since the release was planned, not on branch {branch}; \
             check out {branch} again and run the same command",
            at.and_then(|a| a.branch)
                .map_or_else(|| "detached".to_owned(), |b| format!("on branch {b}"))
        ),
    }
}

/// A release's fast-import that failed after it moved the branch but before it wrote the tag
/// (fast-import writes branches, then tags: a tag ref that cannot be written, a lock left by
/// another git): the branch is put back on `from` (`git update-ref` with the moved tip as the
/// expected value), so that the failed step left nothing, as a failed `git commit` leaves
/// nothing, and a resumed or replanned run starts from where the plan did. Only when the tip
/// is exactly the stream's commits on top of `from` (as many as the stream has) and the tag is
/// missing; anything else is left as it is.
fn undo_half_import(git: &Git, branch: &str, from: &str, tag: &str, input: &std::path::Path) {
    let branch_ref = format!("refs/heads/{branch}");
    if local_ref(git, &format!("refs/tags/{tag}")).is_some() {
        return;
    }
    let Ok(Some(tip)) = git.resolve(&branch_ref) else {
        return;
    };
    let commits = fs_err::read_to_string(input).map_or(0, |s| {
        s.lines()
            .filter(|l| l.starts_with("commit refs/heads/"))
            .count()
    });
    let Ok(made) = git.count_commits(Some(from), &tip) else {
        return;
    };
    if tip == from
        || commits == 0
        || made as usize != commits
        || !git.is_ancestor(from, &tip).unwrap_or(false)
    {
        return;
    }
    let _ = git.run(["update-ref", &branch_ref, from, &tip]);
}

/// The object a full ref name points to, not peeled (an annotated tag's tag object); `None`: no
/// such ref. Read from the repository's files when they tell for certain, else asked of git.
fn local_ref(git: &Git, name: &str) -> Option<String> {
    match git.files().and_then(|f| f.read_ref(name)) {
        Some(found) => found,
        None => git
            .run(["rev-parse", "--verify", "--quiet", name])
            .ok()
            .map(|out| out.trim().to_owned()),
    }
}

/// Before a commit, tag or push: the repository must be where the run left it (HEAD and
/// branch). Someone who committed, reset or checked out another branch meanwhile gets an error
/// naming the package and what moved, and nothing is made or pushed on top of their HEAD.
///
/// A commit of submodule paths (the root's bookkeeping commit takes each package's pointer
/// from the package's HEAD) checks those packages too: the root never points at a commit the
/// user made meanwhile (one no remote has).
///
/// `now`: where `dir` is, when the caller read it already (one read per guard).
fn require_where_expected(
    plan: &Plan,
    step: &Step,
    shared: &Mutex<(Journal, Report)>,
    git: &Git,
    now: Option<&RepoAt>,
) -> Result<()> {
    let (dir, args) = match &step.kind {
        StepKind::Git { dir, args } => (dir, args.as_slice()),
        StepKind::GitInput { dir, .. } => (dir, &[][..]),
        _ => return Ok(()),
    };
    let mut repos = vec![(dir.clone(), None)];
    if matches!(step.guard, Guard::Commit { .. })
        && let Some(at) = args.iter().position(|a| a == "--")
    {
        repos.extend(
            args[at + 1..]
                .iter()
                .map(|p| (dir.join(p), Some(Git::new(dir.join(p))))),
        );
    }
    for (repo, own) in repos {
        let expected = shared
            .lock()
            .expect("journal lock")
            .0
            .heads
            .get(&repo)
            .cloned();
        if let Some(expected) = expected {
            let read = match (&own, now) {
                (None, Some(now)) => Some(now.clone()),
                (repo_git, _) => repo_at(repo_git.as_ref().unwrap_or(git)),
            };
            where_expected(
                plan,
                step,
                &repo,
                &expected,
                own.as_ref().unwrap_or(git),
                read.as_ref(),
            )?;
        }
    }
    Ok(())
}

/// [`require_where_expected`] for one repository.
fn where_expected(
    plan: &Plan,
    step: &Step,
    dir: &std::path::Path,
    expected: &RepoAt,
    git: &Git,
    now: Option<&RepoAt>,
) -> Result<()> {
    if now == Some(expected) {
        return Ok(());
    }
    let rel = plan.rel(dir);
    let who = who(step);
    let named = |b: &Option<String>| {
        b.as_deref()
            .map_or_else(|| "a detached HEAD".to_owned(), |b| format!("branch `{b}`"))
    };
    let now_head = now
        .as_ref()
        .map_or("no commit", |n| git::short_hash(&n.head));
    let want = git::short_hash(&expected.head);
    let (what, hint) = if now.map(|n| &n.branch) == Some(&expected.branch) {
        (
            format!(
                "HEAD of {rel} moved from {want} to {now_head} during the run (a commit, reset or checkout made meanwhile)"
            ),
            if now
                .as_ref()
                .is_some_and(|n| git.is_ancestor(&expected.head, &n.head).unwrap_or(false))
            {
                format!(
                    "put it back where the run left it: `git -C {rel} reset --soft {want}` keeps your changes staged (your commit stays reachable as `ORIG_HEAD`)"
                )
            } else {
                format!(
                    "put it back where the run left it: `git -C {rel} reset --keep {want}` (it keeps your uncommitted changes, or refuses)"
                )
            },
        )
    } else {
        (
            format!(
                "{} is checked out in {rel}, the run works on {} (at {want})",
                now.map_or_else(|| "nothing".to_owned(), |n| named(&n.branch)),
                named(&expected.branch)
            ),
            match &expected.branch {
                Some(b) => format!("check out `{b}` again (`git -C {rel} switch {b}`)"),
                None => format!("check out {want} again (`git -C {rel} checkout --detach {want}`)"),
            },
        )
    };
    Err(crate::core::error::UserError::failure(format!(
        "{who}: {what}; stopped before `{}`: nothing was made or pushed on top of it",
        plan.headline(step)
    ))
    .with_hint(format!(
        "{hint}, then run the same command again to continue; or `--replan` to release from where {rel} is now, or `release-tool abort`"
    ))
    .into())
}

/// Whether `remote` has every one of `refs` (full names) at the local value.
fn refs_on_remote(git: &Git, remote: &str, refs: &[String]) -> bool {
    let mut local = Vec::new();
    for r in refs {
        match local_ref(git, r) {
            Some(oid) => local.push((r.clone(), oid)),
            None => return false,
        }
    }
    let mut args = vec!["ls-remote".to_owned(), "--".to_owned(), remote.to_owned()];
    args.extend(refs.iter().cloned());
    let Ok(out) = git.run_batch(&args) else {
        return false;
    };
    local.iter().all(|(name, oid)| {
        out.lines().any(|line| {
            line.split_once('\t')
                .is_some_and(|(o, n)| n == name && o == oid)
        })
    })
}

/// A push found done (an earlier process pushed and was stopped before it recorded it, or
/// before git updated its remote-tracking branches): the remote-tracking branches brought where
/// `git push` leaves them (`refs/remotes/<remote>/<branch>` at the pushed commit), so that
/// `git status` does not report the branch ahead of a remote that has it. Best effort: a remote
/// given as a URL has no tracking branches.
fn track_pushed(git: &Git, remote: &str, refs: &[String]) {
    if remote.contains(['/', ':', '\\']) {
        return;
    }
    for r in refs {
        if let Some(branch) = r.strip_prefix("refs/heads/")
            && let Some(oid) = local_ref(git, r)
        {
            let tracking = format!("refs/remotes/{remote}/{branch}");
            if local_ref(git, &tracking).as_deref() != Some(oid.as_str()) {
                let _ = git.run(["update-ref", &tracking, &oid]);
            }
        }
    }
}

/// After an image push: `d.file` gets `<image>@sha256:…`, from the digest the engine wrote
/// there (`--digestfile`) or, for docker, the one it printed.
fn keep_digest(d: &crate::plan::ImageDigest, printed: Option<&str>, what: &str) -> Result<()> {
    let written = fs_err::read_to_string(&d.file).unwrap_or_default();
    let written = written.trim();
    let digest = if crate::engine::is_digest(written) {
        written
    } else if let Some(printed) = printed {
        printed
    } else {
        return Err(crate::core::error::UserError::failure(format!(
            "`{what}` pushed the image but reported no digest (sha256:…)"
        ))
        .with_hint("check the engine's output above; the same command pushes again")
        .into());
    };
    crate::core::fsutil::atomic_write(&d.file, format!("{}@{digest}\n", d.image).as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_compare_as_git_cleans_them() {
        assert_eq!(
            clean_message("\n\nrelease: a 1.0\n\n\nbody  \n\n"),
            "release: a 1.0\n\nbody"
        );
    }

    #[test]
    fn with_a_proof_every_local_step_runs_before_it_and_every_push_after_it() {
        let mut plan = Plan::grouped("/r");
        plan.commit(Some("a"), "/r/a", "release a");
        plan.push_refs(Some("a"), "/r/a", "origin", &["refs/heads/main".to_owned()]);
        plan.commit(Some("b"), "/r/b", "release b");
        plan.push_refs(Some("b"), "/r/b", "origin", &["refs/heads/main".to_owned()]);
        plan.commit(Some("c"), "/r/c", "local only");
        plan.prove_lock("/r/staging/pyproject.toml", String::new(), Vec::new());
        plan.git(None, "/r", ["commit"]);
        plan.after.insert("b".to_owned(), vec!["a".to_owned()]);
        let units = units(&plan);
        let shape: Vec<(&str, &[usize], &[usize])> = units
            .iter()
            .map(|u| (u.name.as_str(), u.steps.as_slice(), u.waits.as_slice()))
            .collect();
        assert_eq!(
            shape,
            [
                // The local parts, as they waited before.
                ("a", &[0][..], &[][..]),
                ("b", &[2][..], &[0][..]),
                ("c", &[4][..], &[][..]),
                // The proof after every local part.
                ("the pre-push proof", &[5][..], &[0, 1, 2][..]),
                // Each push after its local part, the proof and its dependencies' pushes.
                ("a", &[1][..], &[0, 3][..]),
                ("b", &[3][..], &[4, 1, 3][..]),
                // The root after everything.
                ("root", &[6][..], &[0, 1, 2, 3, 4, 5][..]),
            ]
        );
    }

    #[test]
    fn grouped_units_wait_for_their_dependencies_and_root_goes_last() {
        let mut plan = Plan::grouped("/r");
        plan.git(Some("b"), "/r/b", ["status"]);
        plan.git(None, "/r", ["status"]);
        plan.git(Some("a"), "/r/a", ["status"]);
        plan.git(Some("b"), "/r/b", ["log"]);
        plan.after.insert("b".to_owned(), vec!["a".to_owned()]);
        let units = units(&plan);
        let names: Vec<&str> = units.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(names, ["b", "a", "root"]);
        assert_eq!(units[0].steps, [0, 3]);
        assert_eq!(units[0].waits, [1]);
        assert_eq!(units[2].waits, [0, 1]);
    }

    #[test]
    fn a_failure_blocks_dependents_and_independent_work_finishes() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let mut plan = Plan::grouped(root);
        plan.write(Some("a"), root.join("a.txt"), "a");
        plan.git(Some("b"), root.join("missing"), ["status"]);
        plan.write(Some("c"), root.join("c.txt"), "c");
        plan.write(Some("d"), root.join("d.txt"), "d");
        plan.write(None, root.join("root.txt"), "root");
        plan.after.insert("c".to_owned(), vec!["b".to_owned()]);
        let opts = Options {
            uv: None,
            jobs: 2,
            forge: None,
            forge_unavailable: None,
            write_journal: true,
            ..Options::default()
        };
        let (journal, report) = execute(Journal::new("test", plan.clone()), &opts).unwrap();
        assert!(!journal.finished);
        assert_eq!(report.failures.len(), 1);
        assert_eq!(report.failures[0].package, "b");
        let blocked: Vec<&str> = report.blocked.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(blocked, ["c", "root"]);
        assert!(root.join("a.txt").is_file() && root.join("d.txt").is_file());
        assert!(!root.join("c.txt").exists() && !root.join("root.txt").exists());
        // Fix the cause and resume from the journal: done steps are not run again.
        std::fs::create_dir(root.join("missing")).unwrap();
        Git::new(root.join("missing")).init("main").unwrap();
        let journal = Journal::load(root).unwrap().unwrap();
        let (journal, report) = execute(journal, &opts).unwrap();
        assert!(journal.finished, "{:?}", report.failures);
        assert_eq!(report.ran(), 3);
        assert!(root.join("root.txt").is_file());
    }

    fn repo(dir: &std::path::Path) -> Git {
        let git = Git::new(dir);
        git.init("main").unwrap();
        git.config_set("user.name", "T").unwrap();
        git.config_set("user.email", "t@example.com").unwrap();
        git.run(["commit", "-q", "--allow-empty", "-m", "one"])
            .unwrap();
        git
    }

    fn journaled() -> Options<'static> {
        Options {
            jobs: 1,
            write_journal: false,
            ..Options::default()
        }
    }

    #[test]
    fn a_commit_takes_its_paths_only_and_what_else_is_staged_stays_staged() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let git = repo(root);
        std::fs::write(root.join("mine.txt"), "the user's\n").unwrap();
        git.run(["add", "--", "mine.txt"]).unwrap();
        let mut plan = Plan::new(root);
        plan.write(None, root.join("planned.txt"), "planned\n");
        plan.git(None, root, ["add", "--", "planned.txt"]);
        plan.commit_paths(None, root, "release", &["planned.txt".to_owned()]);
        let (journal, report) = execute(Journal::new("t", plan), &journaled()).unwrap();
        assert!(journal.finished, "{:?}", report.failures);
        let files = git
            .run(["show", "--name-only", "--format=", "HEAD"])
            .unwrap();
        assert_eq!(files.trim(), "planned.txt");
        let staged = git.run(["diff", "--cached", "--name-only"]).unwrap();
        assert_eq!(staged.trim(), "mine.txt");
    }

    #[test]
    fn a_head_or_branch_moved_by_someone_else_stops_the_tag_and_the_commit() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let git = repo(root);
        let mut plan = Plan::new(root);
        plan.tag(Some("a"), root, "v1", "HEAD", "Release a 1");
        let mut journal = Journal::new("t", plan.clone());
        record_heads(&mut journal, 1);
        // The user commits after the run started: the tag is not put on their commit.
        git.run(["commit", "-q", "--allow-empty", "-m", "theirs"])
            .unwrap();
        let (journal, report) = execute(journal, &journaled()).unwrap();
        assert!(!journal.finished);
        let cause = &report.failures[0].cause;
        assert!(cause.starts_with("a: HEAD of . moved from "), "{cause}");
        assert!(
            report.failures[0]
                .hint
                .as_deref()
                .is_some_and(|h| h.contains("reset --soft")),
            "{:?}",
            report.failures[0].hint
        );
        assert_eq!(git.resolve("refs/tags/v1").unwrap(), None);
        // Another branch checked out: the commit is refused too.
        let mut plan = Plan::new(root);
        plan.commit(Some("a"), root, "release");
        let mut journal = Journal::new("t", plan);
        record_heads(&mut journal, 1);
        git.run(["checkout", "-q", "-b", "other"]).unwrap();
        let (_, report) = execute(journal, &journaled()).unwrap();
        let cause = &report.failures[0].cause;
        assert!(
            cause.contains("branch `other` is checked out in ., the run works on branch `main`"),
            "{cause}"
        );
        // Where the run left it, a plan's own checkout moves what it expects.
        git.run(["checkout", "-q", "main"]).unwrap();
        let mut plan = Plan::new(root);
        plan.git(Some("a"), root, ["checkout", "-q", "other"]);
        plan.tag(Some("a"), root, "v2", "HEAD", "Release a 2");
        let (journal, report) = execute(Journal::new("t", plan), &journaled()).unwrap();
        assert!(journal.finished, "{:?}", report.failures);
    }

    /// Issue 19: the log is fsynced once before each step that runs a command (covering the
    /// records of the file steps before it and a commit's `head_before`), not once per record:
    /// here 4 fsyncs for 9 records (7 steps, 2 of them commits with a `running` record each).
    #[test]
    fn the_log_is_fsynced_once_before_each_command_not_once_per_record() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let git = repo(root);
        std::fs::write(root.join("f.txt"), "0\n").unwrap();
        git.run(["add", "--", "f.txt"]).unwrap();
        git.run(["commit", "-q", "-m", "f"]).unwrap();
        let mut plan = Plan::new(root);
        plan.write(None, root.join("f.txt"), "1\n");
        plan.write(None, root.join("g.txt"), "1\n");
        plan.git(None, root, ["add", "--", "g.txt"]);
        plan.commit_paths(
            None,
            root,
            "release",
            &["f.txt".to_owned(), "g.txt".to_owned()],
        );
        plan.tag(None, root, "v1", "HEAD", "Release 1");
        plan.write(None, root.join("f.txt"), "2\n");
        plan.commit_paths(None, root, "next", &["f.txt".to_owned()]);
        let opts = Options {
            jobs: 1,
            write_journal: true,
            ..Options::default()
        };
        let journal = Journal::new("t", plan);
        let (journal, report) = execute(journal, &opts).unwrap();
        assert!(journal.finished, "{:?}", report.failures);
        // add, commit, tag, commit: one fsync each, before the command.
        assert_eq!(journal.log_fsyncs(), 4);
        // Both commits made, the first one without git's auto-maintenance (the second runs it).
        let subjects = git.run(["log", "--format=%s", "-3"]).unwrap();
        assert_eq!(subjects, "next\nrelease\nf\n");
        let StepKind::Git { args, .. } = &journal.plan.steps[3].kind else {
            panic!("not a git step")
        };
        assert_eq!(args[..3], ["-c", "maintenance.auto=false", "commit"]);
        let StepKind::Git { args, .. } = &journal.plan.steps[6].kind else {
            panic!("not a git step")
        };
        assert_eq!(args[0], "commit");
    }

    #[test]
    fn a_file_changed_since_planning_is_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, "one").unwrap();
        let mut plan = Plan::new(dir.path());
        plan.write(None, &path, "two");
        std::fs::write(&path, "someone else").unwrap();
        let opts = Options {
            uv: None,
            jobs: 1,
            forge: None,
            forge_unavailable: None,
            write_journal: false,
            ..Options::default()
        };
        let (_, report) = execute(Journal::new("t", plan), &opts).unwrap();
        assert!(
            report.failures[0]
                .cause
                .contains("was changed since the plan was made")
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "someone else");
    }
}
