//! `-q` and `-v` (issue #23, item 5): `-q` reaches the tools release-tool runs (uv's `--quiet`,
//! git's network calls always quiet), `-v` says after the output what was checked and how long
//! it took. Durations are filtered (`[TIME]`).

use std::path::Path;

use crate::support::{TestEnv, commit_file, ok, outputs};

/// The snapshot filters plus durations (`12 ms`, `1.25 s`).
fn settings(env: &TestEnv) -> insta::Settings {
    let mut settings = env.insta_settings();
    settings.add_filter(r"\b\d+(\.\d+)? ?m?s\b", "[TIME]");
    settings
}

/// The lines of `stderr` from the first that starts with `from`, durations filtered.
fn tail_from(stderr: &str, from: &str) -> String {
    let re = regex::Regex::new(r"\b\d+(\.\d+)? ?m?s\b").unwrap();
    let start = stderr
        .find(from)
        .unwrap_or_else(|| panic!("no line starting with {from:?} in:\n{stderr}"));
    re.replace_all(&stderr[start..], "[TIME]").into_owned()
}

fn run_v(env: &TestEnv, root: &Path, args: &[&str]) -> (String, String) {
    let out = env
        .cmd(root)
        .args(args)
        .env("RELEASE_TOOL_CACHE_RACY_MS", "0")
        .output()
        .expect("run release-tool");
    ok(&out)
}

#[test]
fn status_v_says_what_was_read_from_the_caches_and_how_long_it_took() {
    let env = TestEnv::new();
    let root = env.demo_released();
    // The first `status` fills the caches; without -v it says nothing of them.
    let (_, stderr) = run_v(&env, &root, &["status"]);
    assert!(!stderr.contains("Read 3 packages"), "{stderr}");
    // The second reads every package from them.
    let (_, stderr) = run_v(&env, &root, &["status", "-v"]);
    settings(&env).bind(|| {
        insta::assert_snapshot!(
            tail_from(&stderr, "Read "),
            @"Read 3 packages in [TIME]: 3 from the status cache, 0 with git status; tag distances: 3 cached, 0 counted by git (discover [TIME], read [TIME], render [TIME])"
        );
    });
    // A package changed since: asked of git again.
    commit_file(
        &root.join("packages/data-loader"),
        "NOTES.md",
        "x\n",
        "docs: notes",
    );
    let (_, stderr) = run_v(&env, &root, &["status", "-v", "--fetch"]);
    assert_eq!(
        tail_from(&stderr, "Read "),
        "Read 3 packages in [TIME]: remotes fetched first; 2 from the status cache, 1 with git status; tag distances: 2 cached, 1 counted by git (discover [TIME], read [TIME], render [TIME])\n"
    );
}

#[test]
fn release_dry_run_v_says_what_was_planned_and_how_long_it_took() {
    let env = TestEnv::new();
    let root = env.demo_released();
    commit_file(
        &root.join("packages/data-loader"),
        "src/data_loader/extra.py",
        "X = 1\n",
        "fix: say hi",
    );
    let (stdout, stderr) = run_v(&env, &root, &["release", "--dry-run", "-v"]);
    assert!(stdout.contains("data-loader:") || stderr.contains("data-loader:"));
    let tail = tail_from(&stderr, "Planned ");
    let re = regex::Regex::new(
        r"^Planned 1 package in \[TIME\]: \d+ steps \(plan \[TIME\], render \[TIME\]\)\nRan `release` in \[TIME\]\n$",
    )
    .unwrap();
    assert!(re.is_match(&tail), "{tail}");
    // Without -v: neither line.
    let (_, stderr) = run_v(&env, &root, &["release", "--dry-run"]);
    assert!(
        !stderr.contains("Planned ") && !stderr.contains("Ran `release`"),
        "{stderr}"
    );
}

#[test]
fn every_command_says_how_long_it_took_with_v() {
    let env = TestEnv::new();
    let root = env.demo_released();
    let (_, stderr) = run_v(&env, &root, &["notes", "-v"]);
    assert!(
        tail_from(&stderr, "Ran ").starts_with("Ran `notes` in [TIME]"),
        "{stderr}"
    );
    let (_, stderr) = run_v(&env, &root, &["config", "show", "-v"]);
    assert!(
        tail_from(&stderr, "Ran ").starts_with("Ran `config` in [TIME]"),
        "{stderr}"
    );
}

#[test]
fn sync_dev_q_and_qq_print_nothing_from_uv() {
    let env = TestEnv::new();
    let root = env.demo();
    for flag in ["-q", "-qq"] {
        let _ = std::fs::remove_dir_all(root.join(".venv"));
        let out = env.run_uv(&root, ["sync", "dev", flag]);
        let (stdout, stderr) = ok(&out);
        // uv got `--quiet` (once or twice): no resolution or install lines; our notes are
        // hidden too, so nothing at all.
        assert_eq!(stderr, "", "sync dev {flag}");
        assert_eq!(stdout, "", "sync dev {flag}");
        assert!(root.join(".venv/pyvenv.cfg").is_file(), "sync dev {flag}");
    }
    // Without -q, uv's lines are there (the test would prove nothing otherwise).
    let _ = std::fs::remove_dir_all(root.join(".venv"));
    let out = env.run_uv(&root, ["sync", "dev"]);
    let stderr = outputs(&out).1;
    assert!(stderr.contains("Resolved"), "{stderr}");
}

#[test]
fn git_network_calls_are_quiet_and_q_leaves_only_data() {
    let env = TestEnv::new();
    let root = env.demo_released();
    // `-vv` traces the commands: the fetches ask git for no progress.
    let (_, stderr) = run_v(&env, &root, &["status", "--fetch", "-vv"]);
    let fetches: Vec<&str> = stderr.lines().filter(|l| l.contains("git fetch")).collect();
    assert_eq!(fetches.len(), 3, "{stderr}");
    assert!(
        fetches.iter().all(|l| l.contains("git fetch --quiet ")),
        "{stderr}"
    );
    // `-q`: the table on stdout, nothing on stderr (git's fetch included).
    let (stdout, stderr) = run_v(&env, &root, &["status", "--fetch", "-q"]);
    assert_eq!(stderr, "");
    assert!(stdout.contains("core-utils"), "{stdout}");
}
