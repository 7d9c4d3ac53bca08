//! `add URL [--path P] [--branch B]`: add an existing package repository as a submodule and
//! register it in the dev manifest.

use std::path::PathBuf;

use crate::cli::GlobalArgs;
use crate::core::error::{ExitKind, UserError};
use crate::core::ui;
use crate::manage::membership::{self, AddRequest};
use crate::workspace::Workspace;

/// Add an existing package repository.
#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// Repository URL of the package (https, ssh, `file://`, or a local path).
    pub url: String,
    /// Path in the root (default: `<packages_dir>/<repo name>`).
    #[arg(long)]
    pub path: Option<PathBuf>,
    /// Branch to track (default: the branch the remote's HEAD points to, else `main`).
    #[arg(long)]
    pub branch: Option<String>,
}

/// Run `add`.
pub fn run(args: &AddArgs, global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    let ws = Workspace::discover(&super::start_dir(global))?;
    let _lock = super::workspace_lock(&ws, global, "add")?;
    ws.print_warnings();
    let path = match &args.path {
        Some(p) => Some(
            p.to_str()
                .ok_or_else(|| {
                    UserError::usage(format!("Invalid --path `{}`: not UTF-8", p.display()))
                })?
                .to_owned(),
        ),
        None => None,
    };
    let request = AddRequest {
        url: args.url.clone(),
        path,
        branch: args.branch.clone(),
        cwd: std::env::current_dir()?,
    };
    let added = membership::plan_add(&ws, &request)?;
    for warning in &added.warnings {
        ui::warn(warning);
    }
    let undo = crate::app::undo::Undo::capture(&ws.root, &added.rel_path)?;
    let ran = super::run_plan(&added.plan, &global.flags(), None)
        .map_err(|e| undo.after_failure(e, &format!("`add {}`", args.url)))?;
    if ran {
        super::report_steps(&added.plan, &global.flags())?;
        ui::note(&format!(
            "Added package {} in {} (branch {}) from {}",
            added.name, added.rel_path, added.branch, added.url
        ));
        if added.reuses_git_dir {
            ui::note("  reused the git directory a removed submodule had left in .git/modules");
        }
        ui::hint(
            "install it with `release-tool sync dev`; pin it in staging and prod with `release-tool manifests`",
        );
    }
    Ok(ExitKind::Success)
}
