//! In-tree packages made by `new --in-tree`, and `split`: an in-tree package graduated into
//! its own repository (history extracted, tags carried over, the directory replaced by a
//! submodule), with real git and uv; refusals change nothing.

use std::path::{Path, PathBuf};

use crate::support::{TestEnv, failed, git, ok, snapshot_tree};

/// `init product` + `new alpha --in-tree` + `new beta --in-tree --dep alpha`.
fn in_tree_workspace(env: &TestEnv) -> PathBuf {
    let root = env.path().join("product");
    ok(&env.run(&env.path(), ["init", "product"]));
    ok(&env.run(&root, ["new", "alpha", "--in-tree"]));
    ok(&env.run(&root, ["new", "beta", "--in-tree", "--dep", "alpha"]));
    root
}

#[test]
fn new_in_tree_scaffolds_a_directory_of_the_root_repository() {
    let env = TestEnv::new();
    let root = in_tree_workspace(&env);
    let beta = root.join("packages/beta");
    for file in [
        "pyproject.toml",
        "src/beta/__init__.py",
        "tests/test_beta.py",
        "README.md",
    ] {
        assert!(beta.join(file).is_file(), "{file}");
    }
    assert!(!beta.join(".git").exists(), "no repository of its own");
    assert!(!root.join(".gitmodules").exists(), "no submodule");
    let tracked = git(&root, &["ls-files", "--", "packages/beta"]);
    assert!(
        tracked.lines().any(|l| l == "packages/beta/pyproject.toml"),
        "{tracked}"
    );
    assert_eq!(git(&root, &["status", "--porcelain"]), "");
    assert_eq!(
        git(&root, &["log", "-1", "--format=%s"]).trim(),
        "feat: add package beta"
    );
    let dev = std::fs::read_to_string(root.join("pyproject.toml")).unwrap();
    assert!(
        dev.contains("alpha = { workspace = true }") && dev.contains("beta = { workspace = true }"),
        "{dev}"
    );
    let py = std::fs::read_to_string(beta.join("pyproject.toml")).unwrap();
    assert!(py.contains("\"alpha\""), "{py}");
    // The workspace resolves with real uv: both members are found in the root repository.
    let lock = std::process::Command::new(crate::support::uv())
        .args(["lock", "--directory", root.to_str().unwrap()])
        .envs(crate::support::uv_env())
        .output()
        .unwrap();
    assert!(
        lock.status.success(),
        "{}",
        String::from_utf8_lossy(&lock.stderr)
    );
    let lockfile = std::fs::read_to_string(root.join("uv.lock")).unwrap();
    assert!(
        lockfile.contains("name = \"alpha\"") && lockfile.contains("name = \"beta\""),
        "{lockfile}"
    );
}

#[test]
fn new_in_tree_with_a_remote_is_refused_and_changes_nothing() {
    let env = TestEnv::new();
    let root = in_tree_workspace(&env);
    let before = snapshot_tree(&env.path());
    let out = env.run(
        &root,
        ["new", "gamma", "--in-tree", "--remote", "file:///nowhere"],
    );
    let stderr = failed(&out, 2);
    assert!(
        stderr.contains("--in-tree") && stderr.contains("--remote"),
        "{stderr}"
    );
    assert_eq!(before, snapshot_tree(&env.path()));
}

