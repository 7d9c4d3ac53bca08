//! Bad workspaces and configurations: a clear error, exit 2, and nothing changed on disk.

use crate::support::{TestEnv, outputs, snapshot_tree, write_config};

#[test]
fn not_a_workspace() {
    let env = TestEnv::new();
    let before = snapshot_tree(&env.path());
    let out = env.run(&env.path(), ["status"]);
    assert_eq!(out.status.code(), Some(2));
    let (stdout, stderr) = outputs(&out);
    assert!(stdout.is_empty());
    env.insta_settings()
        .bind(|| insta::assert_snapshot!(stderr));
    assert_eq!(before, snapshot_tree(&env.path()));
}

#[test]
fn root_dir_that_does_not_exist() {
    let env = TestEnv::new();
    let out = env.run(&env.path(), ["-C", "nope", "status"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(outputs(&out).1.contains("does not exist"));
}

#[test]
fn unknown_config_key_names_key_file_line_and_nearest() {
    let env = TestEnv::new();
    let root = env.demo();
    write_config(
        &root,
        "[tool.release_tool]\ntag_prefix = \"v\"\ngit_remot = \"origin\"\n",
    );
    let before = snapshot_tree(&root);
    let out = env.run(&root, ["status"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = outputs(&out).1;
    assert!(
        stderr.contains("Unknown configuration key `tool.release_tool.git_remot` in")
            && stderr.contains("release_tool.toml:3:1; did you mean `git_remote`?"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: rename `git_remot` to `git_remote`"),
        "{stderr}"
    );
    assert_eq!(before, snapshot_tree(&root));
}

#[test]
fn config_in_root_pyproject_is_read_and_checked() {
    let env = TestEnv::new();
    let root = env.demo();
    std::fs::remove_file(root.join("release_tool.toml")).unwrap();
    let mut text = std::fs::read_to_string(root.join("pyproject.toml")).unwrap();
    text.push_str("\n[tool.release_tool]\ntag_prefx = \"v\"\n");
    std::fs::write(root.join("pyproject.toml"), &text).unwrap();
    let out = env.run(&root, ["status"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(outputs(&out).1.contains("did you mean `tag_prefix`?"));
}

#[test]
fn malformed_config_reports_position() {
    let env = TestEnv::new();
    let root = env.demo();
    write_config(&root, "[tool.release_tool]\ntag_prefix = \n");
    let out = env.run(&root, ["status"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = outputs(&out).1;
    assert!(
        stderr.contains("Malformed TOML in") && stderr.contains("release_tool.toml:2:"),
        "{stderr}"
    );
}

#[test]
fn unknown_package_selection_suggests_nearest() {
    let env = TestEnv::new();
    let root = env.demo();
    let out = env.run(&root, ["-p", "core-util", "status"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = outputs(&out).1;
    assert!(
        stderr.contains("No package named `core-util`")
            && stderr.contains("did you mean `core-utils`?"),
        "{stderr}"
    );
}

#[test]
fn demo_refuses_a_non_empty_directory_and_changes_nothing() {
    let env = TestEnv::new();
    std::fs::create_dir(env.path().join("taken")).unwrap();
    std::fs::write(env.path().join("taken/keep.txt"), "mine").unwrap();
    let before = snapshot_tree(&env.path());
    let out = env.run(&env.path(), ["demo", "taken"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(outputs(&out).1.contains("already exists and is not empty"));
    assert_eq!(before, snapshot_tree(&env.path()));
}
