//! Issue 17, item 1: a tag message belongs to the version it was written for. `notes` marks
//! the message it writes with the release it follows; a release consumes the message it used
//! (archived under `.release_tool/released/`, a step of the plan); a message written for an
//! earlier release is neither kept by `notes` nor used by a release.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::trunk::World;
use crate::support::{commit_file, git, outputs};

fn ok(out: &Output) -> (String, String) {
    let (stdout, stderr) = outputs(out);
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    (stdout, stderr)
}

fn message_file(w: &World, name: &str) -> PathBuf {
    w.root
        .join("release_tool/changes")
        .join(name)
        .join("tag_message.md")
}

fn tag_message(repo: &Path, tag: &str) -> String {
    git(
        repo,
        &[
            "for-each-ref",
            "--format=%(contents)",
            &format!("refs/tags/{tag}"),
        ],
    )
}

#[test]
fn a_release_consumes_its_tag_message_and_notes_writes_a_new_one_after_it() {
    let w = World::new();
    ok(&w.run(&["notes"]));
    let file = message_file(&w, "a");
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(
        written.starts_with("<!-- release-tool: tag message of a after no release, template "),
        "{written}"
    );
    let edited = format!("{written}- A hand-written line.\n");
    std::fs::write(&file, &edited).unwrap();

    let (stdout, _) = ok(&w.release(&["--dry-run"]));
    assert!(
        stdout.contains("a: create .release_tool/released/a/v0.1.0.md")
            && stdout.contains("a: delete release_tool/changes/a/tag_message.md"),
        "{stdout}"
    );
    // b's untouched template is consumed too (it was for this release).
    assert!(
        stdout.contains("b: delete release_tool/changes/b/tag_message.md"),
        "{stdout}"
    );
    ok(&w.release(&[]));
    assert!(!file.exists(), "consumed");
    assert_eq!(
        std::fs::read_to_string(w.root.join(".release_tool/released/a/v0.1.0.md")).unwrap(),
        edited
    );
    assert!(tag_message(&w.pkg("a"), "v0.1.0").contains("- A hand-written line."));
    // The marker never reaches the tag or the changelog.
    assert!(!tag_message(&w.pkg("a"), "v0.1.0").contains("release-tool:"));
    let changelog = std::fs::read_to_string(w.pkg("a").join("CHANGELOG.md")).unwrap();
    assert!(!changelog.contains("<!--"), "{changelog}");

    commit_file(&w.pkg("a"), "src/a/z.py", "Z = 1\n", "feat: a learns Z");
    let (_, stderr) = ok(&w.run(&["notes", "-p", "a"]));
    assert!(!stderr.contains("edited message kept"), "{stderr}");
    let fresh = std::fs::read_to_string(&file).unwrap();
    assert!(
        fresh.starts_with("<!-- release-tool: tag message of a after v0.1.0, template ")
            && fresh.contains("- a learns Z")
            && !fresh.contains("hand-written"),
        "{fresh}"
    );
}

#[test]
fn a_message_written_for_an_earlier_release_is_regenerated_and_not_used() {
    let w = World::new();
    ok(&w.run(&["notes", "-p", "a"]));
    let file = message_file(&w, "a");
    let old = format!(
        "{}- OLD NOTE of the first release.\n",
        std::fs::read_to_string(&file).unwrap()
    );
    std::fs::write(&file, &old).unwrap();
    ok(&w.release(&[]));
    // Put back by hand (or left by an older version of the tool, which did not consume it).
    std::fs::write(&file, &old).unwrap();
    commit_file(&w.pkg("a"), "src/a/z.py", "Z = 1\n", "feat: a learns Z");

    let before = w.state();
    let (stdout, stderr) = ok(&w.release(&["-p", "a", "--dry-run"]));
    assert!(
        stderr.contains("a: release_tool/changes/a/tag_message.md is not used: it was written for the release of a after its start, and v0.1.0 was released since; the notes grouped from the commits stand in (`release-tool notes` writes a new one)"),
        "{stderr}"
    );
    assert!(!stdout.contains("OLD NOTE"), "{stdout}");
    assert!(
        stdout.contains(
            "tag v0.2.0 message:\n    Release a 0.2.0\n\n    Changes since 0.1.0:\n\n    ### Added\n\n    - a learns Z"
        ),
        "{stdout}"
    );
    // Not consumed: `notes` replaces it.
    assert!(
        !stdout.contains("delete release_tool/changes/a/tag_message.md"),
        "{stdout}"
    );
    assert_eq!(before, w.state(), "a dry run changes nothing");

    let (_, stderr) = ok(&w.run(&["notes", "-p", "a"]));
    assert!(
        stderr.contains("a: release_tool/changes/a/tag_message.md written anew: it was written for the release of a after its start, and v0.1.0 was released since"),
        "{stderr}"
    );
    assert!(!stderr.contains("edited message kept"), "{stderr}");
    let fresh = std::fs::read_to_string(&file).unwrap();
    assert!(
        !fresh.contains("OLD NOTE") && fresh.contains("- a learns Z"),
        "{fresh}"
    );
}

#[test]
fn a_message_without_a_marker_is_used_unless_a_release_is_newer_than_it() {
    let w = World::new();
    ok(&w.release(&["-p", "a"]));
    commit_file(&w.pkg("a"), "src/a/z.py", "Z = 1\n", "feat: a learns Z");
    let file = message_file(&w, "a");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, "a {VERSION}\n\n- Hand notes.\n").unwrap();

    // Written after the release (now): used.
    let (stdout, _) = ok(&w.release(&["-p", "a", "--dry-run"]));
    assert!(stdout.contains("- Hand notes."), "{stdout}");

    // Last modified before the release v0.1.0 was made (2026-01-01): written for that one.
    let touched = std::process::Command::new("touch")
        .args(["-d", "2025-06-01T00:00:00Z"])
        .arg(&file)
        .status()
        .unwrap();
    assert!(touched.success());
    let (stdout, stderr) = ok(&w.release(&["-p", "a", "--dry-run"]));
    assert!(
        stderr.contains("a: release_tool/changes/a/tag_message.md is not used: it is older than the release v0.1.0"),
        "{stderr}"
    );
    assert!(!stdout.contains("Hand notes"), "{stdout}");
}
