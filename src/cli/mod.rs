//! The command line (docs/reference.md §3): global flags and the list of commands. Each command's own
//! arguments live in `commands/<name>.rs`.

pub mod commands;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::app::Settings;

/// Run the whole life of a Python product built from many micro-packages: a uv workspace of
/// git-submodule packages with dev, staging and prod environments.
#[derive(Debug, Parser)]
#[command(
    name = "release-tool",
    version,
    propagate_version = true,
    disable_help_subcommand = true,
    max_term_width = 100,
    after_help = "Docs: README.md and docs/ in the release-tool repository."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

pub use crate::core::ui::ColorChoice;

/// Flags every command accepts.
#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// Workspace root (default: search upward from the current directory).
    #[arg(short = 'C', long = "root", global = true, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Select packages (repeatable; default: all, or those with changes).
    #[arg(short = 'p', long = "package", global = true, value_name = "NAME")]
    pub packages: Vec<String>,
    /// Print the plan and change nothing (no files, refs or network writes).
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// Machine-readable output on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// Parallel workers (default: `jobs` from the configuration, else the CPU count).
    #[arg(short = 'j', long, global = true, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// Less output (repeat for even less).
    #[arg(short = 'q', long, global = true, action = clap::ArgAction::Count, conflicts_with = "verbose")]
    pub quiet: u8,
    /// More output (repeat for git/uv commands as they run).
    #[arg(short = 'v', long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// When to use colours.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

impl GlobalArgs {
    /// `-j` as a worker count.
    pub fn jobs(&self) -> Option<usize> {
        self.jobs.map(usize::from)
    }

    /// The flags merged with the loaded configuration, once (`--dry-run` or `dry_run = true`,
    /// `-j` or `jobs`): what a command that reads the workspace runs with.
    pub fn resolve(&self, config: &crate::config::Config) -> Settings {
        Settings {
            packages: self.packages.clone(),
            dry_run: self.dry_run || config.dry_run,
            json: self.json,
            jobs: config.effective_jobs(self.jobs()),
        }
    }

    /// The flags alone, for a command that runs without a configuration (`init`, `demo`) or
    /// does not read `dry_run` from it (`add`, `new`, `remove`, `sync`, `lock`, `update`: there
    /// it only decides the workspace lock).
    pub fn flags(&self) -> Settings {
        Settings {
            packages: self.packages.clone(),
            dry_run: self.dry_run,
            json: self.json,
            jobs: self.jobs().unwrap_or_else(|| {
                std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
            }),
        }
    }
}

/// Every command of docs/reference.md §3.
#[derive(Debug, Subcommand)]
pub enum Command {
    // --- Workspace ---
    /// Create (or complete) a root workspace.
    Init(commands::init::InitArgs),
    /// Create a new micro-package with its own repository and register it.
    New(commands::new::NewArgs),
    /// Add an existing package repository as a submodule.
    Add(commands::add::AddArgs),
    /// Unregister a package and remove its submodule.
    Remove(commands::remove::RemoveArgs),
    /// Show the state of every package.
    Status(commands::status::StatusArgs),
    /// Move submodules to their branch heads and commit the new pointers.
    Update(commands::update::UpdateArgs),
    /// Run a command in every package directory, in parallel.
    Foreach(commands::foreach::ForeachArgs),
    /// Check workspace health (for CI).
    Check(commands::check::CheckArgs),
    /// Take the old Python release tool out of the workspace and keep its settings.
    Migrate(commands::migrate::MigrateArgs),

    // --- Environments ---
    /// Install an environment: dev, staging or prod.
    Sync(commands::sync::SyncArgs),
    /// Lock an environment (or all).
    Lock(commands::lock::LockArgs),
    /// Bring the staging and prod manifests in step with dev.
    Manifests(commands::manifests::ManifestsArgs),
    /// Build packages at their release tags and upload them to an index.
    ///
    /// Each selected package is built from a clean clone of its newest final tag (`uv build
    /// --no-sources`) and uploaded with `uv publish --check-url`, so files the index already has
    /// are skipped. Credentials come from the environment (`UV_PUBLISH_TOKEN`, or
    /// `UV_PUBLISH_USERNAME` and `UV_PUBLISH_PASSWORD`) and are read by uv itself: they never
    /// appear in a command line, a plan or any output.
    Publish(commands::publish::PublishArgs),

    // --- Release (stages 0-7) ---
    /// Stage 0: create or fast-forward the dev branch in each package.
    #[command(visible_alias = "stage0")]
    Branch(commands::branch::BranchArgs),
    /// Stage 1: write change files for packages with uncommitted work.
    #[command(visible_alias = "stage1")]
    Changes(commands::changes::ChangesArgs),
    /// Stage 2: commit each package with its message file.
    #[command(visible_alias = "stage2")]
    Commit(commands::commit::CommitArgs),
    /// Stage 3: write release notes material for packages with changes since their last release.
    #[command(visible_alias = "stage3")]
    Notes(commands::notes::NotesArgs),
    /// Stage 4: bump versions, update changelogs, make the release commit.
    #[command(visible_alias = "stage4")]
    Prepare(commands::prepare::PrepareArgs),
    /// Stage 5: tag the release, pin it in prod, push, create the forge release.
    #[command(visible_alias = "stage5")]
    Tag(commands::tag::TagArgs),
    /// Stage 6: start the next development cycle.
    #[command(visible_alias = "stage6")]
    Next(commands::next::NextArgs),
    /// Stage 7: generate (and build, push) the production Docker image.
    #[command(visible_alias = "stage7")]
    Docker(commands::docker::DockerArgs),
    /// Trunk-based one-shot release: notes, prepare, tag and next for every changed package.
    Release(commands::release::ReleaseArgs),
    /// Remove the change files.
    Clear(commands::clear::ClearArgs),
    /// Abandon an unfinished run after showing what it did (it undoes nothing).
    Abort(commands::abort::AbortArgs),

    /// Build a complete example workspace to try the tool on.
    Demo(commands::demo::DemoArgs),

    /// Write GitHub Actions workflows: release, checks, and each package's tests and build.
    Ci(commands::ci::CiArgs),

    // --- The tool itself ---
    /// Print the configuration's JSON Schema, or the effective configuration.
    Config(commands::config::ConfigArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(commands::completions::CompletionsArgs),
    /// Print the manual page (roff).
    Man(commands::man::ManArgs),
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    #[test]
    fn cli_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
