//! The product (issue 20, items 1 and 2): `release` versions the root project when it changes
//! what prod pins (the level from the packages' bumps), tags the root's release commit, writes
//! the combined CHANGELOG section and makes one product forge release with links; a re-run
//! duplicates nothing; `--no-product`, `--product-bump`, `status`.

use std::process::Output;

use crate::support::fake_github::FakeForge;
use crate::support::trunk::World;
use crate::support::{commit_file, git, outputs};

fn with_forge(w: &World, forge: &FakeForge, args: &[&str]) -> Output {
    w.cmd()
        .env("GITHUB_TOKEN", &forge.opts.token)
        .env("GITHUB_API_URL", forge.api_url())
        .args(args)
        .output()
        .unwrap()
}

fn ok(out: &Output) -> (String, String) {
    let (stdout, stderr) = outputs(out);
    assert!(out.status.success(), "stdout: {stdout}\nstderr: {stderr}");
    (stdout, stderr)
}

fn read(w: &World, rel: &str) -> String {
    std::fs::read_to_string(w.root.join(rel)).unwrap()
}

fn versions(w: &World) -> Vec<String> {
    [
        "pyproject.toml",
        "staging/pyproject.toml",
        "prod/pyproject.toml",
    ]
    .iter()
    .map(|f| {
        read(w, f)
            .lines()
            .find(|l| l.starts_with("version = "))
            .unwrap()
            .to_owned()
    })
    .collect()
}

fn world_with_forge() -> World {
    let w = World::new();
    crate::support::explicit_forge(&w.root);
    git(&w.root, &["push", "-q", "origin", "main"]);
    w
}

