//! `prepare` (stage 4): bump, changelog and release commit on `dev_branch`; a dev/pre version is
//! tagged at once and pinned in staging; `--push` pushes and opens the pull request.

use super::BumpArg;
use crate::cli::GlobalArgs;
use crate::core::error::ExitKind;
use crate::release::{self, Request};
use crate::workspace::Workspace;

/// Stage 4.
#[derive(Debug, clap::Args)]
pub struct PrepareArgs {
    /// How to change the version.
    #[arg(long, value_enum, default_value_t = BumpArg::Auto)]
    pub bump: BumpArg,
    /// Push the branch (and a dev/pre tag) and open a pull request `dev_branch` -> `base_branch`.
    #[arg(long)]
    pub push: bool,
    /// Fail (exit 2) instead of skipping forge steps when no forge token is set.
    #[arg(long)]
    pub require_forge: bool,
    /// Do not make the root's bookkeeping commit (staging pins, submodule pointers).
    #[arg(long)]
    pub no_root_commit: bool,
}

/// Run `prepare`.
pub fn run(args: &PrepareArgs, global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    let ws = Workspace::discover(&super::start_dir(global))?;
    ws.print_warnings();
    let req = Request {
        packages: global.packages.clone(),
        bump: args.bump.into(),
        push: args.push,
        next: false,
        root_commit: !args.no_root_commit,
        delete_branch: false,
        lock: true,
    };
    let bump = format!("--bump {}", super::bump_name(args.bump));
    let key = super::command_key(
        "prepare",
        &[
            &bump,
            if args.push { "--push" } else { "" },
            if args.no_root_commit {
                "--no-root-commit"
            } else {
                ""
            },
        ],
        global,
    );
    super::run_journaled(&ws, global, &key, args.require_forge, &[], || {
        release::plan_prepare(&ws, &req)
    })
}
