//! Workspace membership (docs/reference.md §3): `add` an existing package repository as a submodule and
//! register it like `new` does; `remove` a package from the three manifests, the submodules and
//! the disk. Both only plan: `--dry-run` prints the plan, a real run executes it.
//!
//! Everything that can refuse is checked before the plan is built, so a refusal changes
//! nothing. `add` inspects the repository read-only first: a shallow clone into a temporary
//! directory outside the workspace, removed before planning.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::config;
use crate::core::error::UserError;
use crate::env::scaffold::is_valid_name;
use crate::git::{Git, GitError};
use crate::plan::Plan;
use crate::python::pyproject::{self, PyProject, Source};
use crate::workspace::{Package, Submodule, Workspace};

/// The branch tracked when the remote does not say which branch its `HEAD` is.
pub const DEFAULT_BRANCH: &str = "main";

/// `add URL [--path P] [--branch B]`.
#[derive(Clone, Debug)]
pub struct AddRequest {
    /// Repository URL, or a local path (relative paths are taken from `cwd`).
    pub url: String,
    /// Where the submodule goes, relative to the root (default: `<packages_dir>/<repo name>`).
    pub path: Option<String>,
    /// Branch to track (default: the remote's `HEAD` branch, else `main`).
    pub branch: Option<String>,
    /// The directory relative local paths are resolved from.
    pub cwd: PathBuf,
}

/// A planned `add`.
#[derive(Clone, Debug)]
pub struct AddPlan {
    pub plan: Plan,
    /// `[project] name` of the package.
    pub name: String,
    /// Path of the submodule relative to the root.
    pub rel_path: String,
    /// The URL recorded in `.gitmodules`.
    pub url: String,
    pub branch: String,
    /// Whether the submodule reuses the git directory a removed submodule left in
    /// `.git/modules`.
    pub reuses_git_dir: bool,
    /// Things the user should know; the package is added all the same.
    pub warnings: Vec<String>,
}

/// `remove NAME [--force]`.
#[derive(Clone, Debug)]
pub struct RemoveRequest {
    pub name: String,
    /// Discard uncommitted or unpushed work, and delete a package that is not a submodule.
    pub force: bool,
}

/// A planned `remove`.
#[derive(Clone, Debug)]
pub struct RemovePlan {
    pub plan: Plan,
    pub name: String,
    pub rel_path: String,
    /// The git directory git keeps in `.git/modules` after removing the submodule.
    pub kept_git_dir: Option<PathBuf>,
    /// Work that `--force` discards.
    pub warnings: Vec<String>,
}

// ---------------------------------------------------------------------------------------------
// add

