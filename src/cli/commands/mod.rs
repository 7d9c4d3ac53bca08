//! One module per command: clap arguments, turned into plain request structs for the core.

pub mod add;
pub mod branch;
pub mod changes;
pub mod check;
pub mod ci;
pub mod clear;
pub mod commit;
pub mod completions;
pub mod config;
pub mod demo;
pub mod docker;
pub mod foreach;
pub mod init;
pub mod lock;
pub mod man;
pub mod manifests;
pub mod new;
pub mod next;
pub mod notes;
pub mod prepare;
pub mod publish;
pub mod release;
pub mod remove;
pub mod status;
pub mod sync;
pub mod tag;
pub mod update;

use std::path::PathBuf;

use crate::cli::{Command, GlobalArgs};
use crate::core::error::ExitKind;
use crate::python::version::Bump;

/// The three environments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    Dev,
    Staging,
    Prod,
}

impl From<Mode> for crate::env::Mode {
    fn from(m: Mode) -> Self {
        match m {
            Mode::Dev => crate::env::Mode::Dev,
            Mode::Staging => crate::env::Mode::Staging,
            Mode::Prod => crate::env::Mode::Prod,
        }
    }
}

/// `--bump` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BumpArg {
    Patch,
    Minor,
    Major,
    Dev,
    Pre,
    Auto,
}

impl From<BumpArg> for Bump {
    fn from(b: BumpArg) -> Self {
        match b {
            BumpArg::Patch => Bump::Patch,
            BumpArg::Minor => Bump::Minor,
            BumpArg::Major => Bump::Major,
            BumpArg::Dev => Bump::Dev,
            BumpArg::Pre => Bump::Pre,
            BumpArg::Auto => Bump::Auto,
        }
    }
}

/// The `--bump` value as typed.
pub fn bump_name(b: BumpArg) -> &'static str {
    match b {
        BumpArg::Patch => "patch",
        BumpArg::Minor => "minor",
        BumpArg::Major => "major",
        BumpArg::Dev => "dev",
        BumpArg::Pre => "pre",
        BumpArg::Auto => "auto",
    }
}

/// Dispatch a parsed command line.
pub fn dispatch(command: &Command, global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    // `--json` is for data; these print a script or a manual page, so it is a usage error
    // rather than a silently ignored flag.
    let (name, prints) = match command {
        Command::Completions(_) => ("completions", "a shell script"),
        Command::Man(_) => ("man", "a manual page in roff"),
        _ => ("", ""),
    };
    if global.json && !name.is_empty() {
        return Err(crate::core::error::UserError::usage(format!(
            "`--json` does not apply to `release-tool {name}`: it prints {prints}"
        ))
        .with_hint(format!("run `release-tool {name}` without --json"))
        .into());
    }
    match command {
        Command::Init(a) => init::run(a, global),
        Command::New(a) => new::run(a, global),
        Command::Add(a) => add::run(a, global),
        Command::Remove(a) => remove::run(a, global),
        Command::Status(a) => status::run(a, global),
        Command::Update(a) => update::run(a, global),
        Command::Foreach(a) => foreach::run(a, global),
        Command::Check(a) => check::run(a, global),
        Command::Sync(a) => sync::run(a, global),
        Command::Lock(a) => lock::run(a, global),
        Command::Manifests(a) => manifests::run(a, global),
        Command::Publish(a) => publish::run(a, global),
        Command::Branch(a) => branch::run(a, global),
        Command::Changes(a) => changes::run(a, global),
        Command::Commit(a) => commit::run(a, global),
        Command::Notes(a) => notes::run(a, global),
        Command::Prepare(a) => prepare::run(a, global),
        Command::Tag(a) => tag::run(a, global),
        Command::Next(a) => next::run(a, global),
        Command::Docker(a) => docker::run(a, global),
        Command::Release(a) => release::run(a, global),
        Command::Clear(a) => clear::run(a, global),
        Command::Demo(a) => demo::run(a, global),
        Command::Ci(a) => ci::run(a, global),
        Command::Config(a) => config::run(a, global),
        Command::Completions(a) => completions::run(a, global),
        Command::Man(a) => man::run(a, global),
    }
}

/// Print a plan (`--dry-run`) or execute it. The dry-run output and the real run come from
/// the same plan. Returns whether it ran.
pub fn run_plan(
    plan: &crate::plan::Plan,
    global: &GlobalArgs,
    uv: Option<&crate::python::uv::Uv>,
) -> anyhow::Result<bool> {
    if global.dry_run {
        if global.json {
            crate::core::ui::print_json(&plan.to_json())?;
        } else if plan.is_empty() {
            crate::core::ui::note("Nothing to do");
        } else {
            crate::core::ui::print_text(&plan.render());
            crate::core::ui::note(&format!(
                "Dry run: {} step(s) planned, nothing changed",
                plan.steps.len()
            ));
        }
        return Ok(false);
    }
    plan.execute(uv)?;
    Ok(true)
}

