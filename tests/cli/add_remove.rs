//! `add` and `remove` against real git: submodules, manifests, commits, and refusals that
//! change nothing.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{TestEnv, commit_file, git, outputs, snapshot_tree};

const EXTRA_PYPROJECT: &str = "[project]\nname = \"extra-pkg\"\nversion = \"0.3.0\"\n\
    requires-python = \">=3.10\"\ndependencies = []\n\n\
    [build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n\n\
    [tool.hatch.build.targets.wheel]\npackages = [\"src/extra_pkg\"]\n";

/// A standalone package repository pushed to a bare remote `<tmp>/extra/<repo>.git` on
/// `branch`; `pyproject` `None` leaves it out. Returns the `file://` URL of the remote.
fn package_repo(env: &TestEnv, repo: &str, pyproject: Option<&str>, branch: &str) -> String {
    let work = env.path().join("extra/work").join(repo);
    std::fs::create_dir_all(work.join("src/extra_pkg")).unwrap();
    git(&work, &["init", "-q", "-b", branch]);
    if let Some(text) = pyproject {
        std::fs::write(work.join("pyproject.toml"), text).unwrap();
    }
    std::fs::write(
        work.join("src/extra_pkg/__init__.py"),
        "\"\"\"Extra.\"\"\"\n",
    )
    .unwrap();
    std::fs::write(work.join("README.md"), "# extra\n").unwrap();
    git(&work, &["add", "--all"]);
    git(&work, &["commit", "-q", "-m", "feat: extra"]);
    let remote = env.path().join("extra").join(format!("{repo}.git"));
    std::fs::create_dir_all(&remote).unwrap();
    git(&remote, &["init", "-q", "--bare", "-b", branch]);
    git(
        &work,
        &["remote", "add", "origin", remote.to_str().unwrap()],
    );
    git(
        &work,
        &["push", "-q", "origin", &format!("{branch}:{branch}")],
    );
    format!("file://{}", remote.display())
}

fn extra_pkg(env: &TestEnv) -> String {
    package_repo(env, "extra-pkg", Some(EXTRA_PYPROJECT), "main")
}

fn status_json(env: &TestEnv, root: &Path) -> Value {
    let out = env.run(root, ["status", "--json"]);
    assert!(!out.stdout.is_empty(), "{}", outputs(&out).1);
    crate::support::json_doc(&out.stdout)
}

fn package_paths(report: &Value) -> Vec<(String, String)> {
    report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_owned(),
                r["path"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn last_subject(root: &Path) -> String {
    git(root, &["log", "-1", "--format=%s"]).trim().to_owned()
}

/// Run a command that must be refused: exit `code`, nothing on stdout, every `needle` in stderr,
/// and the whole temp directory unchanged.
fn refused(env: &TestEnv, root: &Path, args: &[&str], code: i32, needles: &[&str]) -> String {
    let before = snapshot_tree(&env.path());
    let out = env.run(root, args);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
    assert!(stdout.is_empty(), "{args:?}: {stdout}");
    assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
    assert!(stderr.contains("hint: "), "{args:?}: {stderr}");
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "{args:?}: `{needle}` not in {stderr}"
        );
    }
    assert_eq!(before, snapshot_tree(&env.path()), "{args:?} changed files");
    stderr
}

// ---- add ----------------------------------------------------------------------------------

