//! `branch`: arguments. The command itself is not built yet (see the issue tracker).

use crate::cli::GlobalArgs;
use crate::error::ExitKind;

/// Stage 0.
#[derive(Debug, clap::Args)]
pub struct BranchArgs {
    /// Refuse instead of stashing uncommitted work.
    #[arg(long)]
    pub no_stash: bool,
    /// Push the dev branch.
    #[arg(long)]
    pub push: bool,
    /// Without a remote base branch, start from HEAD.
    #[arg(long)]
    pub fallback_head: bool,
    /// Without a remote base branch, start from the local base branch.
    #[arg(long)]
    pub fallback_local: bool,
}

/// Run `branch`.
pub fn run(_args: &BranchArgs, _global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    super::not_implemented("branch")
}
