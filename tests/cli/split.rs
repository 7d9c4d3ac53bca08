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
