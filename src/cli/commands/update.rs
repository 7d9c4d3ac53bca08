//! `update [NAME]...`: move submodules to their branch heads and commit the new pointers.

use std::fmt::Write as _;

use owo_colors::OwoColorize as _;

use crate::cli::GlobalArgs;
use crate::core::error::ExitKind;
use crate::core::ui;
use crate::git::{Git, short_hash};
use crate::manage::update::{Move, Survey, UpdateReport, UpdateRequest};
use crate::plan::Plan;
use crate::workspace::Workspace;

/// Move submodules to their branch heads.
#[derive(Debug, clap::Args)]
pub struct UpdateArgs {
    /// Packages to update (default: all; the same as `-p NAME`).
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// Stage the new pointers but do not commit.
    #[arg(long)]
    pub no_commit: bool,
}

/// Run `update`.
pub fn run(args: &UpdateArgs, global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    let ws = Workspace::discover(&super::start_dir(global))?;
    let _lock = super::workspace_lock(&ws, global, "update")?;
    ws.print_warnings();
    let mut packages = global.packages.clone();
    packages.extend(args.names.iter().cloned());
    let request = UpdateRequest {
        packages,
        dry_run: global.dry_run,
        jobs: global.jobs(),
    };
    let survey = crate::manage::update::survey(&ws, &request)?;
    for s in &survey.skipped {
        ui::warn(&s.message);
    }
    for r in &survey.refused {
        ui::error(&format!("{}; not updated", r.message));
        ui::hint(&r.hint);
    }
    let checkout = crate::manage::update::checkout_plan(&ws.root, &survey.moves);
    let record = crate::manage::update::record_plan(&ws.root, &survey.moves, !args.no_commit);
    let failed = if survey.refused.is_empty() {
        ExitKind::Success
    } else {
        ExitKind::Failure
    };

    if global.dry_run {
        if survey.moves.is_empty() && !global.json {
            nothing_moved(&survey);
            return Ok(failed);
        }
        if !global.json {
            print_moves(&survey.moves, true);
        }
        let mut plan = Plan::new(&ws.root);
        plan.steps.extend(checkout.steps);
        plan.steps.extend(record.steps);
        super::run_plan(&plan, &global.flags(), None)?;
        if !global.json && survey.moves.iter().any(|m| m.commits.is_none()) {
            ui::note(
                "Nothing was fetched: the new heads come from `git ls-remote`, commit subjects are shown on a real run",
            );
        }
        return Ok(failed);
    }

    if survey.moves.is_empty() {
        if global.json {
            ui::print_json(&UpdateReport::new(&ws.root, &survey, None))?;
        } else {
            nothing_moved(&survey);
        }
        return Ok(failed);
    }
    super::run_plan(&checkout, &global.flags(), None)?;
    crate::manage::update::verify(&ws.root, &survey.moves)?;
    super::run_plan(&record, &global.flags(), None)?;
    let commit = if args.no_commit {
        None
    } else {
        Some(Git::new(&ws.root).rev_parse("HEAD")?)
    };
    if global.json {
        ui::print_json(&UpdateReport::new(&ws.root, &survey, commit.clone()))?;
    } else {
        print_moves(&survey.moves, false);
    }
    let n = survey.moves.len();
    let what = format!(
        "the new {} of {}",
        crate::core::text::noun(n, "pointer"),
        plural(n, "package")
    );
    if let Some(hash) = &commit {
        ui::note(&format!(
            "Committed {what} in the root ({})",
            short_hash(hash)
        ));
    } else {
        ui::note(&format!("Staged {what} in the root (not committed)"));
        ui::hint("review with `git diff --cached --submodule`, then `git commit`");
    }
    if !survey.up_to_date.is_empty() {
        let n = survey.up_to_date.len();
        ui::note(&format!("{} already up to date", plural(n, "package")));
    }
    Ok(failed)
}

fn nothing_moved(survey: &Survey) {
    if survey.refused.is_empty() && !survey.up_to_date.is_empty() {
        ui::note("All packages are up to date");
    } else if survey.refused.is_empty() {
        ui::note("No submodule packages to update");
    } else if !survey.up_to_date.is_empty() {
        let n = survey.up_to_date.len();
        ui::note(&format!(
            "{} already up to date; nothing else updated",
            plural(n, "package")
        ));
    }
}

/// `name  old → new  (N commits)` with the subjects indented below, on stdout.
fn print_moves(moves: &[Move], dry_run: bool) {
    let width = moves.iter().map(|m| m.package.len()).max().unwrap_or(0);
    let mut out = String::new();
    for m in moves {
        let count = match &m.commits {
            None if dry_run => "new commits not fetched yet".to_owned(),
            None => "commits unknown".to_owned(),
            Some(c) if c.is_empty() && m.back > 0 => format!(
                "{} back: the remote branch was rewound",
                plural(m.back as usize, "commit")
            ),
            Some(c) => plural(c.len(), "commit"),
        };
        let name = format!("{:width$}", m.package);
        let _ = writeln!(
            out,
            "{}  {} → {}  ({count})",
            name.bold(),
            short_hash(&m.old),
            short_hash(&m.new)
        );
        for c in m.commits.iter().flatten() {
            let _ = writeln!(out, "    {}", c.subject);
        }
    }
    ui::print_text(&out);
}

use crate::core::text::count as plural;
