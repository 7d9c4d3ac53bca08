//! `migrate`: take the Python `release_tool` out of the workspace (see
//! [`crate::manage::migrate`]).

use crate::cli::GlobalArgs;
use crate::core::error::ExitKind;
use crate::core::ui;
use crate::manage::migrate;
use crate::workspace::Workspace;

/// Migrate a workspace from the Python `release_tool`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Removes the old tool's submodule (release_tool/ or tools/release_tool/), its \
    `release-tool` source, dependency and workspace membership in the manifests; ignores the \
    changes directory in .gitignore; writes the old settings that differ from release-tool's \
    defaults into the configuration and removes the obsolete keys; commits those paths in the \
    root. A second run does nothing. --dry-run prints the plan."
)]
pub struct MigrateArgs {}

/// Run `migrate`.
pub fn run(_args: &MigrateArgs, global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    let ws = Workspace::discover(&super::start_dir(global))?;
    let settings = global.flags();
    let _lock = crate::app::workspace_lock(&ws, &settings, "migrate")?;
    ws.print_warnings();
    let planned = migrate::plan_migrate(&ws)?;
    if planned.plan.is_empty() && !settings.dry_run {
        if settings.json {
            ui::print_json(&crate::plan::PlanJson::dry_run(planned.plan.to_json()))?;
        }
        ui::note("Nothing to migrate: no trace of the Python release_tool in this workspace");
        return Ok(ExitKind::Success);
    }
    if super::run_plan(&planned.plan, &settings, None)? {
        super::report_steps(&planned.plan, &settings)?;
        ui::note("Migrated from the Python release_tool:");
        for line in &planned.done {
            ui::note(&format!("  {line}"));
        }
    }
    Ok(ExitKind::Success)
}