/// After a real run of a command whose output is what it did (`init`, `new`, `add`, `remove`,
/// `sync`, `lock`): with `--json`, the steps it ran, in the shape of `--dry-run --json`.
pub fn report_steps(plan: &crate::plan::Plan, global: &GlobalArgs) -> anyhow::Result<()> {
    if global.json && !global.dry_run {
        crate::core::ui::print_json(&plan.to_json())?;
    }
    Ok(())
}

/// The directory to start the workspace search from: `-C DIR` or the current directory.
pub fn start_dir(global: &GlobalArgs) -> PathBuf {
    global.root.clone().unwrap_or_else(|| PathBuf::from("."))
}

/// The name a journaled run is recorded under: the command and the arguments that shape its
/// plan (`release --bump minor --push -p alpha`), so that the same command resumes it.
pub fn command_key(name: &str, args: &[&str], global: &GlobalArgs) -> String {
    let mut key = name.to_owned();
    for a in args.iter().filter(|a| !a.is_empty()) {
        key.push(' ');
        key.push_str(a);
    }
    let mut packages = global.packages.clone();
    packages.sort();
    for p in packages {
        key.push_str(" -p ");
        key.push_str(&p);
    }
    key
}

/// One run at a time per workspace (`.release_tool/lock`, docs/reference.md §4): a command that changes
/// packages or the root's files holds the lock for its whole run, and a second one refuses
/// before it reads or changes anything, naming the run that holds it. A dry run only reads and
/// takes no lock. `command` is how the holder is named (`release --bump minor --push`).
pub fn workspace_lock(
    ws: &crate::workspace::Workspace,
    global: &GlobalArgs,
    command: &str,
) -> anyhow::Result<Option<crate::plan::journal::RunLock>> {
    if global.dry_run || ws.config.dry_run {
        return Ok(None);
    }
    Ok(Some(crate::plan::journal::RunLock::acquire(
        &ws.root, command,
    )?))
}

/// Plan (or resume) a release stage, then print it (`--dry-run`) or run it with the journal.
/// `build` plans afresh; it is not called when an unfinished run of the same command is
/// resumed from the journal.
///
/// `leading`: steps planned before this one and shown with it by `--dry-run --json` (the
/// `--sync` steps of `tag`), so that the output stays one JSON document.
pub fn run_journaled(
    ws: &crate::workspace::Workspace,
    global: &GlobalArgs,
    command: &str,
    require_forge: bool,
    leading: &[crate::plan::StepJson],
    build: impl FnOnce() -> anyhow::Result<crate::release::Planned>,
) -> anyhow::Result<ExitKind> {
    run_journaled_locked(ws, global, command, require_forge, leading, None, build)
}

