//! Symbolic links among the files a release writes (issue 18, item 4; docs/security.md,
//! "Symbolic links"): a package's `CHANGELOG.md` linked to a file outside the workspace, a
//! `pyproject.toml` linked to another file of its package, a linked directory on the way to a
//! written file. The tool never writes through a link below the workspace root: the run (and its
//! dry run) refuses before any step, naming the link and where it points, with a hint; the
//! outside file, the packages, the root and every remote stay as they were.

use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Output;

use crate::support::trunk::World;
use crate::support::{git, outputs};

/// Exit 1, stderr containing every one of `expected` and a hint; the world unchanged.
fn refused(world: &World, args: &[&str], expected: &[&str]) -> String {
    let before = world.state();
    let out: Output = world.release(args);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{args:?}:\nstdout: {stdout}\nstderr: {stderr}"
    );
    for e in expected {
        assert!(stderr.contains(e), "{args:?}: expected {e:?} in:\n{stderr}");
    }
    assert!(stderr.contains("hint: "), "{args:?}: no hint in:\n{stderr}");
    assert_eq!(before, world.state(), "{args:?} changed something");
    assert!(world.journal().is_none(), "{args:?} left a journal");
    stderr
}

/// Replace `rel` in `pkg` by a link to `target` and commit it with `message`.
fn commit_link(pkg: &Path, rel: &str, target: &Path, message: &str) {
    let link = pkg.join(rel);
    let _ = std::fs::remove_file(&link);
    symlink(target, &link).unwrap();
    git(pkg, &["add", "--", rel]);
    git(pkg, &["commit", "-q", "-m", message]);
}

#[test]
fn changelog_linked_outside_the_workspace_is_refused_and_the_outside_file_untouched() {
    let world = World::new();
    let outside = world.env.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let target = outside.join("notes.md");
    std::fs::write(&target, "# Someone else's file\n").unwrap();
    let marker = world.env.path().join("pwned");
    commit_link(
        &world.pkg("a"),
        "CHANGELOG.md",
        &target,
        &format!("fix: $(touch {})", marker.display()),
    );
    for args in [
        &["--bump", "patch", "--push", "--dry-run"][..],
        &["--bump", "patch", "--push"],
        &["--bump", "patch"],
    ] {
        let stderr = refused(
            &world,
            args,
            &[
                "packages/a/CHANGELOG.md",
                "symbolic link",
                &target.display().to_string(),
            ],
        );
        assert!(stderr.contains("outside"), "{stderr}");
    }
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "# Someone else's file\n"
    );
    assert!(!marker.exists());
}

