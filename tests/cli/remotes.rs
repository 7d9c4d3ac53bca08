//! Remotes as users give them (issue #16, item 6): plain paths, relative paths and scp-like
//! addresses are stored and pinned in forms git and uv both read; `check` flags a pin uv would
//! refuse; a failed `new` leaves nothing behind and the same command works once fixed.

use std::path::{Path, PathBuf};

use crate::support::{TestEnv, commit_file, git, outputs, snapshot_tree};

/// Assert two `snapshot_tree`s are equal, showing only what differs.
fn same_tree(before: &[String], after: &[String], what: &str) {
    let gone: Vec<&String> = before.iter().filter(|l| !after.contains(l)).collect();
    let new: Vec<&String> = after.iter().filter(|l| !before.contains(l)).collect();
    assert!(
        gone.is_empty() && new.is_empty(),
        "{what}: gone {gone:#?}, new {new:#?}"
    );
}

fn ok(out: &std::process::Output) -> String {
    let (stdout, stderr) = outputs(out);
    assert!(
        out.status.success(),
        "failed ({:?}):\nstdout: {stdout}\nstderr: {stderr}",
        out.status.code()
    );
    stdout
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `init product`; returns the root.
fn product(env: &TestEnv) -> PathBuf {
    ok(&env.run(&env.path(), ["init", "product"]));
    env.path().join("product")
}

/// A bare repository `<tmp>/remotes/<name>.git`; returns its plain path.
fn bare(env: &TestEnv, name: &str) -> PathBuf {
    let remote = env.path().join(format!("remotes/{name}.git"));
    std::fs::create_dir_all(&remote).unwrap();
    git(&remote, &["init", "-q", "--bare", "-b", "main"]);
    remote
}

/// Release a package of the workspace at `version` by hand: commit, tag, push.
fn tag(root: &Path, name: &str, version: &str) {
    let pkg = root.join("packages").join(name);
    let text = read(&pkg.join("pyproject.toml"));
    let old = text
        .lines()
        .find(|l| l.starts_with("version = "))
        .unwrap()
        .to_owned();
    commit_file(
        &pkg,
        "pyproject.toml",
        &text.replace(&old, &format!("version = \"{version}\"")),
        "chore: release",
    );
    git(&pkg, &["tag", "-a", "-m", version, &format!("v{version}")]);
    git(
        &pkg,
        &["push", "-q", "origin", "main", &format!("v{version}")],
    );
}

/// The `[tool.uv.sources]` line of `name` in `text`.
fn source_line<'a>(text: &'a str, name: &str) -> &'a str {
    text.lines()
        .find(|l| l.starts_with(&format!("{name} = ")))
        .unwrap_or_else(|| panic!("no source for {name} in {text}"))
}

/// `check --json --no-locks`: exit code and problems as `check package message` lines.
fn check(env: &TestEnv, root: &Path) -> (Option<i32>, Vec<String>) {
    let out = env.run(root, ["check", "--json", "--no-locks"]);
    assert!(!out.stdout.is_empty(), "{}", outputs(&out).1);
    let report = crate::support::json_doc(&out.stdout);
    let problems = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{} {} {}",
                p["check"].as_str().unwrap(),
                p["package"].as_str().unwrap_or("-"),
                p["message"].as_str().unwrap()
            )
        })
        .collect();
    (out.status.code(), problems)
}

#[test]
fn new_with_plain_and_relative_paths_pins_file_urls_uv_reads() {
    let env = TestEnv::new();
    let root = product(&env);
    let alpha = bare(&env, "alpha");
    let beta = bare(&env, "beta");
    // An absolute plain path, as the docs allow.
    ok(&env.run(&root, ["new", "alpha", "--remote", alpha.to_str().unwrap()]));
    // A relative path is taken from the root, wherever the command runs.
    let sub = root.join("packages");
    ok(&env.run(
        &sub,
        [
            "new",
            "beta",
            "--remote",
            "../remotes/beta.git",
            "--dep",
            "alpha",
        ],
    ));
    let file_url = |p: &Path| format!("file://{}", p.display());
    let gitmodules = read(&root.join(".gitmodules"));
    for remote in [&alpha, &beta] {
        assert!(
            gitmodules.contains(&format!("\turl = {}\n", file_url(remote))),
            "{gitmodules}"
        );
    }
    assert_eq!(
        git(
            &root.join("packages/beta"),
            &["remote", "get-url", "origin"]
        )
        .trim(),
        file_url(&beta)
    );
    tag(&root, "alpha", "0.1.0");
    tag(&root, "beta", "0.1.0");
    ok(&env.run(&root, ["manifests"]));
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-q", "-m", "chore: pins"]);
    for manifest in ["staging/pyproject.toml", "prod/pyproject.toml"] {
        let text = read(&root.join(manifest));
        for (name, remote) in [("alpha", &alpha), ("beta", &beta)] {
            assert_eq!(
                source_line(&text, name),
                format!(
                    "{name} = {{ git = \"{}\", tag = \"v0.1.0\" }}",
                    file_url(remote)
                ),
                "{manifest}"
            );
        }
    }
    let (code, problems) = check(&env, &root);
    assert!(
        !problems.iter().any(|p| p.starts_with("pins ")),
        "{problems:#?}"
    );
    assert_eq!(code, Some(0), "{problems:#?}");
    // Real uv reads the pins: it locks and installs staging from the remotes.
    ok(&env.run_uv(&root, ["sync", "staging"]));
    ok(&env.run_uv(&root, ["lock", "prod"]));
    let lock = read(&root.join("prod/uv.lock"));
    assert!(
        lock.contains(&format!(
            "source = {{ git = \"{}?tag=v0.1.0#",
            file_url(&alpha)
        )),
        "{lock}"
    );
}

