//! `migrate` from the Python `release_tool` (issue 16, item 1): a workspace with the old tool's
//! traits (its submodule, its wiring in the root manifest, its configuration with obsolete
//! keys), migrated with no hand edit; obsolete keys warn, unknown keys stay errors; the old
//! tool's untouched tag message template counts as unwritten.

use std::path::{Path, PathBuf};

use crate::support::{TestEnv, commit_file, git, outputs, snapshot_tree};

/// The old tool's configuration as the real workspace had it (`tag_prefix = ""`, the obsolete
/// `changes_filename`).
const OLD_CONFIG: &str = "[tool.release_tool]\n\
packages_dir = \"packages\"\n\
changes_filename = \"release_changes.txt\"      # obsolete, unread\n\
commit_message_filename = \"commit_message.txt\"\n\
tag_message_filename = \"tag_message.txt\"\n\
changes_uncommitted_filename = \"changes_uncommitted.txt\"\n\
changes_since_tag_filename = \"changes_since_tag.txt\"\n\
changes_output_dir = \"release_tool/changes\"\n\
tag_prefix = \"\"\n\
git_remote = \"origin\"\n\
dry_run = false\n";

/// The Python tool's untouched tag message template (160 bytes of UTF-8).
const RUSSIAN_TEMPLATE: &str = "## Релиз {VERSION}\n\n_Изменения по сравнению с {PREV_VERSION}_\n\n<!-- Опишите основные изменения здесь -->\n";

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The old tool's own repository (its root is the Python package), pushed to a bare remote;
/// returns the remote's URL.
fn old_tool_remote(env: &TestEnv) -> String {
    old_tool_remote_with(env, &[])
}

/// [`old_tool_remote`] with `extra` files (path, text) in the old tool's repository.
fn old_tool_remote_with(env: &TestEnv, extra: &[(&str, &str)]) -> String {
    let work = env.path().join("oldtool/work");
    std::fs::create_dir_all(work.join("core")).unwrap();
    git(&work, &["init", "-q", "-b", "main"]);
    std::fs::write(
        work.join("pyproject.toml"),
        "[project]\nname = \"release_tool\"\nversion = \"0.1.0.dev0\"\n\
         dependencies = [\"tomlkit>=0.13\", \"packaging>=23.0\"]\n\n\
         [project.scripts]\nrelease-tool-stage1 = \"release_tool.stage1:run\"\n\n\
         [build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n",
    )
    .unwrap();
    std::fs::write(
        work.join("core/config.py"),
        "_DEFAULTS = {\"tag_message_filename\": \"tag_message.txt\"}\n",
    )
    .unwrap();
    std::fs::write(work.join("stage1.py"), "def run():\n    pass\n").unwrap();
    std::fs::write(work.join(".gitignore"), "changes/\n").unwrap();
    for (path, text) in extra {
        std::fs::write(work.join(path), text).unwrap();
    }
    git(&work, &["add", "--all"]);
    git(&work, &["commit", "-q", "-m", "init"]);
    let remote = env.path().join("oldtool/release_tool.git");
    std::fs::create_dir_all(&remote).unwrap();
    git(&remote, &["init", "-q", "--bare", "-b", "main"]);
    git(&work, &["push", "-q", remote.to_str().unwrap(), "main"]);
    format!("file://{}", remote.display())
}

/// A demo workspace turned into one the old tool ran: its submodule at `path`, the root
/// manifest wired by `source` (`dependency`: also in `[project].dependencies`), the old
/// configuration, a root `.gitignore` without the changes directory, and a tag message the
/// user is writing in the old tool's changes directory.
fn old_workspace(env: &TestEnv, path: &str, source: &str, config: &str) -> PathBuf {
    let root = env.demo();
    let url = old_tool_remote(env);
    git(&root, &["submodule", "add", "-q", &url, path]);
    let manifest = root.join("pyproject.toml");
    let text = read(&manifest)
        .replace(
            "members = [\"packages/*\"]",
            &format!("members = [\"packages/*\", \"{path}\"]"),
        )
        .replace(
            "model-api = { workspace = true }\n",
            &format!(
                "model-api = {{ workspace = true }}\nrelease-tool = {source}\n\n\
                 [dependency-groups]\ndev = [\"ruff>=0.4.2\", \"release-tool\"]\n"
            ),
        );
    std::fs::write(&manifest, text).unwrap();
    std::fs::write(root.join("release_tool.toml"), config).unwrap();
    std::fs::write(root.join(".gitignore"), ".venv/\n__pycache__/\n").unwrap();
    git(&root, &["add", "--all"]);
    git(
        &root,
        &["commit", "-q", "-m", "chore: the Python release_tool"],
    );
    root
}

