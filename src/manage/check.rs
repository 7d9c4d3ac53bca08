//! `check`: workspace health for CI. Read-only; every problem names the package and what to do.

use serde::Serialize;

use crate::core::parallel;
use crate::env::manifests;
use crate::env::{self, Mode};
use crate::git::Git;
use crate::plan::StepKind;
use crate::python::pyproject::PyProject;
use crate::python::uv::Uv;
use crate::python::version;
use crate::workspace::{Level, Package, Workspace};

/// One problem found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct CheckProblem {
    /// The package, or `None` for the root.
    pub package: Option<String>,
    /// Which check found it: `package`, `workspace-source`, `pins`, `manifests`, `submodules`,
    /// `locks`.
    pub check: &'static str,
    pub message: String,
}

/// The whole report.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct CheckReport {
    pub root: String,
    pub ok: bool,
    pub checks: Vec<&'static str>,
    pub problems: Vec<CheckProblem>,
    /// What deserves attention without failing the check (`public-names`: a member's name is
    /// taken on the public index).
    pub warnings: Vec<CheckProblem>,
    /// One-line notes (a check skipped, and why).
    pub notes: Vec<String>,
}

/// What `check` needs.
#[derive(Clone, Debug, Default)]
pub struct CheckRequest {
    pub jobs: Option<usize>,
    /// Skip `uv lock --check` (needs uv and, for third-party dependencies, an index).
    pub skip_locks: bool,
}

fn problem(package: Option<&str>, check: &'static str, message: impl Into<String>) -> CheckProblem {
    CheckProblem {
        package: package.map(str::to_owned),
        check,
        message: message.into(),
    }
}

/// Run every check.
pub fn run(ws: &Workspace, req: &CheckRequest) -> anyhow::Result<CheckReport> {
    let mut checks = vec![
        "package",
        "workspace-source",
        "pins",
        "manifests",
        "submodules",
    ];
    let jobs = ws.config.effective_jobs(req.jobs);
    let per_package = parallel::map(&ws.packages.iter().collect::<Vec<_>>(), jobs, |pkg| {
        package_problems(ws, pkg)
    });
    let mut newest = std::collections::HashMap::new();
    let mut problems: Vec<CheckProblem> = Vec::new();
    for (pkg, (found, release)) in ws.packages.iter().zip(per_package) {
        problems.extend(found);
        if let Some(release) = release {
            newest.insert(pkg.key.clone(), release);
        }
    }
    problems.extend(stale_direct_references(ws, &newest));

    for mode in [Mode::Staging, Mode::Prod] {
        let manifest = env::manifest_path(ws, mode);
        if manifest.is_file() {
            match env::missing_pins(ws, &manifest, req.jobs) {
                Ok(missing) => problems.extend(missing.into_iter().map(|m| {
                    let (pkg, msg) = m.split_once(": ").map_or((None, m.clone()), |(p, r)| {
                        (Some(p.to_owned()), r.to_owned())
                    });
                    CheckProblem {
                        package: pkg,
                        check: "pins",
                        message: msg,
                    }
                })),
                Err(e) => problems.push(problem(None, "pins", format!("{e:#}"))),
            }
        }
    }

    problems.extend(unreadable_git_sources(ws));

    match manifests::plan(ws, req.jobs) {
        Ok(planned) => {
            for step in &planned.plan.steps {
                if let StepKind::WriteFile { path, .. } = &step.kind {
                    let rel = ws.rel(path);
                    // The product settings that differ from dev, when those are what drifted.
                    let settings = planned
                        .drift
                        .iter()
                        .find(|(p, _)| p == path)
                        .map(|(_, d)| {
                            format!(": not in step with the dev manifest: {}", d.join(", "))
                        })
                        .unwrap_or_default();
                    problems.push(problem(
                        None,
                        "manifests",
                        format!("{rel} is out of date (run `release-tool manifests`){settings}"),
                    ));
                }
            }
            for w in planned.warnings {
                let (pkg, msg) = w.split_once(": ").map_or((None, w.clone()), |(p, r)| {
                    (Some(p.to_owned()), r.to_owned())
                });
                problems.push(CheckProblem {
                    package: pkg,
                    check: "manifests",
                    message: msg,
                });
            }
        }
        Err(e) => problems.push(problem(None, "manifests", format!("{e:#}"))),
    }

    match Git::new(&ws.root).moved_submodules() {
        Ok(moved) => {
            for path in moved {
                let name = ws
                    .packages
                    .iter()
                    .find(|p| p.rel_path == path)
                    .map(|p| p.name.clone());
                problems.push(CheckProblem {
                    package: name,
                    check: "submodules",
                    message: format!("submodule pointer of {path} is not committed (git add {path} && git commit)"),
                });
            }
        }
        Err(e) => problems.push(problem(None, "submodules", e.to_string())),
    }
    problems.extend(unpublished_pointers(ws, jobs));

    if !req.skip_locks {
        checks.push("locks");
        problems.extend(lock_problems(ws));
    }
    problems
        .sort_by(|a, b| (a.check, &a.package, &a.message).cmp(&(b.check, &b.package, &b.message)));
    problems.dedup();
    let (warnings, notes) = public_names(ws);
    Ok(CheckReport {
        root: ws.root.display().to_string(),
        ok: problems.is_empty(),
        checks,
        problems,
        warnings,
        notes,
    })
}

