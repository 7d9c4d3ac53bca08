//! `lock`: arguments. The command itself is not built yet (see the issue tracker).

use super::Mode;
use crate::cli::GlobalArgs;
use crate::error::ExitKind;

/// Lock an environment.
#[derive(Debug, clap::Args)]
pub struct LockArgs {
    /// Environment to lock.
    #[arg(value_enum, conflicts_with = "all")]
    pub mode: Option<Mode>,
    /// Lock dev, staging and prod.
    #[arg(long)]
    pub all: bool,
}

/// Run `lock`.
pub fn run(_args: &LockArgs, _global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    super::not_implemented("lock")
}
