//! The three environments (docs/reference.md §1): dev at the root, staging and prod in the directories of
//! their manifests, each with its own `uv.lock` and `.venv`.

pub mod manifests;
pub mod scaffold;

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::core::error::UserError;
use crate::core::parallel;
use crate::git::Git;
use crate::plan::Plan;
use crate::python::pyproject::{self, PyProject};
use crate::workspace::Workspace;

/// An environment (also the `MODE` argument of `sync` and `lock`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Mode {
    Dev,
    Staging,
    Prod,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Dev, Mode::Staging, Mode::Prod];

    pub fn name(self) -> &'static str {
        match self {
            Mode::Dev => "dev",
            Mode::Staging => "staging",
            Mode::Prod => "prod",
        }
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The manifest of a mode.
pub fn manifest_path(ws: &Workspace, mode: Mode) -> PathBuf {
    match mode {
        Mode::Dev => ws.root.join("pyproject.toml"),
        Mode::Staging => ws.path(&ws.config.staging_pyproject_path),
        Mode::Prod => ws.path(&ws.config.prod_pyproject_path),
    }
}

/// The directory uv runs in for a mode (where its `uv.lock` and `.venv` live).
pub fn mode_dir(ws: &Workspace, mode: Mode) -> PathBuf {
    manifest_path(ws, mode)
        .parent()
        .map_or_else(|| ws.root.clone(), Path::to_path_buf)
}

fn require_manifest(ws: &Workspace, mode: Mode) -> Result<PathBuf> {
    let path = manifest_path(ws, mode);
    if !path.is_file() {
        return Err(UserError::usage(format!(
            "No {mode} manifest: {} does not exist",
            path.display()
        ))
        .with_hint("run `release-tool init` to create it, then `release-tool manifests`")
        .into());
    }
    Ok(path)
}

/// Check that every `{ git, tag }` pin of a manifest exists as a tag on its remote; returns
/// one message per missing pin, naming package, tag and URL.
pub fn missing_pins(ws: &Workspace, manifest: &Path, jobs: Option<usize>) -> Result<Vec<String>> {
    let doc = PyProject::load(manifest)?;
    let pins: Vec<(String, String, String)> = doc
        .uv_sources()
        .into_iter()
        .filter_map(|(name, s)| Some((name, s.git?, s.tag?)))
        .collect();
    let results = parallel::map(&pins, ws.config.effective_jobs(jobs), |(name, url, tag)| {
        let dir = ws
            .package(name)
            .filter(|p| p.dir.join(".git").exists())
            .map_or_else(|| ws.root.clone(), |p| p.dir.clone());
        match Git::new(dir).run_batch([
            "ls-remote",
            "--tags",
            "--",
            url,
            &format!("refs/tags/{tag}"),
        ]) {
            Ok(out) if out.trim().is_empty() => Some(format!(
                "{name}: tag {tag} pinned in {} does not exist on {url}",
                ws.rel(manifest)
            )),
            Ok(_) => None,
            Err(e) => Some(format!(
                "{name}: cannot reach {url} to check tag {tag}: {e}"
            )),
        }
    });
    Ok(results.into_iter().flatten().collect())
}

/// Plan `uv sync` for a mode: dev at the root (editable workspace), staging/prod in their
/// directories; prod uses `--locked` when its lock exists. Pins are checked first.
pub fn plan_sync(ws: &Workspace, mode: Mode, jobs: Option<usize>) -> Result<Plan> {
    let manifest = require_manifest(ws, mode)?;
    let dir = mode_dir(ws, mode);
    if mode != Mode::Dev {
        let missing = missing_pins(ws, &manifest, jobs)?;
        if let Some(first) = missing.first() {
            return Err(
                UserError::failure(format!("Cannot sync {mode}: {}", missing.join("; ")))
                    .with_hint(if first.contains("does not exist") {
                        "push the tag, or run `release-tool manifests` to pin existing tags"
                    } else {
                        "check the remote URL in .gitmodules and your network/credentials"
                    })
                    .into(),
            );
        }
    }
    let mut plan = Plan::new(&ws.root);
    let mut args = vec!["sync".to_owned()];
    if mode == Mode::Prod && dir.join("uv.lock").is_file() {
        args.push("--locked".to_owned());
    }
    plan.uv(None, dir, args);
    Ok(plan)
}

/// Plan `uv lock` for modes.
pub fn plan_lock(ws: &Workspace, modes: &[Mode]) -> Result<Plan> {
    let mut plan = Plan::new(&ws.root);
    for &mode in modes {
        require_manifest(ws, mode)?;
        plan.uv(None, mode_dir(ws, mode), ["lock"]);
    }
    Ok(plan)
}

/// Normalised names of the workspace packages pinned in a manifest.
pub fn pinned_names(manifest: &Path) -> Result<Vec<String>> {
    let doc = PyProject::load(manifest)?;
    Ok(doc
        .uv_sources()
        .into_iter()
        .map(|(n, _)| pyproject::normalize_name(&n))
        .collect())
}
