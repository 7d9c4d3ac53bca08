//! `docker` (stage 7): write the production `Dockerfile` and `.dockerignore` from the prod
//! manifest and lock, and with `--build`, `--push` or `--run` build, push or try the image
//! with docker, podman or buildah (docs/reference.md §6, docs/docker.md).

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::Serialize;

use std::fmt::Write as _;

use crate::cli::GlobalArgs;
use crate::core::error::{ExitKind, UserError};
use crate::core::ui;
use crate::docker::{self, Actions, RenderInput, Rendered, Settings};
use crate::engine::{Engine, EngineChoice, EngineKind};
use crate::plan::StepKind;
use crate::plan::executor;
use crate::plan::journal::Journal;
use crate::workspace::Workspace;

/// Stage 7.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  release-tool docker                      # write docker/Dockerfile and .dockerignore\n  release-tool docker --check              # CI: exit 1 when they are stale\n  release-tool docker --build --push       # build, tag <version> and latest, push\n  release-tool docker --run -- python -c 'import model_api'\n\nDocs: docs/docker.md"
)]
pub struct DockerArgs {
    /// Build the image (after writing the files), tagged `<image>:<tag>` for every tag.
    #[arg(long)]
    pub build: bool,
    /// Push every tag (builds first).
    #[arg(long)]
    pub push: bool,
    /// Run a command in the built image (builds first): `--run -- CMD ARGS...`; without a
    /// command, the image's own.
    #[arg(long)]
    pub run: bool,
    /// Exit 1 if the committed Dockerfile or .dockerignore is stale; write nothing.
    #[arg(long, conflicts_with_all = ["build", "push", "run"])]
    pub check: bool,
    /// The container engine (default: `engine` from the configuration, else auto).
    #[arg(long, value_name = "ENGINE", value_enum)]
    pub engine: Option<EngineChoice>,
    /// A CA bundle for HTTPS inside the build (a build secret, never in a layer); overrides
    /// `ca_bundle`.
    #[arg(long, value_name = "FILE")]
    pub ca_bundle: Option<PathBuf>,
    /// A git config for git fetches inside the build (a build secret: URL rewrites,
    /// credentials); overrides `git_config`.
    #[arg(long, value_name = "FILE")]
    pub git_config: Option<PathBuf>,
    /// The command `--run` runs (after `--`).
    #[arg(last = true, value_name = "CMD", requires = "run")]
    pub cmd: Vec<String>,
}

/// The `--json` report.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct Report {
    dockerfile: String,
    dockerignore: String,
    /// The files this run wrote (empty when they were current).
    written: Vec<String>,
    image: String,
    references: Vec<String>,
    /// What the build passes as `VERSION`, `REVISION` and `CREATED` (the generated `release.yml`
    /// reads them).
    stamp: docker::Stamp,
    engine: Option<EngineKind>,
    built: bool,
    pushed: bool,
    ran: bool,
}

/// Run `docker`.
pub fn run(args: &DockerArgs, global: &GlobalArgs) -> Result<ExitKind> {
    let ws = Workspace::discover(&super::start_dir(global))?;
    ws.print_warnings();
    // `--check` only reads; the other runs write the Dockerfile from the prod manifest.
    let _lock = if args.check {
        None
    } else {
        crate::app::workspace_lock(&ws, &global.resolve(&ws.config), "docker")?
    };
    let mut settings = Settings::from_config(&ws.config.docker);
    if let Some(engine) = args.engine {
        settings.engine = engine;
    }
    let product = docker::inspect(&ws, &settings)?;
    let input = RenderInput::for_workspace(&ws, settings, product)?;
    let rendered = docker::render(&input)?;
    let dockerfile = input.settings.dockerfile.clone();
    let dockerignore = ws.rel(&ws.path(&input.settings.context).join(".dockerignore"));
    if args.check {
        return check(
            &ws,
            &input,
            &rendered,
            &dockerfile,
            &dockerignore,
            global.json,
        );
    }
    let cwd = std::env::current_dir()?;
    let actions = Actions {
        build: args.build || args.push || args.run,
        push: args.push,
        run: args.run.then(|| args.cmd.clone()),
        ca_bundle: args.ca_bundle.as_ref().map(|p| cwd.join(p)),
        git_config: args.git_config.as_ref().map(|p| cwd.join(p)),
    };
    let settings = global.resolve(&ws.config);
    let dry_run = settings.dry_run;
    let engine = if actions.build {
        match Engine::find(input.settings.engine) {
            Ok(engine) => Some(engine),
            Err(e) if dry_run => {
                let kind = EngineKind::chosen(input.settings.engine).unwrap_or(EngineKind::Docker);
                ui::warn(&format!("{e}; the plan shows {kind}'s commands"));
                Some(Engine::unchecked(kind))
            }
            Err(e) => return Err(e),
        }
    } else {
        None
    };
    let stamp = docker::stamp(&ws, &input.product)?;
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let planned = docker::plan(
        &ws,
        &input,
        &rendered,
        &stamp,
        engine
            .as_ref()
            .unwrap_or(&Engine::unchecked(EngineKind::Docker)),
        &actions,
        &env,
    )?;
    for note in &planned.notes {
        ui::note(&format!("note: {note}"));
    }
    let plan = &planned.plan;
    if dry_run {
        if global.json {
            ui::print_json(&crate::plan::PlanJson::dry_run(plan.to_json()))?;
        } else if plan.is_empty() {
            ui::note(&format!("{dockerfile} and {dockerignore} are up to date"));
        } else {
            ui::print_text(&plan.render());
        }
        ui::note(&format!(
            "Dry run: {} planned, nothing changed",
            crate::core::text::count(plan.steps.len(), "step")
        ));
        return Ok(ExitKind::Success);
    }
    // The engine's output goes to stderr, so it streams with --json too; -q hides it.
    let quiet = ui::verbosity() < 0;
    let written = execute(&ws, &planned, engine.as_ref(), quiet)?;
    let built = actions.build;
    let name = input.settings.image_name(&input.product);
    if global.json {
        ui::print_json(&Report {
            dockerfile: dockerfile.clone(),
            dockerignore: dockerignore.clone(),
            written,
            image: name,
            references: planned.references.clone(),
            stamp: stamp.clone(),
            engine: engine.as_ref().map(|e| e.kind),
            built,
            pushed: actions.push,
            ran: actions.run.is_some(),
        })?;
        return Ok(ExitKind::Success);
    }
    if written.is_empty() {
        ui::note(&format!("{dockerfile} and {dockerignore} are up to date"));
    } else {
        ui::note(&format!("Wrote {}", written.join(" and ")));
    }
    if let Some(engine) = &engine {
        let refs = planned.references.join(", ");
        ui::note(&format!("Built {refs} with {}", engine.name()));
        if actions.push {
            ui::note(&format!("Pushed {refs}"));
        }
        for r in &planned.references {
            ui::print_text(&format!("{r}\n"));
        }
    } else {
        // The same command as the Dockerfile's header: with the build contexts it names.
        let mut contexts = String::new();
        for m in &input.mounts {
            let _ = write!(contexts, " --build-context {}={}", m.name, m.path);
        }
        ui::hint(&format!(
            "build it with `release-tool docker --build`, or `docker build -f {dockerfile}{contexts} {}`",
            input.settings.context
        ));
    }
    Ok(ExitKind::Success)
}

