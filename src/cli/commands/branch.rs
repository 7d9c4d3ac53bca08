//! `branch` (stage 0): arguments, and the table or JSON of what happened.

use crate::cli::GlobalArgs;
use crate::core::error::ExitKind;
use crate::core::ui::{self, Cell};
use crate::release::branch::{Action, BranchReport, BranchRequest, Fallback};
use crate::workspace::Workspace;

/// Stage 0.
#[derive(Debug, clap::Args)]
pub struct BranchArgs {
    /// Refuse instead of stashing uncommitted work.
    #[arg(long)]
    pub no_stash: bool,
    /// Push the dev branch.
    #[arg(long)]
    pub push: bool,
    /// Without a remote base branch, start from HEAD.
    #[arg(long, conflicts_with = "fallback_local")]
    pub fallback_head: bool,
    /// Without a remote base branch, start from the local base branch.
    #[arg(long)]
    pub fallback_local: bool,
}

/// Run `branch`.
pub fn run(args: &BranchArgs, global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    let ws = Workspace::discover(&super::start_dir(global))?;
    let _lock = super::workspace_lock(&ws, global, "branch")?;
    ws.print_warnings();
    let settings = &global.resolve(&ws.config);
    let dry_run = settings.dry_run;
    let request = BranchRequest {
        packages: settings.packages.clone(),
        dry_run,
        no_stash: args.no_stash,
        push: args.push,
        fallback: if args.fallback_head {
            Fallback::Head
        } else if args.fallback_local {
            Fallback::Local
        } else {
            Fallback::None
        },
        jobs: global.jobs(),
    };
    let report = crate::release::branch::run(&ws, &request)?;
    for name in &report.skipped {
        ui::note(&format!(
            "Skipping {name}: skip = true in its [tool.release_tool.packages] configuration"
        ));
    }
    for row in &report.rows {
        if let Some(problem) = &row.problem {
            ui::error(problem);
            if let Some(hint) = &row.hint {
                ui::hint(hint);
            }
        }
        if let Some(note) = &row.note {
            ui::note(&format!("{}: {note}", row.package));
        }
    }
    let failed = if report.failed() {
        ExitKind::Failure
    } else {
        ExitKind::Success
    };
    if dry_run {
        let plan = report.plan(&ws.root, &ws.config.git_remote, &ws.config.dev_branch);
        if !settings.json {
            print_table(&report, true);
        }
        super::run_plan(&plan, settings, None)?;
        return Ok(failed);
    }
    if global.json {
        ui::print_json_list("packages", &report.rows)?;
    } else {
        print_table(&report, false);
    }
    let done = report.rows.iter().filter(|r| !r.failed()).count();
    let n = report.rows.len();
    ui::summary(
        &format!(
            "{done} of {} on `{}`",
            crate::core::text::count(n, "package"),
            ws.config.dev_branch
        ),
        report.failed(),
    );
    Ok(failed)
}

fn print_table(report: &BranchReport, dry_run: bool) {
    if report.rows.is_empty() {
        ui::note("No packages to branch");
        return;
    }
    let dash = || "-".to_owned();
    let rows = report.rows.iter().map(|r| {
        let action = match (r.action, dry_run) {
            (Action::Refused, _) => Cell::error("refused"),
            (a, false) if r.problem.is_some() => Cell::warning(a.as_str()),
            (a, true) => Cell::plain(format!("would be {}", a.as_str())),
            (a, false) => Cell::plain(a.as_str()),
        };
        let ahead_behind = match (r.ahead, r.behind) {
            (Some(a), Some(b)) if a + b > 0 => format!("↑{a} ↓{b}"),
            (Some(_), Some(_)) => "=".to_owned(),
            _ => dash(),
        };
        let note = if let Some(stash) = &r.stash {
            Cell::error(format!("work kept in {stash}"))
        } else if r.stashed && !dry_run && r.problem.is_none() {
            Cell::plain("work stashed and restored")
        } else if r.stashed {
            Cell::plain("work will be stashed and restored")
        } else {
            Cell::plain("")
        };
        vec![
            Cell::strong(r.package.clone()),
            Cell::plain(r.branch.clone()),
            Cell::plain(r.from.clone().unwrap_or_else(dash)),
            action,
            Cell::plain(ahead_behind),
            Cell::plain(r.upstream.clone().unwrap_or_else(dash)),
            note,
        ]
    });
    ui::print_table(
        &[
            "package", "branch", "from", "action", "ahead", "against", "note",
        ],
        rows,
    );
}
