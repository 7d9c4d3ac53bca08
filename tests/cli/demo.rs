//! `demo`: a complete example workspace built with the real code paths.

use crate::support::{TestEnv, git, outputs};

#[test]
fn demo_builds_three_interdependent_submodule_packages() {
    let env = TestEnv::new();
    let out = env.run(&env.path(), ["demo", "d", "--no-sync"]);
    let (stdout, stderr) = outputs(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("core-utils") && stdout.contains("model-api"),
        "status table on stdout: {stdout}"
    );
    assert!(stderr.contains("Try next:"), "{stderr}");
    let root = env.path().join("d/workspace");
    // Each package is a submodule with its own repository and a bare remote.
    let gitmodules = std::fs::read_to_string(root.join(".gitmodules")).unwrap();
    for name in ["core-utils", "data-loader", "model-api"] {
        assert!(
            gitmodules.contains(&format!("path = packages/{name}")),
            "{gitmodules}"
        );
        let remote = env.path().join(format!("d/remotes/{name}.git"));
        assert_eq!(
            git(&remote, &["rev-parse", "--is-bare-repository"]).trim(),
            "true"
        );
        assert!(
            !git(&remote, &["log", "--oneline", "main"]).is_empty(),
            "{name} pushed"
        );
        let pkg = root.join("packages").join(name);
        assert!(
            pkg.join(".git").is_file(),
            "git dir absorbed into the root's .git/modules"
        );
        assert_eq!(git(&pkg, &["status", "--porcelain"]), "");
    }
    assert!(gitmodules.contains("branch = main"));
    // Dependencies: plain requirements in packages, workspace sources only in the root.
    let dl = std::fs::read_to_string(root.join("packages/data-loader/pyproject.toml")).unwrap();
    assert!(
        dl.contains("\"core-utils>=0.1.0\"") && !dl.contains("workspace"),
        "released: the requirement's lower bound was raised: {dl}"
    );
    // The demo released every package for real: tags and next-dev commits on the remotes.
    for name in ["core-utils", "data-loader", "model-api"] {
        let remote = env.path().join(format!("d/remotes/{name}.git"));
        assert!(
            git(&remote, &["tag", "--list"]).contains("v0.1.0"),
            "{name} tagged"
        );
        assert_eq!(
            git(&remote, &["log", "-1", "--format=%s", "main"]).trim(),
            "chore: start 0.1.1.dev0 development"
        );
    }
    let prod = std::fs::read_to_string(root.join("prod/pyproject.toml")).unwrap();
    assert!(prod.contains("tag = \"v0.1.0\""), "{prod}");
    let dev = std::fs::read_to_string(root.join("pyproject.toml")).unwrap();
    assert!(dev.contains("core-utils = { workspace = true }"), "{dev}");
    assert!(dev.contains("\"model-api\""), "{dev}");
    // The root is committed and clean.
    assert_eq!(git(&root, &["status", "--porcelain"]), "");
    assert_eq!(git(&root, &["log", "--format=%s"]).lines().count(), 5);
    assert!(
        git(&root, &["log", "-1", "--format=%s"])
            .starts_with("release: core-utils 0.1.0, data-loader 0.1.0, model-api 0.1.0")
    );
    // ... and pushed to the root's own remote.
    let root_remote = env.path().join("d/remotes/workspace.git");
    assert_eq!(
        git(&root_remote, &["rev-parse", "main"]),
        git(&root, &["rev-parse", "HEAD"])
    );
}

#[test]
fn demo_json_output() {
    let env = TestEnv::new();
    let out = env.run(&env.path(), ["demo", "d", "--json", "--no-sync"]);
    assert!(out.status.success());
    let v = crate::support::json_doc(&out.stdout);
    assert_eq!(v["packages"].as_array().unwrap().len(), 3);
}

