//! `changes` (stage 1): write change files for packages with uncommitted work.

use crate::cli::GlobalArgs;
use crate::core::error::ExitKind;
use crate::core::ui;
use crate::llm::{self, Kind};
use crate::release::stages;
use crate::workspace::Workspace;

/// Stage 1.
#[derive(Debug, clap::Args)]
pub struct ChangesArgs {
    /// Fill the empty commit message files with an LLM (`[tool.release_tool.llm]`; the key is
    /// read from `api_key_env`). Messages that already have text are kept.
    #[arg(long)]
    pub llm: bool,
}

/// Run `changes`.
pub fn run(args: &ChangesArgs, global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    let ws = Workspace::discover(&super::start_dir(global))?;
    let _lock = super::workspace_lock(&ws, global, "changes")?;
    ws.print_warnings();
    // `dry_run = true` in the configuration: as if `--dry-run` were given.
    let settings = &global.resolve(&ws.config);
    let mut planned = stages::plan_changes(&ws, &global.packages)?;
    for s in &planned.skipped {
        ui::note(&format!("{}: skipped, {}", s.package, s.reason));
    }
    let env = llm::process_env;
    let known = llm::known_secrets(&ws.config, &env);
    let jobs = llm::jobs_or_warn(&ws, args.llm, |prompts| {
        // Each job masks secrets in a whole diff: one package per worker.
        let todo: Vec<_> = planned
            .packages
            .iter()
            .filter(|p| !p.message_kept)
            .collect();
        crate::core::parallel::map(&todo, ws.config.effective_jobs(global.jobs()), |p| {
            llm::commit_job(&ws, prompts, p, &known)
        })
        .into_iter()
        .collect()
    })?;
    let kept: Vec<String> = planned
        .packages
        .iter()
        .filter(|p| p.message_kept)
        .map(|p| p.message_file.clone())
        .collect();
    if !jobs.is_empty() {
        planned.plan.write(
            None,
            llm::prompt_path(&ws),
            llm::prompt_bundle(Kind::CommitMessage, &jobs, &kept),
        );
    }
    let asks = args.llm && !jobs.is_empty();
    if asks {
        // Each model call is a step of the plan, right after the write of its message file.
        llm::add_steps(&ws, &mut planned.plan, &jobs);
    }
    if settings.dry_run {
        if asks {
            llm::print_dry_run(&ws, &planned.plan, &jobs, settings.json, &env)?;
        } else {
            super::run_plan(&planned.plan, settings, None)?;
        }
        return Ok(ExitKind::Success);
    }
    let asker = if asks {
        Some(llm::Asker::new(&ws, &jobs, &env)?)
    } else {
        None
    };
    crate::app::run_plan_llm(
        &planned.plan,
        settings,
        None,
        asker.as_ref().map(|a| a as &dyn crate::plan::Ask),
    )?;
    let filled = asker.map(llm::Asker::into_filled);
    if settings.json {
        ui::print_json_list("packages", &planned.packages)?;
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
        return Ok(ExitKind::Success);
    }
    if !kept.is_empty() {
        let llm_note = if args.llm {
            " (no LLM request for it)"
        } else {
            ""
        };
        ui::note(&format!(
            "Kept the existing message in {}{llm_note}",
            crate::core::text::names_shown(&kept)
        ));
    }
    if let Some(filled) = filled {
        llm::report(&ws, &jobs, filled)?;
        ui::hint("review the commit messages, then run `release-tool commit`");
    } else {
        // One file: its path; more: the pattern and the count (never every path on one line).
        let files = match planned.packages.as_slice() {
            [one] => one.message_file.clone(),
            many => format!(
                "{} ({} packages)",
                ws.rel(
                    &stages::package_changes_dir(&ws, "<package>")
                        .join(&ws.config.commit_message_filename)
                ),
                many.len()
            ),
        };
        let helpers = if jobs.is_empty() {
            String::new()
        } else {
            format!(
                " (or have an LLM write them: `--llm`, or paste {} into a chat)",
                ws.rel(&llm::prompt_path(&ws))
            )
        };
        ui::hint(&format!(
            "write each commit message in {files}{helpers}, then run `release-tool commit`"
        ));
    }
    Ok(ExitKind::Success)
}
