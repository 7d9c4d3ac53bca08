//! Reading and format-preserving editing of `pyproject.toml` files.
//!
//! Every edit goes through [`toml_edit`], touching only the value being
//! changed: comments, whitespace, quoting and ordering elsewhere in the file
//! stay byte-for-byte identical.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep440_rs::{Operator, Version, VersionSpecifier};
use pep508_rs::{Requirement, VersionOrUrl};
use toml_edit::{Array, Document, DocumentMut, InlineTable, Item, Table, TableLike, Value};

use crate::core::fsutil::atomic_write;

/// Errors from loading, inspecting or editing a `pyproject.toml`.
#[derive(Debug, thiserror::Error)]
pub enum PyProjectError {
    /// The file could not be read.
    #[error("Failed to read {}: {source}", .path.display())]
    Read {
        /// File that was read.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// The file could not be written (the message already names the file).
    #[error("{source}")]
    Write {
        /// File that was written.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("Malformed TOML in {}{}: {reason}", .path.display(), fmt_position(*.position))]
    Malformed {
        /// File that was parsed.
        path: PathBuf,
        /// 1-based line and column of the error, when known.
        position: Option<(usize, usize)>,
        /// Short description of the problem.
        reason: String,
    },
    /// `[project]` has no `name`.
    #[error("Missing [project] name in {}", .path.display())]
    MissingName {
        /// Offending file.
        path: PathBuf,
    },
    /// There is no `[project]` table.
    #[error("Missing [project] table in {}", .path.display())]
    MissingProject {
        /// Offending file.
        path: PathBuf,
    },
    /// `[project]` has neither a static nor a dynamic version.
    #[error("Missing [project] version in {}", .path.display())]
    MissingVersion {
        /// Offending file.
        path: PathBuf,
    },
    /// A static version was to be set, but the version is dynamic.
    #[error("Cannot set a static version in {}: [project] version is dynamic", .path.display())]
    DynamicVersion {
        /// Offending file.
        path: PathBuf,
    },
    /// A requirement string is not valid PEP 508.
    #[error("Invalid requirement `{requirement}` in {}: {reason}", .path.display())]
    InvalidRequirement {
        /// File the requirement belongs to.
        path: PathBuf,
        /// The requirement as written.
        requirement: String,
        /// Short description of the problem.
        reason: String,
    },
    /// A version is not valid PEP 440.
    #[error("Invalid version `{version}` for {}: {reason}", .path.display())]
    InvalidVersion {
        /// File the version was meant for.
        path: PathBuf,
        /// The rejected version.
        version: String,
        /// Short description of the problem.
        reason: String,
    },
    /// A key that must hold an array holds something else.
    #[error("Expected {key} to be an array in {}", .path.display())]
    NotAnArray {
        /// Offending file.
        path: PathBuf,
        /// Dotted location of the key, e.g. `[project] dependencies`.
        key: String,
    },
    /// A hatch version file has no recognisable version assignment.
    #[error("No `__version__ = \"...\"` assignment found in {}", .path.display())]
    VersionNotFound {
        /// Offending file.
        path: PathBuf,
    },
}

fn fmt_position(position: Option<(usize, usize)>) -> String {
    position.map_or_else(String::new, |(line, column)| format!(":{line}:{column}"))
}

/// Where a project's version comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VersionSource {
    /// `[project] version = "..."`.
    Static(String),
    /// `"version"` is listed in `[project] dynamic`; `hatch_path` is
    /// `[tool.hatch.version] path`, if set.
    Dynamic {
        /// Version file read by hatchling, relative to the project.
        hatch_path: Option<String>,
    },
    /// No version at all.
    Missing,
}

/// One [tool.uv.sources] entry, read leniently.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Source {
    /// `workspace = true`.
    pub workspace: bool,
    /// Git repository URL.
    pub git: Option<String>,
    /// Git tag.
    pub tag: Option<String>,
    /// Git branch.
    pub branch: Option<String>,
    /// Git revision.
    pub rev: Option<String>,
    /// The package's directory inside the git repository (an in-tree package's pin).
    pub subdirectory: Option<String>,
    /// Local path.
    pub path: Option<String>,
    /// Named index from `[[tool.uv.index]]`.
    pub index: Option<String>,
    /// Whether a path source is installed editable.
    pub editable: Option<bool>,
}

impl Source {
    fn from_table(table: &dyn TableLike) -> Self {
        let string = |key: &str| table.get(key).and_then(Item::as_str).map(str::to_owned);
        Self {
            workspace: table
                .get("workspace")
                .and_then(Item::as_bool)
                .unwrap_or(false),
            git: string("git"),
            tag: string("tag"),
            branch: string("branch"),
            rev: string("rev"),
            subdirectory: string("subdirectory"),
            path: string("path"),
            index: string("index"),
            editable: table.get("editable").and_then(Item::as_bool),
        }
    }

    /// Read a source entry; for a per-marker array, the first table wins.
    fn from_item(item: &Item) -> Option<Self> {
        match item {
            Item::Value(Value::Array(array)) => array
                .iter()
                .find_map(Value::as_inline_table)
                .map(|table| Self::from_table(table)),
            Item::ArrayOfTables(tables) => {
                tables.iter().next().map(|table| Self::from_table(table))
            }
            other => other.as_table_like().map(Self::from_table),
        }
    }

    /// A git source and nothing else (`git` with at most `tag`/`branch`/`rev`).
    fn is_plain_git(&self) -> bool {
        self.git.is_some()
            && !self.workspace
            && self.path.is_none()
            && self.index.is_none()
            && self.editable.is_none()
    }

    fn to_inline_table(&self) -> InlineTable {
        let mut table = InlineTable::new();
        let strings = [
            ("git", &self.git),
            ("tag", &self.tag),
            ("branch", &self.branch),
            ("rev", &self.rev),
            ("subdirectory", &self.subdirectory),
            ("path", &self.path),
            ("index", &self.index),
        ];
        for (key, value) in strings {
            if let Some(value) = value {
                table.insert(key, Value::from(value.as_str()));
            }
        }
        if let Some(editable) = self.editable {
            table.insert("editable", Value::from(editable));
        }
        if self.workspace {
            table.insert("workspace", Value::from(true));
        }
        table
    }
}

/// A parsed `pyproject.toml` that remembers its original text.
///
/// An unedited document renders exactly as it was read. `toml_edit` normalises three things
/// (all found by fuzzing): it drops a leading byte order mark, writes every line ending as
/// `\n`, and ends a last line that is a comment with a newline. An edited document keeps the
/// file's own conventions for those: the mark, `\r\n` line endings (when most lines had
/// them) and the missing final newline come back.
#[derive(Clone, Debug)]
pub struct PyProject {
    path: PathBuf,
    doc: Doc,
    original: String,
    /// Set when the document is made editable: what `toml_edit` rendered before any edit.
    /// While the document renders the same, it is unedited and [`PyProject::render`] gives
    /// `original` back.
    baseline: Option<String>,
    /// The text started with a UTF-8 byte order mark.
    bom: bool,
    /// Most line endings were `\r\n`.
    crlf: bool,
    /// The text ends without a newline (`toml_edit` may add one).
    no_final_newline: bool,
}

/// The document: as parsed (values point into the text), or made editable on the first edit.
/// Most documents are only read (a workspace of a thousand packages reads a thousand), and
/// making one editable costs about a third of parsing it.
#[derive(Clone, Debug)]
enum Doc {
    Read(Document<String>),
    Edit(DocumentMut),
}

