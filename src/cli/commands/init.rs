//! `init [DIR] [--name N]`: create (or complete) a root workspace.

use std::path::PathBuf;

use crate::cli::GlobalArgs;
use crate::core::error::ExitKind;
use crate::core::ui;
use crate::env::scaffold::{self, InitRequest};

/// Create (or complete) a root workspace.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Directory of the workspace (default: the current directory, or `-C DIR`).
    pub dir: Option<PathBuf>,
    /// Project name (default: the directory name).
    #[arg(long)]
    pub name: Option<String>,
}

/// Run `init`.
pub fn run(args: &InitArgs, global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    let dir = args
        .dir
        .clone()
        .or_else(|| global.root.clone())
        .unwrap_or_else(|| PathBuf::from("."));
    let dir = std::path::absolute(&dir)?;
    let name = match &args.name {
        Some(n) => n.clone(),
        None => dir.file_name().map_or_else(
            || "product".to_owned(),
            |n| n.to_string_lossy().into_owned(),
        ),
    };
    let requires_python = scaffold::DEFAULT_REQUIRES_PYTHON.to_owned();
    let plan = scaffold::plan_init(&InitRequest {
        dir: dir.clone(),
        name,
        requires_python,
    })?;
    if plan.is_empty() && !global.dry_run {
        super::report_steps(&plan, &global.flags())?;
        ui::note(&format!(
            "Workspace in {} is complete; nothing to do",
            dir.display()
        ));
        return Ok(ExitKind::Success);
    }
    if super::run_plan(&plan, &global.flags(), None)? {
        super::report_steps(&plan, &global.flags())?;
        ui::note(&format!("Initialized workspace in {}", dir.display()));
        ui::hint("add a package with `release-tool new NAME --remote URL`");
    }
    Ok(ExitKind::Success)
}