#[test]
fn add_with_a_plain_path_stores_and_pins_a_file_url() {
    let env = TestEnv::new();
    let root = product(&env);
    // A package repository made elsewhere, pushed to a bare remote at a plain path.
    let remote = bare(&env, "gamma");
    ok(&env.run(&env.path(), ["init", "scratch"]));
    ok(&env.run(
        &env.path().join("scratch"),
        ["new", "gamma", "--remote", remote.to_str().unwrap()],
    ));
    ok(&env.run(&root, ["add", remote.to_str().unwrap()]));
    let url = format!("file://{}", remote.display());
    let gitmodules = read(&root.join(".gitmodules"));
    assert!(
        gitmodules.contains(&format!("\turl = {url}\n")),
        "{gitmodules}"
    );
    tag(&root, "gamma", "0.2.0");
    ok(&env.run(&root, ["manifests"]));
    let staging = read(&root.join("staging/pyproject.toml"));
    assert_eq!(
        source_line(&staging, "gamma"),
        format!("gamma = {{ git = \"{url}\", tag = \"v0.2.0\" }}")
    );
    ok(&env.run_uv(&root, ["lock", "staging"]));
}

#[test]
fn scp_like_remotes_are_pinned_as_ssh_urls() {
    let env = TestEnv::new();
    let root = product(&env);
    let remote = bare(&env, "alpha");
    ok(&env.run(
        &root,
        ["new", "alpha", "--remote", remote.to_str().unwrap()],
    ));
    tag(&root, "alpha", "0.1.0");
    // The team's remote is `git@git.example.com:team/alpha.git`; here git reaches it through
    // `insteadOf`, as many users' configurations do.
    let scp = "git@git.example.com:team/alpha.git";
    let pkg = root.join("packages/alpha");
    for dir in [&root, &pkg] {
        for alias in [scp, "ssh://git@git.example.com/team/alpha.git"] {
            git(
                dir,
                &[
                    "config",
                    "--add",
                    &format!("url.file://{}.insteadOf", remote.display()),
                    alias,
                ],
            );
        }
    }
    git(
        &root,
        &[
            "config",
            "-f",
            ".gitmodules",
            "submodule.packages/alpha.url",
            scp,
        ],
    );
    git(&root, &["submodule", "sync", "-q"]);
    git(&root, &["commit", "-q", "-am", "chore: scp-like remote"]);
    ok(&env.run(&root, ["manifests"]));
    for manifest in ["staging/pyproject.toml", "prod/pyproject.toml"] {
        let text = read(&root.join(manifest));
        assert_eq!(
            source_line(&text, "alpha"),
            "alpha = { git = \"ssh://git@git.example.com/team/alpha.git\", tag = \"v0.1.0\" }",
            "{manifest}"
        );
    }
    // .gitmodules keeps the user's spelling: git reads it.
    assert!(read(&root.join(".gitmodules")).contains(&format!("\turl = {scp}\n")));
    let (_, problems) = check(&env, &root);
    assert!(
        !problems.iter().any(|p| p.starts_with("pins ")),
        "{problems:#?}"
    );
}

#[test]
fn a_plain_path_already_in_gitmodules_is_pinned_as_a_file_url() {
    let env = TestEnv::new();
    let root = product(&env);
    let remote = bare(&env, "alpha");
    ok(&env.run(
        &root,
        ["new", "alpha", "--remote", remote.to_str().unwrap()],
    ));
    tag(&root, "alpha", "0.1.0");
    // A workspace set up by hand (or by an older version) with a plain path in .gitmodules.
    let plain = remote.to_str().unwrap();
    git(
        &root,
        &[
            "config",
            "-f",
            ".gitmodules",
            "submodule.packages/alpha.url",
            plain,
        ],
    );
    git(&root, &["submodule", "sync", "-q"]);
    git(&root, &["commit", "-q", "-am", "chore: plain path"]);
    ok(&env.run(&root, ["manifests"]));
    let staging = read(&root.join("staging/pyproject.toml"));
    assert_eq!(
        source_line(&staging, "alpha"),
        format!("alpha = {{ git = \"file://{plain}\", tag = \"v0.1.0\" }}")
    );
    assert!(read(&root.join(".gitmodules")).contains(&format!("\turl = {plain}\n")));
}

