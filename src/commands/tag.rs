//! `tag`: arguments. The command itself is not built yet (see the issue tracker).

use crate::cli::GlobalArgs;
use crate::error::ExitKind;

/// Stage 5.
#[derive(Debug, clap::Args)]
pub struct TagArgs {
    /// Push the tag and create the forge release.
    #[arg(long)]
    pub push: bool,
}

/// Run `tag`.
pub fn run(_args: &TagArgs, _global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    super::not_implemented("tag")
}
