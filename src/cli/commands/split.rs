//! `split NAME --remote URL`: graduate an in-tree package into its own repository.

use crate::cli::GlobalArgs;
use crate::core::error::ExitKind;
use crate::core::ui;
use crate::manage::split::{self, SplitRequest};
use crate::workspace::Workspace;

/// Graduate an in-tree package into its own repository (the help is on `Command::Split`).
#[derive(Debug, clap::Args)]
pub struct SplitArgs {
    /// Package name.
    pub name: String,
    /// The new repository: an existing, empty repository (URL or path).
    #[arg(long, value_name = "URL")]
    pub remote: String,
    /// Leave the staging and prod locks as they are (they name the old pin until `release-tool
    /// lock --all`).
    #[arg(long)]
    pub no_lock: bool,
}

/// Run `split`.
pub fn run(args: &SplitArgs, global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    let ws = Workspace::discover(&super::start_dir(global))?;
    let _lock = super::workspace_lock(&ws, global, "split")?;
    ws.print_warnings();
    let request = SplitRequest {
        name: args.name.clone(),
        remote: args.remote.clone(),
        cwd: std::env::current_dir()?,
        lock: !args.no_lock,
    };
    let planned = split::plan_split(&ws, &request)?;
    for warning in &planned.warnings {
        ui::warn(warning);
    }
    // uv only for the locks the plan refreshes (found before any step runs).
    let uv = if global.dry_run
        || !planned
            .plan
            .steps
            .iter()
            .any(|s| matches!(s.kind, crate::plan::StepKind::Uv { .. }))
    {
        None
    } else {
        Some(crate::python::uv::Uv::find()?.quiet(global.quiet))
    };
    let ran = super::run_plan(&planned.plan, &global.flags(), uv.as_ref()).map_err(|e| {
        let files = planned.restore.join(" ");
        e.context(format!(
            "`split {}` stopped; the root's last commit still has {}: \
             `git -C {root} reset --quiet -- {files} && git -C {root} checkout -- {files}` brings \
             it back (see docs/split.md, \"If it stops part way\"), then run `split` again",
            planned.name,
            planned.rel_path,
            root = ws.root.display(),
        ))
    })?;
    if ran {
        super::report_steps(&planned.plan, &global.flags())?;
        ui::note(&format!(
            "Split {} into {} ({}, {}, branch {}); {} is now a submodule",
            planned.name,
            planned.url,
            crate::core::text::count(planned.commits, "commit"),
            crate::core::text::count(planned.tags.len(), "tag"),
            planned.branch,
            planned.rel_path
        ));
    }
    Ok(ExitKind::Success)
}