#[test]
fn check_flags_a_hand_written_pin_uv_would_refuse() {
    let env = TestEnv::new();
    let root = product(&env);
    let remote = bare(&env, "alpha");
    ok(&env.run(
        &root,
        ["new", "alpha", "--remote", remote.to_str().unwrap()],
    ));
    tag(&root, "alpha", "0.1.0");
    ok(&env.run(&root, ["manifests"]));
    let staging = root.join("staging/pyproject.toml");
    let url = format!("file://{}", remote.display());
    let text = read(&staging).replace(
        &format!("git = \"{url}\""),
        &format!("git = \"{}\"", remote.display()),
    );
    std::fs::write(&staging, text).unwrap();
    let prod = root.join("prod/pyproject.toml");
    let text = read(&prod).replace(
        &format!("git = \"{url}\""),
        "git = \"git@git.example.com:team/alpha.git\"",
    );
    std::fs::write(&prod, text).unwrap();
    let before = snapshot_tree(&env.path());
    let (code, problems) = check(&env, &root);
    assert_eq!(code, Some(1), "{problems:#?}");
    let has = |needle: &str| problems.iter().any(|p| p.contains(needle));
    assert!(
        has(&format!(
            "pins alpha staging/pyproject.toml: the git source `{}` of alpha is a path, not a URL; uv refuses it (hint: write it as `{url}`",
            remote.display()
        )),
        "{problems:#?}"
    );
    assert!(
        has(
            "pins alpha prod/pyproject.toml: the git source `git@git.example.com:team/alpha.git` of alpha is an scp-like address (`user@host:path`), which uv does not read; uv refuses it (hint: write it as `ssh://git@git.example.com/team/alpha.git`"
        ),
        "{problems:#?}"
    );
    same_tree(
        &before,
        &snapshot_tree(&env.path()),
        "check changes nothing",
    );
    // `manifests` pins it again in the form uv reads.
    ok(&env.run(&root, ["manifests"]));
    assert!(source_line(&read(&staging), "alpha").contains(&url));
}

#[test]
fn a_failed_new_leaves_nothing_behind_and_the_same_command_then_works() {
    let env = TestEnv::new();
    let root = product(&env);
    let remote = env.path().join("remotes/ingest.git");
    std::fs::create_dir_all(env.path().join("remotes")).unwrap();
    let args = ["new", "ingest", "--remote", remote.to_str().unwrap()];
    let before = snapshot_tree(&env.path());
    // `-v` traces each step as it starts: the trace, like the error, reads `git -C ...`.
    let out = env.run(&root, ["-v"].iter().chain(&args));
    let (stdout, stderr) = outputs(&out);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("ingest: git -C packages/ingest init --quiet -b main\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("ingest: step `git -C packages/ingest push --quiet --set-upstream origin main:main` failed"),
        "{stderr}"
    );
    assert!(!stderr.contains("git git"), "{stderr}");
    assert!(
        stderr.contains("Took back the failed `new ingest`: nothing of it is left"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: "), "{stderr}");
    same_tree(&before, &snapshot_tree(&env.path()), "nothing left behind");
    assert!(!root.join("packages/ingest").exists());

    // Once the remote exists, the same command works.
    bare(&env, "ingest");
    ok(&env.run(&root, args));
    assert!(root.join("packages/ingest/pyproject.toml").is_file());
    assert!(read(&root.join(".gitmodules")).contains("packages/ingest"));
    assert_eq!(
        git(&root, &["log", "-1", "--format=%s"]).trim(),
        "feat: add package ingest"
    );
    assert!(git(&root, &["status", "--porcelain"]).trim().is_empty());
}

#[test]
fn a_failed_add_leaves_nothing_behind() {
    let env = TestEnv::new();
    let root = product(&env);
    let remote = bare(&env, "delta");
    ok(&env.run(&env.path(), ["init", "scratch"]));
    ok(&env.run(
        &env.path().join("scratch"),
        ["new", "delta", "--remote", remote.to_str().unwrap()],
    ));
    // A pre-commit hook in the root makes the last step (the root commit) fail after the
    // submodule was added, staged and registered.
    let hooks = root.join(".git/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    let hook = hooks.join("pre-commit");
    std::fs::write(&hook, "#!/bin/sh\necho 'hook says no' >&2\nexit 1\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let before = snapshot_tree(&env.path());
    let out = env.run(&root, ["add", remote.to_str().unwrap()]);
    let (_, stderr) = outputs(&out);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("hook says no"), "{stderr}");
    assert!(stderr.contains("Took back the failed `add "), "{stderr}");
    // The failed commit wrote loose objects nothing refers to (git's gc prunes them); every
    // file, ref, index entry and configuration line is as it was.
    let no_objects = |tree: Vec<String>| -> Vec<String> {
        tree.into_iter()
            .filter(|l| !l.starts_with("product/.git/objects/"))
            .collect()
    };
    same_tree(
        &no_objects(before),
        &no_objects(snapshot_tree(&env.path())),
        "nothing left behind",
    );
    std::fs::remove_file(&hook).unwrap();
    ok(&env.run(&root, ["add", remote.to_str().unwrap()]));
    assert!(root.join("packages/delta/pyproject.toml").is_file());
}
