//! `tag` (stage 5): on `base_branch` after the merge, tag the release commit, pin it in prod,
//! push, and create the forge release.

use super::stage::{self, StageArgs};
use crate::cli::GlobalArgs;
use crate::core::error::ExitKind;

/// Stage 5.
#[derive(Debug, clap::Args)]
pub struct TagArgs {
    #[command(flatten)]
    pub stage: StageArgs<stage::Tag>,
}

/// Run `tag` (`--sync` first syncs `base_branch`, see [`crate::app::stage::run`]).
pub fn run(args: &TagArgs, global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    super::run_stage(&args.stage, global)
}
