//! `foreach`: run one command in every selected package directory, in parallel (docs/reference.md §3).
//!
//! The command is an argv (no shell, see [`crate::core::process`]), run with the package directory as
//! its working directory, stdin closed, and `RELEASE_TOOL_PACKAGE=<name>` and
//! `RELEASE_TOOL_ROOT=<root>` in its environment. Output is captured per package and handed
//! back in package-name order as soon as every earlier package is done
//! ([`parallel::map_streamed`]), so the caller can print each package's output as one block,
//! never interleaved with another's.
//!
//! Packages whose directory has no `pyproject.toml` (an uninitialized submodule) are skipped:
//! there is nothing to run the command in. Packages with other problems (a malformed
//! `pyproject.toml`, say) still run: `foreach` is one way to look into them.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Result;
use serde::Serialize;

use crate::core::error::UserError;
use crate::core::parallel;
use crate::core::process::{Capture, Process, ProcessOutput};
use crate::core::text::shell_words;
use crate::plan::StepJson;
use crate::workspace::{Skipped, Workspace};

/// The variable that names the package a command runs for.
pub const PACKAGE_ENV: &str = "RELEASE_TOOL_PACKAGE";
/// The variable that holds the workspace root.
pub const ROOT_ENV: &str = "RELEASE_TOOL_ROOT";

/// What `foreach` needs to know.
#[derive(Clone, Debug, Default)]
pub struct ForeachRequest {
    /// Package names (`-p`); empty = all.
    pub packages: Vec<String>,
    /// The command and its arguments.
    pub argv: Vec<String>,
}

/// One package to run the command in.
#[derive(Clone, Debug)]
pub struct Target {
    pub package: String,
    pub path: String,
    pub process: Process<'static>,
}

/// What would run where.
#[derive(Clone, Debug)]
pub struct ForeachPlan {
    pub root: PathBuf,
    pub argv: Vec<String>,
    pub targets: Vec<Target>,
    pub skipped: Vec<Skipped>,
}

/// How one package's run ended.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// The command ran (successfully or not).
    Ran(ProcessOutput),
    /// It could not be started: the message says why.
    NotStarted(String),
}

/// One package's run.
#[derive(Clone, Debug)]
pub struct RunResult {
    pub package: String,
    pub path: String,
    pub outcome: Outcome,
}

impl RunResult {
    /// Whether the command ran and exited with 0.
    pub fn success(&self) -> bool {
        matches!(&self.outcome, Outcome::Ran(out) if out.success())
    }

    /// Why it failed, for summaries: `exit 1`, `killed by signal 9`, `could not start`.
    pub fn failure(&self) -> Option<String> {
        match &self.outcome {
            Outcome::Ran(out) if out.success() => None,
            Outcome::Ran(out) => Some(out.exit().to_string()),
            Outcome::NotStarted(_) => Some("could not start".to_owned()),
        }
    }
}

/// One package in `foreach --json`.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct RunJson {
    pub package: String,
    pub path: String,
    /// `null` when the command was killed by a signal or could not start.
    pub exit_code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// Why the command did not run or did not exit normally; `null` otherwise.
    pub error: Option<String>,
}

impl From<&RunResult> for RunJson {
    fn from(r: &RunResult) -> Self {
        let (exit_code, stdout, stderr, error) = match &r.outcome {
            Outcome::Ran(out) => (
                out.code,
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
                out.code.is_none().then(|| r.failure().unwrap_or_default()),
            ),
            Outcome::NotStarted(message) => {
                (None, String::new(), String::new(), Some(message.clone()))
            }
        };
        Self {
            package: r.package.clone(),
            path: r.path.clone(),
            exit_code,
            stdout,
            stderr,
            error,
        }
    }
}

/// Select the packages and build the command for each. An empty command or an unknown package
/// is a usage error (exit 2).
pub fn plan(ws: &Workspace, req: &ForeachRequest) -> Result<ForeachPlan> {
    if req.argv.is_empty() || req.argv[0].is_empty() {
        return Err(UserError::usage("No command given to run in the packages")
            .with_hint("put the command after `--`: `release-tool foreach -- git status --short`")
            .into());
    }
    let selected = ws.select(&req.packages)?;
    let mut targets = Vec::new();
    let mut skipped = Vec::new();
    for pkg in selected {
        if !pkg.dir.join("pyproject.toml").is_file() {
            let reason = if pkg.submodule.is_some() {
                format!(
                    "submodule not initialized (run `git submodule update --init -- {}`)",
                    pkg.rel_path
                )
            } else {
                "no pyproject.toml".to_owned()
            };
            skipped.push(Skipped::new(pkg, reason));
            continue;
        }
        let process = Process::from_argv(&req.argv, pkg.dir.clone())
            .env(PACKAGE_ENV, &pkg.name)
            .env(ROOT_ENV, ws.root.display().to_string());
        targets.push(Target {
            package: pkg.name.clone(),
            path: pkg.rel_path.clone(),
            process,
        });
    }
    Ok(ForeachPlan {
        root: ws.root.clone(),
        argv: req.argv.clone(),
        targets,
        skipped,
    })
}

