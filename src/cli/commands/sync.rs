//! `sync [dev|staging|prod]`: install an environment with uv.

use crate::cli::GlobalArgs;
use crate::core::error::ExitKind;
use crate::core::ui;
use crate::env;
use crate::python::uv::Uv;
use crate::workspace::Workspace;

/// Install an environment.
#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    /// Environment to install: dev (editable workspace at the root), staging or prod (pinned, in
    /// their directories).
    #[arg(value_enum, default_value_t = env::Mode::Dev)]
    pub mode: env::Mode,
}

/// Run `sync`.
pub fn run(args: &SyncArgs, global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    let mode = args.mode;
    // dev needs the root manifest's path only; staging and prod check their pins against the
    // packages' remotes.
    let start = super::start_dir(global);
    let ws = if mode == env::Mode::Dev {
        Workspace::discover_config_only(&start)?
    } else {
        Workspace::discover(&start)?
    };
    let _lock = super::workspace_lock(&ws, global, "sync")?;
    ws.print_warnings();
    let uv = if global.dry_run {
        None
    } else {
        Some(Uv::find()?.quiet(global.quiet))
    };
    let plan = env::plan_sync(&ws, mode, global.jobs())?;
    if super::run_plan(&plan, &global.flags(), uv.as_ref())? {
        super::report_steps(&plan, &global.flags())?;
        let dir = env::mode_dir(&ws, mode);
        let venv = dir.join(".venv");
        let shown = ws.rel(&venv);
        ui::note(&format!("Active environment: {mode} ({shown})"));
        ui::hint(&format!("activate it with `source {shown}/bin/activate`"));
        let lock = ws.rel(&dir.join("uv.lock"));
        super::note_root_left_uncommitted(&ws, &[lock]);
    }
    Ok(ExitKind::Success)
}
