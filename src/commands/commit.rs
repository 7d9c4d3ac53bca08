//! `commit`: arguments. The command itself is not built yet (see the issue tracker).

use crate::cli::GlobalArgs;
use crate::error::ExitKind;

/// Stage 2.
#[derive(Debug, clap::Args)]
pub struct CommitArgs {
    /// Push after committing.
    #[arg(long)]
    pub push: bool,
}

/// Run `commit`.
pub fn run(_args: &CommitArgs, _global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    super::not_implemented("commit")
}