impl PyProject {
    /// Read and parse the file at `path`.
    ///
    /// # Errors
    ///
    /// [`PyProjectError::Read`] if the file cannot be read,
    /// [`PyProjectError::Malformed`] if it is not valid TOML.
    pub fn load(path: &Path) -> Result<Self, PyProjectError> {
        let text = std::fs::read_to_string(path).map_err(|source| PyProjectError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(path, &text)
    }

    /// Parse `text`; `path` is where it came from (used in messages and by
    /// [`PyProject::save`]).
    ///
    /// # Errors
    ///
    /// [`PyProjectError::Malformed`] if `text` is not valid TOML.
    pub fn parse(path: &Path, text: &str) -> Result<Self, PyProjectError> {
        let original = text;
        let (bom, text) = match text.strip_prefix('\u{feff}') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let doc = Document::parse(text.to_owned()).map_err(|err| PyProjectError::Malformed {
            path: path.to_path_buf(),
            position: err
                .span()
                .map(|span| crate::core::text::line_col(text, span.start)),
            reason: err
                .message()
                .lines()
                .next()
                .unwrap_or("invalid TOML")
                .trim()
                .to_owned(),
        })?;
        let crlf = text.matches("\r\n").count() * 2 > text.matches('\n').count();
        Ok(Self {
            path: path.to_path_buf(),
            doc: Doc::Read(doc),
            original: original.to_owned(),
            baseline: None,
            bom,
            crlf,
            no_final_newline: !text.ends_with('\n'),
        })
    }

    /// The file this project was read from.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The underlying document's root table.
    #[must_use]
    pub fn doc(&self) -> &Table {
        match &self.doc {
            Doc::Read(doc) => doc.as_table(),
            Doc::Edit(doc) => doc.as_table(),
        }
    }

    /// The underlying document, for edits not covered by this type.
    pub fn doc_mut(&mut self) -> &mut DocumentMut {
        if let Doc::Read(doc) = &self.doc {
            let doc = doc.clone().into_mut();
            self.baseline = Some(doc.to_string());
            self.doc = Doc::Edit(doc);
        }
        match &mut self.doc {
            Doc::Edit(doc) => doc,
            Doc::Read(_) => unreachable!("made editable above"),
        }
    }

    /// `[project] name`, as written.
    #[must_use]
    pub fn name(&self) -> Option<&str> {
        self.project_str("name")
    }

    /// `[project] name`, or an error naming the file.
    ///
    /// # Errors
    ///
    /// [`PyProjectError::MissingName`] if there is no string name.
    pub fn require_name(&self) -> Result<&str, PyProjectError> {
        self.name().ok_or_else(|| PyProjectError::MissingName {
            path: self.path.clone(),
        })
    }

    /// Where the version comes from: a static `[project] version`, or
    /// `"version"` in `[project] dynamic` with hatch's `[tool.hatch.version] path`.
    #[must_use]
    pub fn version_source(&self) -> VersionSource {
        if let Some(version) = self.project_str("version") {
            return VersionSource::Static(version.to_owned());
        }
        let is_dynamic = self
            .project()
            .and_then(|project| project.get("dynamic"))
            .and_then(Item::as_array)
            .is_some_and(|dynamic| dynamic.iter().any(|v| v.as_str() == Some("version")));
        if is_dynamic {
            let hatch_path = self
                .get(&["tool", "hatch", "version", "path"])
                .and_then(Item::as_str)
                .map(str::to_owned);
            VersionSource::Dynamic { hatch_path }
        } else {
            VersionSource::Missing
        }
    }

    /// `[project] requires-python`.
    #[must_use]
    pub fn requires_python(&self) -> Option<&str> {
        self.project_str("requires-python")
    }

    /// `[project] dependencies` strings, in order (non-strings are skipped).
    #[must_use]
    pub fn dependencies(&self) -> Vec<String> {
        self.project()
            .and_then(|project| project.get("dependencies"))
            .and_then(Item::as_array)
            .map(|array| {
                array
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Workspace-relevant requirement names of [project].dependencies,
    /// normalised (PEP 503: lowercase, runs of -_. → -), parsed with
    /// `pep508_rs`, in order of first appearance and without duplicates.
    ///
    /// # Errors
    ///
    /// [`PyProjectError::InvalidRequirement`] for the first entry that is not
    /// valid PEP 508.
    pub fn dependency_names(&self) -> Result<Vec<String>, PyProjectError> {
        let mut names = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for dependency in self.dependencies() {
            let name = self.parse_requirement(&dependency)?;
            if seen.insert(name.clone()) {
                names.push(name);
            }
        }
        Ok(names)
    }

    /// `[tool.uv.sources]` entries, keys as written, in file order. For a
    /// per-marker array of sources, the first table is taken.
    #[must_use]
    pub fn uv_sources(&self) -> Vec<(String, Source)> {
        let Some(sources) = self
            .get(&["tool", "uv", "sources"])
            .and_then(Item::as_table_like)
        else {
            return Vec::new();
        };
        sources
            .iter()
            .filter_map(|(key, item)| Some((key.to_owned(), Source::from_item(item)?)))
            .collect()
    }

    /// `[tool.uv.workspace]` `members` and `exclude` globs; `None` if there is
    /// no `[tool.uv.workspace]`.
    #[must_use]
    pub fn workspace_members(&self) -> Option<(Vec<String>, Vec<String>)> {
        let workspace = self
            .get(&["tool", "uv", "workspace"])
            .and_then(Item::as_table_like)?;
        let globs = |key: &str| -> Vec<String> {
            workspace
                .get(key)
                .and_then(Item::as_array)
                .map(|array| {
                    array
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        Some((globs("members"), globs("exclude")))
    }

    /// Whether `[build-system] build-backend` is `hatchling.build`.
    #[must_use]
    pub fn has_hatchling_backend(&self) -> bool {
        self.get(&["build-system", "build-backend"])
            .and_then(Item::as_str)
            == Some("hatchling.build")
    }

    /// Whether `[build-system] build-backend` is `uv_build` (uv's own backend: static versions
    /// only, which is what the release writes).
    #[must_use]
    pub fn has_uv_build_backend(&self) -> bool {
        self.get(&["build-system", "build-backend"])
            .and_then(Item::as_str)
            == Some("uv_build")
    }

    /// The `[tool.<name>]` item, if present.
    #[must_use]
    pub fn tool(&self, name: &str) -> Option<&Item> {
        self.get(&["tool", name])
    }

    // ---- edits -------------------------------------------------------------

    /// Set the static `[project] version`, keeping its decoration and quote style.
    ///
    /// # Errors
    ///
    /// [`PyProjectError::InvalidVersion`] if `version` is not PEP 440,
    /// [`PyProjectError::DynamicVersion`] if the version is dynamic,
    /// [`PyProjectError::MissingVersion`] if there is none.
    pub fn set_version(&mut self, version: &str) -> Result<(), PyProjectError> {
        self.doc_mut();
        self.check_version(version)?;
        match self.version_source() {
            VersionSource::Static(_) => {}
            VersionSource::Dynamic { .. } => {
                return Err(PyProjectError::DynamicVersion {
                    path: self.path.clone(),
                });
            }
            VersionSource::Missing => {
                return Err(PyProjectError::MissingVersion {
                    path: self.path.clone(),
                });
            }
        }
        if let Some(value) = self
            .project_mut()
            .and_then(|project| project.get_mut("version"))
            .and_then(Item::as_value_mut)
        {
            replace_string(value, version);
        }
        Ok(())
    }

    /// Set a string field of `[project]` (`name`, `requires-python`, `description`...), keeping
    /// the value's decoration; creates the key when missing. Returns whether it changed.
    pub fn set_project_field(&mut self, key: &str, value: &str) -> bool {
        self.doc_mut();
        let Some(project) = self.project_mut() else {
            return false;
        };
        match project.get_mut(key).and_then(Item::as_value_mut) {
            Some(existing) if existing.as_str() == Some(value) => false,
            Some(existing) => {
                replace_string(existing, value);
                true
            }
            None => {
                project.insert(key, toml_edit::value(value));
                true
            }
        }
    }

    /// Add a requirement string to [project].dependencies (create the array if
    /// missing); no-op if a requirement with the same normalised name exists.
    /// Keep the array's existing multi-line style: if the array is multi-line,
    /// the new item goes on its own line with the same indentation and trailing
    /// comma style.
    ///
    /// # Errors
    ///
    /// [`PyProjectError::InvalidRequirement`] if `requirement` is not PEP 508,
    /// [`PyProjectError::MissingProject`] without a `[project]` table,
    /// [`PyProjectError::NotAnArray`] if `dependencies` is not an array.
    pub fn add_dependency(&mut self, requirement: &str) -> Result<bool, PyProjectError> {
        self.doc_mut();
        let name = self.parse_requirement(requirement)?;
        let path = self.path.clone();
        let project = self
            .project_mut()
            .ok_or_else(|| PyProjectError::MissingProject { path: path.clone() })?;
        match project.get_mut("dependencies") {
            Some(item) if !item.is_none() => {
                let array = item
                    .as_array_mut()
                    .ok_or_else(|| PyProjectError::NotAnArray {
                        path,
                        key: "[project] dependencies".to_owned(),
                    })?;
                if array
                    .iter()
                    .filter_map(Value::as_str)
                    .any(|existing| requirement_name(existing).as_deref() == Some(name.as_str()))
                {
                    return Ok(false);
                }
                let value = string_like(array.iter().last(), requirement);
                append_to_array(array, value);
            }
            _ => {
                let mut array = Array::new();
                array.push(requirement);
                project.insert("dependencies", Item::Value(Value::Array(array)));
            }
        }
        Ok(true)
    }

    /// Remove the requirement(s) with this normalised name; returns whether
    /// something changed. Comments on other lines are kept.
    pub fn remove_dependency(&mut self, name: &str) -> bool {
        self.doc_mut();
        let target = normalize_name(name);
        let Some(array) = self.dependencies_mut() else {
            return false;
        };
        let mut changed = false;
        for index in (0..array.len()).rev() {
            let matches = array
                .get(index)
                .and_then(Value::as_str)
                .and_then(requirement_name)
                .is_some_and(|existing| existing == target);
            if matches {
                remove_from_array(array, index);
                changed = true;
            }
        }
        changed
    }

    /// Replace the whole requirement string of the dependency with this
    /// normalised name (keeps its position, decoration/comments around it);
    /// false if absent. Only the first matching entry is replaced.
    pub fn replace_dependency(&mut self, name: &str, requirement: &str) -> bool {
        self.doc_mut();
        let target = normalize_name(name);
        let Some(array) = self.dependencies_mut() else {
            return false;
        };
        let Some(value) = array.iter_mut().find(|value| {
            value
                .as_str()
                .and_then(requirement_name)
                .is_some_and(|existing| existing == target)
        }) else {
            return false;
        };
        if value.as_str() == Some(requirement) {
            return false;
        }
        replace_string(value, requirement);
        true
    }

    /// Raise the lower bound: for `name>=old` (or `==`, `~=`, or none) make it
    /// `name>=new_version` preserving extras and markers and other upper-bound
    /// specifiers like `<2`; returns whether it changed. Never lowers an
    /// existing higher bound. Entries pointing at a URL are left alone; every
    /// entry with this name (e.g. one per marker) is updated. Only the
    /// specifier text is rewritten; the rest of the string stays as written.
    ///
    /// # Errors
    ///
    /// [`PyProjectError::InvalidVersion`] if `new_version` is not PEP 440,
    /// [`PyProjectError::InvalidRequirement`] if a matching entry is not PEP 508.
    pub fn raise_lower_bound(
        &mut self,
        name: &str,
        new_version: &str,
    ) -> Result<bool, PyProjectError> {
        self.doc_mut();
        let new = self.check_version(new_version)?;
        self.rewrite_requirements(name, |text| raise_requirement(text, &new, new_version))
    }

    /// Pin the requirement exactly: for `name` with any specifier (or none) make it
    /// `name==new_version`, keeping extras and markers (the whole specifier is replaced, an
    /// upper bound too); returns whether it changed. Entries pointing at a URL are left alone
    /// (see [`PyProject::repoint_git_references`]); every entry with this name is updated.
    ///
    /// # Errors
    ///
    /// [`PyProjectError::InvalidVersion`] if `new_version` is not PEP 440,
    /// [`PyProjectError::InvalidRequirement`] if a matching entry is not PEP 508.
    pub fn pin_exact(&mut self, name: &str, new_version: &str) -> Result<bool, PyProjectError> {
        self.doc_mut();
        self.check_version(new_version)?;
        self.rewrite_requirements(name, |text| {
            pin_requirement(text, new_version).map(|pinned| pinned.filter(|p| p != text))
        })
    }

    /// Every `[project].dependencies` entry named `name` passed through `rewrite` (`Ok(Some)`:
    /// its new text; `Ok(None)`: leave it; `Err`: not PEP 508). Returns whether any was replaced.
    fn rewrite_requirements(
        &mut self,
        name: &str,
        rewrite: impl Fn(&str) -> Result<Option<String>, String>,
    ) -> Result<bool, PyProjectError> {
        let target = normalize_name(name);
        let path = self.path.clone();
        let Some(array) = self.dependencies_mut() else {
            return Ok(false);
        };
        let mut changed = false;
        for value in array.iter_mut() {
            let Some(text) = value.as_str() else {
                continue;
            };
            if requirement_name(text).as_deref() != Some(target.as_str()) {
                continue;
            }
            let new_text = rewrite(text).map_err(|reason| PyProjectError::InvalidRequirement {
                path: path.clone(),
                requirement: text.to_owned(),
                reason,
            })?;
            if let Some(new_text) = new_text {
                replace_string(value, &new_text);
                changed = true;
            }
        }
        Ok(changed)
    }

    /// Set [tool.uv.sources].<name> to an inline table (create tables as
    /// needed, with `[tool.uv.sources]` a standard table, not dotted/inline),
    /// e.g. {git=..., tag=...} or {workspace=true}. Replaces an existing entry
    /// (matched by normalised name) in place. Returns whether anything changed;
    /// false also if `tool`, `tool.uv` or `tool.uv.sources` is not a table.
    ///
    /// A git pin replacing a git pin (an inline or standard table) changes only the values of
    /// `git`, `tag`, `branch` and `rev` (each keeps its place, quotes and spacing; one the new
    /// pin lacks goes): every other key the user wrote (`subdirectory = "."`, `marker`,
    /// `extra`, `lfs`, ...) and the table's formatting stay.
    pub fn set_source(&mut self, name: &str, source: &Source) -> bool {
        self.doc_mut();
        let Some(sources) = self.ensure_table(&["tool", "uv", "sources"]) else {
            return false;
        };
        let target = normalize_name(name);
        // The key as spelled is found at once; other spellings of the name take a scan.
        let existing = if sources.contains_key(name) {
            Some(name.to_owned())
        } else {
            sources
                .iter()
                .map(|(key, _)| key)
                .find(|key| normalize_name(key) == target)
                .map(str::to_owned)
        };
        let new_table = source.to_inline_table();
        let Some(item) = existing.and_then(|key| sources.get_mut(&key)) else {
            sources.insert(name, Item::Value(Value::InlineTable(new_table)));
            return true;
        };
        if item
            .as_table_like()
            .is_some_and(|table| Source::from_table(table).git.is_some())
            && source.is_plain_git()
        {
            let Item::Value(Value::InlineTable(inline)) = item else {
                return item
                    .as_table_like_mut()
                    .is_some_and(|table| update_git_source(table, source));
            };
            // The space before `}` stays there, whichever value ends up last.
            let suffix = inline.iter_mut().last().and_then(|(_, last)| {
                let suffix = last.decor().suffix().cloned();
                last.decor_mut().set_suffix("");
                suffix
            });
            let changed = update_git_source(inline, source);
            if let (Some(suffix), Some((_, last))) = (suffix, inline.iter_mut().last()) {
                last.decor_mut().set_suffix(suffix);
            }
            return changed;
        }
        match item {
            Item::Value(value) => {
                if value
                    .as_inline_table()
                    .is_some_and(|table| Source::from_table(table) == *source)
                {
                    return false;
                }
                let decor = value.decor().clone();
                *value = Value::InlineTable(new_table);
                *value.decor_mut() = decor;
            }
            Item::Table(table) => {
                if Source::from_table(table) == *source {
                    return false;
                }
                table.clear();
                for (key, value) in &new_table {
                    table.insert(key, Item::Value(value.clone()));
                }
            }
            other => *other = Item::Value(Value::InlineTable(new_table)),
        }
        true
    }

    /// Remove `[tool.uv.sources].<name>` (matched by normalised name); returns
    /// whether it existed.
    pub fn remove_source(&mut self, name: &str) -> bool {
        self.doc_mut();
        let target = normalize_name(name);
        let Some(sources) = self.get_table_mut(&["tool", "uv", "sources"]) else {
            return false;
        };
        let Some(key) = sources
            .iter()
            .map(|(key, _)| key)
            .find(|key| normalize_name(key) == target)
            .map(str::to_owned)
        else {
            return false;
        };
        sources.remove(&key).is_some()
    }

    /// The item at a path of keys (`["tool", "uv", "index"]`), as written.
    #[must_use]
    pub fn item(&self, keys: &[&str]) -> Option<&Item> {
        self.get(keys)
    }

    /// Make the item at `keys` equal in value to `value` (`None`: absent). An item of equal
    /// value is left as written, whatever its formatting; a different one is replaced by a
    /// copy of `value` in its place, a missing one added (parent tables are created). Returns
    /// whether the document changed.
    pub fn set_item(&mut self, keys: &[&str], value: Option<&Item>) -> bool {
        let Some((last, parents)) = keys.split_last() else {
            return false;
        };
        match (self.get(keys), value) {
            (None, None) => return false,
            (Some(current), Some(wanted)) if same_value(current, wanted) => return false,
            _ => {}
        }
        self.doc_mut();
        let Some(wanted) = value else {
            return self
                .get_table_mut(parents)
                .is_some_and(|table| table.remove(last).is_some());
        };
        let Some(table) = self.ensure_table(parents) else {
            return false;
        };
        let mut wanted = wanted.clone();
        unplace(&mut wanted);
        match table.get_mut(last) {
            Some(existing) => *existing = wanted,
            None => {
                table.insert(last, wanted);
            }
        }
        true
    }

    /// `[tool.uv.sources]` entries as written (key, item), in file order.
    #[must_use]
    pub fn uv_source_items(&self) -> Vec<(&str, &Item)> {
        self.get(&["tool", "uv", "sources"])
            .and_then(Item::as_table_like)
            .map(|sources| sources.iter().collect())
            .unwrap_or_default()
    }

    /// Make `[tool.uv.sources].<name>` (matched by normalised name; an existing key keeps its
    /// spelling) equal in value to `value`, like [`PyProject::set_item`]. Returns whether the
    /// document changed.
    pub fn set_source_item(&mut self, name: &str, value: Option<&Item>) -> bool {
        let target = normalize_name(name);
        let key = self
            .uv_source_items()
            .into_iter()
            .map(|(key, _)| key)
            .find(|key| normalize_name(key) == target)
            .unwrap_or(name)
            .to_owned();
        self.set_item(&["tool", "uv", "sources", &key], value)
    }

    /// The name of the first dependency with this normalised name, spelled as written.
    #[must_use]
    pub fn dependency_spelling(&self, name: &str) -> Option<String> {
        let target = normalize_name(name);
        self.dependencies()
            .iter()
            .find_map(|d| requirement_spelling(d).filter(|n| normalize_name(n) == target))
            .map(str::to_owned)
    }

    /// Every direct git reference (`name @ git+URL@REF`) of `[project] dependencies`,
    /// `[project.optional-dependencies]` and `[dependency-groups]`: `(normalised name, REF,
    /// the whole requirement)`, in file order. References without a ref (a branch's head) are
    /// left out.
    #[must_use]
    pub fn git_references(&self) -> Vec<(String, String, String)> {
        let mut found = Vec::new();
        for array in self.requirement_arrays() {
            for value in array {
                let Some(text) = value.as_str() else { continue };
                if let Some((name, range)) = git_reference_ref(text) {
                    found.push((name, text[range].to_owned(), text.to_owned()));
                }
            }
        }
        found
    }

    /// Move every direct git reference to `name` (`name @ git+URL@REF`, in `[project]
    /// dependencies`, `[project.optional-dependencies]` and `[dependency-groups]`) to `new_ref`:
    /// only REF changes, the rest of each string (URL, `#subdirectory=`, extras, markers) stays
    /// as written. Returns the refs replaced (none when every reference was there already).
    pub fn repoint_git_references(&mut self, name: &str, new_ref: &str) -> Vec<String> {
        let target = normalize_name(name);
        let mut old = Vec::new();
        self.doc_mut();
        for array in self.requirement_arrays_mut() {
            for value in array.iter_mut() {
                let Some(text) = value.as_str() else { continue };
                let Some((found, range)) = git_reference_ref(text) else {
                    continue;
                };
                if found != target || &text[range.clone()] == new_ref {
                    continue;
                }
                old.push(text[range.clone()].to_owned());
                let new = format!("{}{new_ref}{}", &text[..range.start], &text[range.end..]);
                replace_string(value, &new);
            }
        }
        old
    }

    /// The arrays of requirement strings: `[project] dependencies`, each
    /// `[project.optional-dependencies]` extra, each `[dependency-groups]` group.
    fn requirement_arrays(&self) -> Vec<&Array> {
        let mut arrays = Vec::new();
        if let Some(project) = self.project() {
            arrays.extend(project.get("dependencies").and_then(Item::as_array));
            if let Some(extras) = project
                .get("optional-dependencies")
                .and_then(Item::as_table_like)
            {
                arrays.extend(extras.iter().filter_map(|(_, item)| item.as_array()));
            }
        }
        if let Some(groups) = self
            .doc()
            .get("dependency-groups")
            .and_then(Item::as_table_like)
        {
            arrays.extend(groups.iter().filter_map(|(_, item)| item.as_array()));
        }
        arrays
    }

    fn requirement_arrays_mut(&mut self) -> Vec<&mut Array> {
        let mut arrays = Vec::new();
        let doc = self.doc_mut().as_table_mut();
        for (key, item) in doc.iter_mut() {
            match key.get() {
                "project" => {
                    let Some(project) = item.as_table_like_mut() else {
                        continue;
                    };
                    for (key, item) in project.iter_mut() {
                        match key.get() {
                            "dependencies" => arrays.extend(item.as_array_mut()),
                            "optional-dependencies" => {
                                if let Some(extras) = item.as_table_like_mut() {
                                    arrays.extend(
                                        extras.iter_mut().filter_map(|(_, i)| i.as_array_mut()),
                                    );
                                }
                            }
                            _ => {}
                        }
                    }
                }
                "dependency-groups" => {
                    if let Some(groups) = item.as_table_like_mut() {
                        arrays.extend(groups.iter_mut().filter_map(|(_, i)| i.as_array_mut()));
                    }
                }
                _ => {}
            }
        }
        arrays
    }

    /// Remove every `workspace = true` source entry; returns the removed names
    /// (as written).
    pub fn strip_workspace_sources(&mut self) -> Vec<String> {
        self.doc_mut();
        let Some(sources) = self.get_table_mut(&["tool", "uv", "sources"]) else {
            return Vec::new();
        };
        let removed: Vec<String> = sources
            .iter()
            .filter(|(_, item)| Source::from_item(item).is_some_and(|source| source.workspace))
            .map(|(key, _)| key.to_owned())
            .collect();
        for key in &removed {
            sources.remove(key);
        }
        removed
    }

    /// Add `glob` to `[tool.uv.workspace] members` (creating tables and the
    /// array as needed, keeping the array's style); false if already present
    /// or if the location is not a table/array.
    pub fn add_workspace_member(&mut self, glob: &str) -> bool {
        self.doc_mut();
        let Some(workspace) = self.ensure_table(&["tool", "uv", "workspace"]) else {
            return false;
        };
        match workspace.get_mut("members") {
            Some(item) if !item.is_none() => {
                let Some(array) = item.as_array_mut() else {
                    return false;
                };
                if array.iter().any(|value| value.as_str() == Some(glob)) {
                    return false;
                }
                let value = string_like(array.iter().last(), glob);
                append_to_array(array, value);
            }
            _ => {
                let mut array = Array::new();
                array.push(glob);
                workspace.insert("members", Item::Value(Value::Array(array)));
            }
        }
        true
    }

    /// Remove `entry` from `[tool.uv.workspace] members` (also written `./entry` or
    /// `entry/`); returns whether it was there. Globs are left alone.
    pub fn remove_workspace_member(&mut self, entry: &str) -> bool {
        self.doc_mut();
        let target = entry.trim_start_matches("./").trim_end_matches('/');
        let Some(array) = self
            .get_table_mut(&["tool", "uv", "workspace"])
            .and_then(|workspace| workspace.get_mut("members"))
            .and_then(Item::as_array_mut)
        else {
            return false;
        };
        let mut changed = false;
        for index in (0..array.len()).rev() {
            let matches = array
                .get(index)
                .and_then(Value::as_str)
                .is_some_and(|member| {
                    member.trim_start_matches("./").trim_end_matches('/') == target
                });
            if matches {
                remove_from_array(array, index);
                changed = true;
            }
        }
        changed
    }

    /// Remove the requirement(s) with this normalised name from every `[dependency-groups]`
    /// group; returns the groups it was removed from. An emptied group stays (empty).
    pub fn remove_group_dependency(&mut self, name: &str) -> Vec<String> {
        self.doc_mut();
        let target = normalize_name(name);
        let Some(groups) = self.get_table_mut(&["dependency-groups"]) else {
            return Vec::new();
        };
        let mut removed = Vec::new();
        for (group, item) in groups.iter_mut() {
            let Some(array) = item.as_array_mut() else {
                continue;
            };
            let mut changed = false;
            for index in (0..array.len()).rev() {
                let matches = array
                    .get(index)
                    .and_then(Value::as_str)
                    .and_then(requirement_name)
                    .is_some_and(|existing| existing == target);
                if matches {
                    remove_from_array(array, index);
                    changed = true;
                }
            }
            if changed {
                removed.push(group.get().to_owned());
            }
        }
        removed
    }

    /// The document as text.
    #[must_use]
    pub fn render(&self) -> String {
        let (Doc::Edit(doc), Some(baseline)) = (&self.doc, &self.baseline) else {
            // Never edited: exactly the text as read.
            return self.original.clone();
        };
        let mut text = doc.to_string();
        if text == *baseline {
            return self.original.clone();
        }
        if self.no_final_newline && text.ends_with('\n') && baseline.ends_with('\n') {
            text.pop();
        }
        if self.crlf {
            text = text.replace("\r\n", "\n").replace('\n', "\r\n");
        }
        if self.bom {
            text.insert(0, '\u{feff}');
        }
        text
    }

    /// Whether [`PyProject::render`] differs from the text that was parsed.
    #[must_use]
    pub fn is_changed(&self) -> bool {
        self.render() != self.original
    }

    /// Atomically write the document back to its path if it changed; returns
    /// whether it wrote. The remembered original text is not updated, so
    /// [`PyProject::is_changed`] keeps comparing against the text as loaded.
    ///
    /// # Errors
    ///
    /// [`PyProjectError::Write`] if writing fails.
    pub fn save(&self) -> Result<bool, PyProjectError> {
        let rendered = self.render();
        if rendered == self.original {
            return Ok(false);
        }
        atomic_write(&self.path, rendered.as_bytes()).map_err(|source| PyProjectError::Write {
            path: self.path.clone(),
            source,
        })?;
        Ok(true)
    }

    // ---- helpers -----------------------------------------------------------

    fn get(&self, keys: &[&str]) -> Option<&Item> {
        let mut item = match &self.doc {
            Doc::Read(doc) => doc.as_item(),
            Doc::Edit(doc) => doc.as_item(),
        };
        for key in keys {
            item = item.as_table_like()?.get(key)?;
        }
        Some(item)
    }

    fn get_table_mut(&mut self, keys: &[&str]) -> Option<&mut dyn TableLike> {
        let mut table: &mut dyn TableLike = self.doc_mut().as_table_mut();
        for key in keys {
            table = table.get_mut(key)?.as_table_like_mut()?;
        }
        Some(table)
    }

    /// Walk to the table at `keys`, creating missing tables: intermediate ones
    /// implicit (no header of their own), the last one a standard table. A
    /// chain created from the document root is placed at the end of the file;
    /// otherwise `toml_edit` places it after its parent's existing tables.
    fn ensure_table(&mut self, keys: &[&str]) -> Option<&mut dyn TableLike> {
        // Only needed when a chain starts at the root; the walk over every table is costly in a
        // large manifest (one call per package of a release).
        let end_position = if keys.first().is_some_and(|k| self.doc().get(k).is_none()) {
            max_position(self.doc_mut().as_table()).saturating_add(1)
        } else {
            0
        };
        let mut table: &mut dyn TableLike = self.doc_mut().as_table_mut();
        let mut created_from_root = false;
        for (depth, key) in keys.iter().enumerate() {
            if table.get(key).is_none() {
                created_from_root |= depth == 0;
                let mut new_table = Table::new();
                if depth + 1 < keys.len() {
                    new_table.set_implicit(true);
                } else if created_from_root {
                    new_table.set_position(Some(end_position));
                }
                table.insert(key, Item::Table(new_table));
            }
            table = table.get_mut(key)?.as_table_like_mut()?;
        }
        Some(table)
    }

    fn project(&self) -> Option<&dyn TableLike> {
        self.doc().get("project")?.as_table_like()
    }

    fn project_mut(&mut self) -> Option<&mut dyn TableLike> {
        self.doc_mut().get_mut("project")?.as_table_like_mut()
    }

    fn project_str(&self, key: &str) -> Option<&str> {
        self.project()?.get(key)?.as_str()
    }

    fn dependencies_mut(&mut self) -> Option<&mut Array> {
        self.project_mut()?.get_mut("dependencies")?.as_array_mut()
    }

    /// Parse a PEP 508 requirement and return its normalised name.
    fn parse_requirement(&self, requirement: &str) -> Result<String, PyProjectError> {
        parse_pep508(requirement)
            .map(|parsed| normalize_name(parsed.name.as_ref()))
            .map_err(|reason| PyProjectError::InvalidRequirement {
                path: self.path.clone(),
                requirement: requirement.to_owned(),
                reason,
            })
    }

    fn check_version(&self, version: &str) -> Result<Version, PyProjectError> {
        Version::from_str(version).map_err(|err| PyProjectError::InvalidVersion {
            path: self.path.clone(),
            version: version.to_owned(),
            reason: first_line(&err.to_string()),
        })
    }
}

/// PEP 503 normalisation: lowercase, with runs of `-`, `_` and `.` replaced
/// by a single `-`.
#[must_use]
pub fn normalize_name(name: &str) -> String {
    let mut normalized = String::with_capacity(name.len());
    let mut in_separator = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_separator {
                normalized.push('-');
            }
            in_separator = true;
        } else {
            normalized.push(c.to_ascii_lowercase());
            in_separator = false;
        }
    }
    normalized
}

/// Read `__version__ = "..."` (or `VERSION`/`version`, single or double quotes)
/// from a hatch version file.
///
/// Like hatchling's default pattern, the assignment must start at the
/// beginning of a line and the name is matched case-insensitively; a type
/// annotation (`__version__: str = "..."`) is accepted too.
///
/// # Errors
///
/// [`PyProjectError::Read`] if the file cannot be read,
/// [`PyProjectError::VersionNotFound`] if it has no such assignment.
pub fn read_version_file(path: &Path) -> Result<String, PyProjectError> {
    let text = read_text(path)?;
    let range = find_version_assignment(&text).ok_or_else(|| PyProjectError::VersionNotFound {
        path: path.to_path_buf(),
    })?;
    Ok(text[range].to_owned())
}

/// The version assigned in the text of a hatch version file (see [`read_version_file`]), for
/// files read from elsewhere than the work tree (e.g. a git tag).
#[must_use]
pub fn version_in_text(text: &str) -> Option<&str> {
    find_version_assignment(text).map(|range| &text[range])
}

/// The text of a hatch version file with its version replaced (`None` when it has no
/// version assignment).
#[must_use]
pub fn set_version_in_text(text: &str, version: &str) -> Option<String> {
    let range = find_version_assignment(text)?;
    Some(format!(
        "{}{version}{}",
        &text[..range.start],
        &text[range.end..]
    ))
}

/// Rewrite the version string in that file in place (atomic), keeping
/// everything else byte-for-byte. Does not touch the file if the version is
/// already `version`.
///
/// # Errors
///
/// [`PyProjectError::InvalidVersion`] if `version` is not PEP 440, plus the
/// errors of [`read_version_file`] and [`PyProjectError::Write`].
pub fn write_version_file(path: &Path, version: &str) -> Result<(), PyProjectError> {
    Version::from_str(version).map_err(|err| PyProjectError::InvalidVersion {
        path: path.to_path_buf(),
        version: version.to_owned(),
        reason: first_line(&err.to_string()),
    })?;
    let text = read_text(path)?;
    let range = find_version_assignment(&text).ok_or_else(|| PyProjectError::VersionNotFound {
        path: path.to_path_buf(),
    })?;
    if &text[range.clone()] == version {
        return Ok(());
    }
    let updated = format!("{}{version}{}", &text[..range.start], &text[range.end..]);
    atomic_write(path, updated.as_bytes()).map_err(|source| PyProjectError::Write {
        path: path.to_path_buf(),
        source,
    })
}

fn read_text(path: &Path) -> Result<String, PyProjectError> {
    std::fs::read_to_string(path).map_err(|source| PyProjectError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Byte range of the quoted version in the first version assignment.
fn find_version_assignment(text: &str) -> Option<Range<usize>> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some(range) = version_in_line(line) {
            return Some(offset + range.start..offset + range.end);
        }
        offset += line.len();
    }
    None
}

fn version_in_line(line: &str) -> Option<Range<usize>> {
    let bytes = line.as_bytes();
    let starts_with = |name: &str| {
        bytes
            .get(..name.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(name.as_bytes()))
    };
    let mut i = if starts_with("__version__") {
        "__version__".len()
    } else if starts_with("version") {
        "version".len()
    } else {
        return None;
    };
    let skip_blanks = |mut i: usize| {
        while matches!(bytes.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        i
    };
    i = skip_blanks(i);
    if bytes.get(i) == Some(&b':') {
        // Type annotation, e.g. `__version__: str = "1.0"`.
        i += 1;
        while bytes
            .get(i)
            .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b' ' | b'\t' | b'_' | b'.'))
        {
            i += 1;
        }
    }
    if bytes.get(i) != Some(&b'=') || bytes.get(i + 1) == Some(&b'=') {
        return None;
    }
    i = skip_blanks(i + 1);
    let quote = *bytes.get(i)?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let start = i + 1;
    let len = line.get(start..)?.find(char::from(quote))?;
    let content = &line[start..start + len];
    (!content.is_empty() && !content.contains('\n')).then_some(start..start + len)
}

fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or_default().trim().to_owned()
}

/// Whether two items hold the same value, whatever their formatting (comments, whitespace,
/// quoting, inline or standard tables, key order).
#[must_use]
pub fn same_value(a: &Item, b: &Item) -> bool {
    canonical(a) == canonical(b)
}

/// A text that two items share exactly when their values are equal.
fn canonical(item: &Item) -> String {
    use std::fmt::Write as _;
    fn table(table: &dyn TableLike, out: &mut String) {
        let mut entries: Vec<(&str, &Item)> = table.iter().collect();
        entries.sort_by_key(|(key, _)| *key);
        out.push('{');
        for (key, item) in entries {
            let _ = write!(out, "{key:?}=");
            walk(item, out);
            out.push(',');
        }
        out.push('}');
    }
    fn value(v: &Value, out: &mut String) {
        match v {
            Value::String(s) => {
                let _ = write!(out, "{:?}", s.value());
            }
            Value::Integer(i) => out.push_str(&i.value().to_string()),
            Value::Float(f) => {
                let _ = write!(out, "{:?}", f.value());
            }
            Value::Boolean(b) => out.push_str(&b.value().to_string()),
            Value::Datetime(d) => out.push_str(&d.value().to_string()),
            Value::Array(array) => {
                out.push('[');
                for v in array {
                    value(v, out);
                    out.push(',');
                }
                out.push(']');
            }
            Value::InlineTable(t) => table(t, out),
        }
    }
    fn walk(item: &Item, out: &mut String) {
        match item {
            Item::None => out.push_str("none"),
            Item::Value(v) => value(v, out),
            Item::Table(t) => table(t, out),
            Item::ArrayOfTables(tables) => {
                out.push('[');
                for t in tables {
                    table(t, out);
                    out.push(',');
                }
                out.push(']');
            }
        }
    }
    let mut out = String::new();
    walk(item, &mut out);
    out
}

/// Forget the positions of the tables in `item` (copied from another document): they follow
/// the table they are put in.
fn unplace(item: &mut Item) {
    match item {
        Item::Table(table) => {
            table.set_position(None);
            for (_, child) in table.iter_mut() {
                unplace(child);
            }
        }
        Item::ArrayOfTables(tables) => {
            for table in tables.iter_mut() {
                table.set_position(None);
                for (_, child) in table.iter_mut() {
                    unplace(child);
                }
            }
        }
        Item::None | Item::Value(_) => {}
    }
}

/// The name of a requirement string as written (`Model_Qwen>=1` → `Model_Qwen`).
#[must_use]
pub fn requirement_spelling(requirement: &str) -> Option<&str> {
    let trimmed = requirement.trim_start();
    let end = trimmed
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(trimmed.len());
    let name = &trimmed[..end];
    (!name.is_empty()).then_some(name)
}

/// Rewrite the relative `path` values of a source entry (a table, or an array of them) for a
/// manifest `prefix` deeper (`"../"` for `staging/pyproject.toml`), keeping their quoting.
pub fn rebase_source_paths(item: &mut Item, prefix: &str) {
    fn rebase(table: &mut dyn TableLike, prefix: &str) {
        if let Some(value) = table.get_mut("path").and_then(Item::as_value_mut)
            && let Some(path) = value.as_str()
            && !path.starts_with('/')
            && !path.contains(':')
        {
            let rebased = format!("{prefix}{}", path.trim_start_matches("./"));
            replace_string(value, &rebased);
        }
    }
    match item {
        Item::Value(Value::Array(array)) => {
            for value in array.iter_mut() {
                if let Some(table) = value.as_inline_table_mut() {
                    rebase(table, prefix);
                }
            }
        }
        Item::Value(Value::InlineTable(table)) => rebase(table, prefix),
        Item::Table(table) => rebase(table, prefix),
        Item::ArrayOfTables(tables) => {
            for table in tables.iter_mut() {
                rebase(table, prefix);
            }
        }
        Item::None | Item::Value(_) => {}
    }
}

/// Highest table position in the document.
fn max_position(table: &Table) -> isize {
    let mut max = table.position().unwrap_or(0);
    for (_, item) in table {
        let child = match item {
            Item::Table(child) => max_position(child),
            Item::ArrayOfTables(tables) => tables.iter().map(max_position).max().unwrap_or(0),
            _ => 0,
        };
        max = max.max(child);
    }
    max
}

/// Parse a PEP 508 requirement (every requirement the tool reads goes through here); the
/// error is a one-line reason.
///
/// `pep508_rs` 0.9.2 panics instead of failing on a package or extra name that ends with `-`,
/// `_` or `.` and is followed by more text (`foo- >=1`, `foo[bar-]`; found by fuzzing), so such
/// names are refused here first, with the message `pep508_rs` gives for a name at the end of the
/// text.
///
/// # Errors
///
/// The reason the text is not a PEP 508 requirement.
pub fn parse_pep508(requirement: &str) -> Result<Requirement, String> {
    let is_name_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let ends_badly = |name: &str| name.ends_with(['-', '_', '.']);
    let trimmed = requirement.trim_start();
    let name_len = trimmed.find(|c| !is_name_char(c)).unwrap_or(trimmed.len());
    let (name, rest) = trimmed.split_at(name_len);
    if name.starts_with(|c: char| c.is_ascii_alphanumeric()) && !rest.is_empty() {
        if ends_badly(name) {
            return Err(format!(
                "Package name must end with an alphanumeric character, not '{}'",
                &name[name.len() - 1..]
            ));
        }
        // `[extra, ...]`: each identifier the parser would take as an extra.
        if let Some(extras) = rest.trim_start().strip_prefix('[') {
            let extras = extras.split(']').next().unwrap_or_default();
            for word in extras.split(|c| !is_name_char(c)) {
                if word.starts_with(|c: char| c.is_ascii_alphanumeric()) && ends_badly(word) {
                    return Err(format!(
                        "Extra name must end with an alphanumeric character, not '{}'",
                        &word[word.len() - 1..]
                    ));
                }
            }
        }
    }
    Requirement::from_str(requirement).map_err(|err| first_line(&err.message.to_string()))
}

/// A direct git reference `name @ git+URL@REF[#fragment]` (parsed as PEP 508): the
/// normalised name and the byte range of REF in `requirement`; `None` for anything else (a
/// version specifier, a URL that is not git, a git URL without a ref).
#[must_use]
pub fn git_reference_ref(requirement: &str) -> Option<(String, Range<usize>)> {
    let parsed = parse_pep508(requirement).ok()?;
    if !matches!(parsed.version_or_url, Some(VersionOrUrl::Url(_))) {
        return None;
    }
    // PEP 508: the URL follows `@` and ends at whitespace (a marker needs a space before `;`);
    // a name or extra never contains `+`, so the first `git+` starts the URL.
    let start = requirement.find("git+")?;
    let end = requirement[start..]
        .find(char::is_whitespace)
        .map_or(requirement.len(), |i| start + i);
    let url = &requirement[start..end];
    let url = url.split('#').next().unwrap_or(url);
    // The ref follows the last `@` of the path (an `@` before it is the user of `ssh://git@`).
    let path_start = url.find("://").map_or(0, |i| i + 3);
    let slash = url[path_start..].find('/').map(|i| path_start + i)?;
    let at = url[slash..].rfind('@').map(|i| slash + i)?;
    let range = start + at + 1..start + url.len();
    (!range.is_empty()).then(|| (normalize_name(parsed.name.as_ref()), range))
}

/// Normalised name of a requirement; falls back to its leading name
/// characters when it is not valid PEP 508.
fn requirement_name(requirement: &str) -> Option<String> {
    if let Ok(parsed) = parse_pep508(requirement) {
        return Some(normalize_name(parsed.name.as_ref()));
    }
    let name: String = requirement
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    (!name.is_empty()).then(|| normalize_name(&name))
}

/// Byte offset just after a requirement's name and `[extras]`.
fn specifier_start(requirement: &str) -> usize {
    let trimmed = requirement.trim_start();
    let name_start = requirement.len() - trimmed.len();
    let name_len = trimmed
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(trimmed.len());
    let name_end = name_start + name_len;
    let after_name = &requirement[name_end..];
    if after_name.trim_start().starts_with('[')
        && let Some(close) = after_name.find(']')
    {
        return name_end + close + 1;
    }
    name_end
}

/// The requirement with its lower bound raised to `new`, or `None` if it
/// needs no change (or points at a URL). Errors are short reasons.
fn raise_requirement(
    requirement: &str,
    new: &Version,
    new_text: &str,
) -> Result<Option<String>, String> {
    let parsed = parse_pep508(requirement)?;
    if matches!(parsed.version_or_url, Some(VersionOrUrl::Url(_))) {
        return Ok(None);
    }
    let spec_start = specifier_start(requirement);
    let spec_end = requirement[spec_start..]
        .find(';')
        .map_or(requirement.len(), |i| spec_start + i);
    let region = &requirement[spec_start..spec_end];
    // `name (>=1.0)`: work inside the parentheses.
    let (inner_start, inner_end) = match (region.find('('), region.rfind(')')) {
        (Some(open), Some(close)) if open < close && region[..open].trim().is_empty() => {
            (spec_start + open + 1, spec_start + close)
        }
        _ => (spec_start, spec_end),
    };
    let inner = &requirement[inner_start..inner_end];
    let (before, after) = (&requirement[..inner_start], &requirement[inner_end..]);

    if inner.trim().is_empty() {
        return Ok(Some(format!("{before}>={new_text}{inner}{after}")));
    }

    let mut pieces = Vec::new();
    let mut lower: Option<Version> = None;
    for piece in inner.split(',') {
        let specifier =
            VersionSpecifier::from_str(piece.trim()).map_err(|err| first_line(&err.to_string()))?;
        let is_lower = matches!(
            specifier.operator(),
            Operator::Equal
                | Operator::EqualStar
                | Operator::ExactEqual
                | Operator::TildeEqual
                | Operator::GreaterThan
                | Operator::GreaterThanEqual
        );
        if is_lower
            && lower
                .as_ref()
                .is_none_or(|current| specifier.version() > current)
        {
            lower = Some(specifier.version().clone());
        }
        pieces.push((piece, is_lower));
    }
    if lower.as_ref().is_some_and(|current| current >= new) {
        return Ok(None);
    }

    let new_inner = if lower.is_none() {
        let lead = &inner[..inner.len() - inner.trim_start().len()];
        format!("{lead}>={new_text},{}", inner.trim_start())
    } else {
        let mut kept = Vec::with_capacity(pieces.len());
        let mut replaced = false;
        for (piece, is_lower) in pieces {
            if !is_lower {
                kept.push(piece.to_owned());
            } else if !replaced {
                replaced = true;
                let lead = &piece[..piece.len() - piece.trim_start().len()];
                let trail = &piece[piece.trim_end().len()..];
                kept.push(format!("{lead}>={new_text}{trail}"));
            }
        }
        kept.join(",")
    };
    Ok(Some(format!("{before}{new_inner}{after}")))
}

/// The requirement with its whole specifier replaced by `==new_text` (extras and markers kept),
/// or `None` when it points at a URL. Errors are short reasons.
fn pin_requirement(requirement: &str, new_text: &str) -> Result<Option<String>, String> {
    let parsed = parse_pep508(requirement)?;
    if matches!(parsed.version_or_url, Some(VersionOrUrl::Url(_))) {
        return Ok(None);
    }
    let spec_start = specifier_start(requirement);
    let spec_end = requirement[spec_start..]
        .find(';')
        .map_or(requirement.len(), |i| spec_start + i);
    let region = &requirement[spec_start..spec_end];
    // The space before a marker stays (`a >=1 ; python_version > "3"`).
    let trail = &region[region.trim_end().len()..];
    Ok(Some(format!(
        "{}=={new_text}{trail}{}",
        &requirement[..spec_start],
        &requirement[spec_end..]
    )))
}

// ---- array and string formatting helpers ---------------------------------

fn prefix_of(value: &Value) -> &str {
    value
        .decor()
        .prefix()
        .and_then(|raw| raw.as_str())
        .unwrap_or_default()
}

fn suffix_of(value: &Value) -> &str {
    value
        .decor()
        .suffix()
        .and_then(|raw| raw.as_str())
        .unwrap_or_default()
}

fn trailing_of(array: &Array) -> &str {
    array.trailing().as_str().unwrap_or_default()
}

fn is_multiline(array: &Array) -> bool {
    trailing_of(array).contains('\n')
        || array
            .iter()
            .any(|value| prefix_of(value).contains('\n') || suffix_of(value).contains('\n'))
}

/// A string value for `text`, in the same (basic or literal) quote style as
/// `template` when possible.
fn string_like(template: Option<&Value>, text: &str) -> Value {
    let literal = matches!(template, Some(Value::String(formatted))
        if formatted.display_repr().starts_with('\'') && !formatted.display_repr().starts_with("'''"));
    if literal
        && !text.contains('\'')
        && !text.chars().any(char::is_control)
        && let Ok(mut value) = format!("'{text}'").parse::<Value>()
    {
        value.decor_mut().clear();
        return value;
    }
    Value::from(text)
}

/// Point an existing git source at `source` (a plain git source, see [`PyProject::set_source`]):
/// only the values of `git`, `tag`, `branch` and `rev` change; returns whether one did.
fn update_git_source(table: &mut dyn TableLike, source: &Source) -> bool {
    let mut changed = false;
    for (key, wanted) in [
        ("git", &source.git),
        ("tag", &source.tag),
        ("branch", &source.branch),
        ("rev", &source.rev),
    ] {
        match (wanted, table.get_mut(key)) {
            (Some(text), Some(Item::Value(value))) if value.is_str() => {
                if value.as_str() != Some(text.as_str()) {
                    replace_string(value, text);
                    changed = true;
                }
            }
            (Some(text), _) => {
                table.insert(key, Item::Value(Value::from(text.as_str())));
                changed = true;
            }
            (None, Some(_)) => {
                table.remove(key);
                changed = true;
            }
            (None, None) => {}
        }
    }
    // A subdirectory the pin names is set; one the user wrote (`subdirectory = "."`) stays.
    if let Some(text) = &source.subdirectory {
        match table.get_mut("subdirectory") {
            Some(Item::Value(value)) if value.is_str() => {
                if value.as_str() != Some(text.as_str()) {
                    replace_string(value, text);
                    changed = true;
                }
            }
            _ => {
                table.insert("subdirectory", Item::Value(Value::from(text.as_str())));
                changed = true;
            }
        }
    }
    changed
}

/// Replace a string value, keeping its decoration and quote style.
fn replace_string(value: &mut Value, text: &str) {
    if value.as_str() == Some(text) {
        return;
    }
    let decor = value.decor().clone();
    let mut new_value = string_like(Some(value), text);
    *new_value.decor_mut() = decor;
    *value = new_value;
}

/// Append `value` to `array` in the array's style: in a multi-line array on a
/// line of its own with the indentation of the existing items (comments after
/// the previous last item stay on that item's line); otherwise `, value`.
fn append_to_array(array: &mut Array, mut value: Value) {
    let trailing = trailing_of(array).to_owned();
    let multiline = is_multiline(array);
    let was_empty = array.is_empty();
    let indent = array
        .iter()
        .filter_map(|v| {
            prefix_of(v)
                .rsplit_once('\n')
                .map(|(_, indent)| indent.to_owned())
        })
        .last()
        .unwrap_or_else(|| "    ".to_owned());

    // Whitespace/comment after the current last value (before `]` or `,`).
    let mut last_suffix = String::new();
    if let Some(last) = array.len().checked_sub(1).and_then(|i| array.get_mut(i)) {
        last_suffix.push_str(suffix_of(last));
        last.decor_mut().set_suffix("");
    }

    if multiline {
        let mut tail = String::new();
        if last_suffix.contains('\n') {
            // `"b"  # comment\n]` without a trailing comma.
            tail.push_str(&last_suffix);
            value.decor_mut().set_suffix("");
        } else {
            value.decor_mut().set_suffix(last_suffix);
        }
        tail.push_str(&trailing);
        let (prefix, new_trailing) = match tail.split_once('\n') {
            Some((same_line, rest)) => (format!("{same_line}\n{indent}"), format!("\n{rest}")),
            None => (format!("\n{indent}"), tail),
        };
        value.decor_mut().set_prefix(prefix);
        array.push_formatted(value);
        array.set_trailing(new_trailing);
        if was_empty {
            array.set_trailing_comma(true);
        }
    } else {
        if was_empty {
            value.decor_mut().set_prefix("");
            if trailing.trim().is_empty() {
                array.set_trailing("");
            }
        } else {
            value.decor_mut().set_prefix(" ");
        }
        value.decor_mut().set_suffix(last_suffix);
        array.push_formatted(value);
    }
}

/// Remove `array[index]` together with its line (in a multi-line array),
/// keeping comments that sit on other lines.
fn remove_from_array(array: &mut Array, index: usize) {
    let len = array.len();
    let Some(removed) = array.get(index) else {
        return;
    };
    let is_last = index + 1 == len;
    let prefix = prefix_of(removed).to_owned();
    let suffix = suffix_of(removed).to_owned();
    // Text between the removed value and the next value (or `]`).
    let following = if is_last {
        format!("{suffix}{}", trailing_of(array))
    } else {
        let next = array.get(index + 1).map(prefix_of).unwrap_or_default();
        if suffix.contains('\n') {
            format!("{suffix}{next}")
        } else {
            next.to_owned()
        }
    };
    let joined = match (prefix.rfind('\n'), following.find('\n')) {
        // Drop the removed value's line: keep everything up to the end of the
        // previous line, then what follows the removed value's line.
        (Some(p), Some(f)) => format!("{}{}", &prefix[..=p], &following[f + 1..]),
        (None, Some(f)) => following[f..].to_owned(),
        (_, None) if is_last => following,
        (_, None) => prefix,
    };
    array.remove(index);
    if is_last {
        if array.is_empty() && joined.trim().is_empty() {
            array.set_trailing("");
            array.set_trailing_comma(false);
        } else {
            array.set_trailing(joined);
        }
    } else if let Some(next) = array.get_mut(index) {
        next.decor_mut().set_prefix(joined);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RICH: &str = include_str!("../../tests/fixtures/pyproject/ml_monorepo.toml");
    const DYNAMIC: &str = include_str!("../../tests/fixtures/pyproject/package_dynamic.toml");
    const STATIC: &str = include_str!("../../tests/fixtures/pyproject/static_package.toml");
    const NO_TOOL: &str = include_str!("../../tests/fixtures/pyproject/no_tool.toml");
    const MALFORMED: &str = include_str!("../../tests/fixtures/pyproject/malformed.toml");
    const MISSING_NAME: &str = include_str!("../../tests/fixtures/pyproject/missing_name.toml");

    fn parse(text: &str) -> PyProject {
        PyProject::parse(Path::new("packages/a/pyproject.toml"), text).unwrap()
    }

    /// `original` with `old` (which must occur exactly once) replaced by `new`.
    fn replaced(original: &str, old: &str, new: &str) -> String {
        assert_eq!(original.matches(old).count(), 1, "{old:?} must occur once");
        original.replacen(old, new, 1)
    }

    #[test]
    fn direct_git_references_move_to_the_new_tag_and_nothing_else_changes() {
        let text = r#"[project]
name = "b"
dependencies = [
    "model-interface @ git+https://host/org/model_interface.git@0.1.2",  # pinned
    'model-interface[fast] @ git+ssh://git@host/org/mi.git@v0.1.2#subdirectory=py ; python_version >= "3.10"',
    "model-interface>=0.1",
    "other @ git+file:///srv/other.git@v1.0.0",
    "model-interface @ git+https://host/org/model_interface.git",
    "model-interface @ https://host/mi-0.1.2.tar.gz",
]
[project.optional-dependencies]
extra = ["model_interface @ git+file:///r/mi.git@0.1.2"]
[dependency-groups]
dev = [{ include-group = "x" }, "Model.Interface @ git+file:///r/mi.git@0.1.0"]
"#;
        let mut doc = parse(text);
        let refs: Vec<(String, String)> = doc
            .git_references()
            .into_iter()
            .map(|(n, r, _)| (n, r))
            .collect();
        assert_eq!(
            refs,
            [
                ("model-interface", "0.1.2"),
                ("model-interface", "v0.1.2"),
                ("other", "v1.0.0"),
                ("model-interface", "0.1.2"),
                ("model-interface", "0.1.0"),
            ]
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
        );
        let old = doc.repoint_git_references("Model_Interface", "0.2.0");
        assert_eq!(old, ["0.1.2", "v0.1.2", "0.1.2", "0.1.0"]);
        let mut want = text.to_owned();
        for (from, to) in [
            ("model_interface.git@0.1.2\"", "model_interface.git@0.2.0\""),
            ("mi.git@v0.1.2#", "mi.git@0.2.0#"),
            ("r/mi.git@0.1.2", "r/mi.git@0.2.0"),
            ("r/mi.git@0.1.0", "r/mi.git@0.2.0"),
        ] {
            want = replaced(&want, from, to);
        }
        assert_eq!(doc.render(), want);
        assert!(
            doc.repoint_git_references("model-interface", "0.2.0")
                .is_empty()
        );
    }

    fn source(f: impl FnOnce(&mut Source)) -> Source {
        let mut source = Source::default();
        f(&mut source);
        source
    }

    // ---- parsing and reading ------------------------------------------------

    #[test]
    fn round_trips_fixtures_byte_for_byte() {
        for text in [RICH, DYNAMIC, STATIC, NO_TOOL, MISSING_NAME] {
            let project = parse(text);
            assert_eq!(project.render(), text);
            assert!(!project.is_changed());
        }
    }

    /// Found by fuzzing (`pyproject_edit`): `toml_edit` drops a leading byte order mark, so an
    /// unedited file counted as changed and every edit removed the mark.
    #[test]
    fn keeps_a_byte_order_mark() {
        let text = "\u{feff}# A package\n[project]\nname = \"a\"\nversion = \"1.0.0\"\n";
        let mut project = parse(text);
        assert_eq!(project.render(), text);
        assert!(!project.is_changed());
        project.set_version("1.0.1").unwrap();
        assert_eq!(project.render(), text.replace("1.0.0", "1.0.1"));
        let malformed = PyProject::parse(Path::new("p.toml"), "\u{feff}a = = 1\n").unwrap_err();
        assert!(malformed.to_string().contains("p.toml:1:5"), "{malformed}");
    }

    /// Found by fuzzing (`pyproject_edit`): `toml_edit` ends a file whose last line is a comment
    /// with a newline, so an unedited file without a final newline counted as changed.
    #[test]
    fn keeps_a_missing_final_newline_after_a_comment() {
        for text in [
            "[project]\nname = \"a\"\nversion = \"1.0.0\"  # bumped",
            "[project]\nname = \"a\"\nversion = \"1.0.0\"\n# the end",
        ] {
            let mut project = parse(text);
            assert_eq!(project.render(), text);
            assert!(!project.is_changed());
            project.set_version("1.0.1").unwrap();
            assert_eq!(project.render(), text.replace("1.0.0", "1.0.1"));
        }
    }

    /// Found by fuzzing (`pyproject_edit`): `pep508_rs` 0.9.2 panics on a package or extra name
    /// ending with `-`, `_` or `.` followed by more text; every such requirement is an error.
    #[test]
    fn names_ending_in_a_separator_are_errors_not_panics() {
        for requirement in [
            "vcp- >=1",
            "foo->=1",
            "foo_[x]",
            "foo. ; python_version>'3'",
            "foo[too3l.]",
            "foo [a, b- ]>=1",
            "foo[a,b_,c]",
        ] {
            let reason = parse_pep508(requirement).unwrap_err();
            assert!(reason.contains("must end with an alphanumeric"), "{reason}");
            let mut project = parse(&format!(
                "[project]\nname = \"a\"\nversion = \"1.0\"\ndependencies = [{requirement:?}]\n"
            ));
            assert!(project.dependency_names().is_err());
            assert!(project.add_dependency(requirement).is_err());
            let _ = project.raise_lower_bound("foo", "2.0"); // an error or nothing to do, never a panic
        }
        assert!(parse_pep508("foo-").is_err());
        assert!(parse_pep508("foo-bar>=1").is_ok());
        assert!(parse_pep508("foo-bar[a-b, c.d]>=1; extra == 'x'").is_ok());
    }

    /// Found by fuzzing (`pyproject_edit`): `toml_edit` writes every line ending as `\n`, so
    /// an unedited Windows file counted as changed and every edit rewrote all its lines.
    #[test]
    fn keeps_crlf_line_endings() {
        let text = "# Windows\r\n[project]\r\nname = \"a\"\r\nversion = \"1.0.0\"\r\n\
                    dependencies = [\r\n    \"b>=1\",\r\n]\r\n";
        let mut project = parse(text);
        assert_eq!(project.render(), text);
        assert!(!project.is_changed());
        project.set_version("1.0.1").unwrap();
        project.add_dependency("c>=2").unwrap();
        assert_eq!(
            project.render(),
            text.replace("1.0.0", "1.0.1")
                .replace("\"b>=1\",\r\n", "\"b>=1\",\r\n    \"c>=2\",\r\n")
        );
        // Mixed endings: unedited, the file is left exactly as it is.
        let mixed = "[project]\r\nname = \"a\"\nversion = \"1.0.0\"\r\n";
        assert_eq!(parse(mixed).render(), mixed);
    }

    #[test]
    fn reads_rich_fixture() {
        let project = parse(RICH);
        assert_eq!(project.name(), Some("orbit-workspace"));
        assert_eq!(project.require_name().unwrap(), "orbit-workspace");
        assert_eq!(
            project.version_source(),
            VersionSource::Static("0.4.2".into())
        );
        assert_eq!(project.requires_python(), Some(">=3.10,<3.13"));
        assert_eq!(
            project.dependencies(),
            [
                "orbit-core>=0.4.0",
                "Data_Loader[s3]>=0.3.1,<1; python_version >= '3.10'",
                "numpy>=1.26",
                "pydantic~=2.6",
                "orbit-train==0.4.2",
                "rich",
            ]
        );
        assert_eq!(
            project.dependency_names().unwrap(),
            [
                "orbit-core",
                "data-loader",
                "numpy",
                "pydantic",
                "orbit-train",
                "rich"
            ]
        );
        assert!(project.has_hatchling_backend());
        assert!(project.tool("ruff").is_some_and(Item::is_table));
        assert!(project.tool("black").is_none());
        assert_eq!(
            project.workspace_members(),
            Some((
                vec!["packages/*".to_owned(), "services/*".to_owned()],
                vec!["packages/legacy-*".to_owned()],
            ))
        );
    }

    #[test]
    fn reads_uv_sources_leniently() {
        let project = parse(RICH);
        let sources = project.uv_sources();
        let names: Vec<&str> = sources.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(
            names,
            [
                "orbit-core",
                "data-loader",
                "orbit-train",
                "torch",
                "torchvision",
                "mlflow-plugin",
                "local-utils"
            ]
        );
        let workspace = source(|s| s.workspace = true);
        assert_eq!(sources[0].1, workspace);
        // Per-marker arrays: the first table.
        assert_eq!(
            sources[3].1,
            source(|s| s.index = Some("pytorch-cpu".into()))
        );
        assert_eq!(
            sources[5].1,
            source(|s| {
                s.git = Some("https://github.com/example/mlflow-plugin".into());
                s.tag = Some("v1.2.0".into());
            })
        );
        assert_eq!(
            sources[6].1,
            source(|s| {
                s.path = Some("vendor/local-utils".into());
                s.editable = Some(true);
            })
        );
        assert_eq!(
            serde_json::to_value(&sources[6].1).unwrap()["path"],
            "vendor/local-utils"
        );
    }

    #[test]
    fn tells_the_uv_build_backend_from_hatchling() {
        let project = parse(
            "[project]\nname = \"x\"\nversion = \"0.1.0\"\n\n\
             [build-system]\nrequires = [\"uv_build>=0.9,<1\"]\nbuild-backend = \"uv_build\"\n",
        );
        assert!(project.has_uv_build_backend());
        assert!(!project.has_hatchling_backend());
        assert!(!parse(DYNAMIC).has_uv_build_backend());
    }

    #[test]
    fn reads_dynamic_hatch_version() {
        let project = parse(DYNAMIC);
        assert_eq!(project.name(), Some("Data_Loader"));
        assert_eq!(
            project.version_source(),
            VersionSource::Dynamic {
                hatch_path: Some("src/data_loader/__about__.py".into())
            }
        );
        assert_eq!(
            project.dependency_names().unwrap(),
            ["orbit-core", "fsspec"]
        );
        assert!(project.has_hatchling_backend());
        assert_eq!(project.workspace_members(), None);
        let dynamic_without_hatch = parse("[project]\nname = \"x\"\ndynamic = [\"version\"]\n");
        assert_eq!(
            dynamic_without_hatch.version_source(),
            VersionSource::Dynamic { hatch_path: None }
        );
        assert_eq!(
            parse("[project]\nname = \"x\"\n").version_source(),
            VersionSource::Missing
        );
    }

    #[test]
    fn malformed_toml_names_file_line_and_column() {
        let err = PyProject::parse(Path::new("packages/a/pyproject.toml"), MALFORMED).unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with("Malformed TOML in packages/a/pyproject.toml:3:17: "),
            "{message}"
        );
        assert!(!message.contains('\n'), "{message}");
        assert!(!message.contains("TOML parse error at"), "{message}");

        // Columns count characters, not bytes.
        let err = PyProject::parse(Path::new("p.toml"), "a = 1\nb = \"é\" x\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("Malformed TOML in p.toml:2:9: "),
            "{err}"
        );
        let err = PyProject::parse(Path::new("p.toml"), "[project\n").unwrap_err();
        assert!(
            err.to_string().starts_with("Malformed TOML in p.toml:1:"),
            "{err}"
        );
    }

    #[test]
    fn missing_name_is_an_error() {
        let project = parse(MISSING_NAME);
        assert_eq!(project.name(), None);
        assert_eq!(
            project.require_name().unwrap_err().to_string(),
            "Missing [project] name in packages/a/pyproject.toml"
        );
        let no_project = parse("[tool.uv]\npackage = false\n");
        assert!(matches!(
            no_project.require_name(),
            Err(PyProjectError::MissingName { .. })
        ));
        assert!(no_project.dependencies().is_empty());
        assert!(no_project.uv_sources().is_empty());
    }

    #[test]
    fn invalid_dependency_is_reported_with_file_and_entry() {
        let project = parse("[project]\nname = \"x\"\ndependencies = [\"ok\", \"bad>>1\"]\n");
        let message = project.dependency_names().unwrap_err().to_string();
        assert!(
            message.starts_with("Invalid requirement `bad>>1` in packages/a/pyproject.toml: "),
            "{message}"
        );
        assert!(!message.contains('\n'), "{message}");
    }

    #[test]
    fn load_and_save() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pyproject.toml");
        std::fs::write(&path, STATIC).unwrap();
        let mut project = PyProject::load(&path).unwrap();
        assert_eq!(project.path(), path);
        assert!(!project.save().unwrap(), "unchanged: nothing written");
        project.set_version("0.5.0").unwrap();
        assert!(project.is_changed());
        assert!(project.save().unwrap());
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            replaced(STATIC, "version = '0.4.0'", "version = '0.5.0'")
        );

        let missing = dir.path().join("nope/pyproject.toml");
        let message = PyProject::load(&missing).unwrap_err().to_string();
        assert!(message.starts_with("Failed to read "), "{message}");
        assert!(message.contains("nope/pyproject.toml"), "{message}");
    }

    // ---- version ------------------------------------------------------------

    #[test]
    fn set_version_edits_only_the_value() {
        let mut project = parse(RICH);
        project.set_version("0.5.0").unwrap();
        assert_eq!(
            project.render(),
            replaced(
                RICH,
                "version = \"0.4.2\"  # bumped",
                "version = \"0.5.0\"  # bumped"
            )
        );
        let mut project = parse(STATIC);
        project.set_version("1.0.0rc1").unwrap();
        assert_eq!(
            project.render(),
            replaced(STATIC, "version = '0.4.0'", "version = '1.0.0rc1'")
        );
    }

    #[test]
    fn set_version_rejects_dynamic_missing_and_invalid() {
        let mut project = parse(DYNAMIC);
        let err = project.set_version("1.0.0").unwrap_err();
        assert!(matches!(err, PyProjectError::DynamicVersion { .. }));
        assert_eq!(
            err.to_string(),
            "Cannot set a static version in packages/a/pyproject.toml: [project] version is dynamic"
        );
        assert_eq!(project.render(), DYNAMIC);

        let mut project = parse("[project]\nname = \"x\"\n");
        assert!(matches!(
            project.set_version("1.0.0"),
            Err(PyProjectError::MissingVersion { .. })
        ));

        let mut project = parse(STATIC);
        let message = project
            .set_version("not a version")
            .unwrap_err()
            .to_string();
        assert!(
            message.starts_with("Invalid version `not a version` for packages/a/pyproject.toml: "),
            "{message}"
        );
        assert_eq!(project.render(), STATIC);
    }

    // ---- dependencies -------------------------------------------------------

    #[test]
    fn add_dependency_to_multiline_array_with_trailing_comma_and_comments() {
        let mut project = parse(RICH);
        assert!(project.add_dependency("orbit-eval>=0.1").unwrap());
        assert_eq!(
            project.render(),
            replaced(
                RICH,
                "    \"rich\",  # pretty CLI output\n]",
                "    \"rich\",  # pretty CLI output\n    \"orbit-eval>=0.1\",\n]"
            )
        );
        // Same normalised name: no-op.
        let before = project.render();
        assert!(!project.add_dependency("data.loader>=9").unwrap());
        assert!(!project.add_dependency("ORBIT_EVAL").unwrap());
        assert_eq!(project.render(), before);
    }

    #[test]
    fn add_dependency_edge_cases() {
        // Missing array: created in [project].
        let text = "[project]\nname = \"x\"\n\n[tool.uv]\npackage = true\n";
        let mut project = parse(text);
        assert!(project.add_dependency("alpha>=1").unwrap());
        assert_eq!(
            project.render(),
            replaced(
                text,
                "name = \"x\"\n",
                "name = \"x\"\ndependencies = [\"alpha>=1\"]\n"
            )
        );

        // Empty array.
        let mut project = parse(NO_TOOL);
        assert!(project.add_dependency("alpha>=1").unwrap());
        assert_eq!(
            project.render(),
            replaced(
                NO_TOOL,
                "dependencies = []",
                "dependencies = [\"alpha>=1\"]"
            )
        );

        // Single-line array: appended inline, in the last item's quote style.
        let mut project = parse(STATIC);
        assert!(project.add_dependency("alpha>=1").unwrap());
        assert_eq!(
            project.render(),
            replaced(
                STATIC,
                "[\"numpy>=1.26\", 'pyyaml']",
                "[\"numpy>=1.26\", 'pyyaml', 'alpha>=1']"
            )
        );
        let text = "[project]\nname = \"x\"\ndependencies = [ \"a\" ]\n";
        let mut project = parse(text);
        project.add_dependency("b").unwrap();
        assert_eq!(
            project.render(),
            replaced(text, "[ \"a\" ]", "[ \"a\", \"b\" ]")
        );

        // Multi-line, no trailing comma, comment after the last item.
        let text = "[project]\nname = \"x\"\ndependencies = [\n  \"a\",\n  \"b\"  # cb\n]\n";
        let mut project = parse(text);
        project.add_dependency("c").unwrap();
        assert_eq!(
            project.render(),
            replaced(text, "  \"b\"  # cb\n]", "  \"b\",  # cb\n  \"c\"\n]")
        );

        // Multi-line with the bracket on the last item's line.
        let text = "[project]\nname = \"x\"\ndependencies = [\n\t\"a\",\n\t\"b\"]\n";
        let mut project = parse(text);
        project.add_dependency("c").unwrap();
        assert_eq!(
            project.render(),
            replaced(text, "\t\"b\"]", "\t\"b\",\n\t\"c\"]")
        );

        // Multi-line with a comment before the closing bracket.
        let text = "[project]\nname = \"x\"\ndependencies = [\n  \"a\",\n  # more later\n]\n";
        let mut project = parse(text);
        project.add_dependency("b").unwrap();
        assert_eq!(
            project.render(),
            replaced(text, "  \"a\",\n", "  \"a\",\n  \"b\",\n")
        );

        // Empty multi-line array.
        let text = "[project]\nname = \"x\"\ndependencies = [\n]\n";
        let mut project = parse(text);
        project.add_dependency("a").unwrap();
        assert_eq!(project.render(), replaced(text, "[\n]", "[\n    \"a\",\n]"));
    }

    #[test]
    fn add_dependency_errors() {
        let mut project = parse(RICH);
        let err = project.add_dependency("bad>>1").unwrap_err();
        assert!(matches!(err, PyProjectError::InvalidRequirement { .. }));
        let mut project = parse("[tool.uv]\npackage = false\n");
        assert_eq!(
            project.add_dependency("a").unwrap_err().to_string(),
            "Missing [project] table in packages/a/pyproject.toml"
        );
        let mut project = parse("[project]\nname = \"x\"\ndependencies = \"a\"\n");
        assert_eq!(
            project.add_dependency("b").unwrap_err().to_string(),
            "Expected [project] dependencies to be an array in packages/a/pyproject.toml"
        );
    }

    #[test]
    fn remove_dependency_keeps_comments_on_other_lines() {
        let mut project = parse(RICH);
        assert!(project.remove_dependency("NumPy"));
        assert_eq!(
            project.render(),
            replaced(
                RICH,
                "    # numerical stack\n    \"numpy>=1.26\",\n",
                "    # numerical stack\n"
            )
        );

        // First item, with its own trailing comment.
        let mut project = parse(RICH);
        assert!(project.remove_dependency("orbit_core"));
        assert_eq!(
            project.render(),
            replaced(RICH, "    \"orbit-core>=0.4.0\",   # internal\n", "")
        );

        // Last item, with its own trailing comment.
        let mut project = parse(RICH);
        assert!(project.remove_dependency("rich"));
        assert_eq!(
            project.render(),
            replaced(RICH, "    \"rich\",  # pretty CLI output\n", "")
        );

        // Normalised match against `Data_Loader[s3]...`.
        let mut project = parse(RICH);
        assert!(project.remove_dependency("data-loader"));
        assert_eq!(
            project.render(),
            replaced(
                RICH,
                "    \"Data_Loader[s3]>=0.3.1,<1; python_version >= '3.10'\",\n",
                ""
            )
        );

        let mut project = parse(RICH);
        assert!(!project.remove_dependency("absent"));
        assert!(!project.is_changed());
    }

    #[test]
    fn remove_dependency_from_single_line_arrays() {
        let mut project = parse(STATIC);
        assert!(project.remove_dependency("numpy"));
        assert_eq!(
            project.render(),
            replaced(STATIC, "[\"numpy>=1.26\", 'pyyaml']", "['pyyaml']")
        );
        assert!(project.remove_dependency("pyyaml"));
        assert_eq!(
            project.render(),
            replaced(STATIC, "[\"numpy>=1.26\", 'pyyaml']", "[]")
        );

        let mut project = parse(STATIC);
        assert!(project.remove_dependency("pyyaml"));
        assert_eq!(
            project.render(),
            replaced(STATIC, "[\"numpy>=1.26\", 'pyyaml']", "[\"numpy>=1.26\"]")
        );

        // Multi-line without trailing comma: the comma before the new last goes.
        let text = "[project]\nname = \"x\"\ndependencies = [\n  \"a\",\n  \"b\"  # cb\n]\n";
        let mut project = parse(text);
        assert!(project.remove_dependency("b"));
        assert_eq!(
            project.render(),
            replaced(text, "  \"a\",\n  \"b\"  # cb\n", "  \"a\"\n")
        );
        assert!(project.remove_dependency("a"));
        assert_eq!(
            project.render(),
            replaced(text, "[\n  \"a\",\n  \"b\"  # cb\n]", "[]")
        );
    }

    #[test]
    fn replace_dependency_keeps_position_and_decoration() {
        let mut project = parse(RICH);
        assert!(project.replace_dependency("PyDantic", "pydantic>=2.7,<3"));
        assert_eq!(
            project.render(),
            replaced(RICH, "    'pydantic~=2.6',\n", "    'pydantic>=2.7,<3',\n")
        );
        assert!(project.replace_dependency("orbit-core", "orbit-core @ file:///src/core"));
        assert!(
            project
                .render()
                .contains("    \"orbit-core @ file:///src/core\",   # internal\n")
        );
        assert!(!project.replace_dependency("absent", "absent>=1"));
        // Same text: no change reported.
        assert!(!project.replace_dependency("numpy", "numpy>=1.26"));
    }

    #[test]
    fn raise_lower_bound_in_fixture() {
        let mut project = parse(RICH);
        assert!(project.raise_lower_bound("data_loader", "0.4.0").unwrap());
        assert!(project.raise_lower_bound("orbit-train", "0.5.0").unwrap());
        assert!(project.raise_lower_bound("rich", "13.7").unwrap());
        assert!(project.raise_lower_bound("pydantic", "2.7").unwrap());
        // Never lowers.
        assert!(!project.raise_lower_bound("numpy", "1.0").unwrap());
        assert!(!project.raise_lower_bound("numpy", "1.26").unwrap());
        assert!(!project.raise_lower_bound("absent", "1.0").unwrap());
        let expected = replaced(
            RICH,
            "\"Data_Loader[s3]>=0.3.1,<1; python_version >= '3.10'\"",
            "\"Data_Loader[s3]>=0.4.0,<1; python_version >= '3.10'\"",
        );
        let expected = replaced(
            &expected,
            "\"orbit-train==0.4.2\"",
            "\"orbit-train>=0.5.0\"",
        );
        let expected = replaced(
            &expected,
            "\"rich\",  # pretty",
            "\"rich>=13.7\",  # pretty",
        );
        let expected = replaced(&expected, "'pydantic~=2.6'", "'pydantic>=2.7'");
        assert_eq!(project.render(), expected);

        assert!(matches!(
            project.raise_lower_bound("numpy", "nope"),
            Err(PyProjectError::InvalidVersion { .. })
        ));
    }

    #[test]
    fn pin_exact_replaces_the_specifier_and_keeps_extras_and_markers() {
        let text = "[project]\nname = \"b\"\ndependencies = [\n  \"a\",\n  \"A[x]>=0.1,<2 ; python_version > '3'\",\n  \"a (>=0.1)\",\n  \"a @ git+https://h/a.git@v0.1.0\",\n  \"other>=1\",\n]\n";
        let mut doc = PyProject::parse(Path::new("pyproject.toml"), text).unwrap();
        assert!(doc.pin_exact("a", "0.2.0").unwrap());
        assert_eq!(
            doc.dependencies(),
            [
                "a==0.2.0",
                "A[x]==0.2.0 ; python_version > '3'",
                "a==0.2.0",
                "a @ git+https://h/a.git@v0.1.0",
                "other>=1",
            ]
        );
        assert!(!doc.pin_exact("a", "0.2.0").unwrap());
        assert!(doc.pin_exact("a", "not a version").is_err());
    }

    #[test]
    fn raise_lower_bound_edge_cases() {
        let raise = |requirement: &str, version: &str| {
            raise_requirement(requirement, &Version::from_str(version).unwrap(), version).unwrap()
        };
        let cases = [
            (
                "alpha[x]>=0.1; python_version>'3.9'",
                Some("alpha[x]>=0.2; python_version>'3.9'"),
            ),
            ("alpha>=0.1,<2", Some("alpha>=0.2,<2")),
            ("alpha==0.1.0", Some("alpha>=0.2")),
            ("alpha", Some("alpha>=0.2")),
            ("alpha[x]", Some("alpha[x]>=0.2")),
            (
                "alpha ; sys_platform == 'linux'",
                Some("alpha>=0.2 ; sys_platform == 'linux'"),
            ),
            ("alpha<2", Some("alpha>=0.2,<2")),
            ("alpha >= 0.1, < 2", Some("alpha >=0.2, < 2")),
            ("alpha (>=0.1)", Some("alpha (>=0.2)")),
            ("alpha~=0.1.0", Some("alpha>=0.2")),
            ("alpha!=0.15,>=0.1", Some("alpha!=0.15,>=0.2")),
            ("alpha>=0.1,==0.1.*", Some("alpha>=0.2")),
            ("alpha>=0.3", None),
            ("alpha>=0.2", None),
            ("alpha==0.2", None),
            ("alpha>0.2", None),
            ("alpha @ https://example.com/alpha-0.1.tar.gz", None),
        ];
        for (requirement, expected) in cases {
            assert_eq!(
                raise(requirement, "0.2").as_deref(),
                expected,
                "{requirement}"
            );
        }

        let text = "[project]\nname = \"x\"\ndependencies = [\n    \"alpha[x]>=0.1; python_version>'3.9'\",  # keep\n]\n";
        let mut project = parse(text);
        assert!(project.raise_lower_bound("Alpha", "0.2").unwrap());
        assert_eq!(
            project.render(),
            replaced(text, "alpha[x]>=0.1;", "alpha[x]>=0.2;")
        );
    }

    #[test]
    fn name_normalisation() {
        assert_eq!(normalize_name("Data_Loader"), "data-loader");
        assert_eq!(normalize_name("data-loader"), "data-loader");
        assert_eq!(normalize_name("Data__.-Loader"), "data-loader");
        assert_eq!(normalize_name("ruamel.yaml"), "ruamel-yaml");
        let project = parse(DYNAMIC);
        assert_eq!(
            project.name().map(normalize_name).as_deref(),
            Some("data-loader")
        );
    }

    // ---- sources and workspace --------------------------------------------------

    #[test]
    fn set_source_replaces_in_place() {
        let mut project = parse(RICH);
        let plugin = source(|s| {
            s.git = Some("https://github.com/example/mlflow-plugin".into());
            s.tag = Some("v1.3.0".into());
        });
        assert!(project.set_source("mlflow_plugin", &plugin));
        assert_eq!(
            project.render(),
            replaced(RICH, "tag = \"v1.2.0\" }", "tag = \"v1.3.0\" }")
        );
        assert!(!project.set_source("mlflow-plugin", &plugin), "unchanged");

        // Keeps the comment after the value.
        let mut project = parse(RICH);
        let pinned = source(|s| {
            s.git = Some("https://example.com/dl.git".into());
            s.rev = Some("abc123".into());
        });
        assert!(project.set_source("data-loader", &pinned));
        assert_eq!(
            project.render(),
            replaced(
                RICH,
                "data-loader = { workspace = true }   #",
                "data-loader = { git = \"https://example.com/dl.git\", rev = \"abc123\" }   #"
            )
        );
    }

    /// A git pin moving to another tag changes only the tag value: `subdirectory = "."` and
    /// every other key, the spacing, the quotes, comments and a standard table's layout stay.
    #[test]
    fn set_source_git_to_git_changes_only_the_pin() {
        let text = "[project]\nname = \"p\"\n\n[tool.uv.sources]\n\
            core = {git='file:///srv/core.git',tag='v0.1.2.dev3',subdirectory=\".\"} # pinned\n\
            data = { git = \"file:///srv/data.git\", branch = \"main\", marker = \"sys_platform == 'linux'\" }\n\
            \n[tool.uv.sources.io]\n# the io package\ngit = \"file:///srv/io.git\"\nsubdirectory = \".\"\ntag = \"0.0.1\"\n";
        let mut project = parse(text);
        let pin = |url: &str, tag: &str| {
            source(|s| {
                s.git = Some(url.into());
                s.tag = Some(tag.into());
            })
        };
        assert!(project.set_source("core", &pin("file:///srv/core.git", "0.1.2.dev4")));
        assert!(!project.set_source("core", &pin("file:///srv/core.git", "0.1.2.dev4")));
        assert!(project.set_source("data", &pin("file:///srv/data.git", "v1.0")));
        assert!(project.set_source("io", &pin("file:///srv/io.git", "0.0.2")));
        let expected = text
            .replace("tag='v0.1.2.dev3'", "tag='0.1.2.dev4'")
            .replace(
                "branch = \"main\", marker = \"sys_platform == 'linux'\" }",
                "marker = \"sys_platform == 'linux'\", tag = \"v1.0\" }",
            )
            .replace("tag = \"0.0.1\"", "tag = \"0.0.2\"");
        assert_eq!(project.render(), expected);
    }

    #[test]
    fn set_source_appends_new_entries_in_key_order() {
        let mut project = parse(RICH);
        let everything = Source {
            workspace: true,
            git: Some("g".into()),
            tag: Some("t".into()),
            branch: Some("b".into()),
            rev: Some("r".into()),
            subdirectory: Some("s".into()),
            path: Some("p".into()),
            index: Some("i".into()),
            editable: Some(false),
        };
        assert!(project.set_source("orbit-eval", &everything));
        assert_eq!(
            project.render(),
            replaced(
                RICH,
                "editable = true }\n",
                "editable = true }\norbit-eval = { git = \"g\", tag = \"t\", branch = \"b\", rev = \"r\", subdirectory = \"s\", path = \"p\", index = \"i\", editable = false, workspace = true }\n"
            )
        );
        assert_eq!(project.uv_sources().last().unwrap().1, everything);
    }

    #[test]
    fn set_source_creates_sources_table_after_existing_tool_uv() {
        let mut project = parse(STATIC);
        assert!(project.set_source("orbit-core", &source(|s| s.workspace = true)));
        assert_eq!(
            project.render(),
            format!("{STATIC}\n[tool.uv.sources]\norbit-core = {{ workspace = true }}\n")
        );
        // Reparses to the same thing.
        let reparsed = parse(&project.render());
        assert_eq!(reparsed.uv_sources(), project.uv_sources());

        // In the rich fixture without sources: after the last [tool.uv.*] table.
        let start = RICH.find("[tool.uv.sources]").unwrap();
        let end = RICH.find("[[tool.uv.index]]").unwrap();
        let text = format!("{}{}", &RICH[..start], &RICH[end..]);
        let mut project = parse(&text);
        assert!(project.uv_sources().is_empty());
        assert!(project.set_source("foo", &source(|s| s.workspace = true)));
        let anchor = "explicit = true   # only used via [tool.uv.sources]\n";
        assert_eq!(
            project.render(),
            replaced(
                &text,
                anchor,
                &format!("{anchor}\n[tool.uv.sources]\nfoo = {{ workspace = true }}\n")
            )
        );
    }

    #[test]
    fn set_source_creates_sources_table_at_end_without_tool() {
        let mut project = parse(NO_TOOL);
        assert!(project.set_source("orbit-core", &source(|s| s.workspace = true)));
        assert_eq!(
            project.render(),
            format!("{NO_TOOL}\n[tool.uv.sources]\norbit-core = {{ workspace = true }}\n")
        );

        // Also at the end when [project] subtables come after other tables.
        let text = "[project]\nname = \"x\"\n\n[build-system]\nbuild-backend = \"hatchling.build\"\n\n[project.urls]\nHome = \"h\"\n";
        let mut project = parse(text);
        assert!(project.set_source("a", &source(|s| s.workspace = true)));
        assert_eq!(
            project.render(),
            format!("{text}\n[tool.uv.sources]\na = {{ workspace = true }}\n")
        );
    }

    #[test]
    fn set_source_refuses_non_table_locations() {
        let text = "tool = 1\n";
        let mut project = parse(text);
        assert!(!project.set_source("a", &source(|s| s.workspace = true)));
        assert_eq!(project.render(), text);
    }

    #[test]
    fn remove_source() {
        let mut project = parse(RICH);
        assert!(project.remove_source("Local_Utils"));
        assert_eq!(
            project.render(),
            replaced(
                RICH,
                "local-utils = { path = \"vendor/local-utils\", editable = true }\n",
                ""
            )
        );
        assert!(!project.remove_source("local-utils"));
        assert!(!parse(NO_TOOL).remove_source("x"));
    }

    #[test]
    fn strip_workspace_sources() {
        let mut project = parse(RICH);
        assert_eq!(
            project.strip_workspace_sources(),
            ["orbit-core", "data-loader", "orbit-train"]
        );
        assert_eq!(
            project.render(),
            replaced(
                RICH,
                "orbit-core = { workspace = true }\ndata-loader = { workspace = true }   # renamed from data_loader\norbit-train = { workspace = true }\n",
                ""
            )
        );
        assert!(project.strip_workspace_sources().is_empty());

        // Sub-table form.
        let text = "[project]\nname = \"x\"\n\n[tool.uv.sources.a]\nworkspace = true\n\n[tool.uv.sources.b]\npath = \"../b\"\n";
        let mut project = parse(text);
        assert_eq!(project.strip_workspace_sources(), ["a"]);
        assert_eq!(
            project.render(),
            replaced(text, "\n[tool.uv.sources.a]\nworkspace = true\n", "")
        );
    }

    #[test]
    fn add_workspace_member() {
        let mut project = parse(RICH);
        assert!(project.add_workspace_member("tools/*"));
        assert_eq!(
            project.render(),
            replaced(
                RICH,
                "    \"services/*\",   # deployable services\n]",
                "    \"services/*\",   # deployable services\n    \"tools/*\",\n]"
            )
        );
        assert!(!project.add_workspace_member("packages/*"));

        let mut project = parse(NO_TOOL);
        assert!(project.add_workspace_member("packages/*"));
        assert_eq!(
            project.render(),
            format!("{NO_TOOL}\n[tool.uv.workspace]\nmembers = [\"packages/*\"]\n")
        );
        assert_eq!(
            project.workspace_members(),
            Some((vec!["packages/*".to_owned()], vec![]))
        );
    }

    #[test]
    fn remove_workspace_member() {
        let mut project = parse(RICH);
        assert!(project.add_workspace_member("libs/extra"));
        assert!(project.remove_workspace_member("./libs/extra/"));
        assert_eq!(project.render(), RICH);
        assert!(!project.remove_workspace_member("libs/extra"));
        assert!(!parse(NO_TOOL).remove_workspace_member("packages/*"));
    }

    // ---- hatch version files ----------------------------------------------------

    #[test]
    fn version_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("__about__.py");
        let text = "# SPDX header\n\"\"\"Docs.\"\"\"\nversionish = 1\n__version__ = \"0.1.0\"  # managed\nVERSION_INFO = (0, 1)\n";
        std::fs::write(&path, text).unwrap();
        assert_eq!(read_version_file(&path).unwrap(), "0.1.0");
        write_version_file(&path, "0.2.0").unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            replaced(text, "\"0.1.0\"", "\"0.2.0\"")
        );

