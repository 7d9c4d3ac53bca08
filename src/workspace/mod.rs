//! The workspace model: the root, its configuration, its packages and how they depend on each
//! other (docs/reference.md §1).
//!
//! Loading never stops at the first broken package: a package whose `pyproject.toml` cannot be
//! read is kept with its problem, so `status` can show every other package. Commands that need a
//! sound workspace call [`Workspace::require_sound`].

pub mod status;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde::Serialize;

use crate::config::{self, Config, ConfigSource, LoadedConfig};
use crate::core::error::UserError;
use crate::git::Git;
use crate::python::pyproject::{self, PyProject, VersionSource};
use crate::python::version::{self, Version};

/// Severity of a problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Warning,
    Error,
}

/// Something wrong with a package, shown by `status` and `check`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub level: Level,
    pub message: String,
}

impl Problem {
    pub fn error(message: impl Into<String>) -> Self {
        Self {
            level: Level::Error,
            message: message.into(),
        }
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Self {
            level: Level::Warning,
            message: message.into(),
        }
    }
}

/// A `[submodule]` entry of `.gitmodules`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Submodule {
    pub name: String,
    pub path: String,
    pub url: Option<String>,
    pub branch: Option<String>,
}

/// What is known of a package's `pyproject.toml`.
#[derive(Clone, Debug)]
pub struct PackageMeta {
    /// `[project] name` as written.
    pub name: String,
    /// The version string as written (static or from the hatch version file).
    pub version: Option<String>,
    /// Parsed version, when valid.
    pub parsed_version: Option<Version>,
    /// Normalised names of all `[project].dependencies`.
    pub dependencies: Vec<String>,
    /// Names with a `{ workspace = true }` source in the package's own pyproject.
    pub workspace_sources: Vec<String>,
    /// Normalised names of its direct git references at a ref (`name @ git+URL@REF`, in
    /// dependencies, extras or dependency groups): what a release of such a member repoints.
    pub git_references: Vec<String>,
    pub hatchling: bool,
    /// `[build-system] build-backend = "uv_build"`.
    pub uv_build: bool,
}

/// One package of the workspace.
#[derive(Clone, Debug)]
pub struct Package {
    /// `[project] name`, or the directory name when the name cannot be read.
    pub name: String,
    /// PEP 503 normalised name: the key used for dependencies and sorting.
    pub key: String,
    /// Absolute directory.
    pub dir: PathBuf,
    /// Directory relative to the root, with `/` separators.
    pub rel_path: String,
    pub meta: Option<PackageMeta>,
    pub submodule: Option<Submodule>,
    /// Where its git lives: its own repository (a submodule, or a directory with its own
    /// `.git`), or the root repository (an in-tree package: a plain directory of the root).
    pub home: GitHome,
    /// Normalised names of the workspace packages this one depends on.
    pub workspace_deps: Vec<String>,
    pub problems: Vec<Problem>,
    /// The detected base branch, once asked for ([`Workspace::base_branch`]).
    pub detected_base: std::sync::OnceLock<String>,
}

/// Where a package's git lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GitHome {
    /// Its own repository at its directory (a submodule, or its own clone).
    Own,
    /// The root repository: an in-tree package, whose commits are the root's commits that
    /// touch its directory and whose tags (`tag_template`) live in the root.
    Root,
}

impl Package {
    /// Whether it is an in-tree package (its git is the root repository's).
    pub fn in_tree(&self) -> bool {
        self.home == GitHome::Root
    }

    /// The directory of the repository its commits and tags live in: the root for an
    /// in-tree package, its own directory otherwise.
    pub fn repo_dir<'a>(&'a self, root: &'a Path) -> &'a Path {
        if self.in_tree() { root } else { &self.dir }
    }

    /// Its repository relative to the root, for a `git -C` a message tells the user to run:
    /// `.` (the root) for an in-tree package, its directory otherwise.
    pub fn repo_rel(&self) -> &str {
        if self.in_tree() { "." } else { &self.rel_path }
    }

    /// The path its commits are limited to in its repository (`git log -- <path>`): its
    /// directory for an in-tree package, `None` (the whole repository) otherwise.
    pub fn path_filter(&self) -> Option<&str> {
        self.in_tree().then_some(self.rel_path.as_str())
    }

    /// The version as written, if known.
    pub fn version(&self) -> Option<&str> {
        self.meta.as_ref().and_then(|m| m.version.as_deref())
    }

    /// Whether it is a submodule that is not initialised (no repository, no `pyproject.toml`).
    pub fn is_uninitialized(&self) -> bool {
        self.submodule.is_some()
            && !self.dir.join(".git").exists()
            && !self.dir.join("pyproject.toml").exists()
    }

    /// Whether any problem is an error.
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| p.level == Level::Error)
    }
}

/// A selected package a command leaves out, and why (shown as a note or a warning, not an
/// error): the one type of `changes`, `commit`, the release stages, `publish` and `foreach`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub package: String,
    /// Its path relative to the root.
    pub path: String,
    pub reason: String,
}

impl Skipped {
    pub fn new(pkg: &Package, reason: impl Into<String>) -> Self {
        Self {
            package: pkg.name.clone(),
            path: pkg.rel_path.clone(),
            reason: reason.into(),
        }
    }
}