/// Plan `add`: inspect the repository, validate, then plan `git submodule add`, the dev manifest
/// registration (a dependency and `{ workspace = true }`, plus a `[tool.uv.workspace]` member
/// when no member glob covers the path) and the root commit.
pub fn plan_add(ws: &Workspace, req: &AddRequest) -> Result<AddPlan> {
    let (url, local) = resolve_url(&req.url, &req.cwd)?;
    let rel = if let Some(path) = &req.path {
        checked_rel_path(path)?
    } else {
        let repo = repo_name(&url).ok_or_else(|| {
            UserError::usage(format!("Cannot tell a directory name from the URL `{url}`"))
                .with_hint("pass the place in the workspace with --path")
        })?;
        checked_rel_path(&format!(
            "{}/{repo}",
            ws.config.packages_dir.trim_end_matches('/')
        ))?
    };
    if let Some(branch) = &req.branch
        && let Err(why) = crate::core::safety::branch_name(branch)
    {
        return Err(
            UserError::usage(format!("Invalid branch name `{branch}`: {why}"))
                .with_hint(
                    "pass the name of a branch of the package's repository, e.g. --branch main",
                )
                .into(),
        );
    }
    check_target(ws, &url, &rel)?;
    let root_git = Git::new(&ws.root);
    let module_dir = root_git.git_path(&format!("modules/{rel}"))?;
    let reuses_git_dir = check_leftover_git_dir(&module_dir, &url, &rel)?;

    let inspected = inspect(&url, local, req.branch.as_deref())?;
    let name = inspected.name;
    let branch = inspected.branch;
    let key = pyproject::normalize_name(&name);
    if let Some(other) = ws.packages.iter().find(|p| p.key == key) {
        return Err(UserError::usage(format!(
            "Cannot add {url}: a package named `{}` already exists in {}",
            other.name, other.rel_path
        ))
        .with_hint(format!(
            "package names must be unique; to replace it, `release-tool remove {}` first",
            other.name
        ))
        .into());
    }
    let mut warnings = Vec::new();
    if !inspected.workspace_sources.is_empty() {
        warnings.push(format!(
            "{name}'s own pyproject.toml declares {} as `{{ workspace = true }}` in \
             [tool.uv.sources]: that breaks every install of {name} outside this workspace; \
             the root's sources already cover workspace packages, so remove such entries from \
             the package (`release-tool prepare` strips them when releasing)",
            inspected.workspace_sources.join(", ")
        ));
    }

    let root_manifest = ws.root.join("pyproject.toml");
    let mut dev = load_manifest(&root_manifest)?;
    dev.add_dependency(&name).map_err(|e| {
        UserError::usage(format!("Cannot register {name} in the dev manifest: {e}"))
    })?;
    dev.set_source(
        &name,
        &Source {
            workspace: true,
            ..Source::default()
        },
    );
    if !is_member(&dev, &rel) {
        dev.add_workspace_member(&rel);
    }

    let mut plan = Plan::new(&ws.root);
    let pkg = Some(name.as_str());
    let file_flag: &[&str] = if local {
        // git refuses local transports for submodules unless allowed for the call.
        &["-c", "protocol.file.allow=always"]
    } else {
        &[]
    };
    if reuses_git_dir {
        // `submodule add --force` reactivates the old git directory as it is: bring it up to date
        // first so the work tree matches the remote, as a fresh clone would.
        let mut fetch = file_flag.to_vec();
        fetch.extend(["fetch", "--quiet", "--", "origin"]);
        plan.git(pkg, &module_dir, fetch);
    }
    let mut add = file_flag.to_vec();
    add.extend(["submodule", "add", "--quiet"]);
    if reuses_git_dir {
        add.push("--force");
    }
    add.extend(["-b", &branch, "--", &url, &rel]);
    plan.git(None, &ws.root, add);
    plan.write(None, &root_manifest, dev.render());
    let paths = ["pyproject.toml", ".gitmodules", rel.as_str()];
    plan.git(None, &ws.root, ["add", "--"].iter().chain(&paths).copied());
    let message = format!("feat: add package {name}");
    plan.git(
        None,
        &ws.root,
        ["commit", "--quiet", "-m", &message, "--"]
            .iter()
            .chain(&paths)
            .copied(),
    );
    Ok(AddPlan {
        plan,
        name,
        rel_path: rel,
        url,
        branch,
        reuses_git_dir,
        warnings,
    })
}

/// The URL to hand to git, and whether it is local (`file://` or a path). A local path is made
/// absolute from `cwd` (git would otherwise read `./x` and `../x` relative to the root's
/// remote) and written as a `file://` URL.
fn resolve_url(url: &str, cwd: &Path) -> Result<(String, bool)> {
    let trimmed = url.trim();
    if let Err(why) = crate::core::safety::remote_url(trimmed) {
        return Err(
            UserError::usage(format!("Invalid repository URL `{url}`: {why}"))
                .with_hint(
                    "pass the URL of the package's git repository (https, ssh, file or a path)",
                )
                .into(),
        );
    }
    if trimmed.starts_with("file:") {
        return Ok((trimmed.to_owned(), true));
    }
    if trimmed.contains("://") || is_scp_like(trimmed) {
        return Ok((trimmed.to_owned(), false));
    }
    let path = cwd.join(trimmed);
    let path = path
        .canonicalize()
        .or_else(|_| std::path::absolute(&path))
        .unwrap_or(path);
    // Stored as a `file://` URL: git reads it the same, and the staging and prod pins made from
    // it are URLs uv reads (uv refuses a path as `git = ...`).
    Ok((format!("file://{}", path.display()), true))
}

