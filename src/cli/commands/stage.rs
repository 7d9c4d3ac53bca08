//! The flags of the release stages (`prepare`, `tag`, `next`, `release`): one arg group,
//! flattened into each stage's command, and the one request built from it.
//!
//! The group is the same for every stage; which flags a stage takes and how its `--help`
//! words them come from the stage (`StageArgs<Tag>`), so that each command keeps its own
//! flags, in the same order, with the same help.

use std::collections::BTreeMap;
use std::marker::PhantomData;

use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches};

use crate::config::Dependents;
use crate::python::version::Bump;
use crate::release::{Request, Stage};

/// A stage, as a type: `StageArgs<Prepare>` is the arg group of `prepare`.
pub trait StageKind {
    const STAGE: Stage;
    /// The help of `--push`.
    const PUSH: &'static str;
    /// The help of `--no-root-commit`.
    const NO_ROOT_COMMIT: &'static str;
}

/// `prepare` (stage 4).
#[derive(Debug)]
pub struct Prepare;
/// `tag` (stage 5).
#[derive(Debug)]
pub struct Tag;
/// `next` (stage 6).
#[derive(Debug)]
pub struct Next;
/// `release` (the one-shot).
#[derive(Debug)]
pub struct Release;

impl StageKind for Prepare {
    const STAGE: Stage = Stage::Prepare;
    const PUSH: &'static str =
        "Push the branch (and a dev/pre tag) and open a pull request `dev_branch` → `base_branch`";
    const NO_ROOT_COMMIT: &'static str =
        "Do not make the root's bookkeeping commit (staging pins, submodule pointers)";
}

impl StageKind for Tag {
    const STAGE: Stage = Stage::Tag;
    const PUSH: &'static str = "Push the tag and create the forge release; push the root commit";
    const NO_ROOT_COMMIT: &'static str =
        "Do not make the root's bookkeeping commit (pins, submodule pointers)";
}

impl StageKind for Next {
    const STAGE: Stage = Stage::Next;
    const PUSH: &'static str = "Push the dev branch (and set its upstream)";
    const NO_ROOT_COMMIT: &'static str =
        "Do not make the root's bookkeeping commit (submodule pointers)";
}

impl StageKind for Release {
    const STAGE: Stage = Stage::Release;
    const PUSH: &'static str = "Push commits and tags, create forge releases, push the root commit";
    const NO_ROOT_COMMIT: &'static str =
        "Do not make the root's bookkeeping commit (pins, submodule pointers)";
}

/// The flags of a release stage. A flag the stage does not take is never on the command
/// line and keeps its default here.
#[derive(Debug)]
pub struct StageArgs<S> {
    /// `--bump` (`prepare`, `release`).
    pub bump: Bump,
    /// `--set-version NAME=VERSION` (`prepare`, `release`): normalised name → normalised
    /// version.
    pub set_versions: BTreeMap<String, String>,
    /// `--allow-branch` (`release`).
    pub allow_branch: bool,
    /// `--sync` (`tag`).
    pub sync: bool,
    /// `--delete-branch` (`tag`, with `--sync`).
    pub delete_branch: bool,
    pub push: bool,
    /// `--no-next` (`release`).
    pub no_next: bool,
    /// `--require-forge` (all but `next`).
    pub require_forge: bool,
    pub no_root_commit: bool,
    /// `--replan`: plan again what an unfinished run did not do.
    pub replan: bool,
    /// `--dependents` (`prepare`, `release`).
    pub dependents: Option<Dependents>,
    /// `--image` (`release`).
    pub image: bool,
    /// `--no-image` (`release`).
    pub no_image: bool,
    /// `--no-product` (`release`).
    pub no_product: bool,
    /// `--product-bump` (`release`).
    pub product_bump: Option<Bump>,
    /// `--no-assets` (`release`, `tag`).
    pub no_assets: bool,
    stage: PhantomData<S>,
}

impl<S: StageKind> StageArgs<S> {
    /// The request of this stage for the selected packages.
    pub fn request(&self, packages: &[String]) -> Request {
        Request {
            stage: S::STAGE,
            packages: packages.to_vec(),
            bump: if S::STAGE.bumps() {
                self.bump
            } else {
                Bump::Patch
            },
            push: self.push,
            next: match S::STAGE {
                Stage::Release => !self.no_next,
                Stage::Next => true,
                Stage::Prepare | Stage::Tag => false,
            },
            root_commit: !self.no_root_commit,
            delete_branch: self.delete_branch,
            lock: true,
            replan: self.replan,
            earlier: Vec::new(),
            set_versions: if S::STAGE.bumps() {
                self.set_versions.clone()
            } else {
                BTreeMap::new()
            },
            allow_branch: S::STAGE == Stage::Release && self.allow_branch,
            dependents: if S::STAGE.bumps() {
                self.dependents
            } else {
                None
            },
            image: S::STAGE == Stage::Release && self.image,
            no_image: S::STAGE == Stage::Release && self.no_image,
            no_product: S::STAGE != Stage::Next && self.no_product,
            product_bump: self.product_bump.filter(|_| S::STAGE.bumps()),
            no_assets: matches!(S::STAGE, Stage::Release | Stage::Tag) && self.no_assets,
        }
    }
}

