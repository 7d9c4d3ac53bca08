//! `notes` (stage3): release-notes material for packages with commits since their last tag.

use std::path::PathBuf;

use crate::cli::GlobalArgs;
use crate::error::{ExitKind, UserError};
use crate::notes::{self, NotesRequest};
use crate::ui;
use crate::workspace::Workspace;

/// Stage 3: write the commit log and diff since the last tag, and a tag message template.
#[derive(Debug, clap::Args)]
pub struct NotesArgs {
    /// JSON map `{package: tag}` of the tags to compare against.
    #[arg(long, value_name = "FILE")]
    pub tags_file: Option<PathBuf>,
    /// Fill the tag message files with an LLM.
    #[arg(long)]
    pub llm: bool,
}

/// Run `notes`.
pub fn run(args: &NotesArgs, global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    if args.llm {
        return Err(
            UserError::usage("`notes --llm` needs the LLM client, which is not built yet")
                .with_hint("run `release-tool notes` and edit the tag_message.md files by hand")
                .into(),
        );
    }
    let ws = Workspace::discover(&super::start_dir(global))?;
    ui::workspace_warnings(&ws);
    let tags = match &args.tags_file {
        Some(path) => notes::read_tags_file(path)?,
        None => std::collections::BTreeMap::default(),
    };
    let request = NotesRequest {
        packages: global.packages.clone(),
        tags,
        jobs: global.jobs(),
    };
    let (plan, written) = notes::plan(&ws, &request)?;
    if written.is_empty() {
        ui::note("No package has commits since its last tag: nothing to write");
        return Ok(ExitKind::Success);
    }
    let ran = super::run_plan(&plan, global, None)?;
    if ran {
        if global.json {
            ui::print_json(&written)?;
        } else {
            for n in &written {
                let since = n.since_tag.as_deref().unwrap_or("the first commit");
                let kept = if n.tag_message_kept {
                    " (edited message kept)"
                } else {
                    ""
                };
                ui::note(&format!(
                    "{}: {} commit(s) since {since} -> {}, {}{kept}",
                    n.package, n.commits, n.changes_file, n.tag_message_file
                ));
            }
            ui::hint("edit the tag_message.md files, then `release-tool prepare`");
        }
    }
    Ok(ExitKind::Success)
}