/// [`run_journaled`] for a command that already holds the workspace lock (`held`, from
/// [`workspace_lock`]): `tag --sync` takes it before its sync steps.
pub fn run_journaled_locked(
    ws: &crate::workspace::Workspace,
    global: &GlobalArgs,
    command: &str,
    require_forge: bool,
    leading: &[crate::plan::StepJson],
    held: Option<crate::plan::journal::RunLock>,
    build: impl FnOnce() -> anyhow::Result<crate::release::Planned>,
) -> anyhow::Result<ExitKind> {
    use crate::core::ui;
    use crate::plan::executor::{self, Outcome};
    use crate::plan::journal::{self, Journal};

    let dry_run = global.dry_run || ws.config.dry_run;
    let env = |k: &str| std::env::var(k).ok();
    if require_forge {
        crate::forge::require(&ws.config.forge, &env)?;
    }
    // One run at a time per workspace: a second one refuses before it reads the journal or
    // plans anything.
    let _lock = match held {
        Some(lock) => Some(lock),
        None => workspace_lock(ws, global, command)?,
    };
    let journal = match journal::resume_for(&ws.root, command)? {
        journal::Resume::Continue(j) => {
            ui::note(&format!(
                "Resuming `release-tool {command}`: {} of {} steps were done (journal {})",
                j.completed().len(),
                j.steps.len(),
                Journal::path(&ws.root).display()
            ));
            *j
        }
        journal::Resume::Fresh => {
            let planned = build()?;
            for s in &planned.skipped {
                ui::note(&format!("{}: skipped, {}", s.package, s.reason));
            }
            for n in &planned.notes {
                ui::note(&format!("note: {n}"));
            }
            let mut journal = Journal::new(command, planned.plan);
            journal.packages = planned.packages;
            journal
        }
    };
    let plan = &journal.plan;
    if plan.is_empty() {
        if global.json {
            // Still the JSON promised: an empty plan (`--dry-run`) or no package released.
            let steps: &[crate::plan::StepJson] = if dry_run { leading } else { &[] };
            ui::print_json(&steps)?;
        }
        ui::note("Nothing to do");
        return Ok(ExitKind::Success);
    }
    let has_forge = plan
        .steps
        .iter()
        .any(|s| matches!(s.kind, crate::plan::StepKind::Forge { .. }));
    let forge_reason = crate::forge::unavailable_reason(&ws.config.forge, &env);
    if dry_run {
        if global.json {
            // The steps a real run would still run (a resumed run skips the completed ones),
            // as many as the count below.
            let done = journal.completed();
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
            ui::print_json(&remaining)?;
        } else {
            ui::print_text(&plan.render_marked(&journal.completed()));
        }
        if has_forge {
            match &forge_reason {
                Some(reason) => ui::note(&format!("note: forge steps will be skipped: {reason}")),
                None => ui::note(
                    "note: forge calls send the token from the environment; it is never shown",
                ),
            }
        }
        ui::note(&format!(
            "Dry run: {} step(s) planned, nothing changed",
            plan.steps.len() - journal.completed().len()
        ));
        return Ok(ExitKind::Success);
    }
    let client = crate::forge::Client::from_config(&ws.config.forge, &env)?;
    if has_forge && let Some(reason) = &forge_reason {
        ui::warn(&format!(
            "forge steps will be skipped: {reason} (pass --require-forge to make this an error)"
        ));
    }
    let uv = if plan
        .steps
        .iter()
        .any(|s| matches!(s.kind, crate::plan::StepKind::Uv { .. }))
    {
        Some(crate::python::uv::Uv::find()?)
    } else {
        None
    };
    let opts = executor::Options {
        uv: uv.as_ref(),
        jobs: ws.config.effective_jobs(global.jobs.map(usize::from)),
        forge: client.as_ref(),
        forge_unavailable: forge_reason,
        write_journal: true,
    };
    let (journal, report) = executor::execute(journal, &opts)?;
    for e in &report.events {
        match &e.outcome {
            Outcome::Skipped(reason) => {
                ui::note(&format!("{}: skipped {}: {reason}", e.package, e.step));
                if let crate::plan::StepKind::Forge { call } = &journal.plan.steps[e.index].kind
                    && let crate::forge::ForgeAction::OpenPullRequest { head, base, .. } =
                        &call.action
                    && let Some(pkg) = ws.package(&e.package)
                {
                    ui::note(&format!(
                        "{}: open the pull request by hand: {}",
                        e.package,
                        crate::release::compare_url(ws, pkg, base, head)
                    ));
                }
            }
            Outcome::Ran(Some(note)) => ui::note(&format!("{}: {}: {note}", e.package, e.step)),
            Outcome::AlreadyDone(why) if ui::verbosity() > 0 => {
                ui::note(&format!("{}: {} (already done: {why})", e.package, e.step));
            }
            _ => {}
        }
    }
    if !global.json {
        print_release_summary(&journal, Some(&report));
    }
    if !report.ok() {
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
            "fix it and run the same command again (`release-tool {command}`): the journal {} keeps what is done, nothing is repeated",
            Journal::path(&ws.root).display()
        ));
        return Ok(ExitKind::Failure);
    }
    // From the journal, so that a resumed run reports what the whole run did, like a fresh one.
    if global.json {
        ui::print_json(&journal.packages)?;
    }
    ui::summary(
        &format!(
            "Done: {} step(s) run{}",
            report.ran(),
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

/// The closing table of a release stage, on stdout: one row per package of the run, with its
/// version change, tag, next development version and what became of it.
pub fn print_release_summary(
    journal: &crate::plan::journal::Journal,
    report: Option<&crate::plan::executor::Report>,
) {
    if journal.packages.is_empty() {
        return;
    }
    let rows = release_summary_rows(journal, report);
    crate::core::ui::print_table(&["package", "version", "tag", "next", "result"], rows);
}

/// The rows of [`print_release_summary`].
pub fn release_summary_rows(
    journal: &crate::plan::journal::Journal,
    report: Option<&crate::plan::executor::Report>,
) -> Vec<Vec<crate::core::ui::Cell>> {
    use crate::core::ui::Cell;
    use crate::forge::ForgeAction;
    use crate::plan::journal::Status;
    use crate::plan::{Guard, StepKind};

    let dash = || "-".to_owned();
    journal
        .packages
        .iter()
        .map(|p| {
            let version = if p.from == p.version {
                p.version.clone()
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
                let mut done = Vec::new();
                let steps = journal
                    .plan
                    .steps
                    .iter()
                    .zip(&journal.steps)
                    .filter(|(s, _)| s.package.as_deref() == Some(p.package.as_str()));
                let mut pushed = false;
                for (step, state) in steps {
                    match (&step.guard, &step.kind, state.status) {
                        (Guard::Push { .. }, _, Status::Done) => pushed = true,
                        (_, StepKind::Forge { call }, status) => {
                            let what = match call.action {
                                ForgeAction::CreateRelease { .. } => "forge release",
                                ForgeAction::OpenPullRequest { .. } => "pull request",
                            };
                            done.push(match status {
                                Status::Done => what.to_owned(),
                                _ => format!("{what} skipped"),
                            });
                        }
                        _ => {}
                    }
                }
                if pushed {
                    done.insert(0, "pushed".to_owned());
                } else {
                    done.insert(0, "local only".to_owned());
                }
                Cell::plain(done.join(", "))
            };
            vec![
                Cell::strong(p.package.clone()),
                Cell::plain(version),
                Cell::plain(p.tag.clone().unwrap_or_else(dash)),
                Cell::plain(p.next.clone().unwrap_or_else(dash)),
                result,
            ]
        })
        .collect()
}