/// One `--set-version NAME=VERSION`: the name normalised (PEP 503), the version a PEP 440
/// version that can be released (no local part), normalised.
fn parse_set_version(value: &str) -> Result<(String, String), String> {
    let Some((name, text)) = value.split_once('=') else {
        return Err("expected NAME=VERSION (e.g. `my-package=1.2.0`)".to_owned());
    };
    let name = name.trim();
    if crate::core::safety::package_name(name).is_err() {
        return Err(format!(
            "`{name}` is not a package name; expected NAME=VERSION (e.g. `my-package=1.2.0`)"
        ));
    }
    let version = crate::python::version::parse(text.trim()).map_err(|e| e.to_string())?;
    if version.is_local() {
        return Err(format!(
            "{version} has a local part (`+...`), which cannot be released"
        ));
    }
    Ok((
        crate::python::pyproject::normalize_name(name),
        version.to_string(),
    ))
}

fn flag(id: &'static str, help: &'static str) -> Arg {
    let long = match id {
        "delete_branch" => "delete-branch",
        "no_next" => "no-next",
        "require_forge" => "require-forge",
        "no_root_commit" => "no-root-commit",
        "allow_branch" => "allow-branch",
        "no_product" => "no-product",
        "no_assets" => "no-assets",
        "no_image" => "no-image",
        _ => id,
    };
    Arg::new(id)
        .long(long)
        .action(ArgAction::SetTrue)
        .value_parser(clap::value_parser!(bool))
        .help(help)
}