/// `user@host:path` or `host:path` (git's scp-like syntax): a colon before any slash.
fn is_scp_like(url: &str) -> bool {
    match url.find(':') {
        // One letter before the colon is a Windows drive, not a host.
        Some(colon) => colon > 1 && !url[..colon].contains('/'),
        None => false,
    }
}

/// The repository's name: the last path segment of the URL without `.git`.
pub fn repo_name(url: &str) -> Option<String> {
    let trimmed = url.trim_end_matches(['/', '\\']);
    let trimmed = trimmed.strip_suffix(".git").unwrap_or(trimmed);
    let trimmed = trimmed.trim_end_matches(['/', '\\']);
    let name = trimmed.rsplit(['/', '\\', ':']).next()?;
    (!name.is_empty() && name != "." && name != "..").then(|| name.to_owned())
}

/// A path relative to the root, with `/` separators, or a usage error.
fn checked_rel_path(path: &str) -> Result<String> {
    let cleaned: Vec<&str> = path
        .split(['/', '\\'])
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    let joined = cleaned.join("/");
    let bad = path.starts_with(['/', '\\'])
        || cleaned.is_empty()
        || !config::is_safe_relative(&joined)
        || cleaned
            .iter()
            .any(|c| *c == ".." || c.starts_with('-') || c.eq_ignore_ascii_case(".git"))
        || joined.chars().any(char::is_control);
    if bad {
        return Err(UserError::usage(format!("Invalid --path `{path}`"))
            .with_hint(
                "pass a path relative to the workspace root, inside it (no `..`, not absolute, \
                 not starting with `-`), e.g. --path libs/my-package",
            )
            .into());
    }
    Ok(joined)
}

/// The target path must be free: not on disk, not inside another repository (such as a
/// package), not in the root's index or `.gitmodules`, and not ignored.
fn check_target(ws: &Workspace, url: &str, rel: &str) -> Result<()> {
    let target = ws.root.join(rel);
    if target.symlink_metadata().is_ok() {
        return Err(UserError::usage(format!(
            "Cannot add {url}: {rel} already exists in {}",
            ws.root.display()
        ))
        .with_hint("choose another place with --path, or remove the directory first")
        .into());
    }
    for ancestor in Path::new(rel).ancestors().skip(1) {
        if ancestor.as_os_str().is_empty() {
            break;
        }
        let inside_submodule = ws.submodules.iter().any(|s| Path::new(&s.path) == ancestor);
        if inside_submodule || ws.root.join(ancestor).join(".git").exists() {
            return Err(UserError::usage(format!(
                "Cannot add {url}: {rel} would be inside the repository at {}",
                ancestor.display()
            ))
            .with_hint("choose a place outside other packages with --path")
            .into());
        }
    }
    let root_git = Git::new(&ws.root);
    if let Some(sm) = ws
        .submodules
        .iter()
        .find(|s| s.path == rel || s.name == rel)
    {
        return Err(UserError::usage(format!(
            "Cannot add {url}: .gitmodules already has a submodule `{}` at {}",
            sm.name, sm.path
        ))
        .with_hint("choose another place with --path")
        .into());
    }
    if root_git.is_tracked(rel)? {
        return Err(UserError::usage(format!(
            "Cannot add {url}: {rel} is tracked in the root repository (deleted but not committed?)"
        ))
        .with_hint(format!(
            "commit or restore it first (`git -C {} status -- {rel}`), or choose another place with --path",
            ws.root.display()
        ))
        .into());
    }
    if root_git.is_ignored(rel)? {
        return Err(UserError::usage(format!(
            "Cannot add {url}: {rel} is ignored by the root's .gitignore"
        ))
        .with_hint("choose another place with --path, or stop ignoring it")
        .into());
    }
    Ok(())
}

