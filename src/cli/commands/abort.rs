//! `abort`: abandon an unfinished journaled run after showing what it did.

use crate::cli::GlobalArgs;
use crate::core::error::ExitKind;
use crate::workspace::Workspace;

/// Abandon an unfinished run (`prepare`, `tag`, `next`, `release`) after showing what it did.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Shows, per package, the steps the unfinished run did (commits, tags, pushes, forge \
    releases) and those it did not, with the commands that undo them by hand; then moves the \
    journal aside (.release_tool/journal-aborted-<time>.json), so that other commands run again. \
    It undoes nothing. Asks on a terminal; elsewhere --yes is required. --dry-run only shows. \
    To keep the run instead, run it again, or with --replan after changing files by hand."
)]
pub struct AbortArgs {
    /// Abandon without asking (required when not run from a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// Run `abort`.
pub fn run(args: &AbortArgs, global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    let ws = Workspace::discover(&super::start_dir(global))?;
    ws.print_warnings();
    let settings = global.resolve(&ws.config);
    crate::app::abort::run(&ws, &settings, args.yes)
}
