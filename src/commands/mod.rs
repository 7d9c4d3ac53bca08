//! One module per command: clap arguments, turned into plain request structs for the core.

pub mod add;
pub mod branch;
pub mod changes;
pub mod check;
pub mod clear;
pub mod commit;
pub mod demo;
pub mod docker;
pub mod foreach;
pub mod init;
pub mod lock;
pub mod manifests;
pub mod new;
pub mod next;
pub mod notes;
pub mod prepare;
pub mod publish;
pub mod release;
pub mod remove;
pub mod status;
pub mod sync;
pub mod tag;
pub mod update;

use std::path::PathBuf;

use crate::cli::{Command, GlobalArgs};
use crate::error::{ExitKind, UserError};
use crate::version::Bump;

/// The three environments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    Dev,
    Staging,
    Prod,
}

impl From<Mode> for crate::env::Mode {
    fn from(m: Mode) -> Self {
        match m {
            Mode::Dev => crate::env::Mode::Dev,
            Mode::Staging => crate::env::Mode::Staging,
            Mode::Prod => crate::env::Mode::Prod,
        }
    }
}

/// `--bump` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BumpArg {
    Patch,
    Minor,
    Major,
    Dev,
    Pre,
    Auto,
}

impl From<BumpArg> for Bump {
    fn from(b: BumpArg) -> Self {
        match b {
            BumpArg::Patch => Bump::Patch,
            BumpArg::Minor => Bump::Minor,
            BumpArg::Major => Bump::Major,
            BumpArg::Dev => Bump::Dev,
            BumpArg::Pre => Bump::Pre,
            BumpArg::Auto => Bump::Auto,
        }
    }
}

/// Dispatch a parsed command line.
pub fn dispatch(command: &Command, global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    match command {
        Command::Init(a) => init::run(a, global),
        Command::New(a) => new::run(a, global),
        Command::Add(a) => add::run(a, global),
        Command::Remove(a) => remove::run(a, global),
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
        Command::Demo(a) => demo::run(a, global),
    }
}

/// The answer of a command that is listed but not built yet (exit 2).
pub fn not_implemented(name: &str) -> anyhow::Result<ExitKind> {
    Err(
        UserError::usage(format!("`release-tool {name}` is not implemented yet"))
            .with_hint("see README.md for the commands available in this version")
            .into(),
    )
}

/// Print a plan (`--dry-run`) or execute it. The dry-run output and the real run come from
/// the same plan. Returns whether it ran.
pub fn run_plan(
    plan: &crate::plan::Plan,
    global: &GlobalArgs,
    uv: Option<&crate::uv::Uv>,
) -> anyhow::Result<bool> {
    if global.dry_run {
        if global.json {
            crate::ui::print_json(&plan.to_json())?;
        } else if plan.is_empty() {
            crate::ui::note("Nothing to do");
        } else {
            print!("{}", plan.render());
            crate::ui::note(&format!(
                "Dry run: {} step(s) planned, nothing changed",
                plan.steps.len()
            ));
        }
        return Ok(false);
    }
    plan.execute(uv)?;
    Ok(true)
}

/// The directory to start the workspace search from: `-C DIR` or the current directory.
pub fn start_dir(global: &GlobalArgs) -> PathBuf {
    global.root.clone().unwrap_or_else(|| PathBuf::from("."))
}