/// Set the `version` of the in-tree package at `pkg` to `version`.
fn set_version(pkg: &Path, version: &str) {
    let path = pkg.join("pyproject.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let old = text
        .lines()
        .find(|l| l.starts_with("version = "))
        .unwrap()
        .to_owned();
    std::fs::write(
        &path,
        text.replace(&old, &format!("version = \"{version}\"")),
    )
    .unwrap();
}

/// Stage everything and commit in `root`.
fn commit_all(root: &Path, message: &str) {
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", message]);
}

/// A bare repository at `<tmp>/remotes/<name>.git`; its `file://` URL.
fn bare(env: &TestEnv, name: &str) -> String {
    let remote = env.path().join(format!("remotes/{name}.git"));
    std::fs::create_dir_all(&remote).unwrap();
    git(&remote, &["init", "-q", "--bare", "-b", "main"]);
    format!("file://{}", remote.display())
}

/// A workspace whose only package, `alpha`, is in-tree, with 20 commits touching
/// `packages/alpha` (some touching `docs/` too, one a merge whose sides both touched it) and
/// others touching only `docs/`; tags `alpha-v0.1.0` (annotated, on a release commit) and
/// `alpha-v0.2.0` (lightweight, on a commit that touches only `docs/`); staging and prod pin
/// alpha at `alpha-v0.2.0` in the root's remote (`subdirectory`); everything pushed to
/// `<tmp>/remotes/product.git`.
fn history_workspace(env: &TestEnv) -> PathBuf {
    let root = env.path().join("product");
    ok(&env.run(&env.path(), ["init", "product"]));
    ok(&env.run(&root, ["new", "alpha", "--in-tree"]));
    let alpha = root.join("packages/alpha");
    let product_url = bare(env, "product");
    git(&root, &["remote", "add", "origin", &product_url]);
    let mut touching = 1; // "feat: add package alpha" (the root manifest too)
    let mut i = 0;
    while touching < 16 {
        i += 1;
        let docs = root.join(format!("docs/note{i}.md"));
        std::fs::create_dir_all(docs.parent().unwrap()).unwrap();
        if i % 4 == 0 {
            std::fs::write(&docs, format!("note {i}\n")).unwrap();
            commit_all(&root, &format!("docs: note {i}"));
            continue;
        }
        std::fs::write(
            alpha.join(format!("src/alpha/m{i}.py")),
            format!("X = {i}\n"),
        )
        .unwrap();
        if i % 3 == 0 {
            std::fs::write(&docs, format!("note {i}\n")).unwrap();
        }
        commit_all(
            &root,
            &format!("feat: alpha change {i}\n\nThe body of change {i}.\n"),
        );
        touching += 1;
        if touching == 8 {
            set_version(&alpha, "0.1.0");
            commit_all(&root, "chore: release alpha 0.1.0");
            touching += 1;
            git(&root, &["tag", "-a", "-m", "alpha 0.1.0", "alpha-v0.1.0"]);
        }
    }
    // A merge whose two sides both change the package.
    git(&root, &["checkout", "-q", "-b", "side"]);
    std::fs::write(alpha.join("src/alpha/side.py"), "SIDE = 1\n").unwrap();
    commit_all(&root, "feat: alpha on a side branch");
    git(&root, &["checkout", "-q", "main"]);
    std::fs::write(alpha.join("src/alpha/main.py"), "MAIN = 1\n").unwrap();
    commit_all(&root, "feat: alpha on main");
    git(
        &root,
        &["merge", "-q", "--no-ff", "-m", "merge side", "side"],
    );
    git(&root, &["branch", "-q", "-D", "side"]);
    touching += 3;
    set_version(&alpha, "0.2.0");
    commit_all(&root, "chore: release alpha 0.2.0");
    touching += 1;
    std::fs::write(root.join("docs/after.md"), "after\n").unwrap();
    commit_all(&root, "docs: after the release");
    git(&root, &["tag", "alpha-v0.2.0"]);
    assert_eq!(touching, 20);
    // Staging and prod pin alpha at its tag in the root's repository.
    for manifest in ["staging/pyproject.toml", "prod/pyproject.toml"] {
        let path = root.join(manifest);
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("dependencies = []", "dependencies = [\"alpha\"]")
            .replace(
                "[tool.uv.sources]\n",
                &format!(
                    "[tool.uv.sources]\nalpha = {{ git = \"{product_url}\", tag = \"alpha-v0.2.0\", subdirectory = \"packages/alpha\" }}\n"
                ),
            );
        std::fs::write(&path, text).unwrap();
    }
    commit_all(&root, "chore: pin alpha 0.2.0");
    git(&root, &["push", "-q", "origin", "main", "--tags"]);
    root
}

/// `log` lines of `rev` limited to `paths`: every field but the hash, sorted.
fn commit_facts(repo: &Path, rev: &str, paths: &[&str]) -> Vec<String> {
    let mut args = vec![
        "log",
        "--parents",
        "--format=%an|%ae|%ad|%cn|%ce|%cd|%P|%B%x00",
        "--date=raw",
        rev,
        "--",
    ];
    args.extend_from_slice(paths);
    let out = git(repo, &args);
    let mut facts: Vec<String> = out
        .split('\0')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            // Parent hashes differ by nature: keep their number (rewritten to the commits shown).
            let fields: Vec<&str> = s.splitn(8, '|').collect();
            let parents = fields[6].split_whitespace().count();
            format!("{}|{parents}|{}", fields[..6].join("|"), fields[7])
        })
        .collect();
    facts.sort();
    facts
}