/// A git directory left in `.git/modules` by a removed submodule at the same path: reuse it
/// when it belongs to the same repository, refuse otherwise (git would check out the wrong one).
fn check_leftover_git_dir(module_dir: &Path, url: &str, rel: &str) -> Result<bool> {
    if !module_dir.exists() {
        return Ok(false);
    }
    let old = Git::new(module_dir)
        .config_get("remote.origin.url")
        .ok()
        .flatten();
    if old.as_deref().is_some_and(|old| {
        // A git directory left by an `add` of the same repository given as a plain path.
        let old = crate::workspace::local_remote_url(old, Path::new("/"));
        old.trim_end_matches('/') == url.trim_end_matches('/')
    }) {
        return Ok(true);
    }
    Err(UserError::usage(format!(
        "Cannot add {url} at {rel}: {} holds the git directory of another repository{} \
         (left there when a submodule was removed)",
        module_dir.display(),
        old.map(|o| format!(" ({o})")).unwrap_or_default()
    ))
    .with_hint(format!(
        "delete {} if nothing in it is needed any more, or choose another place with --path",
        module_dir.display()
    ))
    .into())
}

/// What a read-only look at the repository found.
struct Inspected {
    name: String,
    branch: String,
    workspace_sources: Vec<String>,
}

/// Shallow-clone the repository into a temporary directory outside the workspace and read its
/// `pyproject.toml`. The directory is gone when this returns.
fn inspect(url: &str, local: bool, branch: Option<&str>) -> Result<Inspected> {
    let tmp = tempfile::Builder::new()
        .prefix("release-tool-add-")
        .tempdir()?;
    let git = Git::new(tmp.path());
    let remote = git.remote_branches(url, local).map_err(|e| {
        UserError::failure(format!("Cannot read the repository {url}: {}", reason(&e)))
            .with_hint("check the URL, and that you can reach it (`git ls-remote URL`)")
    })?;
    if remote.branches.is_empty() {
        return Err(UserError::usage(format!(
            "Cannot add {url}: the repository has no branches (it is empty)"
        ))
        .with_hint("push the package to it first")
        .into());
    }
    let branch = branch
        .map(str::to_owned)
        .or(remote.head)
        .unwrap_or_else(|| DEFAULT_BRANCH.to_owned());
    if !remote.branches.contains(&branch) {
        let mut shown: Vec<&str> = remote
            .branches
            .iter()
            .take(10)
            .map(String::as_str)
            .collect();
        if remote.branches.len() > shown.len() {
            shown.push("...");
        }
        return Err(
            UserError::usage(format!("Cannot add {url}: it has no branch `{branch}`"))
                .with_hint(format!(
                    "pass one of its branches with --branch: {}",
                    shown.join(", ")
                ))
                .into(),
        );
    }
    let checkout = tmp.path().join("repo");
    git.clone_shallow(url, &checkout, &branch, local)
        .map_err(|e| {
            UserError::failure(format!(
                "Cannot clone {url} (branch {branch}): {}",
                reason(&e)
            ))
            .with_hint("check the URL, and that you can reach it (`git ls-remote URL`)")
        })?;
    let file = checkout.join("pyproject.toml");
    let fix = "`release-tool add` takes a Python package repository: fix its pyproject.toml, \
               commit and push it, then run the command again";
    if !file.is_file() {
        return Err(UserError::usage(format!(
            "Cannot add {url}: no pyproject.toml at the top of the repository (branch {branch})"
        ))
        .with_hint(
            "`release-tool add` takes a Python package repository with a pyproject.toml that \
             has [project] name; pass --branch if it lives on another branch",
        )
        .into());
    }
    let text = fs_err::read_to_string(&file)?;
    let doc = PyProject::parse(Path::new("pyproject.toml"), &text).map_err(|e| {
        UserError::usage(format!(
            "Cannot add {url}: {} (branch {branch})",
            lowercase_first(&e.to_string())
        ))
        .with_hint(fix)
    })?;
    let Some(name) = doc.name().map(str::to_owned) else {
        return Err(UserError::usage(format!(
            "Cannot add {url}: missing [project] name in pyproject.toml (branch {branch})"
        ))
        .with_hint(fix)
        .into());
    };
    if !is_valid_name(&name) {
        return Err(UserError::usage(format!(
            "Cannot add {url}: invalid [project] name `{name}` in pyproject.toml"
        ))
        .with_hint(fix)
        .into());
    }
    let workspace_sources = doc
        .uv_sources()
        .into_iter()
        .filter(|(_, s)| s.workspace)
        .map(|(n, _)| n)
        .collect();
    Ok(Inspected {
        name,
        branch,
        workspace_sources,
    })
}

