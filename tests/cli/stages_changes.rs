//! `changes` (stage 1), `commit` (stage 2) and `clear`, against the demo workspace with real
//! git repositories and bare remotes.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{TestEnv, add_config, git, outputs, snapshot_tree};

const CHANGES: &str = "release_tool/changes";

fn changes_dir(root: &Path, pkg: &str) -> PathBuf {
    root.join(CHANGES).join(pkg)
}

fn changes_file(root: &Path, pkg: &str) -> PathBuf {
    changes_dir(root, pkg).join("changes_uncommitted.txt")
}

fn message_file(root: &Path, pkg: &str) -> PathBuf {
    changes_dir(root, pkg).join("commit_message.txt")
}

fn pkg_dir(root: &Path, pkg: &str) -> PathBuf {
    root.join("packages").join(pkg)
}

fn remote(env: &TestEnv, pkg: &str) -> PathBuf {
    env.path().join(format!("demo/remotes/{pkg}.git"))
}

/// Run and require exit 0; returns (stdout, stderr).
fn ok(env: &TestEnv, root: &Path, args: &[&str]) -> (String, String) {
    let out = env.run(root, args);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    (stdout, stderr)
}

/// A modified tracked file and an untracked file in core-utils.
fn dirty_core_utils(root: &Path) {
    let dir = pkg_dir(root, "core-utils");
    let init = dir.join("src/core_utils/__init__.py");
    let mut text = std::fs::read_to_string(&init).unwrap();
    text.push_str("\nANSWER = 42\n");
    std::fs::write(&init, text).unwrap();
    std::fs::write(dir.join("notes.txt"), "first untracked line\nsecond line\n").unwrap();
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn changes_writes_status_stat_diff_and_untracked_content() {
    let env = TestEnv::new();
    let root = env.demo();
    dirty_core_utils(&root);
    std::fs::write(
        pkg_dir(&root, "core-utils").join("blob.bin"),
        b"\x00\x01\x02bin",
    )
    .unwrap();

    let (_, stderr) = ok(&env, &root, &["changes"]);
    assert!(
        stderr.contains(
            "core-utils: 3 files changed → release_tool/changes/core-utils/changes_uncommitted.txt"
        ),
        "{stderr}"
    );
    let text = read(&changes_file(&root, "core-utils"));
    // Porcelain status lines.
    for line in [
        " M src/core_utils/__init__.py",
        "?? notes.txt",
        "?? blob.bin",
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} in\n{text}");
    }
    // The stat, with the untracked files listed after git's own stat.
    assert!(text.contains("## git diff --stat HEAD"), "{text}");
    assert!(
        text.contains(" src/core_utils/__init__.py | 2 ++"),
        "{text}"
    );
    assert!(text.contains("1 file changed, 2 insertions(+)"), "{text}");
    assert!(text.contains(" notes.txt | 2 lines, new file"), "{text}");
    assert!(
        text.contains(" blob.bin | binary file, content not shown"),
        "{text}"
    );
    // The hunks of the tracked change and the untracked file's content.
    assert!(text.contains("+++ b/src/core_utils/__init__.py"), "{text}");
    assert!(text.contains("+ANSWER = 42"), "{text}");
    assert!(
        text.contains("--- /dev/null\n+++ b/notes.txt\n@@ -0,0 +1,2 @@"),
        "{text}"
    );
    assert!(
        text.contains("+first untracked line\n+second line\n"),
        "{text}"
    );
    assert!(
        text.contains("Binary files /dev/null and b/blob.bin differ"),
        "{text}"
    );
    // An empty message file next to it; clean packages get nothing.
    assert_eq!(read(&message_file(&root, "core-utils")), "");
    for clean in ["data-loader", "model-api"] {
        assert!(!changes_dir(&root, clean).exists(), "{clean}");
    }
}

#[test]
fn changes_keeps_an_existing_message_byte_for_byte() {
    let env = TestEnv::new();
    let root = env.demo();
    dirty_core_utils(&root);
    ok(&env, &root, &["changes"]);
    let message = "feat: answer\n\nWith  trailing space \n\n";
    std::fs::write(message_file(&root, "core-utils"), message).unwrap();
    std::fs::write(pkg_dir(&root, "core-utils").join("more.txt"), "more\n").unwrap();
    let (_, stderr) = ok(&env, &root, &["changes"]);
    assert_eq!(read(&message_file(&root, "core-utils")), message);
    assert!(read(&changes_file(&root, "core-utils")).contains("+more"));
    assert!(
        stderr.contains(
            "Kept the existing message in release_tool/changes/core-utils/commit_message.txt"
        ),
        "{stderr}"
    );
}

