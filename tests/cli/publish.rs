//! `publish`: real git, real uv (builds with hatchling from `PyPI`), a real pypiserver.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::pypiserver::{PyPiServer, free_port};
use crate::support::{TestEnv, commit_file, git, outputs, snapshot_tree, uv, write_config};

/// A token that must never show in any output.
const TOKEN: &str = "pypi-FAKE-t0ken-must-never-show";

/// Environment for uv in these tests: its cache inside the test's temp dir, no Python
/// downloads, and no publishing settings leaking in from the developer's environment.
fn uv_env(cmd: &mut Command, env: &TestEnv) {
    cmd.env("UV_CACHE_DIR", env.path().join("uv-cache"))
        .env("UV_PYTHON_DOWNLOADS", "never")
        .env("UV_NO_PROGRESS", "1")
        .env("RELEASE_TOOL_UV", uv());
    for k in [
        "UV_PUBLISH_URL",
        "UV_PUBLISH_CHECK_URL",
        "UV_PUBLISH_TOKEN",
        "UV_PUBLISH_USERNAME",
        "UV_PUBLISH_PASSWORD",
        "UV_INDEX_URL",
        "UV_DEFAULT_INDEX",
        "UV_INDEX",
        "UV_EXTRA_INDEX_URL",
    ] {
        cmd.env_remove(k);
    }
}

/// `release-tool ARGS` in `root` with the fake token in `UV_PUBLISH_TOKEN`.
fn publish(env: &TestEnv, root: &Path, args: &[&str]) -> Output {
    let mut cmd = env.cmd(root);
    uv_env(&mut cmd, env);
    cmd.env("UV_PUBLISH_TOKEN", TOKEN)
        .args(args)
        .output()
        .expect("run release-tool")
}

/// The demo workspace with `core-utils` and `data-loader` released at 0.1.0 (version set,
/// committed, tagged `v0.1.0`); `model-api` has no tag.
fn released_demo(env: &TestEnv) -> PathBuf {
    let root = env.demo();
    for name in ["core-utils", "data-loader"] {
        set_version_and_tag(&root.join("packages").join(name), "0.1.0", "v0.1.0");
    }
    root
}

