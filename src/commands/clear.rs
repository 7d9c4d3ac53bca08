//! `clear`: arguments. The command itself is not built yet (see the issue tracker).

use crate::cli::GlobalArgs;
use crate::error::ExitKind;

/// Remove change files.
#[derive(Debug, clap::Args)]
pub struct ClearArgs {}

/// Run `clear`.
pub fn run(_args: &ClearArgs, _global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    super::not_implemented("clear")
}
