//! `foreach`: one command in every package, in parallel, output grouped per package.

use serde_json::Value;

use crate::support::{TestEnv, outputs, snapshot_tree};

#[test]
fn prints_one_block_per_package_in_name_order() {
    let env = TestEnv::new();
    let root = env.demo();
    let out = env.run(
        &root,
        ["foreach", "--", "git", "rev-parse", "--abbrev-ref", "HEAD"],
    );
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(stdout, "main\nmain\nmain\n");
    env.insta_settings()
        .bind(|| insta::assert_snapshot!("blocks_stderr", stderr));
}

#[test]
fn runs_in_the_package_directory_with_its_name_in_the_environment() {
    let env = TestEnv::new();
    let root = env.demo();
    let out = env.run(
        &root.join("packages/model-api"),
        [
            "foreach",
            "--",
            "sh",
            "-c",
            "echo \"$RELEASE_TOOL_PACKAGE $(pwd) $RELEASE_TOOL_ROOT\"",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let r = root.display();
    assert_eq!(
        outputs(&out).0,
        format!(
            "core-utils {r}/packages/core-utils {r}\n\
             data-loader {r}/packages/data-loader {r}\n\
             model-api {r}/packages/model-api {r}\n"
        )
    );
}

#[test]
fn a_failing_package_fails_the_run_and_is_named_in_the_summary() {
    let env = TestEnv::new();
    let root = env.demo();
    let out = env.run(
        &root,
        [
            "foreach",
            "--",
            "sh",
            "-c",
            "echo \"checking $RELEASE_TOOL_PACKAGE\"; test \"$RELEASE_TOOL_PACKAGE\" != data-loader",
        ],
    );
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stdout,
        "checking core-utils\nchecking data-loader\nchecking model-api\n"
    );
    assert!(
        stderr.contains(
            "── data-loader (packages/data-loader) ──\nerror: Command failed in data-loader (exit 1)\n── model-api"
        ),
        "{stderr}"
    );
    assert!(
        stderr.ends_with("3 packages: 2 ok, 1 failed (data-loader: exit 1)\n"),
        "{stderr}"
    );
}

#[test]
fn parallel_output_is_never_interleaved() {
    let env = TestEnv::new();
    let root = env.demo();
    // Each package writes 200 lines to stdout and 200 to stderr, alternating, as fast as it can.
    let script = "i=0; while [ $i -lt 200 ]; do i=$((i+1)); \
                  echo \"$RELEASE_TOOL_PACKAGE out $i\"; echo \"$RELEASE_TOOL_PACKAGE err $i\" >&2; done";
    let out = env.run(&root, ["-j", "3", "foreach", "--", "sh", "-c", script]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let mut expected = String::new();
    for name in ["core-utils", "data-loader", "model-api"] {
        for i in 1..=200 {
            expected.push_str(&format!("{name} out {i}\n{name} err {i}\n"));
        }
    }
    // Every block is contiguous, in package order, and keeps the order the command wrote in.
    assert!(stdout == expected, "output interleaved:\n{stdout}");
    assert_eq!(
        stderr,
        "── core-utils (packages/core-utils) ──\n── data-loader (packages/data-loader) ──\n\
         ── model-api (packages/model-api) ──\n3 packages: 3 ok\n"
    );
}

#[test]
fn json_lists_every_package_with_its_output_and_exit_code() {
    let env = TestEnv::new();
    let root = env.demo();
    let out = env.run(
        &root,
        [
            "foreach",
            "--json",
            "--",
            "sh",
            "-c",
            "echo \"out $RELEASE_TOOL_PACKAGE\"; echo oops >&2; [ \"$RELEASE_TOOL_PACKAGE\" != model-api ]",
        ],
    );
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let json: Value = crate::support::json_doc(&stdout)["packages"].clone();
    assert_eq!(
        json,
        serde_json::json!([
            {"package": "core-utils", "path": "packages/core-utils", "exit_code": 0,
             "stdout": "out core-utils\n", "stderr": "oops\n", "error": null},
            {"package": "data-loader", "path": "packages/data-loader", "exit_code": 0,
             "stdout": "out data-loader\n", "stderr": "oops\n", "error": null},
            {"package": "model-api", "path": "packages/model-api", "exit_code": 1,
             "stdout": "out model-api\n", "stderr": "oops\n", "error": null},
        ])
    );
    assert!(!stderr.contains("──"), "no block headings with --json");
    assert!(stderr.ends_with("3 packages: 2 ok, 1 failed (model-api: exit 1)\n"));
}

#[test]
fn package_selection() {
    let env = TestEnv::new();
    let root = env.demo();
    let out = env.run(
        &root,
        [
            "-p",
            "model-api",
            "-p",
            "Core_Utils",
            "foreach",
            "--",
            "sh",
            "-c",
            "echo $RELEASE_TOOL_PACKAGE",
        ],
    );
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(stdout, "core-utils\nmodel-api\n");
    assert!(stderr.ends_with("2 packages: 2 ok\n"), "{stderr}");
}

#[test]
fn dry_run_runs_nothing() {
    let env = TestEnv::new();
    let root = env.demo();
    let before = snapshot_tree(&env.path());
    let out = env.run(&root, ["foreach", "--dry-run", "--", "touch", "marker"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(
        stdout,
        "core-utils: run (cd packages/core-utils && touch marker)\n\
         data-loader: run (cd packages/data-loader && touch marker)\n\
         model-api: run (cd packages/model-api && touch marker)\n"
    );
    assert_eq!(
        stderr,
        "Dry run: would run in 3 packages, nothing was run\n"
    );
    let out = env.run(
        &root,
        [
            "foreach",
            "--dry-run",
            "--json",
            "-p",
            "data-loader",
            "--",
            "touch",
            "it's",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let json: Value = crate::support::json_doc(&out.stdout)["steps"].clone();
    assert_eq!(
        json,
        serde_json::json!([{"package": "data-loader", "action": "run",
            "detail": "(cd packages/data-loader && touch 'it'\\''s')",
            "argv": ["touch", "it's"], "dir": "packages/data-loader"}])
    );
    assert_eq!(before, snapshot_tree(&env.path()), "dry run touched files");
}

#[test]
fn a_command_that_cannot_start_fails_each_package_clearly() {
    let env = TestEnv::new();
    let root = env.demo();
    let out = env.run(
        &root,
        [
            "-p",
            "core-utils",
            "foreach",
            "--",
            "release-tool-no-such-command",
            "x",
        ],
    );
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout.is_empty());
    assert!(
        stderr.contains(&format!(
            "error: Cannot run `release-tool-no-such-command` in {}/packages/core-utils: command not found on PATH\n",
            root.display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("hint: check the program name"), "{stderr}");
    assert!(
        stderr.ends_with("1 package: 0 ok, 1 failed (core-utils: could not start)\n"),
        "{stderr}"
    );
}

#[test]
fn foreach_without_a_command_is_a_usage_error() {
    let env = TestEnv::new();
    let root = env.demo();
    let before = snapshot_tree(&env.path());
    for args in [&["foreach"][..], &["foreach", "--"][..]] {
        let out = env.run(&root, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let (stdout, stderr) = outputs(&out);
        assert!(stdout.is_empty());
        assert!(
            stderr.starts_with(
                "error: the following required arguments were not provided:\n  <CMD>..."
            ),
            "{stderr}"
        );
    }
    assert_eq!(before, snapshot_tree(&env.path()));
}

#[test]
fn unknown_package_is_a_usage_error() {
    let env = TestEnv::new();
    let root = env.demo();
    let before = snapshot_tree(&env.path());
    let out = env.run(
        &root,
        ["-p", "data-loadr", "foreach", "--", "touch", "marker"],
    );
    assert_eq!(out.status.code(), Some(2));
    let (stdout, stderr) = outputs(&out);
    assert!(stdout.is_empty());
    assert_eq!(
        stderr,
        format!(
            "error: No package named `data-loadr` in {}\nhint: did you mean `data-loader`?\n",
            root.display()
        )
    );
    assert_eq!(before, snapshot_tree(&env.path()));
}

#[test]
fn uninitialized_submodules_are_skipped_with_a_warning() {
    let env = TestEnv::new();
    let root = env.demo();
    let clone = crate::support::clone_root(&env, &root, &["packages/core-utils"]);
    let out = env.run(
        &clone,
        ["foreach", "--", "sh", "-c", "echo $RELEASE_TOOL_PACKAGE"],
    );
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(stdout, "core-utils\n");
    assert!(
        stderr.starts_with(
            "warning: Skipping data-loader (packages/data-loader): submodule not initialized \
             (run `git submodule update --init -- packages/data-loader`)\n\
             warning: Skipping model-api (packages/model-api): submodule not initialized"
        ),
        "{stderr}"
    );
    assert!(
        stderr.ends_with("3 packages: 1 ok, 2 skipped\n"),
        "{stderr}"
    );
}
