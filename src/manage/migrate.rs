//! `migrate`: take the Python `release_tool` out of a workspace it ran (SPEC: docs/migration.md).
//!
//! The old tool is recognised by its submodule (`release_tool/` or `tools/release_tool/`), its
//! wiring in the manifests (a `release-tool` source `{ path = ... }` or `{ workspace = true }`)
//! or the obsolete keys of its configuration. Then the plan removes the submodule (deinit,
//! `.gitmodules`, the index, `.git/modules/<name>`), the wiring (the source, the dependency in
//! `[dependency-groups]` and `[project].dependencies`, the workspace member), ignores the
//! changes directory in the root's `.gitignore`, writes the old settings that differ from
//! release-tool's defaults into the configuration and drops the obsolete keys, and commits
//! exactly those paths in the root. Work files the old tool left in its changes directory
//! inside the submodule (tag messages being written) are written back after the submodule
//! goes. Everything that can refuse is checked before the plan is built.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Result;
use toml_edit::{DocumentMut, Item, TableLike};

use crate::config::{self, Config, ConfigSource};
use crate::core::error::UserError;
use crate::git::Git;
use crate::plan::{Guard, Plan, Step, StepKind};
use crate::python::pyproject::{PyProject, normalize_name};
use crate::workspace::{Submodule, Workspace};

/// Where workspaces mounted the old tool's repository.
pub const OLD_TOOL_PATHS: &[&str] = &["release_tool", "tools/release_tool"];

/// The old tool's distribution name.
pub const OLD_TOOL_NAME: &str = "release-tool";

/// The commit message of the migration.
pub const COMMIT_MESSAGE: &str = "chore: migrate from the Python release_tool";

/// A planned `migrate`.
#[derive(Clone, Debug)]
pub struct MigratePlan {
    pub plan: Plan,
    /// What the plan does, one line each, for the summary.
    pub done: Vec<String>,
}

/// Plan `migrate` (empty when there is nothing to migrate).
pub fn plan_migrate(ws: &Workspace) -> Result<MigratePlan> {
    let root_git = Git::new(&ws.root);
    let is_repo = ws.root.join(".git").exists();
    let submodules: Vec<&Submodule> = ws
        .submodules
        .iter()
        .filter(|s| OLD_TOOL_PATHS.contains(&s.path.trim_end_matches('/')))
        .filter(|s| looks_like_the_old_tool(&ws.root.join(s.path.trim_end_matches('/'))))
        .collect();
    let manifests = manifest_edits(ws, &submodules)?;
    let obsolete = target_has_obsolete_keys(ws)?;
    let mut out = MigratePlan {
        plan: Plan::new(&ws.root),
        done: Vec::new(),
    };
    if submodules.is_empty() && manifests.is_empty() && !obsolete {
        return Ok(out);
    }

    // Refusals first: nothing is planned before all of them passed.
    let gitlinks: Vec<String> = if is_repo {
        root_git
            .submodule_pointers()?
            .into_iter()
            .map(|(path, _)| path)
            .collect()
    } else {
        Vec::new()
    };
    if !submodules.is_empty() && is_repo && root_git.has_unstaged_changes(".gitmodules")? {
        return Err(UserError::failure(
            "Cannot migrate: .gitmodules has unstaged changes, and git must rewrite it",
        )
        .with_hint("commit, stage or stash the changes to .gitmodules first")
        .into());
    }
    for sm in &submodules {
        refuse_local_work(ws, sm)?;
    }
    let kept = kept_work_files(ws, &submodules)?;
    let settings = settings_edit(ws, &submodules)?;

    // The plan.
    let plan = &mut out.plan;
    let mut paths: Vec<String> = Vec::new();
    for sm in &submodules {
        let rel = sm.path.trim_end_matches('/');
        if gitlinks.iter().any(|g| g == rel) {
            plan.git(
                None,
                &ws.root,
                ["submodule", "deinit", "--quiet", "--force", "--", rel],
            );
            plan.git(None, &ws.root, ["rm", "--quiet", "-r", "-f", "--", rel]);
            paths.push(rel.to_owned());
        } else {
            // Only in .gitmodules: its section goes.
            plan.git(
                None,
                &ws.root,
                [
                    "config",
                    "--file",
                    ".gitmodules",
                    "--remove-section",
                    &format!("submodule.{}", sm.name),
                ],
            );
            plan.git(None, &ws.root, ["add", "--", ".gitmodules"]);
        }
        if !paths.iter().any(|p| p == ".gitmodules") {
            paths.push(".gitmodules".to_owned());
        }
        let mut line = format!("removed the old tool's submodule {rel}");
        if is_repo {
            let module_dir = root_git.git_path(&format!("modules/{}", sm.name))?;
            if module_dir.exists() {
                plan.remove_dir(None, &module_dir);
                let _ = write!(line, " and {}", ws.rel(&module_dir));
            }
        }
        out.done.push(line);
    }
    let mut edited: Vec<String> = Vec::new();
    for edit in manifests {
        plan.write(None, &edit.path, edit.text);
        out.done
            .push(format!("{}: {}", edit.rel, edit.what.join(", ")));
        edited.push(edit.rel);
    }
    if let Some((rel, text, what)) = gitignore_edit(ws)? {
        plan.write(None, ws.root.join(&rel), text);
        out.done.push(format!("{rel}: {what}"));
        edited.push(rel);
    }
    if let Some(edit) = settings {
        plan.write(None, &edit.path, edit.text);
        out.done
            .push(format!("{}: {}", edit.rel, edit.what.join(", ")));
        edited.push(edit.rel);
    }
    if is_repo && (!edited.is_empty() || !paths.is_empty()) {
        if !edited.is_empty() {
            plan.git(
                None,
                &ws.root,
                ["add", "--"]
                    .into_iter()
                    .chain(edited.iter().map(String::as_str)),
            );
        }
        paths.extend(edited);
        plan.git(
            None,
            &ws.root,
            ["commit", "--quiet", "-m", COMMIT_MESSAGE, "--"]
                .into_iter()
                .chain(paths.iter().map(String::as_str)),
        );
        out.done
            .push(format!("committed in the root: {COMMIT_MESSAGE}"));
    }
    // After the commit: git must not find the directory while it commits the removal.
    if !kept.is_empty() {
        for (path, text) in &kept {
            // Created afresh: the removal of the submodule deletes them first.
            plan.steps.push(Step {
                package: None,
                kind: StepKind::WriteFile {
                    path: path.clone(),
                    before: None,
                    after: text.clone(),
                },
                guard: Guard::None,
            });
        }
        out.done.push(format!(
            "kept {} of {} (ignored, outside any repository now)",
            crate::core::text::count(kept.len(), "work file"),
            ws.config.changes_output_dir
        ));
    }
    Ok(out)
}

