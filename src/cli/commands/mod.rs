//! One module per command: clap arguments, turned into plain request structs for the core.

pub mod abort;
pub mod add;
pub mod branch;
pub mod changes;
pub mod check;
pub mod ci;
pub mod clear;
pub mod commit;
pub mod completions;
pub mod config;
pub mod demo;
pub mod docker;
pub mod foreach;
pub mod init;
pub mod lock;
pub mod man;
pub mod manifests;
pub mod migrate;
pub mod new;
pub mod next;
pub mod notes;
pub mod prepare;
pub mod publish;
pub mod release;
pub mod remove;
pub mod split;
pub mod stage;
pub mod status;
pub mod sync;
pub mod tag;
pub mod update;

use std::path::PathBuf;

use crate::app::Settings;
use crate::cli::{Command, GlobalArgs};
use crate::core::error::ExitKind;
use crate::core::ui;

/// Dispatch a parsed command line.
pub fn dispatch(command: &Command, global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    // `--json` is for data; these print a script or a manual page, so it is a usage error
    // rather than a silently ignored flag.
    let (name, prints) = match command {
        Command::Completions(_) => ("completions", "a shell script"),
        Command::Man(_) => ("man", "a manual page in roff"),
        _ => ("", ""),
    };
    if global.json && !name.is_empty() {
        return Err(crate::core::error::UserError::usage(format!(
            "`--json` does not apply to `release-tool {name}`: it prints {prints}"
        ))
        .with_hint(format!("run `release-tool {name}` without --json"))
        .into());
    }
    let timings = ui::Timings::start();
    let outcome = run(command, global);
    // `-v`: how long the command took (`status` and `check` say more: what they read).
    if !matches!(command, Command::Status(_) | Command::Check(_)) {
        timings.report(&format!("Ran `{}`", command_name(command)), "");
    }
    outcome
}

/// The command's name as typed (`release`): its variant's name in lower case (every command
/// is one word).
fn command_name(command: &Command) -> String {
    let debug = format!("{command:?}");
    debug
        .split(['(', ' ', '{'])
        .next()
        .unwrap_or_default()
        .to_lowercase()
}

fn run(command: &Command, global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    match command {
        Command::Init(a) => init::run(a, global),
        Command::New(a) => new::run(a, global),
        Command::Add(a) => add::run(a, global),
        Command::Remove(a) => remove::run(a, global),
        Command::Split(a) => split::run(a, global),
        Command::Migrate(a) => migrate::run(a, global),
        Command::Status(a) => status::run(a, global),
        Command::Update(a) => update::run(a, global),
        Command::Foreach(a) => foreach::run(a, global),
        Command::Check(a) => check::run(a, global),
        Command::Sync(a) => sync::run(a, global),
        Command::Lock(a) => lock::run(a, global),
        Command::Manifests(a) => manifests::run(a, global),
        Command::Publish(a) => publish::run(a, global),
        Command::Branch(a) => branch::run(a, global),
        Command::Changes(a) => changes::run(a, global),
        Command::Commit(a) => commit::run(a, global),
        Command::Notes(a) => notes::run(a, global),
        Command::Prepare(a) => prepare::run(a, global),
        Command::Tag(a) => tag::run(a, global),
        Command::Next(a) => next::run(a, global),
        Command::Docker(a) => docker::run(a, global),
        Command::Release(a) => release::run(a, global),
        Command::Clear(a) => clear::run(a, global),
        Command::Abort(a) => abort::run(a, global),
        Command::Demo(a) => demo::run(a, global),
        Command::Ci(a) => ci::run(a, global),
        Command::Config(a) => config::run(a, global),
        Command::Completions(a) => completions::run(a, global),
        Command::Man(a) => man::run(a, global),
    }
}

/// Print a plan (`--dry-run`) or execute it, see [`crate::app::run_plan`]. Returns whether it
/// ran.
pub fn run_plan(
    plan: &crate::plan::Plan,
    settings: &Settings,
    uv: Option<&crate::python::uv::Uv>,
) -> anyhow::Result<bool> {
    crate::app::run_plan(plan, settings, uv)
}

/// After a real run of a command whose output is what it did (`init`, `new`, `add`, `remove`,
/// `sync`, `lock`): with `--json`, the steps it ran, in the shape of `--dry-run --json`.
pub fn report_steps(plan: &crate::plan::Plan, settings: &Settings) -> anyhow::Result<()> {
    if settings.json && !settings.dry_run {
        crate::core::ui::print_json(&crate::plan::PlanJson::done(plan.to_json()))?;
    }
    Ok(())
}

/// After a command wrote root files that a release commits (`files`, relative to the root):
/// say which are left uncommitted, since the next `release-tool release` refuses to start over
/// them (docs/commands.md, manifests and sync).
pub fn note_root_left_uncommitted(ws: &crate::workspace::Workspace, files: &[String]) {
    let dirty = crate::release::uncommitted_release_files(ws, files);
    if dirty.is_empty() {
        return;
    }
    crate::core::ui::note(&format!(
        "The root now has uncommitted changes in {}; `release-tool release` will not start until they are committed",
        crate::core::text::names_shown(&dirty)
    ));
    crate::core::ui::hint(&format!(
        "commit them in the root: `git add {} && git commit -m 'chore: update the environments'`",
        crate::core::text::shell_words(&dirty),
    ));
}

/// The directory to start the workspace search from: `-C DIR` or the current directory.
pub fn start_dir(global: &GlobalArgs) -> PathBuf {
    global.root.clone().unwrap_or_else(|| PathBuf::from("."))
}

/// The workspace lock for `command` (none for a dry run, `--dry-run` or `dry_run = true`), see
/// [`crate::app::workspace_lock`].
pub fn workspace_lock(
    ws: &crate::workspace::Workspace,
    global: &GlobalArgs,
    command: &str,
) -> anyhow::Result<Option<crate::plan::journal::RunLock>> {
    crate::app::workspace_lock(ws, &global.resolve(&ws.config), command)
}

/// Run a release stage (`prepare`, `tag`, `next`, `release`): its flags turned into the
/// request, run by [`crate::app::stage::run`].
pub fn run_stage<S: stage::StageKind>(
    args: &stage::StageArgs<S>,
    global: &GlobalArgs,
) -> anyhow::Result<ExitKind> {
    let ws = crate::workspace::Workspace::discover(&start_dir(global))?;
    ws.print_warnings();
    let settings = global.resolve(&ws.config);
    let req = args.request(&settings.packages);
    crate::app::stage::run(&ws, &settings, &req, args.require_forge, args.sync)
}