/// Whether a `[tool.uv.workspace] members` glob (minus `exclude`) covers `rel`, with uv's glob
/// rules (`*` does not cross `/`).
fn is_member(dev: &PyProject, rel: &str) -> bool {
    let Some((members, excludes)) = dev.workspace_members() else {
        return false;
    };
    let matches = |pattern: &String| {
        globset::GlobBuilder::new(pattern.trim_start_matches("./").trim_end_matches('/'))
            .literal_separator(true)
            .build()
            .is_ok_and(|g| g.compile_matcher().is_match(rel))
    };
    members.iter().any(matches) && !excludes.iter().any(matches)
}

// ---------------------------------------------------------------------------------------------
// remove

/// Plan `remove`: refuse while other packages depend on it, or (without `force`) when work
/// would be lost or the package is a plain directory; then unregister it from the dev, staging
/// and prod manifests, deinit and `git rm` the submodule (or delete the directory), and commit
/// exactly those paths.
pub fn plan_remove(ws: &Workspace, req: &RemoveRequest) -> Result<RemovePlan> {
    let pkg = ws
        .select(std::slice::from_ref(&req.name))?
        .into_iter()
        .next()
        .ok_or_else(|| UserError::usage(format!("No package named `{}`", req.name)))?;
    let name = pkg.name.clone();
    let rel = pkg.rel_path.clone();
    refuse_dependents(ws, pkg)?;
    let root_git = Git::new(&ws.root);
    let submodule = removable_submodule(ws, &root_git, pkg, req)?;
    let warnings = removal_warnings(pkg, req)?;
    if submodule.is_some() && root_git.has_unstaged_changes(".gitmodules")? {
        return Err(UserError::failure(format!(
            "Cannot remove {name}: .gitmodules has unstaged changes, and git must rewrite it"
        ))
        .with_hint("commit, stage or stash the changes to .gitmodules first")
        .into());
    }

    let mut plan = Plan::new(&ws.root);
    let (mut paths, kept_git_dir) = plan_remove_files(&mut plan, ws, &root_git, pkg, submodule)?;
    paths.extend(plan_unregister(&mut plan, ws, &name, &rel)?);
    if !paths.is_empty() {
        let message = format!("feat: remove package {name}");
        plan.git(
            None,
            &ws.root,
            ["commit", "--quiet", "-m", &message, "--"]
                .into_iter()
                .chain(paths.iter().map(String::as_str)),
        );
    }
    Ok(RemovePlan {
        plan,
        name,
        rel_path: rel,
        kept_git_dir,
        warnings,
    })
}

