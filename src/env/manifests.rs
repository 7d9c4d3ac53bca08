//! `manifests`: keep the staging and prod manifests in step with the dev manifest (docs/reference.md §1).
//!
//! Both get the dev manifest's `[project]` name, version and requires-python, its
//! non-workspace dependencies (verbatim), what the product needs to install
//! ([`PRODUCT_SETTINGS`] and the `[tool.uv.sources]` of its non-member dependencies, see
//! [`sync_product`]), and every workspace package the root needs (transitively) as a direct
//! dependency with a pinned source, spelled as the dev manifest spells it:
//!
//! - staging: `{ git = URL, tag = T }`, T the newest tag of any kind on the package's remote;
//! - prod: `{ git = URL, tag = T }`, T the newest final tag (neither pre- nor dev-release), or
//!   with `prod_source = "index"` the requirement `name==X.Y.Z` and no source.
//!
//! Tags are read from the remotes (`git ls-remote --tags`), URLs from `.gitmodules`. A package
//! without a suitable tag gets a warning and is left out: a pin is never invented. Everything
//! else in the manifests (comments, other sections) is preserved, and a setting already equal
//! in value to dev's keeps its formatting.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::Serialize;
use toml_edit::{ArrayOfTables, Item, Table, Value};

use crate::config::ProdSource;
use crate::core::parallel;
use crate::env::scaffold;
use crate::git::Git;
use crate::plan::Plan;
use crate::python::pyproject::{self, PyProject, Source};
use crate::python::version;
use crate::workspace::{Package, Workspace};

/// The pins of one package, as resolved from its remote.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct PinRow {
    pub name: String,
    pub url: Option<String>,
    pub staging_pin: Option<String>,
    pub prod_pin: Option<String>,
}

/// What `manifests` found and would write.
#[derive(Debug)]
pub struct ManifestsPlan {
    pub plan: Plan,
    pub rows: Vec<PinRow>,
    /// Packages left unpinned and why (each is a problem for `--check` and `check`).
    pub warnings: Vec<String>,
    pub staging_path: PathBuf,
    pub prod_path: PathBuf,
    /// Per manifest path: the product settings ([`PRODUCT_SETTINGS`], sources) that are not in
    /// step with dev, as `check` names them.
    pub drift: Vec<(PathBuf, Vec<String>)>,
}

/// What staging and prod take from the dev manifest as it is, besides the dependencies: the
/// settings the product needs to install (its extras, its package indexes, and uv's resolver
/// settings), as (keys, how messages name it).
pub const PRODUCT_SETTINGS: [(&[&str], &str); 5] = [
    (
        &["project", "optional-dependencies"],
        "[project.optional-dependencies]",
    ),
    (&["tool", "uv", "index"], "[[tool.uv.index]]"),
    (&["tool", "uv", "conflicts"], "[tool.uv] conflicts"),
    (&["tool", "uv", "environments"], "[tool.uv] environments"),
    (
        &["tool", "uv", "required-environments"],
        "[tool.uv] required-environments",
    ),
];

/// Workspace packages the root needs: its direct workspace dependencies and theirs,
/// transitively, in dependency order.
pub fn needed_packages<'a>(ws: &'a Workspace, root_deps: &[String]) -> Vec<&'a Package> {
    let mut needed: BTreeSet<String> = BTreeSet::new();
    let mut queue: Vec<String> = root_deps
        .iter()
        .filter(|d| ws.package(d).is_some())
        .cloned()
        .collect();
    while let Some(key) = queue.pop() {
        if let Some(pkg) = ws.package(&key)
            && needed.insert(pkg.key.clone())
        {
            queue.extend(pkg.workspace_deps.iter().cloned());
        }
    }
    let order: Vec<&Package> = match ws.topo_order() {
        Ok(order) => order.into_iter().map(|i| &ws.packages[i]).collect(),
        Err(_) => ws.packages.iter().collect(),
    };
    order
        .into_iter()
        .filter(|p| needed.contains(&p.key))
        .collect()
}

struct Resolved<'a> {
    pkg: &'a Package,
    url: Option<String>,
    staging: Option<String>,
    /// (tag, version) of the newest final tag.
    prod: Option<(String, String)>,
    error: Option<String>,
}

