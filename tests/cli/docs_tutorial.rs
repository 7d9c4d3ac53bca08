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

/// What a `<!-- docs-test: ... -->` comment above a console block asks (docs/development.md,
/// "Docs tests"): run the block in the demo workspace (by default the released demo made by
/// `release-tool demo DIR --no-build`; `demo="ARGS"`: a demo made with those arguments
/// instead), after the comment's other lines run as a shell script in the workspace; or
/// `skip reason="..."`: not run, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Directive {
    Run { demo: String, prelude: String },
    Skip(String),
}

/// A console block of a page with `$ release-tool` lines.
#[derive(Debug)]
struct Block {
    page: String,
    line: usize,
    directive: Directive,
    steps: Vec<Step>,
}

/// The default demo of a console block: released, environments synced, no image.
const DEMO: &str = "--no-build";

/// `key="value"` in a directive line.
fn attribute(line: &str, key: &str) -> Option<String> {
    let start = line.find(&format!("{key}=\""))? + key.len() + 2;
    let len = line[start..].find('"')?;
    Some(line[start..start + len].to_owned())
}

fn directive(comment: Option<&str>, page: &str, line: usize) -> Directive {
    let Some(comment) = comment else {
        return Directive::Run {
            demo: DEMO.to_owned(),
            prelude: String::new(),
        };
    };
    let (first, rest) = comment.split_once('\n').unwrap_or((comment, ""));
    if first.trim_start().starts_with("skip") {
        let reason = attribute(first, "reason")
            .unwrap_or_else(|| panic!("{page}:{line}: a skipped block must say why: {first}"));
        return Directive::Skip(reason);
    }
    Directive::Run {
        demo: attribute(first, "demo").unwrap_or_else(|| DEMO.to_owned()),
        prelude: rest.to_owned(),
    }
}

/// The console blocks with `$ release-tool` lines of a page, each with the directive of the
/// `<!-- docs-test: ... -->` comment right above it (blank lines between allowed). Sections
/// `run_elsewhere` (heading prefixes) are left out: a tutorial test runs them.
fn console_blocks(page: &str, text: &str, run_elsewhere: &[&str]) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut comment: Option<String> = None;
    let mut open_comment: Option<String> = None;
    let mut block: Option<(usize, Vec<Step>, Option<String>)> = None;
    let mut in_other = false;
    let mut elsewhere = false;
    for (i, line) in text.lines().enumerate() {
        if in_other {
            in_other = !line.starts_with("```");
            continue;
        }
        if let Some((start, steps, dir)) = &mut block {
            if line.starts_with("```") {
                let has_tool = steps.iter().any(
                    |s| matches!(&s.action, Action::Command(c) if c.contains("release-tool ")),
                );
                if has_tool && !elsewhere {
                    blocks.push(Block {
                        page: page.to_owned(),
                        line: *start,
                        directive: directive(dir.as_deref(), page, *start),
                        steps: std::mem::take(steps),
                    });
                }
                block = None;
            } else if let Some(cmd) = line.strip_prefix("$ ") {
                steps.push(Step {
                    action: Action::Command(cmd.to_owned()),
                    expected: Vec::new(),
                    line: i + 1,
                });
            } else if let Some(step) = steps.last_mut() {
                step.expected.push(line.to_owned());
            }
            continue;
        }
        if let Some(open) = &mut open_comment {
            if let Some(last) = line.strip_suffix("-->") {
                open.push_str(last);
                comment = open_comment.take();
            } else {
                open.push_str(line);
                open.push('\n');
            }
            continue;
        }
        if line.starts_with("## ") {
            elsewhere = run_elsewhere.iter().any(|h| line.starts_with(h));
        }
        if let Some(rest) = line.trim_start().strip_prefix("<!-- docs-test:") {
            match rest.strip_suffix("-->") {
                Some(one) => comment = Some(one.trim().to_owned()),
                None => open_comment = Some(format!("{}\n", rest.trim())),
            }
            continue;
        }
        if line.starts_with("```console") {
            block = Some((i + 1, Vec::new(), comment.take()));
        } else if line.starts_with("```") {
            in_other = true;
            comment = None;
        } else if !line.trim().is_empty() {
            comment = None;
        }
    }
    blocks
}

/// The pages whose console blocks [`every_console_block_of_the_docs_runs_as_shown`] runs,
/// with the sections a tutorial test runs instead.
fn doc_pages() -> Vec<(String, Vec<&'static str>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut pages = vec![("README.md".to_owned(), vec!["## Quick tour"])];
    let mut docs: Vec<String> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| {
            Path::new(n).extension().is_some_and(|e| e == "md") && n != "getting-started.md"
        })
        .map(|n| format!("docs/{n}"))
        .collect();
    docs.sort();
    pages.extend(docs.into_iter().map(|p| (p, Vec::new())));
    pages
}