/// Whether the submodule checked out at `dir` is the old tool: not checked out (nothing to
/// tell), a `pyproject.toml` named `release-tool`/`release_tool`, or the old tool's stage
/// scripts (its first versions had no `pyproject.toml`).
fn looks_like_the_old_tool(dir: &Path) -> bool {
    let pyproject = dir.join("pyproject.toml");
    if pyproject.is_file() {
        return PyProject::load(&pyproject)
            .ok()
            .and_then(|p| p.name().map(normalize_name))
            .is_some_and(|name| name == OLD_TOOL_NAME);
    }
    let checked_out = fs_err::read_dir(dir).is_ok_and(|mut d| d.next().is_some());
    !checked_out || dir.join("stage1.py").is_file() || dir.join("stages").is_dir()
}

/// Refuses when the old tool's submodule holds work that removing it would lose.
fn refuse_local_work(ws: &Workspace, sm: &Submodule) -> Result<()> {
    let rel = sm.path.trim_end_matches('/');
    let dir = ws.root.join(rel);
    if !dir.join(".git").exists() {
        return Ok(());
    }
    let git = Git::new(&dir);
    let check = |e: crate::git::GitError| {
        UserError::failure(format!(
            "Cannot migrate: cannot check the old tool's submodule {rel} for local work: {e}"
        ))
        .with_hint(format!("repair it with git first (`git -C {rel} status`)"))
    };
    // The changes directory's files are kept (written back after the removal).
    let changes = changes_inside(ws, rel);
    let status = git.status().map_err(check)?;
    let changed: Vec<&String> = status
        .changed
        .iter()
        .filter(|p| {
            changes
                .as_deref()
                .is_none_or(|c| !(p.as_str() == c || p.starts_with(&format!("{c}/"))))
        })
        .collect();
    let mut losses = Vec::new();
    if !changed.is_empty() {
        let shown: Vec<&str> = changed.iter().take(3).map(|s| s.as_str()).collect();
        losses.push(format!(
            "{} ({}{})",
            crate::core::text::count(changed.len(), "uncommitted change"),
            shown.join(", "),
            if changed.len() > 3 { ", ..." } else { "" }
        ));
    }
    let unpushed = git.unpushed_commits().map_err(check)?;
    if unpushed > 0 {
        losses.push(format!(
            "{} not pushed to any remote",
            crate::core::text::count(unpushed as usize, "commit")
        ));
    }
    if git.has_stash().map_err(check)? {
        losses.push("a stash".to_owned());
    }
    if losses.is_empty() {
        return Ok(());
    }
    Err(UserError::failure(format!(
        "Cannot migrate: the old tool's submodule {rel} has {}, which removing it would lose",
        losses.join(" and ")
    ))
    .with_hint(format!(
        "push or discard that work first (`git -C {rel} status`, `git -C {rel} stash list`), \
         then run `release-tool migrate` again"
    ))
    .into())
}

