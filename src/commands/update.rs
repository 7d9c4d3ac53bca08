//! `update`: arguments. The command itself is not built yet (see the issue tracker).

use crate::cli::GlobalArgs;
use crate::error::ExitKind;

/// Move submodules to their branch heads.
#[derive(Debug, clap::Args)]
pub struct UpdateArgs {
    /// Packages to update (default: all).
    pub names: Vec<String>,
    /// Stage the new pointers but do not commit.
    #[arg(long)]
    pub no_commit: bool,
}

/// Run `update`.
pub fn run(_args: &UpdateArgs, _global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    super::not_implemented("update")
}