#[test]
fn split_extracts_the_package_history_and_tags_and_leaves_a_sound_workspace() {
    let env = TestEnv::new();
    let root = history_workspace(&env);
    let url = bare(&env, "alpha");
    let remote = env.path().join("remotes/alpha.git");
    let expected = commit_facts(&root, "HEAD", &["packages/alpha"]);
    assert_eq!(expected.len(), 20, "{expected:#?}");
    // Staging and prod are locked: the split locks them again, in its one root commit.
    ok(&env.run_uv(&root, ["lock", "--all"]));
    commit_all(&root, "chore: lock");
    let prod_lock = std::fs::read_to_string(root.join("prod/uv.lock")).unwrap();
    assert!(prod_lock.contains("subdirectory"), "{prod_lock}");
    let root_head = git(&root, &["rev-parse", "HEAD"]);

    let (stdout, stderr) = ok(&env.run_uv(&root, ["split", "alpha", "--remote", &url]));
    assert!(stdout.is_empty(), "data only on stdout: {stdout}");
    assert!(
        stderr.contains("Split alpha into") && stderr.contains("20 commits, 2 tags"),
        "{stderr}"
    );

    // The new repository: exactly the package's commits, metadata kept, paths relative.
    assert_eq!(commit_facts(&remote, "main", &[]), expected);
    let files = git(&remote, &["ls-tree", "-r", "--name-only", "main"]);
    assert!(files.lines().any(|l| l == "pyproject.toml"), "{files}");
    assert!(
        !files.contains("packages/") && !files.contains("docs/"),
        "{files}"
    );
    let merges = git(&remote, &["rev-list", "--merges", "main"]);
    assert_eq!(merges.lines().count(), 1, "the merge is kept");
    // Tags carried over: same trees; annotated stays annotated with its message.
    for (old, new) in [("alpha-v0.1.0", "v0.1.0"), ("alpha-v0.2.0", "v0.2.0")] {
        assert_eq!(
            git(&root, &["rev-parse", &format!("{old}:packages/alpha")]),
            git(&remote, &["rev-parse", &format!("{new}^{{tree}}")]),
            "{old} -> {new}"
        );
    }
    assert_eq!(git(&remote, &["cat-file", "-t", "v0.1.0"]).trim(), "tag");
    assert!(git(&remote, &["cat-file", "-p", "v0.1.0"]).contains("\n\nalpha 0.1.0\n"));
    assert_eq!(git(&remote, &["cat-file", "-t", "v0.2.0"]).trim(), "commit");
    assert_eq!(
        git(&remote, &["rev-parse", "main"]),
        git(&remote, &["rev-parse", "v0.2.0"]),
        "the branch head is the newest commit touching the package"
    );

    // The root: one commit, the directory a submodule of the new remote, pins moved.
    assert_eq!(
        git(&root, &["rev-parse", "HEAD~1"]),
        root_head,
        "one root commit"
    );
    assert_eq!(git(&root, &["status", "--porcelain"]), "");
    let modules = std::fs::read_to_string(root.join(".gitmodules")).unwrap();
    assert!(
        modules.contains("path = packages/alpha") && modules.contains(&url),
        "{modules}"
    );
    let staged = git(&root, &["ls-files", "--stage", "--", "packages/alpha"]);
    assert!(staged.starts_with("160000 "), "a gitlink: {staged}");
    for manifest in ["staging/pyproject.toml", "prod/pyproject.toml"] {
        let text = std::fs::read_to_string(root.join(manifest)).unwrap();
        assert!(
            text.contains(&format!("alpha = {{ git = \"{url}\", tag = \"v0.2.0\" }}")),
            "{manifest}: {text}"
        );
    }
    assert!(
        !root.join(".release_tool/split").exists(),
        "scratch removed"
    );

    for lock in ["staging/uv.lock", "prod/uv.lock"] {
        let text = std::fs::read_to_string(root.join(lock)).unwrap();
        assert!(
            text.contains(&format!("{url}?tag=v0.2.0#")) && !text.contains("subdirectory"),
            "{lock}: {text}"
        );
    }
    let changed = git(&root, &["show", "--name-only", "--format=", "HEAD"]);
    assert!(changed.lines().any(|l| l == "prod/uv.lock"), "{changed}");

    // The workspace is sound, and prod installs from the new repository's tag.
    let (report, _) = ok(&env.run_uv(&root, ["check"]));
    assert!(!report.contains("error"), "{report}");
    ok(&env.run_uv(&root, ["sync", "prod"]));
    let (ok1, stdout, stderr) = crate::support::venv_python(
        &root.join("prod/.venv"),
        "import alpha, importlib.metadata as m; print(m.version('alpha'))",
    );
    assert!(ok1, "{stderr}");
    assert_eq!(stdout.trim(), "0.2.0");

    // A fresh clone of the root without submodules installs prod from the new repository.
    let clone = crate::support::clone_root(&env, &root, &[]);
    assert!(!clone.join("packages/alpha/pyproject.toml").exists());
    std::fs::remove_file(clone.join("prod/uv.lock")).unwrap();
    ok(&env.run_uv(&clone, ["sync", "prod"]));
    let (ok2, stdout, stderr) = crate::support::venv_python(
        &clone.join("prod/.venv"),
        "import alpha, importlib.metadata as m; print(m.version('alpha'))",
    );
    assert!(ok2, "{stderr}");
    assert_eq!(stdout.trim(), "0.2.0");
}

