//! Forge releases still owed: `.release_tool/forge-owed.json` under the root (git-ignored with
//! the rest of the state directory).
//!
//! A forge release step skipped for lack of a token (or of a reachable forge client) is recorded
//! as skipped in the journal, and its package and tag are added here when the run ends; a later
//! `release --push` that finds the tag already on the remote plans that release again (with a
//! token it is made, without one it is skipped and stays owed), and a release step done (created
//! or found) takes it off. The file is written once per run, only when it changes, and removed
//! when nothing is owed. Dropping it loses nothing but the reminder.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::core::fsutil::{STATE_DIR, atomic_write, state_dir};

/// The file in the state directory.
pub const OWED_FILE: &str = "forge-owed.json";

/// One owed forge release.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OwedRelease {
    pub package: String,
    pub tag: String,
}

/// Every owed release of a workspace, sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owed {
    pub releases: Vec<OwedRelease>,
}

impl Owed {
    pub fn path(root: &Path) -> PathBuf {
        root.join(STATE_DIR).join(OWED_FILE)
    }

    /// The owed releases of `root`; none when the file is missing or unreadable (a reminder,
    /// not a record the run depends on: a garbage file is ignored with a warning).
    pub fn load(root: &Path) -> Self {
        let path = Self::path(root);
        let Ok(text) = std::fs::read_to_string(&path) else {
            return Self::default();
        };
        serde_json::from_str(&text).unwrap_or_else(|e| {
            tracing::warn!("ignoring {}: {e}", path.display());
            Self::default()
        })
    }

    /// Whether the release of `tag` of `package` is owed.
    pub fn owes(&self, package: &str, tag: &str) -> bool {
        self.releases
            .iter()
            .any(|r| r.package == package && r.tag == tag)
    }

    /// The owed tags of `package`.
    pub fn tags_of<'a>(&'a self, package: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.releases
            .iter()
            .filter(move |r| r.package == package)
            .map(|r| r.tag.as_str())
    }

    /// Add the `skipped` releases and take the `done` ones off; then write the file (remove it
    /// when nothing is owed) if that changed anything.
    pub fn update(
        root: &Path,
        skipped: &[OwedRelease],
        done: &[OwedRelease],
    ) -> std::io::Result<()> {
        let before = Self::load(root);
        let mut after = before.clone();
        after.releases.retain(|r| !done.contains(r));
        for r in skipped {
            if !after.releases.contains(r) && !done.contains(r) {
                after.releases.push(r.clone());
            }
        }
        after.releases.sort();
        if after == before {
            return Ok(());
        }
        let path = Self::path(root);
        if after.releases.is_empty() {
            return match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            };
        }
        state_dir(root)?;
        let mut text = serde_json::to_string_pretty(&after).map_err(std::io::Error::other)?;
        text.push('\n');
        atomic_write(&path, text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owed(package: &str, tag: &str) -> OwedRelease {
        OwedRelease {
            package: package.to_owned(),
            tag: tag.to_owned(),
        }
    }

    #[test]
    fn skipped_releases_are_owed_until_done() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        assert_eq!(Owed::load(root), Owed::default());
        Owed::update(root, &[owed("b", "v1"), owed("a", "v1")], &[]).unwrap();
        let o = Owed::load(root);
        assert_eq!(o.releases, [owed("a", "v1"), owed("b", "v1")]);
        assert!(o.owes("a", "v1") && !o.owes("a", "v2"));
        assert_eq!(o.tags_of("b").collect::<Vec<_>>(), ["v1"]);
        // Skipped again: still owed once.
        Owed::update(root, &[owed("a", "v1")], &[]).unwrap();
        assert_eq!(Owed::load(root).releases.len(), 2);
        Owed::update(root, &[], &[owed("a", "v1")]).unwrap();
        assert_eq!(Owed::load(root).releases, [owed("b", "v1")]);
        Owed::update(root, &[], &[owed("b", "v1")]).unwrap();
        assert!(!Owed::path(root).exists(), "removed when nothing is owed");
        // Garbage is ignored.
        std::fs::write(Owed::path(root), "{").unwrap();
        assert_eq!(Owed::load(root), Owed::default());
    }
}