/// Build the plan that brings staging and prod in step with dev.
pub fn plan(ws: &Workspace, jobs: Option<usize>) -> Result<ManifestsPlan> {
    let dev_path = ws.root.join("pyproject.toml");
    let mut dev = PyProject::load(&dev_path)?;
    // Editable, so that what is copied from it carries its own text (comments, layout).
    dev.doc_mut();
    let keys: BTreeSet<&str> = ws.packages.iter().map(|p| p.key.as_str()).collect();
    let dev_deps = dev.dependencies();
    let dev_names = dev.dependency_names()?;
    let root_ws_deps: Vec<String> = dev_names
        .iter()
        .filter(|n| keys.contains(n.as_str()))
        .cloned()
        .collect();
    let third_party: Vec<(String, String)> = dev_deps
        .iter()
        .filter_map(|d| {
            let name = requirement_name(d)?;
            (!keys.contains(name.as_str())).then(|| (name, d.clone()))
        })
        .collect();
    // A package is written as the dev manifest spells it (PEP 503 finds it, in any spelling).
    let spelled: HashMap<String, String> = dev_deps
        .iter()
        .filter_map(|d| {
            let name = pyproject::requirement_spelling(d)?;
            Some((pyproject::normalize_name(name), name.to_owned()))
        })
        .collect();
    let spelling = |pkg: &Package| {
        spelled
            .get(&pkg.key)
            .cloned()
            .unwrap_or_else(|| pkg.name.clone())
    };
    let needed = needed_packages(ws, &root_ws_deps);
    let resolved: Vec<Resolved<'_>> =
        parallel::map(&needed, ws.config.effective_jobs(jobs), |pkg| {
            resolve(ws, pkg)
        });

    let mut warnings = Vec::new();
    let mut rows = Vec::new();
    for r in &resolved {
        if let Some(e) = &r.error {
            warnings.push(format!("{}: {e}; not pinned", r.pkg.name));
        } else {
            if r.staging.is_none() {
                warnings.push(format!(
                    "{}: no tag on its remote yet; not pinned in staging",
                    r.pkg.name
                ));
            }
            if r.prod.is_none() {
                warnings.push(format!(
                    "{}: no final release tag on its remote yet; not pinned in prod",
                    r.pkg.name
                ));
            }
        }
        let prod_pin = r.prod.as_ref().map(|(tag, v)| match ws.config.prod_source {
            ProdSource::Git => tag.clone(),
            ProdSource::Index => format!("=={v}"),
        });
        rows.push(PinRow {
            name: r.pkg.name.clone(),
            url: r.url.clone(),
            staging_pin: r.staging.clone(),
            prod_pin,
        });
    }

    let staging_path = ws.path(&ws.config.staging_pyproject_path);
    let prod_path = ws.path(&ws.config.prod_pyproject_path);
    let mut plan = Plan::new(&ws.root);
    let mut drift = Vec::new();
    for (path, rel, prod) in [
        (&staging_path, &ws.config.staging_pyproject_path, false),
        (&prod_path, &ws.config.prod_pyproject_path, true),
    ] {
        let mut doc = load_or_new(path, &dev, prod)?;
        for key in ["name", "version", "requires-python"] {
            if let Some(value) = project_string(&dev, key) {
                doc.set_project_field(key, &value);
            }
        }
        let drifted = sync_product(&mut doc, &dev, &keys, path_prefix(rel).as_deref());
        if !drifted.is_empty() {
            drift.push((path.clone(), drifted));
        }
        let mut desired: Vec<(String, String)> = third_party.clone();
        let private = ws
            .config
            .prod_index
            .as_ref()
            .filter(|_| ws.config.prod_source == ProdSource::Index);
        for r in &resolved {
            let name = spelling(r.pkg);
            let pin: Option<(String, Source)> = if prod {
                match (&r.prod, ws.config.prod_source, &r.url) {
                    (Some((tag, _)), ProdSource::Git, Some(url)) => Some((
                        name.clone(),
                        Source {
                            git: Some(url.clone()),
                            tag: Some(tag.clone()),
                            subdirectory: r.pkg.path_filter().map(str::to_owned),
                            ..Source::default()
                        },
                    )),
                    (Some((_, v)), ProdSource::Index, _) => {
                        desired.push((r.pkg.key.clone(), format!("{name}=={v}")));
                        // Pinned to the private index: never a public package of the name.
                        private.map(|index| {
                            (
                                name.clone(),
                                Source {
                                    index: Some(index.name.clone()),
                                    ..Source::default()
                                },
                            )
                        })
                    }
                    _ => None,
                }
            } else {
                match (&r.staging, &r.url) {
                    (Some(tag), Some(url)) => Some((
                        name.clone(),
                        Source {
                            git: Some(url.clone()),
                            tag: Some(tag.clone()),
                            subdirectory: r.pkg.path_filter().map(str::to_owned),
                            ..Source::default()
                        },
                    )),
                    _ => None,
                }
            };
            if let Some((name, source)) = pin {
                if source.index.is_none() {
                    desired.push((r.pkg.key.clone(), name.clone()));
                }
                doc.set_source(&name, &source);
            } else if !(prod
                && ws.config.prod_source == ProdSource::Index
                && has_index_source(&doc, &r.pkg.key))
            {
                // Index pins keep a user's `{ index = "..." }` source (a private index);
                // anything else without a pin (a git pin to drop, a workspace source) goes.
                doc.remove_source(&name);
            }
        }
        // Workspace packages the root no longer needs lose their pins too.
        for pkg in &ws.packages {
            if !resolved.iter().any(|r| r.pkg.key == pkg.key) {
                doc.remove_source(&pkg.name);
            }
        }
        if prod && let Some(index) = private {
            set_private_index(&mut doc, index);
        }
        sync_dependencies(&mut doc, &desired)?;
        plan.write(None, path, doc.render());
    }
    Ok(ManifestsPlan {
        plan,
        rows,
        warnings,
        staging_path,
        prod_path,
        drift,
    })
}