#[test]
fn demo_syncs_dev_shows_the_editable_install_and_runs_check() {
    let env = TestEnv::new();
    // `--no-build`: the image build is the docker tests' business.
    let out = env.run_uv(&env.path(), ["demo", "d", "--no-build"]);
    let (stdout, stderr) = outputs(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("── release-tool sync dev ──"), "{stderr}");
    assert!(
        stderr.contains("core_utils.hello() before an edit: Hello from core-utils!"),
        "{stderr}"
    );
    assert!(
        stderr.contains("core_utils.hello() after an edit:  Hello from an edited core-utils!"),
        "{stderr}"
    );
    assert!(
        stderr.contains("── release-tool release --bump minor --push ──"),
        "{stderr}"
    );
    assert!(stderr.contains("── release-tool sync prod ──"), "{stderr}");
    // prod runs the released code, installed from the new tags.
    assert!(
        stderr.contains("prod: PROD RUNS CORE-UTILS 0.1.0!"),
        "{stderr}"
    );
    // The production Dockerfile, generated from the prod lock and committed.
    assert!(
        stderr.contains("\n── release-tool docker ──\nWrote docker/Dockerfile and .dockerignore\n"),
        "{stderr}"
    );
    assert!(stderr.contains("── release-tool check ──"), "{stderr}");
    assert!(
        stderr.contains("All checks passed"),
        "check: {stdout}\n{stderr}"
    );
    let root = env.path().join("d/workspace");
    assert!(root.join(".venv").is_dir());
    let dockerfile = std::fs::read_to_string(root.join("docker/Dockerfile")).unwrap();
    assert!(
        dockerfile.contains(&format!(
            "--mount=type=bind,from=mount-0,target={}/d/remotes \\\n",
            env.path().display()
        )),
        "{dockerfile}"
    );
    let out = env.run(&root, ["docker", "--check"]);
    assert!(out.status.success(), "{}", outputs(&out).1);
    // The configuration the full demo ends with (its `[tool.release_tool.docker]` too) is
    // valid for the JSON Schema editors use, checked by a real validator.
    let config = std::fs::read_to_string(root.join("release_tool.toml")).unwrap();
    assert!(config.contains("[tool.release_tool.docker]"), "{config}");
    let schema = crate::config_cmd::schema(&env);
    assert_eq!(
        crate::config_cmd::schema_errors(&schema, &config),
        Vec::<String>::new()
    );
    let unknown = config.replace(
        "[tool.release_tool.docker]\n",
        "[tool.release_tool.docker]\nmount = []\n",
    );
    assert!(
        crate::config_cmd::schema_errors(&schema, &unknown)
            .iter()
            .any(|e| e.contains("mount")),
        "an unknown key is rejected"
    );
    // `docker --json` without an engine: the files (current already), the image's references
    // and stamp, validated against the `docker` schema.
    let out = env.run(&root, ["docker", "--json"]);
    assert!(out.status.success(), "{}", outputs(&out).1);
    let report = crate::support::json_doc(&out.stdout);
    assert_eq!(report["written"], serde_json::json!([]), "{report}");
    assert!(report["stamp"]["revision"].is_string(), "{report}");
    let out = env.run(&root, ["docker", "--check", "--json"]);
    let verdict = crate::support::json_doc(&out.stdout);
    assert_eq!(verdict["up_to_date"], true, "{verdict}");
    assert_eq!(verdict["stale"], serde_json::json!([]), "{verdict}");
    // The edit was reverted and the lock committed: every repository is clean.
    assert_eq!(git(&root, &["status", "--porcelain"]), "");
    assert_eq!(
        git(
            &root.join("packages/core-utils"),
            &["status", "--porcelain"]
        ),
        ""
    );
}

#[test]
fn demo_works_without_a_git_identity() {
    let env = TestEnv::new();
    let mut cmd = env.cmd(&env.path());
    for var in [
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
        "EMAIL",
    ] {
        cmd.env_remove(var);
    }
    // No global config and a HOME without one: git has no identity at all.
    let out = cmd
        .env("HOME", env.path())
        .args(["demo", "d", "--no-sync", "-q"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", outputs(&out).1);
    let root = env.path().join("d/workspace");
    assert_eq!(
        git(&root, &["config", "--local", "user.name"]).trim(),
        "release-tool demo"
    );
}
