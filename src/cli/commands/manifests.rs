//! `manifests [--check]`: bring the staging and prod manifests in step with dev.

use serde::Serialize;

use crate::cli::GlobalArgs;
use crate::core::error::{ExitKind, UserError};
use crate::core::ui;
use crate::env::manifests::{self, PinRow};
use crate::workspace::Workspace;

/// Bring the staging and prod manifests in step with dev.
#[derive(Debug, clap::Args)]
pub struct ManifestsArgs {
    /// Change nothing; exit 1 and print the diff when the manifests are out of date or a
    /// package has no pin.
    #[arg(long)]
    pub check: bool,
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Report<'a> {
    staging: String,
    prod: String,
    up_to_date: bool,
    changed: Vec<String>,
    packages: &'a [PinRow],
    warnings: &'a [String],
}

/// Run `manifests`.
pub fn run(args: &ManifestsArgs, global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    let ws = Workspace::discover(&super::start_dir(global))?;
    let _lock = if args.check {
        None
    } else {
        super::workspace_lock(&ws, global, "manifests")?
    };
    ws.print_warnings();
    ws.require_sound()?;
    let planned = manifests::plan(&ws, global.jobs())?;
    let changed: Vec<String> = planned
        .plan
        .steps
        .iter()
        .filter_map(|s| match &s.kind {
            crate::plan::StepKind::WriteFile { path, .. } => Some(ws.rel(path)),
            _ => None,
        })
        .collect();
    for w in &planned.warnings {
        ui::warn(w);
    }
    if args.check || global.dry_run {
        if global.json {
            ui::print_json(&Report {
                staging: ws.rel(&planned.staging_path),
                prod: ws.rel(&planned.prod_path),
                up_to_date: changed.is_empty(),
                changed: changed.clone(),
                packages: &planned.rows,
                warnings: &planned.warnings,
            })?;
        } else if !changed.is_empty() {
            ui::print_text(&planned.plan.render());
        }
        if !args.check {
            return Ok(ExitKind::Success);
        }
        if !changed.is_empty() {
            return Err(UserError::failure(format!(
                "Manifests are out of date: {}",
                changed.join(", ")
            ))
            .with_hint("run `release-tool manifests` and commit the result")
            .into());
        }
        if !planned.warnings.is_empty() {
            return Err(UserError::failure(format!(
                "{} missing",
                crate::core::text::count(planned.warnings.len(), "package pin")
            ))
            .with_hint(
                "tag the packages (e.g. `release-tool release`) and run `release-tool manifests`",
            )
            .into());
        }
        ui::note("Manifests are up to date");
        return Ok(ExitKind::Success);
    }
    planned.plan.execute(None)?;
    if global.json {
        ui::print_json(&Report {
            staging: ws.rel(&planned.staging_path),
            prod: ws.rel(&planned.prod_path),
            up_to_date: true,
            changed: changed.clone(),
            packages: &planned.rows,
            warnings: &planned.warnings,
        })?;
    } else {
        let dash = || "-".to_owned();
        ui::print_table(
            &["package", "staging", "prod", "url"],
            planned.rows.iter().map(|r| {
                vec![
                    ui::Cell::strong(&r.name),
                    ui::Cell::plain(r.staging_pin.clone().unwrap_or_else(dash)),
                    ui::Cell::plain(r.prod_pin.clone().unwrap_or_else(dash)),
                    ui::Cell::plain(r.url.clone().unwrap_or_else(dash)),
                ]
            }),
        );
        if changed.is_empty() {
            ui::note("Manifests are up to date");
        } else {
            ui::note(&format!("Updated {}", changed.join(", ")));
        }
    }
    super::note_root_left_uncommitted(&ws, &changed);
    Ok(ExitKind::Success)
}
