//! The pull-request flow of the release stages end to end, with real git and bare `file://`
//! remotes (the root has one too): `branch` → `changes` → `commit --push` → `notes` →
//! `prepare --push` → (the pull request is merged on the remote) → `tag --sync --push` →
//! `next --push`, their dry runs and aliases, refusals and `--no-root-commit`.
//!
//! No forge is configured and the remotes are `file://` ones: no forge is inferred, so there are
//! no forge steps (one note says so) and no compare URL.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::support::{TestEnv, git, outputs, snapshot_tree};

/// 2026-01-01T00:00:00Z, the date of every CHANGELOG entry (`SOURCE_DATE_EPOCH`).
const EPOCH: &str = "1767225600";
const MESSAGE_A: &str = "a {VERSION}: the X release\n\nEverything since {PREV_VERSION}.\n";

fn run(env: &TestEnv, dir: &Path, args: &[&str]) -> Output {
    env.cmd_uv(dir)
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .args(args)
        .output()
        .expect("run release-tool")
}

/// Run and require `code`; returns (stdout, stderr).
fn expect(env: &TestEnv, dir: &Path, args: &[&str], code: i32) -> (String, String) {
    let out = run(env, dir, args);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(
        out.status.code(),
        Some(code),
        "{args:?}\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    (stdout, stderr)
}

fn ok(env: &TestEnv, dir: &Path, args: &[&str]) -> (String, String) {
    expect(env, dir, args, 0)
}

fn pkg(root: &Path, name: &str) -> PathBuf {
    root.join("packages").join(name)
}

fn remote(env: &TestEnv, name: &str) -> PathBuf {
    env.path().join(format!("remotes/{name}.git"))
}

fn url(env: &TestEnv, name: &str) -> String {
    format!("file://{}", remote(env, name).display())
}

fn rev(repo: &Path, rev: &str) -> String {
    git(repo, &["rev-parse", rev]).trim().to_owned()
}

fn branch(repo: &Path) -> String {
    git(repo, &["branch", "--show-current"]).trim().to_owned()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn message(repo: &Path, rev: &str) -> String {
    git(repo, &["log", "-1", "--format=%B", rev])
        .trim_end()
        .to_owned()
}

/// The message of an annotated tag (and that it is annotated).
fn tag_message(repo: &Path, tag: &str) -> String {
    assert_eq!(
        git(repo, &["cat-file", "-t", &format!("refs/tags/{tag}")]).trim(),
        "tag",
        "{tag} is annotated"
    );
    git(
        repo,
        &[
            "for-each-ref",
            "--format=%(contents)",
            &format!("refs/tags/{tag}"),
        ],
    )
    .trim_end()
    .to_owned()
}

/// The commit a ref points at on a remote (`None` when it has no such ref); tags peeled.
fn on_remote(env: &TestEnv, name: &str, refname: &str) -> Option<String> {
    let out = git(&env.path(), &["ls-remote", &url(env, name)]);
    let peeled = format!("{refname}^{{}}");
    let line = |wanted: &str| {
        out.lines()
            .find_map(|l| l.split_once('\t').filter(|(_, n)| *n == wanted))
            .map(|(oid, _)| oid.to_owned())
    };
    line(&peeled).or_else(|| line(refname))
}

fn version_of(root: &Path, name: &str) -> String {
    let text = read(&pkg(root, name).join("pyproject.toml"));
    let line = text.lines().find(|l| l.starts_with("version = ")).unwrap();
    line.trim_start_matches("version = ")
        .trim_matches('"')
        .to_owned()
}

fn journal(root: &Path) -> PathBuf {
    root.join(".release_tool/journal.json")
}

/// Everything a command could change: every file under the test's directory (work trees,
/// `.git` directories, the bare remotes, the journal), and the refs and stashes of every repo.
fn state(env: &TestEnv, root: &Path) -> Vec<String> {
    let mut out = snapshot_tree(&env.path());
    for repo in [root.to_path_buf(), pkg(root, "a"), pkg(root, "b")] {
        out.push(git(&repo, &["for-each-ref"]));
        out.push(git(&repo, &["stash", "list"]));
    }
    for name in ["a", "b", "root"] {
        out.push(git(&remote(env, name), &["for-each-ref"]));
    }
    out
}

/// `check` problems of the `pins` kind (a pinned tag missing on its remote).
fn missing_pins(env: &TestEnv, root: &Path) -> Vec<Value> {
    let out = run(env, root, &["check", "--no-locks", "--json"]);
    assert!(!out.stdout.is_empty(), "{}", outputs(&out).1);
    let report: Value = crate::support::json_doc(&out.stdout);
    report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["check"] == "pins")
        .cloned()
        .collect()
}

/// A product of two packages, `a` ← `b` (b requires a), each with a bare remote; the root
/// has a remote too. Everything pushed, every package on `main`.
fn product(env: &TestEnv) -> PathBuf {
    ok(env, &env.path(), &["init", "product", "-q"]);
    let root = env.path().join("product");
    for name in ["a", "b", "root"] {
        let bare = remote(env, name);
        std::fs::create_dir_all(&bare).unwrap();
        git(&bare, &["init", "-q", "--bare", "-b", "main"]);
    }
    git(&root, &["remote", "add", "origin", &url(env, "root")]);
    ok(env, &root, &["new", "a", "--remote", &url(env, "a"), "-q"]);
    ok(
        env,
        &root,
        &["new", "b", "--remote", &url(env, "b"), "--dep", "a", "-q"],
    );
    git(&root, &["push", "-q", "-u", "origin", "main"]);
    for name in ["a", "b"] {
        assert_eq!(branch(&pkg(&root, name)), "main");
    }
    root
}

/// Stages 0–3 of the flow: `branch --push`, an edit in each package, `changes`, commit
/// messages, `commit --push`, `notes`, and a's tag message rewritten by hand.
fn ready_to_prepare(env: &TestEnv) -> PathBuf {
    let root = product(env);
    ok(env, &root, &["branch", "--push"]);
    for (name, line) in [("a", "X = 1"), ("b", "Y = 2")] {
        assert_eq!(branch(&pkg(&root, name)), "dev_branch");
        let init = pkg(&root, name).join(format!("src/{name}/__init__.py"));
        let text = read(&init) + line + "\n";
        std::fs::write(&init, text).unwrap();
    }
    ok(env, &root, &["changes"]);
    let changes = root.join("release_tool/changes");
    assert!(read(&changes.join("a/changes_uncommitted.txt")).contains("+X = 1"));
    assert!(read(&changes.join("b/changes_uncommitted.txt")).contains("+Y = 2"));
    std::fs::write(changes.join("a/commit_message.txt"), "feat: add X\n").unwrap();
    std::fs::write(
        changes.join("b/commit_message.txt"),
        "fix: handle Y\n\nY matters.\n",
    )
    .unwrap();
    ok(env, &root, &["commit", "--push"]);
    for (name, subject) in [("a", "feat: add X"), ("b", "fix: handle Y")] {
        let p = pkg(&root, name);
        assert_eq!(
            git(&p, &["log", "-1", "--format=%s"]).trim(),
            subject,
            "{name}"
        );
        assert_eq!(
            on_remote(env, name, "refs/heads/dev_branch"),
            Some(rev(&p, "HEAD")),
            "{name}: pushed"
        );
    }
    ok(env, &root, &["notes"]);
    for name in ["a", "b"] {
        let template = read(&changes.join(format!("{name}/tag_message.md")));
        // A first release: `{VERSION}` only (there is no previous version to name).
        assert!(
            template.contains("{VERSION}") && template.contains("First release:"),
            "{template}"
        );
    }
    std::fs::write(changes.join("a/tag_message.md"), MESSAGE_A).unwrap();
    root
}

/// "Merge the pull request on the remote": in a scratch clone of the package's remote, merge
/// `origin/dev_branch` into `main` with a merge commit and push.
fn merge_on_remote(env: &TestEnv, name: &str) {
    let scratch = env.path().join(format!("scratch-{name}"));
    if scratch.exists() {
        git(&scratch, &["fetch", "-q", "origin"]);
        git(&scratch, &["reset", "-q", "--hard", "origin/main"]);
    } else {
        git(
            &env.path(),
            &["clone", "-q", &url(env, name), scratch.to_str().unwrap()],
        );
    }
    git(
        &scratch,
        &[
            "merge",
            "-q",
            "--no-ff",
            "-m",
            "Merge branch 'dev_branch'",
            "origin/dev_branch",
        ],
    );
    git(&scratch, &["push", "-q", "origin", "main"]);
}

/// The root's new commits since `since`, newest first (subjects).
fn root_commits_since(root: &Path, since: &str) -> Vec<String> {
    git(root, &["log", "--format=%s", &format!("{since}..HEAD")])
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The commit a submodule pointer of the root's HEAD records.
fn gitlink(root: &Path, name: &str) -> String {
    let line = git(root, &["ls-tree", "HEAD", &format!("packages/{name}")]);
    line.split_whitespace().nth(2).unwrap().to_owned()
}

fn journal_finished(root: &Path) -> Option<bool> {
    let text = std::fs::read_to_string(journal(root)).ok()?;
    serde_json::from_str::<Value>(&text).ok()?["finished"].as_bool()
}

/// The commit of `name`'s dev tag.
fn tags_commit(root: &Path, name: &str) -> String {
    rev(&pkg(root, name), "v0.1.0.dev1^{commit}")
}

fn pin(env: &TestEnv, name: &str, tag: &str) -> String {
    format!(
        "{name} = {{ git = \"{}\", tag = \"{tag}\" }}",
        url(env, name)
    )
}

// ---------------------------------------------------------------------------------------------

#[test]
fn the_pull_request_flow_releases_a_patch_version() {
    let env = TestEnv::new();
    let root = ready_to_prepare(&env);
    let staging_before = read(&root.join("staging/pyproject.toml"));
    let prod_before = read(&root.join("prod/pyproject.toml"));
    let start = rev(&root, "HEAD");
    let work: Vec<String> = ["a", "b"]
        .iter()
        .map(|n| rev(&pkg(&root, n), "HEAD"))
        .collect();

    // prepare: the release commit on dev_branch, pushed; no forge for `file://` remotes, so the
    // pull request is left to the user, with no compare URL (no web page for a file path).
    let (stdout, stderr) = ok(&env, &root, &["prepare", "--bump", "patch", "--push"]);
    assert_eq!(
        stderr
            .matches("note: forge steps are off: the package remotes are local")
            .count(),
        1,
        "{stderr}"
    );
    assert!(
        !stderr.contains("/compare/") && !stderr.contains("POST /repos"),
        "{stderr}"
    );
    assert_eq!(
        crate::support::table_row(&stdout, "a").as_deref(),
        Some("a 0.1.0.dev0 → 0.1.0 - - pushed"),
        "{stdout}"
    );
    let mut release = Vec::new();
    for (i, name) in ["a", "b"].iter().enumerate() {
        let p = pkg(&root, name);
        assert_eq!(branch(&p), "dev_branch", "{name}");
        assert_eq!(rev(&p, "HEAD^"), work[i], "{name}: one release commit");
        assert_eq!(version_of(&root, name), "0.1.0");
        assert_eq!(
            git(
                &p,
                &["show", "--format=", "--name-only", "--no-renames", "HEAD"]
            ),
            "CHANGELOG.md\npyproject.toml\n",
            "{name}"
        );
        assert_eq!(
            on_remote(&env, name, "refs/heads/dev_branch"),
            Some(rev(&p, "HEAD")),
            "{name}: dev_branch pushed"
        );
        assert_eq!(
            on_remote(&env, name, "refs/heads/main"),
            Some(rev(&p, "main")),
            "{name}: main untouched"
        );
        assert_eq!(
            git(&p, &["tag", "--list"]),
            "",
            "{name}: a final version is not tagged yet"
        );
        assert_eq!(on_remote(&env, name, "refs/tags/v0.1.0"), None);
        assert_eq!(git(&p, &["status", "--porcelain"]), "");
        release.push(rev(&p, "HEAD"));
    }
    let (a, b) = (pkg(&root, "a"), pkg(&root, "b"));
    // The release commit's message is the filled tag message: a's own words, b's template with
    // its comment removed.
    assert_eq!(
        message(&a, "HEAD"),
        "a 0.1.0: the X release\n\nEverything since the first commit."
    );
    assert_eq!(
        message(&b, "HEAD"),
        "Release b 0.1.0\n\nFirst release:\n\n### Fixed\n\n- handle Y"
    );
    let changelog_a = read(&a.join("CHANGELOG.md"));
    assert!(
        changelog_a.contains("## [0.1.0] - 2026-01-01\n\nEverything since the first commit.\n"),
        "{changelog_a}"
    );
    let changelog_b = read(&b.join("CHANGELOG.md"));
    assert!(
        changelog_b.contains("## [0.1.0] - 2026-01-01\n")
            && changelog_b.contains("### Fixed\n\n- handle Y\n"),
        "{changelog_b}"
    );
    // b's requirement on a is raised to the version released with it.
    let b_py = read(&b.join("pyproject.toml"));
    assert!(b_py.contains("\"a>=0.1.0\""), "{b_py}");
    // Staging pins only tags that exist: no tag was made, so nothing is pinned; the product's
    // version (the root project, both manifests too) is bumped with the packages' (patch).
    let bumped = |text: &str| text.replace("version = \"0.1.0\"", "version = \"0.1.1\"");
    assert_eq!(
        read(&root.join("staging/pyproject.toml")),
        bumped(&staging_before)
    );
    assert_eq!(
        read(&root.join("prod/pyproject.toml")),
        bumped(&prod_before)
    );
    assert_eq!(missing_pins(&env, &root), Vec::<Value>::new());
    // One root commit: the submodule pointers at the release commits, pushed.
    assert_eq!(
        root_commits_since(&root, &start),
        ["prepare: a 0.1.0, b 0.1.0"]
    );
    assert_eq!(gitlink(&root, "a"), release[0]);
    assert_eq!(gitlink(&root, "b"), release[1]);
    assert_eq!(git(&root, &["status", "--porcelain"]), "");
    assert_eq!(
        on_remote(&env, "root", "refs/heads/main"),
        Some(rev(&root, "HEAD"))
    );

    // The pull requests are merged on the remotes.
    merge_on_remote(&env, "a");
    merge_on_remote(&env, "b");

    // tag --sync: main checked out and fast-forwarded, the release commit tagged, prod pinned.
    let start = rev(&root, "HEAD");
    let (_, stderr) = ok(&env, &root, &["tag", "--sync", "--push"]);
    for (i, name) in ["a", "b"].iter().enumerate() {
        let p = pkg(&root, name);
        assert_eq!(branch(&p), "main", "{name}");
        let merged = on_remote(&env, name, "refs/heads/main").unwrap();
        assert_eq!(rev(&p, "HEAD"), merged, "{name}: fast-forwarded");
        assert_eq!(rev(&p, "HEAD^2"), release[i], "{name}: the merge commit");
        assert_eq!(
            rev(&p, "v0.1.0^{commit}"),
            release[i],
            "{name}: tag on the release commit"
        );
        assert_eq!(
            tag_message(&p, "v0.1.0"),
            message(&p, &release[i]),
            "{name}"
        );
        assert_eq!(
            on_remote(&env, name, "refs/tags/v0.1.0"),
            Some(release[i].clone()),
            "{name}: tag pushed"
        );
        assert!(!stderr.contains("POST /repos"), "{stderr}");
    }
    // b's tag message keeps its Markdown heading (git's default cleanup would drop `#` lines).
    assert!(tag_message(&b, "v0.1.0").contains("### Fixed"));
    for file in ["prod/pyproject.toml", "staging/pyproject.toml"] {
        let text = read(&root.join(file));
        for name in ["a", "b"] {
            assert!(text.contains(&pin(&env, name, "v0.1.0")), "{file}: {text}");
        }
    }
    assert_eq!(root_commits_since(&root, &start), ["tag: a 0.1.0, b 0.1.0"]);
    assert_eq!(
        git(&root, &["show", "--format=", "--name-only", "HEAD"]),
        "packages/a\npackages/b\nprod/pyproject.toml\nprod/uv.lock\nstaging/pyproject.toml\nstaging/uv.lock\n"
    );
    let lock = read(&root.join("prod/uv.lock"));
    assert!(
        lock.contains(&format!("{}?tag=v0.1.0#{}", url(&env, "a"), release[0])),
        "{lock}"
    );
    assert_eq!(
        message(&root, "HEAD"),
        "tag: a 0.1.0, b 0.1.0\n\n- a 0.1.0 (v0.1.0)\n- b 0.1.0 (v0.1.0)\n\nProduct product 0.1.1 (v0.1.1)"
    );
    assert_eq!(rev(&root, "v0.1.1^{commit}"), rev(&root, "HEAD"));
    assert_eq!(gitlink(&root, "a"), rev(&a, "HEAD"));
    assert_eq!(git(&root, &["status", "--porcelain"]), "");
    assert_eq!(
        on_remote(&env, "root", "refs/heads/main"),
        Some(rev(&root, "HEAD"))
    );
    assert_eq!(missing_pins(&env, &root), Vec::<Value>::new());

    // next: dev_branch restarted at main with the next development version, pushed; also when
    // the merged dev_branch (behind main by the merge commit) is the one checked out.
    git(&a, &["switch", "-q", "dev_branch"]);
    let start = rev(&root, "HEAD");
    let (stdout, _) = ok(&env, &root, &["next", "--push"]);
    assert_eq!(
        crate::support::table_row(&stdout, "a").as_deref(),
        Some("a 0.1.0 - 0.1.1.dev0 pushed"),
        "{stdout}"
    );
    for name in ["a", "b"] {
        let p = pkg(&root, name);
        assert_eq!(branch(&p), "dev_branch", "{name}");
        assert_eq!(rev(&p, "HEAD^"), rev(&p, "main"), "{name}: on top of main");
        assert_eq!(message(&p, "HEAD"), "chore: start 0.1.1.dev0 development");
        assert_eq!(version_of(&root, name), "0.1.1.dev0");
        assert_eq!(
            on_remote(&env, name, "refs/heads/dev_branch"),
            Some(rev(&p, "HEAD")),
            "{name}: pushed"
        );
        assert_eq!(
            git(&p, &["rev-parse", "--abbrev-ref", "dev_branch@{upstream}"]).trim(),
            "origin/dev_branch"
        );
        assert_eq!(git(&p, &["status", "--porcelain"]), "");
    }
    assert_eq!(
        root_commits_since(&root, &start),
        ["next: a 0.1.1.dev0, b 0.1.1.dev0"]
    );
    assert_eq!(
        message(&root, "HEAD"),
        "next: a 0.1.1.dev0, b 0.1.1.dev0\n\n- a 0.1.0 → 0.1.1.dev0\n- b 0.1.0 → 0.1.1.dev0"
    );
    assert_eq!(git(&root, &["status", "--porcelain"]), "");
    assert_eq!(
        on_remote(&env, "root", "refs/heads/main"),
        Some(rev(&root, "HEAD"))
    );
}

#[test]
fn a_dev_version_is_tagged_at_once_and_pinned_in_staging() {
    let env = TestEnv::new();
    let root = ready_to_prepare(&env);
    let prod_before = read(&root.join("prod/pyproject.toml"));
    let start = rev(&root, "HEAD");
    let (stdout, _) = ok(&env, &root, &["prepare", "--bump", "dev", "--push"]);
    assert!(
        crate::support::table_row(&stdout, "a")
            .is_some_and(|r| r.starts_with("a 0.1.0.dev0 → 0.1.0.dev1 v0.1.0.dev1 - pushed")),
        "{stdout}"
    );
    let mut tags = Vec::new();
    for name in ["a", "b"] {
        let p = pkg(&root, name);
        assert_eq!(version_of(&root, name), "0.1.0.dev1");
        assert_eq!(rev(&p, "v0.1.0.dev1^{commit}"), rev(&p, "HEAD"), "{name}");
        assert_eq!(
            tag_message(&p, "v0.1.0.dev1"),
            message(&p, "HEAD"),
            "{name}"
        );
        assert_eq!(
            on_remote(&env, name, "refs/tags/v0.1.0.dev1"),
            Some(rev(&p, "HEAD")),
            "{name}: tag pushed"
        );
        assert_eq!(
            on_remote(&env, name, "refs/heads/dev_branch"),
            Some(rev(&p, "HEAD")),
            "{name}: branch pushed"
        );
        tags.push(rev(&p, "refs/tags/v0.1.0.dev1"));
    }
    let b = pkg(&root, "b");
    assert_eq!(
        tag_message(&b, "v0.1.0.dev1"),
        "Release b 0.1.0.dev1\n\nFirst release:\n\n### Fixed\n\n- handle Y"
    );
    assert!(read(&b.join("pyproject.toml")).contains("\"a>=0.1.0.dev1\""));
    let staging = read(&root.join("staging/pyproject.toml"));
    for name in ["a", "b"] {
        assert!(
            staging.contains(&pin(&env, name, "v0.1.0.dev1")),
            "{staging}"
        );
    }
    assert_eq!(read(&root.join("prod/pyproject.toml")), prod_before);
    // The staging pins exist on the remotes.
    assert_eq!(missing_pins(&env, &root), Vec::<Value>::new());
    assert_eq!(
        root_commits_since(&root, &start),
        ["prepare: a 0.1.0.dev1, b 0.1.0.dev1"]
    );
    assert_eq!(
        git(&root, &["show", "--format=", "--name-only", "HEAD"]),
        "packages/a\npackages/b\nstaging/pyproject.toml\nstaging/uv.lock\n"
    );
    // The staging lock is refreshed against the pushed tags.
    let lock = read(&root.join("staging/uv.lock"));
    for name in ["a", "b"] {
        assert!(
            lock.contains(&format!(
                "{}?tag=v0.1.0.dev1#{}",
                url(&env, name),
                tags_commit(&root, name)
            )),
            "{lock}"
        );
    }
    assert_eq!(
        on_remote(&env, "root", "refs/heads/main"),
        Some(rev(&root, "HEAD"))
    );

    // After the merge, `tag --sync` finds the tag already on the release commit: skipped.
    merge_on_remote(&env, "a");
    merge_on_remote(&env, "b");
    let (_, stderr) = ok(&env, &root, &["tag", "--sync"]);
    for (i, name) in ["a", "b"].iter().enumerate() {
        assert!(
            stderr.contains(&format!(
                "{name}: skipped, tag v0.1.0.dev1 already exists on the release commit"
            )),
            "{stderr}"
        );
        let p = pkg(&root, name);
        assert_eq!(branch(&p), "main");
        assert_eq!(rev(&p, "refs/tags/v0.1.0.dev1"), tags[i], "not re-made");
    }
    assert!(stderr.contains("Nothing to do"), "{stderr}");
}

/// `prepare --push` asks the remote for the dev tag it will push before its first step: a tag
/// already there (someone prepared the same version) stops the run with nothing changed, instead
/// of a push refused after the release commit and the local tag were made.
#[test]
fn prepare_push_refuses_a_dev_tag_already_on_the_remote_before_its_first_step() {
    let env = TestEnv::new();
    let root = ready_to_prepare(&env);
    let a = pkg(&root, "a");
    // The remote has v0.1.0.dev1 (on another commit); the local repository does not.
    git(
        &a,
        &["push", "-q", "origin", "HEAD~1:refs/tags/v0.1.0.dev1"],
    );
    assert!(git(&a, &["tag", "--list"]).trim().is_empty());
    let before = state(&env, &root);
    for args in [
        &["prepare", "--bump", "dev", "--push", "--dry-run"][..],
        &["prepare", "--bump", "dev", "--push"][..],
    ] {
        let (_, stderr) = expect(&env, &root, args, 1);
        assert!(
            stderr.contains(
                "Cannot prepare; nothing was changed:\n  a (packages/a): tag v0.1.0.dev1 already exists on `origin` (fetch it with `git -C packages/a fetch --tags origin`); choose another --bump"
            ),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("b (packages/b)"), "{stderr}");
        assert!(
            stderr.contains("hint: fix what is named above, then run the same command again"),
            "{stderr}"
        );
        assert_eq!(before, state(&env, &root), "{args:?}");
    }

    // An unreachable remote is refused the same way, before anything changes.
    git(&a, &["push", "-q", "origin", ":refs/tags/v0.1.0.dev1"]);
    git(
        &a,
        &["remote", "set-url", "origin", "file:///nonexistent/a.git"],
    );
    let before = state(&env, &root);
    let (_, stderr) = expect(&env, &root, &["prepare", "--bump", "dev", "--push"], 1);
    assert!(
        stderr.contains("a (packages/a): cannot reach its remote `origin`"),
        "{stderr}"
    );
    assert_eq!(before, state(&env, &root));
    git(&a, &["remote", "set-url", "origin", &url(&env, "a")]);

    // With the tag gone and the remote back, the same command goes through.
    ok(&env, &root, &["prepare", "--bump", "dev", "--push"]);
    assert_eq!(
        on_remote(&env, "a", "refs/tags/v0.1.0.dev1"),
        Some(rev(&a, "HEAD")),
    );
}

#[test]
fn tag_skips_a_tag_on_the_release_commit_and_refuses_one_elsewhere() {
    let env = TestEnv::new();
    let root = product(&env);
    let a = pkg(&root, "a");
    // A release commit on main (as a merged pull request leaves it), tagged by hand already.
    let py = read(&a.join("pyproject.toml")).replace("0.1.0.dev0", "0.1.0");
    std::fs::write(a.join("pyproject.toml"), py).unwrap();
    git(&a, &["commit", "-q", "-am", "Release a 0.1.0"]);
    git(&a, &["tag", "-a", "-m", "Release a 0.1.0", "v0.1.0"]);
    let before = state(&env, &root);
    let (_, stderr) = ok(&env, &root, &["-p", "a", "tag"]);
    assert!(
        stderr.contains("a: skipped, tag v0.1.0 already exists on the release commit"),
        "{stderr}"
    );
    assert!(stderr.contains("Nothing to do"), "{stderr}");
    assert_eq!(before, state(&env, &root), "nothing changed");
    assert!(!journal(&root).exists());

    // The same tag on another commit: a clear error, nothing changed.
    git(&a, &["tag", "-d", "v0.1.0"]);
    git(&a, &["tag", "-a", "-m", "wrong", "v0.1.0", "HEAD^"]);
    let before = state(&env, &root);
    let (_, stderr) = expect(&env, &root, &["-p", "a", "tag", "--push"], 1);
    let (wrong, release) = (rev(&a, "HEAD^"), rev(&a, "HEAD"));
    assert!(
        stderr.contains(&format!(
            "Cannot tag; nothing was changed:\n  a (packages/a): tag v0.1.0 already exists on {}, not on the release commit {}",
            &wrong[..7],
            &release[..7]
        )),
        "{stderr}"
    );
    assert_eq!(before, state(&env, &root), "nothing changed");
    assert_eq!(on_remote(&env, "a", "refs/tags/v0.1.0"), None);
}

#[test]
fn dry_runs_change_nothing_and_the_stage_aliases_print_the_same() {
    let env = TestEnv::new();
    let root = ready_to_prepare(&env);

    let before = state(&env, &root);
    let prepare = ok(
        &env,
        &root,
        &["prepare", "--bump", "patch", "--push", "--dry-run"],
    );
    assert_eq!(
        before,
        state(&env, &root),
        "prepare --dry-run changed something"
    );
    assert!(!journal(&root).exists(), "no journal for a dry run");
    env.insta_settings().bind(|| {
        insta::assert_snapshot!(
            "prepare_patch_push_dry_run",
            format!("{}\n--- stderr ---\n{}", prepare.0, prepare.1)
        );
    });
    let alias = ok(
        &env,
        &root,
        &["stage4", "--bump", "patch", "--push", "--dry-run"],
    );
    assert_eq!(alias, prepare, "stage4 is prepare");
    let (json, _) = ok(
        &env,
        &root,
        &[
            "prepare",
            "--bump",
            "patch",
            "--push",
            "--dry-run",
            "--json",
        ],
    );
    let steps: Vec<Value> =
        serde_json::from_value(crate::support::json_doc(&json)["steps"].clone()).unwrap();
    assert!(
        prepare
            .1
            .contains(&format!("Dry run: {} steps planned", steps.len()))
    );
    assert!(
        steps
            .iter()
            .all(|s| s["action"].is_string() && s["detail"].is_string())
    );
    assert_eq!(before, state(&env, &root));

    ok(&env, &root, &["prepare", "--bump", "patch", "--push"]);
    merge_on_remote(&env, "a");
    merge_on_remote(&env, "b");

    // Not fetched yet: the dry run plans from the last fetch and says that it is stale.
    let before = state(&env, &root);
    let (_, stderr) = ok(&env, &root, &["tag", "--sync", "--push", "--dry-run"]);
    assert!(
        stderr.contains("note: a: origin/main has moved since it was last fetched"),
        "{stderr}"
    );
    assert_eq!(
        before,
        state(&env, &root),
        "tag --dry-run changed something"
    );

    ok(&env, &root, &["status", "--fetch"]);
    let before = state(&env, &root);
    let tag = ok(&env, &root, &["tag", "--sync", "--push", "--dry-run"]);
    assert_eq!(
        before,
        state(&env, &root),
        "tag --dry-run changed something"
    );
    let (stdout, stderr) = &tag;
    assert!(!stderr.contains("has moved"), "{stderr}");
    let a = pkg(&root, "a");
    let release_a = rev(&a, "dev_branch");
    for line in [
        "a: git -C packages/a fetch --quiet --tags -- origin\n",
        "a: git -C packages/a checkout --quiet main\n",
        "a: git -C packages/a merge --ff-only --quiet refs/remotes/origin/main\n",
    ] {
        assert!(stdout.contains(line), "{line}\n{stdout}");
    }
    let tag_line = format!(
        "a: git -C packages/a tag --annotate --cleanup=whitespace --message 'a 0.1.0: the X release\n\nEverything since the first commit.' -- v0.1.0 {release_a}\n"
    );
    assert!(stdout.contains(&tag_line), "{tag_line}\n{stdout}");
    assert!(
        stdout.contains(
            "a: git -C packages/a push --quiet origin refs/tags/v0.1.0:refs/tags/v0.1.0\n"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("    +{}\n", pin(&env, "b", "v0.1.0"))),
        "{stdout}"
    );
    assert!(stdout.contains("root: git -C . commit --quiet -m 'tag: a 0.1.0, b 0.1.0"));
    let alias = ok(&env, &root, &["stage5", "--sync", "--push", "--dry-run"]);
    assert_eq!(&alias, &tag, "stage5 is tag");
    assert_eq!(before, state(&env, &root));

    // The real run does what the dry run showed.
    ok(&env, &root, &["tag", "--sync", "--push"]);
    assert_eq!(rev(&a, "v0.1.0^{commit}"), release_a);

    // Run again, every tag is there and pushed: no root commit of unchanged pointers (it used
    // to fail with git's "nothing to commit"), nothing changed anywhere.
    let refs = || -> Vec<String> {
        let repos = [root.clone(), pkg(&root, "a"), pkg(&root, "b")];
        let remotes = ["a", "b", "root"].map(|n| remote(&env, n));
        repos
            .iter()
            .chain(&remotes)
            .map(|r| git(r, &["for-each-ref"]))
            .collect()
    };
    let before = refs();
    let (_, stderr) = ok(&env, &root, &["tag", "--push"]);
    assert!(!stderr.contains("nothing to commit"), "{stderr}");
    assert_eq!(before, refs(), "a re-run of tag --push moved a ref");
    assert_eq!(git(&root, &["status", "--porcelain"]), "");

    let before = state(&env, &root);
    let next = ok(&env, &root, &["next", "--push", "--dry-run"]);
    assert!(
        next.0
            .contains("a: git -C packages/a checkout --quiet -B dev_branch refs/heads/main\n"),
        "{}",
        next.0
    );
    let alias = ok(&env, &root, &["stage6", "--push", "--dry-run"]);
    assert_eq!(alias, next, "stage6 is next");
    assert_eq!(
        before,
        state(&env, &root),
        "next --dry-run changed something"
    );
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let env = TestEnv::new();
    let root = ready_to_prepare(&env);
    let (a, b) = (pkg(&root, "a"), pkg(&root, "b"));

    // prepare: a package that is not on dev_branch.
    git(&b, &["switch", "-q", "main"]);
    let before = state(&env, &root);
    let (_, stderr) = expect(&env, &root, &["prepare", "--bump", "patch"], 1);
    assert!(
        stderr.contains("Cannot prepare; nothing was changed:\n  b (packages/b): is on branch main, not on dev_branch; check out dev_branch first (`git -C packages/b checkout dev_branch`)"),
        "{stderr}"
    );
    assert_eq!(before, state(&env, &root));
    git(&b, &["switch", "-q", "dev_branch"]);

    // prepare: a dirty package.
    std::fs::write(a.join("scratch.txt"), "wip\n").unwrap();
    let before = state(&env, &root);
    let (_, stderr) = expect(&env, &root, &["prepare", "--bump", "patch", "--push"], 1);
    assert!(
        stderr.contains("a (packages/a): has 1 uncommitted change; commit them"),
        "{stderr}"
    );
    assert_eq!(before, state(&env, &root));
    std::fs::remove_file(a.join("scratch.txt")).unwrap();

    ok(&env, &root, &["prepare", "--bump", "patch"]);

    // next: dev_branch has the release commit, not merged into main yet.
    let before = state(&env, &root);
    let (_, stderr) = expect(&env, &root, &["next"], 1);
    for name in ["a", "b"] {
        assert!(
            stderr.contains(&format!("{name} (packages/{name}): dev_branch has commits that are not on main; merge it first")),
            "{stderr}"
        );
    }
    assert_eq!(before, state(&env, &root));
    // tag: a package not on base_branch (without --sync).
    let before = state(&env, &root);
    let (_, stderr) = expect(&env, &root, &["tag"], 1);
    assert!(
        stderr.contains("Cannot tag; nothing was changed:\n  a (packages/a): is on branch dev_branch, not on main; check out main first"),
        "{stderr}"
    );
    assert_eq!(before, state(&env, &root));

    // tag --delete-branch needs --sync: a usage error.
    let (_, stderr) = expect(&env, &root, &["tag", "--delete-branch"], 2);
    assert!(stderr.contains("--sync"), "{stderr}");
    assert_eq!(before, state(&env, &root));
}

#[test]
fn no_root_commit_leaves_the_root_to_the_user() {
    let env = TestEnv::new();
    let root = ready_to_prepare(&env);
    let start = rev(&root, "HEAD");
    let root_remote = on_remote(&env, "root", "refs/heads/main");
    let porcelain = |root: &Path| {
        let mut lines: Vec<String> = git(root, &["status", "--porcelain"])
            .lines()
            .map(str::to_owned)
            .collect();
        lines.sort();
        lines
    };

    ok(
        &env,
        &root,
        &["prepare", "--bump", "patch", "--push", "--no-root-commit"],
    );
    assert_eq!(rev(&root, "HEAD"), start);
    // The product's version and notes are written too, for the user to commit.
    assert_eq!(
        porcelain(&root),
        [
            " M packages/a",
            " M packages/b",
            " M prod/pyproject.toml",
            " M pyproject.toml",
            " M staging/pyproject.toml",
            "?? CHANGELOG.md",
            "?? prod/uv.lock",
            "?? staging/uv.lock"
        ]
    );
    assert_eq!(
        on_remote(&env, "a", "refs/heads/dev_branch"),
        Some(rev(&pkg(&root, "a"), "HEAD"))
    );

    merge_on_remote(&env, "a");
    merge_on_remote(&env, "b");
    ok(
        &env,
        &root,
        &[
            "tag",
            "--sync",
            "--delete-branch",
            "--push",
            "--no-root-commit",
        ],
    );
    assert_eq!(rev(&root, "HEAD"), start);
    for name in ["a", "b"] {
        let p = pkg(&root, name);
        assert_eq!(branch(&p), "main");
        assert_eq!(
            git(&p, &["branch", "--list", "dev_branch"]),
            "",
            "{name}: deleted"
        );
    }
    assert_eq!(
        porcelain(&root),
        [
            " M packages/a",
            " M packages/b",
            " M prod/pyproject.toml",
            " M pyproject.toml",
            " M staging/pyproject.toml",
            "?? CHANGELOG.md",
            "?? prod/uv.lock",
            "?? staging/uv.lock"
        ]
    );
    // No root commit, so no product tag.
    assert_eq!(git(&root, &["tag", "--list"]), "");
    assert!(on_remote(&env, "a", "refs/tags/v0.1.0").is_some());
    assert!(read(&root.join("prod/pyproject.toml")).contains(&pin(&env, "a", "v0.1.0")));

    ok(&env, &root, &["next", "--push", "--no-root-commit"]);
    assert_eq!(rev(&root, "HEAD"), start);
    let a = pkg(&root, "a");
    assert_eq!(branch(&a), "dev_branch");
    assert_eq!(
        rev(&a, "HEAD^"),
        rev(&a, "main"),
        "dev_branch recreated at main"
    );
    assert_eq!(version_of(&root, "a"), "0.1.1.dev0");
    assert_eq!(on_remote(&env, "root", "refs/heads/main"), root_remote);
    assert_eq!(journal_finished(&root), Some(true));
}

#[test]
fn prepare_twice_does_not_bump_a_prepared_version_again() {
    let env = TestEnv::new();
    let root = ready_to_prepare(&env);
    ok(&env, &root, &["prepare", "--bump", "patch"]);
    // Again: the release commits are HEAD, the packages are skipped.
    let before = state(&env, &root);
    let (_, stderr) = ok(&env, &root, &["prepare", "--bump", "patch"]);
    assert!(
        stderr.contains("a: skipped, already prepared at 0.1.0"),
        "{stderr}"
    );
    assert_eq!(before, state(&env, &root), "nothing changed");
    // A commit after a's release commit (a review fix): preparing again is refused.
    let a = pkg(&root, "a");
    let init = a.join("src/a/__init__.py");
    std::fs::write(&init, read(&init) + "Z = 3\n").unwrap();
    git(&a, &["commit", "-q", "-am", "fix: review"]);
    let before = state(&env, &root);
    let (_, stderr) = expect(&env, &root, &["prepare", "--bump", "patch"], 1);
    assert!(
        stderr.contains("a (packages/a): 0.1.0 is already prepared (not on main, not tagged) and has commits after its release commit: merge it, then `release-tool tag --sync`"),
        "{stderr}"
    );
    assert_eq!(before, state(&env, &root), "nothing changed");
    assert_eq!(version_of(&root, "a"), "0.1.0");
}

#[test]
fn tag_leaves_a_package_that_was_not_prepared_alone() {
    let env = TestEnv::new();
    let root = ready_to_prepare(&env);
    ok(
        &env,
        &root,
        &["-p", "a", "prepare", "--bump", "patch", "--push"],
    );
    merge_on_remote(&env, "a");
    let staging = read(&root.join("staging/pyproject.toml"));
    let (_, stderr) = ok(&env, &root, &["tag", "--sync", "--push"]);
    // b was synced too, but its development version was never prepared: no tag, no pin.
    assert!(
        stderr
            .contains("b: skipped, 0.1.0.dev0 is a development version that `prepare` did not tag"),
        "{stderr}"
    );
    let b = pkg(&root, "b");
    assert_eq!(git(&b, &["tag", "--list"]), "");
    assert_eq!(on_remote(&env, "b", "refs/tags/v0.1.0.dev0"), None);
    let after = read(&root.join("staging/pyproject.toml"));
    assert!(after.contains(&pin(&env, "a", "v0.1.0")), "{after}");
    assert!(!after.contains("b = {"), "{after}");
    assert_ne!(after, staging);
    assert_eq!(
        rev(&pkg(&root, "a"), "v0.1.0^{commit}"),
        rev(&pkg(&root, "a"), "HEAD^2")
    );
}

#[test]
fn a_failed_prepare_resumes_without_repeating_a_step() {
    let env = TestEnv::new();
    let root = ready_to_prepare(&env);
    // b's remote refuses pushes for now.
    let hook = remote(&env, "b").join("hooks/pre-receive");
    std::fs::write(&hook, "#!/bin/sh\necho 'b is frozen' >&2\nexit 1\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let start = rev(&root, "HEAD");
    let (_, stderr) = expect(&env, &root, &["prepare", "--bump", "patch", "--push"], 1);
    assert!(
        stderr.contains("b: step `git -C packages/b push --quiet origin refs/heads/dev_branch:refs/heads/dev_branch` failed")
            && stderr.contains("b is frozen"),
        "{stderr}"
    );
    assert!(
        stderr.contains("warning: root: not started: waits for b"),
        "{stderr}"
    );
    assert_eq!(rev(&root, "HEAD"), start, "no root commit yet");
    let b = pkg(&root, "b");
    let release_b = rev(&b, "HEAD");
    assert_eq!(message(&b, "HEAD").lines().next(), Some("Release b 0.1.0"));

    // Fixed: the same command resumes after the last completed step.
    std::fs::remove_file(&hook).unwrap();
    let (_, stderr) = ok(&env, &root, &["prepare", "--bump", "patch", "--push"]);
    assert!(
        stderr.contains("Resuming `release-tool prepare --bump patch --push`"),
        "{stderr}"
    );
    assert_eq!(rev(&b, "HEAD"), release_b, "no second release commit");
    assert_eq!(version_of(&root, "b"), "0.1.0", "not bumped twice");
    assert_eq!(
        on_remote(&env, "b", "refs/heads/dev_branch"),
        Some(release_b)
    );
    assert_eq!(
        root_commits_since(&root, &start),
        ["prepare: a 0.1.0, b 0.1.0"]
    );
    assert_eq!(journal_finished(&root), Some(true));
}

/// `--replan` after a failed `prepare` (issue 17, item 4): what is done is kept, the packages
/// already prepared are not bumped twice, the rest (b's push, the root commit) is planned again
/// from the workspace and the run finishes.
#[test]
fn a_failed_prepare_replans_without_bumping_twice() {
    let env = TestEnv::new();
    let root = ready_to_prepare(&env);
    let hook = remote(&env, "b").join("hooks/pre-receive");
    std::fs::write(&hook, "#!/bin/sh\necho 'b is frozen' >&2\nexit 1\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let start = rev(&root, "HEAD");
    let (_, stderr) = expect(&env, &root, &["prepare", "--bump", "patch", "--push"], 1);
    assert!(
        stderr.contains("or `release-tool prepare --bump patch --push --replan`"),
        "{stderr}"
    );
    let b = pkg(&root, "b");
    let release_b = rev(&b, "HEAD");
    std::fs::remove_file(&hook).unwrap();
    let (_, stderr) = ok(
        &env,
        &root,
        &["prepare", "--bump", "patch", "--push", "--replan"],
    );
    assert!(
        stderr.contains("Re-planning `release-tool prepare --bump patch --push`"),
        "{stderr}"
    );
    assert_eq!(rev(&b, "HEAD"), release_b, "no second release commit");
    assert_eq!(version_of(&root, "a"), "0.1.0", "not bumped twice");
    assert_eq!(version_of(&root, "b"), "0.1.0", "not bumped twice");
    assert_eq!(
        on_remote(&env, "b", "refs/heads/dev_branch"),
        Some(release_b)
    );
    assert_eq!(
        root_commits_since(&root, &start),
        ["prepare: a 0.1.0, b 0.1.0"]
    );
    assert_eq!(journal_finished(&root), Some(true));
}

/// `--replan` after a failed `tag` and a failed `next` (issue 17, item 4): the packages the
/// unfinished run tagged or moved to their next cycle stay part of it (pins, root commit), are
/// not tagged or bumped twice, and what was not pushed is pushed.
#[test]
fn failed_tag_and_next_replan_without_repeating() {
    let env = TestEnv::new();
    let root = ready_to_prepare(&env);
    ok(&env, &root, &["prepare", "--bump", "patch", "--push"]);
    merge_on_remote(&env, "a");
    merge_on_remote(&env, "b");
    let hook = remote(&env, "b").join("hooks/pre-receive");
    let freeze = || {
        std::fs::write(&hook, "#!/bin/sh\necho 'b is frozen' >&2\nexit 1\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    };

    freeze();
    let start = rev(&root, "HEAD");
    let (_, stderr) = expect(&env, &root, &["tag", "--sync", "--push"], 1);
    assert!(stderr.contains("b is frozen"), "{stderr}");
    std::fs::remove_file(&hook).unwrap();
    let (_, stderr) = ok(&env, &root, &["tag", "--sync", "--push", "--replan"]);
    assert!(
        stderr.contains("Re-planning `release-tool tag --push`"),
        "{stderr}"
    );
    for name in ["a", "b"] {
        let p = pkg(&root, name);
        assert_eq!(git(&p, &["tag", "--list"]).trim(), "v0.1.0", "{name}");
        assert_eq!(
            on_remote(&env, name, "refs/tags/v0.1.0"),
            Some(rev(&p, "v0.1.0^{commit}")),
            "{name}"
        );
    }
    assert_eq!(root_commits_since(&root, &start), ["tag: a 0.1.0, b 0.1.0"]);
    let prod = read(&root.join("prod/pyproject.toml"));
    for name in ["a", "b"] {
        assert!(prod.contains(&pin(&env, name, "v0.1.0")), "{prod}");
    }
    assert_eq!(journal_finished(&root), Some(true));

    freeze();
    let start = rev(&root, "HEAD");
    let (_, stderr) = expect(&env, &root, &["next", "--push"], 1);
    assert!(stderr.contains("b is frozen"), "{stderr}");
    std::fs::remove_file(&hook).unwrap();
    let (stdout, stderr) = ok(&env, &root, &["next", "--push", "--replan"]);
    assert!(
        stderr.contains("Re-planning `release-tool next --push`"),
        "{stderr}"
    );
    for name in ["a", "b"] {
        let p = pkg(&root, name);
        assert_eq!(version_of(&root, name), "0.1.1.dev0", "{name}");
        assert_eq!(
            git(&p, &["log", "--format=%s", "main..HEAD"]).trim(),
            "chore: start 0.1.1.dev0 development",
            "{name}: one next commit"
        );
        assert_eq!(
            on_remote(&env, name, "refs/heads/dev_branch"),
            Some(rev(&p, "HEAD")),
            "{name}: pushed"
        );
        assert!(
            crate::support::table_row(&stdout, name).is_some_and(|r| r.contains("0.1.1.dev0")),
            "{stdout}"
        );
    }
    assert_eq!(root_commits_since(&root, &start).len(), 1);
    assert_eq!(journal_finished(&root), Some(true));
}

/// "Squash-merge the pull request on the remote", as forges do: in a scratch clone, the changes
/// of `origin/dev_branch` in one new commit on `main` (with the release commit's message), pushed,
/// and the merged `dev_branch` deleted on the remote.
fn squash_merge_on_remote(env: &TestEnv, name: &str) {
    let scratch = env.path().join(format!("scratch-{name}"));
    if scratch.exists() {
        git(&scratch, &["fetch", "-q", "--prune", "origin"]);
        git(&scratch, &["reset", "-q", "--hard", "origin/main"]);
    } else {
        git(
            &env.path(),
            &["clone", "-q", &url(env, name), scratch.to_str().unwrap()],
        );
    }
    git(&scratch, &["merge", "-q", "--squash", "origin/dev_branch"]);
    let subject = message(&scratch, "origin/dev_branch");
    git(&scratch, &["commit", "-q", "-m", &subject]);
    git(&scratch, &["push", "-q", "origin", "main"]);
    git(
        &scratch,
        &["push", "-q", "origin", "--delete", "dev_branch"],
    );
}

/// Issue 17, item 7: after a release merged with a merge commit (`--no-ff`) and tagged, the
/// merge commit and the `next` commit change nothing: `prepare` has nothing to do.
#[test]
fn a_merge_commit_and_the_next_commit_are_not_changes() {
    let env = TestEnv::new();
    let root = ready_to_prepare(&env);
    ok(&env, &root, &["prepare", "--bump", "patch", "--push"]);
    merge_on_remote(&env, "a");
    merge_on_remote(&env, "b");
    ok(&env, &root, &["tag", "--sync", "--push"]);
    ok(&env, &root, &["next", "--push"]);
    let before = state(&env, &root);
    let (stdout, stderr) = ok(&env, &root, &["prepare", "--bump", "auto", "--dry-run"]);
    for name in ["a", "b"] {
        assert!(
            stderr.contains(&format!("{name}: skipped, no commits since v0.1.0")),
            "{stderr}"
        );
    }
    assert!(!stdout.contains("Maintenance release"), "{stdout}");
    assert!(stderr.contains("Nothing to do"), "{stderr}");
    assert_eq!(before, state(&env, &root), "nothing changed");
    // `notes` counts the same way: nothing to write.
    let (_, stderr) = ok(&env, &root, &["notes"]);
    assert!(
        stderr.contains("No package has changes since its last release: nothing to write"),
        "{stderr}"
    );
}

/// Issue 17, item 6: after `prepare --bump dev --push` made v0.1.0.dev1 (staging), a final
/// release counts every commit since the last final release (here: none), not since the dev
/// tag, and its notes cover them all (the dev release commit itself is the tool's own).
#[test]
fn a_final_release_after_a_dev_release_counts_the_commits_since_the_last_final_one() {
    let env = TestEnv::new();
    let root = ready_to_prepare(&env);
    ok(&env, &root, &["prepare", "--bump", "dev", "--push"]);
    let (stdout, stderr) = ok(&env, &root, &["prepare", "--bump", "patch", "--dry-run"]);
    assert!(!stderr.contains("skipped"), "{stderr}");
    assert!(
        stdout.contains("a: git -C packages/a commit --quiet -m 'Release a 0.1.0\n\nFirst release:\n\n### Added\n\n- add X\n'"),
        "{stdout}"
    );
    ok(&env, &root, &["prepare", "--bump", "patch", "--push"]);
    let (a, b) = (pkg(&root, "a"), pkg(&root, "b"));
    assert_eq!(version_of(&root, "a"), "0.1.0");
    assert_eq!(
        message(&a, "HEAD"),
        "Release a 0.1.0\n\nFirst release:\n\n### Added\n\n- add X"
    );
    assert_eq!(
        message(&b, "HEAD"),
        "Release b 0.1.0\n\nFirst release:\n\n### Fixed\n\n- handle Y"
    );
    // The dev release (auto bump counts since v0.1.0.dev1 only for dev/pre bumps): a `feat`
    // since the last final release makes `auto` a minor release too.
    let changelog = read(&a.join("CHANGELOG.md"));
    assert!(
        changelog.contains("## [0.1.0] - 2026-01-01\n\nFirst release:\n\n### Added\n\n- add X\n"),
        "{changelog}"
    );
}

/// The acceptance of issue 17 for the pull-request flow: a first round merged with a merge
/// commit (`--no-ff`), a second squash-merged; nothing is released twice or with stale notes.
#[test]
fn two_rounds_merged_with_a_merge_commit_then_squashed_release_each_change_once() {
    let env = TestEnv::new();
    let root = ready_to_prepare(&env);
    let changes = root.join("release_tool/changes");
    let (a, b) = (pkg(&root, "a"), pkg(&root, "b"));

    // Round 1: merge commits.
    ok(&env, &root, &["prepare", "--bump", "patch", "--push"]);
    // a's edited message went into its release commit and was consumed (archived).
    assert!(!changes.join("a/tag_message.md").exists());
    assert_eq!(
        read(&root.join(".release_tool/released/a/v0.1.0.md")),
        MESSAGE_A
    );
    merge_on_remote(&env, "a");
    merge_on_remote(&env, "b");
    ok(&env, &root, &["tag", "--sync", "--push"]);
    ok(&env, &root, &["next", "--push"]);

    // Round 2: new work, fresh notes (a's message of round 1 is not "kept").
    crate::support::commit_file(&a, "src/a/z.py", "Z = 3\n", "feat: add Z");
    crate::support::commit_file(&b, "src/b/w.py", "W = 4\n", "fix: b handles W");
    let (_, stderr) = ok(&env, &root, &["notes"]);
    assert!(!stderr.contains("edited message kept"), "{stderr}");
    let notes_a = read(&changes.join("a/tag_message.md"));
    assert!(
        notes_a.contains("- add Z") && !notes_a.contains("the X release"),
        "{notes_a}"
    );
    ok(&env, &root, &["prepare", "--bump", "patch", "--push"]);
    assert_eq!(
        message(&a, "HEAD"),
        "Release a 0.1.1\n\nChanges since 0.1.0:\n\n### Added\n\n- add Z"
    );
    assert_eq!(
        message(&b, "HEAD"),
        "Release b 0.1.1\n\nChanges since 0.1.0:\n\n### Fixed\n\n- b handles W"
    );
    squash_merge_on_remote(&env, "a");
    squash_merge_on_remote(&env, "b");
    ok(&env, &root, &["tag", "--sync", "--push"]);
    for (p, name) in [(&a, "a"), (&b, "b")] {
        assert_eq!(
            rev(p, "v0.1.1^{commit}"),
            on_remote(&env, name, "refs/heads/main").unwrap(),
            "{name}: tagged on the squash commit"
        );
        assert!(tag_message(p, "v0.1.1").starts_with(&format!("Release {name} 0.1.1")));
    }

    // The squashed dev_branch (its release commit not in main's history, its tree the tagged
    // one) has nothing new: no release of 0.1.1's changes again.
    for p in [&a, &b] {
        git(p, &["switch", "-q", "dev_branch"]);
    }
    let (_, stderr) = ok(&env, &root, &["prepare", "--bump", "auto", "--dry-run"]);
    for name in ["a", "b"] {
        assert!(
            stderr.contains(&format!("{name}: skipped, no commits since v0.1.1")),
            "{stderr}"
        );
    }
    // The user drops the squashed branch; the next cycle starts from main.
    for p in [&a, &b] {
        git(p, &["switch", "-q", "main"]);
        git(p, &["branch", "-q", "-D", "dev_branch"]);
    }
    ok(&env, &root, &["next", "--push"]);
    let (_, stderr) = ok(&env, &root, &["prepare", "--bump", "auto", "--dry-run"]);
    assert!(stderr.contains("Nothing to do"), "{stderr}");
    for (p, name) in [(&a, "a"), (&b, "b")] {
        assert_eq!(version_of(&root, name), "0.1.2.dev0");
        assert_eq!(
            git(p, &["tag", "--list"]),
            "v0.1.0\nv0.1.1\n",
            "{name}: each version once"
        );
        let changelog = read(&p.join("CHANGELOG.md"));
        for v in ["0.1.0", "0.1.1"] {
            assert_eq!(
                changelog.matches(&format!("## [{v}]")).count(),
                1,
                "{changelog}"
            );
        }
    }
    assert!(!read(&a.join("CHANGELOG.md")).contains("Maintenance release"));
}

/// Issue 17, items 6 and 7: a dev release (tagged by `prepare` on `dev_branch`) squash-merged:
/// `tag --sync` finds the dev tag on the squashed release commit, whose tree main's squash
/// commit has, and skips it (not an error, nothing re-made); the final release that follows
/// counts the commits since the last final release.
#[test]
fn a_squash_merged_dev_release_is_not_tagged_again() {
    let env = TestEnv::new();
    let root = ready_to_prepare(&env);
    ok(&env, &root, &["prepare", "--bump", "dev", "--push"]);
    let (a, b) = (pkg(&root, "a"), pkg(&root, "b"));
    let dev_tags = [
        rev(&a, "refs/tags/v0.1.0.dev1"),
        rev(&b, "refs/tags/v0.1.0.dev1"),
    ];
    squash_merge_on_remote(&env, "a");
    squash_merge_on_remote(&env, "b");
    let (_, stderr) = ok(&env, &root, &["tag", "--sync"]);
    for (i, (p, name)) in [(&a, "a"), (&b, "b")].into_iter().enumerate() {
        assert!(
            stderr.contains(&format!(
                "{name}: skipped, tag v0.1.0.dev1 already exists on the release commit (squash-merged as"
            )),
            "{stderr}"
        );
        assert_eq!(branch(p), "main");
        assert_eq!(rev(p, "refs/tags/v0.1.0.dev1"), dev_tags[i], "not re-made");
        assert_eq!(git(p, &["tag", "--list"]), "v0.1.0.dev1\n", "{name}");
    }
    // The final release (from a fresh dev_branch off main): every commit since the first (no
    // final release yet).
    for p in [&a, &b] {
        git(p, &["switch", "-q", "-C", "dev_branch", "main"]);
    }
    let (stdout, stderr) = ok(&env, &root, &["prepare", "--bump", "patch", "--dry-run"]);
    assert!(!stderr.contains("skipped"), "{stderr}");
    assert!(
        stdout.contains("Release a 0.1.0\n\nFirst release:\n\n### Added\n\n- add X\n"),
        "{stdout}"
    );
}

// ---------------------------------------------------------------------------------------------
// The product and version groups in the pull-request flow (issue 20).

/// `release-tool ARGS` in `dir` against the fake forge; requires success.
fn ok_forge(
    env: &TestEnv,
    dir: &Path,
    forge: &crate::support::fake_github::FakeForge,
    args: &[&str],
) -> (String, String) {
    let out = env
        .cmd_uv(dir)
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .env("GITHUB_TOKEN", &forge.opts.token)
        .env("GITHUB_API_URL", forge.api_url())
        .args(args)
        .output()
        .expect("run release-tool");
    let (stdout, stderr) = outputs(&out);
    assert!(
        out.status.success(),
        "{args:?}\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    (stdout, stderr)
}

/// The `version = ` of the root, staging and prod manifests.
fn product_versions(root: &Path) -> Vec<String> {
    [
        "pyproject.toml",
        "staging/pyproject.toml",
        "prod/pyproject.toml",
    ]
    .iter()
    .map(|f| {
        read(&root.join(f))
            .lines()
            .find(|l| l.starts_with("version = "))
            .unwrap()
            .to_owned()
    })
    .collect()
}

#[test]
fn prepare_versions_the_product_and_tag_tags_and_releases_it() {
    let env = TestEnv::new();
    let root = product(&env);
    crate::support::explicit_forge(&root);
    git(&root, &["push", "-q", "origin", "main"]);
    // Stages 0–3 as in `ready_to_prepare`: a `feat` in a, a `fix` in b.
    ok(&env, &root, &["branch", "--push"]);
    for (name, subject) in [("a", "feat: add X"), ("b", "fix: handle Y")] {
        crate::support::commit_file(
            &pkg(&root, name),
            &format!("src/{name}/more.py"),
            "X = 1\n",
            subject,
        );
        git(&pkg(&root, name), &["push", "-q", "origin", "dev_branch"]);
    }
    let forge = crate::support::fake_github::FakeForge::github().start();
    assert_eq!(product_versions(&root), vec!["version = \"0.1.0\""; 3]);

    // The dry run says what prepare does to the product, and changes nothing.
    let before = state(&env, &root);
    let (stdout, stderr) = ok_forge(&env, &root, &forge, &["prepare", "--push", "--dry-run"]);
    let all = format!("{stdout}{stderr}");
    assert!(
        all.contains(
            "the product product: 0.1.0 → 0.2.0 (minor), tagged v0.2.0 by `release-tool tag` after the merge"
        ),
        "{all}"
    );
    assert_eq!(state(&env, &root), before);

    // prepare: the product's version (root, staging, prod) and its CHANGELOG section in the
    // root's commit; no product tag yet, no product release.
    let start = rev(&root, "HEAD");
    ok_forge(&env, &root, &forge, &["prepare", "--push"]);
    assert_eq!(product_versions(&root), vec!["version = \"0.2.0\""; 3]);
    assert_eq!(
        root_commits_since(&root, &start),
        ["prepare: a 0.1.0, b 0.1.0"]
    );
    let commit = message(&root, "HEAD");
    assert!(commit.ends_with("\nProduct product 0.2.0"), "{commit}");
    let files = git(&root, &["show", "--format=", "--name-only", "HEAD"]);
    for f in [
        "CHANGELOG.md",
        "pyproject.toml",
        "prod/pyproject.toml",
        "staging/pyproject.toml",
    ] {
        assert!(files.lines().any(|l| l == f), "{f} not in {files}");
    }
    let changelog = read(&root.join("CHANGELOG.md"));
    let api = forge.api_url();
    assert!(
        changelog.contains("## [0.2.0] - 2026-01-01\n"),
        "{changelog}"
    );
    for name in ["a", "b"] {
        assert!(
            changelog.contains(&format!(
                "### {name} 0.1.0\n\n[v0.1.0]({api}/remotes/{name}/releases/tag/v0.1.0)\n\n"
            )),
            "{changelog}"
        );
    }
    assert!(
        changelog.contains("- add X") && changelog.contains("- handle Y"),
        "{changelog}"
    );
    assert_eq!(git(&root, &["tag", "--list"]), "");
    assert_eq!(on_remote(&env, "root", "refs/tags/v0.2.0"), None);
    assert!(forge.releases("remotes/root").is_empty());
    assert_eq!(git(&root, &["status", "--porcelain"]), "");

    // tag, after the merges: the product's tag on the root's commit (the prod pins), pushed
    // with it, and one product release with the combined notes.
    merge_on_remote(&env, "a");
    merge_on_remote(&env, "b");
    let start = rev(&root, "HEAD");
    ok_forge(&env, &root, &forge, &["tag", "--sync", "--push"]);
    assert_eq!(root_commits_since(&root, &start), ["tag: a 0.1.0, b 0.1.0"]);
    let head = rev(&root, "HEAD");
    assert_eq!(rev(&root, "v0.2.0^{commit}"), head);
    assert_eq!(
        on_remote(&env, "root", "refs/tags/v0.2.0"),
        Some(head.clone())
    );
    assert_eq!(
        on_remote(&env, "root", "refs/heads/main"),
        Some(head.clone())
    );
    assert!(
        message(&root, "HEAD").ends_with("\nProduct product 0.2.0 (v0.2.0)"),
        "{}",
        message(&root, "HEAD")
    );
    let notes = tag_message(&root, "v0.2.0");
    assert!(
        notes.starts_with("Release product 0.2.0\n\n### a 0.1.0\n"),
        "{notes}"
    );
    let releases = forge.releases("remotes/root");
    assert_eq!(releases.len(), 1, "{releases:#?}");
    assert_eq!(releases[0]["tag_name"], "v0.2.0");
    assert_eq!(releases[0]["name"], "product 0.2.0");
    let body = releases[0]["body"].as_str().unwrap();
    assert!(
        changelog.contains(body.trim_end()),
        "{body}\n---\n{changelog}"
    );
    // The version stays what prepare wrote.
    assert_eq!(product_versions(&root), vec!["version = \"0.2.0\""; 3]);

    // Again: nothing twice.
    ok_forge(&env, &root, &forge, &["tag"]);
    assert_eq!(rev(&root, "HEAD"), head);
    assert_eq!(git(&root, &["tag", "--list"]), "v0.2.0\n");
    assert_eq!(forge.releases("remotes/root").len(), 1);
}

#[test]
fn prepare_no_product_and_tag_no_product_leave_the_product_alone() {
    let env = TestEnv::new();
    let root = ready_to_prepare(&env);
    ok(&env, &root, &["prepare", "--no-product"]);
    assert_eq!(product_versions(&root), vec!["version = \"0.1.0\""; 3]);
    assert!(!root.join("CHANGELOG.md").exists());
    ok(&env, &root, &["prepare", "--push"]);
    merge_on_remote(&env, "a");
    merge_on_remote(&env, "b");
    ok(&env, &root, &["tag", "--sync", "--no-product"]);
    assert_eq!(git(&root, &["tag", "--list"]), "");
    assert!(
        !message(&root, "HEAD").contains("Product "),
        "{}",
        message(&root, "HEAD")
    );
}

#[test]
fn prepare_releases_a_version_group_together_at_one_version() {
    let env = TestEnv::new();
    let root = product(&env);
    let config = root.join("release_tool.toml");
    let text = read(&config);
    std::fs::write(
        &config,
        format!("{text}\n[tool.release_tool.groups]\ncore = [\"a\", \"b\"]\n"),
    )
    .unwrap();
    git(&root, &["commit", "-q", "-am", "chore: the core group"]);
    git(&root, &["push", "-q", "origin", "main"]);
    ok(&env, &root, &["branch", "--push"]);
    // b was released before (a final tag on its HEAD): it has no changes of its own.
    git(&pkg(&root, "b"), &["tag", "-a", "-m", "b 0.0.9", "v0.0.9"]);
    // Only a changes.
    crate::support::commit_file(&pkg(&root, "a"), "src/a/x.py", "X = 1\n", "feat: add X");
    let (stdout, stderr) = ok(
        &env,
        &root,
        &["prepare", "--bump", "patch", "--set-version", "a=0.3.0"],
    );
    assert!(
        stderr.contains(
            "version group `core`: a, b released together at 0.3.0 (b without changes of its own)"
        ),
        "{stderr}"
    );
    for name in ["a", "b"] {
        assert_eq!(version_of(&root, name), "0.3.0", "{name}");
        assert!(
            crate::support::table_row(&stdout, name).is_some_and(|r| r.contains("0.3.0")),
            "{stdout}"
        );
    }
    assert_eq!(
        message(&pkg(&root, "b"), "HEAD").lines().next(),
        Some("Release b 0.3.0")
    );
}
