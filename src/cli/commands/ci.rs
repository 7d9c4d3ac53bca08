//! `ci`: write GitHub Actions workflows for the root and every package.

use crate::cli::GlobalArgs;
use crate::core::error::{ExitKind, UserError};
use crate::core::ui;
use crate::manage::ci;
use crate::workspace::Workspace;

/// Write GitHub Actions workflows: the root's `release.yml` and `check.yml`, each package's
/// `ci.yml` and `publish.yml`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Files: .github/workflows/release.yml and check.yml at the root, \
    .github/workflows/ci.yml and publish.yml (PyPI trusted publishing) in each package (-p \
    selects packages). A file is replaced only when it differs; --dry-run shows the diffs. \
    Commit them yourself."
)]
pub struct CiArgs {
    /// Trunk-based: `release.yml` runs `release --push` on every push to the base branch,
    /// instead of `tag --sync --push` and `next --push` after merged pull requests.
    #[arg(long)]
    pub trunk: bool,
    /// What the workflows install with `uv tool install` (default: this version of
    /// release-tool from the package index: `release-tool-cli==<version>`).
    #[arg(long, value_name = "SPEC")]
    pub install: Option<String>,
    /// The repository secret holding a token that can push to every repository.
    #[arg(long, value_name = "NAME", default_value = "RELEASE_TOKEN")]
    pub token_secret: String,
    /// Write only the root's workflows.
    #[arg(long)]
    pub no_packages: bool,
}

/// Run `ci`.
pub fn run(args: &CiArgs, global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    let ws = Workspace::discover(&super::start_dir(global))?;
    ws.print_warnings();
    if args.token_secret.is_empty()
        || !args
            .token_secret
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        || args.token_secret.starts_with(|c: char| c.is_ascii_digit())
    {
        return Err(
            UserError::usage(format!("Invalid secret name {:?}", args.token_secret))
                .with_hint(
                    "GitHub secret names are letters, digits and `_`, not starting with a digit",
                )
                .into(),
        );
    }
    // `dry_run = true` in the configuration: as if `--dry-run` were given.
    let settings = &global.resolve(&ws.config);
    let _lock = crate::app::workspace_lock(&ws, settings, "ci")?;
    let packages = ws.select(&global.packages)?;
    let opts = ci::Options {
        trunk: args.trunk,
        install: args.install.clone().unwrap_or_else(|| {
            format!(
                "{}=={}",
                crate::manage::ci::DISTRIBUTION,
                env!("CARGO_PKG_VERSION")
            )
        }),
        token_secret: args.token_secret.clone(),
        packages: !args.no_packages,
    };
    let planned = ci::plan(&ws, &packages, &opts)?;
    let ran = super::run_plan(&planned.plan, settings, None)?;
    if !ran {
        return Ok(ExitKind::Success);
    }
    let written: Vec<String> = planned
        .plan
        .steps
        .iter()
        .filter_map(|s| match &s.kind {
            crate::plan::StepKind::WriteFile { path, .. } => Some(ws.rel(path)),
            _ => None,
        })
        .collect();
    if settings.json {
        ui::print_json(&serde_json::json!({
            "written": written,
            "files": planned.files.iter().map(|(p, f)| serde_json::json!({
                "package": p,
                "path": ws.rel(f),
            })).collect::<Vec<_>>(),
        }))?;
    }
    if written.is_empty() {
        ui::note(&format!(
            "All {} workflow files are up to date",
            planned.files.len()
        ));
    } else {
        for w in &written {
            ui::note(&format!("wrote {w}"));
        }
        ui::hint(
            "commit them: `git add .github` at the root, and in each package (e.g. \
             `release-tool foreach -- git add .github/workflows/ci.yml`); store a token that can \
             push to every repository as the secret named by --token-secret",
        );
    }
    Ok(ExitKind::Success)
}
