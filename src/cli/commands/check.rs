//! `check`: workspace health for CI (table of problems, `--json`, exit 1 on any).

use crate::cli::GlobalArgs;
use crate::core::error::ExitKind;
use crate::core::ui;
use crate::manage::check::{CheckReport, CheckRequest};
use crate::workspace::Workspace;

/// Check workspace health (for CI).
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Skip `uv lock --check` for each environment.
    #[arg(long)]
    pub no_locks: bool,
}

/// Run `check`.
pub fn run(args: &CheckArgs, global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    let mut timings = ui::Timings::start();
    let ws = Workspace::discover(&super::start_dir(global))?;
    ws.print_warnings();
    timings.phase("discover");
    let report = crate::manage::check::run(
        &ws,
        &CheckRequest {
            jobs: global.jobs(),
            skip_locks: args.no_locks,
        },
    )?;
    timings.phase("check");
    if global.json {
        ui::print_json(&report)?;
    } else {
        print_report(&report);
    }
    timings.phase("render");
    timings.report(
        &format!(
            "Checked {}",
            crate::core::text::count(ws.packages.len(), "package")
        ),
        &format!(
            "{} ({}), {}",
            crate::core::text::count(report.checks.len(), "check"),
            report.checks.join(", "),
            crate::core::text::count(report.problems.len(), "problem")
        ),
    );
    Ok(if report.ok {
        ExitKind::Success
    } else {
        ExitKind::Failure
    })
}

/// The human report: a table of problems, or a one-line success on stderr.
pub fn print_report(report: &CheckReport) {
    for w in &report.warnings {
        ui::warn(&format!(
            "{}: {}",
            w.package.as_deref().unwrap_or("(root)"),
            w.message
        ));
    }
    for n in &report.notes {
        ui::note(&format!("note: {n}"));
    }
    if report.ok {
        ui::note(&format!("All checks passed ({})", report.checks.join(", ")));
        return;
    }
    ui::print_table(
        &["check", "package", "problem"],
        report.problems.iter().map(|p| {
            vec![
                ui::Cell::plain(p.check),
                ui::Cell::strong(p.package.clone().unwrap_or_else(|| "(root)".to_owned())),
                ui::Cell::error(&p.message),
            ]
        }),
    );
    let n = report.problems.len();
    ui::note(&format!("{} found", crate::core::text::count(n, "problem")));
}
