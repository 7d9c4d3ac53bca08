//! The JSON Schemas of the `--json` documents (docs/commands.md, "JSON output"), derived from
//! the Rust types that print them, so they never drift. Committed as
//! `schema/json/<command>.schema.json`; a test keeps the files equal to these.
//!
//! Every document is a [`Document`] (`schema_version`, `command`, then the command's fields),
//! typed in full: from the types that print it, or, where a command builds its document with
//! `json!`, from a mirror here (the tests validate what it prints against it).

use schemars::JsonSchema;
use serde_json::Value;

use crate::app::abort::Unfinished;
use crate::app::journaled::RunJson;
use crate::cli::commands::sync::SyncJson;
use crate::config::Config;
use crate::config::show::Entry;
use crate::core::ui::Document;
use crate::manage::check::CheckReport;
use crate::manage::foreach::RunJson as ForeachRun;
use crate::manage::update::UpdateReport;
use crate::plan::PlanJson;
use crate::release::branch::BranchRow;
use crate::release::notes::PackageNotes;
use crate::release::publish::Published;
use crate::release::stages::{PackageChanges, PackageCommit};
use crate::workspace::status::StatusReport;

/// A document whose data is a list of packages (`{"packages": [...]}`).
#[derive(serde::Serialize, JsonSchema)]
#[allow(dead_code)]
struct Packages<T> {
    packages: Vec<T>,
}

/// `abort`: the unfinished run it moved aside, `null` when there was none.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct AbortReport {
    run: Option<Unfinished>,
}

/// `clear` (the document is built with `json!` in `cli::commands::clear`; the tests validate
/// what it prints against this).
#[derive(JsonSchema)]
#[allow(dead_code)]
struct ClearReport {
    removed: Vec<String>,
    kept: Vec<String>,
}

/// `ci`: the files written, and every file with its package (`null`: the root's).
#[derive(JsonSchema)]
#[allow(dead_code)]
struct CiReport {
    written: Vec<String>,
    files: Vec<CiFile>,
}

#[derive(JsonSchema)]
#[allow(dead_code)]
struct CiFile {
    package: Option<String>,
    path: String,
}

/// `config show`: the effective configuration and where each value comes from.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct ConfigShow {
    root: String,
    file: Option<String>,
    config: Config,
    values: Vec<Entry>,
}

/// `docker`: `--check`'s verdict (built with `json!`), or what a build did.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum DockerReport {
    Check {
        dockerfile: String,
        dockerignore: String,
        up_to_date: bool,
        stale: Vec<String>,
    },
    Build(crate::cli::commands::docker::Report),
}

/// `--dry-run` prints the plan; a real run, its result.
#[derive(serde::Serialize, JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum PlanOr<T> {
    Plan(PlanJson),
    Result(T),
}

/// The commands that print `--json`, each with its schema: the release stages (a plan, or the
/// run's steps and packages), `sync` (a plan, or what was synced), the commands whose output
/// is the plan they ran (`init`, `new`, `add`, `remove`, `split`, `lock`, `migrate`), the
/// others (a plan with `--dry-run`, or their report).
pub fn all() -> Vec<(&'static str, Value)> {
    let stage = schema::<Document<PlanOr<RunJson>>>;
    let plan = schema::<Document<PlanJson>>;
    vec![
        ("abort", schema::<Document<AbortReport>>()),
        ("add", plan()),
        ("branch", schema::<Document<PlanOr<Packages<BranchRow>>>>()),
        (
            "changes",
            schema::<Document<PlanOr<Packages<PackageChanges>>>>(),
        ),
        ("check", schema::<Document<CheckReport>>()),
        ("ci", schema::<Document<PlanOr<CiReport>>>()),
        ("clear", schema::<Document<PlanOr<ClearReport>>>()),
        (
            "commit",
            schema::<Document<PlanOr<Packages<PackageCommit>>>>(),
        ),
        ("config", schema::<Document<ConfigShow>>()),
        ("demo", schema::<Document<StatusReport>>()),
        ("docker", schema::<Document<PlanOr<DockerReport>>>()),
        (
            "foreach",
            schema::<Document<PlanOr<Packages<ForeachRun>>>>(),
        ),
        ("init", plan()),
        ("lock", plan()),
        (
            "manifests",
            schema::<Document<PlanOr<crate::cli::commands::manifests::Report<'static>>>>(),
        ),
        ("migrate", plan()),
        ("new", plan()),
        ("next", stage()),
        (
            "notes",
            schema::<Document<PlanOr<Packages<PackageNotes>>>>(),
        ),
        ("prepare", stage()),
        ("publish", schema::<Document<PlanOr<Packages<Published>>>>()),
        ("release", stage()),
        ("remove", plan()),
        ("split", plan()),
        ("status", schema::<Document<StatusReport>>()),
        ("sync", schema::<Document<PlanOr<SyncJson>>>()),
        ("tag", stage()),
        ("update", schema::<Document<PlanOr<UpdateReport>>>()),
    ]
}

/// The schema of `command`'s documents (`None`: the command prints no JSON document).
pub fn of(command: &str) -> Option<Value> {
    all()
        .into_iter()
        .find(|(c, _)| *c == command)
        .map(|(_, s)| s)
}

/// The schema as committed: pretty JSON and a final newline.
pub fn text(schema: &Value) -> String {
    let mut text = serde_json::to_string_pretty(schema).expect("a schema serialises");
    text.push('\n');
    text
}

fn schema<T: JsonSchema>() -> Value {
    // The schema of what is printed: a field left out when empty is not required.
    let generator = schemars::generate::SchemaSettings::draft07()
        .for_serialize()
        .into_generator();
    let mut value = generator.into_root_schema_for::<T>().to_value();
    if let Some(obj) = value.as_object_mut() {
        obj.insert(
            "title".to_owned(),
            Value::String("release-tool --json document".to_owned()),
        );
    }
    value
}