#[test]
fn split_dry_run_shows_the_plan_and_changes_nothing() {
    let env = TestEnv::new();
    let root = history_workspace(&env);
    let url = bare(&env, "alpha");
    let before = snapshot_tree(&env.path());
    let (stdout, stderr) = ok(&env.run(&root, ["split", "alpha", "--remote", &url, "--dry-run"]));
    for needle in [
        "fast-import",
        "push --quiet --",
        "rm -r -q --cached -- packages/alpha",
        "submodule add",
        "refactor: split alpha",
    ] {
        assert!(stdout.contains(needle), "{needle}: {stdout}");
    }
    assert!(stderr.contains("Dry run"), "{stderr}");
    assert_eq!(before, snapshot_tree(&env.path()));
}

/// Run `split` that must be refused with exit `code`: every `needle` in stderr, a hint, and
/// nothing changed anywhere under the temp directory (the root's HEAD, index and work tree,
/// every remote's refs).
fn refused(env: &TestEnv, root: &Path, args: &[&str], code: i32, needles: &[&str]) {
    let before = snapshot_tree(&env.path());
    let stderr = failed(&env.run(root, args), code);
    for needle in needles {
        assert!(stderr.contains(needle), "{args:?}: {needle}: {stderr}");
    }
    assert!(stderr.contains("hint: "), "{stderr}");
    assert_eq!(
        before,
        snapshot_tree(&env.path()),
        "{args:?} changed something"
    );
}

