//! The command line (docs/reference.md §3): global flags and the list of commands. Each command's own
//! arguments live in `commands/<name>.rs`.

pub mod commands;
pub mod json_schema;

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
    /// Less output (repeat for even less); passed on to uv (`-qq`: its errors only).
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
            quiet: self.quiet,
        }
    }

    /// The flags alone, for a command that runs without a configuration (`init`, `demo`) or
    /// does not read `dry_run` from it (`add`, `new`, `remove`, `split`, `sync`, `lock`, `update`: there
    /// it only decides the workspace lock).
    pub fn flags(&self) -> Settings {
        Settings {
            packages: self.packages.clone(),
            dry_run: self.dry_run,
            json: self.json,
            jobs: self.jobs().unwrap_or_else(|| {
                std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
            }),
            quiet: self.quiet,
        }
    }
}

/// Every command of docs/reference.md §3.
#[derive(Debug, Subcommand)]
pub enum Command {
    // --- Workspace ---
    /// Create (or complete) a root workspace.
    ///
    /// Packages come next, in either layout (mixed if you like): `new NAME --remote URL` (a
    /// repository of its own, registered as a submodule) or `new NAME --in-tree` (a plain
    /// directory of the root repository, which `split` graduates into its own repository later).
    Init(commands::init::InitArgs),
    /// Create a new micro-package (its own repository, or in-tree) and register it.
    New(commands::new::NewArgs),
    /// Add an existing package repository as a submodule.
    Add(commands::add::AddArgs),
    /// Unregister a package and remove its submodule.
    Remove(commands::remove::RemoveArgs),
    /// Graduate an in-tree package into its own repository, as a submodule at the same path.
    ///
    /// The root's commits that touch the package's directory become the new repository's
    /// history (the directory as its root; authors, dates and messages kept), its tags
    /// `<name>-v<version>` become `<tag_prefix><version>`; both are pushed to the remote, which
    /// must exist and be empty. The directory is then replaced by a submodule of the remote at
    /// the same path and the staging and prod pins of the package point at the remote, in one
    /// root commit. See docs/split.md.
    Split(commands::split::SplitArgs),
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

/// Global flags a command does not use, with the reason: hidden from that command's help and
/// completions, and refused on its command line with the reason (a flag is offered only where it
/// means something: `status --dry-run` or `sync -p NAME` doing nothing would mislead).
pub const NOT_USED: &[(&str, &str, &str)] = &[
    ("status", "dry_run", "it changes nothing"),
    ("check", "dry_run", "it changes nothing"),
    ("check", "packages", "it checks the whole workspace"),
    ("config", "dry_run", "it changes nothing"),
    ("config", "packages", "the configuration is the workspace's"),
    ("config", "jobs", "it does not run in parallel"),
    ("completions", "dry_run", "it changes nothing"),
    (
        "completions",
        "packages",
        "it prints a script for the shell",
    ),
    ("completions", "json", "it prints a script for the shell"),
    ("completions", "jobs", "it does not run in parallel"),
    ("man", "packages", "it prints the manual"),
    ("man", "json", "it prints the manual"),
    ("man", "jobs", "it does not run in parallel"),
    ("init", "packages", "it sets up the whole workspace"),
    ("init", "jobs", "it does not run in parallel"),
    ("demo", "packages", "it builds its own workspace"),
    (
        "sync",
        "packages",
        "an environment is installed whole: every package its manifest names",
    ),
    ("lock", "packages", "an environment is locked whole"),
    ("manifests", "packages", "the manifests pin every package"),
    (
        "docker",
        "packages",
        "the image installs the whole prod environment",
    ),
    ("abort", "packages", "it abandons the whole unfinished run"),
    ("migrate", "packages", "it migrates the whole workspace"),
    ("add", "packages", "the package is named by its argument"),
    ("new", "packages", "the package is named by its argument"),
    ("remove", "packages", "the package is named by its argument"),
    ("split", "packages", "the package is named by its argument"),
];

/// The command line as parsed: [`Cli`] with the global flags a command does not use hidden
/// from its help ([`NOT_USED`]). Help, completions and the manual use this.
pub fn command() -> clap::Command {
    use clap::CommandFactory as _;
    let mut cmd = Cli::command();
    let order: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    // The command gets its own hidden copy of the flag: clap then does not give it the global
    // one, and `parse_from` finds it on that command's matches.
    let globals: Vec<clap::Arg> = cmd
        .get_arguments()
        .filter(|a| a.is_global_set())
        .cloned()
        .collect();
    for (sub, id, _) in NOT_USED {
        let arg = globals
            .iter()
            .find(|a| a.get_id() == *id)
            .expect("NOT_USED names global flags")
            .clone()
            .global(false)
            .hide(true);
        cmd = cmd.mut_subcommand(*sub, |s| s.arg(arg));
    }
    // `mut_subcommand` moves a command to the end: touching each in order restores the order
    // of `--help` and the docs.
    for name in &order {
        cmd = cmd.mut_subcommand(name, |s| s);
    }
    cmd.build();
    cmd
}

/// Parses `args` (the program name first), refusing a global flag the command does not use
/// (exit code 2, as any usage error).
pub fn parse_from<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    use clap::FromArgMatches as _;
    let mut cmd = command();
    let matches = cmd.try_get_matches_from_mut(args)?;
    if let Some(name) = matches.subcommand_name() {
        crate::core::ui::set_json_command(name);
    }
    if let Some((name, sub)) = matches.subcommand() {
        for (_, id, why) in NOT_USED.iter().filter(|(s, ..)| *s == name) {
            if sub.value_source(id) != Some(clap::parser::ValueSource::CommandLine) {
                continue;
            }
            let sc = cmd
                .find_subcommand_mut(name)
                .expect("the parsed subcommand exists");
            let flag = sc
                .get_arguments()
                .find(|a| a.get_id() == *id)
                .map_or_else(|| (*id).to_owned(), flag_name);
            return Err(sc.error(
                clap::error::ErrorKind::ArgumentConflict,
                format!("`{flag}` does not apply to `release-tool {name}`: {why}"),
            ));
        }
    }
    Cli::from_arg_matches(&matches)
}

