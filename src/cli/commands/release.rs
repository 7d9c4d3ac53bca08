//! `release`: the trunk-based one-shot (bump, changelog, release commit, tag, push, forge
//! release, next-dev commit for every package with changes, then one root commit).

use super::stage::{self, StageArgs};
use crate::cli::GlobalArgs;
use crate::core::error::ExitKind;

/// One-shot release.
#[derive(Debug, clap::Args)]
pub struct ReleaseArgs {
    #[command(flatten)]
    pub stage: StageArgs<stage::Release>,
}

/// Run `release`.
pub fn run(args: &ReleaseArgs, global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    super::run_stage(&args.stage, global)
}
