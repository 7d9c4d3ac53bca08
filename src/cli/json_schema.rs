//! The JSON Schemas of the `--json` documents (docs/commands.md, "JSON output"), derived from
//! the Rust types that print them, so they never drift. Committed as
//! `schema/json/<command>.schema.json`; a test keeps the files equal to these.
//!
//! Every document is a [`Document`] (`schema_version`, `command`, then the command's fields).
//! A command with a typed document has it here; the others are checked for the envelope (and,
//! with `--dry-run`, for the plan's shape).

use schemars::JsonSchema;
use serde_json::{Map, Value};

use crate::app::journaled::RunJson;
use crate::cli::commands::sync::SyncJson;
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

/// A document with fields this module does not type yet: an object (the envelope's fields are
/// required all the same).
type Fields = Map<String, Value>;

/// A document whose data is a list of packages (`{"packages": [...]}`).
#[derive(serde::Serialize, JsonSchema)]
#[allow(dead_code)]
struct Packages<T> {
    packages: Vec<T>,
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
    let other = schema::<Document<PlanOr<Fields>>>;
    vec![
        ("abort", other()),
        ("add", plan()),
        ("branch", schema::<Document<PlanOr<Packages<BranchRow>>>>()),
        (
            "changes",
            schema::<Document<PlanOr<Packages<PackageChanges>>>>(),
        ),
        ("check", schema::<Document<CheckReport>>()),
        ("ci", other()),
        ("clear", other()),
        (
            "commit",
            schema::<Document<PlanOr<Packages<PackageCommit>>>>(),
        ),
        ("config", other()),
        ("demo", schema::<Document<StatusReport>>()),
        ("docker", other()),
        (
            "foreach",
            schema::<Document<PlanOr<Packages<ForeachRun>>>>(),
        ),
        ("init", plan()),
        ("lock", plan()),
        ("manifests", other()),
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