#[test]
fn split_refuses_bad_input_and_changes_nothing() {
    let env = TestEnv::new();
    let root = history_workspace(&env);
    let url = bare(&env, "alpha");
    // A remote that is not empty.
    let full = bare(&env, "full");
    git(&root, &["push", "-q", &full, "main"]);
    refused(
        &env,
        &root,
        &["split", "alpha", "--remote", &full],
        2,
        &["Cannot split alpha", "is not empty", "refs/heads/main"],
    );
    // A remote that does not exist.
    let missing = format!("file://{}/remotes/nowhere.git", env.path().display());
    refused(
        &env,
        &root,
        &["split", "alpha", "--remote", &missing],
        1,
        &["Cannot read the remote"],
    );
    // An unknown package.
    refused(
        &env,
        &root,
        &["split", "alpah", "--remote", &url],
        2,
        &["No package named `alpah`", "did you mean `alpha`?"],
    );
    // Uncommitted work in the package: a change, then an untracked file.
    let init = root.join("packages/alpha/src/alpha/__init__.py");
    let text = std::fs::read_to_string(&init).unwrap();
    std::fs::write(&init, format!("{text}# edited\n")).unwrap();
    refused(
        &env,
        &root,
        &["split", "alpha", "--remote", &url],
        2,
        &[
            "Cannot split alpha",
            "uncommitted changes",
            "packages/alpha/src/alpha/__init__.py",
        ],
    );
    std::fs::write(&init, text).unwrap();
    std::fs::write(root.join("packages/alpha/new.py"), "").unwrap();
    refused(
        &env,
        &root,
        &["split", "alpha", "--remote", &url],
        2,
        &["uncommitted changes", "packages/alpha/new.py"],
    );
    std::fs::remove_file(root.join("packages/alpha/new.py")).unwrap();
    // A package that is not in-tree: after the split, alpha is a submodule.
    ok(&env.run(&root, ["split", "alpha", "--remote", &url]));
    let other = bare(&env, "other");
    refused(
        &env,
        &root,
        &["split", "alpha", "--remote", &other],
        2,
        &["Cannot split alpha", "already a repository of its own"],
    );
}

#[test]
fn split_reads_a_configured_tag_prefix_and_removes_it_from_the_configuration() {
    let env = TestEnv::new();
    let root = env.path().join("product");
    ok(&env.run(&env.path(), ["init", "product"]));
    ok(&env.run(&root, ["new", "alpha", "--in-tree"]));
    crate::support::add_config(
        &root,
        "\n[tool.release_tool.packages.alpha]\ntag_prefix = \"alpha/\"\n",
    );
    set_version(&root.join("packages/alpha"), "0.1.0");
    commit_all(&root, "chore: release alpha 0.1.0");
    git(&root, &["tag", "-a", "-m", "alpha 0.1.0", "alpha/0.1.0"]);
    let url = bare(&env, "alpha");
    let remote = env.path().join("remotes/alpha.git");
    let (_, stderr) = ok(&env.run(&root, ["split", "alpha", "--remote", &url]));
    assert!(stderr.contains("1 tag"), "{stderr}");
    assert_eq!(
        git(&root, &["rev-parse", "alpha/0.1.0:packages/alpha"]),
        git(&remote, &["rev-parse", "v0.1.0^{tree}"])
    );
    let config = std::fs::read_to_string(root.join(crate::support::CONFIG_FILE)).unwrap();
    assert!(
        !config.contains("alpha/") && !config.contains("[tool.release_tool.packages.alpha]"),
        "{config}"
    );
    let changed = git(&root, &["show", "--name-only", "--format=", "HEAD"]);
    assert!(
        changed.lines().any(|l| l == crate::support::CONFIG_FILE),
        "{changed}"
    );
    assert_eq!(git(&root, &["status", "--porcelain"]), "");
}