        for (content, expected) in [
            ("VERSION = '1.2'\n", "1.2"),
            ("version='3.0.0'", "3.0.0"),
            ("__version__: str = \"4.0\"\n", "4.0"),
            ("__version__\t=\t'5.0.dev1'\n", "5.0.dev1"),
        ] {
            std::fs::write(&path, content).unwrap();
            assert_eq!(read_version_file(&path).unwrap(), expected, "{content}");
            write_version_file(&path, "9.9").unwrap();
            assert_eq!(
                std::fs::read_to_string(&path).unwrap(),
                content.replace(expected, "9.9")
            );
        }

        for content in [
            "",
            "    __version__ = '1'\n",
            "version == '1'\n",
            "__version__ = x\n",
        ] {
            std::fs::write(&path, content).unwrap();
            assert!(
                matches!(
                    read_version_file(&path),
                    Err(PyProjectError::VersionNotFound { .. })
                ),
                "{content:?}"
            );
        }
        std::fs::write(&path, "__version__ = '1'\n").unwrap();
        assert!(matches!(
            write_version_file(&path, "one"),
            Err(PyProjectError::InvalidVersion { .. })
        ));
        assert!(matches!(
            read_version_file(&dir.path().join("missing.py")),
            Err(PyProjectError::Read { .. })
        ));
    }
}
