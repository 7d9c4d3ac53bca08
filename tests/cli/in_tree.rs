//! In-tree packages (issue #21): workspace members that are plain directories of the root
//! repository, alone (a plain uv workspace made with `uv init`) and mixed with submodule
//! packages. Their tags (`tag_template`, `{name}-v{version}`) and commits live in the root.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::trunk::{Layout, World};
use crate::support::{TestEnv, commit_file, git, hermetic, ok, outputs, uv, uv_env};

/// `uv ARGS` in `dir`, hermetic, with the tests' uv settings.
fn run_uv(dir: &Path, args: &[&str]) {
    let mut cmd = Command::new(uv());
    hermetic(&mut cmd);
    for (k, v) in uv_env() {
        cmd.env(k, v);
    }
    let out = cmd.current_dir(dir).args(args).output().expect("run uv");
    let (stdout, stderr) = outputs(&out);
    assert!(
        out.status.success(),
        "uv {args:?} failed:\n{stdout}\n{stderr}"
    );
}

/// The layout most uv users have: `uv init product`, `uv init --package packages/alpha` and
/// `packages/beta`, all committed in the one repository `uv init` made.
fn plain_uv_workspace(env: &TestEnv) -> PathBuf {
    let base = env.path();
    run_uv(
        &base,
        &["init", "--vcs", "git", "--no-workspace", "product"],
    );
    let root = base.join("product");
    for name in ["alpha", "beta"] {
        run_uv(
            &root,
            &[
                "init",
                "--vcs",
                "none",
                "--package",
                &format!("packages/{name}"),
            ],
        );
    }
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-q", "-m", "chore: a uv workspace"]);
    let remote = base.join("remotes/root.git");
    crate::support::trunk::bare(&remote);
    git(
        &root,
        &[
            "remote",
            "add",
            "origin",
            &crate::support::trunk::url(&remote),
        ],
    );
    git(&root, &["push", "-q", "-u", "origin", "main"]);
    root
}

fn status_json(env: &TestEnv, root: &Path) -> Value {
    let out = env.run(root, ["status", "--json"]);
    let (stdout, stderr) = outputs(&out);
    assert!(!stdout.is_empty(), "{stderr}");
    crate::support::json_doc(&stdout)
}

fn row<'a>(report: &'a Value, name: &str) -> &'a Value {
    named(&report["packages"], name)
}

/// The row of package `name` among `rows` (a `packages` array).
fn named<'a>(rows: &'a Value, name: &str) -> &'a Value {
    rows.as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no row {name}: {rows}"))
}

#[test]
fn a_plain_uv_workspace_has_in_tree_packages() {
    let env = TestEnv::new();
    let root = plain_uv_workspace(&env);
    let report = status_json(&env, &root);
    for name in ["alpha", "beta"] {
        let r = row(&report, name);
        assert_eq!(r["status"], "ok", "{r}");
        assert_eq!(r["problems"], serde_json::json!([]), "{r}");
        assert_eq!(r["path"], format!("packages/{name}"));
        assert_eq!(r["dirty"], 0);
        // The one root commit that made the workspace touched both directories.
        assert_eq!(r["commits_since_tag"], 1, "{r}");
    }
    // Tags of in-tree packages are `<name>-v<version>` in the root.
    git(&root, &["tag", "-a", "alpha-v0.1.0", "-m", "alpha 0.1.0"]);
    // A shared file at the root counts for no package; a commit in beta counts for beta only.
    commit_file(&root, "LICENSE", "MIT\n", "docs: a licence");
    commit_file(&root, "packages/beta/src/beta/x.py", "X = 1\n", "feat: x");
    std::fs::write(root.join("packages/alpha/new.txt"), "new\n").unwrap();
    let report = status_json(&env, &root);
    let alpha = row(&report, "alpha");
    assert_eq!(alpha["last_tag"], "alpha-v0.1.0", "{alpha}");
    assert_eq!(alpha["commits_since_tag"], 0, "{alpha}");
    assert_eq!(alpha["dirty"], 1, "{alpha}");
    assert_eq!(alpha["branch"], "main");
    let beta = row(&report, "beta");
    assert_eq!(beta["last_tag"], Value::Null);
    assert_eq!(beta["commits_since_tag"], 2, "{beta}");
    assert_eq!(beta["dirty"], 0, "{beta}");
}