#[test]
fn changes_dry_run_writes_nothing_and_json_lists_steps() {
    let env = TestEnv::new();
    let root = env.demo();
    dirty_core_utils(&root);
    let before = snapshot_tree(&root);
    let (stdout, stderr) = ok(&env, &root, &["changes", "--dry-run"]);
    assert!(
        stdout
            .contains("core-utils: create release_tool/changes/core-utils/changes_uncommitted.txt"),
        "{stdout}"
    );
    assert!(stdout.contains("+first untracked line"), "{stdout}");
    assert!(stderr.contains("Dry run: 3 steps planned"), "{stderr}");
    let (stdout, _) = ok(&env, &root, &["changes", "--dry-run", "--json"]);
    let plan: Value = crate::support::json_doc(&stdout)["steps"].clone();
    let actions: Vec<(&str, &str)> = plan
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["action"].as_str().unwrap(), s["detail"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        vec![
            (
                "create",
                "release_tool/changes/core-utils/changes_uncommitted.txt"
            ),
            (
                "create",
                "release_tool/changes/core-utils/commit_message.txt"
            ),
            ("create", "release_tool/changes/prompt.md"),
        ]
    );
    assert_eq!(snapshot_tree(&root), before);
}

#[test]
fn changes_json_selection_and_skip() {
    let env = TestEnv::new();
    let root = env.demo();
    dirty_core_utils(&root);
    std::fs::write(pkg_dir(&root, "data-loader").join("x.txt"), "x\n").unwrap();
    std::fs::write(pkg_dir(&root, "model-api").join("y.txt"), "y\n").unwrap();
    add_config(
        &root,
        "\n[tool.release_tool.packages.model-api]\nskip = true\n",
    );

    // -p selects (--llm is tested in the llm module).
    let (stdout, _) = ok(&env, &root, &["changes", "--json", "-p", "data-loader"]);
    let json: Value = crate::support::json_doc(&stdout)["packages"].clone();
    assert_eq!(json.as_array().unwrap().len(), 1);
    assert_eq!(json[0]["package"], "data-loader");
    assert_eq!(json[0]["files"], 1);
    assert_eq!(
        json[0]["message_file"],
        "release_tool/changes/data-loader/commit_message.txt"
    );
    assert!(!changes_dir(&root, "core-utils").exists());

    // Skipped packages are left out, with a note.
    let (_, stderr) = ok(&env, &root, &["changes"]);
    assert!(
        stderr.contains("model-api: skipped, skip = true"),
        "{stderr}"
    );
    assert!(changes_dir(&root, "core-utils").is_dir());
    assert!(!changes_dir(&root, "model-api").exists());
}

#[test]
fn commit_commits_the_dirty_files_with_the_message_then_does_nothing() {
    let env = TestEnv::new();
    let root = env.demo();
    dirty_core_utils(&root);
    std::fs::write(pkg_dir(&root, "data-loader").join("x.txt"), "x\n").unwrap();
    ok(&env, &root, &["changes"]);
    std::fs::write(
        message_file(&root, "core-utils"),
        "feat: the answer\n\nComputed carefully.\n",
    )
    .unwrap();
    let core = pkg_dir(&root, "core-utils");
    let data = pkg_dir(&root, "data-loader");
    let core_head = git(&core, &["rev-parse", "HEAD"]);
    let data_head = git(&data, &["rev-parse", "HEAD"]);

    let (_, stderr) = ok(&env, &root, &["commit"]);
    assert!(stderr.contains("core-utils: committed"), "{stderr}");
    assert!(stderr.contains("feat: the answer"), "{stderr}");
    // The dirty package without a message is named, not passed over in silence.
    assert!(
        stderr.contains(
            "1 package with uncommitted changes but no commit_message.txt, left as it is: data-loader"
        ),
        "{stderr}"
    );
    assert_eq!(
        git(&core, &["log", "-1", "--format=%B"]).trim_end(),
        "feat: the answer\n\nComputed carefully."
    );
    assert_eq!(git(&core, &["rev-parse", "HEAD~1"]), core_head);
    let files = git(&core, &["show", "--name-status", "--format=", "HEAD"]);
    assert_eq!(
        files.lines().collect::<Vec<_>>(),
        vec!["A\tnotes.txt", "M\tsrc/core_utils/__init__.py"]
    );
    assert_eq!(git(&core, &["status", "--porcelain"]), "");
    // The change files have done their job; the package without a message is untouched.
    assert!(!changes_dir(&root, "core-utils").exists());
    assert_eq!(git(&data, &["rev-parse", "HEAD"]), data_head);
    assert_eq!(git(&data, &["status", "--porcelain"]), "?? x.txt\n");
    assert!(message_file(&root, "data-loader").is_file());
    // Not pushed without --push.
    assert_eq!(
        git(&remote(&env, "core-utils"), &["rev-parse", "main"]),
        core_head
    );

    // Running it again commits nothing.
    let new_head = git(&core, &["rev-parse", "HEAD"]);
    let (_, stderr) = ok(&env, &root, &["commit"]);
    assert!(stderr.contains("Nothing to commit"), "{stderr}");
    assert_eq!(git(&core, &["rev-parse", "HEAD"]), new_head);
}