/// Refuses to remove a package other packages depend on.
fn refuse_dependents(ws: &Workspace, pkg: &Package) -> Result<()> {
    let name = &pkg.name;
    let dependents = ws.dependents(&pkg.key);
    if !dependents.is_empty() {
        let names: Vec<&str> = dependents.iter().map(|p| p.name.as_str()).collect();
        let verb = if names.len() == 1 {
            "depends"
        } else {
            "depend"
        };
        let files: Vec<String> = dependents
            .iter()
            .map(|p| format!("{}/pyproject.toml", p.rel_path))
            .collect();
        return Err(UserError::failure(format!(
            "Cannot remove {name}: {} {verb} on it",
            join_and(&names)
        ))
        .with_hint(format!(
            "remove `{name}` from [project] dependencies in {} first",
            join_and(&files.iter().map(String::as_str).collect::<Vec<_>>())
        ))
        .into());
    }
    Ok(())
}

/// The package's submodule (`None`: a plain directory, removed only with `force`); refuses a
/// half submodule (`.gitmodules` and the root's index disagree).
fn removable_submodule<'a>(
    ws: &Workspace,
    root_git: &Git,
    pkg: &'a Package,
    req: &RemoveRequest,
) -> Result<Option<&'a Submodule>> {
    let (name, rel) = (&pkg.name, &pkg.rel_path);
    let gitlink = root_git
        .submodule_pointers()?
        .iter()
        .any(|(path, _)| path == rel);
    let submodule = match (&pkg.submodule, gitlink) {
        (Some(sm), true) => Some(sm),
        (None, false) => None,
        (Some(_), false) | (None, true) => {
            return Err(UserError::failure(format!(
                "Cannot remove {name}: {rel} is half a submodule (.gitmodules and the root's \
                 index disagree)"
            ))
            .with_hint(format!(
                "repair it with git first (`git -C {} submodule status -- {rel}`)",
                ws.root.display()
            ))
            .into());
        }
    };
    if submodule.is_none() && !req.force {
        return Err(UserError::failure(format!(
            "Cannot remove {name}: {rel} is not a submodule, so removing it deletes the directory \
             and everything in it"
        ))
        .with_hint("pass --force to delete it, or move it out of the workspace first")
        .into());
    }
    Ok(submodule)
}

/// Warnings for what the removal cannot do or discards (`force`); without `force`, work that
/// would be lost refuses the removal.
fn removal_warnings(pkg: &Package, req: &RemoveRequest) -> Result<Vec<String>> {
    let (name, rel) = (&pkg.name, &pkg.rel_path);
    let mut warnings = Vec::new();
    if pkg.meta.is_none() {
        warnings.push(format!(
            "The [project] name of {rel} cannot be read ({}): manifest entries are removed under \
             `{name}`; remove any under its real name by hand",
            pkg.problems
                .first()
                .map_or("no pyproject.toml", |p| p.message.as_str())
        ));
    }
    let losses = work_at_risk(pkg)?;
    if !losses.is_empty() {
        let what = format!(
            "{rel} has {}",
            join_and(&losses.iter().map(String::as_str).collect::<Vec<_>>())
        );
        if req.force {
            warnings.push(format!("Discarding work of {name}: {what}"));
        } else {
            return Err(UserError::failure(format!(
                "Cannot remove {name}: {what}, which would be lost"
            ))
            .with_hint(format!(
                "commit and push it first (`git -C {rel} status`), or pass --force to discard it"
            ))
            .into());
        }
    }
    Ok(warnings)
}

/// The package's files go: the submodule deinitialised and `git rm`ed, or the directory
/// deleted (and `git rm`ed when tracked). The paths to commit, and the git directory git keeps
/// in `.git/modules`.
fn plan_remove_files(
    plan: &mut Plan,
    ws: &Workspace,
    root_git: &Git,
    pkg: &Package,
    submodule: Option<&Submodule>,
) -> Result<(Vec<String>, Option<PathBuf>)> {
    let (name, rel) = (pkg.name.as_str(), pkg.rel_path.as_str());
    let mut paths: Vec<String> = Vec::new();
    let mut kept_git_dir = None;
    if let Some(sm) = submodule {
        plan.git(
            None,
            &ws.root,
            ["submodule", "deinit", "--quiet", "--force", "--", rel],
        );
        plan.git(None, &ws.root, ["rm", "--quiet", "-r", "-f", "--", rel]);
        paths.extend([".gitmodules".to_owned(), rel.to_owned()]);
        let module_dir = root_git.git_path(&format!("modules/{}", sm.name))?;
        kept_git_dir = module_dir.exists().then_some(module_dir);
    } else {
        if root_git.is_tracked(rel)? {
            plan.git(None, &ws.root, ["rm", "--quiet", "-r", "-f", "--", rel]);
            paths.push(rel.to_owned());
        }
        plan.remove_dir(Some(name), &pkg.dir);
    }
    Ok((paths, kept_git_dir))
}

