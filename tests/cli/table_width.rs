//! Tables fit the terminal (`COLUMNS`, or the terminal's width): low-value columns go first,
//! PROBLEMS wraps with one problem per line, and a pipe without `COLUMNS` keeps the full text
//! (docs/reference.md, Output).

use std::path::Path;

use crate::support::{TestEnv, commit_file, git, outputs};

fn widest(text: &str) -> usize {
    text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

fn run_at(env: &TestEnv, dir: &Path, columns: usize, args: &[&str]) -> (Option<i32>, String) {
    let out = env
        .cmd_uv(dir)
        .env("COLUMNS", columns.to_string())
        .args(args)
        .output()
        .expect("run release-tool");
    let (stdout, stderr) = outputs(&out);
    if out.status.code() != Some(0) {
        eprintln!("{stderr}");
    }
    (out.status.code(), stdout)
}

/// The demo after its release, with long problems: a pyproject without a name, a package whose
/// remote cannot be fetched (git's multi-line error), uncommitted work.
fn troubled_workspace(env: &TestEnv) -> std::path::PathBuf {
    let root = env.demo_released();
    std::fs::write(
        root.join("packages/model-api/pyproject.toml"),
        "[project]\nversion = \"1.0\"\n",
    )
    .unwrap();
    git(
        &root.join("packages/core-utils"),
        &[
            "remote",
            "set-url",
            "origin",
            "/nonexistent/remote/core-utils.git",
        ],
    );
    commit_file(
        &root.join("packages/data-loader"),
        "notes.txt",
        "x\n",
        "docs: a note",
    );
    root
}

#[test]
fn status_fits_80_and_120_columns_and_a_pipe_keeps_the_full_text() {
    let env = TestEnv::new();
    let root = troubled_workspace(&env);
    let (code, narrow) = run_at(&env, &root, 80, &["status", "--fetch"]);
    assert_eq!(code, Some(1), "{narrow}");
    assert!(widest(&narrow) <= 80, "{narrow}");
    let (_, wide) = run_at(&env, &root, 120, &["status", "--fetch"]);
    assert!(widest(&wide) <= 120, "{wide}");
    env.insta_settings().bind(|| {
        insta::assert_snapshot!("status_80", narrow);
        insta::assert_snapshot!("status_120", wide);
    });
    // A pipe without COLUMNS: every column, one line per package.
    let out = env.run(&root, ["status", "--fetch"]);
    let (piped, _) = outputs(&out);
    assert_eq!(piped.lines().count(), 4, "{piped}");
    assert!(piped.lines().next().unwrap().contains("PATH"), "{piped}");
}

#[test]
fn check_and_the_release_table_fit_80_columns() {
    let env = TestEnv::new();
    let root = troubled_workspace(&env);
    let (code, check) = run_at(&env, &root, 80, &["check"]);
    assert_eq!(code, Some(1), "{check}");
    assert!(widest(&check) <= 80, "{check}");
    env.insta_settings()
        .bind(|| insta::assert_snapshot!("check_80", check));

    let env = TestEnv::new();
    let root = env.demo_released();
    commit_file(
        &root.join("packages/core-utils"),
        "src/core_utils/extra.py",
        "X = 1\n",
        "feat: an extra constant for the width test",
    );
    let (code, table) = run_at(
        &env,
        &root,
        80,
        &["release", "--bump", "patch", "--no-product"],
    );
    assert_eq!(code, Some(0), "{table}");
    assert!(widest(&table) <= 80, "{table}");
    assert!(table.contains("core-utils"), "{table}");
}

/// On a real pseudo-terminal of 80 columns (util-linux `script`), without `COLUMNS`: the
/// terminal's own width is used.
#[test]
fn a_pseudo_terminal_of_80_columns_gets_a_table_of_80() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        panic!("util-linux `script` is needed for this test (apt-get install bsdutils)");
    }
    let env = TestEnv::new();
    let root = troubled_workspace(&env);
    let bin = env!("CARGO_BIN_EXE_release-tool");
    let out = std::process::Command::new("script")
        .args([
            "-qec",
            &format!("stty cols 80 rows 40; '{bin}' status --fetch"),
            "/dev/null",
        ])
        .current_dir(&root)
        .envs(crate::support::GIT_ENV.iter().copied())
        .env_remove("COLUMNS")
        .env("NO_COLOR", "1")
        .output()
        .expect("run script");
    let text = String::from_utf8_lossy(&out.stdout).replace('\r', "");
    assert!(text.contains("PACKAGE"), "{text}");
    assert!(widest(&text) <= 80, "{text}");
    assert!(
        !text.contains("PATH "),
        "PATH is left out at 80 columns: {text}"
    );
}
