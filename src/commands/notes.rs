//! `notes`: arguments. The command itself is not built yet (see the issue tracker).

use std::path::PathBuf;

use crate::cli::GlobalArgs;
use crate::error::ExitKind;

/// Stage 3.
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
pub fn run(_args: &NotesArgs, _global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    super::not_implemented("notes")
}