#[test]
fn commit_push_pushes_to_the_bare_remote_and_push_only_pushes_what_is_ahead() {
    let env = TestEnv::new();
    let root = env.demo();
    dirty_core_utils(&root);
    ok(&env, &root, &["changes"]);
    std::fs::write(message_file(&root, "core-utils"), "fix: pushed\n").unwrap();
    let (_, stderr) = ok(&env, &root, &["commit", "--push"]);
    assert!(
        stderr.contains("core-utils: pushed main to origin"),
        "{stderr}"
    );
    let core = pkg_dir(&root, "core-utils");
    assert_eq!(
        git(
            &remote(&env, "core-utils"),
            &["log", "-1", "--format=%s", "main"]
        ),
        "fix: pushed\n"
    );
    assert_eq!(
        git(&remote(&env, "core-utils"), &["rev-parse", "main"]),
        git(&core, &["rev-parse", "HEAD"])
    );
    // Other packages had nothing to push.
    assert!(!stderr.contains("data-loader"), "{stderr}");

    // A commit made by hand is pushed by `--no-commit` (push only), which ignores messages.
    let data = pkg_dir(&root, "data-loader");
    crate::support::commit_file(&data, "y.txt", "y\n", "docs: by hand");
    std::fs::write(pkg_dir(&root, "model-api").join("z.txt"), "z\n").unwrap();
    ok(&env, &root, &["changes"]);
    std::fs::write(message_file(&root, "model-api"), "feat: not now\n").unwrap();
    let (_, stderr) = ok(&env, &root, &["commit", "--no-commit"]);
    assert!(
        stderr.contains("data-loader: pushed main to origin"),
        "{stderr}"
    );
    assert!(!stderr.contains("model-api"), "{stderr}");
    assert_eq!(
        git(
            &remote(&env, "data-loader"),
            &["log", "-1", "--format=%s", "main"]
        ),
        "docs: by hand\n"
    );
    assert_eq!(
        git(&pkg_dir(&root, "model-api"), &["status", "--porcelain"]),
        "?? z.txt\n"
    );
    let (_, stderr) = ok(&env, &root, &["commit", "--no-commit"]);
    assert!(stderr.contains("Nothing to push"), "{stderr}");
}

#[test]
fn commit_dry_run_commits_nothing() {
    let env = TestEnv::new();
    let root = env.demo();
    dirty_core_utils(&root);
    ok(&env, &root, &["changes"]);
    std::fs::write(message_file(&root, "core-utils"), "feat: planned\n").unwrap();
    let before = snapshot_tree(&env.path());
    let (stdout, _) = ok(&env, &root, &["commit", "--push", "--dry-run"]);
    assert!(
        stdout.contains("core-utils: git -C packages/core-utils add -A\n"),
        "{stdout}"
    );
    assert!(stdout.contains("commit --quiet -F "), "{stdout}");
    assert!(
        stdout.contains("core-utils: delete release_tool/changes/core-utils/commit_message.txt"),
        "{stdout}"
    );
    assert!(
        stdout.contains("core-utils: git -C packages/core-utils push --quiet -- origin main"),
        "{stdout}"
    );
    let (stdout, _) = ok(&env, &root, &["commit", "--dry-run", "--json"]);
    let plan: Value = crate::support::json_doc(&stdout)["steps"].clone();
    assert_eq!(plan[0]["action"], "git");
    assert_eq!(plan[0]["package"], "core-utils");
    assert_eq!(snapshot_tree(&env.path()), before);
}

#[test]
fn commit_refuses_a_detached_package_by_name() {
    let env = TestEnv::new();
    let root = env.demo();
    let data = pkg_dir(&root, "data-loader");
    git(&data, &["checkout", "-q", "--detach"]);
    std::fs::write(data.join("x.txt"), "x\n").unwrap();
    dirty_core_utils(&root);
    ok(&env, &root, &["changes"]);
    std::fs::write(message_file(&root, "data-loader"), "feat: detached\n").unwrap();
    std::fs::write(message_file(&root, "core-utils"), "feat: attached\n").unwrap();
    let head = git(&data, &["rev-parse", "HEAD"]);
    let out = env.run(&root, ["commit"]);
    let (_, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "error: data-loader: HEAD is detached in packages/data-loader; not committed"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("git -C packages/data-loader switch"),
        "{stderr}"
    );
    assert_eq!(git(&data, &["rev-parse", "HEAD"]), head);
    assert_eq!(git(&data, &["status", "--porcelain"]), "?? x.txt\n");
    assert_eq!(
        read(&message_file(&root, "data-loader")),
        "feat: detached\n"
    );
    // The other package is committed all the same.
    assert_eq!(
        git(&pkg_dir(&root, "core-utils"), &["log", "-1", "--format=%s"]),
        "feat: attached\n"
    );
}