#[test]
fn a_three_package_release_bumps_tags_notes_and_releases_the_product_once() {
    let w = world_with_forge();
    let forge = FakeForge::github().start();
    assert_eq!(versions(&w), vec!["version = \"0.1.0\""; 3]);

    // The dry run shows the product's steps and changes nothing.
    let dry = with_forge(&w, &forge, &["release", "--push", "--dry-run"]);
    let (stdout, stderr) = ok(&dry);
    let all = format!("{stdout}{stderr}");
    assert!(
        all.contains("the product product: 0.1.0 → 0.2.0 (minor), tagged v0.2.0"),
        "{all}"
    );
    assert!(all.contains("-- v0.2.0 HEAD"), "{all}");
    assert!(all.contains("/repos/remotes/root/releases"), "{all}");
    assert_eq!(git(&w.root, &["tag", "--list"]), "");
    assert!(forge.requests().is_empty());

    // `--bump auto`: every package has a `feat:` commit (minor), so the product goes minor.
    let out = with_forge(&w, &forge, &["release", "--push"]);
    ok(&out);
    assert_eq!(versions(&w), vec!["version = \"0.2.0\""; 3]);
    let head = git(&w.root, &["rev-parse", "HEAD"]);
    assert_eq!(git(&w.root, &["rev-parse", "v0.2.0^{commit}"]), head);
    let remote = w.remote("root");
    assert_eq!(git(&remote, &["tag", "--list"]), "v0.2.0\n");
    assert_eq!(git(&remote, &["rev-parse", "main"]), head);
    let message = git(&w.root, &["log", "-1", "--format=%B", "HEAD"]);
    assert!(
        message.starts_with("release: a 0.1.0, b 0.1.0, c 0.1.0"),
        "{message}"
    );
    assert!(
        message.contains("Product product 0.2.0 (v0.2.0)"),
        "{message}"
    );
    // The root commit takes the product's files.
    let files = git(&w.root, &["show", "--name-only", "--format=", "HEAD"]);
    for f in [
        "CHANGELOG.md",
        "pyproject.toml",
        "prod/pyproject.toml",
        "prod/uv.lock",
    ] {
        assert!(files.lines().any(|l| l == f), "{f} not in {files}");
    }
    assert_eq!(git(&w.root, &["status", "--porcelain"]), "");

    // The combined section: each package with its version, links and entries.
    let changelog = read(&w, "CHANGELOG.md");
    let api = forge.api_url();
    assert!(
        changelog.contains("## [0.2.0] - 2026-01-01\n"),
        "{changelog}"
    );
    for name in ["a", "b", "c"] {
        assert!(
            changelog.contains(&format!(
                "### {name} 0.1.0\n\n[v0.1.0]({api}/remotes/{name}/releases/tag/v0.1.0)\n\n"
            )),
            "{changelog}"
        );
        assert!(
            changelog.contains(&format!("- {name} learns a feature")),
            "{changelog}"
        );
    }
    assert!(changelog.contains("#### Added"), "{changelog}");

    // One product release on the root's repository, its body the same section.
    let releases = forge.releases("remotes/root");
    assert_eq!(releases.len(), 1, "{releases:#?}");
    let r = &releases[0];
    assert_eq!(r["tag_name"], "v0.2.0");
    assert_eq!(r["name"], "product 0.2.0");
    assert_eq!(r["prerelease"], false);
    let body = r["body"].as_str().unwrap();
    assert!(body.starts_with("### a 0.1.0\n"), "{body}");
    assert!(
        changelog.contains(body.trim_end()),
        "{body}\n---\n{changelog}"
    );
    // The root tag's message is the same notes under a title.
    let tag_message = git(&w.root, &["tag", "-l", "--format=%(contents)", "v0.2.0"]);
    assert!(
        tag_message.starts_with("Release product 0.2.0\n\n### a 0.1.0"),
        "{tag_message}"
    );

    // The product release carries the prod lock (issue 22) and is GitHub's "latest".
    let assets = forge.assets("remotes/root", "v0.2.0");
    assert_eq!(assets.len(), 1, "{assets:#?}");
    assert_eq!(assets[0]["name"], "uv.lock");
    assert_eq!(
        assets[0]["size"].as_u64(),
        Some(
            std::fs::metadata(w.root.join("prod/uv.lock"))
                .unwrap()
                .len()
        )
    );
    let create = forge
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path == "/repos/remotes/root/releases")
        .unwrap();
    assert_eq!(create.json().unwrap()["make_latest"], "true");
    let uploads = forge.uploads().len();

    // A re-run duplicates nothing.
    let again = with_forge(&w, &forge, &["release", "--push"]);
    ok(&again);
    assert_eq!(git(&w.root, &["rev-parse", "HEAD"]), head);
    assert_eq!(git(&remote, &["tag", "--list"]), "v0.2.0\n");
    assert_eq!(forge.releases("remotes/root").len(), 1);
    assert_eq!(forge.uploads().len(), uploads);
    assert_eq!(read(&w, "CHANGELOG.md"), changelog);

    // `status` shows the product; `--json` too.
    let status = w.run(&["status", "--json"]);
    let json = crate::support::json_doc(&status.stdout);
    assert_eq!(json["product"]["name"], "product");
    assert_eq!(json["product"]["version"], "0.2.0");
    assert_eq!(json["product"]["last_tag"], "v0.2.0");
    assert_eq!(json["product"]["unreleased"], serde_json::json!([]));

    // A fix in `a` only: a patch for `a`, so a patch for the product.
    let a = w.pkg("a");
    commit_file(&a, "src/a/fix.py", "FIX = 1\n", "fix: a mends a bug");
    let status = w.run(&["status", "--json"]);
    let json = crate::support::json_doc(&status.stdout);
    assert_eq!(json["product"]["unreleased"], serde_json::json!(["a"]));
    let (_, stderr) = outputs(&w.run(&["status"]));
    assert!(
        stderr.contains("product product 0.2.0 (last tag v0.2.0), unreleased: a"),
        "{stderr}"
    );
    ok(&with_forge(&w, &forge, &["release", "--push"]));
    assert_eq!(versions(&w), vec!["version = \"0.2.1\""; 3]);
    assert_eq!(git(&remote, &["tag", "--list"]), "v0.2.0\nv0.2.1\n");
    let changelog = read(&w, "CHANGELOG.md");
    let newer = changelog.find("## [0.2.1]").unwrap();
    assert!(newer < changelog.find("## [0.2.0]").unwrap(), "{changelog}");
    assert!(
        changelog.contains(&format!(
            "### a 0.1.1\n\n[v0.1.1]({api}/remotes/a/releases/tag/v0.1.1) · [compare v0.1.0...v0.1.1]({api}/remotes/a/compare/v0.1.0...v0.1.1)\n"
        )),
        "{changelog}"
    );
    assert_eq!(forge.releases("remotes/root").len(), 2);
}

