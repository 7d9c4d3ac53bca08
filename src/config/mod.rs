//! Configuration: `release_tool.toml` or `[tool.release_tool]` in the root `pyproject.toml`
//! (docs/reference.md §2).
//!
//! `release_tool.toml` may hold the keys under `[tool.release_tool]` (the original Python
//! tool's layout) or at the top level (like `ruff.toml`). When both `release_tool.toml` and
//! `[tool.release_tool]` exist, `release_tool.toml` wins and a warning names the other.
//!
//! Every key is checked before anything is read: an unknown key is an error naming the key,
//! `file:line:col` and the nearest valid key, and exits with 2. The keys the Python
//! `release_tool` once had and release-tool does not read ([`OBSOLETE_KEYS`]) are the
//! exception: each is ignored with a warning naming it and what replaced it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Result;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use toml_edit::Item;

use crate::core::error::UserError;
use crate::core::safety;
use crate::core::text::line_col;

pub mod schema;
pub mod show;
mod typeerror;

/// The file name of the standalone configuration file.
pub const CONFIG_FILE: &str = "release_tool.toml";

/// Where the effective configuration came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfigSource {
    /// `release_tool.toml` at the root.
    File(PathBuf),
    /// `[tool.release_tool]` in the root `pyproject.toml`.
    Pyproject(PathBuf),
    /// No configuration found: all defaults.
    Defaults,
}

/// Where production pins come from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProdSource {
    /// `{ git = URL, tag = T }` pins.
    #[default]
    Git,
    /// `name==version` from a package index.
    Index,
}

/// `prod_index`: the private index of the prod manifest (`[[tool.uv.index]]` `name` and `url`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ProdIndex {
    /// The index's name (letters, digits, `-`, `_`, `.`): sources name it, and uv reads its
    /// credentials from `UV_INDEX_<NAME>_USERNAME` and `UV_INDEX_<NAME>_PASSWORD`.
    pub name: String,
    /// Its simple API URL (`https://pypi.example.com/simple/`), without credentials.
    pub url: String,
}

/// The default of `public_index`.
pub const DEFAULT_PUBLIC_INDEX: &str = "https://pypi.org/pypi";

/// The forge that hosts the package repositories.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ForgeKind {
    /// GitHub or GitHub Enterprise (REST API v3).
    #[default]
    Github,
    /// Gitea or Forgejo (API v1).
    Gitea,
    /// No forge: no releases, no pull requests.
    None,
}

/// `[tool.release_tool.forge]`: the forge that hosts the package repositories (releases and
/// pull requests).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ForgeConfig {
    /// The forge's API: "github" (GitHub, GitHub Enterprise), "gitea" or "none".
    pub kind: ForgeKind,
    /// API base URL (GitHub Enterprise, Gitea). Defaults to `GITHUB_API_URL`, then
    /// `https://api.github.com`.
    pub api_url: Option<String>,
    /// Environment variable that holds the token (never the token itself). Defaults to
    /// `GITHUB_TOKEN`, then `GH_TOKEN`.
    pub token_env: Option<String>,
    /// Create a forge release for each tag.
    pub releases: bool,
    /// Open pull requests `dev_branch` → `base_branch` (`prepare --push`).
    pub pull_requests: bool,
    /// Attach each package's wheel and sdist, built from its tag, to its forge release (and the
    /// prod lock to the product's); `release --no-assets` turns it off for one run.
    pub assets: bool,
    /// Whether the configuration has a `[tool.release_tool.forge]` table (not a key of it: set
    /// when the table is read). Without one, no forge is inferred from `file://` or path
    /// remotes.
    #[serde(skip_serializing, default = "table_present")]
    #[schemars(skip)]
    pub configured: bool,
}

impl ForgeConfig {
    /// No `[forge]` table: the forge is inferred from the remotes (see `configured`).
    fn inferred(&self) -> bool {
        !self.configured
    }
}

/// [`ForgeConfig::configured`] of a `[forge]` table that was read.
fn table_present() -> bool {
    true
}

impl Default for ForgeConfig {
    fn default() -> Self {
        Self {
            kind: ForgeKind::Github,
            api_url: None,
            token_env: None,
            releases: true,
            pull_requests: true,
            assets: true,
            configured: false,
        }
    }
}

/// `[tool.release_tool.llm]`: the OpenAI-compatible API that `changes --llm` and `notes --llm`
/// use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LlmConfig {
    /// Base URL of an OpenAI-compatible API (`/chat/completions` is appended).
    pub base_url: String,
    /// Model name.
    pub model: String,
    /// Environment variable that holds the API key (never the key itself).
    pub api_key_env: String,
    /// Diff budget sent to the model, in bytes.
    #[schemars(range(min = 1))]
    pub max_diff_bytes: usize,
}

impl Default for LlmConfig {
    fn default() -> Self {
        Self {
            base_url: "https://api.openai.com/v1".to_owned(),
            model: "gpt-4o-mini".to_owned(),
            api_key_env: "OPENAI_API_KEY".to_owned(),
            max_diff_bytes: 200_000,
        }
    }
}

/// `[tool.release_tool.docker.system_packages]`: apt packages per stage.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SystemPackages {
    pub runtime: Vec<String>,
    pub build: Vec<String>,
}

/// `docker.preset`: a preset of base images.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// `python:3.X-slim-bookworm`, the system Python.
    Slim,
    /// The `nvidia/cuda` runtime, a managed Python.
    Cuda,
}

/// `docker.python`: where the image's Python comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PythonMode {
    /// The base image's own Python (`UV_PYTHON_DOWNLOADS=0`).
    System,
    /// A Python installed by uv into `/python` (bases without Python, like CUDA's).
    Managed,
}

/// `docker.engine` and `docker --engine`: the container engine, or `auto` (the first that
/// works: docker with a daemon, podman, buildah).
// The variants have no doc comments: `--help` lists the values on one line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, JsonSchema, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum EngineChoice {
    #[default]
    Auto,
    Docker,
    Podman,
    Buildah,
}

/// `dependents` and `--dependents`: what a release does to the requirements of the members
/// that depend on a package it releases (their `[project]` requirements and their direct
/// references to it).
// The variants have no doc comments: `--help` lists the values on one line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, JsonSchema, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Dependents {
    #[default]
    Raise,
    Exact,
    Keep,
}

impl Dependents {
    /// The configuration value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Raise => "raise",
            Self::Exact => "exact",
            Self::Keep => "keep",
        }
    }
}

/// A configuration value from a fixed list of strings: parsed when the configuration loads,
/// with an error that names its key and the valid values.
trait Choice: Sized + Copy + 'static {
    /// The key path, for errors.
    const KEY: &'static str;
    /// Every value with its string, in the order errors list them.
    const ALL: &'static [(&'static str, Self)];

    /// The value spelled `s`, or the error `validate` reports for its key.
    fn parse(s: &str) -> std::result::Result<Self, String> {
        Self::ALL
            .iter()
            .find(|(name, _)| *name == s)
            .map(|(_, value)| *value)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|(name, _)| *name).collect();
                format!(
                    "`{}` must be one of {}, got {s:?}",
                    Self::KEY,
                    quoted(&names)
                )
            })
    }
}

impl Choice for Preset {
    const KEY: &'static str = "docker.preset";
    const ALL: &'static [(&'static str, Self)] = &[("slim", Self::Slim), ("cuda", Self::Cuda)];
}

impl Choice for PythonMode {
    const KEY: &'static str = "docker.python";
    const ALL: &'static [(&'static str, Self)] =
        &[("system", Self::System), ("managed", Self::Managed)];
}

impl Choice for EngineChoice {
    const KEY: &'static str = "docker.engine";
    const ALL: &'static [(&'static str, Self)] = &[
        ("auto", Self::Auto),
        ("docker", Self::Docker),
        ("podman", Self::Podman),
        ("buildah", Self::Buildah),
    ];
}

impl Choice for Dependents {
    const KEY: &'static str = "dependents";
    const ALL: &'static [(&'static str, Self)] = &[
        ("raise", Self::Raise),
        ("exact", Self::Exact),
        ("keep", Self::Keep),
    ];
}

/// The keys of the [`Choice`] values, whose deserialisation errors are reported like
/// [`validate`]'s.
const CHOICE_KEYS: &[&str] = &[
    Preset::KEY,
    PythonMode::KEY,
    EngineChoice::KEY,
    Dependents::KEY,
];

macro_rules! deserialize_choice {
    ($($ty:ty),*) => {$(
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                <$ty as Choice>::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    )*};
}
deserialize_choice!(Preset, PythonMode, EngineChoice, Dependents);

