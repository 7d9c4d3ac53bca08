//! Hostile names, paths and URLs from `.gitmodules`, `pyproject.toml`, the configuration and the
//! command line (option injection like `--upload-pack=touch …`, `ext::` transports, `..`,
//! absolute paths): a clear error naming the key or file with a hint, nothing run, nothing
//! changed on disk.

use std::path::{Path, PathBuf};

use crate::support::{TestEnv, outputs, snapshot_tree, write_config};

/// The payload: a command that leaves a marker file when git (or ssh) runs it.
fn payload(env: &TestEnv) -> (String, PathBuf) {
    let marker = env.path().join("pwned");
    (format!("--upload-pack=touch {}", marker.display()), marker)
}

/// Run `args` in `root`: exit 2, stderr containing every one of `expected`, a hint, no marker,
/// and the whole temp dir unchanged.
fn refused(env: &TestEnv, root: &Path, marker: &Path, args: &[&str], expected: &[&str]) {
    let before = snapshot_tree(&env.path());
    let out = env.run(root, args);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stdout}{stderr}");
    for e in expected {
        assert!(stderr.contains(e), "{args:?}: expected {e:?} in:\n{stderr}");
    }
    assert!(stderr.contains("hint: "), "{args:?}: no hint in:\n{stderr}");
    assert!(!marker.exists(), "{args:?} ran the payload");
    assert_eq!(before, snapshot_tree(&env.path()), "{args:?} changed files");
}

/// Append a `[submodule "name"]` section to the root's `.gitmodules`.
fn add_gitmodules_entry(root: &Path, name: &str, entries: &[(&str, &str)]) {
    let file = root.join(".gitmodules");
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str(&format!("[submodule \"{name}\"]\n"));
    for (k, v) in entries {
        text.push_str(&format!("\t{k} = \"{v}\"\n"));
    }
    std::fs::write(&file, text).unwrap();
}

const COMMANDS: &[&[&str]] = &[
    &["status"],
    &["status", "--fetch"],
    &["update"],
    &["manifests"],
    &["check"],
    &["release", "--bump", "patch", "--push"],
];

#[test]
fn gitmodules_path_that_is_an_option_is_refused_and_runs_nothing() {
    let env = TestEnv::new();
    let root = env.demo();
    let (payload, marker) = payload(&env);
    add_gitmodules_entry(
        &root,
        "evil",
        &[("path", &payload), ("url", "../remotes/core-utils.git")],
    );
    for args in COMMANDS {
        refused(
            &env,
            &root,
            &marker,
            args,
            &[".gitmodules entry: submodule.evil.path", "starts with `-`"],
        );
    }
}

#[test]
fn gitmodules_url_that_is_an_option_or_a_command_transport_is_refused() {
    let env = TestEnv::new();
    let (payload, marker) = payload(&env);
    for (url, why) in [
        (payload.as_str(), "starts with `-`"),
        (
            &*format!("ext::sh -c touch% {}", marker.display()),
            "`ext::` URLs run commands",
        ),
        (
            "ssh://-oProxyCommand=x/acme/r.git",
            "the host `-oProxyCommand=x`",
        ),
    ] {
        let env = TestEnv::new();
        let root = env.demo();
        add_gitmodules_entry(&root, "evil", &[("path", "packages/evil"), ("url", url)]);
        for args in COMMANDS {
            refused(&env, &root, &marker, args, &["submodule.evil.url", why]);
        }
    }
}

#[test]
fn gitmodules_paths_outside_the_root_and_bad_names_and_branches_are_refused() {
    let env = TestEnv::new();
    let (_, marker) = payload(&env);
    for (name, entries, expected) in [
        (
            "up",
            vec![("path", "../outside"), ("url", "../remotes/x.git")],
            "`..` component",
        ),
        (
            "abs",
            vec![("path", "/etc"), ("url", "../remotes/x.git")],
            "absolute",
        ),
        (
            "x.url=ext::sh",
            vec![("path", "packages/x"), ("url", "../remotes/x.git")],
            "holds `=`",
        ),
        (
            "br",
            vec![
                ("path", "packages/br"),
                ("url", "../remotes/x.git"),
                ("branch", "--upload-pack=x"),
            ],
            "submodule.br.branch",
        ),
    ] {
        let env = TestEnv::new();
        let root = env.demo();
        add_gitmodules_entry(&root, name, &entries);
        refused(
            &env,
            &root,
            &marker,
            &["status"],
            &[".gitmodules", expected],
        );
    }
}

#[test]
fn package_named_like_an_option_is_a_problem_and_is_never_released() {
    let env = TestEnv::new();
    let root = env.demo_released();
    let (payload, marker) = payload(&env);
    let pyproject = root.join("packages/core-utils/pyproject.toml");
    let text = std::fs::read_to_string(&pyproject).unwrap();
    let text = text.replacen("name = \"core-utils\"", &format!("name = \"{payload}\""), 1);
    std::fs::write(&pyproject, text).unwrap();

    let out = env.run(&root, ["status", "--json"]);
    let (stdout, _) = outputs(&out);
    assert_eq!(out.status.code(), Some(1), "a problem is found");
    let json = crate::support::json_doc(&stdout);
    let problems = json["packages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["problems"].as_array().unwrap().clone())
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        problems.contains("invalid [project] name") && problems.contains("PEP 508"),
        "{problems}"
    );

    // Taken after `status`, which may store its cache (`.release_tool/cache/`) when the edit
    // above is older than the racy margin, as it is on a loaded machine.
    let before = snapshot_tree(&env.path());
    for args in [
        &["release", "--bump", "patch", "--push"][..],
        &["prepare", "--bump", "patch"],
        &["tag", "--push"],
        &["next"],
    ] {
        let out = env.run(&root, args);
        let (_, stderr) = outputs(&out);
        assert!(!out.status.success(), "{args:?}: {stderr}");
        assert!(
            stderr.contains("invalid [project] name"),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains("hint: "), "{args:?}: {stderr}");
        assert!(!marker.exists(), "{args:?} ran the payload");
    }
    assert_eq!(before, snapshot_tree(&env.path()));
}

