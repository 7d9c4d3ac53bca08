//! `demo [DIR]`: build a complete example workspace with the same code paths as the real
//! commands: a root and three inter-dependent micro-packages
//! (`core-utils` <- `data-loader` <- `model-api`), each its own repository with a local bare
//! "remote" under `DIR/remotes`.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::cli::GlobalArgs;
use crate::error::{ExitKind, UserError};
use crate::git::Git;
use crate::scaffold::{self, InitRequest, NewPackageRequest};
use crate::status::StatusRequest;
use crate::ui;
use crate::workspace::Workspace;

/// Build a complete example workspace to try the tool on.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Where to build it (must not exist, or be empty).
    #[arg(default_value = "release-tool-demo")]
    pub dir: PathBuf,
}

/// The demo's packages: name, description, dependencies.
const PACKAGES: &[(&str, &str, &[&str])] = &[
    ("core-utils", "Shared helpers for the demo product", &[]),
    (
        "data-loader",
        "Loads datasets for the demo product",
        &["core-utils"],
    ),
    ("model-api", "Serves the demo model", &["data-loader"]),
];

/// Run `demo`.
pub fn run(args: &DemoArgs, global: &GlobalArgs) -> Result<ExitKind> {
    let dir = std::path::absolute(&args.dir)?;
    if dir.exists() && fs_err::read_dir(&dir)?.next().is_some() {
        return Err(
            UserError::usage(format!("{} already exists and is not empty", dir.display()))
                .with_hint("pass another directory: `release-tool demo DIR`, or remove this one")
                .into(),
        );
    }
    let root = build(&dir)?;
    let ws = Workspace::load(&root)?;
    let report = crate::status::run(
        &ws,
        &StatusRequest {
            jobs: global.jobs(),
            ..StatusRequest::default()
        },
    )?;
    if global.json {
        ui::print_json(&report)?;
    } else {
        super::status::print_report(&report);
        ui::note("");
        ui::note(&format!("Demo workspace ready in {}", root.display()));
        ui::note("Try next:");
        for line in [
            format!("cd {}", root.display()),
            "release-tool status                  # the table above".to_owned(),
            "release-tool status --json           # the same, for scripts".to_owned(),
            "echo '# wip' >> packages/core-utils/src/core_utils/__init__.py && release-tool status"
                .to_owned(),
            "release-tool -p model-api status     # select packages".to_owned(),
        ] {
            ui::note(&format!("  {line}"));
        }
    }
    Ok(if report.has_errors() {
        ExitKind::Failure
    } else {
        ExitKind::Success
    })
}

/// Build the demo under `dir`; returns the workspace root.
pub fn build(dir: &Path) -> Result<PathBuf> {
    let remotes = dir.join("remotes");
    let root = dir.join("workspace");
    fs_err::create_dir_all(&remotes)?;
    ui::note(&format!(
        "Creating the demo workspace in {}",
        root.display()
    ));
    scaffold::plan_init(&InitRequest {
        dir: root.clone(),
        name: "demo-product".to_owned(),
        requires_python: scaffold::DEFAULT_REQUIRES_PYTHON.to_owned(),
    })?
    .execute(None)?;
    ensure_identity(&root)?;
    let config = Workspace::load(&root)?.config;
    let mut existing: Vec<String> = Vec::new();
    for (name, description, deps) in PACKAGES {
        let remote = remotes.join(format!("{name}.git"));
        fs_err::create_dir_all(&remote)?;
        Git::new(&remote).init_bare("main")?;
        let url = format!("file://{}", remote.display());
        ui::note(&format!("  package {name} (remote {url})"));
        let request = NewPackageRequest {
            name: (*name).to_owned(),
            description: Some((*description).to_owned()),
            deps: deps.iter().map(|d| (*d).to_owned()).collect(),
            remote: Some(url),
        };
        scaffold::plan_new(&root, &config, &existing, &request)?.execute(None)?;
        existing.push((*name).to_owned());
    }
    Ok(root)
}

/// The demo commits in fresh repositories: give them an identity when the user has none.
fn ensure_identity(root: &Path) -> Result<()> {
    let git = Git::new(root);
    if git.config_get("user.email")?.is_none() {
        git.config_set("user.email", "demo@release-tool.invalid")?;
    }
    if git.config_get("user.name")?.is_none() {
        git.config_set("user.name", "release-tool demo")?;
    }
    Ok(())
}