fn the_old_workspace(env: &TestEnv) -> PathBuf {
    let root = old_workspace(
        env,
        "release_tool",
        "{ path = \"release_tool\" }",
        OLD_CONFIG,
    );
    // Inside the submodule, ignored by its own .gitignore: kept by the migration.
    let message = root.join("release_tool/changes/core-utils/tag_message.txt");
    std::fs::create_dir_all(message.parent().unwrap()).unwrap();
    std::fs::write(&message, "Faster loading.\n").unwrap();
    root
}

#[test]
fn migrate_takes_the_old_tool_out_and_a_second_run_does_nothing() {
    let env = TestEnv::new();
    let root = the_old_workspace(&env);

    // The old configuration loads: the obsolete key is a warning, not an error.
    let out = env.run(&root, ["status"]);
    let (_, err) = outputs(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("Obsolete configuration key `tool.release_tool.changes_filename`")
            && err.contains("changes_uncommitted_filename"),
        "{err}"
    );

    // --dry-run: the plan, nothing changed.
    let before = snapshot_tree(&env.path());
    let out = env.run(&root, ["migrate", "--dry-run"]);
    let (plan, err) = outputs(&out);
    assert!(out.status.success(), "{err}");
    for needle in [
        "git -C . submodule deinit --quiet --force -- release_tool",
        "git -C . rm --quiet -r -f -- release_tool",
        "delete .git/modules/release_tool",
        "edit pyproject.toml",
        "edit .gitignore",
        "edit release_tool.toml",
        "create release_tool/changes/core-utils/tag_message.txt",
        "commit --quiet -m 'chore: migrate from the Python release_tool'",
    ] {
        assert!(plan.contains(needle), "{needle} not in:\n{plan}");
    }
    assert!(err.contains("nothing changed"), "{err}");
    let out = env.run(&root, ["migrate", "--dry-run", "--json"]);
    let steps = crate::support::json_doc(&out.stdout)["steps"].clone();
    assert!(steps.as_array().is_some_and(|s| s.len() >= 8), "{steps}");
    assert_eq!(
        before,
        snapshot_tree(&env.path()),
        "--dry-run changed files"
    );

    // The migration.
    let out = env.run(&root, ["migrate"]);
    let (stdout, err) = outputs(&out);
    assert!(out.status.success(), "{err}");
    assert!(stdout.is_empty(), "{stdout}");
    for needle in [
        "Migrated from the Python release_tool:",
        "removed the old tool's submodule release_tool and .git/modules/release_tool",
        "pyproject.toml: removed the `release-tool` source, removed `release-tool` from \
         [dependency-groups] dev, removed the workspace member `release_tool`",
        ".gitignore: ignored release_tool/changes/ and .release_tool/",
        "release_tool.toml: removed the obsolete key changes_filename",
        "kept 1 work file of release_tool/changes",
    ] {
        assert!(err.contains(needle), "{needle} not in:\n{err}");
    }

    // The end state, file by file.
    assert!(!read(&root.join(".gitmodules")).contains("release_tool"));
    assert_eq!(git(&root, &["ls-files", "--", "release_tool"]), "");
    assert!(!root.join(".git/modules/release_tool").exists());
    let manifest = read(&root.join("pyproject.toml"));
    assert!(
        manifest.contains("members = [\"packages/*\"]\n")
            && manifest.contains("model-api = { workspace = true }\n\n[dependency-groups]\n")
            && manifest.contains("dev = [\"ruff>=0.4.2\"]\n")
            && !manifest.contains("release-tool")
            && !manifest.contains("release_tool"),
        "{manifest}"
    );
    assert_eq!(
        read(&root.join(".gitignore")),
        ".venv/\n__pycache__/\n# release-tool: work files and state\nrelease_tool/changes/\n\
         .release_tool/\n"
    );
    assert_eq!(
        read(&root.join("release_tool.toml")),
        OLD_CONFIG.replace(
            "changes_filename = \"release_changes.txt\"      # obsolete, unread\n",
            ""
        )
    );
    assert_eq!(
        read(&root.join("release_tool/changes/core-utils/tag_message.txt")),
        "Faster loading.\n"
    );
    assert_eq!(
        git(&root, &["log", "-1", "--format=%s"]).trim(),
        "chore: migrate from the Python release_tool"
    );
    assert_eq!(git(&root, &["status", "--porcelain"]), "");

    // status and check work, with no word of the old tool.
    let out = env.run(&root, ["status"]);
    let (stdout, err) = outputs(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        !stdout.contains("release_tool") && !err.contains("Obsolete"),
        "{stdout}{err}"
    );
    assert!(stdout.contains("core-utils"), "{stdout}");
    let out = env.cmd_uv(&root).arg("check").output().unwrap();
    let (stdout, err) = outputs(&out);
    assert!(
        !stdout.contains("release_tool") && !err.contains("Obsolete"),
        "{stdout}{err}"
    );

    // A second run does nothing.
    let before = snapshot_tree(&env.path());
    let out = env.run(&root, ["migrate"]);
    let (stdout, err) = outputs(&out);
    assert!(out.status.success(), "{err}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(err.contains("Nothing to migrate"), "{err}");
    assert_eq!(before, snapshot_tree(&env.path()));
    let out = env.run(&root, ["migrate", "--dry-run", "--json"]);
    let doc = crate::support::json_doc(outputs(&out).0);
    assert_eq!(doc["steps"], serde_json::json!([]), "{doc}");
}

#[test]
fn old_defaults_that_differ_are_written_and_a_workspace_member_is_unwired() {
    let env = TestEnv::new();
    // tools/release_tool as a workspace member, also a main dependency; the configuration
    // leaves tag_prefix and tag_message_filename to the old tool's defaults ("" and .txt).
    let config = "[tool.release_tool]\npackages_dir = \"packages\"\n_config_source = \"x\"\n";
    let root = old_workspace(&env, "tools/release_tool", "{ workspace = true }", config);
    let manifest = root.join("pyproject.toml");
    let text = read(&manifest).replace(
        "dependencies = [\"core-utils\", \"data-loader\", \"model-api\"]",
        "dependencies = [\"core-utils\", \"data-loader\", \"model-api\", \"release-tool\"]",
    );
    std::fs::write(&manifest, text).unwrap();
    git(&root, &["commit", "-q", "-am", "chore: a main dependency"]);

    let out = env.run(&root, ["migrate"]);
    let (_, err) = outputs(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("[project].dependencies") && err.contains("`tools/release_tool`"),
        "{err}"
    );
    assert_eq!(
        read(&root.join("release_tool.toml")),
        "[tool.release_tool]\npackages_dir = \"packages\"\n\
         tag_message_filename = \"tag_message.txt\"\ntag_prefix = \"\"\n"
    );
    let manifest = read(&manifest);
    assert!(
        !manifest.contains("release-tool") && !manifest.contains("release_tool"),
        "{manifest}"
    );
    assert!(!root.join("tools/release_tool").exists());
    assert!(!read(&root.join(".gitmodules")).contains("release_tool"));
    assert_eq!(git(&root, &["status", "--porcelain"]), "");
    let out = env.run(&root, ["migrate"]);
    assert!(outputs(&out).1.contains("Nothing to migrate"));
}

#[test]
fn a_dirty_old_tool_submodule_is_refused_with_nothing_changed() {
    let env = TestEnv::new();
    let root = the_old_workspace(&env);
    std::fs::write(root.join("release_tool/stage1.py"), "def run():\n    1\n").unwrap();
    let before = snapshot_tree(&env.path());
    let out = env.run(&root, ["migrate"]);
    let (stdout, err) = outputs(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        err.contains(
            "Cannot migrate: the old tool's submodule release_tool has 1 uncommitted change \
             (stage1.py)"
        ) && err.contains("hint:"),
        "{err}"
    );
    assert_eq!(before, snapshot_tree(&env.path()));
    // A commit not pushed anywhere is work too.
    commit_file(
        &root.join("release_tool"),
        "stage1.py",
        "def run():\n    2\n",
        "local",
    );
    let before = snapshot_tree(&env.path());
    let out = env.run(&root, ["migrate"]);
    let err = outputs(&out).1;
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("1 commit not pushed"), "{err}");
    assert_eq!(before, snapshot_tree(&env.path()));
}

