//! The production image (docs/reference.md §6, stage 7): a `Dockerfile` and `.dockerignore` rendered from
//! the prod manifest and lock, and the engine commands that build, push and run it.
//!
//! - [`Settings`]: `[tool.release_tool.docker]` with presets and defaults applied;
//! - [`inspect`]: what the prod manifest and lock say (name, version, git sources, whether
//!   the root ships code), with the lock checked against the manifest;
//! - [`render`]: the files, from the built-in minijinja templates or the user's
//!   `release_tool/templates/Dockerfile.j2` (pure: same inputs, byte-identical output);
//! - [`plan`]: a [`Plan`] that writes the files and runs the engine (`--build`, `--push`,
//!   `--run`), shown as it is by `--dry-run`.
//!
//! The image labels that change with every commit (version, revision, creation time) are
//! build arguments, not part of the file: the committed Dockerfile stays current across
//! releases, and `created` comes from `SOURCE_DATE_EPOCH` or the commit date, never the clock.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::Result;
use minijinja::{Environment, UndefinedBehavior};
use serde::{Deserialize, Serialize};

pub use crate::config::PythonMode;
use crate::config::{DockerConfig, EngineChoice, Preset};
use crate::core::error::UserError;
use crate::engine::{BuildSpec, Engine, Secret};
use crate::git::Git;
use crate::plan::Plan;
use crate::python::pyproject::{PyProject, normalize_name};
use crate::workspace::Workspace;

/// uv's image, when `uv_image` is not set.
pub const DEFAULT_UV_IMAGE: &str = "ghcr.io/astral-sh/uv";
/// The uv version copied into images, when `uv_version` is not set.
pub use crate::python::uv::DEFAULT_UV_VERSION;
/// Python of the presets, when `python_version` is not set.
pub const DEFAULT_PYTHON_VERSION: &str = "3.12";
/// CUDA of the `cuda` preset, when `cuda_version` is not set.
pub const DEFAULT_CUDA_VERSION: &str = "12.6.3";
/// Where the Dockerfile goes, relative to the root.
pub const DEFAULT_DOCKERFILE: &str = "docker/Dockerfile";
/// Where users put their own templates, relative to the root.
pub const TEMPLATES_DIR: &str = "release_tool/templates";
/// The uid and gid the application runs as.
pub const APP_UID: u32 = 999;

/// The built-in Dockerfile template.
pub const DEFAULT_DOCKERFILE_TEMPLATE: &str = include_str!("Dockerfile.j2");
/// The built-in `.dockerignore` template.
pub const DEFAULT_DOCKERIGNORE_TEMPLATE: &str = include_str!("dockerignore.j2");

/// `[tool.release_tool.docker]` with presets and defaults applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub preset: Option<Preset>,
    pub base_image: String,
    pub builder_image: String,
    pub uv_image: String,
    pub uv_version: String,
    pub python: PythonMode,
    pub python_version: Option<String>,
    pub extras: Vec<String>,
    pub runtime_packages: Vec<String>,
    pub build_packages: Vec<String>,
    pub cmd: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    /// `None`: the prod project's name.
    pub image: Option<String>,
    /// Tag templates (`{version}`, `{major}`, `{minor}`, `{revision}`; see [`tags`]).
    pub tags: Vec<String>,
    /// Relative to the root.
    pub dockerfile: String,
    /// Relative to the root.
    pub context: String,
    pub engine: EngineChoice,
    pub build_args: BTreeMap<String, String>,
    pub platforms: Vec<String>,
    pub copy: Vec<String>,
    pub ca_bundle: Option<String>,
    pub git_config: Option<String>,
    pub secret_env: Vec<String>,
    pub insecure_registries: Vec<String>,
    /// As configured (absolute, or relative to the root).
    pub mounts: Vec<String>,
}

impl Settings {
    /// Apply the preset (`slim` unless a `base_image` is given) and the defaults.
    ///
    /// - `slim`: `python:<python_version>-slim-bookworm`, its own Python;
    /// - `cuda`: `nvidia/cuda:<cuda_version>-cudnn-runtime-ubuntu24.04`, a managed Python;
    /// - a `base_image` of your own: its own Python unless `python = "managed"`.
    ///
    /// The builder stages start from the runtime base unless `builder_image` says otherwise,
    /// so the environment's interpreter and libraries match the runtime's.
    pub fn from_config(c: &DockerConfig) -> Self {
        let preset = c
            .preset
            .or_else(|| c.base_image.is_none().then_some(Preset::Slim));
        let cuda = preset == Some(Preset::Cuda);
        let python = c.python.unwrap_or(if cuda && c.base_image.is_none() {
            PythonMode::Managed
        } else {
            PythonMode::System
        });
        let python_version = c.python_version.clone().or_else(|| {
            (preset.is_some() || python == PythonMode::Managed)
                .then(|| DEFAULT_PYTHON_VERSION.to_owned())
        });
        let base_image = c.base_image.clone().unwrap_or_else(|| {
            if cuda {
                format!(
                    "nvidia/cuda:{}-cudnn-runtime-ubuntu24.04",
                    c.cuda_version.as_deref().unwrap_or(DEFAULT_CUDA_VERSION)
                )
            } else {
                format!(
                    "python:{}-slim-bookworm",
                    python_version.as_deref().unwrap_or(DEFAULT_PYTHON_VERSION)
                )
            }
        });
        Self {
            preset: c.preset,
            builder_image: c
                .builder_image
                .clone()
                .unwrap_or_else(|| base_image.clone()),
            base_image,
            uv_image: c
                .uv_image
                .clone()
                .unwrap_or_else(|| DEFAULT_UV_IMAGE.to_owned()),
            uv_version: c
                .uv_version
                .clone()
                .unwrap_or_else(|| DEFAULT_UV_VERSION.to_owned()),
            python,
            python_version,
            extras: c.extras.clone(),
            runtime_packages: c.system_packages.runtime.clone(),
            build_packages: c.system_packages.build.clone(),
            cmd: c.cmd.clone(),
            entrypoint: c.entrypoint.clone(),
            image: c.image.clone(),
            tags: c
                .tags
                .clone()
                .unwrap_or_else(|| vec!["{version}".to_owned(), "latest".to_owned()]),
            dockerfile: c
                .dockerfile
                .clone()
                .unwrap_or_else(|| DEFAULT_DOCKERFILE.to_owned()),
            context: c.context.clone().unwrap_or_else(|| ".".to_owned()),
            engine: c.engine.unwrap_or(EngineChoice::Auto),
            build_args: c.build_args.clone(),
            platforms: c.platforms.clone(),
            copy: c.copy.clone(),
            ca_bundle: c.ca_bundle.clone(),
            git_config: c.git_config.clone(),
            secret_env: c.secret_env.clone(),
            insecure_registries: c.insecure_registries.clone(),
            mounts: c.mounts.clone(),
        }
    }

