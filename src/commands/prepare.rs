//! `prepare`: arguments. The command itself is not built yet (see the issue tracker).

use super::BumpArg;
use crate::cli::GlobalArgs;
use crate::error::ExitKind;

/// Stage 4.
#[derive(Debug, clap::Args)]
pub struct PrepareArgs {
    /// How to change the version.
    #[arg(long, value_enum, default_value_t = BumpArg::Auto)]
    pub bump: BumpArg,
    /// Push and open a pull request `dev_branch` -> `base_branch`.
    #[arg(long)]
    pub push: bool,
}

/// Run `prepare`.
pub fn run(_args: &PrepareArgs, _global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    super::not_implemented("prepare")
}