#[test]
fn add_registers_a_package_repo_as_a_submodule() {
    let env = TestEnv::new();
    let root = env.demo();
    let url = extra_pkg(&env);
    let out = env.run(&root, ["add", &url]);
    let (_, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("Added package extra-pkg in packages/extra-pkg (branch main)"),
        "{stderr}"
    );

    let gitmodules = read(root.join(".gitmodules"));
    assert!(
        gitmodules.contains(&format!(
            "[submodule \"packages/extra-pkg\"]\n\tpath = packages/extra-pkg\n\turl = {url}\n\tbranch = main\n"
        )),
        "{gitmodules}"
    );
    let dev = read(root.join("pyproject.toml"));
    assert!(
        dev.contains(r#"dependencies = ["core-utils", "data-loader", "model-api", "extra-pkg"]"#),
        "{dev}"
    );
    assert!(dev.contains("extra-pkg = { workspace = true }"), "{dev}");
    // Inside packages_dir the existing `packages/*` member covers it.
    assert!(dev.contains("members = [\"packages/*\"]\n"), "{dev}");
    // The package's own pyproject is untouched.
    assert_eq!(
        read(root.join("packages/extra-pkg/pyproject.toml")),
        EXTRA_PYPROJECT
    );
    // One root commit with exactly those paths, and a clean root.
    assert_eq!(last_subject(&root), "feat: add package extra-pkg");
    assert_eq!(
        git(&root, &["show", "--name-only", "--format=", "HEAD"]),
        ".gitmodules\npackages/extra-pkg\npyproject.toml\n"
    );
    assert_eq!(git(&root, &["status", "--porcelain"]), "");
    let report = status_json(&env, &root);
    assert_eq!(
        package_paths(&report),
        [
            ("core-utils", "packages/core-utils"),
            ("data-loader", "packages/data-loader"),
            ("extra-pkg", "packages/extra-pkg"),
            ("model-api", "packages/model-api"),
        ]
        .map(|(n, p)| (n.to_owned(), p.to_owned()))
    );
    let row = &report["packages"][2];
    assert_eq!(row["branch"], "main");
    assert_eq!(row["version"], "0.3.0");
    assert_eq!(row["dirty"], 0);
}

#[test]
fn add_with_path_outside_packages_dir_adds_a_workspace_member() {
    let env = TestEnv::new();
    let root = env.demo();
    let url = extra_pkg(&env);
    // Work the user has staged in the root stays staged, out of the tool's commit.
    std::fs::write(root.join("NOTES.md"), "mine\n").unwrap();
    git(&root, &["add", "NOTES.md"]);
    let out = env.run(&root, ["add", &url, "--path", "libs/x"]);
    assert_eq!(out.status.code(), Some(0), "{}", outputs(&out).1);
    assert_eq!(
        git(&root, &["show", "--name-only", "--format=", "HEAD"]),
        ".gitmodules\nlibs/x\npyproject.toml\n"
    );
    assert_eq!(git(&root, &["status", "--porcelain"]), "A  NOTES.md\n");
    git(&root, &["rm", "-q", "--cached", "NOTES.md"]);
    std::fs::remove_file(root.join("NOTES.md")).unwrap();
    let dev = read(root.join("pyproject.toml"));
    assert!(
        dev.contains("members = [\"packages/*\", \"libs/x\"]\n"),
        "{dev}"
    );
    assert!(read(root.join(".gitmodules")).contains("\tpath = libs/x\n"));
    assert!(root.join("libs/x/src/extra_pkg/__init__.py").is_file());
    assert_eq!(git(&root, &["status", "--porcelain"]), "");
    let paths = package_paths(&status_json(&env, &root));
    assert!(
        paths.contains(&("extra-pkg".to_owned(), "libs/x".to_owned())),
        "{paths:?}"
    );
}

#[test]
fn add_tracks_the_remote_head_branch_unless_told() {
    let env = TestEnv::new();
    let root = env.demo();
    let url = package_repo(&env, "extra-pkg", Some(EXTRA_PYPROJECT), "trunk");
    refused(
        &env,
        &root,
        &["add", &url, "--branch", "nope"],
        2,
        &[&url, "no branch `nope`", "--branch: trunk"],
    );
    let out = env.run(&root, ["add", &url]);
    assert_eq!(out.status.code(), Some(0), "{}", outputs(&out).1);
    assert!(read(root.join(".gitmodules")).contains("\tbranch = trunk\n"));
    assert_eq!(
        git(
            &root.join("packages/extra-pkg"),
            &["branch", "--show-current"]
        )
        .trim(),
        "trunk"
    );
}

#[test]
fn add_dry_run_changes_nothing() {
    let env = TestEnv::new();
    let root = env.demo();
    let url = extra_pkg(&env);
    let before = snapshot_tree(&env.path());
    let out = env.run(&root, ["add", &url, "--path", "libs/x", "--dry-run"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.contains(&format!("submodule add --quiet -b main -- {url} libs/x")),
        "{stdout}"
    );
    assert!(
        stdout.contains("+members = [\"packages/*\", \"libs/x\"]"),
        "{stdout}"
    );
    assert!(stderr.contains("nothing changed"), "{stderr}");
    assert_eq!(before, snapshot_tree(&env.path()));

    let out = env.run(&root, ["add", &url, "--dry-run", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", outputs(&out).1);
    let doc = crate::support::json_doc(&out.stdout);
    let steps = &doc["steps"];
    let actions: Vec<&str> = steps
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["git", "edit", "git", "git"]);
    assert!(
        steps[3]["detail"]
            .as_str()
            .unwrap()
            .contains("commit --quiet -m 'feat: add package extra-pkg'")
    );
    assert_eq!(before, snapshot_tree(&env.path()));
}

#[test]
fn add_warns_about_workspace_sources_in_the_package_but_adds_it() {
    let env = TestEnv::new();
    let root = env.demo();
    let text =
        format!("{EXTRA_PYPROJECT}\n[tool.uv.sources]\ncore-utils = {{ workspace = true }}\n");
    let url = package_repo(&env, "extra-pkg", Some(&text), "main");
    let out = env.run(&root, ["add", &url]);
    let (_, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(
            "warning: extra-pkg's own pyproject.toml declares core-utils as `{ workspace = true }`"
        ),
        "{stderr}"
    );
    assert_eq!(read(root.join("packages/extra-pkg/pyproject.toml")), text);
}

#[test]
fn add_refuses_bad_input_and_changes_nothing() {
    let env = TestEnv::new();
    let root = env.demo();
    let no_pyproject = package_repo(&env, "no-pyproject", None, "main");
    let no_name = package_repo(
        &env,
        "no-name",
        Some("[project]\nversion = \"0.1.0\"\n"),
        "main",
    );
    let malformed = package_repo(&env, "malformed", Some("[project\nname = \"x\"\n"), "main");
    let good = extra_pkg(&env);
    let empty = env.path().join("extra/empty.git");
    std::fs::create_dir_all(&empty).unwrap();
    git(&empty, &["init", "-q", "--bare"]);
    let empty = format!("file://{}", empty.display());
    let core_utils = format!(
        "file://{}",
        env.path().join("demo/remotes/core-utils.git").display()
    );
    let missing = format!("file://{}", env.path().join("extra/missing.git").display());

    refused(
        &env,
        &root,
        &["add", &no_pyproject],
        2,
        &[&format!("Cannot add {no_pyproject}: no pyproject.toml")],
    );
    refused(
        &env,
        &root,
        &["add", &no_name],
        2,
        &[&format!(
            "Cannot add {no_name}: missing [project] name in pyproject.toml"
        )],
    );
    refused(
        &env,
        &root,
        &["add", &malformed],
        2,
        &[&format!(
            "Cannot add {malformed}: malformed TOML in pyproject.toml:1:"
        )],
    );
    refused(
        &env,
        &root,
        &["add", &core_utils, "--path", "libs/core"],
        2,
        &[&format!(
            "Cannot add {core_utils}: a package named `core-utils` already exists in packages/core-utils"
        )],
    );
    refused(
        &env,
        &root,
        &["add", &good, "--path", "packages/data-loader"],
        2,
        &["packages/data-loader already exists"],
    );
    refused(
        &env,
        &root,
        &["add", &good, "--path", "packages/data-loader/vendored"],
        2,
        &["would be inside the repository at packages/data-loader"],
    );
    for bad in ["../outside", "/abs/x", "-x"] {
        refused(
            &env,
            &root,
            &["add", &good, &format!("--path={bad}")],
            2,
            &[&format!("Invalid --path `{bad}`")],
        );
    }
    refused(
        &env,
        &root,
        &["add", &empty],
        2,
        &[&format!(
            "Cannot add {empty}: the repository has no branches"
        )],
    );
    refused(
        &env,
        &root,
        &["add", &missing],
        1,
        &[&format!("Cannot read the repository {missing}")],
    );
    refused(
        &env,
        &root,
        &["add", "--", "--upload-pack=x"],
        2,
        &["Invalid repository URL"],
    );
    assert!(!env.path().join("outside").exists());
}

// ---- remove -------------------------------------------------------------------------------

/// Pin every demo package in staging (git tags) and prod (`name==version` from an index, plus a
/// git source for model-api), and commit the manifests.
fn write_pins(env: &TestEnv, root: &Path) {
    let remote = |name: &str| {
        format!(
            "file://{}",
            env.path()
                .join(format!("demo/remotes/{name}.git"))
                .display()
        )
    };
    let staging = format!(
        "[project]\nname = \"demo-product\"\nversion = \"0.1.0\"\nrequires-python = \">=3.10\"\n\
         dependencies = [\n    \"core-utils\",\n    \"data-loader\",\n    \"model-api\",\n]\n\n\
         [tool.uv]\npackage = false\n\n[tool.uv.sources]\n\
         core-utils = {{ git = \"{}\", tag = \"v0.1.0\" }}\n\
         data-loader = {{ git = \"{}\", tag = \"v0.1.0\" }}\n\
         model-api = {{ git = \"{}\", tag = \"v0.1.0.dev1\" }}\n",
        remote("core-utils"),
        remote("data-loader"),
        remote("model-api"),
    );
    let prod = format!(
        "[project]\nname = \"demo-product\"\nversion = \"0.1.0\"\nrequires-python = \">=3.10\"\n\
         dependencies = [\"core-utils==0.1.0\", \"data-loader==0.1.0\", \"Model_API==0.1.0\"]\n\n\
         [tool.uv]\npackage = false\n\n[tool.uv.sources]\n\
         model-api = {{ git = \"{}\", tag = \"v0.1.0\" }}\n",
        remote("model-api"),
    );
    std::fs::write(root.join("staging/pyproject.toml"), staging).unwrap();
    std::fs::write(root.join("prod/pyproject.toml"), prod).unwrap();
    git(root, &["commit", "-q", "-am", "chore: pins"]);
}

#[test]
fn remove_unregisters_from_every_manifest_and_commits() {
    let env = TestEnv::new();
    let root = env.demo();
    write_pins(&env, &root);
    let out = env.run(&root, ["remove", "model-api"]);
    let (_, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("Removed package model-api (packages/model-api)"),
        "{stderr}"
    );

    let dev = read(root.join("pyproject.toml"));
    assert!(!dev.contains("model-api"), "{dev}");
    assert!(
        dev.contains(r#"dependencies = ["core-utils", "data-loader"]"#),
        "{dev}"
    );
    assert!(dev.contains("data-loader = { workspace = true }"), "{dev}");
    let staging = read(root.join("staging/pyproject.toml"));
    assert!(!staging.contains("model-api"), "{staging}");
    assert!(
        staging.contains("dependencies = [\n    \"core-utils\",\n    \"data-loader\",\n]"),
        "{staging}"
    );
    assert!(staging.contains("data-loader = { git = "), "{staging}");
    let prod = read(root.join("prod/pyproject.toml"));
    assert!(!prod.to_lowercase().contains("model"), "{prod}");
    assert!(
        prod.contains(r#"dependencies = ["core-utils==0.1.0", "data-loader==0.1.0"]"#),
        "{prod}"
    );
    let gitmodules = read(root.join(".gitmodules"));
    assert!(!gitmodules.contains("model-api"), "{gitmodules}");
    assert!(gitmodules.contains("packages/data-loader"), "{gitmodules}");
    assert!(!root.join("packages/model-api").exists());
    // git keeps the submodule's repository (documented): a re-add of the same URL reuses it.
    assert!(root.join(".git/modules/packages/model-api").is_dir());

    assert_eq!(last_subject(&root), "feat: remove package model-api");
    assert_eq!(
        git(&root, &["show", "--name-only", "--format=", "HEAD"]),
        ".gitmodules\npackages/model-api\nprod/pyproject.toml\npyproject.toml\nstaging/pyproject.toml\n"
    );
    assert_eq!(git(&root, &["status", "--porcelain"]), "");
    let paths = package_paths(&status_json(&env, &root));
    assert_eq!(
        paths.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        ["core-utils", "data-loader"]
    );
}

#[test]
fn remove_refuses_while_others_depend_on_it() {
    let env = TestEnv::new();
    let root = env.demo();
    refused(
        &env,
        &root,
        &["remove", "core-utils"],
        1,
        &[
            "error: Cannot remove core-utils: data-loader depends on it",
            "packages/data-loader/pyproject.toml",
        ],
    );
    refused(
        &env,
        &root,
        &["remove", "Data_Loader"],
        1,
        &["Cannot remove data-loader: model-api depends on it"],
    );
}

#[test]
fn remove_refuses_to_lose_work_without_force() {
    let env = TestEnv::new();
    let root = env.demo();
    let pkg = root.join("packages/model-api");
    std::fs::write(pkg.join("notes.txt"), "wip\n").unwrap();
    refused(
        &env,
        &root,
        &["remove", "model-api"],
        1,
        &[
            "Cannot remove model-api: packages/model-api has 1 uncommitted change (notes.txt)",
            "--force",
        ],
    );
    std::fs::remove_file(pkg.join("notes.txt")).unwrap();
    commit_file(&pkg, "a.txt", "a\n", "feat: local only");
    refused(
        &env,
        &root,
        &["remove", "model-api"],
        1,
        &["packages/model-api has 1 commit not pushed to any remote"],
    );
    let out = env.run(&root, ["remove", "model-api", "--force"]);
    let (_, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("warning: Discarding work of model-api"),
        "{stderr}"
    );
    assert!(!pkg.exists());
    assert_eq!(git(&root, &["status", "--porcelain"]), "");
}

#[test]
fn remove_unknown_name_suggests_the_nearest() {
    let env = TestEnv::new();
    let root = env.demo();
    refused(
        &env,
        &root,
        &["remove", "model-apl"],
        2,
        &["No package named `model-apl`", "did you mean `model-api`?"],
    );
}

#[test]
fn remove_dry_run_changes_nothing() {
    let env = TestEnv::new();
    let root = env.demo();
    let before = snapshot_tree(&env.path());
    let out = env.run(&root, ["remove", "model-api", "--dry-run"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.contains("submodule deinit --quiet --force -- packages/model-api"),
        "{stdout}"
    );
    assert!(
        stdout.contains("rm --quiet -r -f -- packages/model-api"),
        "{stdout}"
    );
    assert_eq!(before, snapshot_tree(&env.path()));
    let out = env.run(&root, ["remove", "model-api", "--dry-run", "--json"]);
    let steps = crate::support::json_doc(&out.stdout)["steps"].clone();
    assert_eq!(steps.as_array().unwrap().len(), 5, "{steps}");
    assert_eq!(before, snapshot_tree(&env.path()));
}

#[test]
fn remove_of_a_plain_directory_needs_force() {
    let env = TestEnv::new();
    let root = env.demo();
    // `new` without --remote: a package with its own repository, but not a submodule.
    let out = env.run(&root, ["new", "scratch-pkg"]);
    assert_eq!(out.status.code(), Some(0), "{}", outputs(&out).1);
    refused(
        &env,
        &root,
        &["remove", "scratch-pkg"],
        1,
        &["Cannot remove scratch-pkg: packages/scratch-pkg is not a submodule"],
    );
    let out = env.run(&root, ["remove", "scratch-pkg", "--force"]);
    assert_eq!(out.status.code(), Some(0), "{}", outputs(&out).1);
    assert!(!root.join("packages/scratch-pkg").exists());
    assert!(!read(root.join("pyproject.toml")).contains("scratch-pkg"));
    assert_eq!(last_subject(&root), "feat: remove package scratch-pkg");
    assert_eq!(git(&root, &["status", "--porcelain"]), "");
}

#[test]
fn remove_then_add_again_reuses_the_kept_git_dir_and_catches_up() {
    let env = TestEnv::new();
    let root = env.demo();
    let url = format!(
        "file://{}",
        env.path().join("demo/remotes/model-api.git").display()
    );
    let out = env.run(&root, ["remove", "model-api"]);
    assert_eq!(out.status.code(), Some(0), "{}", outputs(&out).1);
    // The remote moves on while the package is out of the workspace.
    let other = env.path().join("other-clone");
    git(&env.path(), &["clone", "-q", &url, other.to_str().unwrap()]);
    commit_file(&other, "later.txt", "later\n", "feat: later");
    git(&other, &["push", "-q", "origin", "main"]);
    let head = git(&other, &["rev-parse", "HEAD"]);

    let out = env.run(&root, ["add", &url]);
    let (_, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("reused the git directory"), "{stderr}");
    let pkg = root.join("packages/model-api");
    assert_eq!(git(&pkg, &["rev-parse", "HEAD"]), head);
    assert_eq!(git(&pkg, &["branch", "--show-current"]).trim(), "main");
    assert_eq!(git(&root, &["status", "--porcelain"]), "");
    assert_eq!(
        status_json(&env, &root)["packages"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    // A different repository at the same path is refused: git would reuse the wrong one.
    let out = env.run(&root, ["remove", "model-api"]);
    assert_eq!(out.status.code(), Some(0), "{}", outputs(&out).1);
    let url = extra_pkg(&env);
    refused(
        &env,
        &root,
        &["add", &url, "--path", "packages/model-api"],
        2,
        &["holds the git directory of another repository"],
    );
}