/// The changes directory relative to the submodule at `rel`, when it lies inside it.
fn changes_inside(ws: &Workspace, rel: &str) -> Option<String> {
    let changes = ws.config.changes_output_dir.trim_end_matches('/');
    changes.strip_prefix(&format!("{rel}/")).map(str::to_owned)
}

/// The files in the changes directory inside an old-tool submodule, with their text: written
/// back once the submodule is gone.
fn kept_work_files(ws: &Workspace, submodules: &[&Submodule]) -> Result<Vec<(PathBuf, String)>> {
    let mut kept = Vec::new();
    for sm in submodules {
        let rel = sm.path.trim_end_matches('/');
        if changes_inside(ws, rel).is_none() {
            continue;
        }
        let dir = ws
            .root
            .join(ws.config.changes_output_dir.trim_end_matches('/'));
        if !dir.is_dir() {
            continue;
        }
        for entry in walkdir(&dir)? {
            if entry.file_name().is_some_and(|n| n == ".gitkeep") {
                continue;
            }
            let text = fs_err::read_to_string(&entry).map_err(|e| {
                UserError::failure(format!(
                    "Cannot migrate: cannot keep {} ({e})",
                    ws.rel(&entry)
                ))
                .with_hint(format!(
                    "move it out of {rel} (it goes with the old tool's submodule), then run \
                     `release-tool migrate` again"
                ))
            })?;
            kept.push((entry, text));
        }
    }
    Ok(kept)
}