#[test]
fn a_key_the_old_tool_never_had_is_still_an_error() {
    let env = TestEnv::new();
    let root = env.demo();
    std::fs::write(
        root.join("release_tool.toml"),
        format!("{OLD_CONFIG}changes_filenames = \"x\"\n"),
    )
    .unwrap();
    let out = env.run(&root, ["status"]);
    let err = outputs(&out).1;
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("Unknown configuration key `tool.release_tool.changes_filenames`"),
        "{err}"
    );
    let out = env.run(&root, ["migrate", "--dry-run"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_old_tools_untouched_template_counts_as_unwritten() {
    let env = TestEnv::new();
    let root = env.demo();
    let message = root.join("release_tool/changes/core-utils/tag_message.md");
    std::fs::create_dir_all(message.parent().unwrap()).unwrap();
    // Whitespace around it does not make it written (compared trimmed, as the old tool did).
    std::fs::write(&message, format!("\n{RUSSIAN_TEMPLATE}\n\n")).unwrap();

    // prepare: no message, so the notes grouped from the commits are used.
    let out = env.run(&root, ["-p", "core-utils", "branch"]);
    assert!(out.status.success(), "{}", outputs(&out).1);
    let out = env.run(
        &root,
        [
            "-p",
            "core-utils",
            "prepare",
            "--bump",
            "patch",
            "--dry-run",
        ],
    );
    let (plan, err) = outputs(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        plan.contains("First release") && !plan.contains("Изменения") && !plan.contains("Релиз"),
        "{plan}"
    );

    // notes: regenerated, not kept.
    let out = env.run(&root, ["-p", "core-utils", "notes"]);
    let err = outputs(&out).1;
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("edited message kept"), "{err}");
    let text = read(&message);
    assert!(text.contains("Release core-utils {VERSION}"), "{text}");

    // An edited copy of it is a written message.
    std::fs::write(
        &message,
        RUSSIAN_TEMPLATE.replace("здесь -->", "здесь -->\n- Быстрее."),
    )
    .unwrap();
    let out = env.run(&root, ["-p", "core-utils", "notes"]);
    assert!(
        outputs(&out).1.contains("edited message kept"),
        "{}",
        outputs(&out).1
    );
}

#[test]
fn an_uninitialised_old_tool_submodule_is_removed_too() {
    let env = TestEnv::new();
    let root = the_old_workspace(&env);
    // A clone that never initialised the old tool's submodule.
    let clone = crate::support::clone_root(
        &env,
        &root,
        &[
            "packages/core-utils",
            "packages/data-loader",
            "packages/model-api",
        ],
    );
    let out = env.run(&clone, ["migrate"]);
    let err = outputs(&out).1;
    assert!(out.status.success(), "{err}");
    assert!(!read(&clone.join(".gitmodules")).contains("release_tool"));
    assert_eq!(git(&clone, &["ls-files", "--", "release_tool"]), "");
    assert!(!clone.join("release_tool").exists());
    assert_eq!(git(&clone, &["status", "--porcelain"]), "");
    assert!(
        env.run(&clone, ["migrate"]).status.success()
            && outputs(&env.run(&clone, ["migrate"]))
                .1
                .contains("Nothing to migrate")
    );
}

#[test]
fn unstaged_gitmodules_changes_are_refused_with_nothing_changed() {
    let env = TestEnv::new();
    let root = the_old_workspace(&env);
    let gitmodules = root.join(".gitmodules");
    std::fs::write(&gitmodules, format!("{}# mine\n", read(&gitmodules))).unwrap();
    let before = snapshot_tree(&env.path());
    let out = env.run(&root, ["migrate"]);
    let err = outputs(&out).1;
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("Cannot migrate: .gitmodules has unstaged changes") && err.contains("hint:"),
        "{err}"
    );
    assert_eq!(before, snapshot_tree(&env.path()));
}