fn set_version_and_tag(pkg: &Path, version: &str, tag: &str) {
    let pyproject = std::fs::read_to_string(pkg.join("pyproject.toml")).unwrap();
    let updated: String = pyproject
        .lines()
        .map(|l| {
            if l.starts_with("version = ") {
                format!("version = \"{version}\"\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    assert_ne!(pyproject, updated, "version line found");
    commit_file(
        pkg,
        "pyproject.toml",
        &updated,
        &format!("chore: release {version}"),
    );
    git(
        pkg,
        &["tag", "-a", tag, "-m", &format!("Release {version}")],
    );
}

fn assert_no_token(out: &Output) {
    let (stdout, stderr) = outputs(out);
    assert!(
        !stdout.contains(TOKEN) && !stderr.contains(TOKEN),
        "token leaked:\n{stdout}\n{stderr}"
    );
}

#[test]
fn publish_uploads_release_tags_that_install_from_the_index() {
    let env = TestEnv::new();
    let root = released_demo(&env);
    let server = PyPiServer::start(&env.path().join("index"));
    let before = snapshot_tree(&root);

    let out = publish(&env, &root, &["publish", "--index", &server.url()]);
    let (stdout, stderr) = outputs(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}\n{}", server.log());
    assert_no_token(&out);
    assert!(
        stderr.contains(
            "core-utils 0.1.0 (v0.1.0): built core_utils-0.1.0-py3-none-any.whl, \
             core_utils-0.1.0.tar.gz; uploaded"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("data-loader 0.1.0 (v0.1.0): built"),
        "{stderr}"
    );
    assert!(
        stderr.contains("warning: model-api: skipped, no release tag"),
        "{stderr}"
    );
    let files = vec![
        "core_utils-0.1.0-py3-none-any.whl",
        "core_utils-0.1.0.tar.gz",
        "data_loader-0.1.0-py3-none-any.whl",
        "data_loader-0.1.0.tar.gz",
    ];
    assert_eq!(server.files(), files);
    // Built from clean clones elsewhere: the workspace and the packages' work trees, indexes
    // and refs are exactly as they were.
    assert_eq!(snapshot_tree(&root), before);
    let index_before = snapshot_tree(&server.packages);

    // What was uploaded installs from the index alone (data-loader pulls core-utils from it).
    let venv = env.path().join("venv");
    let run_uv = |args: &[&str]| {
        let mut cmd = Command::new(uv());
        uv_env(&mut cmd, &env);
        let out = cmd
            .args(args)
            .current_dir(env.path())
            .output()
            .expect("run uv");
        let (o, e) = outputs(&out);
        assert!(out.status.success(), "uv {args:?}: {o}\n{e}");
    };
    run_uv(&["venv", "--quiet", venv.to_str().unwrap()]);
    let python = venv.join("bin/python");
    run_uv(&[
        "pip",
        "install",
        "--quiet",
        "--python",
        python.to_str().unwrap(),
        "--index-url",
        &server.simple_url(),
        "data-loader==0.1.0",
    ]);
    let out = Command::new(&python)
        .args([
            "-c",
            "import core_utils, data_loader, importlib.metadata as m; \
             print(m.version('core-utils'), m.version('data-loader'))",
        ])
        .output()
        .unwrap();
    let (o, e) = outputs(&out);
    assert!(out.status.success(), "{o}\n{e}");
    assert_eq!(o.trim(), "0.1.0 0.1.0");

    // Again, with the URL from UV_PUBLISH_URL and JSON output: every file is skipped.
    let mut cmd = env.cmd(&root);
    uv_env(&mut cmd, &env);
    let out = cmd
        .env("UV_PUBLISH_TOKEN", TOKEN)
        .env("UV_PUBLISH_URL", server.url())
        .args(["publish", "--json"])
        .output()
        .unwrap();
    let (stdout, stderr) = outputs(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert_no_token(&out);
    assert!(
        stderr.contains("core-utils 0.1.0 (v0.1.0): built")
            && stderr.contains("; already on the index"),
        "{stderr}"
    );
    let json = crate::support::json_doc(&stdout)["packages"].clone();
    assert_eq!(json.as_array().unwrap().len(), 2, "{json}");
    assert_eq!(json[0]["package"], "core-utils");
    assert_eq!(json[0]["version"], "0.1.0");
    assert_eq!(json[0]["tag"], "v0.1.0");
    assert_eq!(
        json[0]["files"],
        serde_json::json!([
            "core_utils-0.1.0-py3-none-any.whl",
            "core_utils-0.1.0.tar.gz"
        ])
    );
    assert_eq!(json[0]["uploaded"], true);
    assert_eq!(json[0]["already_on_index"], json[0]["files"]);
    assert_eq!(json[1]["package"], "data-loader");
    assert_eq!(server.files(), files, "no duplicates");
    assert_eq!(snapshot_tree(&server.packages), index_before);
    assert_eq!(snapshot_tree(&root), before);
}

#[test]
fn publish_dry_run_prints_the_plan_and_changes_nothing() {
    let env = TestEnv::new();
    let root = released_demo(&env);
    let server = PyPiServer::start(&env.path().join("index"));
    let before = (snapshot_tree(&root), snapshot_tree(&server.packages));

    let out = publish(
        &env,
        &root,
        &["publish", "--dry-run", "--index", &server.url()],
    );
    let (stdout, stderr) = outputs(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert_no_token(&out);
    let core = root.join("packages/core-utils");
    for expected in [
        format!(
            "core-utils: git -C {tmp} clone --quiet --no-checkout -- {} {tmp}/core-utils/src",
            core.display(),
            tmp = std::env::temp_dir()
                .join("release-tool-publish-XXXXXX")
                .display()
        ),
        "core-utils: git -C ".to_owned(),
        "checkout --quiet --detach v0.1.0".to_owned(),
        "uv build --no-sources --out-dir ".to_owned(),
        format!(
            "uv publish --publish-url {} --check-url {} ",
            server.url(),
            server.simple_url()
        ),
        "data-loader: (cd ".to_owned(),
    ] {
        assert!(stdout.contains(&expected), "{expected}\n---\n{stdout}");
    }
    assert!(!stdout.contains("model-api"), "{stdout}");
    assert!(
        stderr.contains("Dry run: 8 steps planned, nothing changed"),
        "{stderr}"
    );

    let out = publish(
        &env,
        &root,
        &["publish", "--dry-run", "--json", "--index", &server.url()],
    );
    assert!(out.status.success());
    assert_no_token(&out);
    let steps = crate::support::json_doc(&out.stdout)["steps"].clone();
    let actions: Vec<&str> = steps
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["git", "git", "uv", "uv", "git", "git", "uv", "uv"],
        "{steps}"
    );
    assert_eq!(steps[0]["package"], "core-utils");
    assert_eq!(steps[7]["package"], "data-loader");

    assert_eq!(
        (snapshot_tree(&root), snapshot_tree(&server.packages)),
        before
    );
    assert!(server.files().is_empty());
}

#[test]
fn publish_refuses_a_tag_whose_version_differs_from_pyproject() {
    let env = TestEnv::new();
    let root = released_demo(&env);
    // model-api says 0.1.0.dev0 in pyproject.toml, but is tagged v0.1.0.
    git(&root.join("packages/model-api"), &["tag", "v0.1.0"]);
    let server = PyPiServer::start(&env.path().join("index"));
    let before = snapshot_tree(&root);

    let out = publish(&env, &root, &["publish", "--index", &server.url()]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert_no_token(&out);
    assert!(
        stderr.contains(
            "error: Cannot publish model-api at v0.1.0 (packages/model-api): the tag says \
             version 0.1.0 but pyproject.toml at the tag says 0.1.0.dev0; nothing was built \
             or uploaded"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("hint: "), "{stderr}");
    // The whole run stops before any work: the good packages are not uploaded either.
    assert!(server.files().is_empty(), "{:?}", server.files());
    assert_eq!(snapshot_tree(&root), before);
}

#[test]
fn publish_needs_an_index_and_never_prints_credentials() {
    let env = TestEnv::new();
    let root = released_demo(&env);
    let before = snapshot_tree(&root);

    let out = publish(&env, &root, &["publish"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains(
            "error: No package index to publish to: pass --index URL or set UV_PUBLISH_URL"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("hint: "), "{stderr}");
    let out = publish(&env, &root, &["publish", "--dry-run"]);
    assert_eq!(out.status.code(), Some(2));

    // Credentials in the URL are refused, and not echoed.
    let out = publish(
        &env,
        &root,
        &[
            "publish",
            "--index",
            "https://me:hunter2secret@example.com/",
        ],
    );
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        !stderr.contains("hunter2secret") && stderr.contains("https://***@example.com/"),
        "{stderr}"
    );
    assert_no_token(&out);

    // A package named explicitly must have a release tag.
    let out = publish(
        &env,
        &root,
        &["publish", "model-api", "--index", "http://127.0.0.1:9/"],
    );
    let (_, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("Cannot publish model-api: no release tag"),
        "{stderr}"
    );
    assert_eq!(snapshot_tree(&root), before);
}

#[test]
fn publish_failure_names_the_package_and_uv_message() {
    let env = TestEnv::new();
    let root = released_demo(&env);
    // Nothing listens there: the upload fails after the builds.
    let url = format!("http://127.0.0.1:{}/", free_port());
    let mut cmd = env.cmd(&root);
    uv_env(&mut cmd, &env);
    let out = cmd
        .env("UV_PUBLISH_TOKEN", TOKEN)
        .env("UV_HTTP_RETRIES", "0")
        .args(["publish", "-p", "core-utils", "-p", "data-loader"])
        .args(["--index", &url])
        .output()
        .unwrap();
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert_no_token(&out);
    assert!(
        stderr.contains("error: core-utils 0.1.0 (v0.1.0): `uv publish --publish-url"),
        "{stderr}"
    );
    assert!(
        stderr.contains("\n  error: Failed to"),
        "uv's message: {stderr}"
    );
    assert!(
        stderr.contains(
            "error: data-loader 0.1.0 (v0.1.0): not uploaded because its dependency \
             core-utils failed"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "error: Publishing to {url} failed for 2 of 2 packages: core-utils, data-loader"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("hint: "), "{stderr}");
}

#[test]
fn index_prod_source_publish_then_a_fresh_clone_syncs_prod_from_the_index() {
    let env = TestEnv::new();
    let root = env.demo();
    write_config(&root, "[tool.release_tool]\nprod_source = \"index\"\n");
    for name in ["core-utils", "data-loader", "model-api"] {
        let pkg = root.join("packages").join(name);
        set_version_and_tag(&pkg, "0.1.0", "v0.1.0");
        git(&pkg, &["push", "-q", "origin", "main", "v0.1.0"]);
    }
    let server = PyPiServer::start(&env.path().join("index"));
    let out = publish(&env, &root, &["publish", "--index", &server.url()]);
    assert!(out.status.success(), "{}", outputs(&out).1);
    // The private index in the prod manifest, with a source routing one package to it.
    let prod = root.join("prod/pyproject.toml");
    let mut text = std::fs::read_to_string(&prod).unwrap();
    text.push_str(&format!(
        "\n[[tool.uv.index]]\nname = \"internal\"\nurl = \"{}\"\n",
        server.simple_url()
    ));
    std::fs::write(&prod, text).unwrap();
    let out = env.run(&root, ["manifests"]);
    assert!(out.status.success(), "{}", outputs(&out).1);
    let text = std::fs::read_to_string(&prod).unwrap();
    assert!(
        text.contains(
            "dependencies = [\"core-utils==0.1.0\", \"data-loader==0.1.0\", \"model-api==0.1.0\"]"
        ),
        "{text}"
    );
    assert!(
        text.contains("[[tool.uv.index]]\nname = \"internal\""),
        "kept: {text}"
    );
    git(&root, &["add", "-A"]);
    git(
        &root,
        &["commit", "-q", "-m", "chore: pin prod to the index"],
    );

    let clone = crate::support::clone_root(&env, &root, &[]);
    let mut cmd = env.cmd(&clone);
    uv_env(&mut cmd, &env);
    let out = cmd.args(["sync", "prod"]).output().unwrap();
    assert!(out.status.success(), "{}", outputs(&out).1);
    let lock = std::fs::read_to_string(clone.join("prod/uv.lock")).unwrap();
    assert!(
        lock.contains(&format!(
            "source = {{ registry = \"{}\" }}",
            server.simple_url()
        )),
        "installed from the index: {lock}"
    );
    let (ok, stdout, stderr) = crate::support::venv_python(
        &clone.join("prod/.venv"),
        "import model_api, importlib.metadata as m; print(m.version('core-utils'))",
    );
    assert!(ok, "{stderr}");
    assert_eq!(stdout.trim(), "0.1.0");
}
