//! Forge releases and pull requests made by `release` and `prepare` against the fake GitHub
//! API: exactly one release per package, in dependency order; retries; clear 401s; resume; no
//! duplicates on re-runs; the token never shown or stored.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::fake_github::FakeForge;
use crate::support::{TestEnv, commit_file, git, outputs};

const PACKAGES: [&str; 3] = ["core-utils", "data-loader", "model-api"];

/// The demo workspace (released once as 0.1.0, no forge), with a `feat:` commit pushed in every
/// package, ready for a 0.2.0 release.
fn workspace_with_features(env: &TestEnv) -> PathBuf {
    let root = env.demo_released();
    for name in PACKAGES {
        let pkg = root.join("packages").join(name);
        commit_file(&pkg, "NEWS.txt", &format!("{name} news\n"), "feat: news");
        git(&pkg, &["push", "-q", "origin", "main"]);
    }
    root
}

fn run_with_forge(env: &TestEnv, root: &Path, forge: &FakeForge, args: &[&str]) -> Output {
    crate::support::explicit_forge(root);
    env.cmd_uv(root)
        .env("GITHUB_TOKEN", &forge.opts.token)
        .env("GITHUB_API_URL", forge.api_url())
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .args(args)
        .output()
        .unwrap()
}

fn posts(forge: &FakeForge, what: &str) -> Vec<String> {
    forge
        .calls()
        .into_iter()
        .filter(|c| c.starts_with("POST") && c.ends_with(what))
        .collect()
}

fn walk(dir: &Path, token: &str) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, token);
        } else if let Ok(bytes) = std::fs::read(&path) {
            assert!(
                !String::from_utf8_lossy(&bytes).contains(token),
                "token found in {}",
                path.display()
            );
        }
    }
}

/// Every file under the temp dir (work trees, remotes, journal) and the outputs: the token
/// must appear nowhere.
fn assert_token_nowhere(env: &TestEnv, token: &str, outs: &[&Output]) {
    for out in outs {
        let (stdout, stderr) = outputs(out);
        assert!(
            !stdout.contains(token) && !stderr.contains(token),
            "{stderr}"
        );
    }
    walk(&env.path(), token);
}

fn release_commits(env: &TestEnv, name: &str) -> usize {
    let remote = env.path().join(format!("demo/remotes/{name}.git"));
    git(&remote, &["log", "--format=%s", "main"])
        .lines()
        .filter(|s| s.starts_with(&format!("Release {name} 0.2.0")))
        .count()
}

#[test]
fn release_push_creates_one_forge_release_per_package_in_dependency_order() {
    let env = TestEnv::new();
    let root = workspace_with_features(&env);
    let forge = FakeForge::github().start();

    // The dry run shows the forge calls and sends nothing.
    let dry = run_with_forge(
        &env,
        &root,
        &forge,
        &["release", "--bump", "minor", "--push", "--dry-run"],
    );
    let (stdout, stderr) = outputs(&dry);
    assert!(dry.status.success(), "{stderr}");
    assert!(
        stdout.contains(
            "core-utils: POST /repos/remotes/core-utils/releases {\"body\":\"Release core-utils 0.2.0"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("(authorization: token redacted)"),
        "{stdout}"
    );
    assert!(forge.requests().is_empty(), "a dry run sends nothing");

    let out = run_with_forge(
        &env,
        &root,
        &forge,
        &["release", "--bump", "minor", "--push"],
    );
    let (_, stderr) = outputs(&out);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        posts(&forge, "/releases"),
        [
            "POST /repos/remotes/core-utils/releases",
            "POST /repos/remotes/data-loader/releases",
            "POST /repos/remotes/model-api/releases",
            // The product's release, on the root's repository, last (issue 20).
            "POST /repos/remotes/workspace/releases",
        ],
        "one creation per package, dependencies first"
    );
    for name in PACKAGES {
        let releases = forge.releases(&format!("remotes/{name}"));
        assert_eq!(releases.len(), 1, "{releases:?}");
        let r = &releases[0];
        assert_eq!(r["tag_name"], "v0.2.0");
        assert_eq!(r["name"], format!("{name} 0.2.0"));
        assert_eq!(r["prerelease"], false);
        let body = r["body"].as_str().unwrap();
        assert!(
            body.starts_with(&format!("Release {name} 0.2.0\n")),
            "{body}"
        );
        assert!(body.contains("### Added\n\n- news"), "{body}");
        // The tag was on the remote before the release was created.
        let remote = env.path().join(format!("demo/remotes/{name}.git"));
        assert!(git(&remote, &["tag", "--list", "v0.2.0"]).contains("v0.2.0"));
    }
    assert!(
        stderr.contains("https://github.test/remotes/core-utils/releases/tag/v0.2.0"),
        "release URLs are shown: {stderr}"
    );

    // Nothing left to release: a re-run sends nothing.
    let before = forge.requests().len();
    let again = run_with_forge(
        &env,
        &root,
        &forge,
        &["release", "--bump", "minor", "--push"],
    );
    assert!(again.status.success(), "{}", outputs(&again).1);
    assert_eq!(forge.requests().len(), before);
    assert_token_nowhere(&env, &forge.opts.token, &[&dry, &out, &again]);
}