impl ForeachPlan {
    /// The runs as plan steps (docs/reference.md §4 `--dry-run --json`): `{package, action: "run", detail}`.
    pub fn to_json(&self) -> Vec<StepJson> {
        self.targets
            .iter()
            .map(|t| StepJson {
                argv: Some(self.argv.clone()),
                dir: Some(t.path.clone()),
                ..StepJson::new(
                    Some(t.package.clone()),
                    "run",
                    format!("(cd {} && {})", t.path, shell_words(&self.argv)),
                )
            })
            .collect()
    }

    /// The human rendering of the dry run: one line per package.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for step in self.to_json() {
            let _ = writeln!(
                out,
                "{}: {} {}",
                step.package.unwrap_or_default(),
                step.action,
                step.detail
            );
        }
        out
    }
}

/// Run the command in every target on `jobs` workers; `emit` gets each result in package order
/// as soon as it and all earlier ones are done. Returns all results in package order.
pub fn run(
    plan: &ForeachPlan,
    jobs: usize,
    capture: Capture,
    emit: impl FnMut(&RunResult),
) -> Vec<RunResult> {
    let mut emit = emit;
    parallel::map_streamed(
        &plan.targets,
        jobs,
        |t| RunResult {
            package: t.package.clone(),
            path: t.path.clone(),
            outcome: match t.process.run(capture) {
                Ok(out) => Outcome::Ran(out),
                Err(e) => Outcome::NotStarted(e.to_string()),
            },
        },
        |_, r| emit(r),
    )
}

/// `3 packages: 2 ok, 1 failed (data-loader: exit 1)`, and `, 1 skipped` when some were.
pub fn summary(results: &[RunResult], skipped: &[Skipped]) -> String {
    let total = results.len() + skipped.len();
    let ok = results.iter().filter(|r| r.success()).count();
    let failed: Vec<String> = results
        .iter()
        .filter_map(|r| r.failure().map(|f| format!("{}: {f}", r.package)))
        .collect();
    let mut line = format!("{}: {ok} ok", crate::core::text::count(total, "package"));
    if !failed.is_empty() {
        let _ = write!(line, ", {} failed ({})", failed.len(), failed.join(", "));
    }
    if !skipped.is_empty() {
        let _ = write!(line, ", {} skipped", skipped.len());
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(name: &str, code: Option<i32>) -> RunResult {
        RunResult {
            package: name.to_owned(),
            path: format!("packages/{name}"),
            outcome: Outcome::Ran(ProcessOutput {
                code,
                signal: if code.is_none() { Some(9) } else { None },
                stdout: b"out\n".to_vec(),
                stderr: Vec::new(),
            }),
        }
    }

    #[test]
    fn summaries() {
        let results = [
            result("a", Some(0)),
            result("b", Some(1)),
            result("c", None),
            RunResult {
                package: "d".to_owned(),
                path: "packages/d".to_owned(),
                outcome: Outcome::NotStarted("Cannot run `x`".to_owned()),
            },
        ];
        assert_eq!(
            summary(&results, &[]),
            "4 packages: 1 ok, 3 failed (b: exit 1, c: killed by signal 9, d: could not start)"
        );
        let skipped = [Skipped {
            package: "e".to_owned(),
            path: "packages/e".to_owned(),
            reason: String::new(),
        }];
        assert_eq!(
            summary(&results[..1], &skipped),
            "2 packages: 1 ok, 1 skipped"
        );
    }

    #[test]
    fn json_rows() {
        let json = serde_json::to_value(RunJson::from(&result("c", None))).unwrap();
        assert_eq!(json["exit_code"], serde_json::Value::Null);
        assert_eq!(json["error"], "killed by signal 9");
        assert_eq!(json["stdout"], "out\n");
        let json = serde_json::to_value(RunJson::from(&result("a", Some(0)))).unwrap();
        assert_eq!(json["exit_code"], 0);
        assert_eq!(json["error"], serde_json::Value::Null);
    }
}
