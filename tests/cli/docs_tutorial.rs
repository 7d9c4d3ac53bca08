//! docs/getting-started.md, run (issue #23, item 8): after a real `demo`, every command of
//! sections 3 to 9 is run in the page's order (shell blocks included) and its output (stdout
//! and stderr, as a terminal shows them) is compared with the page's. `...` on a line of its
//! own stands for any lines, `…` inside a line for any text; commit hashes match any hash; the
//! page's `/tmp/rt` is the test's directory.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{TestEnv, hermetic, uv_env};

#[derive(Debug)]
enum Action {
    /// A `$ ` line of a console block.
    Command(String),
    /// A whole `sh` block.
    Script(String),
}

#[derive(Debug)]
struct Step {
    action: Action,
    expected: Vec<String>,
    line: usize,
}

/// The steps of the page from the heading starting with `from` on (to the end of the page, or
/// of that section only with `section_only`).
fn steps(page: &str, from: &str, section_only: bool) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut started = false;
    let mut block: Option<&str> = None;
    let mut script = String::new();
    let mut script_line = 0;
    for (i, line) in page.lines().enumerate() {
        if line.starts_with("## ") {
            if started && section_only {
                break;
            }
            started |= line.starts_with(from);
        }
        if !started {
            continue;
        }
        match block {
            None => {
                if let Some(kind) = line.strip_prefix("```") {
                    block = Some(if kind == "console" || kind == "sh" {
                        kind
                    } else {
                        "other"
                    });
                    script.clear();
                    script_line = i + 2;
                }
            }
            Some(kind) if line.starts_with("```") => {
                if kind == "sh" {
                    steps.push(Step {
                        action: Action::Script(script.clone()),
                        expected: Vec::new(),
                        line: script_line,
                    });
                }
                block = None;
            }
            Some("console") => {
                if let Some(cmd) = line.strip_prefix("$ ") {
                    steps.push(Step {
                        action: Action::Command(cmd.to_owned()),
                        expected: Vec::new(),
                        line: i + 1,
                    });
                } else if let Some(step) = steps.last_mut() {
                    step.expected.push(line.to_owned());
                }
            }
            Some("sh") => {
                script.push_str(line);
                script.push('\n');
            }
            Some(_) => {}
        }
    }
    steps
}

/// An expected line as a regex: `…` is any text, a hash-like word any hash, a date any date.
fn line_pattern(line: &str) -> regex::Regex {
    let hash = regex::Regex::new(r"\b(?:[0-9a-f]{7,40}|\d{4}-\d{2}-\d{2})\b").unwrap();
    let mut pattern = String::from("^");
    for (i, part) in line.split('…').enumerate() {
        if i > 0 {
            pattern.push_str(".*?");
        }
        let mut last = 0;
        for m in hash.find_iter(part) {
            if !m.as_str().chars().any(|c| c.is_ascii_digit()) {
                continue;
            }
            pattern.push_str(&regex::escape(&part[last..m.start()]));
            pattern.push_str(if m.as_str().contains('-') {
                r"\d{4}-\d{2}-\d{2}"
            } else {
                "[0-9a-f]{7,40}"
            });
            last = m.end();
        }
        pattern.push_str(&regex::escape(&part[last..]));
    }
    pattern.push('$');
    regex::Regex::new(&pattern).unwrap()
}

/// Whether `actual` is what `expected` shows (see the module's comment).
fn matches(expected: &[String], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first.trim() == "..." => {
            (0..=actual.len()).any(|skip| matches(rest, &actual[skip..]))
        }
        Some((first, rest)) => actual.split_first().is_some_and(|(line, others)| {
            line_pattern(first.trim_end()).is_match(line.trim_end()) && matches(rest, others)
        }),
    }
}

fn run(action: &Action, cwd: &Path, bin: &Path, base: &Path) -> (bool, String) {
    let text = match action {
        Action::Command(c) | Action::Script(c) => c.replace("/tmp/rt", &base.display().to_string()),
    };
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new("sh");
    hermetic(&mut cmd);
    cmd.args(["-c", &format!("exec 2>&1\n{text}")])
        .current_dir(cwd)
        .env("PATH", path)
        .envs(uv_env());
    let out = cmd.output().expect("run sh");
    let shown =
        String::from_utf8_lossy(&out.stdout).replace(&base.display().to_string(), "/tmp/rt");
    (out.status.success(), shown)
}

/// Run the page's steps from the heading starting with `from` on, after a demo under
/// `/tmp/rt/demo` (a `release-tool demo` line of the page is that demo: its transcript is the
/// demo's, abridged, and not compared). Returns the mismatches.
fn run_page(page: &str, from: &str, section_only: bool) -> Vec<String> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(page)).unwrap();
    let steps = steps(&text, from, section_only);
    assert!(steps.len() >= 3, "{page}: {steps:#?}");
    // `docker --build --engine podman --dry-run` needs podman on PATH.
    crate::support::containers::require_tools();
    let env = TestEnv::new();
    let base = env.path();
    // The release-tool under test, first on PATH.
    let bin = base.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_release-tool"), bin.join("release-tool"))
        .unwrap();
    // The demo, without its image build (the docker tests build images).
    let (ok, out) = run(
        &Action::Command("release-tool demo /tmp/rt/demo --no-build".to_owned()),
        &base,
        &bin,
        &base,
    );
    assert!(ok, "demo failed:\n{out}");
    let mut cwd: PathBuf = base.clone();
    let mut wrong = Vec::new();
    for step in &steps {
        if let Action::Command(c) = &step.action {
            if let Some(dir) = c.strip_prefix("cd ") {
                cwd = PathBuf::from(dir.replace("/tmp/rt", &base.display().to_string()));
                continue;
            }
            if c.starts_with("release-tool demo ") {
                continue;
            }
        }
        let (ok, out) = run(&step.action, &cwd, &bin, &base);
        assert!(ok, "{page}:{}: {:?} failed:\n{out}", step.line, step.action);
        if let Action::Command(_) = step.action {
            let lines: Vec<&str> = out.lines().collect();
            if !matches(&step.expected, &lines) {
                wrong.push(format!(
                    "{page}:{}: `{:?}` printed\n{out}\nwhere the page shows\n{}\n",
                    step.line,
                    step.action,
                    step.expected.join("\n")
                ));
            }
        }
    }
    wrong
}

#[test]
fn the_getting_started_tutorial_runs_as_written() {
    let wrong = run_page("docs/getting-started.md", "## 3.", false);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_readme_quick_tour_runs_as_written() {
    let wrong = run_page("README.md", "## Quick tour", true);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn expected_output_patterns() {
    let e = |s: &str| s.lines().map(str::to_owned).collect::<Vec<_>>();
    assert!(matches(&e("a\n...\nz"), &["a", "b", "c", "z"]));
    assert!(!matches(&e("a\nz"), &["a", "b", "z"]));
    assert!(matches(&e("x 042cc3d y"), &["x 9fe81a2 y"]));
    assert!(matches(&e("build -t a … ."), &["build -t a --arg 1 ."]));
    assert!(!matches(&e("v0.1.0"), &["v0.2.0"]));
    assert!(matches(
        &e("## [0.1.1] - 2026-11-25"),
        &["## [0.1.1] - 2026-12-07"]
    ));
}