/// The loaded workspace.
#[derive(Clone, Debug)]
pub struct Workspace {
    pub root: PathBuf,
    pub config: Config,
    pub config_source: ConfigSource,
    pub warnings: Vec<String>,
    pub submodules: Vec<Submodule>,
    /// Sorted by normalised name.
    pub packages: Vec<Package>,
}

/// The files that mark a workspace root.
fn is_root(dir: &Path) -> bool {
    if dir.join(config::CONFIG_FILE).is_file() {
        return true;
    }
    let pyproject = dir.join("pyproject.toml");
    let Ok(text) = fs_err::read_to_string(&pyproject) else {
        return false;
    };
    // A malformed root pyproject still marks the root: loading reports the error with its
    // position instead of silently walking past it.
    match toml_edit::Document::parse(text.as_str()) {
        Ok(doc) => doc.get("tool").is_some_and(|t| {
            t.get("release_tool").is_some()
                || t.get("uv").and_then(|u| u.get("workspace")).is_some()
        }),
        Err(_) => text.contains("[tool.release_tool") || text.contains("[tool.uv.workspace"),
    }
}

/// Find the workspace root: `start` itself or the nearest parent that is one.
pub fn find_root(start: &Path) -> Result<PathBuf> {
    let start = std::path::absolute(start).unwrap_or_else(|_| start.to_path_buf());
    if !start.is_dir() {
        return Err(
            UserError::usage(format!("Directory {} does not exist", start.display()))
                .with_hint("pass an existing workspace root with -C DIR")
                .into(),
        );
    }
    for dir in start.ancestors() {
        if is_root(dir) {
            return Ok(dir.to_path_buf());
        }
    }
    Err(UserError::usage(format!(
        "Not a release-tool workspace: no release_tool.toml, and no pyproject.toml with \
         [tool.release_tool] or [tool.uv.workspace], in {} or any parent directory",
        start.display()
    ))
    .with_hint("run `release-tool init` to create one, or pass the workspace root with -C DIR")
    .into())
}

impl Workspace {
    /// `path` relative to the root, for output (`/`-separated; see [`crate::core::fsutil::rel`]).
    pub fn rel(&self, path: &Path) -> String {
        crate::core::fsutil::rel(&self.root, path)
    }

    /// Print the warnings from loading the workspace on stderr.
    pub fn print_warnings(&self) {
        for w in &self.warnings {
            crate::core::ui::warn(w);
        }
    }

    /// Find the root from `start` and load the workspace.
    pub fn discover(start: &Path) -> Result<Self> {
        let root = find_root(start)?;
        Self::load(&root)
    }

    /// Find the root from `start` and load its configuration only: no package and no
    /// submodule is read (`packages` and `submodules` are empty). For commands that need
    /// nothing else (`lock`, `sync dev`), so that they add next to nothing to the uv they run.
    pub fn discover_config_only(start: &Path) -> Result<Self> {
        let root = find_root(start)?;
        let LoadedConfig {
            config,
            source,
            warnings,
        } = config::load(&root)?;
        crate::git::configure_time_limit(config.git_timeout);
        Ok(Self {
            root,
            config,
            config_source: source,
            warnings,
            submodules: Vec::new(),
            packages: Vec::new(),
        })
    }

    /// Load the workspace at `root`.
    pub fn load(root: &Path) -> Result<Self> {
        Ok(Self::load_alongside(root, |_| ())?.0)
    }

    /// [`Workspace::load`], running `side` on another thread while the packages' files are
    /// read: it gets the members that will be in-tree packages (their paths relative to the
    /// root), so that the root's own look (`status`'s one `git status` of the root) overlaps
    /// the reading of a thousand `pyproject.toml` files instead of following it.
    pub fn load_alongside<T: Send>(
        root: &Path,
        side: impl FnOnce(&[&str]) -> T + Send,
    ) -> Result<(Self, T)> {
        let LoadedConfig {
            config,
            source,
            warnings,
        } = config::load(root)?;
        crate::git::configure_time_limit(config.git_timeout);
        let submodules = read_gitmodules(root)?;
        let dirs = package_dirs(root, &config, &submodules)?;
        let by_path: BTreeMap<&str, &Submodule> =
            submodules.iter().map(|s| (s.path.as_str(), s)).collect();
        // A member that is a plain directory of the root repository (no submodule, no `.git`
        // of its own) is an in-tree package.
        let in_tree: BTreeSet<&str> = if root.join(".git").exists() {
            dirs.iter()
                .map(String::as_str)
                .filter(|rel| !by_path.contains_key(rel) && !root.join(rel).join(".git").exists())
                .collect()
        } else {
            BTreeSet::new()
        };
        // Reading and parsing a thousand pyproject files is most of a large workspace's load.
        let (mut packages, beside) = std::thread::scope(|s| {
            let in_tree: Vec<&str> = in_tree.iter().copied().collect();
            let beside = s.spawn(move || side(&in_tree));
            let packages: Vec<Package> =
                crate::core::parallel::map(&dirs, config.effective_jobs(None), |rel| {
                    load_package(root, rel, by_path.get(rel.as_str()).copied())
                });
            let beside = crate::core::parallel::joined(beside);
            (packages, beside)
        });
        for pkg in &mut packages {
            if in_tree.contains(pkg.rel_path.as_str()) {
                pkg.home = GitHome::Root;
            }
        }
        packages.sort_by(|a, b| a.key.cmp(&b.key).then(a.rel_path.cmp(&b.rel_path)));
        let mut ws = Self {
            root: root.to_path_buf(),
            config,
            config_source: source,
            warnings,
            submodules,
            packages,
        };
        ws.link_dependencies();
        Ok((ws, beside))
    }

