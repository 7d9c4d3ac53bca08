//! `publish`: build every selected package at its release tag in a clean checkout and upload
//! the wheel and sdist to a package index with `uv publish`.
//!
//! A package's release tag is its newest final tag (`<tag_prefix><version>`, neither a pre- nor
//! a dev-release). Planning reads tags and the tagged `pyproject.toml` from git objects only,
//! so a version mismatch is reported before anything is cloned, built or uploaded, and
//! `--dry-run` shows the same problems. The work happens in a temporary directory outside the
//! workspace: `git clone --no-checkout` of the package repository, `git checkout --detach
//! <tag>`, `uv build --no-sources`, then `uv publish --check-url` so that a re-run skips files
//! the index already has. The package's own work tree and index are never touched. An in-tree
//! package's repository is the root's: its tag (`tag_template`) is read there, the root is
//! cloned and checked out at the tag, and the package is built from its directory.
//!
//! Credentials never pass through release-tool: uv reads `UV_PUBLISH_TOKEN` (or
//! `UV_PUBLISH_USERNAME`/`UV_PUBLISH_PASSWORD`, keyring, netrc) itself, and URLs that carry
//! credentials are refused, so no secret is ever in an argv, a plan or an output line.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::Serialize;

use crate::core::error::UserError;
use crate::git::Git;
use crate::plan::Plan;
use crate::python::pyproject::{self, PyProject, VersionSource};
use crate::python::uv::Uv;
use crate::python::version::{self, Version};
use crate::workspace::{Package, Skipped, Workspace};

/// What to publish and where.
#[derive(Clone, Debug, Default)]
pub struct PublishRequest {
    /// Packages named on the command line (positional and `-p`); empty = all.
    pub packages: Vec<String>,
    /// Upload URL (`--index`, else `UV_PUBLISH_URL`).
    pub index: Option<String>,
    /// Simple-index URL for `--check-url` (`--check-url`, else `UV_PUBLISH_CHECK_URL`);
    /// derived from the upload URL when `None`.
    pub check_url: Option<String>,
}

/// Where files go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Index {
    /// `uv publish --publish-url`.
    pub upload_url: String,
    /// `uv publish --check-url`: the index's simple API.
    pub check_url: String,
}

/// The upload and check URLs of a request: a usage error (exit 2) without an upload URL, for a
/// URL that is not http(s), or for one that carries credentials.
pub fn resolve_index(upload: Option<&str>, check: Option<&str>) -> Result<Index> {
    let Some(upload) = upload.map(str::trim).filter(|u| !u.is_empty()) else {
        return Err(UserError::usage(
            "No package index to publish to: pass --index URL or set UV_PUBLISH_URL",
        )
        .with_hint(
            "for a pypiserver at http://HOST:PORT use `--index http://HOST:PORT/`; \
             release-tool never falls back to PyPI (`--index https://upload.pypi.org/legacy/` \
             uploads there on purpose)",
        )
        .into());
    };
    check_url_shape("--index", upload)?;
    let check_url = match check.map(str::trim).filter(|c| !c.is_empty()) {
        Some(check) => {
            check_url_shape("--check-url", check)?;
            check.to_owned()
        }
        None => default_check_url(upload),
    };
    Ok(Index {
        upload_url: upload.to_owned(),
        check_url,
    })
}

/// The simple-index URL that goes with an upload URL: `https://upload.pypi.org/legacy/` →
/// `https://pypi.org/simple/`; another `…/legacy/` (`TestPyPI`) → `…/simple/`; anything else
/// (pypiserver, Nexus, Artifactory, GitLab) → `<upload URL>/simple/`.
pub fn default_check_url(upload: &str) -> String {
    let base = if upload.ends_with('/') {
        upload.to_owned()
    } else {
        format!("{upload}/")
    };
    if let Some(rest) = base.strip_prefix("https://upload.pypi.org/legacy/")
        && rest.is_empty()
    {
        return "https://pypi.org/simple/".to_owned();
    }
    match base.strip_suffix("/legacy/") {
        Some(stem) => format!("{stem}/simple/"),
        None => format!("{base}simple/"),
    }
}