#[test]
fn product_bump_and_no_product_choose_what_happens_to_the_product() {
    let w = World::new();
    // `--product-bump major` over the packages' minor bumps.
    ok(&w.release(&["--product-bump", "major"]));
    assert_eq!(versions(&w), vec!["version = \"1.0.0\""; 3]);
    assert_eq!(git(&w.root, &["tag", "--list"]), "v1.0.0\n");

    // `--no-product`: the packages are released, the product is left alone.
    commit_file(
        &w.pkg("b"),
        "src/b/fix.py",
        "FIX = 1\n",
        "fix: b mends a bug",
    );
    let out = w.release(&["--no-product"]);
    ok(&out);
    assert_eq!(versions(&w), vec!["version = \"1.0.0\""; 3]);
    assert_eq!(git(&w.root, &["tag", "--list"]), "v1.0.0\n");
    assert!(
        git(&w.pkg("b"), &["tag", "--list"]).contains("v0.1.1"),
        "b released"
    );

    // A dev release changes nothing prod pins: the product stays, with a note.
    commit_file(
        &w.pkg("c"),
        "src/c/fix.py",
        "FIX = 1\n",
        "fix: c mends a bug",
    );
    let out = w.release(&["--bump", "dev"]);
    let (_, stderr) = ok(&out);
    assert!(
        stderr
            .contains("the product product stays at 1.0.0: this release changes nothing prod pins"),
        "{stderr}"
    );
    assert_eq!(git(&w.root, &["tag", "--list"]), "v1.0.0\n");
}

#[test]
fn bad_product_input_is_refused_before_anything_changes() {
    let w = World::new();
    let unchanged = |before: &[String]| {
        let after = w.state();
        let changed: Vec<&String> = after.iter().filter(|l| !before.contains(l)).collect();
        let gone: Vec<&String> = before.iter().filter(|l| !after.contains(l)).collect();
        assert!(
            changed.is_empty() && gone.is_empty(),
            "{changed:#?}\n{gone:#?}"
        );
    };
    let before = w.state();
    // The two flags contradict each other.
    let out = w.release(&["--no-product", "--product-bump", "minor"]);
    assert_eq!(out.status.code(), Some(2), "{}", outputs(&out).1);
    unchanged(&before);
    // A bad configuration names the key.
    let config = w.root.join("release_tool.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        format!("{text}\n[tool.release_tool.product]\ntag_prefix = \"bad prefix\"\n"),
    )
    .unwrap();
    let before = w.state();
    let out = w.release(&[]);
    let (_, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("`product.tag_prefix`"), "{stderr}");
    assert!(stderr.contains("hint: "), "{stderr}");
    unchanged(&before);
}

#[test]
fn a_product_tag_already_on_the_roots_remote_is_refused_before_anything_changes() {
    let w = World::new();
    // Someone else released the product 0.2.0 from another clone: the tag is on the root's
    // remote, not here.
    git(&w.root, &["tag", "-a", "-m", "elsewhere", "v0.2.0"]);
    git(&w.root, &["push", "-q", "origin", "v0.2.0"]);
    git(&w.root, &["tag", "-d", "v0.2.0"]);
    let before = w.state();
    for args in [&["--push", "--dry-run"][..], &["--push"][..]] {
        let out = w.release(args);
        let (_, stderr) = outputs(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("Cannot release; nothing was changed:")
                && stderr.contains("the root: the product's tag v0.2.0 already exists on `origin`"),
            "{stderr}"
        );
        assert!(stderr.contains("hint: "), "{stderr}");
        let after = w.state();
        assert_eq!(before, after, "{args:?}: nothing changed");
    }
    // Without --push nothing is pushed: the local release goes ahead.
    ok(&w.release(&[]));
    assert_eq!(git(&w.root, &["tag", "--list"]), "v0.2.0\n");
}