/// `[tool.release_tool.docker]` (docs/reference.md §6). Each value's form is checked here (see
/// [`validate_docker`]; the values from a list are typed); presets and defaults are applied
/// by [`crate::docker::Settings`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DockerConfig {
    /// `"slim"` (python:3.X-slim-bookworm, system Python) or `"cuda"` (nvidia/cuda runtime,
    /// managed Python).
    pub preset: Option<Preset>,
    pub base_image: Option<String>,
    pub builder_image: Option<String>,
    /// The image uv is copied from (without a tag; `uv_version` is the tag).
    pub uv_image: Option<String>,
    pub uv_version: Option<String>,
    /// `"system"` (the base image's Python) or `"managed"` (installed by uv into `/python`).
    pub python: Option<PythonMode>,
    pub python_version: Option<String>,
    /// The CUDA version of the `cuda` preset's base image.
    pub cuda_version: Option<String>,
    pub extras: Vec<String>,
    pub system_packages: SystemPackages,
    pub cmd: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    /// Image name, without a tag (default: the prod project's name).
    pub image: Option<String>,
    /// Tags; `{version}` (the product's version: the root project's), `{major}`, `{minor}` and
    /// `{revision}` (the root's commit) are replaced; `latest` and the tags with `{major}` or
    /// `{minor}` are made for final versions only (default: `{version}`, `latest`).
    pub tags: Option<Vec<String>>,
    pub dockerfile: Option<String>,
    pub context: Option<String>,
    /// `"auto"`, `"docker"`, `"podman"` or `"buildah"`.
    pub engine: Option<EngineChoice>,
    pub build_args: BTreeMap<String, String>,
    pub platforms: Vec<String>,
    /// Application files (relative to the context) copied into `/app` of the runtime image.
    pub copy: Vec<String>,
    /// A CA bundle for the build's downloads (a build secret, never in a layer).
    pub ca_bundle: Option<String>,
    /// A git config file for the build's git fetches (a build secret): URL rewrites,
    /// credentials for private repositories.
    pub git_config: Option<String>,
    /// Environment variables passed to the `uv sync` steps as build secrets (index URLs and
    /// credentials, tokens); never in a layer.
    pub secret_env: Vec<String>,
    /// Registries (`host[:port]`) reached without TLS verification (local registries).
    pub insecure_registries: Vec<String>,
    /// Directories of the build machine the dependency install reads (`file://` git remotes,
    /// path sources): each is a named build context, mounted read-only at the same path.
    pub mounts: Vec<String>,
    /// `release --push` builds and pushes the image as its last step (as `release --image`).
    pub on_release: bool,
}

/// The bump of the product (the root project) in a release: `auto` takes the highest bump
/// among the released packages (docs/release.md, "The product").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProductBump {
    /// The highest bump among the released packages (major if any went major, ...).
    #[default]
    Auto,
    Patch,
    Minor,
    Major,
    Dev,
    Pre,
    Alpha,
    Beta,
    Rc,
    Post,
    Stable,
}

/// `[tool.release_tool.product]`: the product (the root project, what prod installs and the
/// image ships): its version, tag and combined release notes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ProductConfig {
    /// How the product's version is bumped by a release that changes what prod pins
    /// (`--product-bump` overrides).
    pub bump: ProductBump,
    /// The root's tags are `<tag_prefix><PEP 440 version>`.
    pub tag_prefix: String,
    /// The root's combined changelog; "" turns it off.
    pub changelog: String,
    /// `owner/repo` of the root on the forge, when its remote URL does not say it.
    pub repository: Option<String>,
}

impl Default for ProductConfig {
    fn default() -> Self {
        Self {
            bump: ProductBump::Auto,
            tag_prefix: "v".to_owned(),
            changelog: "CHANGELOG.md".to_owned(),
            repository: None,
        }
    }
}

/// `[tool.release_tool.packages.<name>]`: per-package overrides.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PackageOverride {
    /// This package's tag prefix (default: the global `tag_prefix`).
    pub tag_prefix: Option<String>,
    /// Leave the package out of release work.
    pub skip: bool,
    /// `owner/repo` on the forge, when the remote URL does not say it.
    pub repository: Option<String>,
    /// This package's release branch (default: detected, see docs/workspace.md "Base branch").
    pub base_branch: Option<String>,
}

/// The effective configuration: `[tool.release_tool]` in `release_tool.toml` or the root
/// `pyproject.toml`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
#[schemars(title = "release-tool configuration")]
pub struct Config {
    /// Directory whose subdirectories with a `pyproject.toml` are the packages (relative to the
    /// root).
    pub packages_dir: String,
    /// Where change reports go (`<dir>/<package>/...`), relative to the root.
    pub changes_output_dir: String,
    /// Stage 1 report of uncommitted work (a plain file name).
    pub changes_uncommitted_filename: String,
    /// Stage 3 report of commits since the last tag (a plain file name).
    pub changes_since_tag_filename: String,
    /// Stage 1/2 commit message file (a plain file name).
    pub commit_message_filename: String,
    /// Stage 3/4/5 tag message template (a plain file name).
    pub tag_message_filename: String,
    /// The staging manifest, relative to the root.
    pub staging_pyproject_path: String,
    /// The prod manifest, relative to the root.
    pub prod_pyproject_path: String,
    /// Tags are `<tag_prefix><PEP 440 version>`; other tags are ignored.
    pub tag_prefix: String,
    /// The tags of in-tree packages (packages that live in the root repository, whose tags
    /// all share it): `{name}` (the package's `[project] name`) and `{version}` (at the end).
    pub tag_template: String,
    /// The git remote of every package.
    pub git_remote: String,
    /// Behave as if `--dry-run` were always given.
    pub dry_run: bool,
    /// Release branch of every package. Left at "main", a package whose own branch is
    /// detected (`.gitmodules`, the remote's `HEAD`) uses that; any other value applies to
    /// every package without a `[packages.NAME] base_branch` or a `.gitmodules` branch.
    pub base_branch: String,
    /// Development branch (stage 0).
    pub dev_branch: String,
    /// Where prod pins come from: "git" (`{ git = URL, tag = T }`) or "index"
    /// (`name==version` from a package index).
    pub prod_source: ProdSource,
    /// With `prod_source = "index"`: the private index every member is installed from. The prod
    /// manifest gets it as a `[[tool.uv.index]]` with `explicit = true` and a `[tool.uv.sources]`
    /// entry per member naming it, so uv never takes a public package of the same name
    /// (credentials: `UV_INDEX_<NAME>_USERNAME`/`_PASSWORD`, never in the URL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prod_index: Option<ProdIndex>,
    /// The public index's JSON API that `check` asks whether a member's name is taken there
    /// (`<url>/<name>/json`; default `https://pypi.org/pypi`; "" turns the check off;
    /// `RELEASE_TOOL_PUBLIC_INDEX` overrides).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_index: Option<String>,
    /// Changelog file in each package; "" disables changelog updates.
    pub changelog: String,
    /// What a release does to the requirements of the members that depend on a package it
    /// releases (in the same run or not): "raise" raises their lower bound to the new version
    /// (`a>=0.2.0`), "exact" pins it (`a==0.2.0`), "keep" leaves them as written. Direct
    /// references (`a @ git+URL@TAG`) move to the new tag with "raise" and "exact", and stay
    /// with "keep". `release --dependents` overrides it.
    pub dependents: Dependents,
    /// Parallel workers (default: the CPU count; `-j` overrides).
    #[schemars(range(min = 1))]
    pub jobs: Option<usize>,
    /// Seconds a network git call (fetch, push, ls-remote, clone, submodule) may take before
    /// it is stopped and its remote counts as unreachable (default 120;
    /// `RELEASE_TOOL_GIT_TIMEOUT` overrides).
    #[schemars(range(min = 1, max = 86400))]
    pub git_timeout: Option<u64>,
    /// The forge: releases and pull requests.
    // Written back only when configured (a `[forge]` table is what configures it).
    #[serde(skip_serializing_if = "ForgeConfig::inferred")]
    pub forge: ForgeConfig,
    /// The LLM for `changes --llm` and `notes --llm`.
    pub llm: LlmConfig,
    /// The production Docker image (stage 7).
    pub docker: DockerConfig,
    /// Per-package overrides, by package name.
    pub packages: BTreeMap<String, PackageOverride>,
    /// The product: the root project's version, tag and combined release notes.
    pub product: ProductConfig,
    /// Version groups: group name → its packages, always released together at one shared
    /// version (a package belongs to one group at most).
    pub groups: BTreeMap<String, Vec<String>>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            packages_dir: "packages".to_owned(),
            changes_output_dir: "release_tool/changes".to_owned(),
            changes_uncommitted_filename: "changes_uncommitted.txt".to_owned(),
            changes_since_tag_filename: "changes_since_tag.txt".to_owned(),
            commit_message_filename: "commit_message.txt".to_owned(),
            tag_message_filename: "tag_message.md".to_owned(),
            staging_pyproject_path: "staging/pyproject.toml".to_owned(),
            prod_pyproject_path: "prod/pyproject.toml".to_owned(),
            tag_prefix: "v".to_owned(),
            tag_template: "{name}-v{version}".to_owned(),
            git_remote: "origin".to_owned(),
            dry_run: false,
            base_branch: "main".to_owned(),
            dev_branch: "dev_branch".to_owned(),
            prod_source: ProdSource::Git,
            prod_index: None,
            public_index: None,
            changelog: "CHANGELOG.md".to_owned(),
            dependents: Dependents::Raise,
            jobs: None,
            git_timeout: None,
            forge: ForgeConfig::default(),
            llm: LlmConfig::default(),
            docker: DockerConfig::default(),
            packages: BTreeMap::new(),
            product: ProductConfig::default(),
            groups: BTreeMap::new(),
        }
    }
}