/// The URL with any `user:password@` replaced by `***@`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

fn check_url_shape(flag: &str, url: &str) -> Result<()> {
    let shown = redact_url(url);
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(usage_url(flag, &shown, "it is not an http(s) URL"));
    };
    if !matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") || rest.is_empty() {
        return Err(usage_url(flag, &shown, "it is not an http(s) URL"));
    }
    if shown != url {
        return Err(UserError::usage(format!(
            "Refusing the {flag} URL {shown}: it carries credentials, which would show in \
             process lists and plans"
        ))
        .with_hint(
            "put the token in UV_PUBLISH_TOKEN (or UV_PUBLISH_USERNAME and UV_PUBLISH_PASSWORD) \
             and pass the URL without them",
        )
        .into());
    }
    Ok(())
}

fn usage_url(flag: &str, shown: &str, why: &str) -> anyhow::Error {
    UserError::usage(format!("Invalid {flag} URL `{shown}`: {why}"))
        .with_hint("pass the index's upload URL, e.g. `--index http://127.0.0.1:8080/`")
        .into()
}

/// One package to build and upload.
#[derive(Clone, Debug)]
pub struct PackageJob {
    pub name: String,
    pub key: String,
    /// Normalised version of the release tag.
    pub version: Version,
    pub tag: String,
    /// Keys of the workspace packages it depends on.
    pub workspace_deps: Vec<String>,
    /// Where its files are built.
    pub dist_dir: PathBuf,
    /// Clone, checkout and `uv build`.
    pub build: Plan,
    /// `uv publish`.
    pub upload: Plan,
}

/// The plan of a `publish` run.
#[derive(Clone, Debug)]
pub struct PublishPlan {
    pub root: PathBuf,
    pub index: Index,
    /// In dependency order.
    pub jobs: Vec<PackageJob>,
    pub skipped: Vec<Skipped>,
}

impl PublishPlan {
    /// Every step in the order a real run takes them (for `--dry-run`).
    pub fn steps(&self) -> Plan {
        let mut plan = Plan::new(&self.root);
        for job in &self.jobs {
            plan.steps.extend(job.build.steps.iter().cloned());
            plan.steps.extend(job.upload.steps.iter().cloned());
        }
        plan
    }
}

/// Why a selected package cannot be published (stops the whole run before any work).
struct Problem {
    message: String,
    hint: String,
}

/// Build the plan. `work_dir` is the (temporary) directory the packages are cloned and built
/// in, one subdirectory per package; nothing is created here. Reads git objects only.
pub fn plan(ws: &Workspace, request: &PublishRequest, work_dir: &Path) -> Result<PublishPlan> {
    let index = resolve_index(request.index.as_deref(), request.check_url.as_deref())?;
    let explicit = !request.packages.is_empty();
    let selected: BTreeSet<String> = ws
        .select(&request.packages)?
        .into_iter()
        .map(|p| p.key.clone())
        .collect();
    let mut jobs = Vec::new();
    let mut skipped = Vec::new();
    let mut problems = Vec::new();
    for pkg in ws.dependency_order()? {
        if !selected.contains(&pkg.key) {
            continue;
        }
        match plan_package(ws, pkg, &index, work_dir) {
            Ok(job) => jobs.push(job),
            Err(Outcome::Skip(reason)) => skipped.push(Skipped::new(pkg, reason)),
            Err(Outcome::NoReleaseTag(reason)) if !explicit => {
                skipped.push(Skipped::new(pkg, reason));
            }
            Err(Outcome::NoReleaseTag(reason)) => problems.push(Problem {
                message: format!("{}: {reason}", pkg.name),
                hint: format!(
                    "release it first (`release-tool tag -p {}`), or leave it out of the selection",
                    pkg.name
                ),
            }),
            Err(Outcome::Problem(problem)) => problems.push(problem),
        }
    }
    match problems.len() {
        0 => Ok(PublishPlan {
            root: ws.root.clone(),
            index,
            jobs,
            skipped,
        }),
        1 => {
            let p = problems.remove(0);
            Err(UserError::failure(format!(
                "Cannot publish {}; nothing was built or uploaded",
                p.message
            ))
            .with_hint(p.hint)
            .into())
        }
        n => {
            let list: Vec<String> = problems
                .iter()
                .map(|p| format!("  {} ({})", p.message, p.hint))
                .collect();
            Err(UserError::failure(format!(
                "Cannot publish {n} packages; nothing was built or uploaded:\n{}",
                list.join("\n")
            ))
            .with_hint("fix them as each line says, or leave them out with -p NAME")
            .into())
        }
    }
}

