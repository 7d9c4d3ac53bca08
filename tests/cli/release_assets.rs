//! Release assets and release text (issue 22, items 1 and 7) against the fake forge (GitHub,
//! GitHub Enterprise, Gitea): each package's forge release carries its wheel and sdist, built
//! from the tag once per run and uploaded once, also across a killed and resumed run; an asset
//! of the same name and another size is an error naming it; `--no-assets` builds and sends
//! nothing. The release body links the comparison with the previous tag and names the
//! contributors (no e-mail addresses); `make_latest` goes to GitHub only. Every GitHub request
//! is checked against GitHub's `OpenAPI` description when the fake is dropped, and the checker
//! refuses a wrong upload request.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::support::fake_github::{Builder, FakeForge};
use crate::support::openapi::Description;
use crate::support::{TestEnv, commit_file, git, outputs};

const PACKAGES: [&str; 3] = ["core-utils", "data-loader", "model-api"];

/// The demo workspace (released once as 0.1.0), with a `feat:` commit pushed in every package
/// (by a second author in core-utils), ready for a 0.2.0 release.
fn workspace_with_features(env: &TestEnv) -> PathBuf {
    let root = env.demo_released();
    for name in PACKAGES {
        let pkg = root.join("packages").join(name);
        commit_file(&pkg, "NEWS.txt", &format!("{name} news\n"), "feat: news");
        if name == "core-utils" {
            std::fs::write(pkg.join("MORE.txt"), "more\n").unwrap();
            git(&pkg, &["add", "MORE.txt"]);
            git(
                &pkg,
                &[
                    "-c",
                    "user.name=Ada Lovelace",
                    "-c",
                    "user.email=ada@example.com",
                    "commit",
                    "-q",
                    "--author=Ada Lovelace <ada@example.com>",
                    "-m",
                    "fix: more",
                ],
            );
        }
        git(&pkg, &["push", "-q", "origin", "main"]);
    }
    root
}

