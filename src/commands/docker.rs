//! `docker`: arguments. The command itself is not built yet (see the issue tracker).

use crate::cli::GlobalArgs;
use crate::error::ExitKind;

/// Stage 7.
#[derive(Debug, clap::Args)]
pub struct DockerArgs {
    /// Build the image.
    #[arg(long)]
    pub build: bool,
    /// Push the image tags.
    #[arg(long)]
    pub push: bool,
    /// Exit 1 if the committed Dockerfile is stale; write nothing.
    #[arg(long)]
    pub check: bool,
}

/// Run `docker`.
pub fn run(_args: &DockerArgs, _global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    super::not_implemented("docker")
}