enum Outcome {
    /// Not published, without complaint (configuration).
    Skip(String),
    /// No final tag: a warning for a default selection, an error when named.
    NoReleaseTag(String),
    Problem(Problem),
}

fn plan_package(
    ws: &Workspace,
    pkg: &Package,
    index: &Index,
    work_dir: &Path,
) -> std::result::Result<PackageJob, Outcome> {
    let name = pkg.name.as_str();
    let problem = |message: String, hint: String| Outcome::Problem(Problem { message, hint });
    if ws.config.is_skipped(name) {
        return Err(Outcome::Skip(
            "skip = true in its [tool.release_tool.packages] configuration".to_owned(),
        ));
    }
    // An in-tree package's repository is the root's: its tags are there, and it is built from
    // its directory of the root's clone at the tag.
    let git = Git::new(pkg.repo_dir(&ws.root));
    if !git.is_repo_root() {
        return Err(problem(
            format!("{name}: {} is not a git repository", pkg.rel_path),
            format!(
                "run `git submodule update --init {}` (each package needs its own repository)",
                pkg.rel_path
            ),
        ));
    }
    let prefix = &ws.tag_prefix_named(name);
    let git_failed = |e: crate::git::GitError| {
        problem(
            format!("{name} ({}): {e}", pkg.rel_path),
            "fix the repository and run the command again".to_owned(),
        )
    };
    let tags = git.tags(prefix).map_err(git_failed)?;
    let Some((tag, tag_version)) =
        version::newest_tag(tags.iter().map(|t| t.name.as_str()), prefix, true)
    else {
        return Err(Outcome::NoReleaseTag(format!(
            "no release tag (no final `{prefix}<version>` tag in {})",
            pkg.rel_path
        )));
    };
    check_tagged_version(&git, pkg, &tag, &tag_version).map_err(|(message, hint)| {
        problem(
            format!("{name} at {tag} ({}): {message}", pkg.rel_path),
            hint,
        )
    })?;
    let pkg_work = work_dir.join(&pkg.key);
    let src = pkg_work.join("src");
    let dist = pkg_work.join("dist");
    let mut build = Plan::new(&ws.root);
    build.git(
        Some(name),
        work_dir,
        [
            "clone".to_owned(),
            "--quiet".to_owned(),
            "--no-checkout".to_owned(),
            "--".to_owned(),
            pkg.repo_dir(&ws.root).display().to_string(),
            src.display().to_string(),
        ],
    );
    build.git(
        Some(name),
        &src,
        ["checkout", "--quiet", "--detach", tag.as_str()],
    );
    let build_dir = match pkg.path_filter() {
        Some(sub) => src.join(sub),
        None => src.clone(),
    };
    build.uv(
        Some(name),
        &build_dir,
        [
            "build".to_owned(),
            "--no-sources".to_owned(),
            "--out-dir".to_owned(),
            dist.display().to_string(),
        ],
    );
    let mut upload = Plan::new(&ws.root);
    upload.uv(
        Some(name),
        &pkg_work,
        [
            "publish".to_owned(),
            "--publish-url".to_owned(),
            index.upload_url.clone(),
            "--check-url".to_owned(),
            index.check_url.clone(),
            // uv expands the glob itself; dist/ holds only this package's files.
            dist.join("*").display().to_string(),
        ],
    );
    Ok(PackageJob {
        name: name.to_owned(),
        key: pkg.key.clone(),
        version: tag_version,
        tag,
        workspace_deps: pkg.workspace_deps.clone(),
        dist_dir: dist,
        build,
        upload,
    })
}

