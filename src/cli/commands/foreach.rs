//! `foreach -- CMD...`: run a command in every package directory, in parallel.

use std::io::Write as _;

use crate::cli::GlobalArgs;
use crate::core::error::ExitKind;
use crate::core::process::Capture;
use crate::core::ui;
use crate::manage::foreach::{ForeachRequest, Outcome, RunJson, RunResult};
use crate::workspace::Workspace;

/// Run a command in every package.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Each package's output is printed as one block, in package-name order, \
    as soon as the packages before it are done. The command runs without a shell (use \
    `sh -c '...'` for pipes and variables), with RELEASE_TOOL_PACKAGE set to the package name \
    and RELEASE_TOOL_ROOT to the workspace root."
)]
pub struct ForeachArgs {
    /// The command and its arguments (after `--`).
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CMD"
    )]
    pub command: Vec<String>,
}

/// Run `foreach`.
pub fn run(args: &ForeachArgs, global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    let ws = Workspace::discover(&super::start_dir(global))?;
    ws.print_warnings();
    let request = ForeachRequest {
        packages: global.packages.clone(),
        argv: args.command.clone(),
    };
    let plan = crate::manage::foreach::plan(&ws, &request)?;
    for s in &plan.skipped {
        ui::warn(&format!(
            "Skipping {} ({}): {}",
            s.package, s.path, s.reason
        ));
    }
    if global.dry_run {
        if global.json {
            ui::print_json(&crate::plan::PlanJson::dry_run(plan.to_json()))?;
        } else if plan.targets.is_empty() {
            ui::note("No packages to run the command in");
        } else {
            ui::print_text(&plan.render());
            let n = plan.targets.len();
            ui::note(&format!(
                "Dry run: would run in {}, nothing was run",
                crate::core::text::count(n, "package")
            ));
        }
        return Ok(ExitKind::Success);
    }
    if plan.targets.is_empty() {
        if global.json {
            ui::print_json_list("packages", &Vec::<RunJson>::new())?;
        }
        ui::note("No packages to run the command in");
        return Ok(ExitKind::Success);
    }
    let jobs = ws.config.effective_jobs(global.jobs());
    let results = if global.json {
        let results = crate::manage::foreach::run(&plan, jobs, Capture::Separate, |_| {});
        let rows: Vec<RunJson> = results.iter().map(RunJson::from).collect();
        ui::print_json_list("packages", &rows)?;
        results
    } else {
        crate::manage::foreach::run(&plan, jobs, Capture::Merged, print_block)
    };
    let failed = results.iter().any(|r| !r.success());
    if results
        .iter()
        .any(|r| matches!(r.outcome, Outcome::NotStarted(_)))
    {
        ui::hint(
            "check the program name and PATH; pipes, globs and variables need a shell: `foreach -- sh -c '...'`",
        );
    }
    ui::summary(
        &crate::manage::foreach::summary(&results, &plan.skipped),
        failed,
    );
    Ok(if failed {
        ExitKind::Failure
    } else {
        ExitKind::Success
    })
}

/// One package's block: the heading on stderr, the command's output on stdout, and on failure
/// why, on stderr.
fn print_block(r: &RunResult) {
    ui::section(&format!("{} ({})", r.package, r.path));
    match &r.outcome {
        Outcome::Ran(out) => {
            // The progress bar (stderr) steps aside while the block is written.
            ui::suspended(|| {
                let mut stdout = std::io::stdout().lock();
                let _ = stdout.write_all(&crate::core::secrets::redact_bytes(&out.stdout));
                if !out.stdout.is_empty() && !out.stdout.ends_with(b"\n") {
                    let _ = stdout.write_all(b"\n");
                }
                let _ = stdout.flush();
            });
            if let Some(why) = r.failure() {
                ui::error(&format!("Command failed in {} ({why})", r.package));
            }
        }
        Outcome::NotStarted(message) => ui::error(message),
    }
}