/// Bring the product settings of a staging or prod manifest `doc` in step with `dev`; returns
/// the settings that changed, named for `check`. Where dev says something, dev wins; what only
/// the manifest has (a private index, a source of its own) stays:
///
/// - `[project.optional-dependencies]`, `conflicts`, `environments` and
///   `required-environments` are made equal in value to dev's (absent when dev has none),
///   except that `conflicts` sets naming a `group` stay out (dependency groups are dev's);
/// - every `[[tool.uv.index]]` of dev (matched by `name`, else `url`) is made equal to dev's,
///   added at the end when missing; the manifest's other indexes stay;
/// - every `[tool.uv.sources]` entry dev has for a non-member dependency of the product (in
///   `dependencies` or an extra) is copied, relative `path`s rebased by `prefix`. Member
///   sources are left to the pins, and dev-only things (`[dependency-groups]` and their
///   sources, `workspace = true` sources, `[tool.uv.workspace]`) stay out.
pub fn sync_product(
    doc: &mut PyProject,
    dev: &PyProject,
    members: &BTreeSet<&str>,
    prefix: Option<&str>,
) -> Vec<String> {
    let mut drift = Vec::new();
    for (keys, label) in PRODUCT_SETTINGS {
        let changed = match keys {
            ["tool", "uv", "index"] => dev.item(keys).is_some_and(|d| merge_indexes(doc, d)),
            ["tool", "uv", "conflicts"] => {
                doc.set_item(keys, dev.item(keys).and_then(product_conflicts).as_ref())
            }
            _ => doc.set_item(keys, dev.item(keys)),
        };
        if changed {
            drift.push(label.to_owned());
        }
    }

    let mut product: BTreeSet<String> = dev
        .dependencies()
        .iter()
        .filter_map(|d| requirement_name(d))
        .collect();
    if let Some(extras) = dev
        .item(&["project", "optional-dependencies"])
        .and_then(Item::as_table_like)
    {
        for (_, list) in extras.iter() {
            let names = list.as_array().into_iter().flatten();
            product.extend(names.filter_map(|v| requirement_name(v.as_str()?)));
        }
    }
    let dev_workspace: BTreeSet<String> = dev
        .uv_sources()
        .into_iter()
        .filter(|(_, s)| s.workspace)
        .map(|(k, _)| pyproject::normalize_name(&k))
        .collect();
    let wanted: Vec<(String, Item)> = dev
        .uv_source_items()
        .into_iter()
        .filter(|(key, _)| {
            let key = pyproject::normalize_name(key);
            product.contains(&key)
                && !members.contains(key.as_str())
                && !dev_workspace.contains(&key)
        })
        .map(|(key, item)| {
            let mut item = item.clone();
            if let Some(prefix) = prefix {
                pyproject::rebase_source_paths(&mut item, prefix);
            }
            (key.to_owned(), item)
        })
        .collect();
    for (key, item) in wanted {
        if doc.set_source_item(&key, Some(&item)) {
            drift.push(format!("[tool.uv.sources] {key}"));
        }
    }
    drift
}

