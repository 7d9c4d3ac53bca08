//! Output polish: colours follow `--color`, `NO_COLOR`, `CLICOLOR_FORCE` and the terminal;
//! progress bars appear on a terminal only, never in pipes, logs or with `-q`.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::{TestEnv, outputs};

const ESC: &str = "\x1b[";

fn status(env: &TestEnv, root: &Path, vars: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = env.cmd(root);
    cmd.env_remove("NO_COLOR").arg("status").args(args);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn colours_follow_the_flag_and_the_environment() {
    let env = TestEnv::new();
    let root = env.demo();
    let coloured = |vars: &[(&str, &str)], args: &[&str]| {
        let out = status(&env, &root, vars, args);
        assert!(out.status.success(), "{}", outputs(&out).1);
        outputs(&out).0.contains(ESC)
    };
    // Not a terminal: no colour, unless forced.
    assert!(!coloured(&[], &[]));
    assert!(coloured(&[("CLICOLOR_FORCE", "1")], &[]));
    assert!(coloured(&[], &["--color", "always"]));
    // NO_COLOR wins over CLICOLOR_FORCE; `--color` wins over both.
    assert!(!coloured(
        &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")],
        &[]
    ));
    assert!(coloured(&[("NO_COLOR", "1")], &["--color", "always"]));
    assert!(!coloured(&[("CLICOLOR_FORCE", "1")], &["--color", "never"]));
    // JSON is never coloured.
    let out = status(&env, &root, &[("CLICOLOR_FORCE", "1")], &["--json"]);
    let v = crate::support::json_doc(&out.stdout);
    assert_eq!(v["packages"].as_array().unwrap().len(), 3);
}

#[test]
fn verbose_logs_in_a_pipe_have_no_colour_codes() {
    // The bug: `-v` / `RELEASE_TOOL_LOG` lines reached a pipe with ANSI colour codes, as the
    // log formatter wrote straight to stderr, around the colour choice.
    let env = TestEnv::new();
    let root = env.demo();
    for (vars, args) in [
        (vec![("RELEASE_TOOL_LOG", "release_tool=debug")], vec![]),
        (vec![], vec!["-vv"]),
    ] {
        let out = status(&env, &root, &vars, &args);
        let stderr = outputs(&out).1;
        assert!(stderr.contains("DEBUG"), "no log lines: {stderr}");
        assert!(
            !stderr.contains('\x1b'),
            "colour codes in a pipe: {stderr:?}"
        );
    }
    // Forced colour still colours them.
    let out = status(
        &env,
        &root,
        &[
            ("RELEASE_TOOL_LOG", "release_tool=debug"),
            ("CLICOLOR_FORCE", "1"),
        ],
        &[],
    );
    assert!(outputs(&out).1.contains(ESC));
}

/// Run `release-tool ARGS` on a pseudo-terminal (`script`), returning what the terminal showed.
fn on_a_terminal(root: &Path, args: &str) -> Option<String> {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: `script` (util-linux) is not installed");
        return None;
    }
    let line = format!("{} {args} >/dev/null", env!("CARGO_BIN_EXE_release-tool"));
    let mut script = Command::new("script");
    crate::support::hermetic(&mut script);
    // uv as the tool finds it (a release locks its staging/prod manifests).
    for (k, v) in crate::support::uv_env() {
        script.env(k, v);
    }
    let out = script
        .env("RELEASE_TOOL_PROGRESS_DELAY_MS", "0")
        .env("TERM", "xterm")
        .current_dir(root)
        .args(["-qec", &line, "/dev/null"])
        .output()
        .unwrap();
    let (shown, stderr) = outputs(&out);
    assert!(out.status.success(), "{args}: {stderr}\n{shown}");
    Some(shown)
}

#[test]
fn progress_bars_only_on_a_terminal() {
    let env = TestEnv::new();
    let root = env.demo();
    // On a terminal: a bar over the three packages, cleared before the summary line.
    let Some(shown) = on_a_terminal(&root, "status --fetch") else {
        return;
    };
    assert!(shown.contains("/3]"), "{shown:?}");
    // The summary, then the product's line (issue 20).
    assert!(
        shown.trim_end().ends_with("3 packages")
            || shown.contains("3 packages\r\nproduct ")
            || shown.contains("3 packages\nproduct "),
        "{shown:?}"
    );
    // Commands run in every package (`foreach`) and plans of many steps get one too.
    let shown = on_a_terminal(&root, "foreach -- true").unwrap();
    assert!(shown.contains("/3]"), "{shown:?}");
    let shown = on_a_terminal(&root, "lock --all --dry-run").unwrap();
    assert!(!shown.contains("/3]"), "a dry run runs nothing: {shown:?}");
    // `-q` on a terminal: none.
    let shown = on_a_terminal(&root, "-q status --fetch").unwrap();
    assert!(!shown.contains("/3]"), "{shown:?}");
    // Not a terminal: none, whatever the delay.
    let out = env
        .cmd(&root)
        .env("RELEASE_TOOL_PROGRESS_DELAY_MS", "0")
        .args(["status", "--fetch"])
        .output()
        .unwrap();
    let (_, stderr) = outputs(&out);
    // The summary and the product's line (issue 20), no bar.
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert_eq!(lines[0], "3 packages");
    assert!(lines[1].starts_with("product "), "{stderr}");
    // A release's steps, run by the executor over the packages: a bar over the steps.
    let shown = on_a_terminal(&root, "release --bump minor").unwrap();
    let counter = shown.split('[').skip(1).any(|part| {
        part.split(']')
            .next()
            .and_then(|c| c.split_once('/'))
            .is_some_and(|(done, all)| {
                done.parse::<u32>().is_ok() && all.parse::<u32>().is_ok_and(|n| n > 3)
            })
    });
    assert!(counter && shown.contains("Done: "), "{shown:?}");
}

