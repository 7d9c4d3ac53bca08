//! `notes` (stage3): commit log + diff since the last tag, and a tag message template.

use crate::support::{TestEnv, commit_file, git, outputs, snapshot_tree};

fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn writes_log_diff_and_a_grouped_template_since_the_last_tag() {
    let env = TestEnv::new();
    let root = env.demo();
    let pkg = root.join("packages/core-utils");
    git(&pkg, &["tag", "-a", "-m", "0.1.0", "v0.1.0"]);
    commit_file(
        &pkg,
        "src/core_utils/a.py",
        "A = 1\n",
        "feat: add A\n\nA is the first letter.",
    );
    commit_file(&pkg, "src/core_utils/b.py", "B = 2\n", "fix(io): handle B");
    let out = env.run(&root, ["-p", "core-utils", "notes"]);
    assert!(out.status.success(), "{}", outputs(&out).1);
    assert!(
        outputs(&out)
            .1
            .contains("core-utils: 2 commits since v0.1.0"),
        "{}",
        outputs(&out).1
    );
    let dir = root.join("release_tool/changes/core-utils");
    let changes = read(&dir.join("changes_since_tag.txt"));
    assert!(
        changes.starts_with("# core-utils: 2 commits since v0.1.0\n\n## Commits\n\n"),
        "{changes}"
    );
    assert!(
        changes.contains("    feat: add A\n    A is the first letter.\n"),
        "{changes}"
    );
    assert!(
        changes.contains("## Diff\n\n") && changes.contains("+A = 1") && changes.contains("+B = 2"),
        "{changes}"
    );
    let message = read(&dir.join("tag_message.md"));
    assert!(message.contains("Release core-utils {VERSION}\n\nChanges since {PREV_VERSION}:\n\n### Added\n\n- add A\n\n### Fixed\n\n- **io:** handle B\n"), "{message}");
    // Only the selected package.
    assert!(!root.join("release_tool/changes/data-loader").exists());
}

#[test]
fn an_edited_tag_message_is_kept_and_dry_run_writes_nothing() {
    let env = TestEnv::new();
    let root = env.demo();
    let before = snapshot_tree(&root);
    let out = env.run(&root, ["notes", "--dry-run"]);
    assert!(out.status.success());
    assert!(
        outputs(&out)
            .0
            .contains("core-utils: create release_tool/changes/core-utils/tag_message.md"),
        "{}",
        outputs(&out).0
    );
    assert_eq!(before, snapshot_tree(&root), "--dry-run writes nothing");
    assert!(env.run(&root, ["notes"]).status.success());
    let message = root.join("release_tool/changes/model-api/tag_message.md");
    std::fs::write(&message, "My own words for {VERSION}.\n").unwrap();
    let out = env.run(&root, ["notes"]);
    assert!(out.status.success());
    assert!(
        outputs(&out)
            .1
            .contains("model-api: 1 commit since the first commit"),
        "{}",
        outputs(&out).1
    );
    assert!(outputs(&out).1.contains("(edited message kept)"));
    assert_eq!(read(&message), "My own words for {VERSION}.\n");
}

#[test]
fn packages_without_new_commits_get_nothing() {
    let env = TestEnv::new();
    let root = env.demo();
    for name in ["core-utils", "data-loader", "model-api"] {
        git(&root.join("packages").join(name), &["tag", "v0.1.0.dev0"]);
    }
    let out = env.run(&root, ["notes"]);
    assert!(out.status.success());
    assert!(
        outputs(&out).1.contains("nothing to write"),
        "{}",
        outputs(&out).1
    );
    assert!(!root.join("release_tool").exists());
}

#[test]
fn tags_file_chooses_the_base_and_bad_files_are_usage_errors() {
    let env = TestEnv::new();
    let root = env.demo();
    let pkg = root.join("packages/core-utils");
    git(&pkg, &["tag", "v0.1.0"]);
    commit_file(&pkg, "x.txt", "x", "feat: x");
    git(&pkg, &["tag", "v0.2.0"]);
    commit_file(&pkg, "y.txt", "y", "fix: y");
    let tags = env.path().join("tags.json");
    std::fs::write(&tags, r#"{"core-utils": "v0.1.0"}"#).unwrap();
    let out = env.run(
        &root,
        [
            "-p",
            "core-utils",
            "notes",
            "--tags-file",
            tags.to_str().unwrap(),
            "--json",
        ],
    );
    assert!(out.status.success(), "{}", outputs(&out).1);
    let json = crate::support::json_doc(&out.stdout)["packages"].clone();
    assert_eq!(json[0]["since_tag"], "v0.1.0");
    assert_eq!(json[0]["commits"], 2);

    for (content, expected) in [
        ("not json", "Invalid --tags-file"),
        (r#"{"nope": "v1"}"#, "names `nope`, which is not a package"),
        (
            r#"{"core-utils": "v9.9.9"}"#,
            "tag `v9.9.9` from --tags-file does not exist",
        ),
    ] {
        std::fs::write(&tags, content).unwrap();
        let before = snapshot_tree(&root);
        let out = env.run(&root, ["notes", "--tags-file", tags.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{content}");
        assert!(
            outputs(&out).1.contains(expected),
            "{content}: {}",
            outputs(&out).1
        );
        assert_eq!(before, snapshot_tree(&root));
    }
}

#[test]
fn llm_flag_without_a_key_is_a_usage_error() {
    let env = TestEnv::new();
    let root = env.demo();
    let before = snapshot_tree(&root);
    let out = env.run(&root, ["stage3", "--llm"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        outputs(&out).1.contains("OPENAI_API_KEY"),
        "{}",
        outputs(&out).1
    );
    assert_eq!(before, snapshot_tree(&root));
}

#[test]
fn a_package_without_a_tag_gets_the_diff_of_all_its_commits() {
    let env = TestEnv::new();
    let root = env.demo();
    let pkg = root.join("packages/core-utils");
    commit_file(
        &pkg,
        "src/core_utils/later.py",
        "LATER = 1\n",
        "feat: later",
    );
    let out = env.run(&root, ["-p", "core-utils", "notes"]);
    assert!(out.status.success(), "{}", outputs(&out).1);
    let changes = read(&root.join("release_tool/changes/core-utils/changes_since_tag.txt"));
    assert!(changes.contains("+LATER = 1"), "{changes}");
    // The first commit's files too, not only HEAD's.
    assert!(changes.contains("+++ b/pyproject.toml"), "{changes}");
}