/// The public index's JSON API to ask (`RELEASE_TOOL_PUBLIC_INDEX`, else `public_index`, else
/// `PyPI`); `None` when turned off ("").
pub fn public_index(ws: &Workspace) -> Option<String> {
    let base = std::env::var(crate::python::public_index::ENV)
        .ok()
        .or_else(|| ws.config.public_index.clone())
        .unwrap_or_else(|| crate::config::DEFAULT_PUBLIC_INDEX.to_owned());
    (!base.trim().is_empty()).then_some(base)
}

/// Members whose name is taken on the public index (dependency confusion): warnings, and a note
/// when the index could not be asked.
fn public_names(ws: &Workspace) -> (Vec<CheckProblem>, Vec<String>) {
    let Some(base) = public_index(ws) else {
        return (Vec::new(), Vec::new());
    };
    let names: Vec<String> = ws.packages.iter().map(|p| p.name.clone()).collect();
    let found = crate::python::public_index::lookup(&ws.root, &base, &names);
    let safe =
        ws.config.prod_source == crate::config::ProdSource::Index && ws.config.prod_index.is_some();
    let warnings = found
        .taken
        .iter()
        .map(|name| {
            problem(
                Some(name),
                "public-names",
                format!(
                    "the name is taken on the public index ({}): pip with --extra-index-url \
                     may install that package instead of yours{}",
                    crate::python::public_index::project_url(&base, name),
                    if safe {
                        " (prod is pinned to prod_index)"
                    } else {
                        "; see docs/recipes.md#dependency-confusion"
                    }
                ),
            )
        })
        .collect();
    let notes = found
        .skipped
        .map(|why| format!("public-names check skipped: {why}"))
        .into_iter()
        .collect();
    (warnings, notes)
}

/// Submodule pointers of the root's HEAD that no remote of their package has: a clone of the
/// root fails on them (`git clone --recurse-submodules`: "not our ref"). Offline, from the last
/// fetch or push: a commit counts as on a remote when a remote-tracking ref contains it. A
/// package with no remote-tracking ref at all (never fetched, no remote) is not judged.
fn unpublished_pointers(ws: &Workspace, jobs: usize) -> Vec<CheckProblem> {
    let Ok(Some(pointers)) = Git::new(&ws.root).submodule_pointers_at("HEAD") else {
        return Vec::new();
    };
    let todo: Vec<(&Package, String)> = ws
        .packages
        .iter()
        .filter(|p| p.dir.join(".git").exists())
        .filter_map(|p| {
            let (_, commit) = pointers.iter().find(|(path, _)| *path == p.rel_path)?;
            Some((p, commit.clone()))
        })
        .collect();
    let found = parallel::map(&todo, jobs, |(pkg, commit)| {
        let git = Git::new(&pkg.dir);
        let on_remote = |args: &[&str]| git.run(args).is_ok_and(|out| !out.trim().is_empty());
        let contains = [
            "for-each-ref",
            "--count=1",
            "--format=%(refname)",
            "--contains",
            commit.as_str(),
            "refs/remotes",
        ];
        if on_remote(&contains)
            || !on_remote(&[
                "for-each-ref",
                "--count=1",
                "--format=%(refname)",
                "refs/remotes",
            ])
        {
            return None;
        }
        Some(problem(
            Some(&pkg.name),
            "submodules",
            format!(
                "the root points {} at {}, a commit no remote of {} has (as of the last fetch): a clone of the root cannot check it out (push it: `git -C {} push`, or `release-tool release --push`; or point the root at a pushed commit)",
                pkg.rel_path,
                crate::git::short_hash(commit),
                pkg.name,
                pkg.rel_path,
            ),
        ))
    });
    found.into_iter().flatten().collect()
}