#[test]
fn settings_of_the_old_tools_own_configuration_file_are_kept() {
    let env = TestEnv::new();
    let root = env.demo();
    // No configuration at the root: the old tool read the one in its own submodule.
    let bundled = "[tool.release_tool]\npackages_dir = \"packages\"\n\
                   tag_message_filename = \"tag_message.txt\"\ntag_prefix = \"v\"\n\
                   git_remote = \"origin\"\n";
    let url = old_tool_remote_with(&env, &[("release_tool.toml", bundled)]);
    git(&root, &["submodule", "add", "-q", &url, "release_tool"]);
    std::fs::remove_file(root.join("release_tool.toml")).unwrap();
    git(&root, &["add", "--all"]);
    git(
        &root,
        &["commit", "-q", "-m", "chore: the Python release_tool"],
    );

    let out = env.run(&root, ["migrate"]);
    let err = outputs(&out).1;
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("release_tool.toml: set tag_message_filename = \"tag_message.txt\""),
        "{err}"
    );
    assert_eq!(
        read(&root.join("release_tool.toml")),
        "# release-tool configuration (migrated from the Python release_tool)\n\
         tag_message_filename = \"tag_message.txt\"\n"
    );
    assert_eq!(git(&root, &["status", "--porcelain"]), "");
    let out = env.run(&root, ["config", "show"]);
    assert!(
        outputs(&out)
            .0
            .contains("tag_message_filename = \"tag_message.txt\""),
        "{}",
        outputs(&out).0
    );
}

#[test]
fn a_submodule_at_the_old_place_that_is_not_the_old_tool_is_left_alone() {
    let env = TestEnv::new();
    let root = env.demo();
    let url = old_tool_remote_with(
        &env,
        &[(
            "pyproject.toml",
            "[project]\nname = \"release-notes-helper\"\nversion = \"1.0.0\"\n",
        )],
    );
    git(
        &root,
        &["submodule", "add", "-q", &url, "tools/release_tool"],
    );
    git(&root, &["commit", "-q", "-m", "chore: a helper"]);
    let before = snapshot_tree(&env.path());
    let out = env.run(&root, ["migrate"]);
    let err = outputs(&out).1;
    assert!(out.status.success(), "{err}");
    assert!(err.contains("Nothing to migrate"), "{err}");
    assert_eq!(before, snapshot_tree(&env.path()));
}
