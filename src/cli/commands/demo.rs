//! `demo [DIR]`: build a complete example workspace with the same code paths as the real
//! commands: a root and three inter-dependent micro-packages
//! (`core-utils` <- `data-loader` <- `model-api`), each its own repository with a local bare
//! "remote" under `DIR/remotes`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::app::journaled;
use crate::cli::GlobalArgs;
use crate::core::error::{ExitKind, UserError};
use crate::core::ui;
use crate::env;
use crate::env::scaffold::{self, InitRequest, NewPackageRequest};
use crate::git::Git;
use crate::manage::check::CheckRequest;
use crate::python::uv::Uv;
use crate::workspace::Workspace;
use crate::workspace::status::StatusRequest;

/// Build a complete example workspace to try the tool on.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Where to build it (must not exist, or be empty).
    #[arg(default_value = "release-tool-demo")]
    pub dir: PathBuf,
    /// Only scaffold: skip `sync dev`, the editable-install check and `check`'s lock checks.
    #[arg(long)]
    pub no_sync: bool,
    /// Stop before the release: leave every package at its first dev version, untagged.
    #[arg(long)]
    pub no_release: bool,
    /// Write the production Dockerfile but do not build it, even when a container engine is
    /// installed.
    #[arg(long)]
    pub no_build: bool,
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
    // uv as every command finds it: installed, else the pinned uv downloaded into the user
    // cache (see docs/commands.md "Finding uv"); only when that fails too are the steps that
    // need uv skipped.
    let uv = if args.no_sync {
        None
    } else {
        match Uv::find() {
            Ok(uv) => Some(uv.quiet(global.quiet)),
            Err(e) => {
                ui::warn(&format!(
                    "{e:#}: skipping `sync dev`, the editable-install check, `sync prod` and the image"
                ));
                if let (_, Some(hint)) = crate::core::error::classify(&e) {
                    ui::hint(&hint);
                }
                None
            }
        }
    };
    if let Some(uv) = &uv {
        environments(&ws, uv, global)?;
    }
    if !args.no_release {
        release(&ws, uv.as_ref(), global)?;
    }
    let mut ws = Workspace::load(&root)?;
    if let (Some(uv), false) = (&uv, args.no_release) {
        prod(&ws, uv, global)?;
        image(&ws, &dir.join("remotes"), !args.no_build)?;
        ws = Workspace::load(&root)?;
    }
    let report = crate::workspace::status::run(
        &ws,
        &StatusRequest {
            jobs: global.jobs(),
            ..StatusRequest::default()
        },
    )?;
    if global.json {
        ui::print_json(&report)?;
    } else {
        ui::note("\n── release-tool status ──");
        super::status::print_report(&report);
        ui::note("\n── release-tool check ──");
        let check = crate::manage::check::run(
            &ws,
            &CheckRequest {
                jobs: global.jobs(),
                skip_locks: uv.is_none(),
            },
        )?;
        super::check::print_report(&check);
        ui::note("");
        ui::note(&format!("Demo workspace ready in {}", root.display()));
        ui::note("Try next:");
        for line in [
            format!("cd {}", root.display()),
            "release-tool status --json           # the status, for scripts".to_owned(),
            "echo '# wip' >> packages/core-utils/src/core_utils/__init__.py && release-tool status".to_owned(),
            "git -C packages/core-utils log --oneline -3   # release commit, tag, next-dev commit".to_owned(),
            "echo 'def hi(): ...' >> packages/data-loader/src/data_loader/__init__.py".to_owned(),
            "git -C packages/data-loader commit -qam 'fix: say hi' && release-tool release --dry-run".to_owned(),
            "release-tool foreach -- git log --oneline -1".to_owned(),
            "release-tool docker --build --dry-run   # the production image: Dockerfile and engine commands".to_owned(),
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
    ui::note("\n── release-tool sync dev ──");
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

/// A feature in `core-utils`, then the real one-shot release of every package against the
/// local remotes: `release --bump minor --push` (versions, changelogs, tags, next-dev commits,
/// pins, one root commit), run through the same plan and executor as the command.
fn release(ws: &Workspace, uv: Option<&Uv>, global: &GlobalArgs) -> Result<()> {
    let pkg = ws.root.join("packages/core-utils");
    let init = pkg.join("src/core_utils/__init__.py");
    let text = fs_err::read_to_string(&init)?;
    fs_err::write(
        &init,
        format!("{text}\n\ndef shout(text: str) -> str:\n    return text.upper() + \"!\"\n"),
    )?;
    Git::new(&pkg).commit_all("feat: add shout()")?;
    Git::new(&pkg).push(&ws.config.git_remote, &["main"])?;
    let req = crate::release::Request {
        stage: crate::release::Stage::Release,
        packages: Vec::new(),
        bump: crate::python::version::Bump::Minor,
        push: true,
        next: true,
        root_commit: true,
        delete_branch: false,
        lock: uv.is_some(),
        replan: false,
        earlier: Vec::new(),
        set_versions: std::collections::BTreeMap::new(),
        allow_branch: false,
        dependents: None,
        image: false,
        no_image: false,
        no_product: false,
        no_assets: false,
        product_bump: None,
    };
    ui::note(&format!("\n── release-tool {} ──", req.command_line()));
    let settings = global.resolve(&ws.config);
    let (journal, report) = crate::app::stage::run_unattended(ws, &settings, &req, uv)?;
    if let Some(f) = report.failures.first() {
        anyhow::bail!("{}: step `{}` failed: {}", f.package, f.step, f.cause);
    }
    // The command's closing table (on stderr here: the demo's transcript is all on stderr).
    ui::note(&ui::render_table(
        &journaled::SUMMARY_HEADERS,
        journaled::release_summary_rows(&journal, Some(&report)),
        false,
        ui::table_width(),
    ));
    Ok(())
}

/// `sync prod` from the new release tags (non-editable installs from the remotes), and an
/// import of the released code.
fn prod(ws: &Workspace, uv: &Uv, global: &GlobalArgs) -> Result<()> {
    ui::note("\n── release-tool sync prod ──");
    env::plan_sync(ws, env::Mode::Prod, global.jobs())?.execute(Some(uv))?;
    let dir = env::mode_dir(ws, env::Mode::Prod);
    let (_, out, err) = uv.run_captured(
        &dir,
        [
            "run",
            "--no-sync",
            "--quiet",
            "python",
            "-c",
            "import core_utils, model_api; print(core_utils.shout('prod runs core-utils 0.1.0'))",
        ],
    )?;
    if out.trim().is_empty() {
        ui::warn(&format!("could not run python in prod: {}", err.trim()));
    } else {
        ui::note(&format!("prod: {}", out.trim()));
    }
    Ok(())
}

/// The production image: `[tool.release_tool.docker]` for the demo (its packages' remotes
/// are local, so the build mounts them), the Dockerfile and `.dockerignore` from the prod lock,
/// committed; then, when a container engine is installed, a build of the image. A failed
/// build is a warning: the images it starts from may be out of reach.
fn image(ws: &Workspace, remotes: &Path, build: bool) -> Result<()> {
    let config = ws.root.join(crate::config::CONFIG_FILE);
    let mut text = fs_err::read_to_string(&config)?;
    let _ = write!(
        text,
        "\n[tool.release_tool.docker]\n\
         # The demo's packages live in local repositories (file:// remotes): the image build\n\
         # mounts them at the same path, so uv fetches the release tags from there.\n\
         mounts = [{remotes:?}]\n\
         cmd = [\"python\", \"-c\", \"import core_utils, model_api; print(core_utils.shout('the image runs core-utils 0.1.0'))\"]\n",
        remotes = remotes.display().to_string()
    );
    fs_err::write(&config, text)?;
    let ws = Workspace::load(&ws.root)?;
    let settings = crate::docker::Settings::from_config(&ws.config.docker);
    let product = crate::docker::inspect(&ws, &settings)?;
    let input = crate::docker::RenderInput::for_workspace(&ws, settings, product)?;
    let rendered = crate::docker::render(&input)?;
    let stamp = crate::docker::stamp(&ws, &input.product)?;
    let engine = if build {
        crate::engine::Engine::find(input.settings.engine).ok()
    } else {
        None
    };
    ui::note(if engine.is_some() {
        "\n── release-tool docker --build ──"
    } else {
        "\n── release-tool docker ──"
    });
    let env = |_: &str| None;
    let files = crate::docker::plan(
        &ws,
        &input,
        &rendered,
        &stamp,
        &crate::engine::Engine::unchecked(crate::engine::EngineKind::Docker),
        &crate::docker::Actions::default(),
        &env,
    )?;
    let written = super::docker::execute(&ws, &files, None, true)?;
    ui::note(&format!("Wrote {}", written.join(" and ")));
    let git = Git::new(&ws.root);
    git.add(&[
        crate::config::CONFIG_FILE,
        input.settings.dockerfile.as_str(),
        ".dockerignore",
    ])?;
    git.commit("build: the production image (release-tool docker)", false)?;
    let Some(engine) = engine else {
        if build {
            ui::note(
                "No container engine found: not building the image (`release-tool docker --build` builds it)",
            );
        }
        return Ok(());
    };
    let planned = crate::docker::plan(
        &ws,
        &input,
        &rendered,
        &stamp,
        &engine,
        &crate::docker::Actions {
            build: true,
            ..crate::docker::Actions::default()
        },
        &env,
    )?;
    let quiet = ui::verbosity() < 0;
    match super::docker::execute(&ws, &planned, Some(&engine), quiet) {
        Ok(_) => ui::note(&format!(
            "Built {} with {}",
            planned.references.join(", "),
            engine.name()
        )),
        Err(e) => {
            let (_, hint) = crate::core::error::classify(&e);
            ui::warn(&format!("the image was not built: {e:#}"));
            if let Some(hint) = hint {
                ui::hint(&hint);
            }
        }
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
    // The root has a remote too, so the release's root commit is pushed like everything else.
    let root_remote = remotes.join("workspace.git");
    fs_err::create_dir_all(&root_remote)?;
    Git::new(&root_remote).init_bare("main")?;
    Git::new(&root).remote_add("origin", &format!("file://{}", root_remote.display()))?;
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
            in_tree: false,
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