#[test]
fn clear_removes_change_files_and_keeps_unknown_files() {
    let env = TestEnv::new();
    let root = env.demo();
    dirty_core_utils(&root);
    std::fs::write(pkg_dir(&root, "data-loader").join("x.txt"), "x\n").unwrap();
    ok(&env, &root, &["changes"]);
    std::fs::write(root.join(CHANGES).join("prompt.md"), "prompt\n").unwrap();
    std::fs::write(changes_dir(&root, "data-loader").join("mine.txt"), "mine\n").unwrap();

    // --dry-run lists the files and keeps everything.
    let before = snapshot_tree(&root);
    let (stdout, stderr) = ok(&env, &root, &["clear", "--dry-run"]);
    for line in [
        "core-utils: delete release_tool/changes/core-utils/changes_uncommitted.txt",
        "core-utils: delete release_tool/changes/core-utils/commit_message.txt",
        "core-utils: rmdir release_tool/changes/core-utils",
        "data-loader: delete release_tool/changes/data-loader/commit_message.txt",
        "root: delete release_tool/changes/prompt.md",
    ] {
        assert!(stdout.lines().any(|l| l == line), "{line:?} in\n{stdout}");
    }
    assert!(!stdout.contains("mine.txt"), "{stdout}");
    assert!(
        stderr.contains("warning: kept release_tool/changes/data-loader/mine.txt"),
        "{stderr}"
    );
    assert_eq!(snapshot_tree(&root), before);

    let (stdout, stderr) = ok(&env, &root, &["clear", "--json"]);
    let json: Value = crate::support::json_doc(&stdout);
    assert_eq!(json["removed"].as_array().unwrap().len(), 5);
    assert_eq!(
        json["kept"],
        serde_json::json!(["release_tool/changes/data-loader/mine.txt"])
    );
    assert!(stderr.contains("warning: kept"), "{stderr}");
    assert!(!changes_dir(&root, "core-utils").exists());
    assert_eq!(
        read(&changes_dir(&root, "data-loader").join("mine.txt")),
        "mine\n"
    );
    assert!(!changes_file(&root, "data-loader").exists());
    assert!(!root.join(CHANGES).join("prompt.md").exists());

    // Once the unknown file is gone, the empty directories go too.
    std::fs::remove_file(changes_dir(&root, "data-loader").join("mine.txt")).unwrap();
    ok(&env, &root, &["clear"]);
    assert!(!root.join("release_tool").exists());
    let (_, stderr) = ok(&env, &root, &["clear"]);
    assert!(stderr.contains("No change files"), "{stderr}");
}

#[test]
fn changes_and_clear_never_touch_the_users_work() {
    let env = TestEnv::new();
    let root = env.demo();
    dirty_core_utils(&root);
    let core = pkg_dir(&root, "core-utils");
    git(&core, &["add", "notes.txt"]);
    std::fs::write(core.join("staged-then-edited.txt"), "v1\n").unwrap();
    git(&core, &["add", "staged-then-edited.txt"]);
    std::fs::write(core.join("staged-then-edited.txt"), "v2\n").unwrap();
    let before = snapshot_tree(&core);
    let index = git(&core, &["ls-files", "--stage"]);
    let status = git(&core, &["status", "--porcelain"]);
    ok(&env, &root, &["changes"]);
    let text = read(&changes_file(&root, "core-utils"));
    assert!(
        text.contains("+v2"),
        "staged and unstaged against HEAD:\n{text}"
    );
    ok(&env, &root, &["clear"]);
    assert_eq!(snapshot_tree(&core), before);
    assert_eq!(git(&core, &["ls-files", "--stage"]), index);
    assert_eq!(git(&core, &["status", "--porcelain"]), status);
}

/// With several packages to commit, the hint names the message files' pattern and the count,
/// not every path on one line (issue #23).
#[test]
fn changes_hint_names_the_pattern_and_the_count() {
    let env = TestEnv::new();
    let root = env.demo();
    dirty_core_utils(&root);
    let dir = pkg_dir(&root, "data-loader");
    std::fs::write(dir.join("scratch.txt"), "x\n").unwrap();
    let (_, stderr) = ok(&env, &root, &["changes"]);
    assert!(
        stderr.contains(
            "hint: write each commit message in release_tool/changes/<package>/commit_message.txt (2 packages)"
        ),
        "{stderr}"
    );
    assert!(
        !stderr.contains("core-utils/commit_message.txt"),
        "{stderr}"
    );
}
