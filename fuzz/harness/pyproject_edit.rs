//! Arbitrary TOML read as a `pyproject.toml` through `release_tool::python::pyproject`, then the edits
//! the tool makes (version set, dependency bound raise, source strip and set, dependency and
//! member edits), checking:
//!
//! - nothing panics;
//! - a document that parses renders back byte for byte when nothing is edited;
//! - after every edit the text still parses, and what the edit promised holds when read back
//!   (the version set, the source gone, the requirement still PEP 508);
//! - parts no edit touches (every top-level table but `project` and `tool`, every `tool.*` but
//!   `tool.uv`) render exactly as before.
//!
//! Input: `<toml text>` optionally followed by a NUL byte and the bytes that choose the edits
//! (without one, a fixed set of edits runs), so the files of `tests/fixtures/pyproject/` are
//! seeds as they are.
//!
//! The fuzz target `fuzz/fuzz_targets/pyproject_edit.rs` runs this on libFuzzer's inputs; the test
//! `tests/cli/fuzz_replay.rs` runs it on the seeds in every CI run, so the checks keep compiling
//! and keep holding.

use std::path::Path;

use arbitrary::{Arbitrary, Unstructured};
use release_tool::python::pyproject::{PyProject, Source, VersionSource};

#[derive(Arbitrary, Debug)]
enum Name {
    /// The n-th dependency or source name of the document (so edits hit real entries).
    Existing(u8),
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Edit {
    SetVersion(String),
    RaiseLowerBound(Name, String),
    StripWorkspaceSources,
    SetSource(Name, Option<String>, Option<String>, bool),
    RemoveSource(Name),
    AddDependency(String),
    RemoveDependency(Name),
    ReplaceDependency(Name, String),
    AddWorkspaceMember(String),
    RemoveWorkspaceMember(String),
    SetProjectField(String, String),
}

const VERSIONS: &[&str] = &["0.1.0", "1.2.3", "2.0.0.dev1", "1.0.0rc1", "10.0", "1!2.0"];

fn default_edits() -> Vec<Edit> {
    vec![
        Edit::SetVersion("1.2.3".to_owned()),
        Edit::RaiseLowerBound(Name::Existing(0), "9.9.9".to_owned()),
        Edit::RaiseLowerBound(Name::Existing(1), "0.0.1".to_owned()),
        Edit::StripWorkspaceSources,
        Edit::SetSource(
            Name::Existing(2),
            Some("https://example.com/o/r.git".to_owned()),
            Some("v1.0.0".to_owned()),
            false,
        ),
        Edit::AddDependency("fuzz-added>=1".to_owned()),
        Edit::RemoveDependency(Name::Existing(3)),
        Edit::AddWorkspaceMember("packages/*".to_owned()),
    ]
}

fn names(doc: &PyProject) -> Vec<String> {
    let mut names = doc.dependency_names().unwrap_or_default();
    names.extend(doc.uv_sources().into_iter().map(|(n, _)| n));
    names
}

fn pick(doc: &PyProject, name: &Name) -> String {
    match name {
        Name::Existing(i) => {
            let names = names(doc);
            if names.is_empty() {
                "absent".to_owned()
            } else {
                names[usize::from(*i) % names.len()].clone()
            }
        }
        Name::Other(s) => s.clone(),
    }
}

/// The rendering of every part no edit may touch.
fn untouched(doc: &PyProject) -> Vec<(String, String)> {
    let mut parts = Vec::new();
    for (key, item) in doc.doc() {
        if key == "project" || key == "tool" {
            continue;
        }
        parts.push((key.to_owned(), item.to_string()));
    }
    if let Some(tool) = doc.doc().get("tool").and_then(|t| t.as_table_like()) {
        for (key, item) in tool.iter() {
            if key != "uv" {
                parts.push((format!("tool.{key}"), item.to_string()));
            }
        }
    }
    parts
}

fn reparse(path: &Path, doc: &PyProject, what: &Edit) -> PyProject {
    let text = doc.render();
    match PyProject::parse(path, &text) {
        Ok(again) => again,
        Err(e) => panic!("after {what:?} the document no longer parses: {e}\n{text}"),
    }
}

/// One fuzz input: panics when a check fails.
pub fn run(data: &[u8]) {
    let (text_bytes, edit_bytes) = match data.iter().rposition(|b| *b == 0) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    };
    let Ok(text) = std::str::from_utf8(text_bytes) else {
        return;
    };
    let path = Path::new("packages/fuzz/pyproject.toml");
    let Ok(mut doc) = PyProject::parse(path, text) else {
        return;
    };
    assert_eq!(
        doc.render(),
        text,
        "an unedited document renders as it was read"
    );
    assert!(!doc.is_changed());

