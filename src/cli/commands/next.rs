//! `next` (stage 6): start the next development cycle on `dev_branch`.

use crate::cli::GlobalArgs;
use crate::core::error::ExitKind;
use crate::python::version::Bump;
use crate::release::{self, Request};
use crate::workspace::Workspace;

/// Stage 6.
#[derive(Debug, clap::Args)]
pub struct NextArgs {
    /// Push the dev branch (and set its upstream).
    #[arg(long)]
    pub push: bool,
    /// Do not make the root's bookkeeping commit (submodule pointers).
    #[arg(long)]
    pub no_root_commit: bool,
}

/// Run `next`.
pub fn run(args: &NextArgs, global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    let ws = Workspace::discover(&super::start_dir(global))?;
    ws.print_warnings();
    let req = Request {
        packages: global.packages.clone(),
        bump: Bump::Patch,
        push: args.push,
        next: true,
        root_commit: !args.no_root_commit,
        delete_branch: false,
        lock: true,
    };
    let key = super::command_key(
        "next",
        &[
            if args.push { "--push" } else { "" },
            if args.no_root_commit {
                "--no-root-commit"
            } else {
                ""
            },
        ],
        global,
    );
    super::run_journaled(&ws, global, &key, false, &[], || {
        release::plan_next(&ws, &req)
    })
}