/// Keys of the top-level table. `None` = a scalar/array; `Some(schema)` = a sub-table.
const TOP_KEYS: &[&str] = &[
    "packages_dir",
    "changes_output_dir",
    "changes_uncommitted_filename",
    "changes_since_tag_filename",
    "commit_message_filename",
    "tag_message_filename",
    "staging_pyproject_path",
    "prod_pyproject_path",
    "tag_prefix",
    "tag_template",
    "git_remote",
    "dry_run",
    "base_branch",
    "dev_branch",
    "prod_source",
    "prod_index",
    "public_index",
    "changelog",
    "dependents",
    "jobs",
    "git_timeout",
    "forge",
    "llm",
    "docker",
    "packages",
    "product",
    "groups",
];
const FORGE_KEYS: &[&str] = &[
    "kind",
    "api_url",
    "token_env",
    "releases",
    "pull_requests",
    "assets",
];
const LLM_KEYS: &[&str] = &["base_url", "model", "api_key_env", "max_diff_bytes"];
const DOCKER_KEYS: &[&str] = &[
    "preset",
    "base_image",
    "builder_image",
    "uv_image",
    "uv_version",
    "python",
    "python_version",
    "extras",
    "system_packages",
    "cmd",
    "entrypoint",
    "image",
    "tags",
    "dockerfile",
    "context",
    "engine",
    "build_args",
    "platforms",
    "copy",
    "ca_bundle",
    "git_config",
    "secret_env",
    "insecure_registries",
    "cuda_version",
    "mounts",
    "on_release",
];
const SYSTEM_PACKAGES_KEYS: &[&str] = &["runtime", "build"];
const PACKAGE_KEYS: &[&str] = &["tag_prefix", "skip", "repository", "base_branch"];
pub(crate) const PRODUCT_KEYS: &[&str] = &["bump", "tag_prefix", "changelog", "repository"];
pub(crate) const PROD_INDEX_KEYS: &[&str] = &["name", "url"];

/// Keys the Python `release_tool` once had and release-tool does not read, each with what
/// replaced it: read, ignored, and named in a warning (never an error), so that an old
/// configuration loads; `release-tool migrate` removes them. Top level only: the old tool had
/// no sub-tables.
pub const OBSOLETE_KEYS: &[(&str, &str)] = &[
    (
        "changes_filename",
        "the old tool stopped reading it in June 2025; stage 1 writes \
         `changes_uncommitted_filename` and stage 3 `changes_since_tag_filename`, both in \
         `changes_output_dir/<package>/`",
    ),
    (
        "_config_source",
        "the old tool's loader set it to say where its configuration came from; \
         `release-tool config show` tells that now",
    ),
];

/// What replaced an obsolete key of the Python `release_tool` ([`OBSOLETE_KEYS`]).
#[must_use]
pub fn obsolete_key(key: &str) -> Option<&'static str> {
    OBSOLETE_KEYS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, why)| *why)
}

/// Every key path accepted, for documentation and `config schema`.
pub fn known_keys() -> Vec<String> {
    let mut keys: Vec<String> = TOP_KEYS.iter().map(|k| (*k).to_owned()).collect();
    keys.extend(FORGE_KEYS.iter().map(|k| format!("forge.{k}")));
    keys.extend(LLM_KEYS.iter().map(|k| format!("llm.{k}")));
    keys.extend(DOCKER_KEYS.iter().map(|k| format!("docker.{k}")));
    keys.extend(
        SYSTEM_PACKAGES_KEYS
            .iter()
            .map(|k| format!("docker.system_packages.{k}")),
    );
    keys.extend(PACKAGE_KEYS.iter().map(|k| format!("packages.<name>.{k}")));
    keys.extend(PRODUCT_KEYS.iter().map(|k| format!("product.{k}")));
    keys.extend(PROD_INDEX_KEYS.iter().map(|k| format!("prod_index.{k}")));
    keys
}

/// A loaded configuration and where it came from.
#[derive(Clone, Debug)]
pub struct LoadedConfig {
    pub config: Config,
    pub source: ConfigSource,
    /// Warnings to show (e.g. the configuration exists twice).
    pub warnings: Vec<String>,
}

/// Load the configuration of the workspace at `root`. The values of the environment variables
/// it names for tokens and keys are registered as secrets ([`Config::register_secrets`]).
pub fn load(root: &Path) -> Result<LoadedConfig> {
    let loaded = load_unregistered(root)?;
    loaded.config.register_secrets();
    Ok(loaded)
}

impl Config {
    /// Remember the values of the variables this configuration names as secrets
    /// ([`crate::core::secrets`]): `forge.token_env`, `llm.api_key_env` and `docker.secret_env`.
    pub fn register_secrets(&self) {
        let mut names: Vec<&str> = vec![self.llm.api_key_env.as_str()];
        names.extend(self.forge.token_env.as_deref());
        names.extend(self.docker.secret_env.iter().map(String::as_str));
        crate::core::secrets::register_env(names);
    }
}

fn load_unregistered(root: &Path) -> Result<LoadedConfig> {
    let file = root.join(CONFIG_FILE);
    let pyproject = root.join("pyproject.toml");
    let mut warnings = Vec::new();
    if file.is_file() {
        let text = read(&file)?;
        let (config, obsolete) = parse_config_file_warned(&file, &text)?;
        warnings.extend(obsolete);
        if pyproject.is_file()
            && let Ok(text) = fs_err::read_to_string(&pyproject)
            // Parsed only when it may have the table (a large root manifest takes a while).
            && text.contains("release_tool")
            && let Ok(doc) = toml_edit::Document::parse(text.as_str())
            && doc
                .get("tool")
                .and_then(|t| t.get("release_tool"))
                .is_some()
        {
            warnings.push(format!(
                "{} is used; [tool.release_tool] in {} is ignored",
                file.display(),
                pyproject.display()
            ));
        }
        return Ok(LoadedConfig {
            config,
            source: ConfigSource::File(file),
            warnings,
        });
    }
    if pyproject.is_file() {
        let text = read(&pyproject)?;
        if let Some((config, obsolete)) = parse_pyproject_warned(&pyproject, &text)? {
            warnings.extend(obsolete);
            return Ok(LoadedConfig {
                config,
                source: ConfigSource::Pyproject(pyproject),
                warnings,
            });
        }
    }
    Ok(LoadedConfig {
        config: Config::default(),
        source: ConfigSource::Defaults,
        warnings,
    })
}

fn read(path: &Path) -> Result<String> {
    fs_err::read_to_string(path).map_err(|e| UserError::usage(format!("Cannot read {e}")).into())
}

/// Parse `release_tool.toml`: keys under `[tool.release_tool]` or at the top level.
pub fn parse_config_file(path: &Path, text: &str) -> Result<Config> {
    parse_config_file_warned(path, text).map(|(config, _)| config)
}

/// [`parse_config_file`], with the warnings about obsolete keys ([`OBSOLETE_KEYS`]).
pub fn parse_config_file_warned(path: &Path, text: &str) -> Result<(Config, Vec<String>)> {
    let doc = parse_doc(path, text)?;
    let root = doc.as_table();
    if let Some(item) = root.get("tool") {
        let only_tool = root.len() == 1;
        let Some(tool) = item.as_table_like() else {
            return Err(at(path, text, item.span(), "`tool` must be a table").into());
        };
        if let Some(rt) = tool.get("release_tool") {
            if !only_tool {
                let other = root
                    .iter()
                    .map(|(k, _)| k)
                    .find(|k| *k != "tool")
                    .unwrap_or("");
                return Err(at(
                    path,
                    text,
                    root.key(other).and_then(toml_edit::Key::span),
                    &format!(
                        "Key `{other}` is outside [tool.release_tool]; put every key in that table"
                    ),
                )
                .into());
            }
            check_item(path, text, rt, "tool.release_tool")?;
            let (read, warnings) =
                without_obsolete(path, text, rt.as_table_like(), "tool.release_tool.");
            return Ok((deserialize::<ToolWrapper>(path, &read)?, warnings));
        }
    }
    check_table_like(path, text, root, "", TOP_KEYS)?;
    let (read, warnings) = without_obsolete(path, text, Some(root), "");
    Ok((deserialize::<Config>(path, &read)?, warnings))
}

