//! `new NAME [--remote URL | --in-tree] [--dep PKG]... [--description D]`: a new micro-package.

use crate::cli::GlobalArgs;
use crate::core::error::ExitKind;
use crate::core::ui;
use crate::env::scaffold::{self, NewPackageRequest};
use crate::workspace::Workspace;

/// Create a new micro-package.
#[derive(Debug, clap::Args)]
pub struct NewArgs {
    /// Package name (PEP 508).
    pub name: String,
    /// Remote URL: push there and register the package as a submodule.
    #[arg(long, value_name = "URL", conflicts_with = "in_tree")]
    pub remote: Option<String>,
    /// Make it an in-tree package: a plain directory of the root repository, committed there
    /// (no repository of its own, no submodule; `split` graduates it later).
    #[arg(long)]
    pub in_tree: bool,
    /// Depend on another workspace package (repeatable).
    #[arg(long = "dep", value_name = "PKG")]
    pub deps: Vec<String>,
    /// One-line description.
    #[arg(long)]
    pub description: Option<String>,
}

/// Run `new`.
pub fn run(args: &NewArgs, global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    let ws = Workspace::discover(&super::start_dir(global))?;
    let _lock = super::workspace_lock(&ws, global, "new")?;
    ws.print_warnings();
    let existing: Vec<String> = ws.packages.iter().map(|p| p.name.clone()).collect();
    let request = NewPackageRequest {
        name: args.name.clone(),
        description: args.description.clone(),
        deps: args.deps.clone(),
        remote: args.remote.clone(),
        in_tree: args.in_tree,
    };
    let plan = scaffold::plan_new(&ws.root, &ws.config, &existing, &request)?;
    let rel = format!(
        "{}/{}",
        ws.config.packages_dir.trim_end_matches('/'),
        args.name
    );
    let undo = crate::app::undo::Undo::capture(&ws.root, &rel)?;
    let ran = super::run_plan(&plan, &global.flags(), None)
        .map_err(|e| undo.after_failure(e, &format!("`new {}`", args.name)))?;
    if ran {
        super::report_steps(&plan, &global.flags())?;
        ui::note(&format!(
            "Created package {} in {}/{}",
            args.name, ws.config.packages_dir, args.name
        ));
        if args.remote.is_none() && !args.in_tree {
            ui::hint(
                "without --remote the package is not a submodule yet: push it somewhere and `release-tool add URL`",
            );
        }
    }
    Ok(ExitKind::Success)
}