/// `status --json`'s rows with the caches on (`cached`) or off.
fn rows(env: &TestEnv, root: &Path, cached: bool) -> Value {
    let mut cmd = env.cmd(root);
    cmd.args(["status", "--json"]);
    if !cached {
        cmd.env("RELEASE_TOOL_NO_CACHE", "1");
    }
    let out = cmd.output().expect("run release-tool");
    let (stdout, stderr) = outputs(&out);
    assert!(!stdout.is_empty(), "{stderr}");
    crate::support::json_doc(&stdout)["packages"].clone()
}

#[test]
fn in_tree_status_from_its_caches_equals_a_fresh_read() {
    let env = TestEnv::new();
    let root = plain_uv_workspace(&env);
    // An annotated tag, a lightweight one, a merge whose side branch touches alpha, packed refs.
    git(&root, &["tag", "-a", "alpha-v0.1.0", "-m", "alpha 0.1.0"]);
    git(&root, &["tag", "beta-v0.1.0"]);
    git(&root, &["switch", "-q", "-c", "side"]);
    commit_file(&root, "packages/alpha/side.txt", "s\n", "feat: side");
    git(&root, &["switch", "-q", "main"]);
    commit_file(&root, "packages/beta/main.txt", "m\n", "feat: main");
    git(
        &root,
        &["merge", "-q", "--no-ff", "-m", "merge side", "side"],
    );
    let check = |what: &str| {
        let fresh = rows(&env, &root, false);
        let filled = rows(&env, &root, true);
        let from_cache = rows(&env, &root, true);
        assert_eq!(fresh, filled, "{what}: filling the caches");
        assert_eq!(fresh, from_cache, "{what}: read from the caches");
        fresh
    };
    let rows_now = check("a merged history");
    assert!(root.join(".release_tool/cache/in_tree.json").is_file());
    assert!(root.join(".release_tool/cache/peeled.json").is_file());
    let alpha = named(&rows_now, "alpha");
    assert_eq!(alpha["commits_since_tag"], 1, "{alpha}");
    // A new commit on HEAD (counted on top of the cached counts), a merge of a branch from an
    // older commit, a new tag and packed refs: every count follows.
    commit_file(&root, "packages/alpha/more.txt", "m\n", "feat: more");
    check("a new commit");
    git(&root, &["switch", "-q", "-c", "old-side", "HEAD~3"]);
    commit_file(
        &root,
        "packages/beta/old-side.txt",
        "o\n",
        "feat: from an old commit",
    );
    git(&root, &["switch", "-q", "main"]);
    git(
        &root,
        &["merge", "-q", "--no-ff", "-m", "merge old-side", "old-side"],
    );
    check("a merge on top");
    git(&root, &["reset", "-q", "--hard", "HEAD~1"]);
    check("HEAD moved back");
    git(&root, &["tag", "-a", "beta-v0.2.0", "-m", "beta 0.2.0"]);
    git(&root, &["pack-refs", "--all"]);
    let rows_now = check("a new tag, packed");
    let beta = named(&rows_now, "beta");
    assert_eq!(beta["last_tag"], "beta-v0.2.0", "{beta}");
    assert_eq!(beta["commits_since_tag"], 0, "{beta}");
    // A tag moved to another commit under the same name (`tag -f`): its count follows too.
    // HEAD~3 is the first commit; beta's `feat: main` came after it.
    git(
        &root,
        &["tag", "-f", "-a", "beta-v0.2.0", "-m", "again", "HEAD~3"],
    );
    let rows_now = check("a moved tag");
    let beta = named(&rows_now, "beta");
    assert_eq!(beta["commits_since_tag"], 1, "{beta}");
}

