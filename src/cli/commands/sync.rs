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
    let dir = env::mode_dir(&ws, mode);
    let lock_path = dir.join("uv.lock");
    let lock_before = std::fs::read(&lock_path).ok();
    if super::run_plan(&plan, &global.flags(), uv.as_ref())? {
        let venv = dir.join(".venv");
        if global.json {
            ui::print_json(&SyncJson {
                environment: mode.to_string(),
                venv: ws.rel(&venv),
                lock: ws.rel(&lock_path),
                lock_changed: std::fs::read(&lock_path).ok() != lock_before,
                steps: crate::plan::PlanJson::done(plan.to_json()).steps,
            })?;
        }
        let shown = ws.rel(&venv);
        ui::note(&format!("Active environment: {mode} ({shown})"));
        ui::hint(&format!("activate it with `source {shown}/bin/activate`"));
        super::note_root_left_uncommitted(&ws, &[ws.rel(&lock_path)]);
    }
    Ok(ExitKind::Success)
}

/// The `--json` document of a real `sync` (docs/commands.md, sync): what was synced.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct SyncJson {
    /// `dev`, `staging` or `prod`.
    pub environment: String,
    /// The environment's virtual environment, relative to the root.
    pub venv: String,
    /// The environment's lock file, relative to the root.
    pub lock: String,
    /// Whether the sync changed the lock file (uv locks what it syncs).
    pub lock_changed: bool,
    /// The steps run (`uv sync` and what the environment needs first), each `done`.
    pub steps: Vec<crate::plan::StepJson>,
}
