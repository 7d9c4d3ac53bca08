//! Scaffolding: a root workspace and standalone micro-packages (docs/reference.md §1).
//!
//! Used by `demo` today and by `init`/`new` (which add their plans and checks on top).
//! Nothing here overwrites an existing file: it only creates what is missing.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::config::Config;
use crate::core::error::UserError;
use crate::git::Git;
use crate::plan::{Plan, StepKind};
use crate::python::pyproject::{self, PyProject, Source};

/// The `requires-python` of new workspaces.
pub const DEFAULT_REQUIRES_PYTHON: &str = ">=3.10";

/// A new root workspace.
#[derive(Clone, Debug)]
pub struct InitRequest {
    pub dir: PathBuf,
    pub name: String,
    pub requires_python: String,
}

/// A new package.
#[derive(Clone, Debug)]
pub struct NewPackageRequest {
    pub name: String,
    pub description: Option<String>,
    /// Workspace packages it depends on.
    pub deps: Vec<String>,
    /// Remote to push to and register as a submodule.
    pub remote: Option<String>,
    /// A plain directory of the root repository (no repository of its own, no submodule):
    /// its files are committed in the root commit that registers it.
    pub in_tree: bool,
}

/// Whether `name` is a valid Python project name (PEP 508).
pub fn is_valid_name(name: &str) -> bool {
    crate::core::safety::package_name(name).is_ok()
}

/// The import name of a package: `data-loader` → `data_loader`.
pub fn module_name(name: &str) -> String {
    pyproject::normalize_name(name).replace('-', "_")
}

/// Header comment of a new staging manifest.
pub const STAGING_HEADER: &str = "Staging manifest: every package pinned to its newest tag (dev, pre or final),\n\
    so a clone without submodules installs them from their remotes.\n\
    Maintained by `release-tool manifests`; edit [project] in the root pyproject.toml.";

/// Header comment of a new prod manifest.
pub const PROD_HEADER: &str = "Production manifest: every package pinned to its newest final release tag\n\
    (or name==version from an index with prod_source = \"index\").\n\
    Maintained by `release-tool manifests`; the Docker image is built from it.";

/// The text of a new manifest: `[project]`, `[tool.uv] package = false`, an optional uv
/// workspace (dev only) and an empty `[tool.uv.sources]`.
pub fn manifest(header: &str, name: &str, requires_python: &str, workspace: bool) -> String {
    let mut text = String::new();
    for line in header.lines() {
        text.push_str("# ");
        text.push_str(line);
        text.push('\n');
    }
    if !header.is_empty() {
        text.push('\n');
    }
    let _ = write!(
        text,
        "[project]\nname = \"{name}\"\nversion = \"0.1.0\"\nrequires-python = \"{requires_python}\"\ndependencies = []\n\n\
         [tool.uv]\n# The root ships no code of its own: it only gathers the packages.\npackage = false\n"
    );
    if workspace {
        text.push_str("\n[tool.uv.workspace]\nmembers = [\"packages/*\"]\n");
    }
    text.push_str("\n[tool.uv.sources]\n");
    text
}

