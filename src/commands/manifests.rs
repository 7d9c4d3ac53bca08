//! `manifests`: arguments. The command itself is not built yet (see the issue tracker).

use crate::cli::GlobalArgs;
use crate::error::ExitKind;

/// Update staging and prod manifests.
#[derive(Debug, clap::Args)]
pub struct ManifestsArgs {
    /// Exit 1 and print the diff when the manifests are out of date; change nothing.
    #[arg(long)]
    pub check: bool,
}

/// Run `manifests`.
pub fn run(_args: &ManifestsArgs, _global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    super::not_implemented("manifests")
}