/// `--json` on every command that reports something: stdout is exactly one JSON document (also
/// when the command exits 1 because it found problems); an error leaves stdout empty.
#[test]
fn every_command_prints_one_json_document_with_json() {
    let env = TestEnv::new();
    let root = env.demo();
    let one_document = |args: &[&str]| {
        let mut argv = vec!["--json"];
        argv.extend_from_slice(args);
        let out = env.run(&root, &argv);
        let (stdout, stderr) = outputs(&out);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{args:?}: exit {:?}: {stderr}",
            out.status.code()
        );
        let parsed: Result<serde_json::Value, _> = serde_json::from_str(&stdout);
        assert!(
            parsed.is_ok(),
            "{args:?}: stdout is not one JSON document: {stdout}\n{stderr}"
        );
        if args == ["config", "schema"] {
            // The configuration's JSON Schema, not a document.
            return parsed.unwrap();
        }
        // Every document: `schema_version`, `command`, and its command's schema.
        let doc = crate::support::json_doc(&stdout);
        assert_eq!(doc["command"], args[0], "{doc}");
        assert!(
            stdout.starts_with(&format!(
                "{{\n  \"schema_version\": 1,\n  \"command\": \"{}\",\n",
                args[0]
            )),
            "{args:?}: the envelope first: {stdout}"
        );
        if args.contains(&"--dry-run") {
            assert_eq!(doc["dry_run"], true, "{args:?}: {doc}");
        }
        doc
    };
    for args in [
        &["status"][..],
        &["check", "--no-locks"],
        &["config", "show"],
        &["config", "schema"],
        &["manifests", "--check"],
        &["ci", "--dry-run"],
        &["foreach", "--", "true"],
        &["branch", "--dry-run"],
        &["changes", "--dry-run"],
        &["commit", "--dry-run"],
        &["notes", "--dry-run"],
        &["release", "--dry-run"],
        &["next", "--dry-run"],
        &["tag", "--sync", "--dry-run"],
        &["clear", "--dry-run"],
        &["update", "--dry-run"],
        &["sync", "--dry-run", "prod"],
        &["lock", "--dry-run", "--all"],
        &["init", "--dry-run"],
        &["new", "--dry-run", "extra"],
        &["publish", "--dry-run", "--index", "http://127.0.0.1:9/"],
    ] {
        one_document(args);
    }
    // `tag --sync --dry-run`: the sync's steps and the tag's in one array.
    let steps = one_document(&["tag", "--sync", "--dry-run"])["steps"].clone();
    assert!(
        steps
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["action"] == "git" && s["detail"].as_str().unwrap().contains("fetch")),
        "{steps}"
    );
    // A real run of a command whose output is what it did: the steps it ran.
    let steps = one_document(&["new", "extra"])["steps"].clone();
    assert!(
        steps.as_array().unwrap().iter().any(|s| s["detail"]
            .as_str()
            .unwrap()
            .contains("packages/extra/pyproject.toml")),
        "{steps}"
    );
    // A command that fails prints its error on stderr and nothing on stdout.
    let out = env.run(&root, ["--json", "publish"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(outputs(&out).0, "");
}

/// Commands that print a script or a page refuse `--json` (exit 2) instead of ignoring it.
#[test]
fn json_is_a_usage_error_where_the_output_is_not_data() {
    let env = TestEnv::new();
    for args in [&["completions", "bash"][..], &["man"]] {
        let mut argv = vec!["--json"];
        argv.extend_from_slice(args);
        let out = env.run(&env.path(), &argv);
        let (stdout, stderr) = outputs(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{stdout}");
        assert!(
            stderr.starts_with(&format!(
                "error: `--json` does not apply to `release-tool {}`",
                args[0]
            )),
            "{stderr}"
        );
    }
    // `man --out-dir` with --dry-run writes nothing.
    let out = env.run(&env.path(), ["man", "--dry-run", "--out-dir", "pages"]);
    assert!(out.status.success(), "{}", outputs(&out).1);
    assert!(!env.path().join("pages").exists());
}