/// A `split` that stops after its push (here the root's index is locked, so its first root
/// step fails) leaves the remote with the new history: a second `split` goes on from there
/// instead of refusing the remote it filled, and ends as an uninterrupted one does. A remote
/// holding anything else is still refused, with nothing changed.
#[test]
fn split_stopped_after_its_push_goes_on_from_there() {
    let env = TestEnv::new();
    let root = history_workspace(&env);
    let url = bare(&env, "alpha");
    let remote = env.path().join("remotes/alpha.git");
    let root_head = git(&root, &["rev-parse", "HEAD"]);
    let lock = root.join(".git/index.lock");
    std::fs::write(&lock, "").unwrap();
    let out = env.run(&root, ["split", "alpha", "--remote", &url]);
    let stderr = failed(&out, 1);
    assert!(stderr.contains("`split alpha` stopped"), "{stderr}");
    let pushed = git(
        &remote,
        &["for-each-ref", "--format=%(refname) %(objectname)"],
    );
    assert_eq!(pushed.lines().count(), 3, "main and two tags: {pushed}");
    assert_eq!(git(&root, &["rev-parse", "HEAD"]), root_head);
    assert!(root.join("packages/alpha/pyproject.toml").is_file());
    std::fs::remove_file(&lock).unwrap();
    // The pins were re-written before the index step failed: the error's command puts the
    // root back (the commit's files as they are at HEAD).
    let files = "packages/alpha staging/pyproject.toml prod/pyproject.toml";
    assert!(
        stderr.contains(&format!("reset --quiet -- {files} && git -C"))
            && stderr.contains(&format!("checkout -- {files}`")),
        "{stderr}"
    );
    let files: Vec<&str> = files.split(' ').collect();
    git(&root, &[&["reset", "--quiet", "--"][..], &files].concat());
    git(&root, &[&["checkout", "--"][..], &files].concat());
    assert_eq!(git(&root, &["status", "--porcelain"]), "");

    // Another remote with a history of its own: refused, nothing changed.
    let other = bare(&env, "other");
    let other_dir = env.path().join("remotes/other.git");
    git(&root, &["push", "-q", &other, "HEAD:refs/heads/main"]);
    let before = snapshot_tree(&env.path());
    let stderr = failed(&env.run(&root, ["split", "alpha", "--remote", &other]), 2);
    assert!(
        stderr.contains("is not empty (1 ref, e.g. refs/heads/main)"),
        "{stderr}"
    );
    assert_eq!(before, snapshot_tree(&env.path()));
    assert!(other_dir.is_dir());

    // The same remote again: the split goes on, the remote keeps what it had.
    let (_, stderr) = ok(&env.run(&root, ["split", "alpha", "--remote", &url]));
    assert!(
        stderr.contains("already holds what an earlier `split alpha` pushed (3 refs)")
            && stderr.contains("Split alpha into"),
        "{stderr}"
    );
    assert_eq!(
        git(
            &remote,
            &["for-each-ref", "--format=%(refname) %(objectname)"]
        ),
        pushed
    );
    assert_eq!(
        git(&root, &["rev-parse", "HEAD~1"]),
        root_head,
        "one root commit"
    );
    assert_eq!(git(&root, &["status", "--porcelain"]), "");
    let staged = git(&root, &["ls-files", "--stage", "--", "packages/alpha"]);
    assert!(staged.starts_with("160000 "), "a gitlink: {staged}");
    assert_eq!(
        git(&root, &["-C", "packages/alpha", "rev-parse", "HEAD"]),
        git(&remote, &["rev-parse", "main"])
    );
    assert!(
        !root.join(".release_tool/split").exists(),
        "scratch removed"
    );
}
