//! `lock [dev|staging|prod|--all]`: lock environments with uv.

use crate::cli::GlobalArgs;
use crate::core::error::ExitKind;
use crate::core::ui;
use crate::env;
use crate::python::uv::Uv;
use crate::workspace::Workspace;

/// Lock an environment (default: dev).
#[derive(Debug, clap::Args)]
pub struct LockArgs {
    /// Environment to lock.
    #[arg(value_enum, conflicts_with = "all")]
    pub mode: Option<env::Mode>,
    /// Lock dev, staging and prod.
    #[arg(long)]
    pub all: bool,
}

/// Run `lock`.
pub fn run(args: &LockArgs, global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    // Locking needs the manifests' paths only: the packages are uv's to read.
    let ws = Workspace::discover_config_only(&super::start_dir(global))?;
    let _lock = super::workspace_lock(&ws, global, "lock")?;
    ws.print_warnings();
    let modes: Vec<env::Mode> = if args.all {
        env::Mode::ALL.to_vec()
    } else {
        vec![args.mode.unwrap_or(env::Mode::Dev)]
    };
    let uv = if global.dry_run {
        None
    } else {
        Some(Uv::find()?.quiet(global.quiet))
    };
    let plan = env::plan_lock(&ws, &modes)?;
    if super::run_plan(&plan, &global.flags(), uv.as_ref())? {
        super::report_steps(&plan, &global.flags())?;
        let names: Vec<&str> = modes.iter().map(|m| m.name()).collect();
        ui::note(&format!("Locked {}", names.join(", ")));
    }
    Ok(ExitKind::Success)
}