/// The version in `pyproject.toml` at the tag (static, or hatch's version file) must be the
/// tag's version. A version hatch computes at build time is checked on the built files instead.
fn check_tagged_version(
    git: &Git,
    pkg: &Package,
    tag: &str,
    tag_version: &Version,
) -> std::result::Result<(), (String, String)> {
    let git_error = |e: crate::git::GitError| {
        (
            e.to_string(),
            "fix the repository and run the command again".to_owned(),
        )
    };
    let repo = pkg.repo_rel();
    let retag_hint = || {
        format!(
            "tag the commit that sets version {tag_version} instead (`git -C {repo} tag -d {tag}`, \
             then tag again), or set that version, commit and tag it"
        )
    };
    // The package's files at the tag: in its directory for an in-tree package.
    let at = |file: &str| match pkg.path_filter() {
        Some(dir) => format!("{dir}/{file}"),
        None => file.to_owned(),
    };
    let Some(text) = git
        .read_blob(tag, &at("pyproject.toml"))
        .map_err(git_error)?
    else {
        return Err((
            "the tag has no pyproject.toml".to_owned(),
            "tag a commit of the package (with its pyproject.toml)".to_owned(),
        ));
    };
    let display = PathBuf::from(format!("{tag}:{}", at("pyproject.toml")));
    let doc = PyProject::parse(&display, &text).map_err(|e| {
        (
            e.to_string(),
            "fix pyproject.toml, commit, and tag a new release".to_owned(),
        )
    })?;
    let (written, file) = match doc.version_source() {
        VersionSource::Static(v) => (v, "pyproject.toml".to_owned()),
        VersionSource::Dynamic {
            hatch_path: Some(path),
        } => {
            let Some(text) = git.read_blob(tag, &at(&path)).map_err(git_error)? else {
                return Err((
                    format!("the version file {path} named in [tool.hatch.version] is missing"),
                    "fix [tool.hatch.version] path, commit, and tag a new release".to_owned(),
                ));
            };
            let Some(v) = pyproject::version_in_text(&text) else {
                return Err((
                    format!("no __version__ assignment in {path}"),
                    "add `__version__ = \"X.Y.Z\"`, commit, and tag a new release".to_owned(),
                ));
            };
            (v.to_owned(), path)
        }
        // Computed by a build hook (e.g. hatch-vcs): checked on the built files.
        VersionSource::Dynamic { hatch_path: None } => return Ok(()),
        VersionSource::Missing => {
            return Err((
                "no [project] version in pyproject.toml".to_owned(),
                "set [project] version, commit, and tag a new release".to_owned(),
            ));
        }
    };
    match version::parse(&written) {
        Ok(v) if v == *tag_version => Ok(()),
        Ok(_) => Err((
            format!("the tag says version {tag_version} but {file} at the tag says {written}"),
            retag_hint(),
        )),
        Err(e) => Err((format!("{e} (in {file})"), retag_hint())),
    }
}

