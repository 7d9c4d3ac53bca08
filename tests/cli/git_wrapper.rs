//! The git wrapper against real repositories: every operation the release pipeline relies on.

use release_tool::git::{Git, GitError};

use crate::support::{GIT_ENV, TestEnv, commit_file, git};

fn handle(dir: &std::path::Path) -> Git {
    Git::new(dir).with_env(GIT_ENV)
}

#[test]
fn commit_tag_push_fetch_log_diff_round_trip() {
    let env = TestEnv::new();
    let remote = env.path().join("remote.git");
    std::fs::create_dir(&remote).unwrap();
    handle(&remote).init_bare("main").unwrap();
    let work = env.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let repo = handle(&work);
    repo.init("main").unwrap();
    std::fs::write(work.join("a.txt"), "one\n").unwrap();
    let first = repo.commit_all("feat: first\n\nBody line.").unwrap();
    assert_eq!(first.len(), 40);
    repo.tag_annotated("v0.1.0", "HEAD", "Release 0.1.0")
        .unwrap();
    std::fs::write(work.join("a.txt"), "two\n").unwrap();
    let second = repo.commit_all("fix: second").unwrap();

    // Tags are peeled to commits; count and log see the commit after the tag.
    let tags = repo.tags("v").unwrap();
    assert_eq!(tags.len(), 1);
    assert_eq!(tags[0].name, "v0.1.0");
    assert_eq!(tags[0].commit, first);
    assert_eq!(repo.count_commits(Some("v0.1.0"), "HEAD").unwrap(), 1);
    assert_eq!(repo.count_commits(None, "HEAD").unwrap(), 2);
    let log = repo.log(None, "HEAD").unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(
        (log[0].hash.as_str(), log[0].subject.as_str()),
        (second.as_str(), "fix: second")
    );
    assert_eq!(
        (log[1].subject.as_str(), log[1].body.as_str()),
        ("feat: first", "Body line.")
    );
    let diff = repo.diff("v0.1.0", Some("HEAD"), false).unwrap();
    assert!(diff.contains("-one\n+two"), "{diff}");
    assert!(repo.diff("v0.1.0", None, true).unwrap().contains("a.txt"));

    // Push branch and tag to the bare remote; ls-remote peels the annotated tag.
    let url = format!("file://{}", remote.display());
    repo.remote_add("origin", &url).unwrap();
    assert_eq!(
        repo.remote_url("origin").unwrap().as_deref(),
        Some(url.as_str())
    );
    assert_eq!(repo.remote_url("upstream").unwrap(), None);
    repo.push("origin", &["main:main", "refs/tags/v0.1.0"])
        .unwrap();
    let remote_tags = repo.remote_tags("origin", "v").unwrap();
    assert_eq!(remote_tags.len(), 1);
    assert_eq!(
        remote_tags[0].commit, first,
        "peeled to the commit, not the tag object"
    );

    // Another clone pushes; fetch + status see it as behind.
    let other = env.path().join("other");
    git(&env.path(), &["clone", "-q", &url, other.to_str().unwrap()]);
    commit_file(&other, "b.txt", "b", "feat: elsewhere");
    git(&other, &["push", "-q", "origin", "main"]);
    git(&work, &["branch", "-q", "--set-upstream-to", "origin/main"]);
    repo.fetch("origin").unwrap();
    let status = repo.status().unwrap();
    assert_eq!(status.branch.as_deref(), Some("main"));
    assert_eq!((status.ahead, status.behind), (0, 1));
    assert_eq!(status.upstream.as_deref(), Some("origin/main"));
}

#[test]
fn errors_carry_argv_dir_and_stderr() {
    let env = TestEnv::new();
    let repo = handle(&env.path());
    repo.init("main").unwrap();
    let err = repo.rev_parse("does-not-exist").unwrap_err().to_string();
    assert!(
        err.starts_with("`git rev-parse --verify --quiet does-not-exist^{commit}` failed in "),
        "{err}"
    );
    let err = repo.fetch("nowhere").unwrap_err().to_string();
    assert!(
        err.contains("git fetch --quiet --tags -- nowhere") && err.contains("nowhere"),
        "{err}"
    );
}

#[test]
fn option_like_values_never_reach_git() {
    let env = TestEnv::new();
    let repo = handle(&env.path());
    repo.init("main").unwrap();
    for err in [
        repo.push("--upload-pack=touch /tmp/pwned", &["main"])
            .unwrap_err(),
        repo.push("origin", &["--exec=x"]).unwrap_err(),
        repo.log(Some("--output=/tmp/x"), "HEAD").unwrap_err(),
        repo.tag_annotated("--force", "HEAD", "m").unwrap_err(),
        repo.rev_parse("-x").unwrap_err(),
    ] {
        assert!(matches!(err, GitError::BadArgument { .. }), "{err}");
    }
}

#[test]
fn submodule_pointers_and_gitmodules_entries() {
    let env = TestEnv::new();
    let root = env.demo();
    let repo = handle(&root);
    let pointers = repo.submodule_pointers().unwrap();
    let paths: Vec<&str> = pointers.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "packages/core-utils",
            "packages/data-loader",
            "packages/model-api"
        ]
    );
    let entries = repo.config_file_entries(&root.join(".gitmodules")).unwrap();
    assert!(
        entries.contains(&(
            "submodule.packages/core-utils.branch".to_owned(),
            "main".to_owned()
        )),
        "{entries:?}"
    );
}