    // Reads never panic.
    let _ = doc.name();
    let _ = doc.version_source();
    let _ = doc.requires_python();
    let _ = doc.workspace_members();
    let _ = doc.has_hatchling_backend();
    let _ = doc.dependency_names();

    let edits: Vec<Edit> = match edit_bytes {
        Some(bytes) => {
            let mut u = Unstructured::new(bytes);
            let mut edits = Vec::new();
            while edits.len() < 8
                && let Ok(edit) = Edit::arbitrary(&mut u)
            {
                edits.push(edit);
            }
            edits
        }
        None => default_edits(),
    };
    let before = untouched(&doc);

    for edit in &edits {
        match edit {
            Edit::SetVersion(v) => {
                let v = if v.len() < 2 {
                    VERSIONS[v.len() % VERSIONS.len()]
                } else {
                    v.as_str()
                };
                if doc.set_version(v).is_ok() {
                    let again = reparse(path, &doc, edit);
                    assert_eq!(
                        again.version_source(),
                        VersionSource::Static(v.to_owned()),
                        "the version set is the version read back"
                    );
                }
            }
            Edit::RaiseLowerBound(name, v) => {
                let name = pick(&doc, name);
                let v = if v.len() < 2 {
                    VERSIONS[v.len() % VERSIONS.len()]
                } else {
                    v.as_str()
                };
                // Earlier edits may have written anything (`replace_dependency` takes the text
                // it is given): the promise holds for requirements valid before this edit.
                let deps_valid = doc.dependency_names().is_ok();
                if doc.raise_lower_bound(&name, v).is_ok() {
                    let again = reparse(path, &doc, edit);
                    if deps_valid {
                        assert!(
                            again.dependency_names().is_ok(),
                            "raising a bound keeps every requirement PEP 508: {:?}",
                            again.dependencies()
                        );
                    }
                }
            }
            Edit::StripWorkspaceSources => {
                let removed = doc.strip_workspace_sources();
                let again = reparse(path, &doc, edit);
                for (name, source) in again.uv_sources() {
                    assert!(
                        !(source.workspace && removed.contains(&name)),
                        "{name} was stripped"
                    );
                }
            }
            Edit::SetSource(name, git, tag, workspace) => {
                let name = pick(&doc, name);
                let source = Source {
                    workspace: *workspace,
                    git: git.clone(),
                    tag: tag.clone(),
                    ..Source::default()
                };
                doc.set_source(&name, &source);
                reparse(path, &doc, edit);
            }
            Edit::RemoveSource(name) => {
                let name = pick(&doc, name);
                let key = release_tool::python::pyproject::normalize_name(&name);
                let count = |d: &PyProject| {
                    d.uv_sources()
                        .iter()
                        .filter(|(n, _)| release_tool::python::pyproject::normalize_name(n) == key)
                        .count()
                };
                let had = count(&doc);
                if doc.remove_source(&name) {
                    let again = reparse(path, &doc, edit);
                    assert_eq!(count(&again) + 1, had, "one source of {name} removed");
                }
            }
            Edit::AddDependency(req) => {
                if doc.add_dependency(req).is_ok() {
                    reparse(path, &doc, edit);
                }
            }
            Edit::RemoveDependency(name) => {
                let name = pick(&doc, name);
                doc.remove_dependency(&name);
                reparse(path, &doc, edit);
            }
            Edit::ReplaceDependency(name, req) => {
                let name = pick(&doc, name);
                doc.replace_dependency(&name, req);
                reparse(path, &doc, edit);
            }
            Edit::AddWorkspaceMember(glob) => {
                doc.add_workspace_member(glob);
                reparse(path, &doc, edit);
            }
            Edit::RemoveWorkspaceMember(entry) => {
                doc.remove_workspace_member(entry);
                reparse(path, &doc, edit);
            }
            Edit::SetProjectField(key, value) => {
                doc.set_project_field(key, value);
                reparse(path, &doc, edit);
            }
        }
    }
    let after = reparse(path, &doc, &Edit::StripWorkspaceSources);
    assert_eq!(
        untouched(&after),
        before,
        "parts no edit touches render as before"
    );
}
