//! `docker` (stage 7): the generated files (stable, `--check`, `--dry-run`), the errors, and
//! real builds of the released demo with podman and buildah, pushed to a local registry.
//!
//! The real builds need buildah, podman, skopeo, docker-registry, runc and debootstrap
//! (`.ci/run` installs them); without them those tests fail, they do not skip.

use std::path::{Path, PathBuf};

use crate::support::containers::{self, GitDaemon, Registry};
use crate::support::{TestEnv, UV_VERSION, commit_file, edit_config, git, outputs, snapshot_tree};

/// `--ca-bundle <the host's bundle>`: HTTPS from inside a build may go through a proxy that
/// re-signs TLS with a CA only the host trusts (uv fetches hatchling from `PyPI` there).
fn host_ca_bundle() -> Vec<&'static str> {
    const BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";
    if Path::new(BUNDLE).is_file() {
        vec!["--ca-bundle", BUNDLE]
    } else {
        Vec::new()
    }
}

/// The released demo with its prod lock committed (the demo is built with `--no-sync`).
fn released_and_locked(env: &TestEnv) -> PathBuf {
    let root = env.demo_released();
    let out = env.run_uv(&root, ["lock", "prod"]);
    assert!(
        out.status.success(),
        "lock prod: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    git(&root, &["add", "prod/uv.lock"]);
    git(&root, &["commit", "-q", "-m", "chore: lock prod"]);
    root
}

/// Set `[tool.release_tool.docker]` keys (TOML lines) in the demo's configuration.
fn configure(root: &Path, keys: &str) {
    edit_config(root, |text| {
        let mut doc: toml_edit::DocumentMut = text.parse().unwrap();
        let new: toml_edit::DocumentMut = keys.parse().unwrap();
        let tool = doc["tool"]["release_tool"].as_table_mut().unwrap();
        if !tool.contains_key("docker") {
            tool.insert("docker", toml_edit::Item::Table(toml_edit::Table::new()));
        }
        let docker = tool["docker"].as_table_mut().unwrap();
        for (k, v) in new.iter() {
            docker.insert(k, v.clone());
        }
        doc.to_string()
    });
}

#[test]
fn generates_stable_files_and_check_tells_when_they_are_stale() {
    let env = TestEnv::new();
    let root = released_and_locked(&env);
    let out = env.run(&root, ["docker"]);
    let (stdout, stderr) = outputs(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    // Its prod pins the demo's `file://` remotes and nothing mounts them (`released_and_locked`
    // sets no `mounts`): said before any build is tried.
    assert!(
        stderr.starts_with("note: 3 packages of prod/pyproject.toml come from `file://` git remotes (core-utils, data-loader, model-api), which an image build cannot reach unless their directory is mounted")
            && stderr.contains("\nWrote docker/Dockerfile and .dockerignore\nhint: build it with "),
        "{stderr}"
    );
    let dockerfile = std::fs::read_to_string(root.join("docker/Dockerfile")).unwrap();
    let dockerignore = std::fs::read_to_string(root.join(".dockerignore")).unwrap();
    env.insta_settings().bind(|| {
        insta::assert_snapshot!("demo_dockerfile", dockerfile);
        insta::assert_snapshot!("demo_dockerignore", dockerignore);
    });

    // Same inputs, same bytes: a second run writes nothing.
    let before = snapshot_tree(&root);
    let out = env.run(&root, ["docker"]);
    assert!(out.status.success());
    let stderr = outputs(&out).1;
    assert!(
        stderr.ends_with(
            "docker/Dockerfile and .dockerignore are up to date\nhint: build it with `release-tool docker --build`, or `docker build -f docker/Dockerfile .`\n"
        ),
        "{stderr}"
    );
    assert_eq!(before, snapshot_tree(&root));

    // CI: current files pass, a configuration change makes them stale (exit 1, diff on
    // stdout), and --check writes nothing.
    git(&root, &["add", "docker/Dockerfile", ".dockerignore"]);
    git(
        &root,
        &["commit", "-q", "-m", "build: the production image"],
    );
    let out = env.run(&root, ["docker", "--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", outputs(&out).1);
    configure(&root, "system_packages = { runtime = [\"libgomp1\"] }\n");
    let before = snapshot_tree(&root);
    let out = env.run(&root, ["docker", "--check"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stdout.starts_with("--- docker/Dockerfile\n+++ docker/Dockerfile\n")
            && stdout.contains("+ && apt-get install -y --no-install-recommends libgomp1 \\\n"),
        "{stdout}"
    );
    assert_eq!(
        stderr,
        "error: docker/Dockerfile is out of date (generated from prod/pyproject.toml and [tool.release_tool.docker])\n\
         hint: run `release-tool docker` and commit the result\n"
    );
    assert_eq!(before, snapshot_tree(&root));
}

#[test]
fn dry_run_shows_the_files_and_the_engine_commands_and_changes_nothing() {
    let env = TestEnv::new();
    let root = released_and_locked(&env);
    configure(
        &root,
        "image = \"127.0.0.1:5000/demo-product\"\ninsecure_registries = [\"127.0.0.1:5000\"]\n\
         engine = \"buildah\"\nsecret_env = [\"RT_INDEX_TOKEN\"]\n",
    );
    let head = git(&root, &["rev-parse", "HEAD"]);
    let ca = env.path().join("ca.pem");
    std::fs::write(&ca, "-----BEGIN CERTIFICATE-----\n").unwrap();
    let before = snapshot_tree(&root);
    let out = env
        .cmd(&root)
        .args([
            "docker",
            "--dry-run",
            "--push",
            "--run",
            "--ca-bundle",
            ca.to_str().unwrap(),
            "--",
            "python",
            "-c",
            "import model_api",
        ])
        .env("RT_INDEX_TOKEN", "s3cr3t-token")
        .output()
        .unwrap();
    let (stdout, stderr) = outputs(&out);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(before, snapshot_tree(&root));
    assert!(!stdout.contains("s3cr3t-token") && !stderr.contains("s3cr3t-token"));
    assert!(
        stdout
            .starts_with("root: mkdir docker\nroot: create docker/Dockerfile\n    --- /dev/null\n"),
        "{stdout}"
    );
    assert!(stdout.contains("root: create .dockerignore\n"), "{stdout}");
    let engine_lines: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("root: buildah "))
        .collect();
    assert_eq!(
        engine_lines,
        [
            format!(
                "root: buildah bud --layers --force-rm -f docker/Dockerfile -t 127.0.0.1:5000/demo-product:0.2.0 \
                 -t 127.0.0.1:5000/demo-product:latest --build-arg VERSION=0.2.0 --build-arg REVISION={} \
                 --build-arg CREATED=2026-01-01T00:00:00Z --secret id=ca_bundle,src={} \
                 --secret id=RT_INDEX_TOKEN,env=RT_INDEX_TOKEN .",
                head.trim(),
                ca.display()
            )
            .as_str(),
            "root: buildah from --pull-never --name release-tool-run-demo-product 127.0.0.1:5000/demo-product:0.2.0",
            "root: buildah run release-tool-run-demo-product -- python -c 'import model_api'",
            "root: buildah rm release-tool-run-demo-product",
            "root: buildah push --tls-verify=false 127.0.0.1:5000/demo-product:0.2.0 docker://127.0.0.1:5000/demo-product:0.2.0",
            "root: buildah push --tls-verify=false 127.0.0.1:5000/demo-product:latest docker://127.0.0.1:5000/demo-product:latest",
        ]
    );
    assert!(
        stderr.ends_with("Dry run: 9 steps planned, nothing changed\n"),
        "{stderr}"
    );

    // The same plan as JSON.
    let out = env.run(&root, ["docker", "--dry-run", "--json", "--build"]);
    assert!(out.status.success());
    let json = crate::support::json_doc(&out.stdout);
    let actions: Vec<&str> = json["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["mkdir", "create", "create", "engine"]);
    assert_eq!(before, snapshot_tree(&root));
}

/// Set the product's version: the root project's `[project] version` (what a product release
/// bumps), committed.
fn set_product_version(root: &Path, version: &str) {
    let path = root.join("pyproject.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text.find("\nversion = \"").unwrap() + "\nversion = \"".len();
    let end = start + text[start..].find('"').unwrap();
    std::fs::write(
        &path,
        format!("{}{version}{}", &text[..start], &text[end..]),
    )
    .unwrap();
    git(
        root,
        &[
            "commit",
            "-q",
            "-am",
            &format!("release: product {version}"),
        ],
    );
}

/// The `-t` references of the build line of a `docker --build --dry-run`, and its `VERSION`.
fn planned_tags(env: &TestEnv, root: &Path) -> (Vec<String>, String) {
    let out = env.run(root, ["docker", "--build", "--dry-run"]);
    let (stdout, stderr) = outputs(&out);
    assert!(out.status.success(), "{stderr}");
    let build = stdout
        .lines()
        .find(|l| l.starts_with("root: buildah bud "))
        .unwrap_or_else(|| panic!("{stdout}"));
    let words: Vec<&str> = build.split(' ').collect();
    let mut tags = Vec::new();
    let mut version = String::new();
    for pair in words.windows(2) {
        match pair[0] {
            "-t" => tags.push(pair[1].to_owned()),
            "--build-arg" if pair[1].starts_with("VERSION=") => {
                pair[1]["VERSION=".len()..].clone_into(&mut version);
            }
            _ => {}
        }
    }
    (tags, version)
}

/// Issue 20, item 3: the image carries the product's version (the root project's, not what
/// `init` once wrote in prod), `{major}.{minor}` and `latest` only for a final version.
#[test]
fn the_image_is_tagged_with_the_products_version_and_latest_only_when_final() {
    let env = TestEnv::new();
    let root = released_and_locked(&env);
    configure(&root, "engine = \"buildah\"\n");
    set_product_version(&root, "1.4.0");
    assert_eq!(
        planned_tags(&env, &root),
        (
            vec![
                "demo-product:1.4.0".to_owned(),
                "demo-product:latest".to_owned()
            ],
            "1.4.0".to_owned()
        )
    );
    configure(
        &root,
        "tags = [\"{version}\", \"{major}.{minor}\", \"latest\", \"sha-{revision}\"]\n",
    );
    let head = git(&root, &["rev-parse", "HEAD"]);
    let sha = format!("demo-product:sha-{}", &head.trim()[..12]);
    assert_eq!(
        planned_tags(&env, &root).0,
        [
            "demo-product:1.4.0",
            "demo-product:1.4",
            "demo-product:latest",
            sha.as_str()
        ]
    );
    // A dev version: its own tag, no `latest`, no `1.5`.
    set_product_version(&root, "1.5.0.dev1");
    let head = git(&root, &["rev-parse", "HEAD"]);
    let sha = format!("demo-product:sha-{}", &head.trim()[..12]);
    assert_eq!(
        planned_tags(&env, &root),
        (
            vec!["demo-product:1.5.0.dev1".to_owned(), sha],
            "1.5.0.dev1".to_owned()
        )
    );
    // Only floating tags for a pre-release: a clear error, nothing built.
    configure(&root, "tags = [\"latest\"]\n");
    let out = env.run(&root, ["docker", "--build", "--dry-run"]);
    let (_, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("error: No image tag for the product's version 1.5.0.dev1: every tag in `tags` (latest) is for final versions only\nhint: add a tag with {version} to `tags` in [tool.release_tool.docker]"),
        "{stderr}"
    );
}

#[test]
fn a_missing_or_stale_prod_lock_is_a_clear_error() {
    let env = TestEnv::new();
    let root = env.demo_released();
    let before = snapshot_tree(&root);
    let out = env.run(&root, ["docker"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        outputs(&out).1,
        "error: No prod lock: prod/uv.lock does not exist, and the image installs exactly what it pins\n\
         hint: run `release-tool lock prod`, then commit prod/uv.lock\n"
    );
    assert_eq!(before, snapshot_tree(&root));

    let out = env.run_uv(&root, ["lock", "prod"]);
    assert!(out.status.success());
    let manifest = root.join("prod/pyproject.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace(
            "data-loader.git\", tag = \"v0.1.0\"",
            "data-loader.git\", tag = \"v0.2.0\"",
        ),
    )
    .unwrap();
    let before = snapshot_tree(&root);
    let out = env.run(&root, ["docker", "--build", "--dry-run"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        outputs(&out).1,
        "error: The prod lock prod/uv.lock is out of date with prod/pyproject.toml: `data-loader` is pinned to tag v0.2.0, the lock has tag v0.1.0\n\
         hint: run `release-tool lock prod`, then commit prod/uv.lock\n"
    );
    assert_eq!(before, snapshot_tree(&root));
}

#[test]
fn no_engine_found_lists_what_was_tried() {
    let env = TestEnv::new();
    let root = released_and_locked(&env);
    // A PATH with git and nothing else.
    let bin = env.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let git_path = std::process::Command::new("sh")
        .args(["-c", "command -v git"])
        .output()
        .unwrap();
    std::os::unix::fs::symlink(
        String::from_utf8_lossy(&git_path.stdout).trim(),
        bin.join("git"),
    )
    .unwrap();
    let out = env
        .cmd(&root)
        .args(["docker", "--build"])
        .env("PATH", &bin)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = outputs(&out).1;
    assert!(
        stderr.starts_with(
            "error: No container engine found (tried docker: not found on PATH; podman: not found on PATH; buildah: not found on PATH)\n\
             hint: install one: `apt-get install buildah podman` (Debian, Ubuntu)"
        ),
        "{stderr}"
    );
    assert!(
        !root.join("docker").exists(),
        "nothing is written before the engine is found"
    );

    let out = env
        .cmd(&root)
        .args(["docker", "--build", "--engine", "podman"])
        .env("PATH", &bin)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        outputs(&out).1.starts_with(
            "error: The container engine `podman` is not installed (not found on PATH)\n"
        ),
        "{}",
        outputs(&out).1
    );
}

#[test]
fn bad_docker_configuration_is_a_usage_error() {
    let env = TestEnv::new();
    let root = released_and_locked(&env);
    configure(&root, "engine = \"kaniko\"\n");
    let out = env.run(&root, ["docker"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = outputs(&out).1;
    assert!(
        stderr.contains("release_tool.toml: `docker.engine` must be one of \"auto\", \"docker\", \"podman\", \"buildah\", got \"kaniko\""),
        "{stderr}"
    );
    edit_config(&root, |text| {
        text.replace("engine = \"kaniko\"", "extras = [\"gpu\"]")
    });
    let out = env.run(&root, ["docker"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        outputs(&out).1,
        "error: Extra `gpu` (docker.extras) is not in [project.optional-dependencies] of prod/pyproject.toml\n\
         hint: remove it from `extras` in [tool.release_tool.docker]\n"
    );
}

/// The demo's application: a script that imports every package.
const APP: &str = "import core_utils, data_loader, model_api\n\nprint(\"demo app v1:\", core_utils.shout(\"ready\"))\n";

/// The acceptance run: the released demo built (engine `auto`), tried, pushed to a local
/// registry, inspected, and rebuilt after a change to the application only.
#[test]
fn build_run_push_and_rebuild_reusing_the_deps_layer() {
    let _storage = containers::exclusive();
    let base = containers::base_image();
    let uv_image = containers::uv_image();
    let env = TestEnv::new();
    let root = released_and_locked(&env);
    let registry = Registry::start(&env.path());
    let remotes = env.path().join("demo/remotes");
    let daemon = GitDaemon::start(&remotes);
    let gitconfig = env.path().join("gitconfig");
    std::fs::write(&gitconfig, daemon.rewrite_config(&remotes)).unwrap();
    let host = registry.host();
    configure(
        &root,
        &format!(
            "base_image = \"{base}\"\nuv_image = \"{uv_image}\"\nuv_version = \"{UV_VERSION}\"\n\
             image = \"{host}/demo-product\"\ninsecure_registries = [\"{host}\"]\n\
             copy = [\"app\"]\ncmd = [\"python\", \"app/main.py\"]\ngit_config = \"{}\"\n",
            gitconfig.display()
        ),
    );
    commit_file(&root, "app/main.py", APP, "feat: the demo app");
    // A product release bumped the product (the root project) past what prod's manifest says.
    set_product_version(&root, "0.2.0");
    let release_tool = |args: &[&str]| {
        let mut cmd = env.cmd(&root);
        cmd.args(args);
        for (k, v) in containers::engine_env() {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    let references = [
        format!("{host}/demo-product:0.2.0"),
        format!("{host}/demo-product:latest"),
    ];

    // The dry run changes nothing, and names the engine `auto` found.
    let before = snapshot_tree(&root);
    let out = release_tool(&["docker", "--build", "--push", "--dry-run"]);
    assert!(out.status.success(), "{}", outputs(&out).1);
    assert_eq!(before, snapshot_tree(&root));
    let engine = if outputs(&out).0.contains("root: podman build --layers ") {
        "podman"
    } else {
        "buildah"
    };

    // Build, try as the app user, push.
    let mut args = vec!["docker", "--build", "--push", "--run"];
    args.extend(host_ca_bundle());
    args.extend([
        "--",
        "python",
        "-c",
        "import core_utils, data_loader, model_api, os; print('imported as', os.getuid(), os.getgid())",
    ]);
    let out = release_tool(&args);
    let (stdout, stderr) = outputs(&out);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stdout, format!("{}\n{}\n", references[0], references[1]));
    assert!(stderr.contains("\nimported as 999 999\n"), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "Built {}, {} with {engine}\n",
            references[0], references[1]
        )),
        "{stderr}"
    );
    assert_eq!(registry.tags("demo-product"), ["0.2.0", "latest"]);

    // The runtime image: no uv, no build tools, no caches; labels from the release.
    let check = "for t in uv uvx git gcc cc make; do if command -v $t; then exit 1; fi; done; \
                 test ! -e /root/.cache/uv && test ! -e /app/uv.lock && id -u";
    let out = containers::tool(
        "podman",
        &["run", "--rm", &references[0], "sh", "-c", check],
    );
    assert_eq!(out.trim(), "999");
    let labels: serde_json::Value = serde_json::from_str(&containers::tool(
        "podman",
        &[
            "image",
            "inspect",
            "--format",
            "{{json .Labels}}",
            &references[0],
        ],
    ))
    .unwrap();
    let head = git(&root, &["rev-parse", "HEAD"]);
    assert_eq!(labels["org.opencontainers.image.version"], "0.2.0");
    assert_eq!(labels["org.opencontainers.image.revision"], head.trim());
    assert_eq!(
        labels["org.opencontainers.image.created"],
        "2026-01-01T00:00:00Z"
    );
    assert_eq!(labels["org.opencontainers.image.title"], "demo-product");
    assert_eq!(
        labels["org.opencontainers.image.source"],
        format!("file://{}/workspace.git", remotes.display())
    );

    // No bigger than the base, the environment and the source, plus 5%.
    let size = |image: &str| -> u64 {
        containers::tool(
            "podman",
            &["image", "inspect", "--format", "{{.Size}}", image],
        )
        .trim()
        .parse()
        .unwrap()
    };
    let du = containers::tool(
        "podman",
        &[
            "run",
            "--rm",
            &references[0],
            "du",
            "-sb",
            "/app/.venv",
            "/app/app",
        ],
    );
    let payload: u64 = du
        .lines()
        .map(|l| l.split_whitespace().next().unwrap().parse::<u64>().unwrap())
        .sum();
    let (image, base_size) = (size(&references[0]), size(base));
    assert!(
        image * 100 <= (base_size + payload) * 105,
        "image {image} bytes > 105% of base {base_size} + environment and source {payload}"
    );

    // A change to the application only: the dependencies' layer comes from the cache.
    commit_file(
        &root,
        "app/main.py",
        &APP.replace("demo app v1", "demo app v2"),
        "fix: the demo app, v2",
    );
    let mut args = vec!["docker", "--build"];
    args.extend(host_ca_bundle());
    let out = release_tool(&args);
    let stderr = outputs(&out).1;
    assert!(out.status.success(), "{stderr}");
    let after = |needle: &str| -> &str {
        let lines: Vec<&str> = stderr.lines().collect();
        let i = lines
            .iter()
            .position(|l| l.contains("STEP ") && l.contains(needle))
            .unwrap_or_else(|| panic!("no step with {needle:?} in:\n{stderr}"));
        lines.get(i + 1).copied().unwrap_or("")
    };
    assert!(
        after("uv sync --locked --no-install-project").starts_with("--> Using cache "),
        "the deps layer was rebuilt:\n{stderr}"
    );
    assert!(
        !after("COPY app /app/app").starts_with("--> Using cache "),
        "the application layer was not rebuilt:\n{stderr}"
    );
    let out = containers::tool("podman", &["run", "--rm", &references[0]]);
    assert_eq!(out, "demo app v2: READY!\n");

    for r in &references {
        let _ = containers::tool_output("podman", &["rmi", "--force", r]);
    }
}

/// An engine failure names the exit code and the step that failed; a user template replaces
/// the built-in one.
#[test]
fn engine_failure_names_the_exit_code_and_the_failing_step() {
    let _storage = containers::exclusive();
    let base = containers::base_image();
    let env = TestEnv::new();
    let root = released_and_locked(&env);
    configure(
        &root,
        "engine = \"buildah\"\nimage = \"localhost/rt-failing-demo\"\n",
    );
    std::fs::create_dir_all(root.join("release_tool/templates")).unwrap();
    std::fs::write(
        root.join("release_tool/templates/Dockerfile.j2"),
        format!("FROM {base}\nRUN echo checking {{{{ prod.name }}}} && exit 7\n"),
    )
    .unwrap();
    let mut cmd = env.cmd(&root);
    cmd.args(["docker", "--build"]);
    for (k, v) in containers::engine_env() {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stderr = outputs(&out).1;
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(root.join("docker/Dockerfile")).unwrap(),
        format!("FROM {base}\nRUN echo checking demo-product && exit 7\n")
    );
    assert!(stderr.contains("\nchecking demo-product\n"), "{stderr}");
    let error = stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("no error in:\n{stderr}"));
    assert!(
        error.starts_with(
            "error: `buildah bud --layers --force-rm -f docker/Dockerfile -t localhost/rt-failing-demo:0.2.0 "
        ) && error.ends_with(
            "failed (exit 7) at step `STEP 2/2: RUN echo checking demo-product && exit 7`"
        ),
        "{error}"
    );
    assert!(
        stderr.ends_with("hint: buildah's output above says why; `release-tool docker --dry-run` prints the commands to run by hand\n"),
        "{stderr}"
    );
}

/// The demo's own image: its Dockerfile mounts the demo's local remotes (`mounts`), so the
/// build installs the released packages from them; built and run with buildah.
#[test]
fn the_demo_image_builds_with_its_remotes_mounted() {
    let _storage = containers::exclusive();
    let base = containers::base_image();
    let uv_image = containers::uv_image();
    let env = TestEnv::new();
    let out = env.run_uv(&env.path(), ["demo", "d", "-q", "--no-build"]);
    assert!(out.status.success(), "{}", outputs(&out).1);
    let root = env.path().join("d/workspace");
    configure(
        &root,
        &format!(
            "base_image = \"{base}\"\nuv_image = \"{uv_image}\"\nuv_version = \"{UV_VERSION}\"\n\
             engine = \"buildah\"\nimage = \"localhost/rt-demo-image\"\n"
        ),
    );
    let mut cmd = env.cmd(&root);
    cmd.args(["docker", "--run"]).args(host_ca_bundle());
    for (k, v) in containers::engine_env() {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stderr = outputs(&out).1;
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("\nTHE IMAGE RUNS CORE-UTILS 0.1.0!\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "--build-context mount-0={}/d/remotes .",
            env.path().display()
        )),
        "{stderr}"
    );
    for tag in ["0.2.0", "latest"] {
        let _ = containers::tool_output(
            "podman",
            &["rmi", "--force", &format!("localhost/rt-demo-image:{tag}")],
        );
    }
}
