//! `next` (stage 6): start the next development cycle on `dev_branch`.

use super::stage::{self, StageArgs};
use crate::cli::GlobalArgs;
use crate::core::error::ExitKind;

/// Stage 6.
#[derive(Debug, clap::Args)]
pub struct NextArgs {
    #[command(flatten)]
    pub stage: StageArgs<stage::Next>,
}

/// Run `next`.
pub fn run(args: &NextArgs, global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    super::run_stage(&args.stage, global)
}
