//! Taking back a failed `new` or `add` (docs/workspace.md, "A failed `new` or `add`"): what
//! the plan created goes, what it edited is restored, so the same command can simply be run
//! again once its cause is fixed.
//!
//! The state is captured before the plan runs: the package's directory (it does not exist yet:
//! both commands refuse an existing one), the submodule's git directory in `.git/modules`, and
//! the root's `pyproject.toml`, `.gitmodules`, git index and git configuration, byte for byte.
//! A failure before the last step (the root commit) leaves the root's history as it was, so
//! restoring these is enough: the root is as it was, to the byte. What was pushed to the
//! package's remote stays there (a later step failed after the push).

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::core::fsutil::atomic_write;
use crate::core::ui;
use crate::git::Git;

/// The root as it was before a `new` or `add` of the package at `rel`.
#[derive(Debug)]
pub struct Undo {
    root: PathBuf,
    /// The outermost directory the plan creates (the package's, or `packages/` when missing).
    created_dir: Option<PathBuf>,
    /// The outermost directory of `.git/modules/<rel>` that did not exist before.
    new_module_dir: Option<PathBuf>,
    /// Files the plan may edit, with their content before (`None`: absent): the root's
    /// `pyproject.toml` and `.gitmodules`, its git index and configuration (`submodule add`
    /// stages paths and adds a `submodule.<rel>` section).
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
        let modules = git.git_path("modules")?;
        let module_dir = modules.join(rel);
        let new_module_dir = module_dir
            .ancestors()
            .take_while(|a| a.starts_with(&modules) && !a.exists())
            .last()
            .map(Path::to_path_buf);
        let mut paths = vec![root.join("pyproject.toml"), root.join(".gitmodules")];
        for inside in ["index", "config"] {
            paths.push(git.git_path(inside)?);
        }
        let files = paths
            .into_iter()
            .map(|path| {
                let before = std::fs::read(&path).ok();
                (path, before)
            })
            .collect();
        Ok(Self {
            root: root.to_path_buf(),
            created_dir,
            new_module_dir,
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
            ui::hint("fix the cause named below, then run the same command again");
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
        for (path, before) in &self.files {
            let now = std::fs::read(path).ok();
            if now == *before {
                continue;
            }
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
        left
    }
}