#[test]
fn package_directory_named_like_an_option_is_refused() {
    let env = TestEnv::new();
    let root = env.demo();
    let (_, marker) = payload(&env);
    let dir = root.join("packages/--upload-pack=touch pwned");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("pyproject.toml"),
        "[project]\nname = \"fine\"\nversion = \"0.1.0\"\n",
    )
    .unwrap();
    refused(
        &env,
        &root,
        &marker,
        &["status"],
        &["Invalid package directory", "starts with `-`"],
    );
}

#[test]
fn hatch_version_path_outside_the_package_is_a_problem() {
    let env = TestEnv::new();
    let root = env.demo();
    let pyproject = root.join("packages/core-utils/pyproject.toml");
    let text = std::fs::read_to_string(&pyproject).unwrap();
    let version_line = text
        .lines()
        .find(|l| l.starts_with("version = "))
        .unwrap()
        .to_owned();
    let text = text.replacen(&version_line, "dynamic = [\"version\"]", 1)
        + "\n[tool.hatch.version]\npath = \"../../../outside.py\"\n";
    std::fs::write(&pyproject, text).unwrap();
    let before = snapshot_tree(&env.path());
    let out = env.run(&root, ["status"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        format!("{stdout}{stderr}").contains("must be a relative path inside the package"),
        "{stdout}{stderr}"
    );
    assert_eq!(before, snapshot_tree(&env.path()));
}

#[test]
fn configured_git_names_that_are_options_or_bad_refs_are_refused() {
    let env = TestEnv::new();
    let (payload, marker) = payload(&env);
    for (line, key, why) in [
        (
            format!("git_remote = \"{payload}\""),
            "git_remote",
            "must not start with `-`",
        ),
        (
            "base_branch = \"-x\"".to_owned(),
            "base_branch",
            "must not start with `-`",
        ),
        ("dev_branch = \"a..b\"".to_owned(), "dev_branch", "`..`"),
        (
            "dev_branch = \"x.lock\"".to_owned(),
            "dev_branch",
            "`.lock`",
        ),
        (
            "tag_prefix = \"-v\"".to_owned(),
            "tag_prefix",
            "must not start with `-`",
        ),
        (
            format!("[packages.\"{payload}\"]\nskip = true"),
            "packages.--upload-pack",
            "does not name a package",
        ),
        (
            "[packages.core-utils]\nrepository = \"../../admin\"".to_owned(),
            "packages.core-utils.repository",
            "owner/repo",
        ),
        (
            "[packages.core-utils]\ntag_prefix = \"--x\"".to_owned(),
            "packages.core-utils.tag_prefix",
            "must not start with `-`",
        ),
        (
            "packages_dir = \"pkgs/--upload-pack=x\"".to_owned(),
            "packages_dir",
            "relative path inside the root",
        ),
        // Values of the wrong type: the key, what it takes in words, the file:line:col.
        (
            "jobs = \"many\"".to_owned(),
            "jobs",
            "must be a whole number, at least 1, not the string \"many\"",
        ),
        (
            "dry_run = \"yes\"".to_owned(),
            "dry_run",
            "must be true or false",
        ),
        (
            "[docker]\nplatforms = \"linux/amd64\"".to_owned(),
            "docker.platforms",
            "must be a list of strings in quotes",
        ),
    ] {
        let env = TestEnv::new();
        let root = env.demo();
        write_config(&root, &format!("{line}\n"));
        for args in [&["status"][..], &["release", "--bump", "patch", "--push"]] {
            refused(
                &env,
                &root,
                &marker,
                args,
                &[
                    "Invalid configuration in",
                    "release_tool.toml",
                    &format!("`{key}"),
                    why,
                ],
            );
        }
    }
}

#[test]
fn add_and_new_refuse_urls_that_are_options_or_command_transports() {
    let env = TestEnv::new();
    let root = env.demo();
    let (payload, marker) = payload(&env);
    let ext = format!("ext::sh -c touch% {}", marker.display());
    for args in [
        vec!["add", "--", payload.as_str()],
        vec!["add", ext.as_str()],
        vec!["add", "fd::17"],
        vec![
            "add",
            "../remotes/core-utils.git",
            "--branch=--upload-pack=x",
        ],
        vec!["add", "../remotes/core-utils.git", "--path", "packages/--x"],
        vec!["new", "fresh", "--remote", ext.as_str()],
        vec!["new", "fresh", "--remote=--upload-pack=x"],
    ] {
        refused(&env, &root, &marker, &args, &["Invalid"]);
    }
}