/// The package unregistered from the dev (dependency, source, workspace member), staging and
/// prod manifests, and the edited ones staged: the paths to commit.
fn plan_unregister(plan: &mut Plan, ws: &Workspace, name: &str, rel: &str) -> Result<Vec<String>> {
    let mut manifests = vec![("pyproject.toml".to_owned(), true)];
    for extra in [
        &ws.config.staging_pyproject_path,
        &ws.config.prod_pyproject_path,
    ] {
        manifests.push((extra.clone(), false));
    }
    let mut edited: Vec<String> = Vec::new();
    for (manifest_rel, dev) in manifests {
        let file = ws.root.join(&manifest_rel);
        if !file.is_file() {
            continue;
        }
        let mut doc = load_manifest(&file)?;
        doc.remove_dependency(name);
        doc.remove_source(name);
        if dev {
            doc.remove_workspace_member(rel);
        }
        if doc.is_changed() {
            plan.write(None, &file, doc.render());
            edited.push(manifest_rel);
        }
    }
    if !edited.is_empty() {
        plan.git(
            None,
            &ws.root,
            ["add", "--"]
                .into_iter()
                .chain(edited.iter().map(String::as_str)),
        );
    }
    Ok(edited)
}

/// Work that deleting the package's directory would lose: uncommitted changes, commits on no
/// remote, a stash.
fn work_at_risk(pkg: &Package) -> Result<Vec<String>> {
    if !pkg.dir.join(".git").exists() {
        return Ok(Vec::new());
    }
    let git = Git::new(&pkg.dir);
    let check = |e: GitError| {
        UserError::failure(format!(
            "Cannot check {} ({}) for unsaved work: {}",
            pkg.name,
            pkg.rel_path,
            reason(&e)
        ))
        .with_hint("fix the repository, or pass --force to remove it regardless")
    };
    let mut losses = Vec::new();
    let status = git.status().map_err(check)?;
    if status.dirty() > 0 {
        let mut text = plural(status.dirty(), "uncommitted change");
        let shown: Vec<&str> = status.changed.iter().take(3).map(String::as_str).collect();
        let _ = write!(
            text,
            " ({}{})",
            shown.join(", "),
            if status.dirty() > shown.len() {
                ", ..."
            } else {
                ""
            }
        );
        losses.push(text);
    }
    let unpushed = git.unpushed_commits().map_err(check)?;
    if unpushed > 0 {
        losses.push(format!(
            "{} not pushed to any remote",
            plural(unpushed as usize, "commit")
        ));
    }
    if git.has_stash().map_err(check)? {
        losses.push("a stash".to_owned());
    }
    Ok(losses)
}

// ---------------------------------------------------------------------------------------------
// helpers

fn load_manifest(path: &Path) -> Result<PyProject> {
    PyProject::load(path).map_err(|e| {
        UserError::usage(e.to_string())
            .with_hint("fix the file and run the command again")
            .into()
    })
}