/// Run a planned `docker` with the executor: its file steps, and its engine steps with the
/// engine's output streamed to stderr (unless `quiet`). After a failed engine step, the working
/// container buildah's `--run` made is removed. Returns the files written, relative to the root.
pub fn execute(
    ws: &Workspace,
    planned: &docker::Planned,
    engine: Option<&Engine>,
    quiet: bool,
) -> Result<Vec<String>> {
    let plan = &planned.plan;
    let (_, mut report) = executor::execute(
        Journal::new("docker", plan.clone()),
        &executor::Options {
            jobs: 1,
            engine,
            direct: true,
            quiet,
            no_progress: true,
            ..executor::Options::default()
        },
    )?;
    if let Some((i, e)) = report.errors.pop() {
        let step = &plan.steps[i];
        if let StepKind::Engine { .. } = step.kind {
            if let Some(engine) = engine {
                cleanup(engine, &ws.root, planned.container.as_deref(), plan, i);
            }
            return Err(e);
        }
        return Err(e.context(format!("step `{}` failed", plan.headline(step))));
    }
    Ok(plan
        .steps
        .iter()
        .filter_map(|step| match &step.kind {
            StepKind::WriteFile { path, .. } => Some(ws.rel(path)),
            _ => None,
        })
        .collect())
}

/// `--check`: exit 1 (with the diff on stdout) when a file on disk differs from its rendering.
fn check(
    ws: &Workspace,
    input: &RenderInput,
    rendered: &Rendered,
    dockerfile: &str,
    dockerignore: &str,
    json: bool,
) -> Result<ExitKind> {
    let mut stale = Vec::new();
    let mut stale_files = Vec::new();
    for (rel, path, text) in [
        (
            dockerfile,
            ws.path(&input.settings.dockerfile),
            &rendered.dockerfile,
        ),
        (
            dockerignore,
            ws.path(&input.settings.context).join(".dockerignore"),
            &rendered.dockerignore,
        ),
    ] {
        let current = fs_err::read_to_string(&path).ok();
        if current.as_deref() == Some(text.as_str()) {
            continue;
        }
        stale_files.push(rel);
        let diff = similar::TextDiff::from_lines(current.as_deref().unwrap_or(""), text.as_str());
        // `--json`: the verdict below instead of the diff.
        if !json {
            ui::print_text(
                &diff
                    .unified_diff()
                    .context_radius(2)
                    .header(if current.is_some() { rel } else { "/dev/null" }, rel)
                    .to_string(),
            );
        }
        stale.push(if current.is_some() {
            format!("{rel} is out of date")
        } else {
            format!("{rel} does not exist")
        });
    }
    if json {
        ui::print_json(&serde_json::json!({
            "dockerfile": dockerfile,
            "dockerignore": dockerignore,
            "up_to_date": stale.is_empty(),
            "stale": stale_files,
        }))?;
    }
    if stale.is_empty() {
        ui::note(&format!("{dockerfile} and {dockerignore} are up to date"));
        return Ok(ExitKind::Success);
    }
    Err(UserError::failure(format!(
        "{} (generated from {} and [tool.release_tool.docker])",
        stale.join("; "),
        input.product.manifest
    ))
    .with_hint("run `release-tool docker` and commit the result")
    .into())
}

/// After a failed engine step: remove the working container buildah's `--run` made, if it was
/// made (best effort; the failure is what gets reported).
fn cleanup(
    engine: &Engine,
    root: &Path,
    container: Option<&str>,
    plan: &crate::plan::Plan,
    failed: usize,
) {
    let Some(name) = container else { return };
    let made = plan.steps[..failed].iter().any(|s| {
        matches!(&s.kind, StepKind::Engine { args, .. } if args.first().is_some_and(|a| a == "from"))
    });
    if made {
        let _ = engine.run(root, &["rm".to_owned(), name.to_owned()], true);
    }
}
