//! `sync`: arguments. The command itself is not built yet (see the issue tracker).

use super::Mode;
use crate::cli::GlobalArgs;
use crate::error::ExitKind;

/// Install an environment.
#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    /// Environment to install.
    #[arg(value_enum, default_value_t = Mode::Dev)]
    pub mode: Mode,
}

/// Run `sync`.
pub fn run(_args: &SyncArgs, _global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    super::not_implemented("sync")
}
