//! `remove NAME [--force]`: unregister a package from the three manifests and remove its
//! submodule.

use crate::cli::GlobalArgs;
use crate::core::error::ExitKind;
use crate::core::ui;
use crate::manage::membership::{self, RemoveRequest};
use crate::workspace::Workspace;

/// Remove a package.
#[derive(Debug, clap::Args)]
pub struct RemoveArgs {
    /// Package name.
    pub name: String,
    /// Discard uncommitted or unpushed work in the package, and delete a package directory that
    /// is not a submodule.
    #[arg(long)]
    pub force: bool,
}

/// Run `remove`.
pub fn run(args: &RemoveArgs, global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    let ws = Workspace::discover(&super::start_dir(global))?;
    let _lock = super::workspace_lock(&ws, global, "remove")?;
    ws.print_warnings();
    let request = RemoveRequest {
        name: args.name.clone(),
        force: args.force,
    };
    let removed = membership::plan_remove(&ws, &request)?;
    for warning in &removed.warnings {
        ui::warn(warning);
    }
    if super::run_plan(&removed.plan, &global.flags(), None)? {
        super::report_steps(&removed.plan, &global.flags())?;
        ui::note(&format!(
            "Removed package {} ({})",
            removed.name, removed.rel_path
        ));
        if let Some(dir) = &removed.kept_git_dir {
            let shown = ws.rel(dir);
            ui::note(&format!(
                "  git keeps its repository in {shown} (a later `add` of the same URL reuses it; \
                 delete it to reclaim the space)"
            ));
        }
    }
    Ok(ExitKind::Success)
}
