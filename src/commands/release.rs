//! `release`: arguments. The command itself is not built yet (see the issue tracker).

use super::BumpArg;
use crate::cli::GlobalArgs;
use crate::error::ExitKind;

/// One-shot release.
#[derive(Debug, clap::Args)]
pub struct ReleaseArgs {
    /// How to change the version.
    #[arg(long, value_enum, default_value_t = BumpArg::Auto)]
    pub bump: BumpArg,
    /// Push commits and tags, create forge releases.
    #[arg(long)]
    pub push: bool,
}

/// Run `release`.
pub fn run(_args: &ReleaseArgs, _global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    super::not_implemented("release")
}