/// The commented `release_tool.toml` listing every key with its default.
pub fn default_config_text() -> String {
    let c = Config::default();
    format!(
        "# release-tool configuration. Every key is shown with its default; uncomment to change.\n\
         [tool.release_tool]\n\
         # packages_dir = \"{}\"\n\
         # changes_output_dir = \"{}\"\n\
         # changes_uncommitted_filename = \"{}\"\n\
         # changes_since_tag_filename = \"{}\"\n\
         # commit_message_filename = \"{}\"\n\
         # tag_message_filename = \"{}\"\n\
         # staging_pyproject_path = \"{}\"\n\
         # prod_pyproject_path = \"{}\"\n\
         # tag_prefix = \"{}\"\n\
         # git_remote = \"{}\"\n\
         # dry_run = false\n\
         # base_branch = \"{}\"\n\
         # dev_branch = \"{}\"\n\
         # prod_source = \"git\"          # or \"index\": prod pins name==version from a package index\n\
         # changelog = \"{}\"     # \"\" disables changelog updates\n\
         # dependents = \"raise\"        # dependents' requirements on a released package: \"raise\" (>=), \"exact\" (==) or \"keep\"\n\
         # jobs = 8                      # parallel workers (default: CPU count)\n\
         \n\
         # [tool.release_tool.forge]\n\
         # kind = \"github\"               # \"github\", \"gitea\" or \"none\"\n\
         # api_url = \"https://api.github.com\"\n\
         # token_env = \"GITHUB_TOKEN\"\n\
         # releases = true\n\
         # pull_requests = true\n\
         \n\
         # [tool.release_tool.llm]\n\
         # base_url = \"{}\"\n\
         # model = \"{}\"\n\
         # api_key_env = \"{}\"\n\
         # max_diff_bytes = {}\n\
         \n\
         # [tool.release_tool.docker]      # the production image (`release-tool docker`), docs/docker.md\n\
         # preset = \"slim\"               # python:3.12-slim-bookworm; \"cuda\": nvidia/cuda with a managed Python\n\
         # base_image = \"python:3.12-slim-bookworm\"\n\
         # uv_version = \"{}\"\n\
         # image = \"registry.example.com/team/product\"   # default: the prod project's name\n\
         # tags = [\"{{version}}\", \"latest\"]\n\
         # cmd = [\"python\", \"-m\", \"app\"]\n\
         # engine = \"auto\"               # \"docker\", \"podman\" or \"buildah\"\n\
         # on_release = false            # `release --push` builds and pushes the image last (as --image)\n\
         \n\
         # [tool.release_tool.packages.my-package]\n\
         # tag_prefix = \"my-package-v\"\n\
         # skip = false\n\
         # repository = \"owner/repo\"\n",
        c.packages_dir,
        c.changes_output_dir,
        c.changes_uncommitted_filename,
        c.changes_since_tag_filename,
        c.commit_message_filename,
        c.tag_message_filename,
        c.staging_pyproject_path,
        c.prod_pyproject_path,
        c.tag_prefix,
        c.git_remote,
        c.base_branch,
        c.dev_branch,
        c.changelog,
        c.llm.base_url,
        c.llm.model,
        c.llm.api_key_env,
        c.llm.max_diff_bytes,
        crate::python::uv::DEFAULT_UV_VERSION,
    )
}