impl<S: StageKind> Args for StageArgs<S> {
    fn augment_args(cmd: Command) -> Command {
        // In the order `--help` lists them.
        let mut cmd = cmd;
        if S::STAGE.bumps() {
            cmd = cmd.arg(
                Arg::new("bump")
                    .long("bump")
                    .value_name("BUMP")
                    .action(ArgAction::Set)
                    .value_parser(clap::builder::EnumValueParser::<Bump>::new())
                    .default_value("auto")
                    .help("How to change the version"),
            )
            .arg(
                Arg::new("set_version")
                    .long("set-version")
                    .value_name("NAME=VERSION")
                    .action(ArgAction::Append)
                    .value_parser(parse_set_version)
                    .help(
                        "Release package NAME at VERSION instead of --bump (repeatable; not tagged yet, newer than its last release)",
                    ),
            )
            .arg(
                Arg::new("dependents")
                    .long("dependents")
                    .value_name("POLICY")
                    .action(ArgAction::Set)
                    .value_parser(clap::builder::EnumValueParser::<Dependents>::new())
                    .help(
                        "What dependents' requirements on a released package become: its lower bound raised, pinned `==`, or kept as written (default: `dependents` from the configuration, else raise)",
                    ),
            );
        }
        if S::STAGE == Stage::Tag {
            cmd = cmd
                .arg(flag(
                    "sync",
                    "First fetch, check out and fast-forward `base_branch` in each package",
                ))
                .arg(
                    flag(
                        "delete_branch",
                        "With `--sync`: delete the merged `dev_branch` (only if merged; `git branch -d`)",
                    )
                    .requires("sync"),
                );
        }
        cmd = cmd.arg(flag("push", S::PUSH));
        if S::STAGE == Stage::Release {
            cmd = cmd
                .arg(flag(
                    "no_next",
                    "Do not start the next development cycle (no `X.Y.(Z+1).dev0` commit)",
                ))
                .arg(flag(
                    "allow_branch",
                    "Release packages that are not on their base branch (checked out on another branch)",
                ))
                .arg(flag(
                    "image",
                    "With --push: build and push the production image (`docker --push`) as the last step, after every tag and pin is pushed (default: `on_release` in [tool.release_tool.docker])",
                ).requires("push"))
                .arg(flag(
                    "no_image",
                    "Do not build the production image, even with `on_release = true` in [tool.release_tool.docker] (for a CI whose own job builds it)",
                ).conflicts_with("image"));
        }
        if S::STAGE.bumps() {
            cmd = cmd.arg(
                    Arg::new("product_bump")
                        .long("product-bump")
                        .value_name("BUMP")
                        .action(ArgAction::Set)
                        .value_parser(clap::builder::EnumValueParser::<Bump>::new())
                        .conflicts_with("no_product")
                        .help(
                            "How to change the product's version (the root project; default: [tool.release_tool.product] bump, `auto`: the highest bump among the released packages)",
                        ),
                );
        }
        if S::STAGE != Stage::Next {
            cmd = cmd.arg(flag(
                "no_product",
                "Release the packages only: leave the product's version, tag, notes and forge release alone",
            ));
        }
        if matches!(S::STAGE, Stage::Release | Stage::Tag) {
            cmd = cmd.arg(flag(
                "no_assets",
                "With --push: make forge releases without their built wheel and sdist (default: `assets` in [tool.release_tool.forge])",
            ));
        }
        if S::STAGE != Stage::Next {
            cmd = cmd.arg(flag(
                "require_forge",
                "Fail (exit 2) instead of skipping forge steps when no forge token is set",
            ));
        }
        cmd.arg(flag("no_root_commit", S::NO_ROOT_COMMIT)).arg(flag(
            "replan",
            "After a failed run and files changed by hand: keep what the unfinished run did and plan the rest again from the workspace as it is",
        ))
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

impl<S: StageKind> FromArgMatches for StageArgs<S> {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        let has = |id: &str| m.try_contains_id(id).unwrap_or(false);
        let on = |id: &str| has(id) && m.get_flag(id);
        let mut set_versions = BTreeMap::new();
        if has("set_version") {
            for (name, version) in m
                .get_many::<(String, String)>("set_version")
                .into_iter()
                .flatten()
            {
                if let Some(other) = set_versions.insert(name.clone(), version.clone())
                    && other != *version
                {
                    return Err(clap::Error::raw(
                        clap::error::ErrorKind::ArgumentConflict,
                        format!(
                            "--set-version gives `{name}` two versions, {other} and {version}; give one\n"
                        ),
                    ));
                }
            }
        }
        Ok(Self {
            set_versions,
            allow_branch: on("allow_branch"),
            bump: if has("bump") {
                m.get_one::<Bump>("bump").copied().unwrap_or(Bump::Auto)
            } else {
                Bump::Auto
            },
            sync: on("sync"),
            delete_branch: on("delete_branch"),
            push: on("push"),
            no_next: on("no_next"),
            require_forge: on("require_forge"),
            no_root_commit: on("no_root_commit"),
            replan: on("replan"),
            dependents: if has("dependents") {
                m.get_one::<Dependents>("dependents").copied()
            } else {
                None
            },
            image: on("image"),
            no_image: on("no_image"),
            no_product: on("no_product"),
            no_assets: on("no_assets"),
            product_bump: if has("product_bump") {
                m.get_one::<Bump>("product_bump").copied()
            } else {
                None
            },
            stage: PhantomData,
        })
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use crate::cli::{Cli, Command};
    use crate::python::version::Bump;
    use crate::release::Stage;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("release-tool").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn each_stage_builds_its_request_from_the_shared_flags() {
        let cli = parse(&["release", "--no-next", "--push", "-p", "b", "-p", "a"]);
        let Command::Release(args) = &cli.command else {
            panic!("release")
        };
        let req = args.stage.request(&cli.global.packages);
        assert_eq!(req.stage, Stage::Release);
        assert_eq!(req.bump, Bump::Auto);
        assert!(req.push && !req.next && req.root_commit && req.lock);
        assert_eq!(
            req.command_line(),
            "release --bump auto --push --no-next -p a -p b"
        );

        let cli = parse(&["prepare", "--bump", "minor", "--no-root-commit"]);
        let Command::Prepare(args) = &cli.command else {
            panic!("prepare")
        };
        let req = args.stage.request(&[]);
        assert_eq!(
            (req.bump, req.next, req.root_commit),
            (Bump::Minor, false, false)
        );

        let cli = parse(&["tag", "--sync", "--delete-branch", "--require-forge"]);
        let Command::Tag(args) = &cli.command else {
            panic!("tag")
        };
        assert!(args.stage.sync && args.stage.require_forge);
        let req = args.stage.request(&[]);
        assert!(req.delete_branch);
        assert_eq!(req.command_line(), "tag");

        let cli = parse(&["next", "--push"]);
        let Command::Next(args) = &cli.command else {
            panic!("next")
        };
        let req = args.stage.request(&[]);
        assert!(req.next && req.push);
        assert_eq!(req.command_line(), "next --push");
        // A flag another stage takes is refused, as before.
        assert!(Cli::try_parse_from(["release-tool", "next", "--require-forge"]).is_err());
        assert!(Cli::try_parse_from(["release-tool", "tag", "--bump", "minor"]).is_err());
    }
}