#[test]
fn tag_template_names_in_tree_tags() {
    let env = TestEnv::new();
    let root = plain_uv_workspace(&env);
    crate::support::write_config(
        &root,
        "[tool.release_tool]\ntag_template = \"rel/{name}/{version}\"\n",
    );
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-q", "-m", "chore: config"]);
    git(&root, &["tag", "rel/beta/0.2.0"]);
    git(&root, &["tag", "beta-v0.3.0"]);
    let report = status_json(&env, &root);
    assert_eq!(row(&report, "beta")["last_tag"], "rel/beta/0.2.0");
    assert_eq!(row(&report, "alpha")["last_tag"], Value::Null);
    // A template without `{version}` at its end is refused, naming the key.
    crate::support::write_config(
        &root,
        "[tool.release_tool]\ntag_template = \"{version}-{name}\"\n",
    );
    let out = env.run(&root, ["status"]);
    let (_, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("tag_template"), "{stderr}");
    assert!(stderr.contains("must end with `{version}`"), "{stderr}");
}

#[test]
fn mixed_layout_status() {
    let world = World::with_layout(Layout::Mixed);
    let report = {
        let (stdout, _) = ok(&world.run(&["status", "--json"]));
        crate::support::json_doc(&stdout)
    };
    for name in ["a", "b", "c"] {
        let r = row(&report, name);
        assert_eq!(r["status"], "ok", "{r}");
        // Scaffold + feature commits: in-tree ones in the root, b's in its own repository.
        assert_eq!(r["commits_since_tag"], 2, "{name}: {r}");
    }
}

