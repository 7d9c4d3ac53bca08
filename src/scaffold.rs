//! Scaffolding: a root workspace and standalone micro-packages (SPEC §1).
//!
//! Used by `demo` today and by `init`/`new` (which add their plans and checks on top).
//! Nothing here overwrites an existing file: it only creates what is missing.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use crate::config::Config;
use crate::error::UserError;
use crate::fsutil::atomic_write;
use crate::git::Git;
use crate::pyproject::{self, PyProject, Source};

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
}

/// Whether `name` is a valid Python project name (PEP 508).
pub fn is_valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The import name of a package: `data-loader` → `data_loader`.
pub fn module_name(name: &str) -> String {
    pyproject::normalize_name(name).replace('-', "_")
}

fn write_new(path: &Path, contents: &str) -> Result<bool> {
    if path.exists() {
        return Ok(false);
    }
    atomic_write(path, contents.as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(true)
}

fn manifest(header: &str, name: &str, requires_python: &str, workspace: bool) -> String {
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
    )
}

/// Create (or complete) a root workspace; returns the files created.
pub fn init_root(req: &InitRequest) -> Result<Vec<String>> {
    if !is_valid_name(&req.name) {
        return Err(UserError::usage(format!("Invalid project name `{}`", req.name))
            .with_hint("use letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit")
            .into());
    }
    let dir = &req.dir;
    fs_err::create_dir_all(dir)?;
    let git = Git::new(dir);
    if !dir.join(".git").exists() {
        git.init("main")?;
    }
    let config = Config::default();
    let files: Vec<(String, String)> = vec![
        (
            "pyproject.toml".to_owned(),
            manifest("", &req.name, &req.requires_python, true),
        ),
        (
            config.staging_pyproject_path.clone(),
            manifest(
                "Staging manifest: every package pinned to its newest tag (dev, pre or final),\n\
                 so a clone without submodules installs them from their remotes.\n\
                 Maintained by `release-tool manifests`; edit [project] in the root pyproject.toml.",
                &req.name,
                &req.requires_python,
                false,
            ),
        ),
        (
            config.prod_pyproject_path.clone(),
            manifest(
                "Production manifest: every package pinned to its newest final release tag\n\
                 (or name==version from an index with prod_source = \"index\").\n\
                 Maintained by `release-tool manifests`; the Docker image is built from it.",
                &req.name,
                &req.requires_python,
                false,
            ),
        ),
        ("release_tool.toml".to_owned(), default_config_text()),
        (
            ".gitignore".to_owned(),
            format!(
                ".venv/\n__pycache__/\n*.pyc\n.release_tool/\n{}/\ndist/\n",
                config.changes_output_dir
            ),
        ),
    ];
    let mut created = Vec::new();
    for (rel, text) in &files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            fs_err::create_dir_all(parent)?;
        }
        if write_new(&path, text)? {
            created.push(rel.clone());
        }
    }
    if !created.is_empty() {
        let paths: Vec<&str> = created.iter().map(String::as_str).collect();
        git.add(&paths)?;
        git.commit("chore: initialize release-tool workspace", false)?;
    }
    Ok(created)
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

/// Create a standalone package in `<packages_dir>/<name>` with its own repository, push it to
/// its remote and register it (submodule, dev manifest); returns the package directory.
pub fn new_package(root: &Path, config: &Config, req: &NewPackageRequest) -> Result<PathBuf> {
    if !is_valid_name(&req.name) {
        return Err(UserError::usage(format!("Invalid package name `{}`", req.name))
            .with_hint("use letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit")
            .into());
    }
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
    fs_err::create_dir_all(dir.join("src").join(&module))?;
    fs_err::create_dir_all(dir.join("tests"))?;
    let files = [
        (
            "pyproject.toml".to_owned(),
            package_pyproject(req, &requires_python),
        ),
        (
            format!("src/{module}/__init__.py"),
            format!(
                "\"\"\"{}.\"\"\"\n\n\ndef hello() -> str:\n    return \"Hello from {}!\"\n",
                req.description
                    .as_deref()
                    .unwrap_or(&req.name)
                    .trim_end_matches('.'),
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
    ];
    for (file, text) in &files {
        write_new(&dir.join(file), text)?;
    }
    let git = Git::new(&dir);
    git.init("main")?;
    let root_git = Git::new(root);
    // A package inherits an identity set locally in the root repository (as `demo` does).
    for key in ["user.name", "user.email"] {
        if let Some(value) = root_git
            .run(["config", "--local", "--get", key])
            .ok()
            .map(|v| v.trim().to_owned())
        {
            git.config_set(key, &value)?;
        }
    }
    git.add(&["."])?;
    git.commit(&format!("chore: scaffold {}", req.name), false)?;
    if let Some(url) = &req.remote {
        git.remote_add(&config.git_remote, url)?;
        git.push(&config.git_remote, &["main:main"])?;
        git.run([
            "branch",
            "--quiet",
            "--set-upstream-to",
            &format!("{}/main", config.git_remote),
        ])?;
        let local = url.starts_with("file:") || Path::new(url).is_absolute();
        root_git.submodule_add(url, &rel, "main", local)?;
    }
    // Register in the dev manifest: a dependency, and a workspace source in the root
    // (uv applies root sources to every member).
    dev.add_dependency(&req.name)?;
    dev.set_source(
        &req.name,
        &Source {
            workspace: true,
            ..Source::default()
        },
    );
    dev.save()?;
    let mut paths = vec!["pyproject.toml".to_owned()];
    if req.remote.is_some() {
        paths.extend([".gitmodules".to_owned(), rel.clone()]);
    }
    let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
    root_git.add(&paths)?;
    root_git.commit(&format!("feat: add package {}", req.name), false)?;
    Ok(dir)
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