    /// The image name: `image`, else the prod project's name.
    pub fn image_name(&self, product: &Product) -> String {
        self.image
            .clone()
            .unwrap_or_else(|| normalize_name(&product.name))
    }

    /// Whether `reference` lives on a registry listed in `insecure_registries`.
    pub fn is_insecure(&self, reference: &str) -> bool {
        let host = registry_of(reference);
        host.is_some_and(|h| self.insecure_registries.iter().any(|r| r == h))
    }
}

/// The registry host of an image reference (`host[:port]` before the first `/`, when it looks
/// like one), if any.
pub fn registry_of(reference: &str) -> Option<&str> {
    let (first, _) = reference.split_once('/')?;
    (first.contains(['.', ':']) || first == "localhost").then_some(first)
}

/// What the prod manifest and lock say.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Product {
    /// `[project] name` of the prod manifest.
    pub name: String,
    /// Its static `[project] version`, if any.
    pub version: Option<String>,
    /// The manifest and the lock, relative to the context (`/`-separated).
    pub manifest: String,
    pub lock: String,
    /// Whether any package is pinned to a git repository (the deps stage needs git).
    pub git_sources: bool,
    /// The packages pinned to a git repository on this machine (`file://`): (name, path). A
    /// build reaches them only through `docker.mounts`.
    pub local_git_sources: Vec<(String, String)>,
    /// Whether the prod project is itself a package (installed into the environment too).
    pub ships_code: bool,
}

/// Read the prod manifest and lock; the lock must exist and match the manifest. Errors name
/// the file and end with `hint: ... release-tool lock prod`.
pub fn inspect(ws: &Workspace, settings: &Settings) -> Result<Product> {
    inspect_checked(ws, settings, true)
}

/// [`inspect`]; `check_lock`: whether the prod lock must exist and match the manifest now (not
/// when a release refreshes it before the image is built).
fn inspect_checked(ws: &Workspace, settings: &Settings, check_lock: bool) -> Result<Product> {
    let manifest_path = ws.path(&ws.config.prod_pyproject_path);
    let rel_manifest = ws.config.prod_pyproject_path.clone();
    if !manifest_path.is_file() {
        return Err(UserError::usage(format!(
            "No prod manifest: {rel_manifest} does not exist, and the image is built from it"
        ))
        .with_hint("run `release-tool init` to create it, then `release-tool manifests`")
        .into());
    }
    let doc = PyProject::load(&manifest_path)?;
    let name = doc.require_name()?.to_owned();
    let version = match doc.version_source() {
        crate::python::pyproject::VersionSource::Static(v) => Some(v),
        _ => None,
    };
    let dir = manifest_path
        .parent()
        .map_or_else(|| ws.root.clone(), Path::to_path_buf);
    let lock_path = dir.join("uv.lock");
    let rel_lock = ws.rel(&lock_path);
    if check_lock {
        check_prod_lock(&doc, &lock_path, &rel_lock, &rel_manifest)?;
    }
    let optional: BTreeSet<String> = doc
        .doc()
        .get("project")
        .and_then(|p| p.get("optional-dependencies"))
        .and_then(toml_edit::Item::as_table_like)
        .map(|t| t.iter().map(|(k, _)| normalize_name(k)).collect())
        .unwrap_or_default();
    for extra in &settings.extras {
        if !optional.contains(&normalize_name(extra)) {
            return Err(UserError::usage(format!(
                "Extra `{extra}` (docker.extras) is not in [project.optional-dependencies] of {rel_manifest}"
            ))
            .with_hint(if optional.is_empty() {
                "remove it from `extras` in [tool.release_tool.docker]".to_owned()
            } else {
                format!(
                    "use one of {}, or remove it from `extras`",
                    optional.iter().cloned().collect::<Vec<_>>().join(", ")
                )
            })
            .into());
        }
    }
    let context = ws.path(&settings.context);
    let in_context = |path: &Path, rel: &str| -> Result<String> {
        path.strip_prefix(&context)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .map_err(|_| {
                UserError::usage(format!(
                    "{rel} is outside the build context `{}` (docker.context)",
                    settings.context
                ))
                .with_hint("set `context` in [tool.release_tool.docker] to a directory that holds it, like \".\"")
                .into()
            })
    };
    let manifest = in_context(&manifest_path, &rel_manifest)?;
    let lock = in_context(&lock_path, &rel_lock)?;
    for path in &settings.copy {
        if fs_err::symlink_metadata(context.join(path)).is_err() {
            return Err(UserError::usage(format!(
                "`{path}` (docker.copy) does not exist in the build context `{}`",
                settings.context
            ))
            .with_hint("fix `copy` in [tool.release_tool.docker]: paths are relative to `context`")
            .into());
        }
    }
    let git_sources = doc.uv_sources().iter().any(|(_, s)| s.git.is_some());
    let local_git_sources = doc
        .uv_sources()
        .iter()
        .filter_map(|(name, s)| {
            let url = s.git.as_deref()?;
            let bare = url.strip_prefix("git+").unwrap_or(url);
            let path = bare
                .get(..7)
                .filter(|p| p.eq_ignore_ascii_case("file://"))?;
            Some((name.clone(), bare[path.len()..].to_owned()))
        })
        .collect();
    let uv_package = doc
        .doc()
        .get("tool")
        .and_then(|t| t.get("uv"))
        .and_then(|u| u.get("package"))
        .and_then(toml_edit::Item::as_bool);
    let ships_code = uv_package.unwrap_or_else(|| doc.doc().get("build-system").is_some());
    Ok(Product {
        name,
        version,
        manifest,
        lock,
        git_sources,
        local_git_sources,
        ships_code,
    })
}

