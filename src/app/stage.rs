//! A release stage (`prepare`, `tag`, `next`, `release`) run from its typed request: the
//! journal is keyed by the request, `tag --sync` syncs `base_branch` first (unless it resumes).

use anyhow::Result;

use crate::app::journaled::Run;
use crate::app::{Settings, run_lock, run_plan};
use crate::core::error::ExitKind;
use crate::core::ui;
use crate::plan::executor::{self, Report};
use crate::plan::journal::{Journal, Resume};
use crate::python::uv::Uv;
use crate::release::{self, Request, Stage};
use crate::workspace::Workspace;

/// Plan (or resume) the stage `req` asks for, then print it (`--dry-run`) or run it.
/// `sync`: `tag --sync`, fetch, check out and fast-forward `base_branch` first.
pub fn run(
    ws: &Workspace,
    settings: &Settings,
    req: &Request,
    require_forge: bool,
    sync: bool,
) -> Result<ExitKind> {
    let run = Run {
        ws,
        settings,
        command: req.command_line(),
        request: Some(req.key()),
        require_forge,
    };
    if req.stage != Stage::Tag {
        return run.run(&[], None, || req.plan(ws));
    }
    // The lock first: the sync steps below change the packages too. The journal is read once:
    // a resumed run does not sync again.
    let lock = run_lock(ws, settings, &run.command)?;
    let resume = run.resume()?;
    if sync && matches!(resume, Resume::Fresh) {
        let sync = release::plan_tag_sync(ws, req)?;
        if settings.dry_run && settings.json {
            // One JSON document: the sync's steps, then the tag's.
            return run.run_resumed(resume, &sync.plan.to_json(), || {
                release::plan_tag_after_sync(ws, req)
            });
        }
        if settings.dry_run {
            ui::note("The --sync steps run first:");
        }
        run_plan(&sync.plan, settings, None)?;
        if settings.dry_run {
            // The sync did not run: plan from what it would check out.
            let bases: std::collections::BTreeSet<&str> =
                ws.packages.iter().map(|p| ws.base_branch(p)).collect();
            let base = match bases.len() {
                0 => ws.config.base_branch.clone(),
                1 => bases.into_iter().collect(),
                _ => format!("{{{}}}", bases.into_iter().collect::<Vec<_>>().join(",")),
            };
            ui::note(&format!(
                "Then (planned from {}/{base} as last fetched; the sync fetches first):",
                ws.config.git_remote
            ));
            return run.run_resumed(resume, &[], || release::plan_tag_after_sync(ws, req));
        }
    }
    // Plan from the synced state.
    let ws = &Workspace::load(&ws.root)?;
    let run = Run { ws, ..run };
    let _lock = lock;
    run.run_resumed(resume, &[], || release::plan_tag(ws, req))
}

/// Run a stage unattended, as the demo does: planned afresh, journaled, no forge; returns the
/// journal and the executor's report.
pub fn run_unattended(
    ws: &Workspace,
    settings: &Settings,
    req: &Request,
    uv: Option<&Uv>,
) -> Result<(Journal, Report)> {
    let run = Run {
        ws,
        settings,
        command: req.command_line(),
        request: Some(req.key()),
        require_forge: false,
    };
    let journal = run.journal(req.plan(ws)?);
    executor::execute(
        journal,
        &executor::Options {
            uv,
            jobs: settings.jobs,
            forge_unavailable: Some("the demo has no forge".to_owned()),
            write_journal: true,
            ..executor::Options::default()
        },
    )
}
