//! `completions` and `man`: generated from the command line, so they list the real commands.

use crate::support::{TestEnv, outputs};

#[test]
fn completions_for_every_shell_mention_commands_and_flags() {
    let env = TestEnv::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = env.run(&env.path(), ["completions", shell]);
        let (stdout, stderr) = outputs(&out);
        assert!(out.status.success(), "{shell}: {stderr}");
        assert!(stderr.is_empty(), "{shell}: {stderr}");
        assert!(stdout.len() > 1000, "{shell}: {stdout}");
        for word in ["release-tool", "status", "release", "stage4", "completions"] {
            assert!(stdout.contains(word), "{shell}: `{word}` missing");
        }
        // fish names long flags without their dashes (`-l dry-run`).
        let flag = |f: &str| {
            if shell == "fish" {
                format!("-l {f}")
            } else {
                format!("--{f}")
            }
        };
        for f in ["dry-run", "bump", "json"] {
            assert!(stdout.contains(&flag(f)), "{shell}: flag {f} missing");
        }
    }
    // The value choices are completed too.
    let out = env.run(&env.path(), ["completions", "bash"]);
    let stdout = outputs(&out).0;
    assert!(stdout.contains("patch minor major"), "{stdout}");
}

#[test]
fn completions_reject_an_unknown_shell() {
    let env = TestEnv::new();
    let out = env.run(&env.path(), ["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    let (stdout, stderr) = outputs(&out);
    assert!(stdout.is_empty());
    assert!(stderr.contains("possible values: bash"), "{stderr}");
}

#[test]
fn man_prints_roff_for_the_tool_and_each_command() {
    let env = TestEnv::new();
    let out = env.run(&env.path(), ["man"]);
    let (stdout, stderr) = outputs(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains(".TH release-tool 1"), "{stdout}");
    assert!(stdout.contains(".SH SUBCOMMANDS"), "{stdout}");
    assert!(stdout.contains("release\\-tool\\-status(1)"), "{stdout}");
    assert!(stdout.contains("\\-\\-dry\\-run"), "{stdout}");

    let out = env.run(&env.path(), ["man", "stage4"]);
    let (stdout, stderr) = outputs(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains(".TH release-tool-prepare 1"), "{stdout}");
    assert!(stdout.contains("\\-\\-bump"), "{stdout}");

    let out = env.run(&env.path(), ["man", "relase"]);
    assert_eq!(out.status.code(), Some(2));
    let (stdout, stderr) = outputs(&out);
    assert!(stdout.is_empty());
    assert_eq!(
        stderr,
        "error: Unknown command `relase`\nhint: did you mean `release-tool man release`?\n"
    );
}

#[test]
fn man_out_dir_writes_one_page_per_command() {
    let env = TestEnv::new();
    let dir = env.path().join("man1");
    let out = env.run(&env.path(), ["man", "--out-dir", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", outputs(&out).1);
    for page in [
        "release-tool.1",
        "release-tool-status.1",
        "release-tool-completions.1",
    ] {
        let text = std::fs::read_to_string(dir.join(page)).unwrap();
        assert!(text.contains(".TH "), "{page}");
    }
}
