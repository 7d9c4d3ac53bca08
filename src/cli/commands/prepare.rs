//! `prepare` (stage 4): bump, changelog and release commit on `dev_branch`; a dev/pre version is
//! tagged at once and pinned in staging; `--push` pushes and opens the pull request.

use super::stage::{self, StageArgs};
use crate::cli::GlobalArgs;
use crate::core::error::ExitKind;

/// Stage 4.
#[derive(Debug, clap::Args)]
pub struct PrepareArgs {
    #[command(flatten)]
    pub stage: StageArgs<stage::Prepare>,
}

/// Run `prepare`.
pub fn run(args: &PrepareArgs, global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    super::run_stage(&args.stage, global)
}
