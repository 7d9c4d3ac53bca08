//! `notes` (stage3): release-notes material for packages with commits since their last tag.

use std::path::PathBuf;

use crate::cli::GlobalArgs;
use crate::core::error::ExitKind;
use crate::core::ui;
use crate::llm::{self, Kind};
use crate::release::notes::{self, NotesRequest};
use crate::workspace::Workspace;

/// Stage 3: write the commit log and diff since the last tag, and a tag message template.
#[derive(Debug, clap::Args)]
pub struct NotesArgs {
    /// JSON map `{package: tag}` of the tags to compare against.
    #[arg(long, value_name = "FILE")]
    pub tags_file: Option<PathBuf>,
    /// Fill the tag message files with an LLM (`[tool.release_tool.llm]`; the key is read from
    /// `api_key_env`). Only missing or untouched templates are filled; edited messages are kept.
    #[arg(long)]
    pub llm: bool,
}

/// Run `notes`.
pub fn run(args: &NotesArgs, global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    let ws = Workspace::discover(&super::start_dir(global))?;
    let _lock = super::workspace_lock(&ws, global, "notes")?;
    ws.print_warnings();
    // `dry_run = true` in the configuration: as if `--dry-run` were given.
    let settings = &global.resolve(&ws.config);
    let tags = match &args.tags_file {
        Some(path) => notes::read_tags_file(path)?,
        None => std::collections::BTreeMap::default(),
    };
    let request = NotesRequest {
        packages: global.packages.clone(),
        tags,
        jobs: global.jobs(),
    };
    let (mut plan, written) = notes::plan(&ws, &request)?;
    if written.is_empty() {
        ui::note("No package has changes since its last release: nothing to write");
        return Ok(ExitKind::Success);
    }
    let env = llm::process_env;
    let known = llm::known_secrets(&ws.config, &env);
    let jobs = llm::jobs_or_warn(&ws, args.llm, |prompts| {
        // Each job masks secrets in a whole diff: one package per worker.
        let todo: Vec<_> = written.iter().filter(|n| !n.tag_message_kept).collect();
        crate::core::parallel::map(&todo, ws.config.effective_jobs(global.jobs()), |n| {
            llm::tag_job(&ws, prompts, n, &known)
        })
        .into_iter()
        .collect()
    })?;
    let kept: Vec<String> = written
        .iter()
        .filter(|n| n.tag_message_kept)
        .map(|n| n.tag_message_file.clone())
        .collect();
    // The product's combined notes of the coming release, as a file (and in the bundle).
    let product = notes::product_notes(&ws, &plan, &written);
    if !jobs.is_empty() {
        let mut bundle = llm::prompt_bundle(Kind::TagMessage, &jobs, &kept);
        if let Some((path, text)) = &product {
            bundle = llm::with_product_notes(bundle, &ws.rel(path), text);
        }
        plan.write(None, llm::prompt_path(&ws), bundle);
    }
    if let Some((path, text)) = product {
        plan.write(None, path, text);
    }
    let asks = args.llm && !jobs.is_empty();
    if asks {
        // Each model call is a step of the plan, right after the write of its tag message
        // (and so before the product's combined notes and prompt.md).
        llm::add_steps(&ws, &mut plan, &jobs);
    }
    if settings.dry_run {
        if asks {
            llm::print_dry_run(&ws, &plan, &jobs, settings.json, &env)?;
        } else {
            super::run_plan(&plan, settings, None)?;
        }
        return Ok(ExitKind::Success);
    }
    let asker = if asks {
        Some(llm::Asker::new(&ws, &jobs, &env)?)
    } else {
        None
    };
    crate::app::run_plan_llm(
        &plan,
        settings,
        None,
        asker.as_ref().map(|a| a as &dyn crate::plan::Ask),
    )?;
    let filled = asker.map(llm::Asker::into_filled);
    if let Some(filled) = &filled
        && !filled.answered.is_empty()
    {
        // The model's answers are part of the product's notes: written again from them.
        let mut answers = plan.clone();
        for (i, answer) in &filled.answered {
            let job = &jobs[*i];
            llm::set_content(
                &mut answers,
                &job.package,
                &job.target,
                format!("{}{}", job.header, answer.text),
            );
        }
        if let Some((path, text)) = notes::product_notes(&ws, &answers, &written) {
            let mut again = crate::plan::Plan::new(ws.root.clone());
            again.write(None, path, text);
            again.execute(None)?;
        }
    }
    if settings.json {
        ui::print_json_list("packages", &written)?;
    } else {
        for n in &written {
            let since = n.since_tag.as_deref().unwrap_or("the first commit");
            let kept = match (n.tag_message_kept, args.llm) {
                (true, true) => " (edited message kept, no LLM request for it)",
                (true, false) => " (edited message kept)",
                _ => "",
            };
            ui::note(&format!(
                "{}: {} since {since} → {}, {}{kept}",
                n.package,
                crate::core::text::count(n.commits, "commit"),
                n.changes_file,
                n.tag_message_file
            ));
            if let Some(why) = &n.tag_message_stale {
                ui::note(&format!(
                    "{}: {} written anew: {why}",
                    n.package, n.tag_message_file
                ));
            }
        }
    }
    match filled {
        Some(filled) => {
            llm::report(&ws, &jobs, filled)?;
            ui::hint(
                "review the tag_message.md files (keep {VERSION} and {PREV_VERSION}), then \
                 `release-tool prepare`",
            );
        }
        None if !settings.json => {
            ui::hint("edit the tag_message.md files, then `release-tool prepare`");
        }
        None => {}
    }
    Ok(ExitKind::Success)
}
