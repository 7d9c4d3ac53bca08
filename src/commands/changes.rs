//! `changes`: arguments. The command itself is not built yet (see the issue tracker).

use crate::cli::GlobalArgs;
use crate::error::ExitKind;

/// Stage 1.
#[derive(Debug, clap::Args)]
pub struct ChangesArgs {
    /// Fill the commit message files with an LLM.
    #[arg(long)]
    pub llm: bool,
}

/// Run `changes`.
pub fn run(_args: &ChangesArgs, _global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    super::not_implemented("changes")
}
