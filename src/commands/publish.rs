//! `publish`: arguments. The command itself is not built yet (see the issue tracker).

use crate::cli::GlobalArgs;
use crate::error::ExitKind;

/// Build and upload packages.
#[derive(Debug, clap::Args)]
pub struct PublishArgs {
    /// Packages to publish (default: all).
    pub names: Vec<String>,
    /// Upload URL of the package index.
    #[arg(long, value_name = "URL")]
    pub index: Option<String>,
}

/// Run `publish`.
pub fn run(_args: &PublishArgs, _global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    super::not_implemented("publish")
}
