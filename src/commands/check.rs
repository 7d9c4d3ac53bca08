//! `check`: arguments. The command itself is not built yet (see the issue tracker).

use crate::cli::GlobalArgs;
use crate::error::ExitKind;

/// Check workspace health.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {}

/// Run `check`.
pub fn run(_args: &CheckArgs, _global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    super::not_implemented("check")
}