/// `text` with the obsolete keys of `table` ([`OBSOLETE_KEYS`]) blanked out (spaces in
/// place, so that positions in errors stay true), and a warning for each.
fn without_obsolete(
    path: &Path,
    text: &str,
    table: Option<&dyn toml_edit::TableLike>,
    prefix: &str,
) -> (String, Vec<String>) {
    let mut read = text.to_owned();
    let mut warnings = Vec::new();
    let Some(table) = table else {
        return (read, warnings);
    };
    for (key, item) in table.iter() {
        let Some(why) = obsolete_key(key) else {
            continue;
        };
        let key_span = table.key(key).and_then(toml_edit::Key::span);
        let position = key_span.as_ref().map_or_else(String::new, |s| {
            let (line, col) = line_col(text, s.start);
            format!(":{line}:{col}")
        });
        warnings.push(format!(
            "Obsolete configuration key `{prefix}{key}` in {}{position} (the Python \
             release_tool's) is ignored: {why}; remove it, or run `release-tool migrate`",
            path.display()
        ));
        if let (Some(k), Some(v)) = (key_span, item.span())
            && k.start <= v.end
            && v.end <= read.len()
        {
            let blank: String = read[k.start..v.end]
                .chars()
                .map(|c| if c == '\n' { '\n' } else { ' ' })
                .collect();
            read.replace_range(k.start..v.end, &blank);
        }
    }
    (read, warnings)
}

/// `[tool.release_tool]` inside a document with other tables (ignored).
#[derive(Deserialize, Default)]
#[serde(default)]
struct ToolWrapper {
    tool: ToolTable,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ToolTable {
    release_tool: Config,
}

/// Parse `[tool.release_tool]` from a root `pyproject.toml`; `None` when the table is absent.
pub fn parse_pyproject(path: &Path, text: &str) -> Result<Option<Config>> {
    parse_pyproject_warned(path, text).map(|found| found.map(|(config, _)| config))
}

/// [`parse_pyproject`], with the warnings about obsolete keys ([`OBSOLETE_KEYS`]).
pub fn parse_pyproject_warned(path: &Path, text: &str) -> Result<Option<(Config, Vec<String>)>> {
    let doc = parse_doc(path, text)?;
    match doc.get("tool").and_then(|t| t.get("release_tool")) {
        Some(item) => {
            check_item(path, text, item, "tool.release_tool")?;
            let (read, warnings) =
                without_obsolete(path, text, item.as_table_like(), "tool.release_tool.");
            Ok(Some((deserialize::<ToolWrapper>(path, &read)?, warnings)))
        }
        None => Ok(None),
    }
}

fn check_item(path: &Path, text: &str, item: &Item, name: &str) -> Result<()> {
    let Some(table) = item.as_table_like() else {
        return Err(at(
            path,
            text,
            item.span(),
            &format!("[{name}] must be a table"),
        )
        .into());
    };
    check_table_like(path, text, table, &format!("{name}."), TOP_KEYS)
}

fn parse_doc(path: &Path, text: &str) -> Result<toml_edit::Document<String>> {
    toml_edit::Document::parse(text.to_owned()).map_err(|e| {
        let (line, col) = e.span().map_or((1, 1), |s| line_col(text, s.start));
        let reason = e
            .message()
            .lines()
            .next()
            .unwrap_or("invalid TOML")
            .trim()
            .to_owned();
        UserError::usage(format!(
            "Malformed TOML in {}:{line}:{col}: {reason}",
            path.display()
        ))
        .into()
    })
}

fn check_table_like(
    path: &Path,
    text: &str,
    table: &dyn toml_edit::TableLike,
    prefix: &str,
    keys: &[&str],
) -> Result<()> {
    for (key, item) in table.iter() {
        if std::ptr::eq(keys, TOP_KEYS) && obsolete_key(key).is_some() {
            continue;
        }
        if !keys.contains(&key) {
            let span = table.key(key).and_then(toml_edit::Key::span);
            return Err(unknown_key(
                path,
                text,
                span,
                &format!("{prefix}{key}"),
                key,
                keys,
            ));
        }
        let sub: Option<&[&str]> = match (keys, key) {
            (k, "forge") if std::ptr::eq(k, TOP_KEYS) => Some(FORGE_KEYS),
            (k, "llm") if std::ptr::eq(k, TOP_KEYS) => Some(LLM_KEYS),
            (k, "docker") if std::ptr::eq(k, TOP_KEYS) => Some(DOCKER_KEYS),
            (k, "product") if std::ptr::eq(k, TOP_KEYS) => Some(PRODUCT_KEYS),
            (k, "prod_index") if std::ptr::eq(k, TOP_KEYS) => Some(PROD_INDEX_KEYS),
            (k, "system_packages") if std::ptr::eq(k, DOCKER_KEYS) => Some(SYSTEM_PACKAGES_KEYS),
            _ => None,
        };
        if let Some(sub) = sub {
            let Some(t) = item.as_table_like() else {
                return Err(at(
                    path,
                    text,
                    item.span(),
                    &format!("`{prefix}{key}` must be a table"),
                )
                .into());
            };
            check_table_like(path, text, t, &format!("{prefix}{key}."), sub)?;
        } else if key == "packages" && std::ptr::eq(keys, TOP_KEYS) {
            let Some(t) = item.as_table_like() else {
                return Err(at(
                    path,
                    text,
                    item.span(),
                    &format!("`{prefix}{key}` must be a table"),
                )
                .into());
            };
            for (name, pkg) in t.iter() {
                let Some(p) = pkg.as_table_like() else {
                    return Err(at(
                        path,
                        text,
                        pkg.span(),
                        &format!("`{prefix}packages.{name}` must be a table"),
                    )
                    .into());
                };
                check_table_like(
                    path,
                    text,
                    p,
                    &format!("{prefix}packages.{name}."),
                    PACKAGE_KEYS,
                )?;
            }
        }
    }
    Ok(())
}

fn unknown_key(
    path: &Path,
    text: &str,
    span: Option<std::ops::Range<usize>>,
    full: &str,
    key: &str,
    valid: &[&str],
) -> anyhow::Error {
    let nearest = nearest(key, valid);
    let mut err = at(
        path,
        text,
        span,
        &format!("Unknown configuration key `{full}`"),
    );
    match nearest {
        Some(n) => {
            let _ = write!(err.message, "; did you mean `{n}`?");
            err = err.with_hint(format!("rename `{key}` to `{n}`, or remove it"));
        }
        None => {
            err = err.with_hint(format!("valid keys here: {}", valid.join(", ")));
        }
    }
    err.into()
}

/// The closest valid key by edit distance, when close enough to be a typo.
pub fn nearest<'a>(key: &str, valid: &[&'a str]) -> Option<&'a str> {
    valid
        .iter()
        .map(|v| {
            (
                strsim::damerau_levenshtein(key, v),
                strsim::jaro_winkler(key, v),
                *v,
            )
        })
        .filter(|(d, jw, _)| *d <= 3 || *jw >= 0.85)
        .min_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)))
        .map(|(_, _, v)| v)
}

fn deserialize<T: serde::de::DeserializeOwned + AsConfig>(
    path: &Path,
    text: &str,
) -> Result<Config> {
    let value: T = toml_edit::de::from_str(text).map_err(|e| -> anyhow::Error {
        let msg = e
            .message()
            .lines()
            .next()
            .unwrap_or("invalid value")
            .trim()
            .to_owned();
        // A value outside a fixed list is reported as `validate` reports a bad value.
        if let Some((key, why)) = msg.strip_prefix('`').and_then(|rest| rest.split_once("` "))
            && CHOICE_KEYS.contains(&key)
        {
            return invalid(path, key, why);
        }
        // A value of the wrong type: name the key and say what it takes, in words.
        if let Some(span) = e.span()
            && let Some(why) = typeerror::explain(text, &span, &msg)
        {
            let (line, col) = line_col(text, span.start);
            return UserError::usage(format!(
                "Invalid configuration in {}:{line}:{col}: {}",
                path.display(),
                why.message
            ))
            .with_hint(why.hint)
            .into();
        }
        at(
            path,
            text,
            e.span(),
            &format!("Invalid configuration: {msg}"),
        )
        .into()
    })?;
    let config = value.into_config();
    validate(path, &config)?;
    Ok(config)
}

trait AsConfig {
    fn into_config(self) -> Config;
}

impl AsConfig for Config {
    fn into_config(self) -> Config {
        self
    }
}

impl AsConfig for ToolWrapper {
    fn into_config(self) -> Config {
        self.tool.release_tool
    }
}

