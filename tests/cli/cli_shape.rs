//! The shape of the command line: version, help listing every docs/reference.md §3 command, stubs.

use crate::support::{TestEnv, outputs};

#[test]
fn version_prints_the_crate_version() {
    let env = TestEnv::new();
    let out = env.run(&env.path(), ["--version"]);
    assert!(out.status.success());
    assert_eq!(
        outputs(&out).0,
        format!("release-tool {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn help_lists_every_command() {
    let env = TestEnv::new();
    let out = env.run(&env.path(), ["--help"]);
    assert!(out.status.success());
    let (stdout, _) = outputs(&out);
    insta::assert_snapshot!(stdout);
    for command in [
        "init",
        "new",
        "add",
        "remove",
        "status",
        "update",
        "foreach",
        "check",
        "migrate",
        "sync",
        "lock",
        "manifests",
        "publish",
        "branch",
        "changes",
        "commit",
        "notes",
        "prepare",
        "tag",
        "next",
        "docker",
        "release",
        "clear",
        "demo",
        "ci",
        "config",
        "completions",
        "man",
    ] {
        assert!(
            stdout.lines().any(|l| l.trim_start().starts_with(command)),
            "{command} missing from --help"
        );
    }
    for alias in 0..=7 {
        assert!(
            stdout.contains(&format!("stage{alias}")),
            "alias stage{alias} missing"
        );
    }
}

#[test]
fn stage_aliases_reach_their_commands() {
    let env = TestEnv::new();
    let out = env.run(&env.path(), ["stage4", "--help"]);
    assert!(out.status.success());
    assert!(outputs(&out).0.contains("--bump"));
}

#[test]
fn stage7_is_docker() {
    let env = TestEnv::new();
    let out = env.run(&env.path(), ["stage7", "--help"]);
    assert!(out.status.success());
    let help = outputs(&out).0;
    assert!(
        help.contains("--build") && help.contains("--ca-bundle"),
        "{help}"
    );
    // Outside a workspace: the usual usage error.
    let out = env.run(&env.path(), ["docker"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn bad_usage_exits_2() {
    let env = TestEnv::new();
    let out = env.run(&env.path(), ["status", "--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2));
    let out = env.run(&env.path(), ["-j", "0", "status"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn global_flags_work_after_the_command() {
    let env = TestEnv::new();
    let root = env.demo();
    let out = env.run(
        &env.path(),
        ["status", "--json", "-C", root.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", outputs(&out).1);
    let v = crate::support::json_doc(&out.stdout);
    assert_eq!(v["packages"].as_array().unwrap().len(), 3);
}

/// The exit codes of docs/commands.md#exit-codes, one representative each.
#[test]
fn exit_codes_are_0_ok_1_failure_2_usage() {
    let env = TestEnv::new();
    let root = env.demo();
    let code = |args: &[&str]| env.run(&root, args).status.code();
    // 0: success, and help.
    assert_eq!(code(&["status"]), Some(0));
    assert_eq!(code(&["status", "--help"]), Some(0));
    // 1: problems found (the unreleased demo has no pins), a command that failed.
    assert_eq!(code(&["check", "--no-locks"]), Some(1));
    assert_eq!(code(&["foreach", "--", "false"]), Some(1));
    // 2: bad usage, from the command line or from what it names.
    assert_eq!(code(&["status", "--no-such-flag"]), Some(2));
    assert_eq!(code(&["status", "-p", "no-such-package"]), Some(2));
    assert_eq!(code(&["--json", "man"]), Some(2));
    let outside = env.run(&env.path(), ["status"]).status.code();
    assert_eq!(outside, Some(2), "not a workspace");
}

/// A global flag the command does not use is refused with the reason (exit 2), before anything
/// runs; `help <command>` shows that command's help without the flag (issue #23).
#[test]
fn a_global_flag_a_command_does_not_use_is_refused_and_help_works() {
    let env = TestEnv::new();
    let root = env.demo();
    let before = crate::support::snapshot_tree(&root);
    for (args, says) in [
        (
            &["status", "--dry-run"][..],
            "`--dry-run` does not apply to `release-tool status`: it changes nothing",
        ),
        (
            &["sync", "dev", "-p", "core-utils"],
            "`-p/--package` does not apply to `release-tool sync`",
        ),
        (
            &["-p", "core-utils", "lock", "dev"],
            "`-p/--package` does not apply to `release-tool lock`",
        ),
    ] {
        let out = env.run(&root, args);
        let (_, stderr) = outputs(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    assert_eq!(
        crate::support::snapshot_tree(&root),
        before,
        "nothing changed"
    );
    let out = env.run(&root, ["help", "status"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("Usage: release-tool status"), "{stdout}");
    assert!(!stdout.contains("--dry-run"), "{stdout}");
    let out = env.run(&root, ["sync", "--help"]);
    assert!(
        !outputs(&out).0.contains("--package"),
        "{}",
        outputs(&out).0
    );
}