/// The outcome of one package (the `--json` record).
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Published {
    pub package: String,
    #[schemars(with = "String")]
    pub version: Version,
    pub tag: String,
    /// File names built (wheel and sdist), sorted.
    pub files: Vec<String>,
    /// Whether the upload step succeeded (every file is now on the index).
    pub uploaded: bool,
    /// Files the index already had (skipped thanks to `--check-url`).
    pub already_on_index: Vec<String>,
    /// What failed, when something did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Execute the plan: build every package (on up to `jobs` workers), then upload them one by
/// one in dependency order. A failed package does not stop the others, but its workspace
/// dependents are not uploaded (they could not be installed from the index). `on_done` is
/// called as each package finishes.
pub fn execute(
    plan: &PublishPlan,
    uv: &Uv,
    jobs: usize,
    on_done: &mut dyn FnMut(&Published),
) -> Vec<Published> {
    let built = crate::core::parallel::map(&plan.jobs, jobs, |job| build_one(job, uv));
    let mut failed: Vec<&str> = Vec::new();
    let mut results = Vec::new();
    // The uploads, one by one, get a bar of their own.
    let progress = crate::core::ui::Progress::start(plan.jobs.len());
    for (job, built) in plan.jobs.iter().zip(built) {
        let mut result = Published {
            package: job.name.clone(),
            version: job.version.clone(),
            tag: job.tag.clone(),
            files: Vec::new(),
            uploaded: false,
            already_on_index: Vec::new(),
            error: None,
        };
        let failed_deps: Vec<&str> = job
            .workspace_deps
            .iter()
            .map(String::as_str)
            .filter(|d| failed.contains(d))
            .collect();
        let outcome = built.and_then(|files| {
            result.files = files;
            if failed_deps.is_empty() {
                upload_one(job, uv, &mut result)
            } else {
                Err(anyhow::anyhow!(
                    "not uploaded because its dependency {} failed",
                    failed_deps.join(", ")
                ))
            }
        });
        if let Err(e) = outcome {
            result.error = Some(failure_message(&e));
            failed.push(&job.key);
        }
        on_done(&result);
        progress.inc();
        results.push(result);
    }
    results
}

/// Clone, check out, build; the built file names, checked against the tag's version.
fn build_one(job: &PackageJob, uv: &Uv) -> Result<Vec<String>> {
    for out in job.build.execute_captured(Some(uv))? {
        tracing::debug!("{}: {}", job.name, out.trim_end());
    }
    let files = built_files(&job.dist_dir)?;
    check_built_versions(job, &files)?;
    Ok(files)
}

fn upload_one(job: &PackageJob, uv: &Uv, result: &mut Published) -> Result<()> {
    let outputs = job.upload.execute_captured(Some(uv))?;
    for out in &outputs {
        tracing::debug!("{}: {}", job.name, out.trim_end());
    }
    result.already_on_index = outputs
        .iter()
        .flat_map(|out| out.lines())
        .filter_map(|line| {
            line.trim()
                .strip_prefix("File ")?
                .strip_suffix(" already exists, skipping")
                .map(str::to_owned)
        })
        .collect();
    result.uploaded = true;
    Ok(())
}

/// What failed, for the package's line: the innermost error (git's or uv's, which name the
/// command), without uv's progress lines, continuation lines indented.
fn failure_message(err: &anyhow::Error) -> String {
    const PROGRESS: &[&str] = &[
        "Publishing ",
        "Hashing ",
        "Uploading ",
        "Checking ",
        "Building ",
        "Successfully built ",
    ];
    let text = err.root_cause().to_string();
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !PROGRESS.iter().any(|p| l.starts_with(p)))
        .filter(|l| !l.trim().is_empty())
        .collect();
    lines.join("\n  ")
}

/// Wheels and sdists in `dist`, sorted by name.
fn built_files(dist: &Path) -> Result<Vec<String>> {
    let mut files: Vec<String> = fs_err::read_dir(dist)?
        .filter_map(std::result::Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| is_dist_file(n))
        .collect();
    files.sort();
    if files.is_empty() {
        anyhow::bail!("uv build produced no wheel or sdist in {}", dist.display());
    }
    Ok(files)
}

/// Whether a file name is a wheel or an sdist (uv names them in lower case).
fn is_dist_file(name: &str) -> bool {
    let path = Path::new(name);
    let has_ext = |p: &Path, ext: &str| {
        p.extension()
            .is_some_and(|e| e.to_string_lossy().eq_ignore_ascii_case(ext))
    };
    has_ext(path, "whl")
        || (has_ext(path, "gz")
            && path
                .file_stem()
                .is_some_and(|s| has_ext(Path::new(s), "tar")))
}

/// The version part of a wheel (`name-1.0-py3-none-any.whl`) or sdist (`name-1.0.tar.gz`)
/// file name.
pub fn dist_file_version(file: &str) -> Option<&str> {
    if let Some(stem) = file.strip_suffix(".whl") {
        stem.split('-').nth(1)
    } else {
        file.strip_suffix(".tar.gz")?
            .rsplit_once('-')
            .map(|(_, v)| v)
    }
}

