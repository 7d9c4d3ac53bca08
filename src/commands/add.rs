//! `add`: arguments. The command itself is not built yet (see the issue tracker).

use std::path::PathBuf;

use crate::cli::GlobalArgs;
use crate::error::ExitKind;

/// Add an existing package repository.
#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// Repository URL of the package.
    pub url: String,
    /// Path in the root (default: `<packages_dir>/<repo name>`).
    #[arg(long)]
    pub path: Option<PathBuf>,
    /// Branch to track.
    #[arg(long)]
    pub branch: Option<String>,
}

/// Run `add`.
pub fn run(_args: &AddArgs, _global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    super::not_implemented("add")
}
