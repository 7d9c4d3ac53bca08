//! The workspace of the trunk-based release tests: a root and three packages `a` <- `b` <- `c`
//! (c depends on b, b on a), all at `0.1.0.dev0`, each with a `feat:` commit pushed to its bare
//! `file://` remote, and a root with a bare remote too.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::{TestEnv, commit_file, git, outputs, snapshot_tree};

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

/// `SOURCE_DATE_EPOCH` of the world's runs: 2026-01-01, so that commits, tags and changelog
/// dates are the same in every run.
pub const EPOCH: &str = "1767225600";

/// A trunk world in its own temp dir: `<tmp>/product` (the root, built by [`build`]) and
/// `<tmp>/remotes/{root,a,b,c}.git`. The one world of the release, fault and no-lost-work
/// tests; a test module adds what only it needs in an `impl World` of its own.
pub struct World {
    pub env: TestEnv,
    pub root: PathBuf,
}

impl World {
    pub fn new() -> Self {
        let env = TestEnv::new();
        let root = build(&env, &env.path());
        Self { env, root }
    }

    pub fn pkg(&self, name: &str) -> PathBuf {
        self.root.join("packages").join(name)
    }

    pub fn remote(&self, name: &str) -> PathBuf {
        self.env.path().join("remotes").join(format!("{name}.git"))
    }

    /// `release-tool` in the root, with uv available and a fixed date ([`EPOCH`]).
    pub fn cmd(&self) -> Command {
        let mut cmd = self.env.cmd_uv(&self.root);
        cmd.env("SOURCE_DATE_EPOCH", EPOCH);
        cmd
    }

    /// `release-tool ARGS` in the root ([`World::cmd`]).
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("run release-tool")
    }

    /// `release-tool release ARGS` in the root ([`World::cmd`]).
    pub fn release(&self, args: &[&str]) -> Output {
        self.cmd()
            .arg("release")
            .args(args)
            .output()
            .expect("run release-tool")
    }

    /// Every repository of the world: the root, its packages, and the bare remotes.
    pub fn repos(&self) -> Vec<PathBuf> {
        let mut repos = vec![self.root.clone()];
        repos.extend(NAMES.iter().map(|n| self.pkg(n)));
        repos.push(self.remote("root"));
        repos.extend(NAMES.iter().map(|n| self.remote(n)));
        repos
    }

    /// The whole state of the world: refs, stashes and status of every repository, then
    /// every file (work trees, git directories, bare remotes). `git status` runs first, so
    /// that an index whose stat data was stale is refreshed before the files are read.
    pub fn state(&self) -> Vec<String> {
        let mut state = Vec::new();
        for repo in self.repos() {
            state.push(format!("== {}", repo.display()));
            state.push(git(&repo, &["for-each-ref"]));
            if repo.extension().is_none_or(|e| e != "git") {
                state.push(git(&repo, &["stash", "list"]));
                state.push(git(&repo, &["status", "--porcelain"]));
            }
        }
        state.extend(snapshot_tree(&self.env.path()));
        state
    }

    /// The journal of the last run, if there is one (and it parses).
    pub fn journal(&self) -> Option<serde_json::Value> {
        let text = std::fs::read_to_string(self.journal_path()).ok()?;
        serde_json::from_str(&text).ok()
    }

    pub fn write_journal(&self, journal: &serde_json::Value) {
        std::fs::write(
            self.journal_path(),
            serde_json::to_string_pretty(journal).unwrap(),
        )
        .unwrap();
    }

    fn journal_path(&self) -> PathBuf {
        self.root.join(".release_tool/journal.json")
    }
}