/// Checks that need more than a type: relative paths, sane names.
fn validate(path: &Path, config: &Config) -> Result<()> {
    let bad = |key: &str, why: &str| invalid(path, key, why);
    for (key, value) in [
        ("packages_dir", &config.packages_dir),
        ("changes_output_dir", &config.changes_output_dir),
        ("staging_pyproject_path", &config.staging_pyproject_path),
        ("prod_pyproject_path", &config.prod_pyproject_path),
    ] {
        if value.is_empty() {
            return Err(bad(key, "must not be empty"));
        }
        if !is_safe_relative(value) {
            return Err(bad(
                key,
                &format!("must be a relative path inside the root, got {value:?}"),
            ));
        }
    }
    for (key, value) in [
        (
            "changes_uncommitted_filename",
            &config.changes_uncommitted_filename,
        ),
        (
            "changes_since_tag_filename",
            &config.changes_since_tag_filename,
        ),
        ("commit_message_filename", &config.commit_message_filename),
        ("tag_message_filename", &config.tag_message_filename),
    ] {
        if value.is_empty() || value.contains(['/', '\\']) || value == ".." || value == "." {
            return Err(bad(
                key,
                &format!("must be a plain file name, got {value:?}"),
            ));
        }
    }
    if !config.changelog.is_empty() && !is_safe_relative(&config.changelog) {
        return Err(bad(
            "changelog",
            "must be a relative path inside the package",
        ));
    }
    let git_name = |key: &str, value: &str, check: fn(&str) -> Result<(), String>| {
        check(value).map_err(|why| bad(key, &format!("is not a valid git name: {value:?}: {why}")))
    };
    git_name("tag_prefix", &config.tag_prefix, safety::tag_prefix)?;
    if let Err(why) = tag_template_prefix(&config.tag_template, "name") {
        return Err(bad(
            "tag_template",
            &format!(
                "is not a valid tag template: {:?}: {why}",
                config.tag_template
            ),
        ));
    }
    git_name("git_remote", &config.git_remote, safety::remote_name)?;
    git_name("base_branch", &config.base_branch, safety::branch_name)?;
    git_name("dev_branch", &config.dev_branch, safety::branch_name)?;
    for (name, pkg) in &config.packages {
        if let Err(why) = safety::package_name(name) {
            return Err(bad(
                &format!("packages.{name}"),
                &format!("does not name a package: {name:?}: {why}"),
            ));
        }
        if let Some(prefix) = &pkg.tag_prefix {
            git_name(
                &format!("packages.{name}.tag_prefix"),
                prefix,
                safety::tag_prefix,
            )?;
        }
        if let Some(branch) = &pkg.base_branch {
            git_name(
                &format!("packages.{name}.base_branch"),
                branch,
                safety::branch_name,
            )?;
        }
        if let Some(repo) = &pkg.repository
            && let Err(why) = safety::repository(repo)
        {
            return Err(bad(
                &format!("packages.{name}.repository"),
                &format!("must be \"owner/repo\", got {repo:?}: {why}"),
            ));
        }
    }
    git_name(
        "product.tag_prefix",
        &config.product.tag_prefix,
        safety::tag_prefix,
    )?;
    if !config.product.changelog.is_empty() && !is_safe_relative(&config.product.changelog) {
        return Err(bad(
            "product.changelog",
            "must be a relative path inside the root",
        ));
    }
    if let Some(repo) = &config.product.repository
        && let Err(why) = safety::repository(repo)
    {
        return Err(bad(
            "product.repository",
            &format!("must be \"owner/repo\", got {repo:?}: {why}"),
        ));
    }
    validate_groups(config).map_err(|(key, why)| bad(&key, &why))?;
    if let Some(index) = &config.prod_index {
        if index.name.is_empty()
            || !index
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(bad(
                "prod_index.name",
                &format!(
                    "must be letters, digits, `-`, `_` or `.`, got {:?}",
                    index.name
                ),
            ));
        }
        validate_index_url(&index.url).map_err(|why| bad("prod_index.url", &why))?;
    }
    if let Some(url) = config.public_index.as_deref().filter(|u| !u.is_empty()) {
        validate_index_url(url).map_err(|why| bad("public_index", &why))?;
    }
    if config.jobs == Some(0) {
        return Err(bad("jobs", "must be at least 1"));
    }
    if config.git_timeout.is_some_and(|t| t == 0 || t > 86_400) {
        return Err(bad(
            "git_timeout",
            "must be a number of seconds from 1 to 86400",
        ));
    }
    if config.llm.max_diff_bytes == 0 {
        return Err(bad("llm.max_diff_bytes", "must be at least 1"));
    }
    if let Err((key, why)) = validate_docker(&config.docker) {
        return Err(bad(&format!("docker.{key}"), &why));
    }
    Ok(())
}

/// An index URL written into a manifest or asked by `check`: `http(s)://` or `file://`, without
/// credentials (they would be written into files and logs).
fn validate_index_url(url: &str) -> std::result::Result<(), String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(format!("must be an http(s):// or file:// URL, got {url:?}"));
    };
    if !matches!(scheme, "http" | "https" | "file")
        || rest.is_empty()
        || url.contains(char::is_whitespace)
    {
        return Err(format!("must be an http(s):// or file:// URL, got {url:?}"));
    }
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.contains('@') {
        return Err(
            "must not hold credentials (uv reads them from UV_INDEX_<NAME>_USERNAME and _PASSWORD)"
                .to_owned(),
        );
    }
    Ok(())
}

/// `[tool.release_tool.groups]`: every group names one package or more, each a valid name
/// given once, and no package is in two groups. `Err((key, why))` for the first bad one;
/// whether each names a package of the workspace is checked against the workspace
/// ([`unknown_group_members`]).
fn validate_groups(config: &Config) -> std::result::Result<(), (String, String)> {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for (group, members) in &config.groups {
        let key = format!("groups.{group}");
        if members.is_empty() {
            return Err((key, "must name at least one package".to_owned()));
        }
        for name in members {
            if let Err(why) = safety::package_name(name) {
                return Err((key, format!("does not name a package: {name:?}: {why}")));
            }
            let norm = normalize_name(name);
            if let Some(other) = seen.insert(norm, group) {
                return Err(if other == group.as_str() {
                    (key, format!("names {name:?} twice"))
                } else {
                    (
                        key,
                        format!(
                            "puts {name:?} in a second group (it is in `groups.{other}` already); a package belongs to one group at most"
                        ),
                    )
                });
            }
        }
    }
    Ok(())
}

/// A package name normalised as PEP 503 does (`My_Pkg` is `my-pkg`).
fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// The members of `[tool.release_tool.groups]` that name no package of `known` (normalised
/// names): `(group, member)` pairs, for the error that names the key.
#[must_use]
pub fn unknown_group_members(
    config: &Config,
    known: &dyn Fn(&str) -> bool,
) -> Vec<(String, String)> {
    config
        .groups
        .iter()
        .flat_map(|(g, members)| members.iter().map(move |m| (g, m)))
        .filter(|(_, m)| !known(&normalize_name(m)))
        .map(|(g, m)| (g.clone(), m.clone()))
        .collect()
}

/// The group `key` (a normalised package name) belongs to, with its members.
#[must_use]
pub fn group_of<'a>(config: &'a Config, key: &str) -> Option<(&'a str, &'a [String])> {
    config
        .groups
        .iter()
        .find(|(_, members)| members.iter().any(|m| normalize_name(m) == key))
        .map(|(g, m)| (g.as_str(), m.as_slice()))
}

/// The error for the bad value of `key` in the configuration file `path`.
fn invalid(path: &Path, key: &str, why: &str) -> anyhow::Error {
    UserError::usage(format!(
        "Invalid configuration in {}: `{key}` {why}",
        path.display()
    ))
    .with_hint(format!(
        "fix `{key}` in {} (see `release-tool config schema` for every key's form)",
        path.display()
    ))
    .into()
}

/// The form of every `[tool.release_tool.docker]` value: `Err((key, why))` for the first bad
/// one. Values end up in a Dockerfile and on engine command lines, so each is held to the
/// characters its place allows (no spaces or quotes where a shell or an argv would split).
pub fn validate_docker(d: &DockerConfig) -> std::result::Result<(), (String, String)> {
    check_docker_images(d)?;
    check_docker_versions(d)?;
    check_docker_packages(d)?;
    check_docker_commands_and_tags(d)?;
    check_docker_paths(d)?;
    check_docker_build_inputs(d)
}

/// A bad `[docker]` value: its key (below `docker.`) and why.
type BadValue = (String, String);

/// `Err((key, why()))` unless `ok`.
fn check(ok: bool, key: &str, why: impl FnOnce() -> String) -> Result<(), BadValue> {
    if ok {
        Ok(())
    } else {
        Err((key.to_owned(), why()))
    }
}

