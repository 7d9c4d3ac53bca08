//! `ci`: the generated workflows parse as YAML, have the keys GitHub Actions requires, and
//! reference only commands and flags that exist.

use std::path::{Path, PathBuf};

use yaml_rust2::{Yaml, YamlLoader};

use crate::support::pypiserver::PyPiServer;
use crate::support::{TestEnv, outputs, snapshot_tree};

fn load(path: &Path) -> Yaml {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut docs = YamlLoader::load_from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not YAML: {e}\n{text}", path.display()));
    assert_eq!(docs.len(), 1, "{}", path.display());
    docs.remove(0)
}

fn s(y: &Yaml) -> &str {
    y.as_str().unwrap_or_else(|| panic!("not a string: {y:?}"))
}

/// The structure GitHub Actions requires of a workflow; returns every step of every job.
fn check_workflow(path: &Path) -> Vec<Yaml> {
    let doc = load(path);
    let at = path.display();
    assert!(doc["name"].as_str().is_some(), "{at}: name");
    assert!(!doc["on"].is_badvalue(), "{at}: on");
    let jobs = doc["jobs"]
        .as_hash()
        .unwrap_or_else(|| panic!("{at}: jobs"));
    assert!(!jobs.is_empty(), "{at}: no jobs");
    let mut steps = Vec::new();
    for (name, job) in jobs {
        let name = s(name);
        assert_eq!(s(&job["runs-on"]), "ubuntu-latest", "{at}: {name}.runs-on");
        let job_steps = job["steps"]
            .as_vec()
            .unwrap_or_else(|| panic!("{at}: {name}.steps"));
        assert!(!job_steps.is_empty());
        for step in job_steps {
            let uses = step["uses"].as_str();
            let run = step["run"].as_str();
            assert!(
                uses.is_some() != run.is_some(),
                "{at}: {name}: a step has `uses` or `run`: {step:?}"
            );
            if let Some(uses) = uses {
                let (action, version) = uses.split_once('@').expect("a pinned action");
                assert!(action.contains('/') && version.starts_with('v'), "{uses}");
            }
            steps.push(step.clone());
        }
    }
    steps
}

fn runs(steps: &[Yaml]) -> Vec<String> {
    steps
        .iter()
        .filter_map(|s| s["run"].as_str())
        .flat_map(|r| r.lines().map(|l| l.trim().to_owned()).collect::<Vec<_>>())
        .collect()
}

fn uses<'a>(steps: &'a [Yaml], action: &str) -> &'a Yaml {
    steps
        .iter()
        .find(|s| s["uses"].as_str().is_some_and(|u| u.starts_with(action)))
        .unwrap_or_else(|| panic!("no {action} step"))
}

/// Every `release-tool …` command line in the scripts is accepted by the binary: its
/// arguments up to `--`, plus `--help`, parse (clap rejects unknown commands and flags first).
fn assert_commands_exist(env: &TestEnv, lines: &[String]) -> Vec<String> {
    let help = outputs(&env.run(&env.path(), ["--help"])).0;
    let mut seen = Vec::new();
    for line in lines {
        let Some(rest) = line.strip_prefix("release-tool ") else {
            assert!(!line.contains("release-tool "), "unexpected use: {line}");
            continue;
        };
        // Up to `--` or a redirection; the bump input's variable stands for one of its values.
        let args: Vec<&str> = rest
            .split_whitespace()
            .take_while(|a| *a != "--" && !a.starts_with('>'))
            .map(|a| if a == "\"$BUMP\"" { "auto" } else { a })
            .collect();
        let command = args[0];
        assert!(
            help.lines()
                .any(|l| l.trim_start().starts_with(&format!("{command} "))),
            "`{command}` is not a command of release-tool --help"
        );
        let mut argv = args.clone();
        argv.push("--help");
        let out = env.run(&env.path(), &argv);
        assert!(
            out.status.success(),
            "`release-tool {}` does not parse: {}",
            args.join(" "),
            outputs(&out).1
        );
        seen.push(args.join(" "));
    }
    seen
}

