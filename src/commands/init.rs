//! `init`: arguments. The command itself is not built yet (see the issue tracker).

use std::path::PathBuf;

use crate::cli::GlobalArgs;
use crate::error::ExitKind;

/// Create (or complete) a root workspace.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Directory of the new workspace (default: the current directory).
    pub dir: Option<PathBuf>,
    /// Project name (default: the directory name).
    #[arg(long)]
    pub name: Option<String>,
}

/// Run `init`.
pub fn run(_args: &InitArgs, _global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    super::not_implemented("init")
}