/// Git sources uv would refuse (a path, `user@host:path`, `git://`) in the three manifests:
/// uv fails on them at `sync`, `lock` and in the Docker build, long after they were written.
fn unreadable_git_sources(ws: &Workspace) -> Vec<CheckProblem> {
    let mut out = Vec::new();
    for mode in Mode::ALL {
        let path = env::manifest_path(ws, mode);
        let Ok(doc) = PyProject::load(&path) else {
            continue;
        };
        let base = path.parent().unwrap_or(&ws.root);
        for (name, source) in doc.uv_sources() {
            let Some(url) = source.git.as_deref() else {
                continue;
            };
            let Some(why) = crate::workspace::uv_git_url_problem(url) else {
                continue;
            };
            let fix = crate::workspace::pin_url(url, base);
            let hint = if crate::workspace::uv_git_url_problem(&fix).is_none() {
                format!("write it as `{fix}`, or run `release-tool manifests` to pin it again")
            } else {
                "use an https, ssh or file URL, or run `release-tool manifests` to pin it again"
                    .to_owned()
            };
            let package = ws
                .package(&name)
                .map_or_else(|| name.clone(), |p| p.name.clone());
            out.push(problem(
                Some(&package),
                "pins",
                format!(
                    "{}: the git source `{url}` of {name} is {why}; uv refuses it (hint: {hint})",
                    ws.rel(&path)
                ),
            ));
        }
    }
    out
}

/// Direct git references between members (`a @ git+URL@v0.1.0` in b's dependencies, extras or
/// dependency groups) to a tag older than the member's newest release: installing b then brings
/// an old a, and a manifest pinning the newest a conflicts with it.
fn stale_direct_references(
    ws: &Workspace,
    newest: &std::collections::HashMap<String, (String, version::Version)>,
) -> Vec<CheckProblem> {
    let mut out = Vec::new();
    for pkg in &ws.packages {
        let path = pkg.dir.join("pyproject.toml");
        let Ok(doc) = PyProject::load(&path) else {
            continue;
        };
        for (key, reference, requirement) in doc.git_references() {
            let Some(member) = ws.package(&key).filter(|m| m.key != pkg.key) else {
                continue;
            };
            let Some((tag, latest)) = newest.get(&member.key) else {
                continue;
            };
            let prefix = &ws.tag_prefix(member);
            let Some(referenced) = version::parse_tag(&reference, prefix) else {
                continue;
            };
            if referenced < *latest {
                out.push(problem(
                    Some(&pkg.name),
                    "pins",
                    format!(
                        "{}/pyproject.toml requires `{requirement}`: {reference} is older than {}'s newest release {tag} (hint: point it at @{tag}; a release of both moves it)",
                        pkg.rel_path, member.name
                    ),
                ));
            }
        }
    }
    out
}

/// A package's problems, and its newest final release (tag and version) when it has one.
fn package_problems(
    ws: &Workspace,
    pkg: &Package,
) -> (Vec<CheckProblem>, Option<(String, version::Version)>) {
    let name = Some(pkg.name.as_str());
    let mut out: Vec<CheckProblem> = pkg
        .problems
        .iter()
        .filter(|p| p.level == Level::Error)
        .map(|p| problem(name, "package", p.message.clone()))
        .collect();
    let Some(meta) = &pkg.meta else {
        return (out, None);
    };
    if !meta.hatchling && !meta.uv_build {
        out.push(problem(
            name,
            "package",
            format!("build backend is neither hatchling nor uv_build (set [build-system] build-backend = \"hatchling.build\" in {}/pyproject.toml)", pkg.rel_path),
        ));
    }
    for source in &meta.workspace_sources {
        out.push(problem(
            name,
            "workspace-source",
            format!("`{source} = {{ workspace = true }}` in {}/pyproject.toml breaks installs outside the workspace (remove it: the root's sources apply to every member)", pkg.rel_path),
        ));
    }
    // The latest release as users install it: its pyproject at the newest final tag.
    let git = Git::new(&pkg.dir);
    let release = if pkg.dir.join(".git").exists()
        && let Ok(tags) = git.tags(&ws.tag_prefix(pkg))
    {
        version::newest_tag(
            tags.iter().map(|t| t.name.as_str()),
            &ws.tag_prefix(pkg),
            true,
        )
    } else {
        None
    };
    if let Some((tag, _)) = &release
        && let Ok(Some(text)) = git.read_blob(tag, "pyproject.toml")
        && let Ok(doc) = PyProject::parse(std::path::Path::new("pyproject.toml"), &text)
    {
        for (source, s) in doc.uv_sources() {
            if s.workspace {
                out.push(problem(
                    name,
                    "workspace-source",
                    format!("release {tag} carries `{source} = {{ workspace = true }}` in its pyproject.toml: installing it outside the workspace fails (release a fixed version)"),
                ));
            }
        }
    }
    (out, release)
}