/// actionlint (syntax, expressions, action inputs, deprecated runtimes) accepts the workflows.
/// Shell and Python checks are off: their results would depend on what the machine has.
fn assert_actionlint_clean(files: &[PathBuf]) {
    let out = std::process::Command::new(crate::support::actionlint())
        .args(["-no-color", "-shellcheck=", "-pyflakes="])
        .args(files)
        .output()
        .expect("run actionlint");
    let (stdout, stderr) = outputs(&out);
    assert!(
        out.status.success(),
        "actionlint rejects the workflows:\n{stdout}{stderr}"
    );
}

fn workflows(root: &Path) -> (PathBuf, PathBuf, Vec<PathBuf>) {
    let dir = root.join(".github/workflows");
    let pkgs = ["core-utils", "data-loader", "model-api"]
        .iter()
        .map(|p| {
            root.join("packages")
                .join(p)
                .join(".github/workflows/ci.yml")
        })
        .collect();
    (dir.join("release.yml"), dir.join("check.yml"), pkgs)
}

#[test]
fn ci_writes_valid_workflows_that_use_real_commands() {
    let env = TestEnv::new();
    let root = env.demo();
    let out = env.run(&root, ["ci"]);
    let (stdout, stderr) = outputs(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("wrote .github/workflows/release.yml"),
        "{stderr}"
    );
    assert!(
        stderr.contains("wrote packages/model-api/.github/workflows/ci.yml"),
        "{stderr}"
    );
    let (release, check, packages) = workflows(&root);

    // release.yml: on push to base_branch; checkout with submodules and tags; token from
    // secrets; tag + next.
    let doc = load(&release);
    assert_eq!(s(&doc["on"]["push"]["branches"][0]), "main");
    assert_eq!(
        s(&doc["jobs"]["release"]["env"]["GITHUB_TOKEN"]),
        "${{ secrets.RELEASE_TOKEN }}"
    );
    assert_eq!(s(&doc["permissions"]["contents"]), "write");
    let steps = check_workflow(&release);
    let checkout = uses(&steps, "actions/checkout");
    assert_eq!(s(&checkout["with"]["submodules"]), "recursive");
    assert_eq!(checkout["with"]["fetch-depth"].as_i64(), Some(0));
    assert_eq!(checkout["with"]["fetch-tags"].as_bool(), Some(true));
    uses(&steps, "astral-sh/setup-uv");
    let lines = runs(&steps);
    assert!(
        lines.iter().any(|l| l
            == &format!(
                "uv tool install release-tool-cli=={}",
                env!("CARGO_PKG_VERSION")
            )),
        "{lines:?}"
    );
    let commands = assert_commands_exist(&env, &lines);
    assert_eq!(
        commands,
        [
            "release --push --bump auto",
            "tag --sync --push",
            "next --push"
        ]
    );
    // By hand (`workflow_dispatch`): `release --push` with the bump input; on a push: stages 5
    // and 6. One release at a time.
    let bump = &doc["on"]["workflow_dispatch"]["inputs"]["bump"];
    assert_eq!(s(&bump["type"]), "choice");
    assert_eq!(s(&bump["default"]), "auto");
    let options: Vec<&str> = bump["options"].as_vec().unwrap().iter().map(s).collect();
    assert_eq!(options, ["auto", "patch", "minor", "major"]);
    assert_eq!(s(&doc["concurrency"]["group"]), "release");
    let by_hand: Vec<&str> = steps
        .iter()
        .filter(|st| st["if"].as_str() == Some("github.event_name == 'workflow_dispatch'"))
        .filter_map(|st| st["run"].as_str())
        .collect();
    assert_eq!(by_hand.len(), 2, "{by_hand:?}");
    assert_eq!(by_hand[1], "release-tool release --push --bump \"$BUMP\"");
    // uv's cache as uv's GitHub Actions guide sets it up: setup-uv's `enable-cache`.
    let setup = uses(&steps, "astral-sh/setup-uv");
    assert_eq!(setup["with"]["enable-cache"].as_bool(), Some(true));
    // No image configured: no image steps.
    assert!(steps.iter().all(|st| {
        !st["uses"]
            .as_str()
            .is_some_and(|u| u.starts_with("docker/"))
    }));

    // check.yml: check, manifests --check, uv lock --check per mode, tests through foreach.
    let doc = load(&check);
    assert!(!doc["on"]["pull_request"].is_badvalue());
    let steps = check_workflow(&check);
    let lines = runs(&steps);
    let commands = assert_commands_exist(&env, &lines);
    assert_eq!(
        commands,
        ["check", "manifests --check", "foreach"],
        "{lines:?}"
    );
    for lock in [
        "uv lock --check;",
        "uv lock --check --directory staging;",
        "uv lock --check --directory prod;",
    ] {
        assert!(lines.iter().any(|l| l.contains(lock)), "{lock}: {lines:?}");
    }
    assert!(lines.iter().any(|l| l.contains("pytest")), "{lines:?}");

    // Each package's ci.yml: a matrix over its Pythons, tests and `uv build`.
    for path in &packages {
        let doc = load(path);
        let matrix: Vec<&str> = doc["jobs"]["test"]["strategy"]["matrix"]["python-version"]
            .as_vec()
            .unwrap()
            .iter()
            .map(s)
            .collect();
        assert_eq!(
            matrix,
            ["3.10", "3.11", "3.12", "3.13", "3.14"],
            "{}",
            path.display()
        );
        let steps = check_workflow(path);
        let setup = uses(&steps, "astral-sh/setup-uv");
        assert_eq!(
            s(&setup["with"]["python-version"]),
            "${{ matrix.python-version }}"
        );
        let lines = runs(&steps);
        assert!(
            lines.iter().any(|l| l == "uv build --no-sources"),
            "{lines:?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("uv pip install -e . pytest")),
            "{lines:?}"
        );
        assert!(assert_commands_exist(&env, &lines).is_empty());
    }
    // model-api gets its workspace dependencies, transitively, from their repositories.
    let lines = runs(&check_workflow(&packages[2]));
    let install = lines
        .iter()
        .find(|l| l.starts_with("uv pip install"))
        .unwrap();
    assert!(
        install.contains("'core-utils @ git+file://")
            && install.contains("'data-loader @ git+file://"),
        "{install}"
    );

    let mut all = vec![release.clone(), check.clone()];
    all.extend(packages.iter().cloned());
    all.extend(packages.iter().map(|p| p.with_file_name("publish.yml")));
    assert_actionlint_clean(&all);

    // A second run changes nothing.
    let before = snapshot_tree(&root);
    let out = env.run(&root, ["ci"]);
    assert!(out.status.success());
    assert!(
        outputs(&out)
            .1
            .contains("All 8 workflow files are up to date"),
        "{}",
        outputs(&out).1
    );
    assert_eq!(snapshot_tree(&root), before);
}

