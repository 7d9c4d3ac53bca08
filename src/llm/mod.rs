//! LLM help for `changes --llm` and `notes --llm` (docs/reference.md §7).
//!
//! - [`redact`]: what the model may see of a diff (pure functions: files left out, secrets
//!   masked, a byte budget);
//! - [`prompts`]: the minijinja templates, built in or from `release_tool/prompts/`;
//! - [`client`]: the OpenAI-compatible `POST {base_url}/chat/completions` client with retries.
//!
//! This module ties them together for the two commands: one [`Job`] per package that needs a
//! message, the paste-ready `prompt.md` bundle, the dry-run lines (no request is ever made by
//! `--dry-run`), and the answers turned into file writes of the command's plan.

pub mod client;
pub mod prompts;
pub mod redact;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Result;
use minijinja::Value;

use crate::config::Config;
use crate::plan::{Plan, StepKind};
use crate::release::notes::PackageNotes;
use crate::release::stages::{self, PackageChanges};
use crate::workspace::Workspace;

pub use client::{Answer, CallError, Client};
pub use prompts::{Kind, Prompts};

/// One message to ask the model for.
#[derive(Clone, Debug)]
pub struct Job {
    pub package: String,
    pub kind: Kind,
    /// The message file, absolute.
    pub target: PathBuf,
    /// The message file, relative to the root.
    pub target_rel: String,
    pub system: String,
    pub user: String,
    /// Files whose diff was left out, with the reason.
    pub omitted: Vec<(String, &'static str)>,
    /// Files (or "text") cut to fit `max_diff_bytes`.
    pub cut: Vec<String>,
    /// Secrets masked.
    pub masked: usize,
    /// A first line kept above the answer: a tag message's marker (what it was written for,
    /// docs/release.md "Tag messages"), so that the answer counts as an edited message for
    /// that release and as stale after it. Empty for other files.
    pub header: String,
}

impl Job {
    /// What the prompt leaves out, masks or cuts, for a note: `None` when nothing.
    pub fn filtered_note(&self) -> Option<String> {
        let mut parts = Vec::new();
        if !self.omitted.is_empty() {
            parts.push(format!(
                "leaves out {}",
                self.omitted
                    .iter()
                    .map(|(p, r)| format!("{p} ({r})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if self.masked > 0 {
            parts.push(format!(
                "masks {}",
                crate::core::text::count(self.masked, "secret")
            ));
        }
        if !self.cut.is_empty() {
            parts.push(format!(
                "cuts {} to fit llm.max_diff_bytes",
                self.cut.join(", ")
            ));
        }
        (!parts.is_empty()).then(|| format!("{}: the prompt {}", self.package, parts.join("; ")))
    }

    /// The prompt size in bytes (system + user).
    pub fn prompt_bytes(&self) -> usize {
        self.system.len() + self.user.len()
    }
}

/// Values that must never reach a model or a file: the LLM key and the forge tokens found in
/// `env`, and every value the process-wide registry knows ([`crate::core::secrets::known`]: the
/// variables the configuration names, `docker.secret_env` included, and every variable whose
/// name says it holds a secret), longest first, so a token that contains another is masked
/// whole. One list, so a prompt masks at least what the output does.
pub fn known_secrets(config: &Config, env: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    let mut vars = vec![config.llm.api_key_env.clone()];
    if let Some(v) = &config.forge.token_env {
        vars.push(v.clone());
    }
    vars.extend(["GITHUB_TOKEN".to_owned(), "GH_TOKEN".to_owned()]);
    let mut out: Vec<String> = vars
        .iter()
        .filter_map(|v| env(v))
        .map(|s| s.trim().to_owned())
        .filter(|s| s.len() >= 8)
        .chain(crate::core::secrets::known())
        .collect();
    out.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    out.dedup();
    out
}

fn omitted_value(omitted: &[(String, &'static str)]) -> Value {
    omitted
        .iter()
        .map(|(path, reason)| Value::from_pairs([("path", path.as_str()), ("reason", reason)]))
        .collect()
}

/// The job for one package of `changes` (its commit message).
pub fn commit_job(
    ws: &Workspace,
    prompts: &Prompts,
    pkg: &PackageChanges,
    known: &[String],
) -> Result<Job> {
    let known: Vec<&str> = known.iter().map(String::as_str).collect();
    let max = ws.config.llm.max_diff_bytes;
    let (texts, prepared) = redact::prepare(&[&pkg.report], max, &known);
    let ctx = minijinja::context! {
        kind => Kind::CommitMessage.name(),
        package => &pkg.package,
        path => &pkg.path,
        branch => pkg.branch.as_deref().unwrap_or("(detached HEAD)"),
        files => pkg.files,
        changes => &texts[0],
        omitted => omitted_value(&prepared.omitted),
        cut => &prepared.cut,
        masked => prepared.masked,
        max_diff_bytes => max,
    };
    let (system, user) = prompts.render(Kind::CommitMessage, &ctx)?;
    Ok(Job {
        package: pkg.package.clone(),
        kind: Kind::CommitMessage,
        target: ws.root.join(&pkg.message_file),
        target_rel: pkg.message_file.clone(),
        system,
        user,
        omitted: prepared.omitted,
        cut: prepared.cut,
        masked: prepared.masked,
        header: String::new(),
    })
}

/// The job for one package of `notes` (its tag message).
pub fn tag_job(
    ws: &Workspace,
    prompts: &Prompts,
    notes: &PackageNotes,
    known: &[String],
) -> Result<Job> {
    let known: Vec<&str> = known.iter().map(String::as_str).collect();
    let max = ws.config.llm.max_diff_bytes;
    let (texts, prepared) = redact::prepare(&[&notes.log, &notes.diff], max, &known);
    let draft = notes
        .template
        .lines()
        .filter(|l| !(l.starts_with("<!--") && l.ends_with("-->")))
        .collect::<Vec<_>>()
        .join("\n");
    let (draft, _) = redact::mask_secrets(draft.trim(), None, &known);
    let header = notes.marker.clone();
    let path = ws
        .package(&notes.package)
        .map_or_else(String::new, |p| p.rel_path.clone());
    let ctx = minijinja::context! {
        kind => Kind::TagMessage.name(),
        package => &notes.package,
        path => path,
        since_tag => &notes.since_tag,
        commits => notes.commits,
        log => &texts[0],
        diff => &texts[1],
        draft => draft,
        version => "{VERSION}",
        prev_version => "{PREV_VERSION}",
        omitted => omitted_value(&prepared.omitted),
        cut => &prepared.cut,
        masked => prepared.masked,
        max_diff_bytes => max,
    };
    let (system, user) = prompts.render(Kind::TagMessage, &ctx)?;
    Ok(Job {
        package: notes.package.clone(),
        kind: Kind::TagMessage,
        target: ws.root.join(&notes.tag_message_file),
        target_rel: notes.tag_message_file.clone(),
        system,
        user,
        omitted: prepared.omitted,
        cut: prepared.cut,
        masked: prepared.masked,
        header,
    })
}

/// Build the jobs with `build`; when the prompt templates are broken, `--llm` stops with the
/// error (exit 2, nothing written) and a run without it only warns that `prompt.md` is not
/// written.
pub fn jobs_or_warn(
    ws: &Workspace,
    llm: bool,
    build: impl FnOnce(&Prompts) -> Result<Vec<Job>>,
) -> Result<Vec<Job>> {
    let result = Prompts::load(&ws.root).and_then(|p| build(&p));
    match result {
        Ok(jobs) => Ok(jobs),
        Err(e) if llm => Err(e),
        Err(e) => {
            crate::core::ui::warn(&format!("{} not written: {e:#}", ws.rel(&prompt_path(ws))));
            Ok(Vec::new())
        }
    }
}

/// `<changes_output_dir>/prompt.md`.
pub fn prompt_path(ws: &Workspace) -> PathBuf {
    ws.root
        .join(&ws.config.changes_output_dir)
        .join(stages::PROMPT_FILE)
}

/// A code fence longer than any run of backticks in `text`.
fn fence_for(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

/// The paste-ready `prompt.md`: for each package, the message file to fill and one block with
/// the system prompt and the prompt, exactly as `--llm` sends them. `kept` lists the message
/// files left alone (they already have text).
pub fn prompt_bundle(kind: Kind, jobs: &[Job], kept: &[String]) -> String {
    let (title, command) = match kind {
        Kind::CommitMessage => ("commit messages", "changes"),
        Kind::TagMessage => ("tag messages", "notes"),
    };
    let mut out = format!("# LLM prompts: {title}\n\n");
    let _ = writeln!(
        out,
        "Written by `release-tool {command}` for {}. Paste each block below into a \
         chat with an LLM and save the answer in the file named in its heading; \
         `release-tool {command} --llm` sends these same prompts to the API configured in \
         `[tool.release_tool.llm]` and writes the answers itself. Lock files, binaries and \
         generated files are left out and secrets are masked.\n",
        crate::core::text::count(jobs.len(), "package")
    );
    if kind == Kind::TagMessage {
        out.push_str(
            "Keep `{VERSION}` and `{PREV_VERSION}` as they are in the answers: `prepare` fills \
             them in.\n\n",
        );
    }
    if !kept.is_empty() {
        let _ = writeln!(
            out,
            "Already written, so not asked for: {}.\n",
            kept.join(", ")
        );
    }
    for job in jobs {
        let body = format!("{}\n{}", job.system, job.user);
        let fence = fence_for(&body);
        let _ = write!(
            out,
            "## {} → {}\n\n{fence}text\n{body}{fence}\n\n",
            job.package, job.target_rel
        );
    }
    let mut out = out.trim_end().to_owned();
    out.push('\n');
    out
}

/// The bundle with the product's combined notes of the coming release at its end (`rel`: the
/// file `notes` writes them to), so that a chat has the whole release in view.
pub fn with_product_notes(bundle: String, rel: &str, notes: &str) -> String {
    let fence = fence_for(notes);
    let mut out = bundle;
    let _ = write!(
        out,
        "\n## The product's combined notes ({rel})\n\n\
         The packages' tag messages as they stand, combined as `release` and `prepare` write the \
         product's CHANGELOG section and forge release (for context: nothing to fill).\n\n\
         {fence}markdown\n{notes}{fence}\n"
    );
    out
}

/// The dry-run line of a job: `POST <endpoint> (model m, N-byte prompt) → <file>` (as the
/// plan renders its [`StepKind::Llm`] step).
pub fn describe(job: &Job, endpoint: &str, model: &str) -> String {
    format!(
        "POST {endpoint} (model {model}, {}-byte prompt) → {}",
        job.prompt_bytes(),
        job.target_rel
    )
}

/// Where each job's step goes among the plan's steps: right after the step that writes its
/// file (the template or empty file is written first, so that a call that fails leaves the
/// file to fill by hand, and the answer then replaces it), else after the last step of its
/// package, else at the end. Writes that depend on the answers (the product's combined notes,
/// `prompt.md`) come after the package steps, so after these.
fn positions(plan: &Plan, jobs: &[Job]) -> Vec<usize> {
    jobs.iter()
        .map(|job| {
            let writes = plan
                .steps
                .iter()
                .position(
                    |s| matches!(&s.kind, StepKind::WriteFile { path, .. } if *path == job.target),
                )
                .map(|i| i + 1);
            let after_package = || {
                plan.steps
                    .iter()
                    .rposition(|s| s.package.as_deref() == Some(job.package.as_str()))
                    .map(|i| i + 1)
            };
            writes.or_else(after_package).unwrap_or(plan.steps.len())
        })
        .collect()
}

/// One [`StepKind::Llm`] step per job in `plan`, where [`positions`] says: the model calls are
/// steps of the command's plan, shown by `--dry-run` (`action = "llm"` in `--json`) where
/// they run, and run by the executor with the [`Asker`].
pub fn add_steps(ws: &Workspace, plan: &mut Plan, jobs: &[Job]) {
    let cfg = &ws.config.llm;
    add_steps_with(plan, jobs, &client::endpoint(cfg), &cfg.model);
}

fn add_steps_with(plan: &mut Plan, jobs: &[Job], endpoint: &str, model: &str) {
    let at = positions(plan, jobs);
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    // From the back, so that earlier positions stay valid; jobs at the same place keep their
    // order.
    order.sort_by(|a, b| at[*b].cmp(&at[*a]).then(b.cmp(a)));
    for i in order {
        let job = &jobs[i];
        let mut single = Plan::new(plan.root.clone());
        single.llm(
            Some(&job.package),
            StepKind::Llm {
                target: job.target.clone(),
                endpoint: endpoint.to_owned(),
                model: model.to_owned(),
                system: job.system.clone(),
                user: job.user.clone(),
                header: job.header.clone(),
            },
        );
        let step = single.steps.pop().expect("one step");
        plan.steps.insert(at[i], step);
    }
}

/// Set the content `path` gets from the plan: the step that writes it now writes `content`;
/// without one, a write step is added.
pub fn set_content(plan: &mut Plan, package: &str, path: &Path, content: String) {
    for step in &mut plan.steps {
        if let StepKind::WriteFile { path: p, after, .. } = &mut step.kind
            && p == path
        {
            *after = content;
            return;
        }
    }
    plan.write(Some(package), path, content);
}

/// What asking the model gave.
#[derive(Debug, Default)]
pub struct Filled {
    /// Jobs answered (index into the jobs), with the model's answer; their files are in the
    /// plan now.
    pub answered: Vec<(usize, Answer)>,
    /// Packages whose request failed.
    pub failed: Vec<(String, crate::core::error::UserError)>,
    /// Packages not asked because an earlier request failed for good.
    pub not_sent: Vec<String>,
}

/// The environment, as the client reads it.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Print the plan of a `--dry-run --llm` (no request is made): the steps, the model calls
/// among them ([`add_steps`]), a warning when the key is missing, and what each prompt leaves
/// out.
pub fn print_dry_run(
    ws: &Workspace,
    plan: &Plan,
    jobs: &[Job],
    json: bool,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<()> {
    let cfg = &ws.config.llm;
    if json {
        crate::core::ui::print_json(&crate::plan::PlanJson::dry_run(plan.to_json()))?;
    } else {
        crate::core::ui::print_text(&plan.render());
        for job in jobs {
            if let Some(note) = job.filtered_note() {
                crate::core::ui::note(&note);
            }
        }
        crate::core::ui::note(&format!(
            "Dry run: {} planned, {} of them {}; nothing sent, nothing changed",
            crate::core::text::count(plan.steps.len(), "step"),
            jobs.len(),
            crate::core::text::noun(jobs.len(), "LLM request")
        ));
    }
    if let Some(e) = client::missing_key(cfg, env) {
        crate::core::ui::warn(&format!("{}: a real run would stop here", e.message));
    }
    Ok(())
}

/// The model behind the plan's [`StepKind::Llm`] steps ([`crate::plan::Ask`]): one request per
/// step, with the client's retries; after a fatal error (rejected key, wrong endpoint, service
/// down) the steps not yet run send nothing. What each job got is kept for [`report`].
pub struct Asker<'a> {
    client: Client,
    jobs: &'a [Job],
    stop: AtomicBool,
    results: std::sync::Mutex<Vec<Option<Result<Answer, CallError>>>>,
}

impl<'a> Asker<'a> {
    /// The client is made first: a missing key or a bad `base_url` is a usage error before
    /// anything is sent or written. Says what each prompt leaves out.
    pub fn new(
        ws: &Workspace,
        jobs: &'a [Job],
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        let client = Client::from_config(&ws.config.llm, env)?;
        for job in jobs {
            if let Some(note) = job.filtered_note() {
                crate::core::ui::note(&note);
            }
        }
        Ok(Self {
            client,
            jobs,
            stop: AtomicBool::new(false),
            results: std::sync::Mutex::new((0..jobs.len()).map(|_| None).collect()),
        })
    }

    /// What the steps got: the answers, the failures, the jobs never asked.
    pub fn into_filled(self) -> Filled {
        let results = self
            .results
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut filled = Filled::default();
        for (i, (job, result)) in self.jobs.iter().zip(results).enumerate() {
            match result {
                Some(Ok(answer)) => filled.answered.push((i, answer)),
                Some(Err(e)) => filled.failed.push((job.package.clone(), e.error)),
                None => filled.not_sent.push(job.package.clone()),
            }
        }
        filled
    }
}

impl crate::plan::Ask for Asker<'_> {
    fn ask(&self, package: &str, system: &str, user: &str) -> std::result::Result<String, String> {
        let Some(i) = self
            .jobs
            .iter()
            .position(|j| j.package == package && j.user == user)
        else {
            return Err(format!("no LLM job for {package}"));
        };
        if self.stop.load(Ordering::SeqCst) {
            return Err("not asked after an earlier LLM error".to_owned());
        }
        let result = self
            .client
            .complete(package, system, user, &|line| crate::core::ui::warn(line));
        let out = match &result {
            Ok(answer) => Ok(answer.text.clone()),
            Err(e) => {
                if e.fatal {
                    self.stop.store(true, Ordering::SeqCst);
                }
                Err(e.error.message.clone())
            }
        };
        self.results
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)[i] = Some(result);
        out
    }
}

/// After the plan ran: say what the model wrote, and turn failures into the command's error
/// (the first failure, the others as warnings).
pub fn report(ws: &Workspace, jobs: &[Job], filled: Filled) -> Result<()> {
    let model = &ws.config.llm.model;
    for (i, answer) in &filled.answered {
        let job = &jobs[*i];
        crate::core::ui::note(&format!(
            "{}: {} by {model} → {}: {}",
            job.package,
            job.kind.human(),
            job.target_rel,
            subject(&answer.text)
        ));
        if answer.truncated {
            crate::core::ui::warn(&format!(
                "{}: the answer was cut at the model's length limit; check {}",
                job.package, job.target_rel
            ));
        }
    }
    if !filled.not_sent.is_empty() {
        crate::core::ui::warn(&format!(
            "Not asked after the error below: {}",
            filled.not_sent.join(", ")
        ));
    }
    let mut failed = filled.failed.into_iter();
    let Some((_, first)) = failed.next() else {
        return Ok(());
    };
    for (_, other) in failed {
        crate::core::ui::warn(&other.message);
    }
    let prompt = ws.rel(&prompt_path(ws));
    let hint = format!(
        "{}; the other files and {prompt} were written: run the command again with --llm to \
         retry (messages already written are kept), or paste {prompt} into a chat",
        first.hint.as_deref().unwrap_or("see above")
    );
    Err(first.with_hint(hint).into())
}

/// The first line of a message, for a note.
pub fn subject(text: &str) -> &str {
    text.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(package: &str, user: &str) -> Job {
        Job {
            package: package.to_owned(),
            kind: Kind::CommitMessage,
            target: PathBuf::from(format!(
                "/r/release_tool/changes/{package}/commit_message.txt"
            )),
            target_rel: format!("release_tool/changes/{package}/commit_message.txt"),
            system: "SYSTEM".to_owned(),
            user: user.to_owned(),
            omitted: vec![("uv.lock".to_owned(), "lock file")],
            cut: Vec::new(),
            masked: 2,
            header: String::new(),
        }
    }

    #[test]
    fn bundle_has_one_fenced_block_per_package() {
        let text = prompt_bundle(
            Kind::CommitMessage,
            &[job("a", "USER A\n"), job("b", "has ```` inside\n")],
            &["release_tool/changes/c/commit_message.txt".to_owned()],
        );
        assert!(text.starts_with("# LLM prompts: commit messages\n\nWritten by `release-tool changes` for 2 packages."), "{text}");
        assert!(
            text.contains(
                "Already written, so not asked for: release_tool/changes/c/commit_message.txt.\n"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "## a → release_tool/changes/a/commit_message.txt\n\n```text\nSYSTEM\nUSER A\n```\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("`````text\nSYSTEM\nhas ```` inside\n`````\n"),
            "{text}"
        );
        assert!(text.ends_with("`````\n"));
    }

    #[test]
    fn llm_steps_sit_right_after_the_write_of_their_file() {
        let mut plan = Plan::new("/r");
        plan.write(
            Some("a"),
            "/r/release_tool/changes/a/changes_uncommitted.txt",
            "x",
        );
        plan.write(
            Some("a"),
            "/r/release_tool/changes/a/commit_message.txt",
            "",
        );
        plan.write(None, "/r/release_tool/changes/prompt.md", "p");
        let jobs = [job("a", "U"), job("b", "U")];
        add_steps_with(&mut plan, &jobs, "http://h/v1/chat/completions", "m");
        let json = plan.to_json();
        let actions: Vec<&str> = json.iter().map(|s| s.action).collect();
        assert_eq!(actions, ["create", "create", "llm", "create", "llm"]);
        assert_eq!(
            json[2].detail,
            "POST http://h/v1/chat/completions (model m, 7-byte prompt) → release_tool/changes/a/commit_message.txt"
        );
        assert_eq!(
            json[2].detail,
            describe(&jobs[0], "http://h/v1/chat/completions", "m")
        );
        let mut other = Plan::new("/r");
        other.write(
            Some("a"),
            "/r/release_tool/changes/a/changes_uncommitted.txt",
            "x",
        );
        other.write(None, "/r/release_tool/changes/prompt.md", "p");
        add_steps_with(&mut other, &jobs[..1], "e", "m");
        let actions: Vec<&str> = other.to_json().iter().map(|s| s.action).collect();
        assert_eq!(
            actions,
            ["create", "llm", "create"],
            "after its package's steps"
        );
        let text = plan.render();
        assert!(text.contains("a: create release_tool/changes/a/commit_message.txt\na: llm POST http://h/v1/chat/completions (model m, 7-byte prompt) → release_tool/changes/a/commit_message.txt\n"), "{text}");
        assert_eq!(
            job("a", "U").filtered_note().unwrap(),
            "a: the prompt leaves out uv.lock (lock file); masks 2 secrets"
        );
    }

    #[test]
    fn set_content_replaces_or_adds_the_write() {
        let mut plan = Plan::new("/r");
        plan.write(Some("a"), "/r/x", "");
        set_content(&mut plan, "a", Path::new("/r/x"), "feat: x\n".to_owned());
        set_content(&mut plan, "a", Path::new("/r/y"), "feat: y\n".to_owned());
        assert_eq!(
            plan.planned_content(Path::new("/r/x")).unwrap(),
            "feat: x\n"
        );
        assert_eq!(
            plan.planned_content(Path::new("/r/y")).unwrap(),
            "feat: y\n"
        );
        assert_eq!(plan.steps.len(), 2);
    }

    #[test]
    fn known_secrets_come_from_the_environment() {
        let config = Config::default();
        let env = |k: &str| match k {
            "OPENAI_API_KEY" => Some("sk-abcdefgh".to_owned()),
            "GH_TOKEN" => Some("short".to_owned()),
            "GITHUB_TOKEN" => Some("ghp_0123456789".to_owned()),
            _ => None,
        };
        let known = known_secrets(&config, &env);
        let from_env: Vec<&str> = known
            .iter()
            .map(String::as_str)
            .filter(|s| ["ghp_0123456789", "sk-abcdefgh"].contains(s))
            .collect();
        assert_eq!(from_env, ["ghp_0123456789", "sk-abcdefgh"]);
        assert!(!known.iter().any(|s| s == "short"));
    }

    #[test]
    fn known_secrets_include_the_process_registry() {
        // A value the output masks (here: as if from `docker.secret_env` or a `*_TOKEN`
        // variable) is masked in prompts too.
        crate::core::secrets::register("registry-only-secret-4242");
        let known = known_secrets(&Config::default(), &|_: &str| None);
        assert!(
            known.iter().any(|s| s == "registry-only-secret-4242"),
            "{known:?}"
        );
        let lens: Vec<usize> = known.iter().map(String::len).collect();
        assert!(
            lens.windows(2).all(|w| w[0] >= w[1]),
            "longest first: {known:?}"
        );
    }
}
