//! The workspace of the trunk-based release tests: a root and three packages `a` <- `b` <- `c`
//! (c depends on b, b on a), all at `0.1.0.dev0`, each with a `feat:` commit pushed to its bare
//! `file://` remote, and a root with a bare remote too.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::{TestEnv, commit_file, git, outputs, snapshot_tree};

/// The packages, in dependency order.
pub const NAMES: [&str; 3] = ["a", "b", "c"];

/// Where the world's packages live: each in its own repository (a submodule with its own
/// remote), all in the root repository (in-tree: plain directories of the root, as `uv init
/// --package packages/a` makes them), or mixed: `a` in-tree, `b` and `c` submodules (a
/// submodule package depending on an in-tree one). `InTreeOnTop` (`c` in-tree over the
/// submodules `a` and `b`) is the direction uv cannot install from the root's tags, which
/// `release` refuses (docs/in-tree.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    Submodules,
    InTree,
    Mixed,
    InTreeOnTop,
}

/// The layouts every release, no-lost-work and fault test runs for.
pub const LAYOUTS: [Layout; 3] = [Layout::Submodules, Layout::InTree, Layout::Mixed];

impl Layout {
    /// Whether package `name` lives in the root repository in this layout.
    pub fn in_tree(self, name: &str) -> bool {
        match self {
            Layout::Submodules => false,
            Layout::InTree => true,
            Layout::Mixed => name == "a",
            Layout::InTreeOnTop => name == "c",
        }
    }
}

/// Build the workspace under `base`: the root at `<base>/product`, the remotes at
/// `<base>/remotes/{root,a,b,c}.git`. Returns the root.
pub fn build(env: &TestEnv, base: &Path) -> PathBuf {
    build_layout(env, base, Layout::Submodules)
}

/// Write an in-tree package `name` (depending on `dep`) into the root at `root`, the files
/// `new` scaffolds, and add it to the root's `pyproject.toml` as `new` does; uncommitted.
pub fn write_in_tree(root: &Path, name: &str, dep: Option<&str>) {
    let dir = root.join("packages").join(name);
    std::fs::create_dir_all(dir.join("src").join(name)).unwrap();
    let deps = dep.map_or_else(String::new, |d| format!("\n    \"{d}\",\n"));
    std::fs::write(
        dir.join("pyproject.toml"),
        format!(
            "[project]\nname = \"{name}\"\nversion = \"0.1.0.dev0\"\n\
             description = \"The {name} micro-package.\"\nreadme = \"README.md\"\n\
             requires-python = \">=3.10\"\ndependencies = [{deps}]\n\n\
             [build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n\n\
             [tool.hatch.build.targets.wheel]\npackages = [\"src/{name}\"]\n"
        ),
    )
    .unwrap();
    std::fs::write(dir.join("README.md"), format!("# {name}\n")).unwrap();
    std::fs::write(
        dir.join("src").join(name).join("__init__.py"),
        format!("\"\"\"The {name} micro-package.\"\"\"\n"),
    )
    .unwrap();
    let manifest = root.join("pyproject.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let mut out = String::new();
    for line in text.lines() {
        if let Some(list) = line
            .strip_prefix("dependencies = [")
            .and_then(|l| l.strip_suffix(']'))
        {
            let mut items: Vec<String> = list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            items.push(format!("\"{name}\""));
            out.push_str(&format!("dependencies = [{}]\n", items.join(", ")));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push_str(&format!("{name} = {{ workspace = true }}\n"));
    std::fs::write(&manifest, out).unwrap();
}

/// [`build`] in a [`Layout`].
pub fn build_layout(env: &TestEnv, base: &Path, layout: Layout) -> PathBuf {
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
        if layout.in_tree(name) {
            write_in_tree(&root, name, i.checked_sub(1).map(|d| NAMES[d]));
            git(&root, &["add", "-A"]);
            git(
                &root,
                &["commit", "-q", "-m", &format!("chore: scaffold {name}")],
            );
            continue;
        }
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
        if layout.in_tree(name) {
            commit_file(
                &root,
                &format!("packages/{name}/src/{name}/feature.py"),
                "VALUE = 1\n",
                &format!("feat: {name} learns a feature"),
            );
            continue;
        }
        commit_file(
            &pkg,
            &format!("src/{name}/feature.py"),
            "VALUE = 1\n",
            &format!("feat: {name} learns a feature"),
        );
        git(&pkg, &["push", "-q", "origin", "main"]);
    }
    git(&root, &["add", "-A"]);
    if !git(&root, &["status", "--porcelain"]).is_empty() {
        git(
            &root,
            &["commit", "-q", "-m", "chore: packages with features"],
        );
    }
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
    pub layout: Layout,
}

impl World {
    pub fn new() -> Self {
        Self::with_layout(Layout::Submodules)
    }

    /// A world whose packages live as `layout` says.
    pub fn with_layout(layout: Layout) -> Self {
        let env = TestEnv::new();
        let root = build_layout(&env, &env.path(), layout);
        Self { env, root, layout }
    }

    /// The repository package `name`'s commits and tags live in.
    pub fn repo_of(&self, name: &str) -> PathBuf {
        if self.layout.in_tree(name) {
            self.root.clone()
        } else {
            self.pkg(name)
        }
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
        let own: Vec<&str> = NAMES
            .iter()
            .copied()
            .filter(|n| !self.layout.in_tree(n))
            .collect();
        let mut repos = vec![self.root.clone()];
        repos.extend(own.iter().map(|n| self.pkg(n)));
        repos.push(self.remote("root"));
        repos.extend(own.iter().map(|n| self.remote(n)));
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