fn check_built_versions(job: &PackageJob, files: &[String]) -> Result<()> {
    let tag_version = &job.version;
    for file in files {
        let built = dist_file_version(file).and_then(|v| version::parse(v).ok());
        if built.as_ref() != Some(tag_version) {
            return Err(UserError::failure(format!(
                "{}: built {file} at tag {} but the tag's version is {}; nothing uploaded",
                job.name, job.tag, job.version
            ))
            .with_hint("make the package's version at the tag match the tag, then tag again")
            .into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_url_defaults() {
        assert_eq!(
            default_check_url("http://127.0.0.1:8080/"),
            "http://127.0.0.1:8080/simple/"
        );
        assert_eq!(
            default_check_url("http://127.0.0.1:8080"),
            "http://127.0.0.1:8080/simple/"
        );
        assert_eq!(
            default_check_url("https://upload.pypi.org/legacy/"),
            "https://pypi.org/simple/"
        );
        assert_eq!(
            default_check_url("https://test.pypi.org/legacy/"),
            "https://test.pypi.org/simple/"
        );
        assert_eq!(
            default_check_url("https://nexus.example/repository/pypi-hosted/"),
            "https://nexus.example/repository/pypi-hosted/simple/"
        );
    }

    #[test]
    fn index_is_required_and_never_carries_credentials() {
        let err = resolve_index(None, None).unwrap_err();
        assert_eq!(
            crate::core::error::classify(&err).0,
            crate::core::error::ExitKind::Usage
        );
        assert!(err.to_string().contains("UV_PUBLISH_URL"), "{err}");
        let err = resolve_index(Some("https://me:s3cret@example.com/"), None).unwrap_err();
        let text = format!("{err:#}");
        assert!(
            !text.contains("s3cret") && text.contains("***@example.com"),
            "{text}"
        );
        assert!(resolve_index(Some("ftp://example.com/"), None).is_err());
        assert!(resolve_index(Some("example.com"), None).is_err());
        let err = resolve_index(Some("http://x/"), Some("http://t:k@x/simple/")).unwrap_err();
        assert!(!format!("{err:#}").contains("t:k"));
        assert_eq!(
            resolve_index(Some("http://x/"), Some("http://y/simple/")).unwrap(),
            Index {
                upload_url: "http://x/".to_owned(),
                check_url: "http://y/simple/".to_owned()
            }
        );
    }

    #[test]
    fn redacts_userinfo_only() {
        assert_eq!(redact_url("https://a:b@h/p@q"), "https://***@h/p@q");
        assert_eq!(redact_url("https://h/p@q"), "https://h/p@q");
        assert_eq!(redact_url("https://tok@h"), "https://***@h");
    }

    #[test]
    fn failure_message_keeps_uv_errors_without_progress() {
        let err = anyhow::anyhow!(
            "`uv publish x` failed in /tmp/w (exit 2):\nPublishing 2 files to http://i/\n\
             Uploading a.whl (1KiB)\nerror: Failed to publish `a.whl`\n  cause: 403 Forbidden"
        )
        .context("core-utils: step `uv publish x` failed");
        assert_eq!(
            failure_message(&err),
            "`uv publish x` failed in /tmp/w (exit 2):\n  error: Failed to publish `a.whl`\n    \
             cause: 403 Forbidden"
        );
    }

    #[test]
    fn dist_files() {
        assert!(is_dist_file("a-1.0-py3-none-any.whl"));
        assert!(is_dist_file("a-1.0.tar.gz"));
        assert!(is_dist_file("A-1.0.TAR.GZ"));
        assert!(!is_dist_file("a-1.0.gz"));
        assert!(!is_dist_file(".gitignore"));
    }

    #[test]
    fn versions_of_dist_files() {
        assert_eq!(
            dist_file_version("core_utils-0.1.0-py3-none-any.whl"),
            Some("0.1.0")
        );
        assert_eq!(
            dist_file_version("core_utils-0.1.0.post1-1-py3-none-any.whl"),
            Some("0.1.0.post1")
        );
        assert_eq!(
            dist_file_version("core_utils-1.0rc1.tar.gz"),
            Some("1.0rc1")
        );
        assert_eq!(dist_file_version("README.md"), None);
    }
}
