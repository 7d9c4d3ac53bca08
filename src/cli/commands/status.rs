//! `status`: one row per package (docs/reference.md §5).

use std::fmt::Write as _;

use crate::cli::GlobalArgs;
use crate::core::error::ExitKind;
use crate::core::ui;
use crate::workspace::Workspace;
use crate::workspace::status::{StatusReport, StatusRequest};

/// Show the state of every package.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Fetch every package's remote (in parallel) first.
    #[arg(long)]
    pub fetch: bool,
}

/// Run `status`.
pub fn run(args: &StatusArgs, global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    let mut timings = ui::Timings::start();
    let root = crate::workspace::find_root(&super::start_dir(global))?;
    // The root's `git status` (for in-tree packages) runs while the packages are read.
    let (ws, root_status) = Workspace::load_alongside(&root, |in_tree| {
        (!args.fetch)
            .then(|| crate::workspace::status::root_status(&root, in_tree))
            .flatten()
    })?;
    ws.print_warnings();
    timings.phase("discover");
    let request = StatusRequest {
        packages: global.packages.clone(),
        fetch: args.fetch,
        jobs: global.jobs(),
    };
    let report = crate::workspace::status::run_with(&ws, &request, root_status)?;
    timings.phase("read");
    if global.json {
        ui::print_json(&report)?;
    } else {
        print_report(&report);
    }
    timings.phase("render");
    timings.report(
        &format!(
            "Read {}",
            crate::core::text::count(report.packages.len(), "package")
        ),
        &report.checked.describe(),
    );
    Ok(if report.has_errors() {
        ExitKind::Failure
    } else {
        ExitKind::Success
    })
}

/// The status table's columns; on a narrow terminal PATH goes first (it is mostly
/// `packages/<name>`), then REMOTE, BRANCH, the pins and LAST TAG; PROBLEMS wraps.
const COLUMNS: [ui::Column; 11] = [
    ui::Column::keep("package"),
    ui::Column::droppable("path", 7),
    ui::Column::droppable("branch", 5),
    ui::Column::keep("version"),
    ui::Column::droppable("last tag", 1),
    ui::Column::keep("unreleased"),
    ui::Column::keep("dirty"),
    ui::Column::droppable("remote", 6),
    ui::Column::droppable("staging", 3),
    ui::Column::droppable("prod", 2),
    ui::Column::wrapping("problems"),
];

pub fn print_report(report: &StatusReport) {
    if report.packages.is_empty() {
        ui::note(&format!("No packages in {} yet", report.root));
        ui::hint("create one with `release-tool new NAME`");
        return;
    }
    let dash = || "-".to_owned();
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(dash);
    let num = |v: Option<u32>| v.map_or_else(dash, |n| n.to_string());
    let rows = report.packages.iter().map(|r| {
        let ahead_behind = match (r.ahead, r.behind) {
            (Some(a), Some(b)) if a + b > 0 => format!("↑{a} ↓{b}"),
            (Some(_), Some(_)) => "=".to_owned(),
            _ => dash(),
        };
        // One problem per line (a multi-line message, e.g. git's, made one line).
        let problems = r
            .problems
            .iter()
            .map(|p| p.message.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>()
            .join("\n");
        vec![
            ui::Cell::strong(&r.name),
            ui::Cell::plain(&r.path),
            ui::Cell::plain(opt(&r.branch)),
            ui::Cell::plain(opt(&r.version)),
            ui::Cell::plain(opt(&r.last_tag)),
            ui::Cell::plain(num(r.commits_since_tag)),
            ui::Cell::plain(r.dirty.map_or_else(dash, |n| n.to_string())),
            ui::Cell::plain(ahead_behind),
            ui::Cell::plain(opt(&r.staging_pin)),
            ui::Cell::plain(opt(&r.prod_pin)),
            match r.status {
                "error" => ui::Cell::error(problems),
                "warning" => ui::Cell::warning(problems),
                _ => ui::Cell::plain(problems),
            },
        ]
    });
    ui::print_columns(&COLUMNS, rows);
    let errors = report
        .packages
        .iter()
        .filter(|r| r.status == "error")
        .count();
    let warnings = report
        .packages
        .iter()
        .filter(|r| r.status == "warning")
        .count();
    let n = report.packages.len();
    let mut summary = crate::core::text::count(n, "package");
    if errors > 0 {
        let _ = write!(summary, ", {errors} with errors");
    }
    if warnings > 0 {
        let _ = write!(summary, ", {warnings} with warnings");
    }
    ui::note(&summary);
    if let Some(p) = &report.product {
        let mut line = format!(
            "product {} {} (last tag {})",
            p.name,
            p.version,
            p.last_tag.as_deref().unwrap_or("none")
        );
        if p.unreleased.is_empty() {
            line.push_str(", nothing unreleased");
        } else {
            // Named when few, else the first few and a count (`--json` has them all).
            let _ = write!(
                line,
                ", unreleased: {}",
                crate::core::text::names_shown(&p.unreleased)
            );
        }
        ui::note(&line);
    }
    for (group, members) in &report.groups {
        ui::note(&format!(
            "group {group}: {} (released together)",
            crate::core::text::names_shown(members)
        ));
    }
}
