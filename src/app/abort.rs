//! `abort`: abandon an unfinished journaled run (docs/release.md, "Abandoning a run"). It shows
//! what the run did (per package: steps done, commits, tags, pushes, forge releases) and what it
//! did not, then moves the journal aside (`.release_tool/journal-aborted-<time>.json`), so that
//! other commands run again. Nothing is undone: the report says how to undo each thing by hand.

use std::fmt::Write as _;
use std::io::{BufRead as _, IsTerminal as _, Write as _};

use anyhow::Result;
use serde::Serialize;

use crate::app::{Settings, run_lock};
use crate::core::error::{ExitKind, UserError};
use crate::core::ui;
use crate::forge::ForgeAction;
use crate::plan::journal::{Journal, Status};
use crate::plan::{Guard, StepKind};
use crate::workspace::Workspace;

/// What an unfinished run did to one package (or to the root, `package` "root").
#[derive(Debug, Default, Serialize, schemars::JsonSchema)]
pub struct PackageDone {
    pub package: String,
    /// The steps done (headlines), in plan order.
    pub done: Vec<String>,
    /// The steps not done (pending, failed, interrupted).
    pub not_done: Vec<String>,
    /// Commands that undo what was done, by hand (never run by `abort`).
    pub undo: Vec<String>,
}

/// The report of an unfinished run.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Unfinished {
    pub command: String,
    pub steps_done: usize,
    pub steps: usize,
    pub packages: Vec<PackageDone>,
}

/// What the unfinished run `j` did and did not, per package in plan order, with the commands
/// that undo it by hand.
pub fn unfinished_report(ws: &Workspace, j: &Journal) -> Unfinished {
    let mut packages: Vec<PackageDone> = Vec::new();
    let remote = &ws.config.git_remote;
    for (step, state) in j.plan.steps.iter().zip(&j.steps) {
        let name = step.package.clone().unwrap_or_else(|| "root".to_owned());
        let at = if let Some(at) = packages.iter().position(|p| p.package == name) {
            at
        } else {
            packages.push(PackageDone {
                package: name,
                ..PackageDone::default()
            });
            packages.len() - 1
        };
        let entry = &mut packages[at];
        let headline = j.plan.headline(step);
        match state.status {
            Status::Done => {}
            Status::Skipped => {
                entry.done.push(format!("{headline} (skipped)"));
                continue;
            }
            status => {
                let why = match status {
                    Status::Failed => " (failed)",
                    Status::Running => " (interrupted)",
                    _ => "",
                };
                entry.not_done.push(format!("{headline}{why}"));
                continue;
            }
        }
        entry.done.push(headline);
        let dir = match &step.kind {
            StepKind::Git { dir, .. } | StepKind::GitInput { dir, .. } => ws.rel(dir),
            _ => String::new(),
        };
        let dir = if dir.is_empty() { ".".to_owned() } else { dir };
        match (&step.guard, &step.kind) {
            (Guard::Commit { .. }, _) => {
                // The first commit of the run in this repository: its HEAD before.
                if let Some(before) = &state.head_before
                    && !entry.undo.iter().any(|u| u.contains(" reset --keep "))
                {
                    entry.undo.push(format!(
                        "git -C {dir} reset --keep {before}   # drops the run's commits (and later ones)"
                    ));
                }
            }
            (Guard::Import { from, tag, .. }, _) => {
                if !entry.undo.iter().any(|u| u.contains(" reset --keep ")) {
                    entry.undo.push(format!(
                        "git -C {dir} reset --keep {from}   # drops the run's commits (and later ones)"
                    ));
                }
                entry.undo.push(format!("git -C {dir} tag -d {tag}"));
            }
            (Guard::Tag { name, .. }, _) => {
                entry.undo.push(format!("git -C {dir} tag -d {name}"));
            }
            (Guard::Push { refs, .. }, _) => {
                for r in refs {
                    if let Some(tag) = r.strip_prefix("refs/tags/") {
                        entry
                            .undo
                            .push(format!("git -C {dir} push {remote} --delete {tag}"));
                    } else {
                        entry.undo.push(format!(
                            "# {r} was pushed to `{remote}` from {dir}: revert it there by hand if needed"
                        ));
                    }
                }
            }
            (_, StepKind::Forge { call }) => {
                if let ForgeAction::CreateRelease { tag, .. } = &call.action {
                    entry.undo.push(format!(
                        "# delete the forge release of {tag} in {} by hand if needed",
                        call.repo
                    ));
                }
            }
            _ => {}
        }
    }
    Unfinished {
        command: j.command.clone(),
        steps_done: j.completed().len(),
        steps: j.steps.len(),
        packages,
    }
}

/// Print the report (text on stdout, or JSON).
fn print_report(report: &Unfinished, json: bool) -> Result<()> {
    if json {
        return ui::print_json(&serde_json::json!({ "run": report }));
    }
    let mut out = format!(
        "Unfinished run: `release-tool {}` ({} of {} steps done)\n",
        report.command, report.steps_done, report.steps
    );
    for p in &report.packages {
        let _ = writeln!(
            out,
            "\n{}: {} done, {} not done",
            p.package,
            crate::core::text::count(p.done.len(), "step"),
            p.not_done.len()
        );
        for d in &p.done {
            let _ = writeln!(out, "  done      {d}");
        }
        for d in &p.not_done {
            let _ = writeln!(out, "  not done  {d}");
        }
        if !p.undo.is_empty() {
            out.push_str("  to undo by hand:\n");
            for u in &p.undo {
                let _ = writeln!(out, "    {u}");
            }
        }
    }
    ui::print_text(out.trim_end());
    Ok(())
}

/// Ask on the terminal whether to abandon the run.
fn confirm(command: &str) -> Result<bool> {
    eprint!("Abandon `release-tool {command}`? Nothing is undone. [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
}

/// `release-tool abort`: show the unfinished run, then (with `yes`, or confirmed on a terminal)
/// move its journal aside. `--dry-run` only shows it.
pub fn run(ws: &Workspace, settings: &Settings, yes: bool) -> Result<ExitKind> {
    // The journal's own run holds the lock while it runs: never abort under a live run.
    let _lock = run_lock(ws, settings, "abort")?;
    let journal = match Journal::load(&ws.root)? {
        Some(j) if !j.finished => j,
        _ => {
            if settings.json {
                ui::print_json(&serde_json::json!({ "run": null }))?;
            }
            ui::note("No unfinished run to abort");
            return Ok(ExitKind::Success);
        }
    };
    let report = unfinished_report(ws, &journal);
    print_report(&report, settings.json)?;
    if settings.dry_run {
        ui::note("Dry run: the run is not abandoned, nothing changed");
        return Ok(ExitKind::Success);
    }
    if !yes {
        if !std::io::stdin().is_terminal() {
            return Err(UserError::usage(format!(
                "Not abandoning `release-tool {}` without confirmation: not run from a terminal",
                journal.command
            ))
            .with_hint("run `release-tool abort --yes` to abandon it (it undoes nothing)")
            .into());
        }
        if !confirm(&journal.command)? {
            ui::note("Not abandoned; nothing changed");
            return Ok(ExitKind::Failure);
        }
    }
    let kept = Journal::archive(&ws.root, "aborted")?;
    ui::summary(
        &format!(
            "Abandoned `release-tool {}`: nothing was undone; its journal is kept as {}",
            journal.command,
            ws.rel(&kept)
        ),
        false,
    );
    ui::hint(
        "undo what it did by hand if needed (see above), check the packages with `release-tool status`, then run your next command",
    );
    Ok(ExitKind::Success)
}