/// Plan the creation (or completion) of a root workspace: a git repository on `main`, the dev,
/// staging and prod manifests, `release_tool.toml`, `.gitignore`, and a first commit of what was
/// created. Existing files are never overwritten; an existing root `pyproject.toml` without
/// `[tool.uv.workspace]` gets one. Planning a complete workspace gives an empty plan.
pub fn plan_init(req: &InitRequest) -> Result<Plan> {
    if !is_valid_name(&req.name) {
        return Err(UserError::usage(format!("Invalid project name `{}`", req.name))
            .with_hint("use letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit, or pass --name")
            .into());
    }
    let dir = &req.dir;
    if dir.exists() && !dir.is_dir() {
        return Err(
            UserError::usage(format!("{} exists and is not a directory", dir.display())).into(),
        );
    }
    let mut plan = Plan::new(dir);
    plan.mkdir(None, dir);
    if !dir.join(".git").exists() {
        plan.git(None, dir, ["init", "--quiet", "-b", "main"]);
    }
    let config = Config::default();
    let root_manifest = dir.join("pyproject.toml");
    let mut dev = None;
    if root_manifest.is_file() {
        let mut doc = PyProject::load(&root_manifest)?;
        dev = Some(doc.clone());
        if doc.workspace_members().is_none() {
            doc.add_workspace_member(&format!("{}/*", config.packages_dir));
            plan.write(None, &root_manifest, doc.render());
        }
    } else {
        plan.create(
            None,
            &root_manifest,
            manifest("", &req.name, &req.requires_python, true),
        );
    }
    // In an existing root, the staging and prod manifests start in step with its dev manifest:
    // its name and requires-python, and what the product needs to install (its extras,
    // indexes, resolver settings and non-member sources); `manifests` adds the pins.
    let from_dev = |rel: &str, header: &str| -> Result<String> {
        let Some(dev) = &dev else {
            return Ok(manifest(header, &req.name, &req.requires_python, false));
        };
        let mut dev = dev.clone();
        dev.doc_mut();
        let text = manifest(
            header,
            dev.name().unwrap_or(&req.name),
            dev.requires_python().unwrap_or(&req.requires_python),
            false,
        );
        let mut doc = PyProject::parse(&dir.join(rel), &text)?;
        let prefix = super::manifests::path_prefix(rel);
        super::manifests::sync_product(
            &mut doc,
            &dev,
            &std::collections::BTreeSet::new(),
            prefix.as_deref(),
        );
        Ok(doc.render())
    };
    let files: Vec<(String, String)> = vec![
        (
            config.staging_pyproject_path.clone(),
            from_dev(&config.staging_pyproject_path, STAGING_HEADER)?,
        ),
        (
            config.prod_pyproject_path.clone(),
            from_dev(&config.prod_pyproject_path, PROD_HEADER)?,
        ),
        (crate::config::CONFIG_FILE.to_owned(), default_config_text()),
        (
            ".gitignore".to_owned(),
            format!(
                ".venv/\n__pycache__/\n*.pyc\n.release_tool/\n{}/\ndist/\n",
                config.changes_output_dir
            ),
        ),
    ];
    for (rel, text) in &files {
        plan.create(None, dir.join(rel), text.clone());
    }
    let touched: Vec<String> = plan
        .steps
        .iter()
        .filter_map(|s| match &s.kind {
            StepKind::WriteFile { path, .. } => path
                .strip_prefix(dir)
                .ok()
                .map(|p| p.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    if !touched.is_empty() {
        let mut args = vec!["add".to_owned(), "--".to_owned()];
        args.extend(touched);
        plan.git(None, dir, args);
        let message = if dir.join(".git").exists() {
            "chore: complete release-tool workspace"
        } else {
            "chore: initialize release-tool workspace"
        };
        plan.git(None, dir, ["commit", "--quiet", "-m", message]);
    }
    Ok(plan)
}

fn package_pyproject(req: &NewPackageRequest, requires_python: &str) -> String {
    let description = req
        .description
        .clone()
        .unwrap_or_else(|| format!("The {} micro-package.", req.name));
    let deps = if req.deps.is_empty() {
        "[]".to_owned()
    } else {
        let items: Vec<String> = req.deps.iter().map(|d| format!("    \"{d}\",\n")).collect();
        format!("[\n{}]", items.concat())
    };
    format!(
        "[project]\nname = \"{}\"\nversion = \"0.1.0.dev0\"\ndescription = {}\nreadme = \"README.md\"\n\
         requires-python = \"{requires_python}\"\ndependencies = {deps}\n\n\
         [build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n\n\
         [tool.hatch.build.targets.wheel]\npackages = [\"src/{}\"]\n",
        req.name,
        toml_edit::Value::from(description.as_str()),
        module_name(&req.name),
    )
}

/// Plan a standalone package in `<packages_dir>/<name>` with its own repository (branch `main`,
/// first commit), or with `in_tree` a plain directory of the root repository (its files go
/// into the root commit below; no repository, no remote); with a remote (a local path is stored as a `file://` URL, a relative one taken
/// from the root), push it and register it as a submodule (`branch = main`); then
/// register it in the dev manifest (a dependency, and `{ workspace = true }` in the root's
/// sources) and commit the root.
///
/// `existing` are the names of the workspace's packages: a duplicate name is refused, and every
/// `--dep` must be one of them.
pub fn plan_new(
    root: &Path,
    config: &Config,
    existing: &[String],
    req: &NewPackageRequest,
) -> Result<Plan> {
    check_new_request(root, existing, req)?;
    let rel = format!("{}/{}", config.packages_dir.trim_end_matches('/'), req.name);
    let dir = root.join(&rel);
    if dir.exists() {
        return Err(
            UserError::usage(format!("{} already exists", dir.display()))
                .with_hint("choose another name, or remove the directory first")
                .into(),
        );
    }
    let root_manifest = root.join("pyproject.toml");
    let mut dev = PyProject::load(&root_manifest)?;
    let requires_python = dev
        .requires_python()
        .unwrap_or(DEFAULT_REQUIRES_PYTHON)
        .to_owned();
    let module = module_name(&req.name);
    let pkg = Some(req.name.as_str());
    let mut plan = Plan::new(root);
    plan.mkdir(pkg, dir.join("src").join(&module));
    plan.mkdir(pkg, dir.join("tests"));
    for (file, text) in new_package_files(req, &module, &requires_python) {
        plan.create(pkg, dir.join(file), text);
    }
    if !req.in_tree {
        plan_first_commit(&mut plan, root, &dir, req);
    }
    if let Some(given) = req.remote.as_ref().filter(|_| !req.in_tree) {
        // A path (absolute, or relative to the root) is stored as a `file://` URL: git reads it
        // the same, and the staging and prod pins made from it are URLs uv reads.
        let url = crate::workspace::local_remote_url(given, root);
        plan_push_and_submodule(&mut plan, root, &dir, &rel, &url, config, req);
    }
    plan_root_registration(&mut plan, root, &mut dev, &rel, req)?;
    Ok(plan)
}

/// The request's own checks: a valid name no package has yet, `--dep`s that are packages of
/// the workspace, a remote URL git takes as one.
fn check_new_request(root: &Path, existing: &[String], req: &NewPackageRequest) -> Result<()> {
    if !is_valid_name(&req.name) {
        return Err(UserError::usage(format!("Invalid package name `{}`", req.name))
            .with_hint("use letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit")
            .into());
    }
    let key = pyproject::normalize_name(&req.name);
    if let Some(other) = existing
        .iter()
        .find(|e| pyproject::normalize_name(e) == key)
    {
        return Err(UserError::usage(format!(
            "A package named `{other}` already exists in {}",
            root.display()
        ))
        .with_hint("choose another name")
        .into());
    }
    for dep in &req.deps {
        if !existing
            .iter()
            .any(|e| pyproject::normalize_name(e) == pyproject::normalize_name(dep))
        {
            let names: Vec<&str> = existing.iter().map(String::as_str).collect();
            let mut err =
                UserError::usage(format!("--dep `{dep}` is not a package of this workspace"));
            err = match crate::config::nearest(dep, &names) {
                Some(n) => err.with_hint(format!("did you mean `{n}`?")),
                None => err.with_hint(
                    "create it first with `release-tool new`, or add it with `release-tool add`",
                ),
            };
            return Err(err.into());
        }
    }
    if let Some(url) = &req.remote
        && let Err(why) = crate::core::safety::remote_url(url)
    {
        return Err(
            UserError::usage(format!("Invalid remote URL `{url}`: {why}"))
                .with_hint(
                    "pass the URL of the package's git repository (https, ssh, file or a path)",
                )
                .into(),
        );
    }
    Ok(())
}

/// The starter files of a new package, relative to its directory.
fn new_package_files(
    req: &NewPackageRequest,
    module: &str,
    requires_python: &str,
) -> [(String, String); 6] {
    let summary = req
        .description
        .as_deref()
        .unwrap_or(&req.name)
        .trim_end_matches('.')
        .to_owned();
    [
        (
            "pyproject.toml".to_owned(),
            package_pyproject(req, requires_python),
        ),
        (
            format!("src/{module}/__init__.py"),
            format!(
                "\"\"\"{summary}.\"\"\"\n\n\ndef hello() -> str:\n    return \"Hello from {}!\"\n",
                req.name
            ),
        ),
        (format!("src/{module}/py.typed"), String::new()),
        (
            format!("tests/test_{module}.py"),
            format!(
                "from {module} import hello\n\n\ndef test_hello() -> None:\n    assert \"{}\" in hello()\n",
                req.name
            ),
        ),
        (
            "README.md".to_owned(),
            format!(
                "# {}\n\n{}\n\nInstall: `pip install {}` or `uv add {}`.\n",
                req.name,
                req.description.as_deref().unwrap_or("A micro-package."),
                req.name,
                req.name
            ),
        ),
        (
            ".gitignore".to_owned(),
            ".venv/\n__pycache__/\n*.pyc\ndist/\n".to_owned(),
        ),
    ]
}

/// The package's own repository: `git init` on `main`, the root's local identity, the first
/// commit.
fn plan_first_commit(plan: &mut Plan, root: &Path, dir: &Path, req: &NewPackageRequest) {
    let pkg = Some(req.name.as_str());
    plan.git(pkg, dir, ["init", "--quiet", "-b", "main"]);
    // A package inherits an identity set locally in the root repository (as `demo` does).
    let root_git = Git::new(root);
    for key in ["user.name", "user.email"] {
        if let Ok(value) = root_git.run(["config", "--local", "--get", key]) {
            plan.git(pkg, dir, ["config", "--local", key, value.trim()]);
        }
    }
    plan.git(pkg, dir, ["add", "--all"]);
    plan.git(
        pkg,
        dir,
        [
            "commit",
            "--quiet",
            "-m",
            &format!("chore: scaffold {}", req.name),
        ],
    );
}

/// With a remote: push the package and register it as a submodule of the root
/// (`branch = main`).
fn plan_push_and_submodule(
    plan: &mut Plan,
    root: &Path,
    dir: &Path,
    rel: &str,
    url: &str,
    config: &Config,
    req: &NewPackageRequest,
) {
    let pkg = Some(req.name.as_str());
    let remote = config.git_remote.as_str();
    plan.git(pkg, dir, ["remote", "add", "--", remote, url]);
    plan.git(
        pkg,
        dir,
        ["push", "--quiet", "--set-upstream", remote, "main:main"],
    );
    let mut add: Vec<&str> = Vec::new();
    if url.starts_with("file:") || Path::new(url).is_absolute() {
        // git refuses local transports for submodules unless allowed for the call.
        add.extend(["-c", "protocol.file.allow=always"]);
    }
    add.extend(["submodule", "add", "--quiet", "-b", "main", "--", url, rel]);
    plan.git(None, root, add);
    plan.git(None, root, ["submodule", "absorbgitdirs", "--", rel]);
}

/// The root's side: the dependency and its `{ workspace = true }` source in the dev manifest,
/// then a root commit.
fn plan_root_registration(
    plan: &mut Plan,
    root: &Path,
    dev: &mut PyProject,
    rel: &str,
    req: &NewPackageRequest,
) -> Result<()> {
    let root_manifest = root.join("pyproject.toml");
    dev.add_dependency(&req.name)?;
    dev.set_source(
        &req.name,
        &Source {
            workspace: true,
            ..Source::default()
        },
    );
    plan.write(None, &root_manifest, dev.render());
    let mut add = vec!["add", "--", "pyproject.toml"];
    if req.in_tree {
        add.push(rel);
    } else if req.remote.is_some() {
        add.extend([".gitmodules", rel]);
    }
    plan.git(None, root, add);
    plan.git(
        None,
        root,
        [
            "commit",
            "--quiet",
            "-m",
            &format!("feat: add package {}", req.name),
        ],
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_valid_name("core-utils"));
        assert!(is_valid_name("a"));
        assert!(is_valid_name("A.b_c-1"));
        assert!(!is_valid_name(""));
        assert!(!is_valid_name("-x"));
        assert!(!is_valid_name("x-"));
        assert!(!is_valid_name("a b"));
        assert!(!is_valid_name("../x"));
        assert_eq!(module_name("Data.Loader"), "data_loader");
    }

    #[test]
    fn default_config_parses_and_lists_every_top_key() {
        let text = default_config_text();
        let uncommented: String = text
            .lines()
            .map(|l| {
                l.strip_prefix("# ")
                    .filter(|l| l.contains(" = "))
                    .unwrap_or("")
            })
            .map(|l| l.split("  #").next().unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n");
        // Every key of the original tool is listed.
        for key in [
            "packages_dir",
            "changes_output_dir",
            "tag_prefix",
            "git_remote",
            "dry_run",
            "base_branch",
        ] {
            assert!(uncommented.contains(key), "{key}");
        }
        crate::config::parse_config_file(Path::new("release_tool.toml"), &text).unwrap();
    }
}