/// Dev's `conflicts` without the sets that name a dependency group (`None` when none is left).
fn product_conflicts(item: &Item) -> Option<Item> {
    let Some(sets) = item.as_array() else {
        return Some(item.clone());
    };
    let names_group = |set: &Value| {
        set.as_array().is_some_and(|set| {
            set.iter()
                .any(|v| v.as_inline_table().is_some_and(|t| t.contains_key("group")))
        })
    };
    if !sets.iter().any(names_group) {
        return Some(item.clone());
    }
    let mut kept = sets.clone();
    kept.retain(|set| !names_group(set));
    (!kept.is_empty()).then(|| Item::Value(Value::Array(kept)))
}

/// How an index is matched between manifests: its `name`, else its `url`.
fn index_id(table: &Table) -> Option<String> {
    table
        .get("name")
        .or_else(|| table.get("url"))
        .and_then(Item::as_str)
        .map(str::to_owned)
}

/// Make every index of dev's `[[tool.uv.index]]` (`dev_item`) equal in `doc`, in place (an
/// index's comments and place are kept) or added at the end; returns whether `doc` changed.
fn merge_indexes(doc: &mut PyProject, dev_item: &Item) -> bool {
    const KEYS: [&str; 3] = ["tool", "uv", "index"];
    let dev_tables = index_tables(dev_item);
    let Some(current) = doc.item(&KEYS) else {
        return doc.set_item(&KEYS, Some(dev_item));
    };
    let current_tables = index_tables(current);
    let find = |tables: &[Table], id: &Option<String>| {
        tables
            .iter()
            .position(|t| id.is_some() && index_id(t) == *id)
    };
    let stale = dev_tables.iter().any(|t| {
        find(&current_tables, &index_id(t)).is_none_or(|i| {
            !pyproject::same_value(
                &Item::Table(current_tables[i].clone()),
                &Item::Table(t.clone()),
            )
        })
    });
    if !stale {
        return false;
    }
    if let Some(tables) = doc
        .doc_mut()
        .get_mut("tool")
        .and_then(|t| t.get_mut("uv"))
        .and_then(|t| t.get_mut("index"))
        .and_then(Item::as_array_of_tables_mut)
    {
        for mut table in dev_tables {
            table.set_position(None);
            let id = index_id(&table);
            let at = tables
                .iter()
                .position(|t| id.is_some() && index_id(t) == id);
            match at.and_then(|i| tables.get_mut(i)) {
                Some(existing) => {
                    let decor = existing.decor().clone();
                    let position = existing.position();
                    *existing = table;
                    *existing.decor_mut() = decor;
                    existing.set_position(position);
                }
                None => tables.push(table),
            }
        }
        return true;
    }
    // Written inline (`index = [{ ... }]`): the merged list, as tables.
    let mut merged = current_tables;
    for table in dev_tables {
        match find(&merged, &index_id(&table)) {
            Some(i) => merged[i] = table,
            None => merged.push(table),
        }
    }
    let mut tables = ArrayOfTables::new();
    for table in merged {
        tables.push(table);
    }
    doc.set_item(&KEYS, Some(&Item::ArrayOfTables(tables)))
}

