//! `publish`: arguments and output; the work is in [`crate::release::publish`].

use crate::cli::GlobalArgs;
use crate::core::error::{ExitKind, UserError};
use crate::core::ui;
use crate::python::uv::Uv;
use crate::release::publish::{self, PublishRequest, Published};
use crate::workspace::Workspace;

/// Build packages at their release tags and upload them (help text: the `Publish` variant in `cli`).
#[derive(Debug, clap::Args)]
pub struct PublishArgs {
    /// Packages to publish (default: all with a release tag; same as -p NAME).
    pub names: Vec<String>,
    /// Upload URL of the package index (pypiserver: `http://HOST:PORT/`).
    #[arg(
        long,
        value_name = "URL",
        env = "UV_PUBLISH_URL",
        hide_env_values = true
    )]
    pub index: Option<String>,
    /// Simple-index URL used to skip files already uploaded (default: derived from --index,
    /// `<URL>/simple/`).
    #[arg(
        long,
        value_name = "URL",
        env = "UV_PUBLISH_CHECK_URL",
        hide_env_values = true
    )]
    pub check_url: Option<String>,
}

/// Run `publish`.
pub fn run(args: &PublishArgs, global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    let ws = Workspace::discover(&super::start_dir(global))?;
    ws.print_warnings();
    // `dry_run = true` in the configuration: as if `--dry-run` were given.
    let settings = &global.resolve(&ws.config);
    let _lock = crate::app::workspace_lock(&ws, settings, "publish")?;
    let mut packages = args.names.clone();
    packages.extend(global.packages.iter().cloned());
    let request = PublishRequest {
        packages,
        index: args.index.clone(),
        check_url: args.check_url.clone(),
    };
    // The real run builds in a fresh temporary directory (removed at the end, also on error);
    // a dry run only names one.
    let temp = if settings.dry_run {
        None
    } else {
        Some(
            tempfile::Builder::new()
                .prefix("release-tool-publish-")
                .tempdir()?,
        )
    };
    let work_dir = temp.as_ref().map_or_else(
        || std::env::temp_dir().join("release-tool-publish-XXXXXX"),
        |t| t.path().to_path_buf(),
    );
    let plan = publish::plan(&ws, &request, &work_dir)?;
    for s in &plan.skipped {
        ui::warn(&format!("{}: skipped, {}", s.package, s.reason));
    }
    if settings.dry_run {
        super::run_plan(&plan.steps(), settings, None)?;
        return Ok(ExitKind::Success);
    }
    if plan.jobs.is_empty() {
        if settings.json {
            ui::print_json_list("packages", &Vec::<Published>::new())?;
        }
        ui::note("Nothing to publish");
        ui::hint(
            "a package is published at its newest final tag `<tag_prefix>X.Y.Z`; \
             create one with `release-tool tag`",
        );
        return Ok(ExitKind::Success);
    }
    let uv = Uv::find()?.quiet(global.quiet);
    let jobs = ws.config.effective_jobs(global.jobs());
    let results = publish::execute(&plan, &uv, jobs, &mut report_line);
    if settings.json {
        ui::print_json_list("packages", &results)?;
    } else {
        print_summary(&results);
    }
    let failed: Vec<&str> = results
        .iter()
        .filter(|r| r.error.is_some())
        .map(|r| r.package.as_str())
        .collect();
    if failed.is_empty() {
        ui::note(&format!(
            "Published {} to {}",
            crate::core::text::count(results.len(), "package"),
            plan.index.upload_url
        ));
        return Ok(ExitKind::Success);
    }
    Err(UserError::failure(format!(
        "Publishing to {} failed for {} of {} packages: {}",
        plan.index.upload_url,
        failed.len(),
        results.len(),
        crate::core::text::names_shown(&failed)
    ))
    .with_hint(
        "see the messages above; check the index URL and the credentials (UV_PUBLISH_TOKEN, or \
         UV_PUBLISH_USERNAME and UV_PUBLISH_PASSWORD), then run `release-tool publish` again: \
         files already on the index are skipped",
    )
    .into())
}

fn report_line(r: &Published) {
    let head = format!("{} {} ({})", r.package, r.version, r.tag);
    if let Some(error) = &r.error {
        ui::error(&format!("{head}: {error}"));
        return;
    }
    let built = if r.files.is_empty() {
        String::new()
    } else {
        format!("built {}; ", r.files.join(", "))
    };
    let uploaded = if r.already_on_index.len() == r.files.len() {
        "already on the index".to_owned()
    } else if r.already_on_index.is_empty() {
        "uploaded".to_owned()
    } else {
        format!(
            "uploaded (already on the index: {})",
            r.already_on_index.join(", ")
        )
    };
    ui::note(&format!("{head}: {built}{uploaded}"));
}

/// The closing table on stdout: one row per package, what became of it.
fn print_summary(results: &[Published]) {
    let rows = results.iter().map(|r| {
        let result = if r.error.is_some() {
            ui::Cell::error("failed (see above)")
        } else if r.already_on_index.len() == r.files.len() {
            ui::Cell::plain("already on the index")
        } else if r.already_on_index.is_empty() {
            ui::Cell::plain(format!("uploaded {}", r.files.join(", ")))
        } else {
            let new: Vec<&str> = r
                .files
                .iter()
                .filter(|f| !r.already_on_index.contains(f))
                .map(String::as_str)
                .collect();
            ui::Cell::plain(format!(
                "uploaded {} ({} already on the index)",
                new.join(", "),
                r.already_on_index.len()
            ))
        };
        vec![
            ui::Cell::strong(r.package.clone()),
            ui::Cell::plain(r.version.to_string()),
            ui::Cell::plain(r.tag.clone()),
            result,
        ]
    });
    ui::print_table(&["package", "version", "tag", "result"], rows);
}
