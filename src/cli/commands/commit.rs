//! `commit` (stage 2): commit each package with its message file, and push.

use crate::cli::GlobalArgs;
use crate::core::error::ExitKind;
use crate::core::ui;
use crate::git::Git;
use crate::release::stages::{self, CommitRequest};
use crate::workspace::Workspace;

/// Stage 2.
#[derive(Debug, clap::Args)]
pub struct CommitArgs {
    /// Push the current branch to `git_remote` (setting its upstream if it has none), also in
    /// packages that had nothing new to commit but are ahead of their upstream.
    #[arg(long)]
    pub push: bool,
    /// Commit nothing, only push (implies `--push`).
    #[arg(long)]
    pub no_commit: bool,
}

/// Run `commit`.
pub fn run(args: &CommitArgs, global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    let ws = Workspace::discover(&super::start_dir(global))?;
    let _lock = super::workspace_lock(&ws, global, "commit")?;
    ws.print_warnings();
    // `dry_run = true` in the configuration: as if `--dry-run` were given.
    let settings = &global.resolve(&ws.config);
    let request = CommitRequest {
        commit: !args.no_commit,
        push: args.push || args.no_commit,
    };
    let mut planned = stages::plan_commit(&ws, &global.packages, request)?;
    for s in &planned.skipped {
        ui::note(&format!("{}: skipped, {}", s.package, s.reason));
    }
    for name in &planned.nothing_to_commit {
        ui::note(&format!(
            "{name}: nothing to commit (the work tree is clean); its message file is left as it is"
        ));
    }
    if !planned.no_message.is_empty() {
        let n = planned.no_message.len();
        ui::note(&format!(
            "{} with uncommitted changes but no {}, left as {}: {}",
            crate::core::text::count(n, "package"),
            ws.config.commit_message_filename,
            if n == 1 { "it is" } else { "they are" },
            crate::core::text::names_shown(&planned.no_message)
        ));
        ui::hint(
            "write their messages with `release-tool changes` (`--llm` to have them drafted), then run `release-tool commit` again",
        );
    }
    for r in &planned.refused {
        ui::error(&r.message);
        ui::hint(&r.hint);
    }
    let outcome = if planned.refused.is_empty() {
        ExitKind::Success
    } else {
        ExitKind::Failure
    };
    if settings.dry_run {
        super::run_plan(&planned.plan, settings, None)?;
        return Ok(outcome);
    }
    super::run_plan(&planned.plan, settings, None)?;
    for p in &mut planned.packages {
        if p.subject.is_some() {
            p.commit = match ws.packages.iter().find(|k| k.rel_path == p.path) {
                // In-tree: the root's newest commit of its directory (the root's HEAD is the
                // last in-tree package's commit). The commits are made: a failed read of one
                // leaves its hash out, it does not fail the command.
                Some(k) if k.in_tree() => {
                    crate::git::history::newest_commit_touching(&Git::new(&ws.root), &k.rel_path)
                        .unwrap_or_else(|e| {
                            ui::warn(&format!("{}: cannot read its new commit: {e}", p.package));
                            None
                        })
                }
                _ => Some(Git::new(ws.root.join(&p.path)).rev_parse("HEAD")?),
            };
        }
    }
    if settings.json {
        ui::print_json_list("packages", &planned.packages)?;
    }
    for p in &planned.packages {
        if let (Some(subject), Some(hash)) = (&p.subject, &p.commit) {
            let files = if p.files == 1 { "file" } else { "files" };
            ui::note(&format!(
                "{}: committed {} on {} ({} {files}): {subject}",
                p.package,
                crate::git::short_hash(hash),
                p.branch,
                p.files
            ));
        }
        if p.push {
            ui::note(&format!(
                "{}: pushed {} to {}",
                p.package, p.branch, ws.config.git_remote
            ));
        }
    }
    if planned.packages.is_empty() && planned.refused.is_empty() {
        if request.commit {
            ui::note("Nothing to commit: no package has both a commit message and changes");
            if !request.push {
                ui::hint(
                    "run `release-tool changes`, write the messages in the commit message files, then run `release-tool commit`",
                );
            }
        } else {
            ui::note("Nothing to push");
        }
    }
    Ok(outcome)
}