/// The tables of an index list, written `[[tool.uv.index]]` or `index = [{ ... }]`.
fn index_tables(item: &Item) -> Vec<Table> {
    match item {
        Item::ArrayOfTables(tables) => tables.iter().cloned().collect(),
        Item::Value(Value::Array(array)) => array
            .iter()
            .filter_map(Value::as_inline_table)
            .map(|t| t.clone().into_table())
            .collect(),
        _ => Vec::new(),
    }
}

/// What a relative path in the root becomes in the directory of the manifest at `rel`
/// (`staging/pyproject.toml` → `../`); `None` when that directory is not below the root.
pub fn path_prefix(rel: &str) -> Option<String> {
    let mut prefix = String::new();
    for component in Path::new(rel).parent()?.components() {
        match component {
            std::path::Component::Normal(_) => prefix.push_str("../"),
            std::path::Component::CurDir => {}
            _ => return None,
        }
    }
    Some(prefix)
}

fn resolve<'a>(ws: &Workspace, pkg: &'a Package) -> Resolved<'a> {
    let mut r = Resolved {
        pkg,
        url: crate::workspace::package_pin_url(ws, pkg),
        staging: None,
        prod: None,
        error: None,
    };
    let Some(url) = r.url.clone() else {
        r.error = Some(format!(
            "no remote URL (not a submodule, and no remote `{}`)",
            ws.config.git_remote
        ));
        return r;
    };
    let prefix = &ws.tag_prefix(pkg);
    let dir = if pkg.dir.join(".git").exists() {
        pkg.dir.as_path()
    } else {
        ws.root.as_path()
    };
    // Tags are listed from the URL as git has it (an scp-like URL keeps the user's
    // `insteadOf` rewrites); the pin is the form uv reads.
    let listed = crate::workspace::package_url(ws, pkg).unwrap_or_else(|| url.clone());
    match Git::new(dir).remote_tags(&listed, prefix) {
        Ok(tags) => {
            let names = || tags.iter().map(|t| t.name.as_str());
            version::note_ignored_tags(&pkg.name, names(), prefix);
            r.staging = version::newest_tag(names(), prefix, false).map(|(t, _)| t);
            r.prod = version::newest_tag(names(), prefix, true).map(|(t, v)| (t, v.to_string()));
        }
        Err(e) => r.error = Some(format!("cannot list the tags of {url}: {e}")),
    }
    r
}

/// The private index (`prod_index`) in the prod manifest: a `[[tool.uv.index]]` of that name
/// with its URL and `explicit = true` (only the packages whose source names it come from it),
/// updated in place or added at the end.
fn set_private_index(doc: &mut PyProject, index: &crate::config::ProdIndex) {
    let mut table = Table::new();
    table.insert("name", toml_edit::value(index.name.as_str()));
    table.insert("url", toml_edit::value(index.url.as_str()));
    table.insert("explicit", toml_edit::value(true));
    let mut tables = ArrayOfTables::new();
    tables.push(table);
    merge_indexes(doc, &Item::ArrayOfTables(tables));
}

fn has_index_source(doc: &PyProject, key: &str) -> bool {
    doc.uv_sources()
        .iter()
        .any(|(n, s)| pyproject::normalize_name(n) == key && s.index.is_some() && s.git.is_none())
}

fn project_string(doc: &PyProject, key: &str) -> Option<String> {
    doc.doc()
        .get("project")?
        .get(key)?
        .as_str()
        .map(str::to_owned)
}

/// The normalised name of a PEP 508 requirement string.
fn requirement_name(requirement: &str) -> Option<String> {
    let end = requirement
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(requirement.len());
    let name = requirement[..end].trim();
    (!name.is_empty()).then(|| pyproject::normalize_name(name))
}

/// Make `[project].dependencies` exactly `desired` (normalised name → requirement), editing
/// in place so unchanged entries keep their comments and position.
fn sync_dependencies(doc: &mut PyProject, desired: &[(String, String)]) -> Result<()> {
    for existing in doc.dependencies() {
        if let Some(name) = requirement_name(&existing)
            && !desired.iter().any(|(k, _)| *k == name)
        {
            doc.remove_dependency(&name);
        }
    }
    let present: BTreeSet<String> = doc
        .dependencies()
        .iter()
        .filter_map(|d| requirement_name(d))
        .collect();
    for (key, requirement) in desired {
        if present.contains(key) {
            // The same requirement with the name spelled otherwise is left as written.
            let same = doc.dependencies().iter().any(|existing| {
                requirement_name(existing).as_deref() == Some(key.as_str())
                    && unspelled(existing) == unspelled(requirement)
            });
            if !same {
                doc.replace_dependency(key, requirement);
            }
        } else {
            doc.add_dependency(requirement)?;
        }
    }
    Ok(())
}

