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
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["packages"].as_array().unwrap().len(), 3);
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
    let out = script
        .env("RELEASE_TOOL_PROGRESS_DELAY_MS", "0")
        .env("TERM", "xterm")
        .current_dir(root)
        .args(["-qec", &line, "/dev/null"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", outputs(&out).1);
    Some(outputs(&out).0)
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
    assert!(shown.trim_end().ends_with("3 packages"), "{shown:?}");
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
    assert_eq!(stderr, "3 packages\n");
}