#[test]
fn pyproject_linked_inside_the_package_is_refused_cleanly_and_releases_once_replaced() {
    let world = World::new();
    let pkg = world.pkg("b");
    std::fs::rename(pkg.join("pyproject.toml"), pkg.join("pyproject.real.toml")).unwrap();
    git(&pkg, &["add", "-A"]);
    commit_link(
        &pkg,
        "pyproject.toml",
        Path::new("pyproject.real.toml"),
        "chore: the pyproject is a link",
    );
    let real_before = std::fs::read_to_string(pkg.join("pyproject.real.toml")).unwrap();
    for args in [
        &["--bump", "patch", "--push", "--dry-run"][..],
        &["--bump", "patch", "--push"],
    ] {
        refused(
            &world,
            args,
            &[
                "packages/b/pyproject.toml",
                "symbolic link",
                "pyproject.real.toml",
            ],
        );
    }
    assert_eq!(
        std::fs::read_to_string(pkg.join("pyproject.real.toml")).unwrap(),
        real_before
    );
    // As the hint says: the link replaced by the file it points to, the release goes through,
    // and the version edit, the committed file and the tag agree.
    std::fs::remove_file(pkg.join("pyproject.toml")).unwrap();
    std::fs::rename(pkg.join("pyproject.real.toml"), pkg.join("pyproject.toml")).unwrap();
    git(&pkg, &["add", "-A"]);
    git(
        &pkg,
        &["commit", "-q", "-m", "chore: the pyproject is a file again"],
    );
    let out = world.release(&["--bump", "patch", "--push"]);
    let (stdout, stderr) = outputs(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    let tagged = git(&pkg, &["show", "v0.1.0:pyproject.toml"]);
    assert!(tagged.contains("version = \"0.1.0\""), "{tagged}");
}

#[test]
fn linked_directory_on_the_way_to_a_written_file_is_refused() {
    // The root's `.release_tool/` (where a release archives the tag messages it used, keeps
    // its journal) is left alone; a package directory reached through a link is not: a
    // package's `src` linked outside, with the hatch version file in it.
    let world = World::new();
    let pkg = world.pkg("a");
    let outside = world.env.path().join("outside-src");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(
        outside.join("__about__.py"),
        "__version__ = \"0.1.0.dev0\"\n",
    )
    .unwrap();
    let pyproject = pkg.join("pyproject.toml");
    let text = std::fs::read_to_string(&pyproject).unwrap();
    let version_line = text
        .lines()
        .find(|l| l.starts_with("version = "))
        .unwrap()
        .to_owned();
    let text = text.replacen(&version_line, "dynamic = [\"version\"]", 1)
        + "\n[tool.hatch.version]\npath = \"about/__about__.py\"\n";
    std::fs::write(&pyproject, text).unwrap();
    symlink(&outside, pkg.join("about")).unwrap();
    git(&pkg, &["add", "-A"]);
    git(&pkg, &["commit", "-q", "-m", "chore: dynamic version"]);
    refused(
        &world,
        &["--bump", "patch", "--push"],
        &["packages/a/about", "symbolic link", "outside"],
    );
    assert_eq!(
        std::fs::read_to_string(outside.join("__about__.py")).unwrap(),
        "__version__ = \"0.1.0.dev0\"\n"
    );
}

#[test]
fn link_made_while_a_run_is_unfinished_is_refused_on_resume_before_any_step() {
    let world = World::new();
    // The run dies once its first step is done: the rest waits in the journal.
    let out = world
        .cmd()
        .args(["release", "--bump", "patch"])
        .env("RELEASE_TOOL_FAIL_AFTER_STEP", "1")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let journal = world.journal().expect("a journal");
    let pending = journal.to_string();
    assert!(pending.contains("packages/b/CHANGELOG.md"), "{pending}");
    // Meanwhile b's CHANGELOG.md (still to be written by the run) becomes a link outside.
    let outside = world.env.path().join("outside.md");
    std::fs::write(&outside, "keep\n").unwrap();
    symlink(&outside, world.pkg("b").join("CHANGELOG.md")).unwrap();
    let before = world.state();
    let out = world.release(&["--bump", "patch"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains("packages/b/CHANGELOG.md is a symbolic link to")
            && stderr.contains("hint: "),
        "{stderr}"
    );
    // The lock the killed run left behind is taken over and released: all else stays.
    let unlocked = |state: Vec<String>| -> Vec<String> {
        state
            .into_iter()
            .filter(|l| !l.starts_with("product/.release_tool/lock "))
            .collect()
    };
    assert_eq!(
        unlocked(before),
        unlocked(world.state()),
        "the refused resume changed something"
    );
    assert_eq!(world.journal(), Some(journal));
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "keep\n");
    // The link gone, the same command finishes the run.
    std::fs::remove_file(world.pkg("b").join("CHANGELOG.md")).unwrap();
    let out = world.release(&["--bump", "patch"]);
    let (stdout, stderr) = outputs(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(git(&world.pkg("b"), &["tag", "--list"]).contains("v0.1.0"));
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "keep\n");
}

#[test]
fn tag_message_file_linked_outside_is_never_read_into_a_tag() {
    let world = World::new();
    let secret = world.env.path().join("secret.txt");
    std::fs::write(&secret, "TOP SECRET\n").unwrap();
    let dir = world.root.join("release_tool/changes/a");
    std::fs::create_dir_all(&dir).unwrap();
    symlink(&secret, dir.join("tag_message.md")).unwrap();
    let stderr = refused(
        &world,
        &["--bump", "patch", "--push"],
        &["release_tool/changes/a/tag_message.md", "symbolic link"],
    );
    assert!(!stderr.contains("TOP SECRET"), "{stderr}");
}

#[test]
fn manifest_lock_linked_outside_is_refused_before_uv_writes_it() {
    let world = World::new();
    let outside = world.env.path().join("outside.lock");
    std::fs::write(&outside, "keep\n").unwrap();
    symlink(&outside, world.root.join("staging/uv.lock")).unwrap();
    refused(
        &world,
        &["--bump", "patch", "--push"],
        &[
            "root: staging/uv.lock is a symbolic link to",
            "outside the workspace",
        ],
    );
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "keep\n");
}

#[test]
fn state_directory_linked_outside_is_refused_before_the_lock_or_journal_is_written() {
    let world = World::new();
    let outside = world.env.path().join("outside-state");
    std::fs::create_dir_all(&outside).unwrap();
    symlink(&outside, world.root.join(".release_tool")).unwrap();
    let out = world.release(&["--bump", "patch", "--push"]);
    let (stdout, stderr) = outputs(&out);
    assert!(!out.status.success(), "{stdout}{stderr}");
    assert!(
        stderr.contains(".release_tool is a symbolic link") && stderr.contains("hint: "),
        "{stderr}"
    );
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
}
