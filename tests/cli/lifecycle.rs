//! Workspace lifecycle and environments end to end, with real git, uv and hatchling:
//! init, new, manifests, sync, lock, check.

use std::path::{Path, PathBuf};

use crate::support::{
    TestEnv, commit_file, git, outputs, snapshot_tree, venv_python, write_config,
};

fn ok(out: &std::process::Output) -> String {
    let (stdout, stderr) = outputs(out);
    assert!(
        out.status.success(),
        "failed ({:?}):\nstdout: {stdout}\nstderr: {stderr}",
        out.status.code()
    );
    stdout
}

/// `init` + `new alpha` + `new beta --dep alpha`, each with a bare remote.
fn alpha_beta(env: &TestEnv) -> PathBuf {
    let root = env.path().join("product");
    ok(&env.run(&env.path(), ["init", "product"]));
    for name in ["alpha", "beta"] {
        let remote = env.path().join(format!("remotes/{name}.git"));
        std::fs::create_dir_all(&remote).unwrap();
        git(&remote, &["init", "-q", "--bare", "-b", "main"]);
        let url = format!("file://{}", remote.display());
        let mut args = vec!["new", name, "--remote", url.as_str()];
        if name == "beta" {
            args.extend(["--dep", "alpha"]);
        }
        ok(&env.run(&root, &args));
    }
    root
}

/// Release both packages at `version` by hand (the release pipeline is another command).
fn tag_all(root: &Path, names: &[&str], version: &str) {
    for name in names {
        let pkg = root.join("packages").join(name);
        let text = std::fs::read_to_string(pkg.join("pyproject.toml")).unwrap();
        let old = text
            .lines()
            .find(|l| l.starts_with("version = "))
            .unwrap()
            .to_owned();
        commit_file(
            &pkg,
            "pyproject.toml",
            &text.replace(&old, &format!("version = \"{version}\"")),
            "chore: release",
        );
        git(&pkg, &["tag", "-a", "-m", version, &format!("v{version}")]);
        git(
            &pkg,
            &["push", "-q", "origin", "main", &format!("v{version}")],
        );
    }
}

#[test]
fn init_creates_a_workspace_and_a_second_run_changes_nothing() {
    let env = TestEnv::new();
    let out = env.run(&env.path(), ["init", "ws", "--name", "my-product"]);
    ok(&out);
    let root = env.path().join("ws");
    for file in [
        "pyproject.toml",
        "staging/pyproject.toml",
        "prod/pyproject.toml",
        "release_tool.toml",
        ".gitignore",
    ] {
        assert!(root.join(file).is_file(), "{file}");
    }
    let dev = std::fs::read_to_string(root.join("pyproject.toml")).unwrap();
    assert!(
        dev.contains("name = \"my-product\"") && dev.contains("members = [\"packages/*\"]"),
        "{dev}"
    );
    assert!(
        !dev.contains("build-system"),
        "the root ships no code: no build-system"
    );
    assert!(
        std::fs::read_to_string(root.join("prod/pyproject.toml"))
            .unwrap()
            .starts_with("# Production manifest")
    );
    let ignore = std::fs::read_to_string(root.join(".gitignore")).unwrap();
    for entry in [".venv", ".release_tool/", "release_tool/changes/"] {
        assert!(ignore.contains(entry), "{entry}");
    }
    assert_eq!(git(&root, &["branch", "--show-current"]).trim(), "main");
    assert_eq!(
        git(&root, &["log", "--format=%s"]).trim(),
        "chore: initialize release-tool workspace"
    );
    assert_eq!(git(&root, &["status", "--porcelain"]), "");
    // The result is a workspace `status` accepts.
    ok(&env.run(&root, ["status"]));

    let before = snapshot_tree(&env.path());
    let out = env.run(&root, ["init"]);
    ok(&out);
    assert!(
        outputs(&out).1.contains("nothing to do"),
        "{}",
        outputs(&out).1
    );
    assert_eq!(
        before,
        snapshot_tree(&env.path()),
        "a second init changes nothing"
    );
}

