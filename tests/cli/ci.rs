//! `ci`: the generated workflows parse as YAML, have the keys GitHub Actions requires, and
//! reference only commands and flags that exist.

use std::path::{Path, PathBuf};

use yaml_rust2::{Yaml, YamlLoader};

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
        let args: Vec<&str> = rest.split_whitespace().take_while(|a| *a != "--").collect();
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
    assert_eq!(commands, ["tag --sync --push", "next --push"]);

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
    assert_actionlint_clean(&all);

    // A second run changes nothing.
    let before = snapshot_tree(&root);
    let out = env.run(&root, ["ci"]);
    assert!(out.status.success());
    assert!(
        outputs(&out)
            .1
            .contains("All 5 workflow files are up to date"),
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
    assert_eq!(assert_commands_exist(&env, &lines), ["release --push"]);
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
        stderr.contains("Dry run: 5 steps planned, nothing changed"),
        "{stderr}"
    );
    assert_eq!(snapshot_tree(&root), before);

    // An edited file: the dry run shows the difference; the real run restores it.
    env.run(&root, ["ci", "-p", "core-utils"]);
    let check = root.join(".github/workflows/check.yml");
    let text = std::fs::read_to_string(&check).unwrap();
    std::fs::write(&check, text.replace("release-tool check", "true")).unwrap();
    let out = env.run(&root, ["ci", "-p", "core-utils", "--dry-run", "--json"]);
    let steps: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let steps = steps.as_array().unwrap();
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
