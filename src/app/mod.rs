//! The application layer: what a command does once its arguments are a plain request, for the
//! commands that run a plan through the journal (the release stages, the demo's release).
//!
//! - [`Settings`]: the global flags merged with the configuration, once (as uv's
//!   `*Settings::resolve`); the commands read `dry_run`, `json` and `jobs` from it.
//! - [`journaled`]: the journaled run: the workspace lock, resume or plan, the dry-run
//!   rendering, the forge client and uv, the executor, the report.
//! - [`stage`]: a release stage from its [`crate::release::Request`] (`tag --sync` first syncs).
//! - [`undo`]: a failed `new` or `add` taken back.

pub mod abort;
pub mod journaled;
pub mod stage;
pub mod undo;

use anyhow::Result;

use crate::core::ui;
use crate::plan::Plan;
use crate::plan::journal::{self, RunLock};
use crate::python::uv::Uv;
use crate::workspace::Workspace;

/// The global flags merged with the configuration: what a command runs with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    /// `-p`: the selected packages.
    pub packages: Vec<String>,
    /// `--dry-run`, or `dry_run = true` in the configuration.
    pub dry_run: bool,
    /// `--json`.
    pub json: bool,
    /// Parallel workers: `-j`, else `jobs` from the configuration, else the CPU count.
    pub jobs: usize,
    /// `-q` counted: passed on to the tools the command runs (uv's `--quiet`, once or twice).
    pub quiet: u8,
}

/// One run at a time per workspace (`.release_tool/lock`, docs/reference.md §4): a command that changes
/// packages or the root's files holds the lock for its whole run, and a second one refuses
/// before it reads or changes anything, naming the run that holds it. A dry run only reads and
/// takes no lock. `command` is how the holder is named (`release --bump minor --push`).
///
/// It is also where every mutating command other than the journaled stages refuses while a
/// journaled run is unfinished (docs/release.md, "Plans, dry run, journal, resume"): that run's
/// plan expects the packages and the root as it left them.
pub fn workspace_lock(
    ws: &Workspace,
    settings: &Settings,
    command: &str,
) -> anyhow::Result<Option<RunLock>> {
    let lock = run_lock(ws, settings, command)?;
    if lock.is_some() {
        journal::refuse_if_unfinished(&ws.root, command)?;
    }
    Ok(lock)
}

/// The workspace lock of a journaled run (`prepare`, `tag`, `next`, `release`): the run itself
/// reads the journal (to resume it, re-plan it or refuse), so an unfinished one is no error here.
pub fn run_lock(
    ws: &Workspace,
    settings: &Settings,
    command: &str,
) -> anyhow::Result<Option<RunLock>> {
    if settings.dry_run {
        return Ok(None);
    }
    Ok(Some(RunLock::acquire(&ws.root, command)?))
}

/// Print a plan (`--dry-run`) or execute it. The dry-run output and the real run come from
/// the same plan. Returns whether it ran.
pub fn run_plan(plan: &Plan, settings: &Settings, uv: Option<&Uv>) -> Result<bool> {
    run_plan_llm(plan, settings, uv, None)
}

/// [`run_plan`] with the model the plan's LLM steps call (`changes --llm`, `notes --llm`).
pub fn run_plan_llm(
    plan: &Plan,
    settings: &Settings,
    uv: Option<&Uv>,
    llm: Option<&dyn crate::plan::Ask>,
) -> Result<bool> {
    if settings.dry_run {
        plan.refuse_links(&[])?;
        if settings.json {
            ui::print_json(&crate::plan::PlanJson::dry_run(plan.to_json()))?;
        } else if plan.is_empty() {
            ui::note("Nothing to do");
        } else {
            ui::print_text(&plan.render());
            ui::note(&format!(
                "Dry run: {} planned, nothing changed",
                crate::core::text::count(plan.steps.len(), "step")
            ));
        }
        return Ok(false);
    }
    match llm {
        Some(llm) => plan.execute_with_llm(uv, llm)?,
        None => plan.execute(uv)?,
    }
    Ok(true)
}
