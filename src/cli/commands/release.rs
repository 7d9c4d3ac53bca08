//! `release`: the trunk-based one-shot (bump, changelog, release commit, tag, push, forge
//! release, next-dev commit for every package with changes, then one root commit).

use super::BumpArg;
use crate::cli::GlobalArgs;
use crate::core::error::ExitKind;
use crate::release::{self, Request};
use crate::workspace::Workspace;

/// One-shot release.
#[derive(Debug, clap::Args)]
pub struct ReleaseArgs {
    /// How to change the version.
    #[arg(long, value_enum, default_value_t = BumpArg::Auto)]
    pub bump: BumpArg,
    /// Push commits and tags, create forge releases, push the root commit.
    #[arg(long)]
    pub push: bool,
    /// Do not start the next development cycle (no `X.Y.(Z+1).dev0` commit).
    #[arg(long)]
    pub no_next: bool,
    /// Fail (exit 2) instead of skipping forge steps when no forge token is set.
    #[arg(long)]
    pub require_forge: bool,
    /// Do not make the root's bookkeeping commit (pins, submodule pointers).
    #[arg(long)]
    pub no_root_commit: bool,
}

/// Run `release`.
pub fn run(args: &ReleaseArgs, global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    let ws = Workspace::discover(&super::start_dir(global))?;
    ws.print_warnings();
    let req = Request {
        packages: global.packages.clone(),
        bump: args.bump.into(),
        push: args.push,
        next: !args.no_next,
        root_commit: !args.no_root_commit,
        delete_branch: false,
        lock: true,
    };
    let bump = format!("--bump {}", super::bump_name(args.bump));
    let key = super::command_key(
        "release",
        &[
            &bump,
            if args.push { "--push" } else { "" },
            if args.no_next { "--no-next" } else { "" },
            if args.no_root_commit {
                "--no-root-commit"
            } else {
                ""
            },
        ],
        global,
    );
    super::run_journaled(&ws, global, &key, args.require_forge, &[], || {
        release::plan_release(&ws, &req)
    })
}