/// Every file under `dir`, sorted.
fn walkdir(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs_err::read_dir(&d)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                stack.push(entry.path());
            } else if kind.is_file() {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// A file edit of the migration.
struct Edit {
    path: PathBuf,
    rel: String,
    text: String,
    what: Vec<String>,
}

/// The old tool's wiring taken out of the dev, staging and prod manifests.
fn manifest_edits(ws: &Workspace, submodules: &[&Submodule]) -> Result<Vec<Edit>> {
    let mut edits = Vec::new();
    for (rel, dev) in [
        ("pyproject.toml".to_owned(), true),
        (ws.config.staging_pyproject_path.clone(), false),
        (ws.config.prod_pyproject_path.clone(), false),
    ] {
        let path = ws.root.join(&rel);
        if !path.is_file() {
            continue;
        }
        let mut doc = PyProject::load(&path).map_err(|e| {
            UserError::usage(e.to_string()).with_hint("fix the file and run the command again")
        })?;
        let source = doc
            .uv_sources()
            .into_iter()
            .find(|(name, _)| normalize_name(name) == OLD_TOOL_NAME)
            .map(|(_, s)| s);
        let mut what = Vec::new();
        let mut member_paths: Vec<String> = submodules
            .iter()
            .map(|s| s.path.trim_end_matches('/').to_owned())
            .collect();
        if let Some(source) = source.filter(|s| s.workspace || s.path.is_some()) {
            if let Some(p) = &source.path {
                member_paths.push(p.trim_start_matches("./").trim_end_matches('/').to_owned());
            }
            doc.remove_source(OLD_TOOL_NAME);
            what.push(format!("removed the `{OLD_TOOL_NAME}` source"));
            if doc.remove_dependency(OLD_TOOL_NAME) {
                what.push(format!(
                    "removed `{OLD_TOOL_NAME}` from [project].dependencies"
                ));
            }
            for group in doc.remove_group_dependency(OLD_TOOL_NAME) {
                what.push(format!(
                    "removed `{OLD_TOOL_NAME}` from [dependency-groups] {group}"
                ));
            }
        }
        if dev {
            for member in &member_paths {
                if doc.remove_workspace_member(member) {
                    what.push(format!("removed the workspace member `{member}`"));
                }
            }
        }
        if doc.is_changed() && !what.is_empty() {
            edits.push(Edit {
                text: doc.render(),
                path,
                rel,
                what,
            });
        }
    }
    Ok(edits)
}

/// `.gitignore` with the changes directory (and release-tool's state directory) ignored.
fn gitignore_edit(ws: &Workspace) -> Result<Option<(String, String, String)>> {
    let rel = ".gitignore".to_owned();
    let path = ws.root.join(&rel);
    let text = if path.is_file() {
        fs_err::read_to_string(&path)?
    } else {
        String::new()
    };
    let patterns: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!'))
        .map(|l| l.trim_start_matches('/').trim_end_matches('/').to_owned())
        .collect();
    let covered = |dir: &str| {
        patterns
            .iter()
            .any(|p| p == dir || dir.starts_with(&format!("{p}/")))
    };
    let mut added = Vec::new();
    for dir in [
        ws.config.changes_output_dir.trim_end_matches('/'),
        crate::core::fsutil::STATE_DIR,
    ] {
        if !covered(dir) {
            added.push(format!("{dir}/"));
        }
    }
    if added.is_empty() {
        return Ok(None);
    }
    let mut new = text.clone();
    if !new.is_empty() && !new.ends_with('\n') {
        new.push('\n');
    }
    new.push_str("# release-tool: work files and state\n");
    for line in &added {
        new.push_str(line);
        new.push('\n');
    }
    let what = format!("ignored {}", added.join(" and "));
    Ok(Some((rel, new, what)))
}

/// Whether the configuration release-tool reads holds an obsolete key of the old tool.
fn target_has_obsolete_keys(ws: &Workspace) -> Result<bool> {
    let Some((_, _, doc)) = target_doc(ws)? else {
        return Ok(false);
    };
    Ok(
        target_table(&doc)
            .is_some_and(|t| t.iter().any(|(k, _)| config::obsolete_key(k).is_some())),
    )
}

/// The configuration file release-tool reads (`None`: there is none yet), with its text
/// parsed.
fn target_doc(ws: &Workspace) -> Result<Option<(PathBuf, bool, DocumentMut)>> {
    let (path, pyproject) = match &ws.config_source {
        ConfigSource::File(p) => (p.clone(), false),
        ConfigSource::Pyproject(p) => (p.clone(), true),
        ConfigSource::Defaults => return Ok(None),
    };
    let text = fs_err::read_to_string(&path)?;
    let doc: DocumentMut = text
        .parse()
        .map_err(|e| UserError::usage(format!("Malformed TOML in {}: {e}", path.display())))?;
    Ok(Some((path, pyproject, doc)))
}

/// The table of the keys: `[tool.release_tool]` when there is one, else the top level.
fn target_table(doc: &DocumentMut) -> Option<&dyn TableLike> {
    match doc.get("tool").and_then(|t| t.get("release_tool")) {
        Some(item) => item.as_table_like(),
        None => Some(doc.as_table()),
    }
}

fn target_table_mut(doc: &mut DocumentMut) -> Option<&mut dyn TableLike> {
    let nested = doc
        .get("tool")
        .and_then(|t| t.get("release_tool"))
        .is_some();
    if nested {
        doc.get_mut("tool")?
            .get_mut("release_tool")?
            .as_table_like_mut()
    } else {
        Some(doc.as_table_mut())
    }
}

/// The old tool's keys with a value of their own, and how to read ours.
const OLD_KEYS: &[&str] = &[
    "packages_dir",
    "changes_output_dir",
    "changes_uncommitted_filename",
    "changes_since_tag_filename",
    "commit_message_filename",
    "tag_message_filename",
    "staging_pyproject_path",
    "prod_pyproject_path",
    "tag_prefix",
    "git_remote",
];

fn ours(config: &Config, key: &str) -> String {
    match key {
        "packages_dir" => config.packages_dir.clone(),
        "changes_output_dir" => config.changes_output_dir.clone(),
        "changes_uncommitted_filename" => config.changes_uncommitted_filename.clone(),
        "changes_since_tag_filename" => config.changes_since_tag_filename.clone(),
        "commit_message_filename" => config.commit_message_filename.clone(),
        "tag_message_filename" => config.tag_message_filename.clone(),
        "staging_pyproject_path" => config.staging_pyproject_path.clone(),
        "prod_pyproject_path" => config.prod_pyproject_path.clone(),
        "tag_prefix" => config.tag_prefix.clone(),
        "git_remote" => config.git_remote.clone(),
        _ => String::new(),
    }
}

/// The old tool's settings written where release-tool reads them: each value the old tool
/// used that differs from release-tool's; the obsolete keys removed.
fn settings_edit(ws: &Workspace, submodules: &[&Submodule]) -> Result<Option<Edit>> {
    // Where the old tool read its configuration: the root's release_tool.toml, else the one
    // in its own submodule (bundled), else [tool.release_tool] in the root pyproject.
    let root_file = ws.root.join(config::CONFIG_FILE);
    let bundled = ws.root.join("release_tool").join(config::CONFIG_FILE);
    let old_text = if root_file.is_file() {
        Some(fs_err::read_to_string(&root_file)?)
    } else if submodules
        .iter()
        .any(|s| s.path.trim_end_matches('/') == "release_tool")
        && bundled.is_file()
    {
        Some(fs_err::read_to_string(&bundled)?)
    } else if let ConfigSource::Pyproject(p) = &ws.config_source {
        Some(fs_err::read_to_string(p)?)
    } else {
        None
    };
    let old_doc: Option<DocumentMut> = old_text.and_then(|t| t.parse().ok());
    let old_table = old_doc.as_ref().and_then(|d| match d.get("tool") {
        Some(t) => t.get("release_tool").and_then(Item::as_table_like),
        None => Some(d.as_table() as &dyn TableLike),
    });
    let old_value = |key: &str| -> String {
        if let Some(v) = old_table.and_then(|t| t.get(key)).and_then(Item::as_str) {
            return v.to_owned();
        }
        match key {
            // `cfg.get("tag_prefix", "")`: no prefix unless configured.
            "tag_prefix" => String::new(),
            "tag_message_filename" => old_tag_message_default(ws, submodules),
            other => ours(&Config::default(), other),
        }
    };

    let (path, rel, text, mut doc) = if let Some((path, _, doc)) = target_doc(ws)? {
        let text = doc.to_string();
        let rel = ws.rel(&path);
        (path, rel, text, doc)
    } else {
        let doc = DocumentMut::new();
        (
            root_file.clone(),
            config::CONFIG_FILE.to_owned(),
            String::new(),
            doc,
        )
    };
    let mut what = Vec::new();
    let table = target_table_mut(&mut doc)
        .ok_or_else(|| UserError::usage(format!("[tool.release_tool] in {rel} is not a table")))?;
    for key in OLD_KEYS {
        let old = old_value(key);
        if old != ours(&ws.config, key) {
            table.insert(key, toml_edit::value(old.clone()));
            what.push(format!("{key} = {old:?}"));
        }
    }
    let obsolete: Vec<String> = table
        .iter()
        .map(|(k, _)| k.to_owned())
        .filter(|k| config::obsolete_key(k).is_some())
        .collect();
    for key in &obsolete {
        table.remove(key);
        what.push(format!("removed the obsolete key {key}"));
    }
    if what.is_empty() {
        return Ok(None);
    }
    let mut new = doc.to_string();
    if text.is_empty() {
        new =
            format!("# release-tool configuration (migrated from the Python release_tool)\n{new}");
    }
    // Settings are written as the old tool's wording: "set" for values.
    let what = what
        .into_iter()
        .map(|w| {
            if w.starts_with("removed") {
                w
            } else {
                format!("set {w}")
            }
        })
        .collect();
    Ok(Some(Edit {
        path,
        rel,
        text: new,
        what,
    }))
}

/// The old tool's default tag message file name: `tag_message.md` in its last versions (their
/// `_DEFAULTS` say so), `tag_message.txt` before.
fn old_tag_message_default(ws: &Workspace, submodules: &[&Submodule]) -> String {
    for sm in submodules {
        let dir = ws.root.join(sm.path.trim_end_matches('/'));
        for file in ["core/config.py", "config.py"] {
            if fs_err::read_to_string(dir.join(file))
                .is_ok_and(|t| t.contains("\"tag_message.md\""))
            {
                return "tag_message.md".to_owned();
            }
        }
    }
    "tag_message.txt".to_owned()
}