fn lock_problems(ws: &Workspace) -> Vec<CheckProblem> {
    let uv = match Uv::find() {
        Ok(uv) => uv,
        Err(e) => {
            return vec![problem(
                None,
                "locks",
                format!("{e} (cannot check the locks)"),
            )];
        }
    };
    let mut out = Vec::new();
    for mode in Mode::ALL {
        if !env::manifest_path(ws, mode).is_file() {
            continue;
        }
        let dir = env::mode_dir(ws, mode);
        let rel = ws.rel(&dir.join("uv.lock"));
        if !dir.join("uv.lock").is_file() {
            out.push(problem(
                None,
                "locks",
                format!("{mode}: no {rel} (run `release-tool lock {mode}`)"),
            ));
            continue;
        }
        match uv.run_captured(&dir, ["lock", "--check"]) {
            Ok((true, _, _)) => {}
            Ok((false, _, stderr)) => {
                let line = match uv_failure(&stderr) {
                    UvFailure::OutOfDate => {
                        format!("{mode}: {rel} is out of date (run `release-tool lock {mode}`)")
                    }
                    UvFailure::Error(cause) => format!(
                        "{mode}: {rel} cannot be checked: {cause} (fix that, then run `release-tool lock {mode}`)"
                    ),
                };
                out.push(problem(None, "locks", line));
            }
            Err(e) => out.push(problem(None, "locks", format!("{mode}: {e:#}"))),
        }
    }
    out
}

/// What a failed `uv lock --check` says.
#[derive(Debug, PartialEq, Eq)]
enum UvFailure {
    /// The lock is valid but no longer matches the manifests.
    OutOfDate,
    /// Something else stopped uv (a malformed pyproject.toml, a resolution failure): its
    /// error and causes on one line, without uv's generic hints.
    Error(String),
}

/// Reads uv's stderr: its `error:` line and the `cause:`/`Caused by:` lines under it; the
/// caret diagrams of TOML errors and uv's `hint:` lines are left out (the hint to run `uv lock`
/// is wrong when a file is malformed).
fn uv_failure(stderr: &str) -> UvFailure {
    let mut parts: Vec<String> = Vec::new();
    let mut in_error = false;
    for line in stderr.lines() {
        let t = line.trim();
        if let Some(msg) = t.strip_prefix("error:") {
            if msg.contains("needs to be updated") {
                return UvFailure::OutOfDate;
            }
            in_error = true;
            parts.push(msg.trim().to_owned());
        } else if in_error
            && let Some(cause) = t
                .strip_prefix("cause:")
                .or_else(|| t.strip_prefix("Caused by:"))
        {
            parts.push(cause.trim().to_owned());
        } else if in_error && !t.is_empty() && !t.starts_with('|') && !t.starts_with("hint:") {
            // The last words of a TOML error (`invalid basic string, expected `"``).
            if !t.chars().next().is_some_and(|c| c.is_ascii_digit()) && !t.starts_with('^') {
                parts.push(t.to_owned());
            }
        } else if t.starts_with("hint:") {
            in_error = false;
        }
    }
    if parts.is_empty() {
        let last = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("uv failed")
            .trim();
        return UvFailure::Error(last.to_owned());
    }
    let mut text = parts.join(": ");
    // A git failure inside uv: what git said, not the command line uv ran.
    if let (Some(i), Some(j)) = (
        text.find("process didn't exit successfully"),
        text.find("--- stderr:"),
    ) && i < j
    {
        text = format!(
            "{}{}",
            &text[..i],
            text[j + "--- stderr:".len()..].trim_start()
        );
    }
    UvFailure::Error(text)
}

#[cfg(test)]
mod uv_failure_tests {
    use super::{UvFailure, uv_failure};

    #[test]
    fn an_out_of_date_lock_is_told_apart_from_a_malformed_manifest() {
        let stale = "Resolved 1 package in 7ms\nerror: The lockfile at `uv.lock` needs to be updated, but `--check` was provided.\n\nhint: To update the lockfile, run `uv lock`.\n";
        assert_eq!(uv_failure(stale), UvFailure::OutOfDate);
        let malformed = "warning: Failed to parse `pyproject.toml` during settings discovery:\n  TOML parse error at line 15, column 6\n     |\n  15 | x = \"\n     |      ^\n  invalid basic string, expected `\"`\n\nerror: Failed to parse: packages/a/pyproject.toml\n  cause: TOML parse error at line 15, column 6\n            |\n         15 | x = \"\n            |      ^\n         invalid basic string, expected `\"`\n";
        assert_eq!(
            uv_failure(malformed),
            UvFailure::Error(
                "Failed to parse: packages/a/pyproject.toml: TOML parse error at line 15, column 6: invalid basic string, expected `\"`".to_owned()
            )
        );
        let unsolvable = "error: No solution found when resolving dependencies\n  cause: Because idna was not found in the cache, we can conclude that your project's requirements are unsatisfiable.\n\nhint: Packages were unavailable because the network was disabled.\n";
        let UvFailure::Error(e) = uv_failure(unsolvable) else {
            panic!("an error")
        };
        assert!(
            e.starts_with("No solution found when resolving dependencies: Because idna"),
            "{e}"
        );
        assert!(!e.contains("hint"), "{e}");
    }
}