fn run(
    env: &TestEnv,
    root: &Path,
    forge: &FakeForge,
    args: &[&str],
    extra: &[(&str, &str)],
) -> Output {
    crate::support::explicit_forge(root);
    let kind = if forge.opts.prefix == "/api/v1" {
        "gitea"
    } else {
        "github"
    };
    let config = root.join(crate::support::CONFIG_FILE);
    let text = std::fs::read_to_string(&config).unwrap();
    if kind == "gitea" && !text.contains("kind = \"gitea\"") {
        std::fs::write(
            &config,
            text.replace(
                "\nkind = \"github\"",
                &format!("\nkind = \"gitea\"\napi_url = \"{}\"", forge.api_url()),
            ),
        )
        .unwrap();
        git(root, &["commit", "-q", "-am", "chore: gitea"]);
    }
    let mut cmd = env.cmd_uv(root);
    cmd.env("GITHUB_TOKEN", &forge.opts.token)
        .env("GITHUB_API_URL", forge.api_url())
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .env("RELEASE_TOOL_FORGE_RETRY_BASE_MS", "5")
        .args(args);
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn ok(out: &Output) -> (String, String) {
    let (stdout, stderr) = outputs(out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    (stdout, stderr)
}

fn asset_names(forge: &FakeForge, name: &str) -> Vec<String> {
    let mut names: Vec<String> = forge
        .assets(&format!("remotes/{name}"), "v0.2.0")
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

fn dist(name: &str) -> String {
    name.replace('-', "_")
}

fn wanted(name: &str) -> Vec<String> {
    vec![
        format!("{}-0.2.0-py3-none-any.whl", dist(name)),
        format!("{}-0.2.0.tar.gz", dist(name)),
    ]
}

/// A release of the three packages attaches each one's wheel and sdist once; a second run
/// sends nothing again.
fn assets_attached_once(builder: Builder) {
    let env = TestEnv::new();
    let root = workspace_with_features(&env);
    let forge = builder.start();
    let args = ["release", "--bump", "minor", "--push", "--no-product"];
    let mut dry = args.to_vec();
    dry.push("--dry-run");
    let (stdout, _) = ok(&run(&env, &root, &forge, &dry, &[]));
    assert!(
        stdout.contains(
            "core-utils: POST /repos/remotes/core-utils/releases/{release_id}/assets?name=…"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("uv build --no-sources --out-dir"),
        "{stdout}"
    );
    assert!(forge.requests().is_empty(), "a dry run sends nothing");
    let (_, stderr) = ok(&run(&env, &root, &forge, &args, &[]));
    for name in PACKAGES {
        assert_eq!(asset_names(&forge, name), wanted(name), "{name}\n{stderr}");
    }
    assert_eq!(forge.uploads().len(), 6, "{:?}", forge.uploads());
    // The wheel is the one `uv build` makes from the tag: a zip with the package's version.
    let wheel = forge
        .assets("remotes/core-utils", "v0.2.0")
        .into_iter()
        .find(|a| {
            std::path::Path::new(a["name"].as_str().unwrap())
                .extension()
                .is_some_and(|e| e == "whl")
        })
        .unwrap();
    assert!(wheel["size"].as_u64().unwrap() > 100, "{wheel}");
    assert!(
        !root
            .join(".release_tool/assets")
            .join("core-utils")
            .join("v0.2.0")
            .exists(),
        "the build directory is removed once the files are attached"
    );
    // The same command again: the release is finished, nothing is uploaded twice.
    ok(&run(&env, &root, &forge, &args, &[]));
    assert_eq!(forge.uploads().len(), 6, "{:?}", forge.uploads());
}

#[test]
fn github_release_assets_are_uploaded_once() {
    assets_attached_once(FakeForge::github());
}

#[test]
fn github_enterprise_release_assets_go_to_api_uploads() {
    let env_forge = FakeForge::github().prefix("/api/v3");
    assets_attached_once(env_forge);
}

#[test]
fn gitea_release_assets_are_attachments() {
    assets_attached_once(FakeForge::gitea());
}

/// The index (1-based, as the crash hook counts) of the first asset upload of a one-package
/// release, from the dry run's steps.
fn upload_step(env: &TestEnv, root: &Path, forge: &FakeForge, args: &[&str]) -> usize {
    let mut dry = args.to_vec();
    dry.extend(["--dry-run", "--json"]);
    let (stdout, _) = ok(&run(env, root, forge, &dry, &[]));
    let doc: Value = crate::support::json_doc(&stdout);
    doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .position(|s| s["action"] == "forge" && s["detail"].as_str().unwrap().contains("/assets"))
        .expect("an upload step")
        + 1
}

/// Killed once the upload took effect (before the journal recorded it), and once right after
/// it was recorded: the resumed runs upload each asset once.
#[test]
fn a_killed_and_resumed_release_uploads_each_asset_once() {
    for hook in [
        "RELEASE_TOOL_FAIL_AFTER_EFFECT",
        "RELEASE_TOOL_FAIL_AFTER_STEP",
    ] {
        let env = TestEnv::new();
        let root = workspace_with_features(&env);
        let forge = FakeForge::github().start();
        let args = [
            "release",
            "--bump",
            "minor",
            "--push",
            "--no-product",
            "-p",
            "core-utils",
        ];
        // Steps are counted as they complete (a grouped plan runs some earlier than it lists
        // them): the same command is killed at step k, k + 1, … (a resumed run counts the steps
        // done before) until the step killed at is the upload.
        let listed = upload_step(&env, &root, &forge, &args);
        let mut k = listed.saturating_sub(8).max(1);
        loop {
            let n = k.to_string();
            let out = run(&env, &root, &forge, &args, &[(hook, n.as_str())]);
            let (_, stderr) = outputs(&out);
            assert!(!out.status.success(), "{hook}={n}: {stderr}");
            let killed = stderr
                .lines()
                .find(|l| l.contains("killing the process after step"))
                .unwrap_or_else(|| panic!("{stderr}"))
                .to_owned();
            if killed.contains("(assets of release") {
                break;
            }
            assert!(
                forge.uploads().is_empty(),
                "{hook}: passed the upload: {killed}"
            );
            k += 1;
            assert!(k < listed + 12, "{hook}: no upload step: {stderr}");
        }
        assert_eq!(forge.uploads().len(), 2, "{hook}: killed after the upload");
        let (_, stderr) = ok(&run(&env, &root, &forge, &args, &[]));
        assert_eq!(forge.uploads().len(), 2, "{hook}: {stderr}");
        assert_eq!(asset_names(&forge, "core-utils"), wanted("core-utils"));
    }
}

/// `--no-assets`: no build step, no upload.
#[test]
fn no_assets_builds_and_sends_nothing() {
    let env = TestEnv::new();
    let root = workspace_with_features(&env);
    let forge = FakeForge::github().start();
    let args = [
        "release",
        "--bump",
        "minor",
        "--push",
        "--no-product",
        "--no-assets",
    ];
    let mut dry = args.to_vec();
    dry.push("--dry-run");
    let (stdout, _) = ok(&run(&env, &root, &forge, &dry, &[]));
    assert!(
        !stdout.contains("uv build") && !stdout.contains("/assets"),
        "{stdout}"
    );
    ok(&run(&env, &root, &forge, &args, &[]));
    assert_eq!(forge.releases("remotes/core-utils").len(), 1);
    assert!(forge.uploads().is_empty(), "{:?}", forge.uploads());
}

/// An asset of the same name and another size is an error naming it, with a hint; the other
/// files are not sent over it. A GitHub "starter" asset (an upload that never finished) is
/// deleted and sent again.
#[test]
fn a_different_asset_of_the_same_name_is_an_error_and_a_broken_one_is_replaced() {
    let env = TestEnv::new();
    let root = workspace_with_features(&env);
    let forge = FakeForge::github().start();
    forge.seed_release("remotes/core-utils", "v0.2.0", "core-utils 0.2.0");
    forge.seed_asset(
        "remotes/core-utils",
        "v0.2.0",
        &wanted("core-utils")[0],
        5,
        true,
    );
    forge.seed_asset(
        "remotes/core-utils",
        "v0.2.0",
        &wanted("core-utils")[1],
        3,
        false,
    );
    let args = ["release", "--bump", "minor", "--push", "--no-product"];
    let out = run(&env, &root, &forge, &args, &[]);
    let (_, stderr) = outputs(&out);
    assert!(!out.status.success(), "{stderr}");
    let sdist = &wanted("core-utils")[1];
    assert!(
        stderr.contains(&format!(
            "The release v0.2.0 of remotes/core-utils already has an asset named {sdist} of 3 bytes"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("hint: "), "{stderr}");
    assert!(!forge.uploads().contains(sdist), "{:?}", forge.uploads());
    // The starter wheel was deleted and uploaded again.
    let calls = forge.calls();
    assert!(
        calls
            .iter()
            .any(|c| c.starts_with("DELETE /repos/remotes/core-utils/releases/assets/")),
        "{calls:?}"
    );
    let wheel = forge
        .assets("remotes/core-utils", "v0.2.0")
        .into_iter()
        .find(|a| a["name"] == wanted("core-utils")[0].as_str())
        .unwrap();
    assert_eq!(wheel["state"], "uploaded");
    assert!(wheel["size"].as_u64().unwrap() > 5, "{wheel}");
}

/// The `OpenAPI` check passes a correct upload and refuses wrong ones: no `name`, an unknown
/// query parameter, a JSON body where the file goes, a method the path does not take.
#[test]
fn the_openapi_check_refuses_a_wrong_upload_request() {
    for d in [Description::GithubCom, Description::Ghes] {
        let path = "/repos/acme/alpha/releases/7/assets";
        let good = d.check(
            "POST",
            &format!("{path}?name=alpha-0.2.0.tar.gz"),
            Some("application/octet-stream"),
            b"\x1f\x8b",
        );
        assert!(good.is_empty(), "{good:?}");
        let listing = d.check("GET", &format!("{path}?per_page=100&page=1"), None, b"");
        assert!(listing.is_empty(), "{listing:?}");
        let no_name = d.check("POST", path, Some("application/octet-stream"), b"x");
        assert!(
            no_name
                .iter()
                .any(|p| p.contains("required query parameter `name` is missing")),
            "{no_name:?}"
        );
        let unknown = d.check(
            "POST",
            &format!("{path}?name=a.whl&size=3"),
            Some("application/octet-stream"),
            b"x",
        );
        assert!(
            unknown
                .iter()
                .any(|p| p.contains("query parameter `size` is not documented")),
            "{unknown:?}"
        );
        let put = d.check("PUT", &format!("{path}?name=a.whl"), None, b"x");
        assert!(
            put.iter().any(|p| p.contains("PUT is not documented")),
            "{put:?}"
        );
        let latest = d.check(
            "POST",
            "/repos/acme/alpha/releases",
            Some("application/json"),
            br#"{"tag_name":"v1","make_latest":true}"#,
        );
        assert!(!latest.is_empty(), "make_latest is a string: {latest:?}");
    }
}

/// The release body: the tag message, a compare link to the previous tag, the contributors
/// (names only); `make_latest` "true" on GitHub for the newest final release, not sent to
/// Gitea.
#[test]
fn release_text_has_compare_link_contributors_and_make_latest() {
    for builder in [FakeForge::github(), FakeForge::gitea()] {
        let env = TestEnv::new();
        let root = workspace_with_features(&env);
        let forge = builder.start();
        let gitea = forge.opts.prefix == "/api/v1";
        let args = [
            "release",
            "--bump",
            "minor",
            "--push",
            "--no-product",
            "--no-assets",
        ];
        // The plan shows what is sent: `make_latest` for GitHub only.
        let mut dry = args.to_vec();
        dry.push("--dry-run");
        let (stdout, _) = ok(&run(&env, &root, &forge, &dry, &[]));
        assert_eq!(
            stdout.contains("\"make_latest\":\"true\""),
            !gitea,
            "{stdout}"
        );
        let (_, stderr) = ok(&run(&env, &root, &forge, &args, &[]));
        let post = forge
            .requests()
            .into_iter()
            .find(|r| r.method == "POST" && r.path.ends_with("/repos/remotes/core-utils/releases"))
            .unwrap_or_else(|| panic!("{stderr}"));
        let body = post.json().unwrap();
        let text = body["body"].as_str().unwrap();
        let web = forge.server.url.clone();
        assert!(
            text.contains(&format!(
                "**Full changelog**: [v0.1.0...v0.2.0]({web}/remotes/core-utils/compare/v0.1.0...v0.2.0)"
            )),
            "{text}"
        );
        assert!(
            text.contains("**Contributors**: Test Author, Ada Lovelace"),
            "{text}"
        );
        assert!(!text.contains('@'), "no e-mail address: {text}");
        if gitea {
            assert!(body.get("make_latest").is_none(), "{body}");
        } else {
            assert_eq!(body["make_latest"], "true", "{body}");
        }
    }
}