/// `-p/--package`, `--dry-run`: how a flag is spelled on the command line.
fn flag_name(arg: &clap::Arg) -> String {
    match (arg.get_short(), arg.get_long()) {
        (Some(s), Some(l)) => format!("-{s}/--{l}"),
        (None, Some(l)) => format!("--{l}"),
        (Some(s), None) => format!("-{s}"),
        (None, None) => arg.get_id().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    #[test]
    fn cli_is_well_formed() {
        super::Cli::command().debug_assert();
        super::command().debug_assert();
    }

    fn parse(args: &[&str]) -> Result<super::Cli, clap::Error> {
        super::parse_from(std::iter::once("release-tool").chain(args.iter().copied()))
    }

    #[test]
    fn a_global_flag_a_command_does_not_use_is_refused_with_the_reason() {
        for args in [
            &["status", "--dry-run"][..],
            &["--dry-run", "status"],
            &["sync", "dev", "-p", "train"],
            &["-p", "train", "sync", "dev"],
            &["init", "-j", "2"],
        ] {
            let e = parse(args).expect_err(&format!("{args:?} is refused"));
            assert_eq!(
                e.kind(),
                clap::error::ErrorKind::ArgumentConflict,
                "{args:?}"
            );
            let text = e.to_string();
            assert!(text.contains("does not apply to `release-tool "), "{text}");
        }
        let text = parse(&["sync", "dev", "-p", "train"])
            .unwrap_err()
            .to_string();
        assert!(
            text.contains("`-p/--package` does not apply to `release-tool sync`: an environment is installed whole"),
            "{text}"
        );
        // Where they mean something they are accepted.
        for args in [
            &["status", "-p", "a", "-j", "2", "--json"][..],
            &["release", "--dry-run", "-p", "a"],
            &["sync", "dev", "--dry-run"],
        ] {
            assert!(parse(args).is_ok(), "{args:?}");
        }
    }

    #[test]
    fn every_entry_names_a_real_command_and_flag() {
        let cmd = super::command();
        for (sub, id, _) in super::NOT_USED {
            let sc = cmd
                .find_subcommand(sub)
                .unwrap_or_else(|| panic!("no command {sub}"));
            let arg = sc
                .get_arguments()
                .find(|a| a.get_id() == *id)
                .unwrap_or_else(|| panic!("no flag {id} on {sub}"));
            assert!(arg.is_hide_set(), "{sub} {id} is hidden from its help");
        }
    }
}
