//! The workspace of the trunk-based release tests: a root and three packages `a` <- `b` <- `c`
//! (c depends on b, b on a), all at `0.1.0.dev0`, each with a `feat:` commit pushed to its bare
//! `file://` remote, and a root with a bare remote too.

use std::path::{Path, PathBuf};

use super::{TestEnv, commit_file, git, outputs};

/// The packages, in dependency order.
pub const NAMES: [&str; 3] = ["a", "b", "c"];

/// Build the workspace under `base`: the root at `<base>/product`, the remotes at
/// `<base>/remotes/{root,a,b,c}.git`. Returns the root.
pub fn build(env: &TestEnv, base: &Path) -> PathBuf {
    let run_ok = |dir: &Path, args: &[&str]| {
        let out = env.run(dir, args);
        let (stdout, stderr) = outputs(&out);
        assert!(
            out.status.success(),
            "{args:?} failed:\nstdout: {stdout}\nstderr: {stderr}"
        );
    };
    std::fs::create_dir_all(base).unwrap();
    run_ok(base, &["init", "product", "-q"]);
    let root = base.join("product");
    let remote = |name: &str| base.join("remotes").join(format!("{name}.git"));
    bare(&remote("root"));
    git(&root, &["remote", "add", "origin", &url(&remote("root"))]);
    git(&root, &["push", "-q", "-u", "origin", "main"]);
    for (i, name) in NAMES.iter().enumerate() {
        bare(&remote(name));
        let remote_url = url(&remote(name));
        let mut args = vec!["new", name, "--remote", remote_url.as_str(), "-q"];
        if i > 0 {
            args.extend(["--dep", NAMES[i - 1]]);
        }
        run_ok(&root, &args);
    }
    for name in NAMES {
        let pkg = root.join("packages").join(name);
        commit_file(
            &pkg,
            &format!("src/{name}/feature.py"),
            "VALUE = 1\n",
            &format!("feat: {name} learns a feature"),
        );
        git(&pkg, &["push", "-q", "origin", "main"]);
    }
    git(&root, &["add", "-A"]);
    git(
        &root,
        &["commit", "-q", "-m", "chore: packages with features"],
    );
    git(&root, &["push", "-q", "origin", "main"]);
    root
}

/// A bare repository with `main` as its default branch.
pub fn bare(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    git(dir, &["init", "-q", "--bare", "-b", "main"]);
}

/// The `file://` URL of a local repository.
pub fn url(dir: &Path) -> String {
    format!("file://{}", dir.display())
}