#[test]
fn init_never_clobbers_and_completes_an_existing_project() {
    let env = TestEnv::new();
    let root = env.path().join("existing");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(
        root.join("pyproject.toml"),
        "# mine\n[project]\nname = \"mine\"\nversion = \"1.0\"\n",
    )
    .unwrap();
    std::fs::write(root.join(".gitignore"), "custom\n").unwrap();
    ok(&env.run(&root, ["init"]));
    let dev = std::fs::read_to_string(root.join("pyproject.toml")).unwrap();
    assert!(
        dev.starts_with("# mine\n[project]\nname = \"mine\"\nversion = \"1.0\"\n"),
        "{dev}"
    );
    assert!(dev.contains("[tool.uv.workspace]"), "{dev}");
    assert_eq!(
        std::fs::read_to_string(root.join(".gitignore")).unwrap(),
        "custom\n"
    );
    assert!(root.join("release_tool.toml").is_file());
}

#[test]
fn init_dry_run_changes_nothing() {
    let env = TestEnv::new();
    let before = snapshot_tree(&env.path());
    let out = env.run(&env.path(), ["init", "ws", "--dry-run"]);
    let stdout = ok(&out);
    assert!(
        stdout.contains("root: create pyproject.toml") && stdout.contains("root: git -C . init"),
        "{stdout}"
    );
    assert_eq!(before, snapshot_tree(&env.path()));
    let out = env.run(&env.path(), ["init", "ws", "--dry-run", "--json"]);
    let steps = crate::support::json_doc(ok(&out))["steps"].clone();
    assert!(
        steps
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["action"].is_string() && s["detail"].is_string())
    );
    assert_eq!(before, snapshot_tree(&env.path()));
}

#[test]
fn new_registers_a_standalone_package() {
    let env = TestEnv::new();
    let root = alpha_beta(&env);
    let beta = root.join("packages/beta");
    for file in [
        "pyproject.toml",
        "src/beta/__init__.py",
        "src/beta/py.typed",
        "tests/test_beta.py",
        "README.md",
        ".gitignore",
    ] {
        assert!(beta.join(file).is_file(), "{file}");
    }
    let py = std::fs::read_to_string(beta.join("pyproject.toml")).unwrap();
    assert!(
        py.contains("version = \"0.1.0.dev0\"")
            && py.contains("build-backend = \"hatchling.build\""),
        "{py}"
    );
    assert!(py.contains("requires-python = \">=3.10\""), "{py}");
    assert!(
        py.contains("\"alpha\"") && !py.contains("[tool.uv.sources]"),
        "plain requirement, no source: {py}"
    );
    let dev = std::fs::read_to_string(root.join("pyproject.toml")).unwrap();
    assert!(
        dev.contains("alpha = { workspace = true }") && dev.contains("beta = { workspace = true }"),
        "{dev}"
    );
    let modules = std::fs::read_to_string(root.join(".gitmodules")).unwrap();
    assert!(
        modules.contains("path = packages/beta") && modules.contains("branch = main"),
        "{modules}"
    );
    assert_eq!(git(&beta, &["branch", "--show-current"]).trim(), "main");
    assert_eq!(git(&root, &["status", "--porcelain"]), "");
    assert_eq!(
        git(&root, &["log", "-1", "--format=%s"]).trim(),
        "feat: add package beta"
    );
    let remote = env.path().join("remotes/beta.git");
    assert_eq!(
        git(&remote, &["log", "--format=%s", "main"]).trim(),
        "chore: scaffold beta"
    );
}

#[test]
fn new_package_builds_and_installs_on_its_own() {
    let env = TestEnv::new();
    let root = alpha_beta(&env);
    // Outside the workspace, with plain uv: the package builds with hatchling and installs.
    let alpha = root.join("packages/alpha");
    let venv = env.path().join("standalone-venv");
    let uv = crate::support::uv();
    let envs = crate::support::uv_env();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(&uv)
            .args(args)
            .envs(envs.iter().map(|(k, v)| (k, v)))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "uv {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&["venv", "-q", venv.to_str().unwrap()]);
    run(&[
        "pip",
        "install",
        "-q",
        "--python",
        venv.join("bin/python").to_str().unwrap(),
        alpha.to_str().unwrap(),
    ]);
    let (ok, stdout, stderr) = venv_python(&venv, "import alpha; print(alpha.hello())");
    assert!(ok, "{stderr}");
    assert_eq!(stdout.trim(), "Hello from alpha!");
}