/// A requirement with its name normalised and spaces dropped, for comparisons.
fn unspelled(requirement: &str) -> String {
    let name = pyproject::requirement_spelling(requirement).unwrap_or("");
    let rest = requirement.trim_start()[name.len()..].replace(' ', "");
    format!("{}{rest}", pyproject::normalize_name(name))
}

fn load_or_new(path: &Path, dev: &PyProject, prod: bool) -> Result<PyProject> {
    if path.is_file() {
        return Ok(PyProject::load(path)?);
    }
    let name = dev.name().unwrap_or("product");
    let requires_python = dev
        .requires_python()
        .unwrap_or(scaffold::DEFAULT_REQUIRES_PYTHON);
    let text = scaffold::manifest(
        if prod {
            scaffold::PROD_HEADER
        } else {
            scaffold::STAGING_HEADER
        },
        name,
        requires_python,
        false,
    );
    Ok(PyProject::parse(path, &text)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::resolve_relative_url;

    #[test]
    fn relative_urls_resolve_like_git() {
        assert_eq!(
            resolve_relative_url("https://h/org/root.git", "../a.git"),
            "https://h/org/a.git"
        );
        assert_eq!(
            resolve_relative_url("git@h:org/root", "../a.git"),
            "git@h:org/a.git"
        );
        assert_eq!(
            resolve_relative_url("file:///srv/root.git/", "./a.git"),
            "file:///srv/root.git/a.git"
        );
        assert_eq!(
            resolve_relative_url("https://h/org/root", "../../x/a"),
            "https://h/x/a"
        );
    }

    #[test]
    fn requirement_names() {
        assert_eq!(
            requirement_name("Core_Utils>=0.1; python_version>'3'").as_deref(),
            Some("core-utils")
        );
        assert_eq!(requirement_name("numpy").as_deref(), Some("numpy"));
        assert_eq!(
            requirement_name("torch[cuda] ==2.1").as_deref(),
            Some("torch")
        );
        assert_eq!(requirement_name(""), None);
    }

    fn product(dev: &str, manifest: &str, members: &[&str]) -> (String, Vec<String>) {
        let mut dev = PyProject::parse(Path::new("pyproject.toml"), dev).unwrap();
        dev.doc_mut();
        let mut doc = PyProject::parse(Path::new("prod/pyproject.toml"), manifest).unwrap();
        let members: BTreeSet<&str> = members.iter().copied().collect();
        let drift = sync_product(&mut doc, &dev, &members, Some("../"));
        (doc.render(), drift)
    }

    const DEV: &str = "[project]\nname = \"p\"\ndependencies = [\"core\", \"vendored\"]\n\n\
        [project.optional-dependencies]\ncu124 = [\"torch\"]\n\n\
        [dependency-groups]\ndev = [\"pytest\"]\n\n\
        [tool.uv]\nconflicts = [[{ extra = \"cu124\" }, { group = \"dev\" }]]\n\n\
        [tool.uv.sources]\ncore = { workspace = true }\nvendored = { path = \"vendor/v\" }\n\
        torch = [{ index = \"cu124\", extra = \"cu124\" }]\npytest = { path = \"tools/pytest\" }\n\n\
        [[tool.uv.index]]\nname = \"cu124\"\nurl = \"https://x/cu124\"\nexplicit = true\n";

    #[test]
    fn product_settings_follow_dev_and_dev_only_things_stay_out() {
        let manifest = "[project]\nname = \"p\"\ndependencies = []\n\n[tool.uv]\npackage = false\n\n\
            [tool.uv.sources]\ncore = { git = \"u\", tag = \"v1\" }\n\n\
            # ours\n[[tool.uv.index]]\nname = \"private\"\nurl = \"https://p\"\n";
        let (out, drift) = product(DEV, manifest, &["core"]);
        assert_eq!(
            drift,
            [
                "[project.optional-dependencies]",
                "[[tool.uv.index]]",
                "[tool.uv.sources] vendored",
                "[tool.uv.sources] torch"
            ]
        );
        assert!(out.contains("cu124 = [\"torch\"]"), "{out}");
        // The only conflict set names a group: none is left.
        assert!(!out.contains("conflicts"), "{out}");
        assert!(
            !out.contains("pytest") && !out.contains("dependency-groups"),
            "{out}"
        );
        assert!(
            out.contains("vendored = { path = \"../vendor/v\" }"),
            "{out}"
        );
        assert!(
            out.contains("core = { git = \"u\", tag = \"v1\" }"),
            "{out}"
        );
        assert!(!out.contains("workspace"), "{out}");
        // The manifest's own index stays, with its comment; dev's comes after it.
        let own = out
            .find("# ours\n[[tool.uv.index]]\nname = \"private\"")
            .unwrap();
        let dev = out.find("name = \"cu124\"").unwrap();
        assert!(own < dev, "{out}");
        // In step: nothing more to do, and the text stays byte for byte.
        let (again, drift) = product(DEV, &out, &["core"]);
        assert!(drift.is_empty(), "{drift:?}");
        assert_eq!(again, out);
    }

    #[test]
    fn a_changed_index_is_updated_in_place_and_equal_values_keep_their_formatting() {
        let manifest = "[project]\nname = \"p\"\n\n[project.optional-dependencies]\n\
            cu124 = [ \"torch\" ]  # spaced\n\n\
            # the CUDA index\n[[tool.uv.index]]\nname = \"cu124\"\nurl = \"https://old\"\n\n\
            [tool.uv.sources]\ntorch = [{ index = \"cu124\", extra = \"cu124\" }]\n\
            vendored = { path = \"../vendor/v\" }\n";
        let (out, drift) = product(DEV, manifest, &["core"]);
        assert_eq!(drift, ["[[tool.uv.index]]"]);
        assert!(out.contains("cu124 = [ \"torch\" ]  # spaced"), "{out}");
        assert!(
            out.contains("# the CUDA index\n[[tool.uv.index]]\nname = \"cu124\"\nurl = \"https://x/cu124\"\nexplicit = true\n"),
            "{out}"
        );
        assert_eq!(out.matches("[[tool.uv.index]]").count(), 1, "{out}");
    }

    #[test]
    fn a_requirement_spelled_otherwise_is_the_same() {
        assert_eq!(unspelled("Model_Qwen2.5-VL"), unspelled("model-qwen2-5-vl"));
        assert_eq!(unspelled("A_b >= 1"), unspelled("a-b>=1"));
        assert_ne!(unspelled("a-b>=1"), unspelled("a-b>=2"));
        assert_eq!(
            path_prefix("staging/pyproject.toml").as_deref(),
            Some("../")
        );
        assert_eq!(
            path_prefix("env/prod/pyproject.toml").as_deref(),
            Some("../../")
        );
        assert_eq!(path_prefix("pyproject.toml").as_deref(), Some(""));
        assert_eq!(path_prefix("../prod/pyproject.toml"), None);
    }

    #[test]
    fn dependencies_are_synced_in_place() {
        let text = "[project]\nname = \"p\"\ndependencies = [\n    \"numpy>=1\",  # keep me\n    \"old-pkg\",\n    \"core-utils>=0.1\",\n]\n";
        let mut doc = PyProject::parse(Path::new("x.toml"), text).unwrap();
        sync_dependencies(
            &mut doc,
            &[
                ("numpy".to_owned(), "numpy>=1".to_owned()),
                ("core-utils".to_owned(), "core-utils".to_owned()),
                ("data-loader".to_owned(), "data-loader".to_owned()),
            ],
        )
        .unwrap();
        let out = doc.render();
        assert!(out.contains("\"numpy>=1\",  # keep me\n"), "{out}");
        assert!(!out.contains("old-pkg"), "{out}");
        assert!(out.contains("\"core-utils\",\n"), "{out}");
        assert!(out.contains("\"data-loader\",\n"), "{out}");
    }
}