/// The prod lock exists and matches the manifest (errors name the file and end with `hint:
/// ... release-tool lock prod`).
fn check_prod_lock(
    doc: &PyProject,
    lock_path: &Path,
    rel_lock: &str,
    rel_manifest: &str,
) -> Result<()> {
    if !lock_path.is_file() {
        return Err(UserError::failure(format!(
            "No prod lock: {rel_lock} does not exist, and the image installs exactly what it pins"
        ))
        .with_hint(format!(
            "run `release-tool lock prod`, then commit {rel_lock}"
        ))
        .into());
    }
    let lock_text = fs_err::read_to_string(lock_path)?;
    let problems = lock_mismatches(doc, &lock_text).map_err(|e| {
        UserError::failure(format!("Cannot read {rel_lock}: {e}"))
            .with_hint("run `release-tool lock prod` to write it again")
    })?;
    if let Some(first) = problems.first() {
        let more = match problems.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        return Err(UserError::failure(format!(
            "The prod lock {rel_lock} is out of date with {rel_manifest}: {first}{more}"
        ))
        .with_hint(format!(
            "run `release-tool lock prod`, then commit {rel_lock}"
        ))
        .into());
    }
    Ok(())
}

/// `uv.lock`, as far as the check needs it.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Lock {
    package: Vec<LockPackage>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LockPackage {
    name: String,
    version: Option<String>,
    source: BTreeMap<String, serde_json::Value>,
    metadata: LockMetadata,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LockMetadata {
    #[serde(rename = "requires-dist")]
    requires_dist: Vec<LockRequirement>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LockRequirement {
    name: String,
    git: Option<String>,
    marker: Option<String>,
}

/// Where the lock and the manifest disagree, one message each: dependencies missing on either
/// side, git pins at another tag or URL, `name==version` pins at another version. (A cheap,
/// offline subset of `uv lock --check`, for a clear error before any build starts.)
pub fn lock_mismatches(manifest: &PyProject, lock_text: &str) -> Result<Vec<String>> {
    let lock: Lock = toml_edit::de::from_str(lock_text).map_err(|e| {
        anyhow::anyhow!(
            "{}",
            e.message().lines().next().unwrap_or("invalid TOML").trim()
        )
    })?;
    let name = normalize_name(manifest.require_name()?);
    let is_root = |p: &&LockPackage| {
        normalize_name(&p.name) == name
            && ["virtual", "editable", "directory"]
                .iter()
                .any(|k| p.source.contains_key(*k))
    };
    let Some(root) = lock.package.iter().find(is_root) else {
        return Ok(vec![format!(
            "the lock has no entry for the project `{name}` itself"
        )]);
    };
    let locked: BTreeMap<String, &LockRequirement> = root
        .metadata
        .requires_dist
        .iter()
        .filter(|r| !r.marker.as_deref().is_some_and(|m| m.contains("extra")))
        .map(|r| (normalize_name(&r.name), r))
        .collect();
    let mut problems = Vec::new();
    let mut wanted = BTreeSet::new();
    for dep in manifest.dependencies() {
        let Ok(req) = crate::python::pyproject::parse_pep508(&dep) else {
            continue;
        };
        let dep_name = normalize_name(req.name.as_ref());
        wanted.insert(dep_name.clone());
        if !locked.contains_key(&dep_name) {
            problems.push(format!("`{dep_name}` is a dependency but is not locked"));
            continue;
        }
        if let Some(pep508_rs::VersionOrUrl::VersionSpecifier(specs)) = &req.version_or_url
            && let [spec] = specs.iter().collect::<Vec<_>>()[..]
            && *spec.operator() == pep440_rs::Operator::Equal
        {
            let pinned = spec.version().to_string();
            let have = lock
                .package
                .iter()
                .find(|p| normalize_name(&p.name) == dep_name)
                .and_then(|p| p.version.clone());
            if have.as_deref() != Some(pinned.as_str()) {
                problems.push(format!(
                    "`{dep_name}` is pinned to {pinned}, the lock has {}",
                    have.as_deref().unwrap_or("no version")
                ));
            }
        }
    }
    for locked_name in locked.keys() {
        if !wanted.contains(locked_name) {
            problems.push(format!(
                "`{locked_name}` is locked but is no longer a dependency"
            ));
        }
    }
    for (source_name, source) in manifest.uv_sources() {
        let Some(url) = &source.git else { continue };
        let key = normalize_name(&source_name);
        let Some(req) = locked.get(&key) else {
            continue;
        };
        let Some(git) = &req.git else {
            problems.push(format!(
                "`{key}` is pinned to git {url}, the lock does not take it from git"
            ));
            continue;
        };
        let (locked_url, query) = git.split_once('?').unwrap_or((git.as_str(), ""));
        let want_query = [
            ("tag", &source.tag),
            ("rev", &source.rev),
            ("branch", &source.branch),
        ]
        .iter()
        .find_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
        .unwrap_or_default();
        if locked_url.trim_end_matches('/') != url.trim_end_matches('/') {
            problems.push(format!(
                "`{key}` comes from {url}, the lock has {locked_url}"
            ));
        } else if query != want_query {
            let show = |q: &str| {
                if q.is_empty() {
                    "the default branch".to_owned()
                } else {
                    q.replacen('=', " ", 1)
                }
            };
            problems.push(format!(
                "`{key}` is pinned to {}, the lock has {}",
                show(&want_query),
                show(query)
            ));
        }
    }
    Ok(problems)
}

/// The values the templates see (documented in docs/docker.md).
#[derive(Clone, Debug, Serialize)]
struct TemplateContext {
    preset: Option<Preset>,
    base_image: String,
    builder_image: String,
    uv_image: String,
    uv_version: String,
    python: PythonContext,
    extras: Vec<String>,
    system_packages: PackagesContext,
    cmd: Option<String>,
    entrypoint: Option<String>,
    copy: Vec<String>,
    build_args: Vec<String>,
    secret_env: Vec<String>,
    mounts: Vec<Mount>,
    prod: Product,
    dockerfile: String,
    context: String,
    uid: u32,
    labels: LabelsContext,
    ignore: Vec<String>,
}

/// A directory of the build machine mounted during the dependency install.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Mount {
    /// The build context's name (`mount-0`, `mount-1`, ... in configuration order).
    pub name: String,
    /// Its absolute path, on the build machine and inside the build.
    pub path: String,
}

#[derive(Clone, Debug, Serialize)]
struct PythonContext {
    mode: PythonMode,
    managed: bool,
    version: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
struct PackagesContext {
    runtime: Vec<String>,
    build: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
struct LabelsContext {
    /// JSON strings, ready for a `LABEL`.
    title: String,
    source: Option<String>,
}

/// Everything the files are rendered from (no clock, no commit: see the module docs).
#[derive(Clone, Debug)]
pub struct RenderInput {
    pub settings: Settings,
    pub product: Product,
    /// The repository the image comes from (the root's remote URL, without credentials).
    pub source: Option<String>,
    /// Paths (relative to the context) the build never reads, besides the usual ones.
    pub ignore: Vec<String>,
    /// The user's Dockerfile template, if any: (path for messages, text).
    pub dockerfile_template: Option<(String, String)>,
    /// `mounts`, made absolute and named.
    pub mounts: Vec<Mount>,
}

impl RenderInput {
    /// The input for the workspace: its settings, the inspected prod, the remote URL, the
    /// directories the image never needs, and the user's template if there is one.
    pub fn for_workspace(ws: &Workspace, settings: Settings, product: Product) -> Result<Self> {
        let context = ws.path(&settings.context);
        let mut ignore = Vec::new();
        let mut add = |rel: &str| {
            let path = ws.path(rel);
            if let Ok(inside) = path.strip_prefix(&context)
                && !inside.as_os_str().is_empty()
            {
                let s = inside.to_string_lossy().replace('\\', "/");
                if !ignore.contains(&s) {
                    ignore.push(s);
                }
            }
        };
        add(&ws.config.packages_dir);
        add(&ws.config.changes_output_dir);
        let staging_dir = Path::new(&ws.config.staging_pyproject_path)
            .parent()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        let prod_dir = Path::new(&ws.config.prod_pyproject_path)
            .parent()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !staging_dir.is_empty() && staging_dir != prod_dir {
            add(&staging_dir);
        }
        // The dev manifest and lock at the root are not the image's (the prod ones are).
        if context == ws.root && !prod_dir.is_empty() {
            add("pyproject.toml");
            add("uv.lock");
        }
        let rel = format!("{TEMPLATES_DIR}/Dockerfile.j2");
        let path = ws.path(&rel);
        let dockerfile_template = if path.is_file() {
            let text = fs_err::read_to_string(&path).map_err(|e| {
                UserError::usage(format!("Cannot read the Dockerfile template {rel}: {e}"))
                    .with_hint("fix its permissions, or delete it to use the built-in template")
            })?;
            Some((rel, text))
        } else {
            None
        };
        let source = Git::new(&ws.root)
            .remote_url(&ws.config.git_remote)
            .ok()
            .flatten()
            .map(|u| strip_credentials(&u));
        let mut mounts = Vec::new();
        for (i, m) in settings.mounts.iter().enumerate() {
            let path = std::path::absolute(ws.root.join(m))?;
            if !path.is_dir() {
                return Err(UserError::usage(format!(
                    "`{m}` (docker.mounts) is not a directory"
                ))
                .with_hint("fix `mounts` in [tool.release_tool.docker]: directories, absolute or relative to the root")
                .into());
            }
            mounts.push(Mount {
                name: format!("mount-{i}"),
                path: path.to_string_lossy().into_owned(),
            });
        }
        Ok(Self {
            settings,
            product,
            source,
            ignore,
            dockerfile_template,
            mounts,
        })
    }
}

/// A URL without its `user:password@` part ([`crate::core::secrets::strip_url_credentials`]).
pub fn strip_credentials(url: &str) -> String {
    crate::core::secrets::strip_url_credentials(url)
}

/// The rendered files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub dockerfile: String,
    pub dockerignore: String,
}

/// Render the Dockerfile and `.dockerignore` (pure: the same input gives the same bytes).
pub fn render(input: &RenderInput) -> Result<Rendered> {
    let s = &input.settings;
    let json = |v: &[String]| serde_json::to_string(v).expect("strings serialise");
    let ctx = TemplateContext {
        preset: s.preset,
        base_image: s.base_image.clone(),
        builder_image: s.builder_image.clone(),
        uv_image: s.uv_image.clone(),
        uv_version: s.uv_version.clone(),
        python: PythonContext {
            mode: s.python,
            managed: s.python == PythonMode::Managed,
            version: s.python_version.clone(),
        },
        extras: s.extras.clone(),
        system_packages: PackagesContext {
            runtime: s.runtime_packages.clone(),
            build: s.build_packages.clone(),
        },
        cmd: s.cmd.as_deref().map(json),
        entrypoint: s.entrypoint.as_deref().map(json),
        copy: s.copy.clone(),
        build_args: s.build_args.keys().cloned().collect(),
        secret_env: s.secret_env.clone(),
        mounts: input.mounts.clone(),
        prod: input.product.clone(),
        dockerfile: s.dockerfile.clone(),
        context: s.context.clone(),
        uid: APP_UID,
        labels: LabelsContext {
            title: serde_json::to_string(&input.product.name).expect("a string serialises"),
            source: input
                .source
                .as_ref()
                .map(|u| serde_json::to_string(u).expect("a string serialises")),
        },
        ignore: input.ignore.clone(),
    };
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .expect("the default syntax with trim_blocks and lstrip_blocks"),
    );
    let (dockerfile_text, file) = match &input.dockerfile_template {
        Some((file, text)) => (text.clone(), Some(file.as_str())),
        None => (DEFAULT_DOCKERFILE_TEMPLATE.to_owned(), None),
    };
    env.add_template_owned("Dockerfile", dockerfile_text)
        .map_err(|e| template_error(file, &e))?;
    env.add_template("dockerignore", DEFAULT_DOCKERIGNORE_TEMPLATE)
        .map_err(|e| template_error(None, &e))?;
    let value = to_value(&serde_json::to_value(&ctx)?);
    let dockerfile = env
        .get_template("Dockerfile")
        .and_then(|t| t.render(&value))
        .map_err(|e| template_error(file, &e))?;
    let dockerignore = env
        .get_template("dockerignore")
        .and_then(|t| t.render(&value))
        .map_err(|e| template_error(None, &e))?;
    Ok(Rendered {
        dockerfile: tidy(&dockerfile),
        dockerignore: tidy(&dockerignore),
    })
}

/// A JSON value as a template value (minijinja is built without its serde feature).
fn to_value(v: &serde_json::Value) -> minijinja::Value {
    use minijinja::Value;
    match v {
        serde_json::Value::Null => Value::from(()),
        serde_json::Value::Bool(b) => Value::from(*b),
        serde_json::Value::Number(n) => n
            .as_i64()
            .map_or_else(|| Value::from(n.as_f64().unwrap_or(0.0)), Value::from),
        serde_json::Value::String(s) => Value::from(s.as_str()),
        serde_json::Value::Array(a) => a.iter().map(to_value).collect(),
        serde_json::Value::Object(o) => {
            Value::from_pairs(o.iter().map(|(k, v)| (k.as_str(), to_value(v))))
        }
    }
}

/// Trailing spaces off every line, no blank line twice in a row, one final newline.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 1);
    let mut blank = true;
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            if blank {
                continue;
            }
            blank = true;
        } else {
            blank = false;
        }
        out.push_str(line);
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