#[test]
fn new_rejects_bad_input_and_changes_nothing() {
    let env = TestEnv::new();
    let root = alpha_beta(&env);
    let before = snapshot_tree(&env.path());
    for (args, expected) in [
        (vec!["new", "bad name"], "Invalid package name `bad name`"),
        (vec!["new", "-oops"], "unexpected argument"),
        (
            vec!["new", "Alpha"],
            "A package named `alpha` already exists",
        ),
        (
            vec!["new", "gamma", "--dep", "alpah"],
            "--dep `alpah` is not a package of this workspace",
        ),
    ] {
        let out = env.run(&root, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = outputs(&out).1;
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    let out = env.run(&root, ["new", "gamma", "--dep", "alpah"]);
    assert!(outputs(&out).1.contains("did you mean `alpha`?"));
    assert_eq!(before, snapshot_tree(&env.path()));
}

#[test]
fn sync_dev_installs_the_workspace_editable() {
    let env = TestEnv::new();
    let root = alpha_beta(&env);
    let out = env.run_uv(&root, ["sync", "dev"]);
    ok(&out);
    assert!(
        outputs(&out).1.contains("Active environment: dev (.venv)"),
        "{}",
        outputs(&out).1
    );
    let venv = root.join(".venv");
    let (ok1, stdout, stderr) = venv_python(&venv, "import alpha, beta; print(alpha.hello())");
    assert!(ok1, "{stderr}");
    assert_eq!(stdout.trim(), "Hello from alpha!");
    // Editable: an edit is visible without reinstalling.
    let init = root.join("packages/alpha/src/alpha/__init__.py");
    let text = std::fs::read_to_string(&init)
        .unwrap()
        .replace("Hello from alpha!", "Edited alpha!");
    std::fs::write(&init, text).unwrap();
    let (_, stdout, _) = venv_python(&venv, "import alpha; print(alpha.hello())");
    assert_eq!(stdout.trim(), "Edited alpha!");
    // `-qq` is passed on to uv: none of its resolution or install lines (issue #23).
    std::fs::remove_dir_all(&venv).unwrap();
    let out = env.run_uv(&root, ["sync", "dev", "-qq"]);
    ok(&out);
    let stderr = outputs(&out).1;
    assert!(
        !stderr.contains("Resolved") && !stderr.contains("Installed"),
        "{stderr}"
    );
    assert!(
        venv.join("pyvenv.cfg").is_file(),
        "the environment is installed"
    );
}

#[test]
fn manifests_pin_tags_and_a_fresh_clone_without_submodules_syncs_prod() {
    let env = TestEnv::new();
    let root = alpha_beta(&env);
    // Keep user content in prod: a comment and an index.
    let prod_path = root.join("prod/pyproject.toml");
    let mut prod = std::fs::read_to_string(&prod_path).unwrap();
    prod.push_str("\n# my index\n[[tool.uv.index]]\nname = \"internal\"\nurl = \"https://example.invalid/simple\"\nexplicit = true\n");
    std::fs::write(&prod_path, &prod).unwrap();
    tag_all(&root, &["alpha", "beta"], "0.1.0");
    // A dev tag newer than the release: staging takes it, prod does not.
    let alpha = root.join("packages/alpha");
    commit_file(&alpha, "x.py", "x = 1\n", "feat: x");
    git(&alpha, &["tag", "v0.2.0.dev1"]);
    git(&alpha, &["push", "-q", "origin", "main", "v0.2.0.dev1"]);

    let out = env.run(&root, ["manifests"]);
    let stdout = ok(&out);
    assert!(
        stdout.contains("alpha") && stdout.contains("v0.2.0.dev1"),
        "{stdout}"
    );
    let prod = std::fs::read_to_string(&prod_path).unwrap();
    let url = |n: &str| format!("file://{}/remotes/{n}.git", env.path().display());
    assert!(
        prod.contains(&format!(
            "alpha = {{ git = \"{}\", tag = \"v0.1.0\" }}",
            url("alpha")
        )),
        "{prod}"
    );
    assert!(
        prod.contains(&format!(
            "beta = {{ git = \"{}\", tag = \"v0.1.0\" }}",
            url("beta")
        )),
        "{prod}"
    );
    assert!(
        prod.contains("# my index\n[[tool.uv.index]]"),
        "user content kept: {prod}"
    );
    assert!(
        prod.contains("dependencies = [\"alpha\", \"beta\"]"),
        "{prod}"
    );
    let staging = std::fs::read_to_string(root.join("staging/pyproject.toml")).unwrap();
    assert!(staging.contains("tag = \"v0.2.0.dev1\""), "{staging}");
    // Now in step: --check passes; a second run changes nothing.
    ok(&env.run(&root, ["manifests", "--check"]));
    let before = snapshot_tree(&root);
    ok(&env.run(&root, ["manifests"]));
    assert_eq!(before, snapshot_tree(&root));

    // Commit the root; a fresh clone WITHOUT submodules installs prod from the tags.
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-q", "-m", "chore: pin"]);
    let clone = crate::support::clone_root(&env, &root, &[]);
    assert!(
        !clone.join("packages/alpha/pyproject.toml").exists(),
        "no submodules checked out"
    );
    let out = env.run_uv(&clone, ["sync", "prod"]);
    ok(&out);
    assert!(
        outputs(&out)
            .1
            .contains("Active environment: prod (prod/.venv)")
    );
    let (ok1, stdout, stderr) = venv_python(
        &clone.join("prod/.venv"),
        "import alpha, beta, importlib.metadata as m; print(alpha.__file__); print(m.version('alpha'), m.version('beta'))",
    );
    assert!(ok1, "{stderr}");
    assert!(
        stdout.contains("prod/.venv/lib/"),
        "installed, not editable: {stdout}"
    );
    assert!(stdout.contains("0.1.0 0.1.0"), "{stdout}");
    assert!(clone.join("prod/uv.lock").is_file());
}

#[test]
fn manifests_warn_without_tags_and_check_fails_with_diff() {
    let env = TestEnv::new();
    let root = alpha_beta(&env);
    let out = env.run(&root, ["manifests"]);
    ok(&out);
    let stderr = outputs(&out).1;
    assert!(
        stderr.contains("warning: alpha: no tag on its remote yet; not pinned in staging"),
        "{stderr}"
    );
    let prod = std::fs::read_to_string(root.join("prod/pyproject.toml")).unwrap();
    assert!(!prod.contains("alpha ="), "never an invented pin: {prod}");
    let out = env.run(&root, ["manifests", "--check"]);
    assert_eq!(out.status.code(), Some(1), "missing pins count as problems");
    tag_all(&root, &["alpha", "beta"], "0.1.0");
    let before = snapshot_tree(&root);
    let out = env.run(&root, ["manifests", "--check"]);
    assert_eq!(out.status.code(), Some(1));
    let (stdout, stderr) = outputs(&out);
    assert!(
        stdout.contains("+alpha = { git = "),
        "diff printed: {stdout}"
    );
    assert!(
        stderr.contains("Manifests are out of date: staging/pyproject.toml, prod/pyproject.toml"),
        "{stderr}"
    );
    assert_eq!(before, snapshot_tree(&root), "--check changes nothing");
}

#[test]
fn index_prod_source_pins_exact_versions() {
    let env = TestEnv::new();
    let root = alpha_beta(&env);
    write_config(&root, "[tool.release_tool]\nprod_source = \"index\"\n");
    tag_all(&root, &["alpha", "beta"], "0.3.0");
    ok(&env.run(&root, ["manifests"]));
    let prod = std::fs::read_to_string(root.join("prod/pyproject.toml")).unwrap();
    assert!(
        prod.contains("dependencies = [\"alpha==0.3.0\", \"beta==0.3.0\"]"),
        "{prod}"
    );
    assert!(
        !prod.contains("git ="),
        "no git sources in index mode: {prod}"
    );
}

#[test]
fn sync_without_uv_is_a_clear_error_and_changes_nothing() {
    let env = TestEnv::new();
    let root = alpha_beta(&env);
    let before = snapshot_tree(&env.path());
    let out = env
        .cmd(&root)
        .env("RELEASE_TOOL_UV", "/nonexistent/uv")
        .args(["sync"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = outputs(&out).1;
    assert!(
        stderr.contains("error: uv not found (looked for `/nonexistent/uv`)"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: install uv"), "{stderr}");
    assert_eq!(before, snapshot_tree(&env.path()));
}

#[test]
fn sync_with_a_missing_pinned_tag_names_package_and_tag() {
    let env = TestEnv::new();
    let root = alpha_beta(&env);
    tag_all(&root, &["alpha", "beta"], "0.1.0");
    ok(&env.run(&root, ["manifests"]));
    let path = root.join("staging/pyproject.toml");
    let text =
        std::fs::read_to_string(&path)
            .unwrap()
            .replacen("tag = \"v0.1.0\"", "tag = \"v9.9.9\"", 1);
    std::fs::write(&path, text).unwrap();
    let before = snapshot_tree(&env.path());
    let out = env.run_uv(&root, ["sync", "staging"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = outputs(&out).1;
    assert!(stderr.contains("Cannot sync staging: alpha: tag v9.9.9 pinned in staging/pyproject.toml does not exist on file://"), "{stderr}");
    assert_eq!(before, snapshot_tree(&env.path()));
}

#[test]
fn lock_all_and_check_a_healthy_workspace_then_each_injected_problem() {
    let env = TestEnv::new();
    let root = alpha_beta(&env);
    tag_all(&root, &["alpha", "beta"], "0.1.0");
    ok(&env.run(&root, ["manifests"]));
    ok(&env.run_uv(&root, ["lock", "--all"]));
    for dir in [".", "staging", "prod"] {
        assert!(root.join(dir).join("uv.lock").is_file(), "{dir}/uv.lock");
    }
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-q", "-m", "chore: pins and locks"]);
    let out = env.run_uv(&root, ["check"]);
    let (_, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("All checks passed"), "{stderr}");

    // 1. A release that leaked a workspace source.
    let beta = root.join("packages/beta");
    let py = std::fs::read_to_string(beta.join("pyproject.toml")).unwrap();
    commit_file(
        &beta,
        "pyproject.toml",
        &format!("{py}\n[tool.uv.sources]\nalpha = {{ workspace = true }}\n"),
        "bad",
    );
    git(&beta, &["tag", "v0.1.1"]);
    git(&beta, &["push", "-q", "origin", "main", "v0.1.1"]);
    commit_file(
        &beta,
        "pyproject.toml",
        &py,
        "fix: drop the workspace source",
    );
    // 2. An uncommitted submodule pointer (beta moved).
    // 3. A stale manifest (beta v0.1.1 is newer than the pin).
    // 4. A missing tag: staging pins alpha to a tag that does not exist.
    let staging = root.join("staging/pyproject.toml");
    let text = std::fs::read_to_string(&staging).unwrap().replacen(
        "tag = \"v0.1.0\"",
        "tag = \"v0.0.9\"",
        1,
    );
    std::fs::write(&staging, text).unwrap();
    let before = snapshot_tree(&env.path());
    let out = env.run_uv(&root, ["check", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let report = crate::support::json_doc(&out.stdout);
    let problems: Vec<String> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{} {} {}",
                p["check"].as_str().unwrap(),
                p["package"].as_str().unwrap_or("-"),
                p["message"].as_str().unwrap()
            )
        })
        .collect();
    let has = |needle: &str| problems.iter().any(|p| p.contains(needle));
    assert!(
        has("workspace-source beta release v0.1.1 carries `alpha = { workspace = true }`"),
        "{problems:#?}"
    );
    assert!(
        has("submodules beta submodule pointer of packages/beta is not committed"),
        "{problems:#?}"
    );
    assert!(
        has("manifests - prod/pyproject.toml is out of date"),
        "{problems:#?}"
    );
    assert!(
        has("pins alpha tag v0.0.9 pinned in staging/pyproject.toml does not exist"),
        "{problems:#?}"
    );
    // The lock pins a tag that does not exist: uv's own cause, not "out of date".
    assert!(
        has("locks - staging: staging/uv.lock cannot be checked: ")
            && has(
                "failed to fetch tag `v0.0.9`: fatal: couldn't find remote ref refs/tags/v0.0.9"
            ),
        "{problems:#?}"
    );
    assert_eq!(before, snapshot_tree(&env.path()), "check changes nothing");
}