#[test]
fn ci_trunk_releases_in_one_go() {
    let env = TestEnv::new();
    let root = env.demo();
    let out = env.run(
        &root,
        [
            "ci",
            "--trunk",
            "--no-packages",
            "--token-secret",
            "BOT_PAT",
        ],
    );
    assert!(out.status.success(), "{}", outputs(&out).1);
    let (release, _, packages) = workflows(&root);
    assert!(packages.iter().all(|p| !p.exists()));
    let doc = load(&release);
    assert_eq!(
        s(&doc["jobs"]["release"]["env"]["GITHUB_TOKEN"]),
        "${{ secrets.BOT_PAT }}"
    );
    let lines = runs(&check_workflow(&release));
    assert_eq!(
        assert_commands_exist(&env, &lines),
        ["release --push --bump auto"]
    );
    assert_actionlint_clean(&[release]);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("git checkout --quiet -B main refs/remotes/origin/main")),
        "{lines:?}"
    );
}

#[test]
fn ci_dry_run_shows_diffs_and_changes_nothing() {
    let env = TestEnv::new();
    let root = env.demo();
    let before = snapshot_tree(&root);
    let out = env.run(&root, ["ci", "--dry-run"]);
    let (stdout, stderr) = outputs(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("root: create .github/workflows/release.yml"),
        "{stdout}"
    );
    assert!(stdout.contains("+name: release"), "{stdout}");
    assert!(
        stdout.contains("core-utils: create packages/core-utils/.github/workflows/ci.yml"),
        "{stdout}"
    );
    assert!(
        stderr.contains("Dry run: 8 steps planned, nothing changed"),
        "{stderr}"
    );
    assert_eq!(snapshot_tree(&root), before);

    // An edited file: the dry run shows the difference; the real run restores it.
    env.run(&root, ["ci", "-p", "core-utils"]);
    let check = root.join(".github/workflows/check.yml");
    let text = std::fs::read_to_string(&check).unwrap();
    std::fs::write(&check, text.replace("release-tool check", "true")).unwrap();
    let out = env.run(&root, ["ci", "-p", "core-utils", "--dry-run", "--json"]);
    let doc = crate::support::json_doc(&out.stdout);
    let steps = doc["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 1, "{steps:?}");
    assert_eq!(steps[0]["action"], "edit");
    env.run(&root, ["ci", "-p", "core-utils"]);
    assert_eq!(std::fs::read_to_string(&check).unwrap(), text);
}

#[test]
fn ci_matrix_follows_requires_python() {
    let env = TestEnv::new();
    let root = env.demo();
    let pyproject = root.join("packages/core-utils/pyproject.toml");
    let text = std::fs::read_to_string(&pyproject).unwrap();
    assert!(text.contains("requires-python = \">=3.10\""), "{text}");
    std::fs::write(
        &pyproject,
        text.replace(
            "requires-python = \">=3.10\"",
            "requires-python = \">=3.11,<3.13\"",
        ),
    )
    .unwrap();
    let out = env.run(&root, ["ci", "-p", "core-utils"]);
    assert!(out.status.success(), "{}", outputs(&out).1);
    let doc = load(&root.join("packages/core-utils/.github/workflows/ci.yml"));
    let matrix: Vec<&str> = doc["jobs"]["test"]["strategy"]["matrix"]["python-version"]
        .as_vec()
        .unwrap()
        .iter()
        .map(s)
        .collect();
    assert_eq!(matrix, ["3.11", "3.12"]);

    std::fs::write(
        &pyproject,
        text.replace("requires-python = \">=3.10\"", "requires-python = \">=4\""),
    )
    .unwrap();
    let before = snapshot_tree(&root);
    let out = env.run(&root, ["ci"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = outputs(&out).1;
    assert!(
        stderr.starts_with("error: Package core-utils (packages/core-utils): requires-python \">=4\" allows none of Python 3.9"),
        "{stderr}"
    );
    assert!(stderr.contains("\nhint: "), "{stderr}");
    assert_eq!(snapshot_tree(&root), before);

    let out = env.run(&root, ["ci", "--token-secret", "my-secret"]);
    assert_eq!(out.status.code(), Some(2));
}

/// `sh -c LINE` in `dir` with `envs`, the pinned uv and this release-tool first on `PATH`;
/// panics with the output when it fails.
fn sh(dir: &Path, line: &str, envs: &[(&str, String)]) -> String {
    let uv = crate::support::uv();
    let bin = Path::new(env!("CARGO_BIN_EXE_release-tool"));
    let mut paths = vec![
        uv.parent().unwrap().to_path_buf(),
        bin.parent().unwrap().to_path_buf(),
    ];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let mut cmd = std::process::Command::new("sh");
    cmd.args(["-c", line])
        .current_dir(dir)
        .env("PATH", std::env::join_paths(paths).unwrap());
    for (k, v) in crate::support::uv_env() {
        cmd.env(k, v);
    }
    for k in [
        "UV_PUBLISH_URL",
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
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run sh");
    let (stdout, stderr) = outputs(&out);
    assert!(out.status.success(), "`{line}` failed:\n{stdout}\n{stderr}");
    stdout
}

#[test]
fn ci_publish_workflow_uploads_with_trusted_publishing_and_its_upload_line_runs() {
    let env = TestEnv::new();
    let root = env.demo();
    let out = env.run(&root, ["ci", "-p", "core-utils"]);
    assert!(out.status.success(), "{}", outputs(&out).1);
    let pkg = root.join("packages/core-utils");
    let path = pkg.join(".github/workflows/publish.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    env.insta_settings()
        .bind(|| insta::assert_snapshot!("publish_workflow", text));
    let doc = load(&path);
    // On a release tag of this package (tag_prefix `v`).
    assert_eq!(s(&doc["on"]["push"]["tags"][0]), "v[0-9]*");
    // The workflow reads only; the upload job alone gets an OIDC token, in the `pypi`
    // environment PyPI's trusted publisher names.
    assert_eq!(s(&doc["permissions"]["contents"]), "read");
    let job = &doc["jobs"]["publish"];
    assert_eq!(s(&job["permissions"]["id-token"]), "write");
    assert_eq!(s(&job["environment"]["name"]), "pypi");
    assert_eq!(s(&job["needs"]), "build");
    let steps = check_workflow(&path);
    let lines = runs(&steps);
    assert_eq!(
        lines,
        [
            "uv build --no-sources",
            "uv publish --trusted-publishing always"
        ]
    );
    assert_actionlint_clean(std::slice::from_ref(&path));

    // The build and upload lines, run as the workflow runs them in the package's checkout,
    // against a local index with a token: trusted publishing needs GitHub's OIDC issuer and
    // PyPI, which a test cannot reach, so `always` becomes `never` and the token stands in.
    let server = PyPiServer::start(&env.path().join("index"));
    // The package's repository as the runner checks it out: on its own, not in the workspace.
    let checkout = env.path().join("checkout");
    crate::support::git(
        &env.path(),
        &["clone", "--quiet", pkg.to_str().unwrap(), "checkout"],
    );
    let pkg = checkout;
    sh(&pkg, &lines[0], &[]);
    let upload = lines[1].replace("--trusted-publishing always", "--trusted-publishing never");
    assert_ne!(upload, lines[1]);
    sh(
        &pkg,
        &upload,
        &[
            ("UV_PUBLISH_URL", server.url()),
            ("UV_PUBLISH_TOKEN", "pypi-fake-token".to_owned()),
        ],
    );
    let files = server.files();
    assert_eq!(files.len(), 2, "{files:?}\n{}", server.log());
    assert!(
        files[0].starts_with("core_utils-")
            && files[0].contains("-py3-none-any.")
            && files[1].starts_with("core_utils-")
            && files[1].contains(".tar."),
        "{files:?}"
    );
}

#[test]
fn ci_release_builds_and_pushes_the_image_on_the_runner() {
    let env = TestEnv::new();
    let root = env.demo_released();
    // `release-tool docker` renders the Dockerfile from the prod lock.
    let out = env.run_uv(&root, ["lock", "prod"]);
    assert!(out.status.success(), "{}", outputs(&out).1);
    let config = root.join("release_tool.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    assert!(!text.contains("\n[tool.release_tool.docker]"), "{text}");
    text.push_str(
        "\n[tool.release_tool.docker]\nimage = \"ghcr.io/acme/model-api\"\n\
         platforms = [\"linux/amd64\", \"linux/arm64\"]\nsecret_env = [\"PIP_TOKEN\"]\n\
         ca_bundle = \"certs/ca.pem\"\nmounts = [\"packages\"]\nbuild_args = { EXTRA = \"1\" }\n\
         on_release = true\n",
    );
    std::fs::write(&config, text).unwrap();
    let out = env.run(&root, ["ci", "--trunk", "--no-packages"]);
    assert!(out.status.success(), "{}", outputs(&out).1);
    let (release, _, _) = workflows(&root);
    let text = std::fs::read_to_string(&release).unwrap();
    env.insta_settings()
        .bind(|| insta::assert_snapshot!("release_workflow_with_image", text));
    let doc = load(&release);
    assert_eq!(s(&doc["permissions"]["packages"]), "write");
    let steps = check_workflow(&release);
    uses(&steps, "docker/setup-qemu-action");
    uses(&steps, "docker/setup-buildx-action");
    let login = uses(&steps, "docker/login-action");
    assert_eq!(s(&login["with"]["registry"]), "ghcr.io");
    let build = &uses(&steps, "docker/build-push-action")["with"];
    assert_eq!(s(&build["file"]), "docker/Dockerfile");
    assert_eq!(build["push"].as_bool(), Some(true));
    assert_eq!(s(&build["platforms"]), "linux/amd64,linux/arm64");
    assert_eq!(
        s(&build["cache-from"]),
        "type=registry,ref=ghcr.io/acme/model-api:buildcache"
    );
    assert_eq!(
        s(&build["cache-to"]),
        "type=registry,ref=ghcr.io/acme/model-api:buildcache,mode=max"
    );
    // The build contexts and secrets the generated Dockerfile names.
    let dockerfile = {
        let out = env.run(&root, ["docker"]);
        assert!(out.status.success(), "{}", outputs(&out).1);
        std::fs::read_to_string(root.join("docker/Dockerfile")).unwrap()
    };
    let contexts = s(&build["build-contexts"]);
    assert_eq!(contexts.trim(), "mount-0=packages");
    assert!(dockerfile.contains("from=mount-0,"), "{dockerfile}");
    assert_eq!(s(&build["secret-files"]).trim(), "ca_bundle=certs/ca.pem");
    assert!(dockerfile.contains("id=ca_bundle"));
    assert_eq!(
        s(&build["secrets"]).trim(),
        "PIP_TOKEN=${{ secrets.PIP_TOKEN }}"
    );
    assert!(dockerfile.contains("id=PIP_TOKEN"));
    let args: Vec<&str> = s(&build["build-args"]).lines().collect();
    assert_eq!(args[0], "EXTRA=1");
    assert!(args.contains(&"VERSION=${{ steps.image.outputs.version }}"));
    let lines = runs(&steps);
    assert_eq!(
        assert_commands_exist(&env, &lines),
        ["release --push --no-image --bump auto", "docker --json"]
    );
    // The image is built once, by the workflow's own steps: the release runs with --no-image,
    // whatever `on_release` says (release_image.rs proves that --no-image wins over it).
    assert!(
        lines
            .iter()
            .any(|l| l == "release-tool release --push --no-image --bump \"$BUMP\""),
        "{lines:?}"
    );
    assert_actionlint_clean(std::slice::from_ref(&release));

    // The step that finds the tags, run as the runner runs it: the tags and the version are the
    // product's (0.2.0 after the demo's release).
    let step = steps
        .iter()
        .find(|st| st["id"].as_str() == Some("image"))
        .unwrap();
    let output = env.path().join("github-output");
    sh(
        &root,
        s(&step["run"]),
        &[
            ("RUNNER_TEMP", env.path().display().to_string()),
            ("GITHUB_OUTPUT", output.display().to_string()),
        ],
    );
    let output = std::fs::read_to_string(&output).unwrap();
    let head = crate::support::git(&root, &["rev-parse", "HEAD"]);
    let created = crate::support::git(
        &root,
        &[
            "log",
            "-1",
            "--format=%cd",
            "--date=format-local:%Y-%m-%dT%H:%M:%SZ",
        ],
    );
    assert_eq!(
        output,
        format!(
            "tags<<EOF\nghcr.io/acme/model-api:0.2.0\nghcr.io/acme/model-api:latest\nEOF\n\
             version=0.2.0\nrevision={}\ncreated={}\n",
            head.trim(),
            created.trim()
        )
    );
}
