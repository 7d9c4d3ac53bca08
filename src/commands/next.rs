//! `next`: arguments. The command itself is not built yet (see the issue tracker).

use crate::cli::GlobalArgs;
use crate::error::ExitKind;

/// Stage 6.
#[derive(Debug, clap::Args)]
pub struct NextArgs {
    /// Push the dev branch.
    #[arg(long)]
    pub push: bool,
}

/// Run `next`.
pub fn run(_args: &NextArgs, _global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    super::not_implemented("next")
}