fn all_blocks() -> Vec<Block> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    doc_pages()
        .into_iter()
        .flat_map(|(page, elsewhere)| {
            let text = std::fs::read_to_string(root.join(&page)).unwrap();
            console_blocks(&page, &text, &elsewhere)
        })
        .collect()
}

/// Every console block with `$ release-tool` lines in README.md and docs/*.md (beyond the
/// tutorials above) runs in a copy of a demo workspace (under `/tmp/rt/demo`, as the pages
/// show it) and prints what the page shows, with the same patterns as the tutorials. Each
/// block gets a fresh copy of its demo, made once per set of demo arguments.
#[test]
fn every_console_block_of_the_docs_runs_as_shown() {
    let blocks = all_blocks();
    crate::support::containers::require_tools();
    let env = TestEnv::new();
    let base = env.path();
    let bin = base.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_release-tool"), bin.join("release-tool"))
        .unwrap();
    let demo_dir = base.join("demo");
    let mut pristine: Vec<(String, PathBuf)> = Vec::new();
    let copy = |from: &Path, to: &Path| {
        let out = Command::new("cp")
            .arg("-a")
            .arg(from)
            .arg(to)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    };
    let mut wrong = Vec::new();
    for block in &blocks {
        let Directive::Run { demo, prelude } = &block.directive else {
            continue;
        };
        if demo_dir.exists() {
            std::fs::remove_dir_all(&demo_dir).unwrap();
        }
        if let Some((_, saved)) = pristine.iter().find(|(args, _)| args == demo) {
            copy(saved, &demo_dir);
        } else {
            let (ok, out) = run(
                &Action::Command(format!("release-tool demo /tmp/rt/demo {demo}")),
                &base,
                &bin,
                &base,
            );
            assert!(ok, "demo {demo} failed:\n{out}");
            let saved = base.join(format!("pristine-{}", pristine.len()));
            copy(&demo_dir, &saved);
            pristine.push((demo.clone(), saved));
        }
        let mut cwd = demo_dir.join("workspace");
        if !prelude.trim().is_empty() {
            let (ok, out) = run(&Action::Script(prelude.clone()), &cwd, &bin, &base);
            assert!(
                ok,
                "{}:{}: the block's setup failed:\n{out}",
                block.page, block.line
            );
        }
        for step in &block.steps {
            if let Action::Command(c) = &step.action
                && let Some(dir) = c.strip_prefix("cd ")
            {
                cwd = PathBuf::from(dir.replace("/tmp/rt", &base.display().to_string()));
                continue;
            }
            let (_, out) = run(&step.action, &cwd, &bin, &base);
            let lines: Vec<&str> = out.lines().collect();
            if !matches(&step.expected, &lines) {
                wrong.push(format!(
                    "{}:{}: `{:?}` printed\n{out}\nwhere the page shows\n{}\n",
                    block.page,
                    step.line,
                    step.action,
                    step.expected.join("\n")
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The console blocks the docs tests do not run, each with its reason (from its
/// `<!-- docs-test: skip reason="..." -->`): a new one is a decision, made here.
#[test]
fn console_blocks_left_out_of_the_docs_tests_say_why() {
    let skipped: Vec<String> = all_blocks()
        .iter()
        .filter_map(|b| match &b.directive {
            Directive::Skip(reason) => Some(format!("{}: {reason}", b.page)),
            Directive::Run { .. } => None,
        })
        .collect();
    insta::assert_snapshot!(skipped.join("\n"));
}

#[test]
fn docs_test_directives_are_read() {
    let text = "## A\n\n<!-- docs-test: skip reason=\"needs a registry\" -->\n\n```console\n$ release-tool publish\nout\n```\n\n<!-- docs-test: demo=\"--no-build --no-release\"\necho hi > x\n-->\n```console\n$ release-tool status\n```\n\n```console\n$ cargo deny\n```\n\n```sh\n$ release-tool x\n```\n```console\n$ release-tool check\n```\n";
    let blocks = console_blocks("p.md", text, &[]);
    assert_eq!(blocks.len(), 3, "{blocks:#?}");
    assert_eq!(
        blocks[0].directive,
        Directive::Skip("needs a registry".to_owned())
    );
    assert_eq!(blocks[0].steps[0].expected, vec!["out".to_owned()]);
    assert_eq!(
        blocks[1].directive,
        Directive::Run {
            demo: "--no-build --no-release".to_owned(),
            prelude: "echo hi > x\n".to_owned()
        }
    );
    assert_eq!(
        blocks[2].directive,
        Directive::Run {
            demo: DEMO.to_owned(),
            prelude: String::new()
        }
    );
    assert!(console_blocks("p.md", text, &["## A"]).is_empty());
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