fn template_error(file: Option<&str>, e: &minijinja::Error) -> anyhow::Error {
    let what = "Dockerfile template";
    crate::core::text::template_error(e, what, file, what, "docs/docker.md")
}

/// The values a build passes that change with every commit: they are labels, not part of the
/// Dockerfile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Stamp {
    /// The product's version ([`product_version`]; empty when it has none).
    pub version: String,
    /// The root's commit.
    pub revision: String,
    /// RFC 3339, UTC: `SOURCE_DATE_EPOCH`, else the commit's date.
    pub created: String,
}

/// The product's version: the static `[project] version` of the root `pyproject.toml` (the
/// product, which a release bumps and writes to the staging and prod manifests alike), else
/// the prod manifest's.
pub fn product_version(ws: &Workspace, product: &Product) -> Option<String> {
    let root = ws.root.join("pyproject.toml");
    fs_err::read_to_string(&root)
        .ok()
        .and_then(|text| static_version(&root, &text))
        .or_else(|| product.version.clone())
}

/// The static `[project] version` of a `pyproject.toml` text, if it has one.
pub fn static_version(path: &Path, text: &str) -> Option<String> {
    match PyProject::parse(path, text).ok()?.version_source() {
        crate::python::pyproject::VersionSource::Static(v) => Some(v),
        _ => None,
    }
}

