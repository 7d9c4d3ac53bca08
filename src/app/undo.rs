//! Taking back a failed `new` or `add` (docs/workspace.md, "A failed `new` or `add`"): what
//! the plan created goes, what it edited is restored, so the same command can simply be run
//! again once its cause is fixed.
//!
//! The state is captured before the plan runs: the package's directory (it does not exist yet:
//! both commands refuse an existing one), the submodule's git directory in `.git/modules`, its
//! `submodule.<path>` section in the root's git configuration, and the root's `pyproject.toml`
//! and `.gitmodules`. A failure before the last step (the root commit) leaves the root's
//! history as it was, so restoring these and the index entries of their paths is enough.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::core::fsutil::atomic_write;
use crate::core::ui;
use crate::git::Git;

/// The root as it was before a `new` or `add` of the package at `rel`.
#[derive(Debug)]
pub struct Undo {
    root: PathBuf,
    rel: String,
    /// The outermost directory the plan creates (the package's, or `packages/` when missing).
    created_dir: Option<PathBuf>,
    /// `.git/modules/<rel>`, when it did not exist before.
    new_module_dir: Option<PathBuf>,
    /// Whether the root's git configuration had a `submodule.<rel>` section.
    had_config_section: bool,
    /// Root files the plan may edit, with their content before (`None`: absent).
    files: Vec<(PathBuf, Option<Vec<u8>>)>,
}

impl Undo {
    /// Capture the root before adding the package at `rel` (relative to `root`).
    pub fn capture(root: &Path, rel: &str) -> Result<Self> {
        let dir = root.join(rel);
        let created_dir = dir
            .ancestors()
            .take_while(|a| *a != root && !a.exists())
            .last()
            .map(Path::to_path_buf);
        let git = Git::new(root);
        let module_dir = git.git_path(&format!("modules/{rel}"))?;
        let new_module_dir = (!module_dir.exists()).then_some(module_dir);
        let had_config_section = git
            .config_get(&format!("submodule.{rel}.url"))
            .ok()
            .flatten()
            .is_some();
        let files = ["pyproject.toml", ".gitmodules"]
            .iter()
            .map(|f| {
                let path = root.join(f);
                let before = std::fs::read(&path).ok();
                (path, before)
            })
            .collect();
        Ok(Self {
            root: root.to_path_buf(),
            rel: rel.to_owned(),
            created_dir,
            new_module_dir,
            had_config_section,
            files,
        })
    }

    /// After the plan failed with `err`: take back what it did, say so, and return `err`.
    /// What cannot be taken back is named (a warning each); `err` stays the error.
    #[must_use]
    pub fn after_failure(&self, err: anyhow::Error, what: &str) -> anyhow::Error {
        let left = self.apply();
        if left.is_empty() {
            ui::note(&format!(
                "Took back the failed {what}: nothing of it is left in {}",
                self.root.display()
            ));
            ui::hint("fix the cause, then run the same command again");
        } else {
            for problem in &left {
                ui::warn(&format!("Could not take back the failed {what}: {problem}"));
            }
        }
        err
    }

    /// Take back what the plan did; returns what could not be taken back.
    fn apply(&self) -> Vec<String> {
        let mut left = Vec::new();
        let git = Git::new(&self.root);
        // The index entries of the edited paths (and of the submodule) back to HEAD.
        if let Err(e) = git.run([
            "reset",
            "--quiet",
            "HEAD",
            "--",
            "pyproject.toml",
            ".gitmodules",
            &self.rel,
        ]) {
            left.push(format!("the index of {}: {e}", self.root.display()));
        }
        for (path, before) in &self.files {
            let result = match before {
                Some(bytes) => atomic_write(path, bytes).map_err(anyhow::Error::from),
                None if path.exists() => std::fs::remove_file(path).map_err(Into::into),
                None => Ok(()),
            };
            if let Err(e) = result {
                left.push(format!("{}: {e}", path.display()));
            }
        }
        for dir in self.created_dir.iter().chain(&self.new_module_dir) {
            if dir.exists()
                && let Err(e) = std::fs::remove_dir_all(dir)
            {
                left.push(format!("{}: {e}", dir.display()));
            }
        }
        if !self.had_config_section {
            let section = format!("submodule.{}", self.rel);
            if git
                .config_get(&format!("{section}.url"))
                .ok()
                .flatten()
                .is_some()
                && let Err(e) = git.run(["config", "--remove-section", "--", &section])
            {
                left.push(format!("the root's git configuration: {e}"));
            }
        }
        left
    }
}
