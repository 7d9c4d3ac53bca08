//! `demo [DIR]`: build a complete example workspace with the same code paths as the real
//! commands: a root and three inter-dependent micro-packages
//! (`core-utils` <- `data-loader` <- `model-api`), each its own repository with a local bare
//! "remote" under `DIR/remotes`.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::check::CheckRequest;
use crate::cli::GlobalArgs;
use crate::env;
use crate::error::{ExitKind, UserError};
use crate::git::Git;
use crate::scaffold::{self, InitRequest, NewPackageRequest};
use crate::status::StatusRequest;
use crate::ui;
use crate::uv::Uv;
use crate::workspace::Workspace;

/// Build a complete example workspace to try the tool on.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Where to build it (must not exist, or be empty).
    #[arg(default_value = "release-tool-demo")]
    pub dir: PathBuf,
    /// Only scaffold: skip `sync dev`, the editable-install check and `check`'s lock checks.
    #[arg(long)]
    pub no_sync: bool,
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
    let uv = if args.no_sync { None } else { Uv::find().ok() };
    match &uv {
        Some(uv) => environments(&ws, uv, global)?,
        None if args.no_sync => {}
        None => ui::warn("uv not found: skipping `sync dev` and the editable-install check"),
    }
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
        ui::note("\n$ release-tool status");
        super::status::print_report(&report);
        ui::note("\n$ release-tool check");
        let check = crate::check::run(
            &ws,
            &CheckRequest {
                jobs: global.jobs(),
                skip_locks: uv.is_none(),
            },
        )?;
        super::check::print_report(&check);
        if !check.ok {
            ui::note(
                "(expected before the first release: no package has a release tag yet, so staging and prod cannot be pinned)",
            );
        }
        ui::note("");
        ui::note(&format!("Demo workspace ready in {}", root.display()));
        ui::note("Try next:");
        for line in [
            format!("cd {}", root.display()),
            "release-tool status --json           # the status, for scripts".to_owned(),
            "echo '# wip' >> packages/core-utils/src/core_utils/__init__.py && release-tool status".to_owned(),
            "git -C packages/core-utils tag v0.1.0.dev0 && git -C packages/core-utils push -q origin v0.1.0.dev0".to_owned(),
            "release-tool manifests               # staging pins the dev tag; prod waits for a final one".to_owned(),
            "release-tool foreach -- git log --oneline -1".to_owned(),
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

/// `sync dev`, then show that the install is editable: an edit to a package's source is
/// visible in the environment without reinstalling (the edit is reverted afterwards).
fn environments(ws: &Workspace, uv: &Uv, global: &GlobalArgs) -> Result<()> {
    ui::note("\n$ release-tool sync dev");
    env::plan_sync(ws, env::Mode::Dev, global.jobs())?.execute(Some(uv))?;
    // The lock is part of the workspace: commit it so the root stays clean.
    let git = Git::new(&ws.root);
    git.add(&["uv.lock"])?;
    git.commit("chore: lock the dev environment", false)?;
    let probe = [
        "run",
        "--no-sync",
        "--quiet",
        "python",
        "-c",
        "import core_utils; print(core_utils.hello())",
    ];
    let init = ws
        .root
        .join("packages/core-utils/src/core_utils/__init__.py");
    let original = fs_err::read_to_string(&init)?;
    let (_, before, _) = uv.run_captured(&ws.root, probe)?;
    fs_err::write(
        &init,
        original.replace("Hello from core-utils!", "Hello from an edited core-utils!"),
    )?;
    let after = uv.run_captured(&ws.root, probe);
    fs_err::write(&init, &original)?;
    let (_, after, stderr) = after?;
    ui::note(&format!(
        "core_utils.hello() before an edit: {}",
        before.trim()
    ));
    ui::note(&format!(
        "core_utils.hello() after an edit:  {}  (editable install, no reinstall)",
        after.trim()
    ));
    if after.trim().is_empty() {
        ui::warn(&format!(
            "could not run python in the dev environment: {}",
            stderr.trim()
        ));
    }
    Ok(())
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
    // The demo commits in fresh repositories: create the root repository first and give it a
    // local identity when the user has none, so the first commit works on a fresh machine.
    fs_err::create_dir_all(&root)?;
    Git::new(&root).init("main")?;
    ensure_identity(&root)?;
    scaffold::plan_init(&InitRequest {
        dir: root.clone(),
        name: "demo-product".to_owned(),
        requires_python: scaffold::DEFAULT_REQUIRES_PYTHON.to_owned(),
    })?
    .execute(None)?;
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