/// `SOURCE_DATE_EPOCH`, when set to a number.
fn source_date_epoch() -> Option<i64> {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
}

/// The stamp of the root's HEAD.
pub fn stamp(ws: &Workspace, product: &Product) -> Result<Stamp> {
    let git = Git::new(&ws.root);
    let revision = git.rev_parse("HEAD").unwrap_or_default();
    let epoch = match source_date_epoch() {
        Some(epoch) => epoch,
        None => git
            .run(["log", "-1", "--format=%ct", "HEAD"])
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok())
            .unwrap_or(0),
    };
    Ok(Stamp {
        version: product_version(ws, product).unwrap_or_default(),
        revision,
        created: crate::release::changelog::rfc3339(epoch),
    })
}

/// Whether a tag template moves from release to release among final versions only: `latest`,
/// and any tag made of `{major}` or `{minor}` (a pre-release never takes them over).
pub fn is_floating(template: &str) -> bool {
    template == "latest" || template.contains("{major}") || template.contains("{minor}")
}

/// The tags, with `{version}` (`+` as `-`), `{major}`, `{minor}` and `{revision}` (12
/// characters) replaced. The floating tags ([`is_floating`]) are left out for a version that
/// is not final (dev, alpha, beta, rc). A `{version}` tag without a version is an error, and
/// so is a list that leaves no tag.
pub fn tags(settings: &Settings, stamp: &Stamp, manifest: &str) -> Result<Vec<String>> {
    let parsed = (!stamp.version.is_empty())
        .then(|| crate::python::version::parse(&stamp.version).ok())
        .flatten();
    let is_final = parsed.as_ref().is_none_or(crate::python::version::is_final);
    let mut out: Vec<String> = Vec::new();
    for t in &settings.tags {
        let needs_parts = t.contains("{major}") || t.contains("{minor}");
        if (t.contains("{version}") || needs_parts) && stamp.version.is_empty() {
            return Err(UserError::usage(format!(
                "The image tag `{t}` needs a version, and {manifest} has no static [project] version"
            ))
            .with_hint("set `version` in its [project] table, or `tags` in [tool.release_tool.docker] without {version}, {major} or {minor}")
            .into());
        }
        if needs_parts && parsed.is_none() {
            return Err(UserError::usage(format!(
                "The image tag `{t}` needs the major and minor version, and the product's version `{}` ({manifest}) is not a PEP 440 version",
                stamp.version
            ))
            .with_hint("fix `version` in its [project] table")
            .into());
        }
        if is_floating(t) && !is_final {
            continue;
        }
        // A release's image: the root's commit is known when the step runs (plan::ROOT_HEAD).
        let revision: String = if stamp.revision == crate::plan::ROOT_HEAD {
            crate::plan::ROOT_HEAD_SHORT.to_owned()
        } else {
            stamp.revision.chars().take(12).collect()
        };
        let (major, minor) = parsed.as_ref().map_or((0, 0), |v| {
            let release = v.release();
            (
                release.first().copied().unwrap_or(0),
                release.get(1).copied().unwrap_or(0),
            )
        });
        let tag = t
            .replace("{version}", &stamp.version.replace('+', "-"))
            .replace("{major}", &major.to_string())
            .replace("{minor}", &minor.to_string())
            .replace("{revision}", &revision);
        if !crate::config::is_tag(&tag.replace(crate::plan::ROOT_HEAD_SHORT, "0123456789ab")) {
            return Err(UserError::usage(format!(
                "The image tag `{t}` gives `{tag}`, which is not a valid tag"
            ))
            .with_hint("fix `tags` in [tool.release_tool.docker]")
            .into());
        }
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    if out.is_empty() {
        return Err(UserError::usage(format!(
            "No image tag for the product's version {}: every tag in `tags` ({}) is for final versions only",
            stamp.version,
            settings.tags.join(", ")
        ))
        .with_hint("add a tag with {version} to `tags` in [tool.release_tool.docker]")
        .into());
    }
    Ok(out)
}

/// What to do besides writing the files.
#[derive(Clone, Debug, Default)]
pub struct Actions {
    pub build: bool,
    pub push: bool,
    /// `Some(cmd)`: run the built image with `cmd` (empty: its own command).
    pub run: Option<Vec<String>>,
    /// A CA bundle from the command line (overrides `ca_bundle`).
    pub ca_bundle: Option<PathBuf>,
    /// A git config from the command line (overrides `git_config`).
    pub git_config: Option<PathBuf>,
}

/// A planned run of `docker`.
#[derive(Clone, Debug)]
pub struct Planned {
    pub plan: Plan,
    /// Full references the image is tagged with.
    pub references: Vec<String>,
    /// Notes to show (secrets left out and why).
    pub notes: Vec<String>,
    /// The container `--run` creates with buildah (removed after, even on failure).
    pub container: Option<String>,
}

/// Plan the run: write the files (when they differ), then build, run and push.
pub fn plan(
    ws: &Workspace,
    input: &RenderInput,
    rendered: &Rendered,
    stamp: &Stamp,
    engine: &Engine,
    actions: &Actions,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Planned> {
    let s = &input.settings;
    let mut plan = Plan::new(&ws.root);
    let dockerfile = ws.path(&s.dockerfile);
    if let Some(parent) = dockerfile.parent() {
        plan.mkdir(None, parent);
    }
    plan.write(None, &dockerfile, rendered.dockerfile.clone());
    plan.write(
        None,
        ws.path(&s.context).join(".dockerignore"),
        rendered.dockerignore.clone(),
    );
    let name = s.image_name(&input.product);
    let references: Vec<String> = tags(s, stamp, "pyproject.toml")?
        .iter()
        .map(|t| format!("{name}:{t}"))
        .collect();
    let mut notes = Vec::new();
    if let Some(note) = unreachable_sources_note(input) {
        notes.push(note);
    }
    let mut container = None;
    if actions.build || actions.push || actions.run.is_some() {
        let secrets = build_secrets(ws, input, actions, env, &mut notes)?;
        let spec = build_spec(input, stamp, &references, secrets);
        plan.engine(None, &ws.root, engine.name(), engine.build_argv(&spec));
        if let Some(cmd) = &actions.run {
            container = plan_run(&mut plan, ws, s, engine, cmd, &references, &name)?;
        }
        if actions.push {
            plan_push(&mut plan, ws, s, engine, &references, None, &mut notes);
        }
    }
    Ok(Planned {
        plan,
        references,
        notes,
        container,
    })
}

/// A note when prod pins packages to `file://` git remotes that no build context mounts: a
/// build cannot reach them (the dry run says so before a build fails on it).
fn unreachable_sources_note(input: &RenderInput) -> Option<String> {
    let unreached: Vec<&str> = input
        .product
        .local_git_sources
        .iter()
        .filter(|(_, path)| {
            !input
                .mounts
                .iter()
                .any(|m| Path::new(path).starts_with(&m.path))
        })
        .map(|(name, _)| name.as_str())
        .collect();
    if unreached.is_empty() {
        return None;
    }
    Some(format!(
        "{} of {} {} from `file://` git remotes ({}), which an image build cannot reach unless their directory is mounted: add it to `mounts` in [tool.release_tool.docker] (docs/docker.md)",
        crate::core::text::count(unreached.len(), "package"),
        input.product.manifest,
        if unreached.len() == 1 {
            "comes"
        } else {
            "come"
        },
        crate::core::text::names_shown(&unreached)
    ))
}

/// The image steps of a release ([`plan_release_image`]).
#[derive(Clone, Debug)]
pub struct ReleaseImage {
    /// Full references the image is tagged with and pushed as.
    pub references: Vec<String>,
    /// Notes to show (secrets left out and why).
    pub notes: Vec<String>,
}

/// `release --push --image` (or `on_release = true`): the image's build and the push of each
/// tag, appended to a release plan as root steps, so that they run last, after every package's
/// tag and the root's commit and push (and as a plan, they are shown by `--dry-run` and resumed
/// like every other step: a build or push that did not finish runs again).
///
/// The release does not write the Dockerfile (it would leave the root changed after its
/// commit): the committed `Dockerfile` and `.dockerignore` must be current, and the prod lock
/// must match its manifest, else the release is refused before anything changes. The
/// version is the root project's as the plan leaves it (a product bump of the same run
/// included); the revision and creation time are the root's `HEAD` when the build runs
/// ([`crate::plan::ROOT_HEAD`]; `SOURCE_DATE_EPOCH` when set).
pub fn plan_release_image(
    ws: &Workspace,
    plan: &mut Plan,
    engine: &Engine,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ReleaseImage> {
    let settings = Settings::from_config(&ws.config.docker);
    // The prod lock the release refreshes (with `uv lock` in prod's directory) is checked by
    // that step; one it leaves must match its manifest already.
    let prod_dir = ws
        .path(&ws.config.prod_pyproject_path)
        .parent()
        .map_or_else(|| ws.root.clone(), Path::to_path_buf);
    let locks_prod = plan.steps.iter().any(|step| {
        matches!(&step.kind, crate::plan::StepKind::Uv { dir, args, .. }
            if *dir == prod_dir && args.first().is_some_and(|a| a == "lock"))
    });
    let product = inspect_checked(ws, &settings, !locks_prod)?;
    let input = RenderInput::for_workspace(ws, settings, product)?;
    let rendered = render(&input)?;
    let s = &input.settings;
    let dockerignore = ws.path(&s.context).join(".dockerignore");
    for (path, text) in [
        (ws.path(&s.dockerfile), &rendered.dockerfile),
        (dockerignore, &rendered.dockerignore),
    ] {
        let current = fs_err::read_to_string(&path).ok();
        if current.as_deref() == Some(text.as_str()) {
            continue;
        }
        let rel = ws.rel(&path);
        let state = if current.is_some() {
            "is out of date"
        } else {
            "does not exist"
        };
        return Err(UserError::usage(format!(
            "The release cannot build the image: {rel} {state} (generated from {} and [tool.release_tool.docker]); nothing was changed",
            ws.config.prod_pyproject_path
        ))
        .with_hint("run `release-tool docker` and commit the result, then run the same command again (or release without --image)")
        .into());
    }
    let root_manifest = ws.root.join("pyproject.toml");
    let version = plan
        .current_content(&root_manifest)
        .and_then(|text| static_version(&root_manifest, &text))
        .or_else(|| input.product.version.clone())
        .unwrap_or_default();
    let stamp = Stamp {
        version,
        revision: crate::plan::ROOT_HEAD.to_owned(),
        created: source_date_epoch().map_or_else(
            || crate::plan::ROOT_HEAD_TIME.to_owned(),
            crate::release::changelog::rfc3339,
        ),
    };
    let name = s.image_name(&input.product);
    let references: Vec<String> = tags(s, &stamp, "pyproject.toml")?
        .iter()
        .map(|t| format!("{name}:{t}"))
        .collect();
    let mut notes = Vec::new();
    let secrets = build_secrets(ws, &input, &Actions::default(), env, &mut notes)?;
    let spec = build_spec(&input, &stamp, &references, secrets);
    plan.engine(None, &ws.root, engine.name(), engine.build_argv(&spec));
    // The product's forge release gets the pushed image's digest as an asset, when it gets
    // assets at all (its prod lock is attached: a forge, a token, assets on).
    let attach = product_release_assets(plan);
    let digest = attach.as_ref().map(|_| crate::plan::ImageDigest {
        file: ws
            .root
            .join(crate::core::fsutil::STATE_DIR)
            .join("image")
            .join(IMAGE_DIGEST_FILE),
        image: name.clone(),
    });
    plan_push(plan, ws, s, engine, &references, digest.clone(), &mut notes);
    if let (Some((repo, tag)), Some(digest)) = (attach, digest) {
        plan.forge(
            None,
            crate::forge::ForgeCall {
                repo,
                action: crate::forge::ForgeAction::UploadAssets {
                    tag,
                    paths: vec![digest.file],
                },
            },
        );
    }
    Ok(ReleaseImage { references, notes })
}

/// The build's secrets: the CA bundle and git config files (the command line's, else the
/// configuration's; the git config only when a package comes from git), and the
/// `secret_env` variables that are set. What is left out gets a note.
fn build_secrets(
    ws: &Workspace,
    input: &RenderInput,
    actions: &Actions,
    env: &dyn Fn(&str) -> Option<String>,
    notes: &mut Vec<String>,
) -> Result<Vec<Secret>> {
    let s = &input.settings;
    let mut secrets = Vec::new();
    let cli_or_config = |cli: Option<&PathBuf>, config: Option<&String>| {
        cli.map(|p| p.display().to_string())
            .or_else(|| config.cloned())
    };
    for (id, file, what) in [
        (
            "ca_bundle",
            cli_or_config(actions.ca_bundle.as_ref(), s.ca_bundle.as_ref()),
            "CA bundle",
        ),
        (
            "gitconfig",
            cli_or_config(actions.git_config.as_ref(), s.git_config.as_ref()),
            "git config",
        ),
    ] {
        let Some(file) = file else { continue };
        let path = ws.root.join(&file);
        if !path.is_file() {
            return Err(UserError::usage(format!(
                "The {what} {file} does not exist (it is passed to the build as the secret `{id}`)"
            ))
            .with_hint(format!(
                "give an existing file (relative paths in the configuration are relative to the root), e.g. {}",
                if id == "ca_bundle" {
                    "/etc/ssl/certs/ca-certificates.crt"
                } else {
                    "a file with `[url \"https://TOKEN@host/\"] insteadOf = https://host/`"
                }
            ))
            .into());
        }
        if id == "gitconfig" && !input.product.git_sources {
            notes.push(format!(
                "the git config {file} is not used: no package in {} comes from git",
                ws.config.prod_pyproject_path
            ));
            continue;
        }
        secrets.push(Secret::File {
            id: id.to_owned(),
            path: file,
        });
    }
    for var in &s.secret_env {
        if env(var).is_some() {
            secrets.push(Secret::Env {
                id: var.clone(),
                var: var.clone(),
            });
        } else {
            notes.push(format!(
                "secret_env: {var} is not set, the build runs without it"
            ));
        }
    }
    Ok(secrets)
}

/// What the engine builds: the Dockerfile and context, the tags, the build arguments (the
/// configured ones, then `VERSION`, `REVISION`, `CREATED`), secrets, platforms, mounts.
fn build_spec(
    input: &RenderInput,
    stamp: &Stamp,
    references: &[String],
    secrets: Vec<Secret>,
) -> BuildSpec {
    let s = &input.settings;
    let mut build_args: Vec<(String, String)> = s
        .build_args
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    build_args.extend([
        ("VERSION".to_owned(), stamp.version.clone()),
        ("REVISION".to_owned(), stamp.revision.clone()),
        ("CREATED".to_owned(), stamp.created.clone()),
    ]);
    BuildSpec {
        dockerfile: s.dockerfile.clone(),
        context: s.context.clone(),
        tags: references.to_vec(),
        build_args,
        secrets,
        platforms: s.platforms.clone(),
        contexts: input
            .mounts
            .iter()
            .map(|m| (m.name.clone(), m.path.clone()))
            .collect(),
        insecure: [&s.base_image, &s.builder_image, &s.uv_image]
            .iter()
            .any(|i| s.is_insecure(i)),
    }
}

/// `--run`: the image run with `cmd` (else its own command); the container's name when the
/// engine (buildah) leaves one to remove.
fn plan_run(
    plan: &mut Plan,
    ws: &Workspace,
    s: &Settings,
    engine: &Engine,
    cmd: &[String],
    references: &[String],
    image_name: &str,
) -> Result<Option<String>> {
    let first = references.first().cloned().unwrap_or_default();
    let name = format!(
        "release-tool-run-{}",
        normalize_name(image_name.rsplit('/').next().unwrap_or("image"))
    );
    let image = (
        s.entrypoint.as_deref().unwrap_or_default(),
        s.cmd.as_deref().unwrap_or_default(),
    );
    let Some(steps) = engine.run_argvs(&first, cmd, image, &name) else {
        return Err(UserError::usage(
            "Nothing to run: `--run` has no command after `--`, and the image has none",
        )
        .with_hint("give one (`--run -- python -c 'import app'`), or set `cmd` in [tool.release_tool.docker]")
        .into());
    };
    for args in steps {
        plan.engine(None, &ws.root, engine.name(), args);
    }
    Ok((engine.kind == crate::engine::EngineKind::Buildah).then_some(name))
}

/// The asset the product's release carries: `<image>@sha256:…` of the pushed image.
pub const IMAGE_DIGEST_FILE: &str = "image-digest.txt";

/// The repository and tag of the product's forge release when the plan attaches assets to it
/// (a root step uploading to a release the plan creates).
fn product_release_assets(plan: &Plan) -> Option<(String, String)> {
    use crate::forge::ForgeAction;
    let root_calls = || {
        plan.steps.iter().filter_map(|step| match &step.kind {
            crate::plan::StepKind::Forge { call } if step.package.is_none() => Some(call),
            _ => None,
        })
    };
    root_calls().find_map(|call| match &call.action {
        ForgeAction::UploadAssets { tag, .. }
            if root_calls().any(|c| {
                c.repo == call.repo
                    && matches!(&c.action, ForgeAction::CreateRelease { tag: t, .. } if t == tag)
            }) =>
        {
            Some((call.repo.clone(), tag.clone()))
        }
        _ => None,
    })
}

/// `--push`: every reference pushed (insecure registries without TLS verification); the first
/// keeps the pushed digest when `digest` says where (the other tags name the same image).
fn plan_push(
    plan: &mut Plan,
    ws: &Workspace,
    s: &Settings,
    engine: &Engine,
    references: &[String],
    mut digest: Option<crate::plan::ImageDigest>,
    notes: &mut Vec<String>,
) {
    for reference in references {
        let insecure = s.is_insecure(reference);
        if let Some(d) = digest.take() {
            let args = engine.push_argv_with_digest(reference, insecure, &d.file);
            plan.engine_push(&ws.root, engine.name(), args, d);
        } else {
            plan.engine(
                None,
                &ws.root,
                engine.name(),
                engine.push_argv(reference, insecure),
            );
        }
    }
    if engine.kind == crate::engine::EngineKind::Docker
        && references.iter().any(|r| s.is_insecure(r))
    {
        notes.push(
            "docker takes insecure registries from its daemon's configuration \
             (`insecure-registries` in daemon.json), not from the command line"
                .to_owned(),
        );
    }
}

#[cfg(test)]
mod tests;
