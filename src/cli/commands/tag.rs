//! `tag` (stage 5): on `base_branch` after the merge, tag the release commit, pin it in prod,
//! push, and create the forge release.

use crate::cli::GlobalArgs;
use crate::core::error::ExitKind;
use crate::python::version::Bump;
use crate::release::{self, Request};
use crate::workspace::Workspace;

/// Stage 5.
#[derive(Debug, clap::Args)]
pub struct TagArgs {
    /// First fetch, check out and fast-forward `base_branch` in each package.
    #[arg(long)]
    pub sync: bool,
    /// With `--sync`: delete the merged `dev_branch` (only if merged; `git branch -d`).
    #[arg(long, requires = "sync")]
    pub delete_branch: bool,
    /// Push the tag and create the forge release; push the root commit.
    #[arg(long)]
    pub push: bool,
    /// Fail (exit 2) instead of skipping forge steps when no forge token is set.
    #[arg(long)]
    pub require_forge: bool,
    /// Do not make the root's bookkeeping commit (pins, submodule pointers).
    #[arg(long)]
    pub no_root_commit: bool,
}

/// Run `tag`.
pub fn run(args: &TagArgs, global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    let ws = Workspace::discover(&super::start_dir(global))?;
    ws.print_warnings();
    let req = Request {
        packages: global.packages.clone(),
        bump: Bump::Patch,
        push: args.push,
        next: false,
        root_commit: !args.no_root_commit,
        delete_branch: args.delete_branch,
        lock: true,
    };
    let key = super::command_key(
        "tag",
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
    // The lock first: the sync steps below change the packages too.
    let lock = super::workspace_lock(&ws, global, &key)?;
    let resuming = matches!(
        crate::plan::journal::resume_for(&ws.root, &key)?,
        crate::plan::journal::Resume::Continue(_)
    );
    let dry_run = global.dry_run || ws.config.dry_run;
    if args.sync && !resuming {
        let sync = release::plan_tag_sync(&ws, &req)?;
        if dry_run && global.json {
            // One JSON document: the sync's steps, then the tag's.
            return super::run_journaled(
                &ws,
                global,
                &key,
                args.require_forge,
                &sync.plan.to_json(),
                || release::plan_tag_after_sync(&ws, &req),
            );
        }
        if dry_run {
            crate::core::ui::note("The --sync steps run first:");
        }
        super::run_plan(
            &sync.plan,
            &GlobalArgs {
                dry_run,
                ..global.clone()
            },
            None,
        )?;
        if dry_run {
            // The sync did not run: plan from what it would check out.
            crate::core::ui::note(&format!(
                "Then (planned from {}/{} as last fetched; the sync fetches first):",
                ws.config.git_remote, ws.config.base_branch
            ));
            return super::run_journaled(&ws, global, &key, args.require_forge, &[], || {
                release::plan_tag_after_sync(&ws, &req)
            });
        }
    }
    // Plan from the synced state.
    let ws = Workspace::discover(&super::start_dir(global))?;
    super::run_journaled_locked(&ws, global, &key, args.require_forge, &[], lock, || {
        release::plan_tag(&ws, &req)
    })
}