/// git's own words for a failure (its stderr), without the argv and directory.
fn reason(err: &GitError) -> String {
    match err.stderr() {
        Some(stderr) => {
            let mut text = String::new();
            for line in stderr.lines().map(str::trim).filter(|l| !l.is_empty()) {
                if !text.is_empty() {
                    text.push(' ');
                }
                // `fatal: X` lines are sentences of their own; the others continue them.
                match line
                    .strip_prefix("fatal: ")
                    .or_else(|| line.strip_prefix("error: "))
                {
                    Some(sentence) => {
                        text.push_str(sentence);
                        if !sentence.ends_with(['.', '!', '?', ':']) {
                            text.push('.');
                        }
                    }
                    None => text.push_str(line),
                }
            }
            text
        }
        None => err.to_string(),
    }
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// `a`, `a and b`, `a, b and c`.
fn join_and(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_names_from_urls() {
        for (url, name) in [
            ("https://github.com/acme/extra-pkg.git", "extra-pkg"),
            ("https://github.com/acme/extra-pkg/", "extra-pkg"),
            ("git@github.com:acme/extra-pkg.git", "extra-pkg"),
            ("host:extra-pkg.git", "extra-pkg"),
            ("file:///tmp/remotes/extra-pkg.git/", "extra-pkg"),
            ("/tmp/work/extra-pkg", "extra-pkg"),
        ] {
            assert_eq!(repo_name(url).as_deref(), Some(name), "{url}");
        }
        assert_eq!(repo_name("file:///"), None);
        assert_eq!(repo_name("/tmp/.."), None);
    }

    #[test]
    fn url_kinds() {
        let cwd = Path::new("/work/here");
        assert_eq!(
            resolve_url("../extra-pkg.git", cwd).unwrap(),
            ("file:///work/here/../extra-pkg.git".to_owned(), true)
        );
        assert!(resolve_url("file:///srv/x.git", cwd).unwrap().1);
        assert!(!resolve_url("https://example.com/x.git", cwd).unwrap().1);
        assert!(!resolve_url("git@example.com:acme/x.git", cwd).unwrap().1);
        assert!(resolve_url("--upload-pack=evil", cwd).is_err());
        assert!(resolve_url("  ", cwd).is_err());
    }

    #[test]
    fn rel_paths() {
        assert_eq!(checked_rel_path("libs/x").unwrap(), "libs/x");
        assert_eq!(checked_rel_path("./libs//x/").unwrap(), "libs/x");
        for bad in [
            "../x",
            "libs/../../x",
            "/abs",
            "-x",
            "libs/-x",
            ".git/x",
            ".",
            "",
        ] {
            assert!(checked_rel_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn member_globs_follow_uv() {
        let dev = PyProject::parse(
            Path::new("pyproject.toml"),
            "[tool.uv.workspace]\nmembers = [\"packages/*\", \"./tools/cli/\"]\nexclude = [\"packages/old\"]\n",
        )
        .unwrap();
        assert!(is_member(&dev, "packages/x"));
        assert!(is_member(&dev, "tools/cli"));
        assert!(!is_member(&dev, "packages/a/b"));
        assert!(!is_member(&dev, "packages/old"));
        assert!(!is_member(&dev, "libs/x"));
    }

    #[test]
    fn git_reasons_read_as_sentences() {
        let err = GitError::from(crate::core::process::ProcessError::Failed {
            argv: "git ls-remote".to_owned(),
            dir: "/tmp".to_owned(),
            exit: crate::core::process::Exit {
                code: Some(128),
                signal: None,
            },
            output: "fatal: 'x' does not appear to be a git repository\n\
                     fatal: Could not read from remote repository.\n\n\
                     Please make sure you have the correct access rights\n\
                     and the repository exists."
                .to_owned(),
        });
        assert_eq!(
            reason(&err),
            "'x' does not appear to be a git repository. Could not read from remote \
             repository. Please make sure you have the correct access rights and the \
             repository exists."
        );
    }

    #[test]
    fn lists_read_well() {
        assert_eq!(join_and(&["a"]), "a");
        assert_eq!(join_and(&["a", "b"]), "a and b");
        assert_eq!(join_and(&["a", "b", "c"]), "a, b and c");
        assert_eq!(plural(1, "commit"), "1 commit");
        assert_eq!(plural(2, "commit"), "2 commits");
    }
}