    /// Record workspace dependencies, duplicate names and cycles as package problems.
    fn link_dependencies(&mut self) {
        let mut count: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for p in &self.packages {
            count
                .entry(p.key.clone())
                .or_default()
                .push(p.rel_path.clone());
        }
        let keys: BTreeSet<String> = count.keys().cloned().collect();
        for p in &mut self.packages {
            if let Some(paths) = count.get(&p.key).filter(|v| v.len() > 1) {
                p.problems.push(Problem::error(format!(
                    "duplicate package name `{}` in {}",
                    p.name,
                    paths.join(" and ")
                )));
            }
            if let Some(meta) = &p.meta {
                p.workspace_deps = meta
                    .dependencies
                    .iter()
                    .filter(|d| keys.contains(*d) && **d != p.key)
                    .cloned()
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
            }
        }
        // With duplicate names the graph is ambiguous: report the duplicates only.
        let has_duplicates = count.values().any(|v| v.len() > 1);
        if !has_duplicates && let Err(cycle) = self.topo_order() {
            for p in &mut self.packages {
                if cycle.contains(&p.key) {
                    p.problems.push(Problem::error(format!(
                        "dependency cycle: {}",
                        cycle.join(" → ")
                    )));
                }
            }
        }
    }

    /// Packages in dependency order (dependencies first, ties by name). On a cycle, returns the
    /// cycle as a list of names that starts and ends with the same package.
    pub fn topo_order(&self) -> std::result::Result<Vec<usize>, Vec<String>> {
        fn visit(
            i: usize,
            ws: &Workspace,
            index: &BTreeMap<&str, usize>,
            state: &mut [u8],
            stack: &mut Vec<usize>,
            order: &mut Vec<usize>,
        ) -> std::result::Result<(), Vec<String>> {
            match state[i] {
                2 => return Ok(()),
                1 => {
                    let start = stack.iter().position(|&s| s == i).unwrap_or(0);
                    let mut cycle: Vec<String> = stack[start..]
                        .iter()
                        .map(|&s| ws.packages[s].name.clone())
                        .collect();
                    cycle.push(ws.packages[i].name.clone());
                    return Err(cycle);
                }
                _ => {}
            }
            state[i] = 1;
            stack.push(i);
            for dep in &ws.packages[i].workspace_deps {
                if let Some(&j) = index.get(dep.as_str()) {
                    visit(j, ws, index, state, stack, order)?;
                }
            }
            stack.pop();
            state[i] = 2;
            order.push(i);
            Ok(())
        }
        let index: BTreeMap<&str, usize> = self
            .packages
            .iter()
            .enumerate()
            .map(|(i, p)| (p.key.as_str(), i))
            .collect();
        // 0 = unvisited, 1 = on stack, 2 = done
        let mut state = vec![0u8; self.packages.len()];
        let mut order = Vec::with_capacity(self.packages.len());
        let mut stack: Vec<usize> = Vec::new();
        for i in 0..self.packages.len() {
            visit(i, self, &index, &mut state, &mut stack, &mut order)?;
        }
        Ok(order)
    }

    /// Packages in dependency order, or an error naming the cycle.
    pub fn dependency_order(&self) -> Result<Vec<&Package>> {
        match self.topo_order() {
            Ok(order) => Ok(order.into_iter().map(|i| &self.packages[i]).collect()),
            Err(cycle) => Err(UserError::failure(format!(
                "Dependency cycle: {}",
                cycle.join(" → ")
            ))
            .with_hint("remove one of these requirements so the packages form a tree")
            .into()),
        }
    }

    /// Workspace packages that depend on `key` directly.
    pub fn dependents(&self, key: &str) -> Vec<&Package> {
        self.packages
            .iter()
            .filter(|p| p.workspace_deps.iter().any(|d| d == key))
            .collect()
    }