/// The image references: `base_image`, `builder_image`, and the untagged `uv_image`, `image`.
fn check_docker_images(d: &DockerConfig) -> Result<(), BadValue> {
    for (key, value) in [
        ("base_image", &d.base_image),
        ("builder_image", &d.builder_image),
    ] {
        if let Some(v) = value {
            check(is_image_ref(v), key, || {
                format!("is not an image reference (like \"python:3.12-slim-bookworm\"), got {v:?}")
            })?;
        }
    }
    for (key, value) in [("uv_image", &d.uv_image), ("image", &d.image)] {
        if let Some(v) = value {
            check(is_image_ref(v), key, || {
                format!("is not an image name (like \"registry.example.com/team/app\"), got {v:?}")
            })?;
            check(!has_tag(v), key, || {
                let tags = if key == "image" {
                    "`tags`"
                } else {
                    "`uv_version`"
                };
                format!("must not carry a tag (set it with {tags}), got {v:?}")
            })?;
        }
    }
    Ok(())
}

/// The versions: `uv_version`, `python_version`, `cuda_version`.
fn check_docker_versions(d: &DockerConfig) -> Result<(), BadValue> {
    if let Some(v) = &d.uv_version {
        check(is_version_like(v, 3), "uv_version", || {
            format!("must be a uv release like \"0.13.9\", got {v:?}")
        })?;
    }
    if let Some(v) = &d.python_version {
        check(
            v.starts_with("3.") && (is_version_like(v, 2) || is_version_like(v, 3)),
            "python_version",
            || format!("must be a Python version like \"3.12\" or \"3.12.7\", got {v:?}"),
        )?;
    }
    if let Some(v) = &d.cuda_version {
        check(
            is_version_like(v, 2) || is_version_like(v, 3),
            "cuda_version",
            || format!("must be a CUDA version like \"12.6.3\", got {v:?}"),
        )?;
    }
    Ok(())
}

/// What is installed: `extras` and the apt `system_packages`.
fn check_docker_packages(d: &DockerConfig) -> Result<(), BadValue> {
    for e in &d.extras {
        // An extra's name has the form of a package name (PEP 685): never an option.
        check(safety::package_name(e).is_ok(), "extras", || {
            format!("holds {e:?}, which is not an extra's name")
        })?;
    }
    for (key, list) in [
        ("system_packages.runtime", &d.system_packages.runtime),
        ("system_packages.build", &d.system_packages.build),
    ] {
        for p in list {
            check(is_apt_package(p), key, || {
                format!(
                    "holds {p:?}, which is not an apt package name (like \"libgomp1\" or \"gcc=4:12.2.0-3\")"
                )
            })?;
        }
    }
    Ok(())
}

/// The image's `cmd`, `entrypoint` and `tags`.
fn check_docker_commands_and_tags(d: &DockerConfig) -> Result<(), BadValue> {
    for (key, value) in [("cmd", &d.cmd), ("entrypoint", &d.entrypoint)] {
        if let Some(v) = value {
            check(!v.is_empty(), key, || {
                "must not be an empty list".to_owned()
            })?;
        }
    }
    if let Some(tags) = &d.tags {
        check(!tags.is_empty(), "tags", || {
            "must not be an empty list".to_owned()
        })?;
        for t in tags {
            check(is_tag_template(t), "tags", || {
                format!(
                    "holds {t:?}: a tag is letters, digits, `_`, `.` and `-` (at most 128, not starting with `.` or `-`), with `{{version}}`, `{{major}}`, `{{minor}}` and `{{revision}}` replaced"
                )
            })?;
        }
    }
    Ok(())
}

/// The paths: `dockerfile`, `context`, `copy`, `mounts`, `ca_bundle`, `git_config`.
fn check_docker_paths(d: &DockerConfig) -> Result<(), BadValue> {
    for (key, value) in [("dockerfile", &d.dockerfile), ("context", &d.context)] {
        if let Some(v) = value {
            check(!v.is_empty() && is_safe_relative(v), key, || {
                format!("must be a relative path inside the root, got {v:?}")
            })?;
        }
    }
    for c in &d.copy {
        check(
            !c.is_empty()
                && is_safe_relative(c)
                && !c
                    .chars()
                    .any(|ch| ch.is_whitespace() || "\"'\\$`".contains(ch)),
            "copy",
            || {
                format!(
                    "holds {c:?}: each entry must be a relative path inside the context, without spaces or quotes"
                )
            },
        )?;
    }
    for m in &d.mounts {
        check(
            !m.is_empty()
                && !m
                    .chars()
                    .any(|ch| ch.is_whitespace() || "\"'\\$`,=".contains(ch)),
            "mounts",
            || {
                format!(
                    "holds {m:?}: each entry is a directory path, without spaces, quotes, commas or `=`"
                )
            },
        )?;
    }
    for (key, value) in [("ca_bundle", &d.ca_bundle), ("git_config", &d.git_config)] {
        if let Some(v) = value {
            check(!v.trim().is_empty() && !v.contains(','), key, || {
                format!("must be a file path (without commas), got {v:?}")
            })?;
        }
    }
    Ok(())
}

/// What the build is given: `build_args`, `secret_env`, `platforms`, `insecure_registries`.
fn check_docker_build_inputs(d: &DockerConfig) -> Result<(), BadValue> {
    for (k, v) in &d.build_args {
        check(is_env_name(k), "build_args", || {
            format!("holds the key {k:?}: build argument names are letters, digits and `_`")
        })?;
        check(!v.contains(['\n', '\r']), "build_args", || {
            format!("`{k}` must be one line")
        })?;
    }
    for name in &d.secret_env {
        check(is_env_name(name), "secret_env", || {
            format!("holds {name:?}, which is not an environment variable name")
        })?;
    }
    for p in &d.platforms {
        let parts: Vec<&str> = p.split('/').collect();
        check(
            (2..=3).contains(&parts.len())
                && parts.iter().all(|s| {
                    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                }),
            "platforms",
            || {
                format!(
                    "holds {p:?}: a platform is `os/arch` or `os/arch/variant`, like \"linux/amd64\""
                )
            },
        )?;
    }
    for r in &d.insecure_registries {
        check(
            !r.is_empty()
                && !r.contains("://")
                && r.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c)),
            "insecure_registries",
            || format!("holds {r:?}: a registry is `host` or `host:port`, without a scheme"),
        )?;
    }
    Ok(())
}

