//! `clear`: remove the change files.

use crate::cli::GlobalArgs;
use crate::core::error::ExitKind;
use crate::core::ui;
use crate::release::stages;
use crate::workspace::Workspace;

/// Remove change files.
#[derive(Debug, clap::Args)]
pub struct ClearArgs {}

/// Run `clear`.
pub fn run(_args: &ClearArgs, global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    let ws = Workspace::discover(&super::start_dir(global))?;
    let _lock = super::workspace_lock(&ws, global, "clear")?;
    ws.print_warnings();
    // `dry_run = true` in the configuration: as if `--dry-run` were given.
    let settings = &global.resolve(&ws.config);
    let planned = stages::plan_clear(&ws, &global.packages)?;
    for kept in &planned.kept {
        ui::warn(&format!(
            "kept {kept}: release-tool does not write it (remove it yourself if you want)"
        ));
    }
    if settings.dry_run {
        super::run_plan(&planned.plan, settings, None)?;
        return Ok(ExitKind::Success);
    }
    super::run_plan(&planned.plan, settings, None)?;
    if settings.json {
        ui::print_json(&serde_json::json!({
            "removed": planned.removed,
            "kept": planned.kept,
        }))?;
    }
    let n = planned.removed.len();
    if n == 0 {
        ui::note(&format!(
            "No change files in {}",
            ws.config.changes_output_dir
        ));
    } else {
        ui::note(&format!(
            "Removed {} from {}",
            crate::core::text::count(n, "change file"),
            ws.config.changes_output_dir
        ));
    }
    Ok(ExitKind::Success)
}