    /// The tag prefix of a package: see [`Config::package_tag_prefix`].
    pub fn tag_prefix(&self, pkg: &Package) -> std::borrow::Cow<'_, str> {
        self.config.package_tag_prefix(&pkg.name, pkg.in_tree())
    }

    /// The tag prefix of a package by name (the global `tag_prefix` rules when it is no
    /// package of the workspace).
    pub fn tag_prefix_named(&self, name: &str) -> std::borrow::Cow<'_, str> {
        match self.package(name) {
            Some(pkg) => self.tag_prefix(pkg),
            None => self.config.tag_prefix_for(name).into(),
        }
    }

    /// A package by name (any spelling that normalises the same).
    pub fn package(&self, name: &str) -> Option<&Package> {
        let key = pyproject::normalize_name(name);
        self.packages.iter().find(|p| p.key == key)
    }

    /// The package's base branch (its release branch): `[packages.NAME] base_branch`; else the
    /// submodule's `branch` in `.gitmodules` (not `.`); else the global `base_branch` when it is
    /// not the default `main`; else the remote's default branch as this clone knows it
    /// ([`Git::local_default_branch`]); else `base_branch`. Detected once per package and run.
    pub fn base_branch<'a>(&'a self, pkg: &'a Package) -> &'a str {
        if let Some(b) = self.config.base_branch_override(&pkg.name) {
            return b;
        }
        if let Some(b) = pkg
            .submodule
            .as_ref()
            .and_then(|s| s.branch.as_deref())
            .filter(|b| *b != "." && crate::core::safety::branch_name(b).is_ok())
        {
            return b;
        }
        let global = &self.config.base_branch;
        if *global != Config::default().base_branch {
            return global;
        }
        pkg.detected_base.get_or_init(|| {
            Git::new(&pkg.dir)
                .local_default_branch(&self.config.git_remote, global, &self.config.dev_branch)
                .ok()
                .flatten()
                .unwrap_or_else(|| global.clone())
        })
    }

    /// The packages selected by `-p NAME...` (all when empty). Unknown names are a usage error
    /// that suggests the nearest name.
    pub fn select(&self, names: &[String]) -> Result<Vec<&Package>> {
        if names.is_empty() {
            return Ok(self.packages.iter().collect());
        }
        let mut out = Vec::new();
        for name in names {
            let Some(p) = self.package(name) else {
                let all: Vec<&str> = self.packages.iter().map(|p| p.name.as_str()).collect();
                let mut err = UserError::usage(format!(
                    "No package named `{name}` in {}",
                    self.root.display()
                ));
                err = match config::nearest(name, &all) {
                    Some(n) => err.with_hint(format!("did you mean `{n}`?")),
                    None => err.with_hint("run `release-tool status` to list the packages"),
                };
                return Err(err.into());
            };
            if !out.iter().any(|o: &&Package| o.key == p.key) {
                out.push(p);
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    /// Fail with the first error-level problem (for commands that change things).
    pub fn require_sound(&self) -> Result<()> {
        self.require_sound_but(|_| false)
    }

    /// [`Workspace::require_sound`] for the release stages, which skip a package whose
    /// submodule is not initialised (with a note, docs/release.md) instead of refusing.
    pub fn require_sound_but_uninitialized(&self) -> Result<()> {
        self.require_sound_but(Package::is_uninitialized)
    }

    fn require_sound_but(&self, skipped: impl Fn(&Package) -> bool) -> Result<()> {
        for p in self.packages.iter().filter(|p| !skipped(p)) {
            if let Some(problem) = p.problems.iter().find(|p| p.level == Level::Error) {
                return Err(UserError::failure(format!(
                    "Package {} ({}): {}",
                    p.name, p.rel_path, problem.message
                ))
                .with_hint("fix it (see `release-tool status`) and run the command again")
                .into());
            }
        }
        Ok(())
    }

    /// Path of a manifest relative to the root, resolved.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }
}

/// `.gitmodules` of the root, if any.
pub fn read_gitmodules(root: &Path) -> Result<Vec<Submodule>> {
    let file = root.join(".gitmodules");
    if !file.is_file() {
        return Ok(Vec::new());
    }
    // The plain form is read here; anything else (quoting, escapes...) by git itself.
    let plain = fs_err::read_to_string(&file)
        .ok()
        .and_then(|text| crate::git::files::parse_plain_config(&text));
    let entries = match plain {
        Some(entries) => entries,
        None => Git::new(root).config_file_entries(&file).map_err(|e| {
            UserError::usage(format!("Cannot read {}: {e}", file.display()))
                .with_hint("fix the file's syntax (it is git-config format)")
        })?,
    };
    let mut by_name: BTreeMap<String, Submodule> = BTreeMap::new();
    for (key, value) in entries {
        let Some(rest) = key.strip_prefix("submodule.") else {
            continue;
        };
        let Some((name, field)) = rest.rsplit_once('.') else {
            continue;
        };
        let sm = by_name.entry(name.to_owned()).or_insert_with(|| Submodule {
            name: name.to_owned(),
            ..Submodule::default()
        });
        match field {
            "path" => value.trim_end_matches('/').clone_into(&mut sm.path),
            "url" => sm.url = Some(value),
            "branch" => sm.branch = Some(value),
            _ => {}
        }
    }
    let mut subs: Vec<Submodule> = by_name
        .into_values()
        .filter(|s| !s.path.is_empty())
        .collect();
    for sm in &subs {
        check_submodule(&file, sm)?;
    }
    subs.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(subs)
}

/// A `.gitmodules` entry's name, path, URL and branch reach paths and git command lines: each
/// must have a safe form ([`crate::core::safety`]), or loading stops with an error naming the entry.
fn check_submodule(file: &Path, sm: &Submodule) -> Result<()> {
    let bad = |key: &str, value: &str, why: String| -> anyhow::Error {
        UserError::usage(format!(
            "Invalid {} entry: submodule.{}.{key} = {value:?}: {why}",
            file.display(),
            sm.name.escape_debug()
        ))
        .with_hint(format!(
            "fix or remove that entry of {} (`git config -f .gitmodules --remove-section \
             'submodule.{}'`); release-tool runs nothing from it until then",
            file.display(),
            sm.name.escape_debug()
        ))
        .into()
    };
    crate::core::safety::submodule_name(&sm.name).map_err(|why| bad("name", &sm.name, why))?;
    crate::core::safety::relative_path(&sm.path).map_err(|why| bad("path", &sm.path, why))?;
    if let Some(url) = &sm.url {
        crate::core::safety::remote_url(url).map_err(|why| bad("url", url, why))?;
    }
    // `branch = .` means "the superproject's branch" to git.
    if let Some(branch) = sm.branch.as_deref().filter(|b| *b != ".") {
        crate::core::safety::branch_name(branch).map_err(|why| bad("branch", branch, why))?;
    }
    Ok(())
}

/// Relative directories of all packages: `packages_dir/*`, uv workspace members minus excludes,
/// and submodule paths inside those (even when not initialised).
fn package_dirs(root: &Path, config: &Config, submodules: &[Submodule]) -> Result<Vec<String>> {
    let mut dirs: BTreeSet<String> = BTreeSet::new();
    let packages_dir = root.join(&config.packages_dir);
    if packages_dir.is_dir() {
        for entry in fs_err::read_dir(&packages_dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.file_type()?.is_dir()
                && !name.starts_with('.')
                && entry.path().join("pyproject.toml").is_file()
            {
                let rel = format!("{}/{name}", config.packages_dir.trim_end_matches('/'));
                if let Err(why) = crate::core::safety::relative_path(&rel) {
                    return Err(UserError::usage(format!(
                        "Invalid package directory {rel:?}: {why}"
                    ))
                    .with_hint(
                        "rename the directory (a package's directory is a plain name that does                          not start with `-`), or move it out of packages_dir",
                    )
                    .into());
                }
                dirs.insert(rel);
            }
        }
    }
    let root_pyproject = root.join("pyproject.toml");
    let mut member_globs = Vec::new();
    let mut exclude = globset::GlobSetBuilder::new();
    if root_pyproject.is_file() {
        let doc = PyProject::load(&root_pyproject).map_err(|e| UserError::usage(e.to_string()))?;
        if let Some((members, excludes)) = doc.workspace_members() {
            for e in &excludes {
                let glob = globset::Glob::new(e.trim_end_matches('/')).map_err(|err| {
                    UserError::usage(format!(
                        "Invalid exclude glob `{e}` in {}: {err}",
                        root_pyproject.display()
                    ))
                })?;
                exclude.add(glob);
            }
            member_globs = members;
        }
    }
    let exclude = exclude.build().context("building exclude globs")?;
    for pattern in &member_globs {
        if !config::is_safe_relative(pattern.trim_start_matches("./")) {
            return Err(UserError::usage(format!(
                "Workspace member `{pattern}` in {} points outside the root",
                root_pyproject.display()
            ))
            .into());
        }
        let full = root.join(pattern);
        let paths = glob::glob(&full.to_string_lossy()).map_err(|e| {
            UserError::usage(format!(
                "Invalid member glob `{pattern}` in {}: {e}",
                root_pyproject.display()
            ))
        })?;
        for path in paths.flatten() {
            if path == root {
                continue;
            }
            // A member `packages_dir` found already costs no second look at its files.
            let rel = rel_path(root, &path);
            if !dirs.contains(&rel)
                && !exclude.is_match(&rel)
                && path.join("pyproject.toml").is_file()
            {
                dirs.insert(rel);
            }
        }
    }
    // Uninitialised submodules have no pyproject.toml yet but are packages all the same.
    let prefix = format!("{}/", config.packages_dir.trim_end_matches('/'));
    for sm in submodules {
        if sm.path.starts_with(&prefix)
            || dirs.contains(&sm.path)
            || member_globs.iter().any(|g| glob_matches(g, &sm.path))
        {
            dirs.insert(sm.path.clone());
        }
    }
    Ok(dirs.into_iter().collect())
}

fn glob_matches(pattern: &str, path: &str) -> bool {
    globset::Glob::new(pattern.trim_start_matches("./"))
        .is_ok_and(|g| g.compile_matcher().is_match(path))
}

fn rel_path(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn load_package(root: &Path, rel: &str, submodule: Option<&Submodule>) -> Package {
    let dir = root.join(rel);
    let dir_name = rel.rsplit('/').next().unwrap_or(rel).to_owned();
    let submodule = submodule.cloned();
    let mut pkg = Package {
        name: dir_name.clone(),
        key: pyproject::normalize_name(&dir_name),
        dir: dir.clone(),
        rel_path: rel.to_owned(),
        meta: None,
        submodule,
        home: GitHome::Own,
        workspace_deps: Vec::new(),
        problems: Vec::new(),
        detected_base: std::sync::OnceLock::new(),
    };
    let file = dir.join("pyproject.toml");
    if !file.is_file() {
        if pkg.submodule.is_some() {
            pkg.problems.push(Problem::error(format!(
                "submodule not initialized (run `git submodule update --init {rel}`)"
            )));
        } else {
            pkg.problems
                .push(Problem::error(format!("no pyproject.toml in {rel}")));
        }
        return pkg;
    }
    let display = Path::new(rel).join("pyproject.toml");
    let text = match fs_err::read_to_string(&file) {
        Ok(t) => t,
        Err(e) => {
            pkg.problems.push(Problem::error(format!(
                "cannot read {}: {e}",
                display.display()
            )));
            return pkg;
        }
    };
    let doc = match PyProject::parse(&display, &text) {
        Ok(doc) => doc,
        Err(e) => {
            pkg.problems
                .push(Problem::error(lowercase_first(&e.to_string())));
            return pkg;
        }
    };
    let Some(name) = doc.name().map(str::to_owned) else {
        pkg.problems.push(Problem::error(format!(
            "missing [project] name in {}",
            display.display()
        )));
        return pkg;
    };
    // The name goes into paths (`changes/<name>/`) and messages: a PEP 508 name only.
    if let Err(why) = crate::core::safety::package_name(&name) {
        pkg.problems.push(Problem::error(format!(
            "invalid [project] name {name:?} in {}: {why}; rename the project",
            display.display()
        )));
        return pkg;
    }
    pkg.name.clone_from(&name);
    pkg.key = pyproject::normalize_name(&name);
    let version = match doc.version_source() {
        VersionSource::Static(v) => Some(v),
        VersionSource::Dynamic {
            hatch_path: Some(path),
        } if crate::core::safety::relative_path(path.trim_start_matches("./")).is_err() => {
            pkg.problems.push(Problem::error(format!(
                "[tool.hatch.version] path {path:?} in {} must be a relative path inside the package",
                display.display()
            )));
            None
        }
        VersionSource::Dynamic {
            hatch_path: Some(path),
        } => match pyproject::read_version_file(&dir.join(&path)) {
            Ok(v) => Some(v),
            Err(e) => {
                pkg.problems
                    .push(Problem::error(lowercase_first(&e.to_string())));
                None
            }
        },
        VersionSource::Dynamic { hatch_path: None } => {
            pkg.problems.push(Problem::error(format!(
                "dynamic version without [tool.hatch.version] path in {}",
                display.display()
            )));
            None
        }
        VersionSource::Missing => {
            pkg.problems.push(Problem::error(format!(
                "missing [project] version in {}",
                display.display()
            )));
            None
        }
    };
    let parsed_version = version.as_deref().and_then(|v| match version::parse(v) {
        Ok(parsed) => Some(parsed),
        Err(e) => {
            pkg.problems.push(Problem::error(format!(
                "{} (in {})",
                lowercase_first(&e.to_string()),
                display.display()
            )));
            None
        }
    });
    let dependencies = match doc.dependency_names() {
        Ok(d) => d,
        Err(e) => {
            pkg.problems
                .push(Problem::error(lowercase_first(&e.to_string())));
            Vec::new()
        }
    };
    let workspace_sources: Vec<String> = doc
        .uv_sources()
        .into_iter()
        .filter(|(_, s)| s.workspace)
        .map(|(n, _)| n)
        .collect();
    pkg.meta = Some(PackageMeta {
        name,
        version,
        parsed_version,
        dependencies,
        workspace_sources,
        git_references: doc
            .git_references()
            .into_iter()
            .map(|(n, _, _)| n)
            .collect(),
        hatchling: doc.has_hatchling_backend(),
        uv_build: doc.has_uv_build_backend(),
    });
    pkg
}

/// Errors are capitalised sentences; inside a problem list they read better in lower case.
fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The remote URL of a package: its `.gitmodules` URL (relative URLs resolved against the
/// root's remote, as git does), else its own remote's URL (the root's for an in-tree package); always without credentials
/// (`https://user:token@host/x` → `https://host/x`): it goes into manifests, workflows and
/// messages, and credentials belong in git's credential helpers.
pub fn package_url(ws: &Workspace, pkg: &Package) -> Option<String> {
    package_url_raw(ws, pkg).map(|u| crate::core::secrets::strip_url_credentials(&u))
}

/// The URL a package is pinned to in staging and prod (`{ git = URL, tag = ... }`):
/// [`package_url`] in a form uv reads (see [`pin_url`]); a relative path is taken from the
/// root for a submodule, from the package's directory for its own remote.
pub fn package_pin_url(ws: &Workspace, pkg: &Package) -> Option<String> {
    let url = package_url(ws, pkg)?;
    let base = if pkg.submodule.is_some() || pkg.in_tree() {
        &ws.root
    } else {
        &pkg.dir
    };
    Some(pin_url(&url, base))
}

/// A remote as both git and uv read it in a `git = ...` source: a local path (absolute, or
/// relative to `base`) becomes a `file://` URL, `user@host:path` (git's scp-like form, which
/// uv refuses) becomes `ssh://user@host/path`; URLs stay as they are.
pub fn pin_url(url: &str, base: &Path) -> String {
    let url = local_remote_url(url, base);
    match scp_like(&url) {
        Some((host, path)) => format!("ssh://{host}/{}", path.trim_start_matches('/')),
        None => url,
    }
}

/// A remote as `new` and `add` store it (in `.gitmodules` and the package's own remote): a
/// local path (absolute, or relative to `base`) becomes a `file://` URL, which git and uv both
/// read; URLs and scp-like `user@host:path` (git reads those) stay as they are.
pub fn local_remote_url(url: &str, base: &Path) -> String {
    let url = url.trim();
    if has_scheme(url) || scp_like(url).is_some() {
        return url.to_owned();
    }
    let mut path = PathBuf::new();
    for part in base.join(url).components() {
        match part {
            std::path::Component::ParentDir => {
                path.pop();
            }
            std::path::Component::CurDir => {}
            other => path.push(other),
        }
    }
    format!("file://{}", path.display())
}

/// Whether a remote is on this machine: a `file:` URL or a path (absolute or relative), not a
/// URL of a server (`https:`, `ssh:`, scp-like `user@host:path`). No forge is inferred from
/// such a remote.
pub fn is_local_url(url: &str) -> bool {
    let url = url.trim();
    url.get(..5)
        .is_some_and(|s| s.eq_ignore_ascii_case("file:"))
        || (!has_scheme(url) && scp_like(url).is_none())
}

/// Why uv would refuse `url` as the `git` of a source, or `None` when uv reads it: uv takes
/// `https:`, `http:`, `ssh:` and `file:` URLs (optionally written `git+https:` ...), not
/// paths, not scp-like `user@host:path`, not `git://`.
pub fn uv_git_url_problem(url: &str) -> Option<String> {
    let bare = url.strip_prefix("git+").unwrap_or(url);
    if !has_scheme(bare) {
        return Some(if scp_like(bare).is_some() {
            "an scp-like address (`user@host:path`), which uv does not read".to_owned()
        } else {
            "a path, not a URL".to_owned()
        });
    }
    let scheme = bare
        .split(':')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if ["https", "http", "ssh", "file"].contains(&scheme.as_str()) {
        None
    } else {
        Some(format!(
            "its scheme `{scheme}:` is not one uv reads (https, ssh or file)"
        ))
    }
}

/// `scheme:` (letters, digits, `+-.` after a first letter) followed by `//`, or `file:`.
fn has_scheme(url: &str) -> bool {
    if url
        .get(..5)
        .is_some_and(|s| s.eq_ignore_ascii_case("file:"))
    {
        return true;
    }
    url.split_once("://").is_some_and(|(scheme, _)| {
        let mut chars = scheme.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    })
}

/// `[user@]host:path` (git's scp-like syntax: a colon before any slash, more than one letter
/// before it, since `C:` is a drive): the host part and the path.
fn scp_like(url: &str) -> Option<(&str, &str)> {
    if has_scheme(url) {
        return None;
    }
    let (host, path) = url.split_once(':')?;
    (host.len() > 1 && !host.contains('/') && !host.contains('\\')).then_some((host, path))
}

fn package_url_raw(ws: &Workspace, pkg: &Package) -> Option<String> {
    if let Some(url) = pkg.submodule.as_ref().and_then(|s| s.url.clone()) {
        if url.starts_with("./") || url.starts_with("../") {
            let base = crate::git::Git::new(&ws.root)
                .remote_url(&ws.config.git_remote)
                .ok()
                .flatten()
                .unwrap_or_else(|| ws.root.display().to_string());
            return Some(resolve_relative_url(&base, &url));
        }
        return Some(url);
    }
    // An in-tree package's remote is the root's (its pins add `subdirectory`).
    if pkg.dir.join(".git").exists() || pkg.in_tree() {
        return crate::git::Git::new(pkg.repo_dir(&ws.root))
            .remote_url(&ws.config.git_remote)
            .ok()
            .flatten();
    }
    None
}

/// `base` + `../x.git` the way git resolves relative submodule URLs.
pub fn resolve_relative_url(base: &str, relative: &str) -> String {
    let mut base = base.trim_end_matches('/').to_owned();
    let mut rest = relative;
    loop {
        if let Some(r) = rest.strip_prefix("./") {
            rest = r;
        } else if let Some(r) = rest.strip_prefix("../") {
            rest = r;
            match base.rfind(['/', ':']) {
                Some(i) => base.truncate(i),
                None => base.clear(),
            }
        } else {
            break;
        }
    }
    let sep = if base.ends_with(':') || base.is_empty() {
        ""
    } else {
        "/"
    };
    format!("{base}{sep}{rest}")
}

#[cfg(test)]
mod base_branch_tests {
    use super::*;

    fn git(dir: &Path, args: &[&str]) {
        let identity = ["-c", "user.name=T", "-c", "user.email=t@example.com"];
        if let Err(e) = Git::new(dir).run(identity.iter().chain(args)) {
            panic!("git {args:?}: {e}");
        }
    }

    fn package(dir: &Path, branch: Option<&str>) -> Package {
        Package {
            name: "p".to_owned(),
            key: "p".to_owned(),
            dir: dir.to_path_buf(),
            rel_path: "packages/p".to_owned(),
            meta: None,
            submodule: Some(Submodule {
                name: "packages/p".to_owned(),
                path: "packages/p".to_owned(),
                url: None,
                branch: branch.map(str::to_owned),
            }),
            home: crate::workspace::GitHome::Own,
            workspace_deps: Vec::new(),
            problems: Vec::new(),
            detected_base: std::sync::OnceLock::new(),
        }
    }

    fn workspace(root: &Path, config: Config) -> Workspace {
        Workspace {
            root: root.to_path_buf(),
            config,
            config_source: ConfigSource::Defaults,
            warnings: Vec::new(),
            submodules: Vec::new(),
            packages: Vec::new(),
        }
    }

    #[test]
    fn base_branch_is_configured_then_gitmodules_then_global_then_detected() {
        let tmp = tempfile::tempdir().unwrap();
        let (remote, work) = (tmp.path().join("remote.git"), tmp.path().join("work"));
        let s = |p: &Path| p.to_str().unwrap().to_owned();
        git(
            tmp.path(),
            &["init", "-q", "--bare", "-b", "master", &s(&remote)],
        );
        git(tmp.path(), &["init", "-q", "-b", "master", &s(&work)]);
        git(&work, &["commit", "-q", "--allow-empty", "-m", "one"]);
        git(&work, &["remote", "add", "origin", &s(&remote)]);
        git(&work, &["push", "-q", "-u", "origin", "master"]);
        let ws = workspace(tmp.path(), Config::default());
        // No origin/HEAD, no origin/main: the branch the checked-out one tracks.
        assert_eq!(ws.base_branch(&package(&work, None)), "master");
        // Checked out on dev_branch (tracking origin/dev_branch): nothing is detected.
        git(&work, &["switch", "-q", "-c", "dev_branch"]);
        git(&work, &["push", "-q", "-u", "origin", "dev_branch"]);
        assert_eq!(ws.base_branch(&package(&work, None)), "main");
        // origin/HEAD says it, whatever is checked out.
        git(&work, &["remote", "set-head", "origin", "master"]);
        let pkg = package(&work, None);
        assert_eq!(ws.base_branch(&pkg), "master");
        // Detected once per package: the answer is kept.
        git(&work, &["remote", "set-head", "origin", "dev_branch"]);
        assert_eq!(ws.base_branch(&pkg), "master");
        assert_eq!(ws.base_branch(&package(&work, None)), "dev_branch");
        git(&work, &["remote", "set-head", "origin", "master"]);
        // `.gitmodules` before detection (`.` is passed over).
        assert_eq!(ws.base_branch(&package(&work, Some("rel"))), "rel");
        assert_eq!(ws.base_branch(&package(&work, Some("."))), "master");
        // A global base_branch other than the default before detection, not before
        // `.gitmodules`.
        let trunk = workspace(
            tmp.path(),
            Config {
                base_branch: "trunk".to_owned(),
                ..Config::default()
            },
        );
        assert_eq!(trunk.base_branch(&package(&work, None)), "trunk");
        assert_eq!(trunk.base_branch(&package(&work, Some("rel"))), "rel");
        // The package's own setting first.
        let mut config = Config::default();
        config.packages.insert(
            "p".to_owned(),
            config::PackageOverride {
                base_branch: Some("stable".to_owned()),
                ..config::PackageOverride::default()
            },
        );
        let own = workspace(tmp.path(), config);
        assert_eq!(own.base_branch(&package(&work, Some("rel"))), "stable");
    }
}

#[cfg(test)]
mod remote_url_tests {
    use super::*;

    #[test]
    fn pins_are_urls_uv_reads() {
        let root = Path::new("/work/root");
        for (given, pinned) in [
            ("/srv/git/ingest.git", "file:///srv/git/ingest.git"),
            ("../remotes/x.git", "file:///work/remotes/x.git"),
            ("./x.git", "file:///work/root/x.git"),
            ("file:///srv/x.git", "file:///srv/x.git"),
            ("git@github.com:org/x.git", "ssh://git@github.com/org/x.git"),
            ("host:/abs/x.git", "ssh://host/abs/x.git"),
            (
                "ssh://git@host:2222/org/x.git",
                "ssh://git@host:2222/org/x.git",
            ),
            (
                "https://github.com/org/x.git",
                "https://github.com/org/x.git",
            ),
        ] {
            assert_eq!(pin_url(given, root), pinned, "{given}");
            assert_eq!(uv_git_url_problem(pinned), None, "{pinned}");
        }
        assert_eq!(
            local_remote_url("git@github.com:org/x.git", root),
            "git@github.com:org/x.git"
        );
        assert_eq!(local_remote_url("/srv/x.git", root), "file:///srv/x.git");
        for local in [
            "file:///srv/x.git",
            "FILE:///x",
            "/srv/x.git",
            "../remotes/x.git",
            "x.git",
        ] {
            assert!(is_local_url(local), "{local}");
        }
        for server in [
            "https://github.com/o/r.git",
            "ssh://git@host/o/r.git",
            "git@github.com:o/r.git",
            "http://gitea.local/o/r",
        ] {
            assert!(!is_local_url(server), "{server}");
        }
        for bad in [
            "/srv/x.git",
            "git@host:org/x.git",
            "../x.git",
            "git://host/x.git",
        ] {
            assert!(uv_git_url_problem(bad).is_some(), "{bad}");
        }
        assert_eq!(uv_git_url_problem("git+ssh://git@host/x.git"), None);
    }
}