fn quoted(valid: &[&str]) -> String {
    valid
        .iter()
        .map(|v| format!("\"{v}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An image reference: `[registry[:port]/]path[:tag][@digest]` in the characters references
/// use; nothing a shell or an argv would split, and no option.
pub fn is_image_ref(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(['-', '/', ':', '.'])
        && !s.ends_with(['/', ':'])
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/:@+".contains(c))
}

/// Whether an image reference carries a tag or a digest (a `:` after the last `/`, or `@`).
pub fn has_tag(s: &str) -> bool {
    s.contains('@') || s.rsplit('/').next().is_some_and(|last| last.contains(':'))
}

/// `N.N` (`parts` = 2) or `N.N.N` (`parts` = 3).
fn is_version_like(s: &str, parts: usize) -> bool {
    let split: Vec<&str> = s.split('.').collect();
    split.len() == parts
        && split
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

fn is_apt_package(s: &str) -> bool {
    let (name, version) = s.split_once('=').map_or((s, None), |(n, v)| (n, Some(v)));
    name.len() >= 2
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+.-".contains(c))
        && version.is_none_or(|v| {
            !v.is_empty()
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".+~:-".contains(c))
        })
}

fn is_env_name(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A tag with `{version}`, `{major}`, `{minor}` and `{revision}` standing for values that are
/// valid in tags.
fn is_tag_template(t: &str) -> bool {
    let sample = t
        .replace("{version}", "1.0.0")
        .replace("{major}", "1")
        .replace("{minor}", "0")
        .replace("{revision}", "0123abc");
    is_tag(&sample)
}

/// An image tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
pub fn is_tag(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= 128
        && t.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

/// A relative path with no `..` component, no absolute prefix, no component starting with `-`
/// and no control characters.
pub fn is_safe_relative(p: &str) -> bool {
    let path = Path::new(p);
    !p.chars().any(char::is_control)
        && path.components().all(|c| match c {
            std::path::Component::Normal(name) => !name.to_string_lossy().starts_with('-'),
            std::path::Component::CurDir => true,
            _ => false,
        })
}

/// An error at a span of `text` in `path`, as `file:line:col`.
fn at(path: &Path, text: &str, span: Option<std::ops::Range<usize>>, msg: &str) -> UserError {
    match span {
        Some(s) => {
            let (line, col) = line_col(text, s.start);
            UserError::usage(format!("{msg} in {}:{line}:{col}", path.display()))
        }
        None => UserError::usage(format!("{msg} in {}", path.display())),
    }
}

/// The tag prefix a tag template gives a package: the template up to its final `{version}`,
/// `{name}` replaced by the package's name; or why the template is not one.
pub fn tag_template_prefix(template: &str, name: &str) -> Result<String, String> {
    let Some(head) = template.strip_suffix("{version}") else {
        return Err("it must end with `{version}`".to_owned());
    };
    if head.contains("{version}") {
        return Err("`{version}` may appear once only".to_owned());
    }
    let prefix = head.replace("{name}", name);
    if prefix.contains(['{', '}']) {
        return Err("the placeholders are `{name}` and `{version}`".to_owned());
    }
    safety::tag_prefix(&prefix)?;
    Ok(prefix)
}

#[cfg(test)]
#[test]
fn tag_templates() {
    assert_eq!(
        tag_template_prefix("{name}-v{version}", "a").unwrap(),
        "a-v"
    );
    assert_eq!(
        tag_template_prefix("rel/{name}/{version}", "a").unwrap(),
        "rel/a/"
    );
    assert!(
        tag_template_prefix("{version}-{name}", "a")
            .unwrap_err()
            .contains("end with")
    );
    assert!(tag_template_prefix("{version}{version}", "a").is_err());
    assert!(tag_template_prefix("{nam}{version}", "a").is_err());
    assert!(tag_template_prefix("-{name}{version}", "a").is_err());
}

impl Config {
    /// The tag prefix of a package (override or global).
    pub fn tag_prefix_for(&self, package: &str) -> &str {
        self.packages
            .get(package)
            .and_then(|p| p.tag_prefix.as_deref())
            .unwrap_or(&self.tag_prefix)
    }

    /// The tag prefix of a package by where its git lives: `[packages.NAME] tag_prefix`, else
    /// for an in-tree package (tags in the root repository) the `tag_template` with its name,
    /// else the global `tag_prefix`.
    pub fn package_tag_prefix(&self, package: &str, in_tree: bool) -> std::borrow::Cow<'_, str> {
        if let Some(p) = self
            .packages
            .get(package)
            .and_then(|p| p.tag_prefix.as_deref())
        {
            return p.into();
        }
        if in_tree {
            // Validated when loaded; a name that makes a bad ref falls back to `<name>-v`.
            return tag_template_prefix(&self.tag_template, package)
                .unwrap_or_else(|_| format!("{package}-v"))
                .into();
        }
        self.tag_prefix.as_str().into()
    }

    /// The base branch a package's `[packages.NAME] base_branch` sets, if any (see
    /// `Workspace::base_branch` for the detected one).
    pub fn base_branch_override(&self, package: &str) -> Option<&str> {
        self.packages
            .get(package)
            .and_then(|p| p.base_branch.as_deref())
    }

    /// Whether a package is skipped by configuration.
    pub fn is_skipped(&self, package: &str) -> bool {
        self.packages.get(package).is_some_and(|p| p.skip)
    }

    /// Number of parallel workers: CLI `-j`, then `jobs`, then the CPU count.
    pub fn effective_jobs(&self, cli: Option<usize>) -> usize {
        cli.or(self.jobs)
            .unwrap_or_else(|| {
                std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
            })
            .max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> Result<Config> {
        parse_config_file(Path::new("release_tool.toml"), text)
    }

    fn err(text: &str) -> String {
        format!("{:#}", file(text).unwrap_err())
    }

    #[test]
    fn defaults_match_the_original_tool() {
        let c = Config::default();
        assert_eq!(c.packages_dir, "packages");
        assert_eq!(c.changes_output_dir, "release_tool/changes");
        assert_eq!(c.changes_uncommitted_filename, "changes_uncommitted.txt");
        assert_eq!(c.changes_since_tag_filename, "changes_since_tag.txt");
        assert_eq!(c.commit_message_filename, "commit_message.txt");
        assert_eq!(c.tag_message_filename, "tag_message.md");
        assert_eq!(c.staging_pyproject_path, "staging/pyproject.toml");
        assert_eq!(c.prod_pyproject_path, "prod/pyproject.toml");
        assert_eq!(c.tag_prefix, "v");
        assert_eq!(c.git_remote, "origin");
        assert!(!c.dry_run);
        assert_eq!(c.base_branch, "main");
        assert_eq!(c.dev_branch, "dev_branch");
        assert_eq!(c.prod_source, ProdSource::Git);
        assert_eq!(c.changelog, "CHANGELOG.md");
        assert_eq!(c.forge.kind, ForgeKind::Github);
    }

    #[test]
    fn empty_file_gives_defaults() {
        assert_eq!(file("").unwrap(), Config::default());
    }

    /// A `[forge]` table, even with defaults only, configures the forge explicitly (it then
    /// applies to `file://` remotes too); `configured` is no key.
    #[test]
    fn a_forge_table_configures_the_forge() {
        assert!(!file("").unwrap().forge.configured);
        assert!(
            !file("[tool.release_tool]\ntag_prefix = \"v\"\n")
                .unwrap()
                .forge
                .configured
        );
        for text in [
            "[forge]\nkind = \"github\"\n",
            "[forge]\n",
            "[tool.release_tool.forge]\nreleases = false\n",
        ] {
            assert!(file(text).unwrap().forge.configured, "{text}");
        }
        assert!(file("[forge]\nconfigured = false\n").is_err());
    }

    #[test]
    fn tool_table_layout_is_accepted() {
        let c =
            file("[tool.release_tool]\ntag_prefix = \"rel-\"\nprod_source = \"index\"\n").unwrap();
        assert_eq!(c.tag_prefix, "rel-");
        assert_eq!(c.prod_source, ProdSource::Index);
    }

    #[test]
    fn top_level_layout_with_tables() {
        let c = file(
            "packages_dir = \"libs\"\njobs = 4\n[forge]\nkind = \"gitea\"\napi_url = \"https://g.example/api/v1\"\n\
             [llm]\nmodel = \"m\"\n[docker]\npreset = \"cuda\"\n[docker.system_packages]\nruntime = [\"libgomp1\"]\n\
             [packages.alpha]\ntag_prefix = \"alpha-v\"\nskip = true\nrepository = \"org/alpha\"\n",
        )
        .unwrap();
        assert_eq!(c.packages_dir, "libs");
        assert_eq!(c.jobs, Some(4));
        assert_eq!(c.forge.kind, ForgeKind::Gitea);
        assert_eq!(c.llm.model, "m");
        assert_eq!(c.docker.system_packages.runtime, vec!["libgomp1"]);
        assert_eq!(c.tag_prefix_for("alpha"), "alpha-v");
        assert_eq!(c.tag_prefix_for("beta"), "v");
        // In-tree packages: the override still wins, else `tag_template`.
        assert_eq!(c.package_tag_prefix("alpha", true), "alpha-v");
        assert_eq!(c.package_tag_prefix("beta", true), "beta-v");
        assert_eq!(c.package_tag_prefix("beta", false), "v");
        assert!(c.is_skipped("alpha"));
    }

    #[test]
    fn unknown_key_names_key_file_line_and_nearest() {
        let e = err("tag_prefix = \"v\"\ntag_prefx = \"v\"\n");
        assert_eq!(
            e,
            "Unknown configuration key `tag_prefx` in release_tool.toml:2:1; did you mean `tag_prefix`?"
        );
    }

    #[test]
    fn obsolete_keys_of_the_python_tool_warn_and_are_ignored() {
        let text = "[tool.release_tool]\npackages_dir = \"packages\"\n\
                    changes_filename = \"release_changes.txt\"\n_config_source = \"x\"\n\
                    tag_prefix = \"\"\n";
        let (c, warnings) = parse_config_file_warned(Path::new("release_tool.toml"), text).unwrap();
        assert_eq!(c.tag_prefix, "");
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(
            warnings[0].starts_with(
                "Obsolete configuration key `tool.release_tool.changes_filename` in \
                 release_tool.toml:3:1"
            ) && warnings[0].contains("changes_uncommitted_filename"),
            "{warnings:?}"
        );
        // Top level: positions after a blanked multi-line value stay true.
        let e = parse_config_file_warned(
            Path::new("release_tool.toml"),
            "changes_filename = [\n  \"a\",\n]\ndev_branch = 3\n",
        )
        .unwrap_err();
        assert!(format!("{e:#}").contains("release_tool.toml:4:"), "{e:#}");
        // In a pyproject.
        let (_, warnings) = parse_pyproject_warned(
            Path::new("pyproject.toml"),
            "[tool.release_tool]\nchanges_filename = \"x\"\n",
        )
        .unwrap()
        .unwrap();
        assert_eq!(warnings.len(), 1);
        // A key the old tool never had is still an error, and obsolete keys are top-level only.
        assert!(err("changes_filenam = \"x\"\n").contains("Unknown configuration key"));
        assert!(err("[forge]\nchanges_filename = \"x\"\n").contains("Unknown configuration key"));
    }

    #[test]
    fn unknown_nested_key() {
        let e = err("[tool.release_tool.forge]\nknd = \"github\"\n");
        assert!(
            e.starts_with(
                "Unknown configuration key `tool.release_tool.forge.knd` in release_tool.toml:2:1"
            ),
            "{e}"
        );
        assert!(e.contains("did you mean `kind`?"), "{e}");
        let e = err("[packages.alpha]\nskipp = true\n");
        assert!(
            e.contains("`packages.alpha.skipp`") && e.contains("`skip`"),
            "{e}"
        );
    }

    #[test]
    fn unknown_key_without_near_match_lists_valid_keys() {
        let e = file("zzzzzzzzzzzz = 1\n").unwrap_err();
        let (kind, hint) = crate::core::error::classify(&e);
        assert_eq!(kind, crate::core::error::ExitKind::Usage);
        assert!(hint.unwrap().starts_with("valid keys here: packages_dir"));
    }

    #[test]
    fn wrong_type_and_bad_enum() {
        let e = err("dry_run = \"yes\"\n");
        assert!(
            e.starts_with(
                "Invalid configuration in release_tool.toml:1:11: `dry_run` must be true or false"
            ),
            "{e}"
        );
        let e = err("prod_source = \"pypi\"\n");
        assert!(e.contains("pypi"), "{e}");
    }

    #[test]
    fn dependents_is_one_of_three_policies() {
        assert_eq!(Config::default().dependents, Dependents::Raise);
        for (text, policy) in [
            ("raise", Dependents::Raise),
            ("exact", Dependents::Exact),
            ("keep", Dependents::Keep),
        ] {
            assert_eq!(
                file(&format!("dependents = \"{text}\"\n"))
                    .unwrap()
                    .dependents,
                policy
            );
        }
        let e = err("[tool.release_tool]\ndependents = \"pin\"\n");
        assert_eq!(
            e,
            "Invalid configuration in release_tool.toml: `dependents` must be one of \"raise\", \"exact\", \"keep\", got \"pin\""
        );
        assert!(err("dependents = true\n").contains("Invalid configuration"));
    }

    #[test]
    fn malformed_toml_reports_line_and_col() {
        let e = err("a = 1\nb = = 2\n");
        assert!(
            e.starts_with("Malformed TOML in release_tool.toml:2:5:"),
            "{e}"
        );
    }

    #[test]
    fn unsafe_paths_and_names_rejected() {
        assert!(err("packages_dir = \"../x\"\n").contains("relative path inside the root"));
        assert!(err("packages_dir = \"/abs\"\n").contains("relative path"));
        assert!(err("tag_prefix = \"--upload-pack=x\"\n").contains("not a valid git name"));
        assert!(err("commit_message_filename = \"a/b\"\n").contains("plain file name"));
        assert!(err("jobs = 0\n").contains("at least 1"));
        assert!(err("git_timeout = 0\n").contains("from 1 to 86400"));
        assert!(err("git_timeout = 86401\n").contains("from 1 to 86400"));
        assert!(err("[packages.a]\nrepository = \"nope\"\n").contains("owner/repo"));
        assert!(err("[packages.a]\nrepository = \"../admin\"\n").contains("owner/repo"));
        assert!(err("[packages.\"../x\"]\nskip = true\n").contains("does not name a package"));
        assert!(err("[docker]\nextras = [\"--upload-pack=x\"]\n").contains("extras"));
        assert!(err("git_remote = \"up..stream\"\n").contains("`..`"));
        assert!(err("base_branch = \"main.lock\"\n").contains("`.lock`"));
    }

    #[test]
    fn keys_outside_tool_table_rejected() {
        let e = err("tag_prefix = \"v\"\n[tool.release_tool]\ndry_run = true\n");
        assert!(e.contains("outside [tool.release_tool]"), "{e}");
    }

    #[test]
    fn pyproject_table() {
        let p = Path::new("pyproject.toml");
        assert!(
            parse_pyproject(p, "[project]\nname = \"x\"\n")
                .unwrap()
                .is_none()
        );
        let c = parse_pyproject(
            p,
            "[project]\nname = \"x\"\n[tool.release_tool]\ndev_branch = \"develop\"\n",
        )
        .unwrap()
        .unwrap();
        assert_eq!(c.dev_branch, "develop");
        let e = format!(
            "{:#}",
            parse_pyproject(p, "[tool.release_tool]\ndevbranch = 1\n").unwrap_err()
        );
        assert!(
            e.contains("pyproject.toml:2:1") && e.contains("`dev_branch`"),
            "{e}"
        );
    }

    #[test]
    fn docker_keys_are_checked() {
        let c = file(
            "[docker]\npreset = \"cuda\"\ncuda_version = \"12.6.3\"\nca_bundle = \"/etc/ssl/certs/ca-certificates.crt\"\n\
             insecure_registries = [\"127.0.0.1:5000\"]\ncopy = [\"app\"]\nsecret_env = [\"UV_INDEX_TOKEN\"]\n\
             git_config = \"ci/gitconfig\"\ntags = [\"{version}\", \"latest\", \"sha-{revision}\"]\n",
        )
        .unwrap();
        assert_eq!(c.docker.insecure_registries, vec!["127.0.0.1:5000"]);

        assert_eq!(c.docker.copy, vec!["app"]);
        let c2 = file("[docker]\ntags = [\"{major}.{minor}\", \"v{major}\"]\non_release = true\n")
            .unwrap();
        assert!(c2.docker.on_release);
        assert!(err("[docker]\non_release = \"yes\"\n").contains("Invalid configuration"));
        for (text, expected) in [
            (
                "preset = \"fat\"",
                "`docker.preset` must be one of \"slim\", \"cuda\"",
            ),
            ("python = \"conda\"", "`docker.python` must be one of"),
            ("engine = \"kaniko\"", "`docker.engine` must be one of"),
            (
                "base_image = \"python 3\"",
                "`docker.base_image` is not an image reference",
            ),
            (
                "image = \"reg.example/app:1.0\"",
                "`docker.image` must not carry a tag",
            ),
            (
                "uv_image = \"ghcr.io/astral-sh/uv:0.5.0\"",
                "set it with `uv_version`",
            ),
            (
                "uv_version = \"latest\"",
                "`docker.uv_version` must be a uv release",
            ),
            (
                "python_version = \"2.7\"",
                "`docker.python_version` must be a Python version",
            ),
            ("cuda_version = \"12\"", "`docker.cuda_version`"),
            ("extras = [\"a b\"]", "`docker.extras` holds \"a b\""),
            ("tags = [\"-x\"]", "`docker.tags` holds \"-x\""),
            ("tags = [\"{branch}\"]", "`docker.tags` holds \"{branch}\""),
            ("tags = [\"{patch}\"]", "`docker.tags` holds \"{patch}\""),
            ("tags = []", "`docker.tags` must not be an empty list"),
            ("cmd = []", "`docker.cmd` must not be an empty list"),
            (
                "dockerfile = \"../Dockerfile\"",
                "`docker.dockerfile` must be a relative path",
            ),
            (
                "context = \"/\"",
                "`docker.context` must be a relative path",
            ),
            ("copy = [\"a b\"]", "`docker.copy` holds"),
            ("mounts = [\"/a,b\"]", "`docker.mounts` holds"),
            ("secret_env = [\"A-B\"]", "`docker.secret_env` holds"),
            ("platforms = [\"amd64\"]", "`docker.platforms` holds"),
            (
                "insecure_registries = [\"http://x\"]",
                "`docker.insecure_registries` holds",
            ),
            (
                "build_args = { \"A B\" = \"1\" }",
                "`docker.build_args` holds the key",
            ),
            (
                "[docker.system_packages]\nbuild = [\"gcc; rm -rf /\"]",
                "`docker.system_packages.build` holds",
            ),
        ] {
            let e = err(&format!("[docker]\n{text}\n"));
            assert!(
                e.starts_with("Invalid configuration in release_tool.toml: ")
                    && e.contains(expected),
                "{text}: {e}"
            );
        }
        let e = err("[docker]\nca_bundel = \"x\"\n");
        assert!(
            e.contains("`docker.ca_bundel`") && e.contains("did you mean `ca_bundle`?"),
            "{e}"
        );
    }

    #[test]
    fn nearest_key() {
        assert_eq!(nearest("packages_dirr", TOP_KEYS), Some("packages_dir"));
        assert_eq!(nearest("gitremote", TOP_KEYS), Some("git_remote"));
        assert_eq!(nearest("qqqqqqqqqqqqqq", TOP_KEYS), None);
    }
}
