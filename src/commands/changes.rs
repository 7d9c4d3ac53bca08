//! `changes` (stage 1): write change files for packages with uncommitted work.

use crate::cli::GlobalArgs;
use crate::error::ExitKind;
use crate::stages;
use crate::ui;
use crate::workspace::Workspace;

/// Stage 1.
#[derive(Debug, clap::Args)]
pub struct ChangesArgs {
    /// Fill the commit message files with an LLM (not built yet: the files are written and the
    /// message files are left for you to fill).
    #[arg(long)]
    pub llm: bool,
}

/// Run `changes`.
pub fn run(args: &ChangesArgs, global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    let ws = Workspace::discover(&super::start_dir(global))?;
    ui::workspace_warnings(&ws);
    // `dry_run = true` in the configuration: as if `--dry-run` were given.
    let global = &GlobalArgs {
        dry_run: global.dry_run || ws.config.dry_run,
        ..global.clone()
    };
    let planned = stages::plan_changes(&ws, &global.packages)?;
    for s in &planned.skipped {
        ui::note(&format!("{}: skipped, {}", s.package, s.reason));
    }
    if global.dry_run {
        super::run_plan(&planned.plan, global, None)?;
        return Ok(ExitKind::Success);
    }
    super::run_plan(&planned.plan, global, None)?;
    if global.json {
        ui::print_json(&planned.packages)?;
    }
    for p in &planned.packages {
        let files = if p.files == 1 { "file" } else { "files" };
        ui::note(&format!(
            "{}: {} {files} changed → {}",
            p.package, p.files, p.changes_file
        ));
    }
    if planned.packages.is_empty() {
        ui::note("No uncommitted changes in the selected packages");
    } else {
        let kept: Vec<&str> = planned
            .packages
            .iter()
            .filter(|p| p.message_kept)
            .map(|p| p.message_file.as_str())
            .collect();
        if !kept.is_empty() {
            ui::note(&format!("Kept the existing message in {}", kept.join(", ")));
        }
        if args.llm {
            ui::warn("`--llm` needs the LLM client (not built yet): no message was generated");
        }
        ui::hint(&format!(
            "write each commit message in {}, then run `release-tool commit`",
            planned
                .packages
                .iter()
                .map(|p| p.message_file.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(ExitKind::Success)
}