/// Release the world's in-tree packages by hand at 0.1.0 (version edits, one root commit, the
/// `<name>-v0.1.0` tags, pushed), as a release of them leaves the root.
fn tag_by_hand(world: &World) {
    for name in ["a", "b", "c"] {
        let path = world.pkg(name).join("pyproject.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("0.1.0.dev0", "0.1.0")).unwrap();
    }
    git(
        &world.root,
        &["commit", "-q", "-am", "chore: release a, b, c 0.1.0"],
    );
    for name in ["a", "b", "c"] {
        let tag = format!("{name}-v0.1.0");
        git(&world.root, &["tag", "-a", &tag, "-m", &tag]);
    }
    git(
        &world.root,
        &["push", "-q", "--follow-tags", "origin", "main"],
    );
}

#[test]
fn subdirectory_pins_install_prod_from_the_root_tags() {
    let world = World::with_layout(Layout::InTree);
    tag_by_hand(&world);
    let (stdout, _) = ok(&world.run(&["status", "--json"]));
    let report: Value = crate::support::json_doc(&stdout);
    for name in ["a", "b", "c"] {
        let r = row(&report, name);
        assert_eq!(r["last_tag"], format!("{name}-v0.1.0"), "{r}");
        assert_eq!(r["commits_since_tag"], 0, "{r}");
    }
    ok(&world.run(&["manifests"]));
    let remote = crate::support::trunk::url(&world.remote("root"));
    for manifest in ["staging/pyproject.toml", "prod/pyproject.toml"] {
        let text = std::fs::read_to_string(world.root.join(manifest)).unwrap();
        for name in ["a", "b", "c"] {
            let pin = format!(
                "{name} = {{ git = \"{remote}\", tag = \"{name}-v0.1.0\", subdirectory = \"packages/{name}\" }}"
            );
            assert!(text.contains(&pin), "{manifest}: {pin}\n{text}");
        }
    }
    ok(&world.run(&["manifests", "--check"]));
    git(&world.root, &["add", "-A"]);
    git(&world.root, &["commit", "-q", "-m", "chore: pins"]);
    // A fresh clone installs prod from the tags (a clone of the root at each tag, built from
    // the package's subdirectory), not from the work tree.
    let clone = crate::support::clone_root(&world.env, &world.root, &[]);
    ok(&world.env.run_uv(&clone, ["sync", "prod"]));
    let (good, stdout, stderr) = crate::support::venv_python(
        &clone.join("prod/.venv"),
        "import a, c, importlib.metadata as m; print(a.__file__); print(m.version('a'), m.version('b'), m.version('c'))",
    );
    assert!(good, "{stderr}");
    assert!(
        stdout.contains("prod/.venv/lib/"),
        "installed, not editable: {stdout}"
    );
    assert!(stdout.contains("0.1.0 0.1.0 0.1.0"), "{stdout}");
}

#[test]
fn notes_of_an_in_tree_package_are_its_directory_s_commits() {
    let world = World::with_layout(Layout::InTree);
    tag_by_hand(&world);
    commit_file(&world.root, "LICENSE", "MIT\n", "docs: a licence for all");
    commit_file(
        &world.root,
        "packages/b/src/b/more.py",
        "MORE = 1\n",
        "feat: b learns more",
    );
    ok(&world.run(&["notes"]));
    let dir = world.root.join("release_tool/changes");
    let b = std::fs::read_to_string(dir.join("b/changes_since_tag.txt")).unwrap();
    assert!(b.contains("feat: b learns more"), "{b}");
    assert!(
        !b.contains("licence"),
        "a shared file is no package's change: {b}"
    );
    assert!(b.contains("packages/b/src/b/more.py"), "{b}");
    assert!(!b.contains("LICENSE"), "{b}");
    // a and c have no commit since their tags: no notes.
    assert!(!dir.join("a").exists() && !dir.join("c").exists());
}

/// `release --push` of in-tree packages (issue #21): their edits in their directories, one
/// root commit for all of them with their tags, one next-dev root commit, one push of the root
/// with every tag, `subdirectory` pins; a fresh clone without submodules installs prod from
/// the tags with real uv.
#[test]
fn release_of_in_tree_packages_tags_the_root_and_prod_installs_from_the_tags() {
    let world = World::with_layout(Layout::InTree);
    let before = world.state();
    let (stdout, _) = ok(&world.release(&["--bump", "minor", "--push", "--dry-run"]));
    assert_eq!(before, world.state(), "the dry run changed something");
    assert!(stdout.contains("a-v0.1.0"), "{stdout}");
    let (stdout, stderr) = ok(&world.release(&["--bump", "minor", "--push"]));
    for name in ["a", "b", "c"] {
        assert_eq!(
            crate::support::table_row(&stdout, name).as_deref(),
            Some(format!("{name} 0.1.0.dev0 → 0.1.0 {name}-v0.1.0 0.1.1.dev0 pushed").as_str()),
            "{stdout}\n{stderr}"
        );
    }
    let remote = world.remote("root");
    let log = git(&remote, &["log", "--format=%s", "main"]);
    let subjects: Vec<&str> = log.lines().collect();
    assert_eq!(
        subjects[..3],
        [
            "release: a 0.1.0, b 0.1.0, c 0.1.0",
            "chore: start 0.1.1.dev0 development",
            "release: a 0.1.0, b 0.1.0, c 0.1.0",
        ],
        "bookkeeping, next, release: {log}"
    );
    let release = git(&remote, &["rev-parse", "main~2"]).trim().to_owned();
    let files = git(
        &remote,
        &["diff-tree", "--no-commit-id", "--name-only", "-r", &release],
    );
    assert_eq!(
        files.lines().collect::<Vec<_>>(),
        [
            "packages/a/CHANGELOG.md",
            "packages/a/pyproject.toml",
            "packages/b/CHANGELOG.md",
            "packages/b/pyproject.toml",
            "packages/c/CHANGELOG.md",
            "packages/c/pyproject.toml",
        ]
    );
    for (i, name) in ["a", "b", "c"].iter().enumerate() {
        let tag = format!("{name}-v0.1.0");
        let on = git(&remote, &["rev-parse", &format!("{tag}^{{commit}}")]);
        assert_eq!(on.trim(), release, "{tag} on the release commit");
        assert_eq!(git(&remote, &["cat-file", "-t", &tag]).trim(), "tag");
        let notes = git(&remote, &["tag", "--list", "--format=%(contents)", &tag]);
        assert!(
            notes.contains(&format!("{name} learns a feature")),
            "{notes}"
        );
        let py = git(
            &remote,
            &["show", &format!("{tag}:packages/{name}/pyproject.toml")],
        );
        assert!(py.contains("version = \"0.1.0\""), "{py}");
        if i > 0 {
            let dep = ["a", "b", "c"][i - 1];
            assert!(py.contains(&format!("\"{dep}>=0.1.0\"")), "{py}");
        }
        let next = git(
            &remote,
            &["show", &format!("main:packages/{name}/pyproject.toml")],
        );
        assert!(next.contains("version = \"0.1.1.dev0\""), "{next}");
        let prod = git(&remote, &["show", "main:prod/pyproject.toml"]);
        let pin = format!(
            "{name} = {{ git = \"{}\", tag = \"{tag}\", subdirectory = \"packages/{name}\" }}",
            crate::support::trunk::url(&remote)
        );
        assert!(prod.contains(&pin), "{pin}\n{prod}");
    }
    assert_eq!(git(&world.root, &["status", "--porcelain"]), "");
    assert_eq!(
        git(&world.root, &["rev-parse", "HEAD"]),
        git(&remote, &["rev-parse", "main"])
    );
    // Nothing is left to release: the next run finds no change.
    let (_, stderr) = ok(&world.release(&["--bump", "minor", "--dry-run"]));
    assert!(!stderr.contains("a-v0.2.0"), "{stderr}");
    // A fresh clone without submodules installs prod from the root's tags.
    let clone = crate::support::clone_root(&world.env, &remote, &[]);
    ok(&world.env.run_uv(&clone, ["sync", "prod"]));
    let (good, stdout, stderr) = crate::support::venv_python(
        &clone.join("prod/.venv"),
        "import importlib.metadata as m; print(m.version('a'), m.version('b'), m.version('c'))",
    );
    assert!(good, "{stderr}");
    assert_eq!(stdout.trim(), "0.1.0 0.1.0 0.1.0");
}

/// A mixed layout (`a` in-tree, `b` and `c` submodules: b requires the in-tree a) releases
/// in one plan: a in the root first, then b and c in their repositories.
#[test]
fn release_of_a_mixed_layout_releases_both_kinds_in_one_plan() {
    let world = World::with_layout(Layout::Mixed);
    ok(&world.env.run_uv(&world.root, ["lock", "--all"]));
    git(&world.root, &["add", "-A"]);
    git(&world.root, &["commit", "-q", "-m", "chore: lock"]);
    git(&world.root, &["push", "-q", "origin", "main"]);
    let (stdout, stderr) = ok(&world.release(&["--bump", "minor", "--push"]));
    for (name, tag) in [("a", "a-v0.1.0"), ("b", "v0.1.0"), ("c", "v0.1.0")] {
        assert_eq!(
            crate::support::table_row(&stdout, name).as_deref(),
            Some(format!("{name} 0.1.0.dev0 → 0.1.0 {tag} 0.1.1.dev0 pushed").as_str()),
            "{stdout}\n{stderr}"
        );
    }
    for name in ["b", "c"] {
        let tags = git(&world.remote(name), &["tag", "--list"]);
        assert_eq!(tags.trim(), "v0.1.0", "{name}");
    }
    let root_tags = git(&world.remote("root"), &["tag", "--list", "a-v*"]);
    assert_eq!(root_tags.trim(), "a-v0.1.0");
    let b = git(&world.remote("b"), &["show", "v0.1.0:pyproject.toml"]);
    assert!(b.contains("\"a>=0.1.0\""), "{b}");
    assert_eq!(git(&world.root, &["status", "--porcelain"]), "");
    let (_, stderr) = ok(&world.env.run_uv(&world.root, ["check"]));
    assert!(stderr.contains("All checks passed"), "{stderr}");
    // prod installs from the root's tag (a) and the submodules' remotes (b, c).
    let clone = crate::support::clone_root(&world.env, &world.remote("root"), &[]);
    ok(&world.env.run_uv(&clone, ["sync", "prod"]));
    let (good, stdout, stderr) = crate::support::venv_python(
        &clone.join("prod/.venv"),
        "import importlib.metadata as m; print(m.version('a'), m.version('b'), m.version('c'))",
    );
    assert!(good, "{stderr}");
    assert_eq!(stdout.trim(), "0.1.0 0.1.0 0.1.0");
}

/// An in-tree package requiring a package of its own repository cannot be installed from the
/// root's tag (uv reads the root's workspace there): `release` refuses it, naming both, and
/// changes nothing.
#[test]
fn release_refuses_an_in_tree_package_over_a_submodule_package() {
    let world = World::with_layout(Layout::InTreeOnTop);
    let before = world.state();
    let out = world.release(&["--bump", "minor", "--push"]);
    let (_, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("Cannot release; nothing was changed"),
        "{stderr}"
    );
    assert!(
        stderr
            .contains("c (packages/c): is in-tree and requires b, a package of its own repository"),
        "{stderr}"
    );
    assert!(stderr.contains("release-tool split c"), "{stderr}");
    assert_eq!(before, world.state(), "nothing changed");
}

/// `git -C root ARGS`, its output trimmed.
fn git_out(root: &Path, args: &[&str]) -> String {
    git(root, args).trim().to_owned()
}

#[test]
fn changes_and_commit_of_in_tree_packages_touch_their_directories_only() {
    let env = TestEnv::new();
    let root = plain_uv_workspace(&env);
    // alpha: an edit and a new file; beta: an edit; the root: a new file and a staged edit of
    // its README, which belong to no package.
    let init = root.join("packages/alpha/src/alpha/__init__.py");
    std::fs::write(&init, "def hello() -> str:\n    return \"hi\"\n").unwrap();
    std::fs::write(root.join("packages/alpha/new.py"), "NEW = 1\n").unwrap();
    std::fs::write(root.join("packages/beta/README.md"), "# beta\n\nMore.\n").unwrap();
    std::fs::write(root.join("LICENSE"), "MIT\n").unwrap();
    std::fs::write(root.join("README.md"), "# product\n\nStaged.\n").unwrap();
    git(&root, &["add", "README.md"]);

    let (_, stderr) = ok(&env.run(&root, ["changes"]));
    assert!(stderr.contains("alpha: 2 files changed"), "{stderr}");
    assert!(stderr.contains("beta: 1 file changed"), "{stderr}");
    let changes = root.join("release_tool/changes");
    let alpha = std::fs::read_to_string(changes.join("alpha/changes_uncommitted.txt")).unwrap();
    assert!(
        alpha.contains("packages/alpha/src/alpha/__init__.py"),
        "{alpha}"
    );
    assert!(alpha.contains("packages/alpha/new.py"), "{alpha}");
    assert!(alpha.contains("+NEW = 1"), "{alpha}");
    for other in ["packages/beta", "LICENSE", "README.md"] {
        assert!(
            !alpha.contains(other),
            "{other} in alpha's changes:\n{alpha}"
        );
    }

    std::fs::write(
        changes.join("alpha/commit_message.txt"),
        "feat: alpha says hi\n",
    )
    .unwrap();
    std::fs::write(
        changes.join("beta/commit_message.txt"),
        "docs: more on beta\n",
    )
    .unwrap();
    let out = env
        .cmd(&root)
        .args(["commit", "--push", "--json"])
        .output()
        .unwrap();
    let (stdout, stderr) = ok(&out);
    let report = crate::support::json_doc(&stdout);
    let rows = report["packages"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{report}\n{stderr}");
    // One root commit per package, each of its directory only, in the package's name order.
    for (name, subject) in [
        ("alpha", "feat: alpha says hi"),
        ("beta", "docs: more on beta"),
    ] {
        let row = rows.iter().find(|r| r["package"] == name).unwrap();
        let commit = row["commit"].as_str().unwrap();
        assert_eq!(
            git_out(
                &root,
                &[
                    "log",
                    "-1",
                    "--format=%H",
                    "--",
                    &format!("packages/{name}")
                ]
            ),
            commit
        );
        assert_eq!(
            git_out(&root, &["log", "-1", "--format=%s", commit]),
            subject
        );
        let files = git_out(&root, &["show", "--name-only", "--format=", commit]);
        assert!(
            files
                .lines()
                .all(|f| f.starts_with(&format!("packages/{name}/"))),
            "{name}'s commit holds {files}"
        );
    }
    // The root's own changes are where they were: README.md staged, LICENSE untracked.
    let short = git_out(&root, &["status", "--porcelain", "--untracked-files=all"]);
    assert!(short.lines().any(|l| l == "M  README.md"), "{short}");
    assert!(short.lines().any(|l| l == "?? LICENSE"), "{short}");
    assert!(!short.contains("packages/"), "{short}");
    // The root was pushed once, with both commits.
    assert_eq!(
        git_out(&root, &["rev-parse", "HEAD"]),
        git_out(&root, &["rev-parse", "origin/main"])
    );
    assert_eq!(git_out(&root, &["rev-list", "--count", "origin/main"]), "3");
    // The change files did their job.
    assert!(!changes.join("alpha/commit_message.txt").exists());
}

#[test]
fn commit_refuses_an_in_tree_package_on_a_detached_root() {
    let env = TestEnv::new();
    let root = plain_uv_workspace(&env);
    std::fs::write(root.join("packages/alpha/new.py"), "NEW = 1\n").unwrap();
    let dir = root.join("release_tool/changes/alpha");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("commit_message.txt"), "feat: new\n").unwrap();
    git(&root, &["switch", "-q", "--detach"]);
    let head = git_out(&root, &["rev-parse", "HEAD"]);
    let out = env.run(&root, ["commit"]);
    let (_, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("alpha: HEAD is detached in .; not committed"),
        "{stderr}"
    );
    assert!(stderr.contains("git -C . switch <branch>"), "{stderr}");
    // Nothing changed: the same HEAD, the file still untracked, the message kept.
    assert_eq!(git_out(&root, &["rev-parse", "HEAD"]), head);
    assert!(git_out(&root, &["status", "--porcelain"]).contains("?? packages/alpha/new.py"));
    assert!(dir.join("commit_message.txt").is_file());
}

#[test]
fn branch_of_in_tree_packages_branches_the_root_once() {
    let env = TestEnv::new();
    let root = plain_uv_workspace(&env);
    // Work in progress in alpha rides along the switch (stashed and restored).
    std::fs::write(root.join("packages/alpha/wip.py"), "WIP = 1\n").unwrap();
    let (stdout, _) = ok(&env.run(&root, ["branch", "--dry-run"]));
    assert_eq!(
        git_out(&root, &["branch", "--show-current"]),
        "main",
        "a dry run changes nothing"
    );
    assert!(stdout.contains("dev_branch"), "{stdout}");
    let out = env
        .cmd(&root)
        .args(["branch", "--push", "--json"])
        .output()
        .unwrap();
    let (stdout, stderr) = ok(&out);
    let report = crate::support::json_doc(&stdout);
    let rows = report["packages"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{report}");
    for row in rows {
        assert_eq!(row["action"], "created", "{row}");
        assert_eq!(row["from"], "origin/main", "{row}");
    }
    assert!(
        stderr.contains("beta: the root's branch, with alpha"),
        "{stderr}"
    );
    assert_eq!(git_out(&root, &["branch", "--show-current"]), "dev_branch");
    assert_eq!(
        git_out(&root, &["rev-parse", "origin/dev_branch"]),
        git_out(&root, &["rev-parse", "HEAD"])
    );
    assert!(
        root.join("packages/alpha/wip.py").is_file(),
        "the work is back"
    );
    assert_eq!(git_out(&root, &["stash", "list"]), "");
    // Again: up to date, nothing moved.
    let (stdout, _) = ok(&env.cmd(&root).args(["branch", "--json"]).output().unwrap());
    let report = crate::support::json_doc(&stdout);
    for row in report["packages"].as_array().unwrap() {
        assert_eq!(row["action"], "up-to-date", "{row}");
    }
}

#[test]
fn a_file_moved_between_in_tree_packages_is_both_packages_change() {
    let env = TestEnv::new();
    let root = plain_uv_workspace(&env);
    commit_file(&root, "packages/alpha/moved.txt", "moved\n", "feat: a file");
    git(
        &root,
        &["mv", "packages/alpha/moved.txt", "packages/beta/moved.txt"],
    );
    let report = status_json(&env, &root);
    assert_eq!(row(&report, "alpha")["dirty"], 1, "{report}");
    assert_eq!(row(&report, "beta")["dirty"], 1, "{report}");
    ok(&env.run(&root, ["changes"]));
    let changes = root.join("release_tool/changes");
    let alpha = std::fs::read_to_string(changes.join("alpha/changes_uncommitted.txt")).unwrap();
    assert!(alpha.contains("packages/alpha/moved.txt"), "{alpha}");
    std::fs::write(
        changes.join("alpha/commit_message.txt"),
        "refactor: move out\n",
    )
    .unwrap();
    std::fs::write(
        changes.join("beta/commit_message.txt"),
        "refactor: move in\n",
    )
    .unwrap();
    ok(&env.run(&root, ["commit"]));
    // Both sides committed, nothing left staged in the root.
    assert_eq!(
        git_out(&root, &["status", "--porcelain", "--", "packages"]),
        ""
    );
    assert_eq!(git_out(&root, &["diff", "--cached", "--name-only"]), "");
    let files = git_out(&root, &["log", "-2", "--name-status", "--format="]);
    assert!(files.contains("D\tpackages/alpha/moved.txt"), "{files}");
    assert!(files.contains("A\tpackages/beta/moved.txt"), "{files}");
}

#[test]
fn branch_refuses_in_tree_packages_with_different_base_branches() {
    let env = TestEnv::new();
    let root = plain_uv_workspace(&env);
    crate::support::write_config(
        &root,
        "[tool.release_tool.packages.beta]\nbase_branch = \"develop\"\n",
    );
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-q", "-m", "chore: config"]);
    let before = crate::support::snapshot_tree(&root);
    let out = env.run(&root, ["branch"]);
    let (_, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "In-tree packages alpha and beta share the root's branch but not their base branch (main and develop)"
        ),
        "{stderr}"
    );
    assert_eq!(git_out(&root, &["branch", "--show-current"]), "main");
    assert_eq!(
        crate::support::snapshot_tree(&root),
        before,
        "nothing changed"
    );
}

#[test]
fn publish_builds_an_in_tree_package_from_its_directory_at_its_tag() {
    let env = TestEnv::new();
    let root = plain_uv_workspace(&env);
    // alpha 0.1.0 (as `uv init` wrote it) tagged in the root; later work must not be built.
    git(&root, &["tag", "-a", "alpha-v0.1.0", "-m", "alpha 0.1.0"]);
    commit_file(
        &root,
        "packages/alpha/src/alpha/later.py",
        "LATER = 1\n",
        "feat: later",
    );
    let server = crate::support::pypiserver::PyPiServer::start(&env.path().join("index"));
    let before = crate::support::snapshot_tree(&root);
    let out = env
        .cmd_uv(&root)
        .env("UV_PUBLISH_TOKEN", "pypi-fake")
        .args(["publish", "--index", &server.url()])
        .output()
        .unwrap();
    let (stdout, stderr) = outputs(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}\n{}", server.log());
    assert!(
        stderr.contains("alpha 0.1.0 (alpha-v0.1.0): built alpha-0.1.0-py3-none-any.whl, alpha-0.1.0.tar.gz; uploaded"),
        "{stderr}"
    );
    assert!(stderr.contains("beta: skipped, no release tag"), "{stderr}");
    assert_eq!(
        server.files(),
        ["alpha-0.1.0-py3-none-any.whl", "alpha-0.1.0.tar.gz"]
    );
    assert_eq!(
        crate::support::snapshot_tree(&root),
        before,
        "the root untouched"
    );
    // The sdist holds the package at its tag: no file of the later commit.
    let sdist = server.packages.join("alpha-0.1.0.tar.gz");
    let listing = Command::new("tar")
        .arg("-tzf")
        .arg(&sdist)
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(listing.contains("alpha-0.1.0/pyproject.toml"), "{listing}");
    assert!(!listing.contains("later.py"), "{listing}");
}
