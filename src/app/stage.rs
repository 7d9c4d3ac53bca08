//! A release stage (`prepare`, `tag`, `next`, `release`) run from its typed request: the
//! journal is keyed by the request, `tag --sync` syncs `base_branch` first (unless it resumes).

use anyhow::Result;

use crate::app::journaled::Run;
use crate::app::{Settings, run_lock, run_plan};
use crate::core::error::ExitKind;
use crate::core::ui;
use crate::engine::{Engine, EngineKind};
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
    if req.replan {
        return replan(&run, req);
    }
    if req.stage != Stage::Tag {
        return run.run(&[], None, || plan_stage(ws, settings, req));
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

/// The stage's plan; a `release --push` with `--image` (or `on_release = true` in
/// `[tool.release_tool.docker]`, unless `--no-image`) gets the image's build and push as its last steps, after
/// every tag and pin is pushed (`docker::plan_release_image`). The engine is found while
/// planning, so that a missing one refuses the run before anything changes (a dry run shows
/// the configured engine's commands instead, with a warning).
fn plan_stage(ws: &Workspace, settings: &Settings, req: &Request) -> Result<release::Planned> {
    let mut planned = req.plan(ws)?;
    let image = req.stage == Stage::Release
        && req.push
        && !req.no_image
        && (req.image || ws.config.docker.on_release);
    if !image || planned.plan.is_empty() {
        return Ok(planned);
    }
    let choice = ws.config.docker.engine.unwrap_or_default();
    let engine = match Engine::find(choice) {
        Ok(engine) => engine,
        Err(e) if settings.dry_run => {
            let kind = EngineKind::chosen(choice).unwrap_or(EngineKind::Docker);
            ui::warn(&format!("{e}; the plan shows {kind}'s commands"));
            Engine::unchecked(kind)
        }
        Err(e) => return Err(e),
    };
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let image = crate::docker::plan_release_image(ws, &mut planned.plan, &engine, &env)?;
    planned.notes.extend(image.notes);
    planned.notes.push(format!(
        "the image is built with {} and pushed last, after every tag and pin: {}",
        engine.name(),
        image.references.join(", ")
    ));
    Ok(planned)
}

/// `--replan`: the unfinished run of the same request keeps what it did (its journal is moved
/// aside, `.release_tool/journal-replanned-<time>.json`) and the rest is planned again from the
/// workspace as it is, knowing what that run releases ([`Request::earlier`]); the new plan is
/// journaled under the same request, so the plain command resumes it. Without an unfinished
/// run it plans afresh, as without `--replan`. `tag --sync` does not sync again.
fn replan(run: &Run<'_>, req: &Request) -> Result<ExitKind> {
    let ws = run.ws;
    let _lock = run_lock(ws, run.settings, &run.command)?;
    let resume = run.resume()?;
    let Resume::Continue(old) = resume else {
        ui::note("No unfinished run of this command to re-plan: planning afresh");
        return run.run_resumed(Resume::Fresh, &[], || plan_stage(ws, run.settings, req));
    };
    let mut req = req.clone();
    req.earlier.clone_from(&old.packages);
    let planned = plan_stage(ws, run.settings, &req)?;
    ui::note(&format!(
        "Re-planning `release-tool {}`: {} of {} steps were done; {} planned from the workspace as it is",
        run.command,
        old.completed().len(),
        old.steps.len(),
        crate::core::text::count(planned.plan.steps.len(), "step")
    ));
    if !run.settings.dry_run {
        let kept = Journal::archive(&ws.root, "replanned")?;
        ui::note(&format!("The old plan is kept as {}", ws.rel(&kept)));
    }
    run.run_resumed(Resume::Fresh, &[], move || Ok(planned))
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
