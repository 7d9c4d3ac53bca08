//! `remove`: arguments. The command itself is not built yet (see the issue tracker).

use crate::cli::GlobalArgs;
use crate::error::ExitKind;

/// Remove a package.
#[derive(Debug, clap::Args)]
pub struct RemoveArgs {
    /// Package name.
    pub name: String,
}

/// Run `remove`.
pub fn run(_args: &RemoveArgs, _global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    super::not_implemented("remove")
}