/// A forge release skipped for lack of a token is owed, not done: a later `release --push` with
/// a token makes it (the tags are on the remote already: nothing else is pushed), and a third
/// run has nothing left to do.
#[test]
fn a_release_skipped_without_a_token_is_made_by_a_later_run_with_one() {
    let env = TestEnv::new();
    let root = workspace_with_features(&env);
    let forge = FakeForge::github().start();
    crate::support::explicit_forge(&root);
    let without_token = |args: &[&str]| {
        env.cmd_uv(&root)
            .env("GITHUB_API_URL", forge.api_url())
            .env("SOURCE_DATE_EPOCH", "1767225600")
            .args(args)
            .output()
            .unwrap()
    };
    let out = without_token(&["release", "--bump", "minor", "--push"]);
    let (_, stderr) = outputs(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("no forge token (set GITHUB_TOKEN or GH_TOKEN)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("3 forge releases skipped for lack of a token are owed: a later `release-tool release --push` with a token makes them"),
        "{stderr}"
    );
    assert!(forge.requests().is_empty());
    let owed = std::fs::read_to_string(root.join(".release_tool/forge-owed.json")).unwrap();
    for name in PACKAGES {
        assert!(owed.contains(&format!("\"package\": \"{name}\"")), "{owed}");
        let remote = env.path().join(format!("demo/remotes/{name}.git"));
        assert!(git(&remote, &["tag", "--list", "v0.2.0"]).contains("v0.2.0"));
    }

    // Still no token: the owed releases are planned, skipped again, and still owed.
    let out = without_token(&["release", "--push"]);
    assert!(out.status.success(), "{}", outputs(&out).1);
    assert!(forge.requests().is_empty());
    assert!(root.join(".release_tool/forge-owed.json").is_file());

    // The dry run with a token shows the three releases with their assets (built from the
    // tags) and nothing else.
    let dry = run_with_forge(&env, &root, &forge, &["release", "--push", "--dry-run"]);
    let (stdout, stderr) = outputs(&dry);
    assert!(dry.status.success(), "{stderr}");
    let count = |what: &str| {
        stdout
            .lines()
            .filter(|l| l.contains("POST /repos/") && l.contains(what))
            .count()
    };
    assert_eq!(count("/releases {"), 3, "{stdout}");
    assert_eq!(count("/assets?name="), 3, "{stdout}");
    assert!(!stdout.contains("git push"), "{stdout}");

    let later = run_with_forge(&env, &root, &forge, &["release", "--push"]);
    let (_, stderr) = outputs(&later);
    assert!(later.status.success(), "{stderr}");
    // Owed releases wait for nothing: they run in parallel, in any order.
    let mut made = posts(&forge, "/releases");
    made.sort();
    assert_eq!(
        made,
        [
            "POST /repos/remotes/core-utils/releases",
            "POST /repos/remotes/data-loader/releases",
            "POST /repos/remotes/model-api/releases",
        ]
    );
    for name in PACKAGES {
        let releases = forge.releases(&format!("remotes/{name}"));
        assert_eq!(releases.len(), 1, "{releases:?}");
        assert_eq!(releases[0]["tag_name"], "v0.2.0");
        let body = releases[0]["body"].as_str().unwrap();
        assert!(
            body.starts_with(&format!("Release {name} 0.2.0\n")),
            "{body}"
        );
    }
    assert!(
        !root.join(".release_tool/forge-owed.json").exists(),
        "nothing owed any more"
    );
    // Each owed release got its wheel and sdist, built by this run.
    assert_eq!(forge.uploads().len(), 6, "{:?}", forge.uploads());

    // Nothing left: a third run sends nothing.
    let before = forge.requests().len();
    let again = run_with_forge(&env, &root, &forge, &["release", "--push"]);
    assert!(again.status.success(), "{}", outputs(&again).1);
    assert_eq!(forge.requests().len(), before);
    assert_token_nowhere(&env, &forge.opts.token, &[&later, &again]);
}

#[test]
fn server_errors_are_retried_to_success() {
    let env = TestEnv::new();
    let root = workspace_with_features(&env);
    let forge = FakeForge::github().fail_first(2, 500).start();
    let out = run_with_forge(
        &env,
        &root,
        &forge,
        &["release", "--bump", "minor", "--push"],
    );
    assert!(out.status.success(), "{}", outputs(&out).1);
    for name in PACKAGES {
        assert_eq!(forge.releases(&format!("remotes/{name}")).len(), 1);
    }
}

#[test]
fn unauthorized_stops_with_a_clear_error_and_the_same_command_resumes() {
    let env = TestEnv::new();
    let root = workspace_with_features(&env);
    let bad = FakeForge::github().unauthorized().start();
    let out = run_with_forge(&env, &root, &bad, &["release", "--bump", "minor", "--push"]);
    let (_, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("core-utils: step `POST /repos/remotes/core-utils/releases"),
        "{stderr}"
    );
    assert!(
        stderr.contains("401") && stderr.contains("GITHUB_TOKEN"),
        "{stderr}"
    );
    assert!(stderr.contains("remotes/core-utils"), "{stderr}");
    assert!(
        stderr.contains("data-loader: not started: waits for core-utils"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: fix it and run the same command again"),
        "{stderr}"
    );
    assert!(root.join(".release_tool/journal.json").is_file());
    // core-utils is committed, tagged and pushed; its dependents are untouched.
    assert_eq!(release_commits(&env, "core-utils"), 1);
    assert_eq!(release_commits(&env, "data-loader"), 0);
    assert_token_nowhere(&env, &bad.opts.token, &[&out]);

    // A working token (another server): the same command finishes without repeating anything.
    let good = FakeForge::github().start();
    let out = run_with_forge(
        &env,
        &root,
        &good,
        &["release", "--bump", "minor", "--push"],
    );
    let (_, stderr) = outputs(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("Resuming `release-tool release --bump minor --push`"),
        "{stderr}"
    );
    for name in PACKAGES {
        assert_eq!(release_commits(&env, name), 1, "{name}: one release commit");
        assert_eq!(good.releases(&format!("remotes/{name}")).len(), 1);
    }
    // One per package and the product's.
    assert_eq!(posts(&good, "/releases").len(), 4);
    assert_token_nowhere(&env, &good.opts.token, &[&out]);
}

#[test]
fn require_forge_without_a_token_is_a_usage_error_that_changes_nothing() {
    let env = TestEnv::new();
    let root = workspace_with_features(&env);
    let before = crate::support::snapshot_tree(&env.path());
    let out = env.run(&root, ["release", "--push", "--require-forge"]);
    let (_, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("GITHUB_TOKEN and GH_TOKEN"), "{stderr}");
    assert_eq!(crate::support::snapshot_tree(&env.path()), before);
}

#[test]
fn prepare_push_opens_one_pull_request_and_a_second_run_does_not_duplicate_it() {
    let env = TestEnv::new();
    let root = env.demo_released();
    let pkg = root.join("packages/core-utils");
    git(&pkg, &["checkout", "-q", "-b", "dev_branch"]);
    commit_file(&pkg, "fix.txt", "fixed\n", "fix: a bug");
    let forge = FakeForge::github().start();
    let args = ["-p", "core-utils", "prepare", "--bump", "patch", "--push"];
    let out = run_with_forge(&env, &root, &forge, &args);
    let (_, stderr) = outputs(&out);
    assert!(out.status.success(), "{stderr}");
    let pulls = forge.pulls("remotes/core-utils");
    assert_eq!(pulls.len(), 1, "{pulls:?}");
    assert_eq!(pulls[0]["head"]["ref"], "dev_branch");
    assert_eq!(pulls[0]["base"]["ref"], "main");
    let body = pulls[0]["body"].as_str().unwrap();
    assert!(body.starts_with("Release core-utils 0.1.1\n"), "{body}");
    assert!(body.contains("### Fixed\n\n- a bug"), "{body}");
    // The branch is on the remote with the release commit.
    let remote = env.path().join("demo/remotes/core-utils.git");
    assert!(
        git(&remote, &["log", "-1", "--format=%s", "dev_branch"])
            .starts_with("Release core-utils 0.1.1")
    );

    // Again: already prepared, so no second bump and no second pull request.
    let again = run_with_forge(&env, &root, &forge, &args);
    assert!(again.status.success(), "{}", outputs(&again).1);
    assert_eq!(forge.pulls("remotes/core-utils").len(), 1);
    assert_eq!(posts(&forge, "/pulls").len(), 1);
    let version = std::fs::read_to_string(pkg.join("pyproject.toml")).unwrap();
    assert!(version.contains("version = \"0.1.1\""), "{version}");
    assert_token_nowhere(&env, &forge.opts.token, &[&out, &again]);
}

/// The compare URL comes from the package's URL (here its `.gitmodules` one on a forge; the
/// package's own `origin` stays the local bare remote, so the push works). A `file://` or path
/// remote has no compare URL (`release_guards.rs`).
#[test]
fn prepare_push_without_a_forge_token_prints_the_compare_url() {
    let env = TestEnv::new();
    let root = env.demo_released();
    let key = git(
        &root,
        &["config", "-f", ".gitmodules", "--get-regexp", "url$"],
    )
    .lines()
    .find(|l| l.contains("core-utils"))
    .and_then(|l| l.split_whitespace().next().map(str::to_owned))
    .unwrap();
    git(
        &root,
        &[
            "config",
            "-f",
            ".gitmodules",
            &key,
            "https://github.com/acme/core-utils.git",
        ],
    );
    git(
        &root,
        &[
            "commit",
            "-q",
            "-m",
            "chore: on a forge",
            "--",
            ".gitmodules",
        ],
    );
    let pkg = root.join("packages/core-utils");
    git(&pkg, &["checkout", "-q", "-b", "dev_branch"]);
    commit_file(&pkg, "fix.txt", "fixed\n", "fix: a bug");
    // `--no-product`: the product's version in the staging/prod manifests would be locked
    // (uv, and the remotes of their pins: github.com here); this test is about the compare URL.
    let out = env.run(
        &root,
        [
            "-p",
            "core-utils",
            "prepare",
            "--bump",
            "patch",
            "--push",
            "--no-product",
        ],
    );
    let (_, stderr) = outputs(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("no forge token (set GITHUB_TOKEN or GH_TOKEN)"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "core-utils: open the pull request by hand: https://github.com/acme/core-utils/compare/main...dev_branch?expand=1"
        ),
        "{stderr}"
    );
}
