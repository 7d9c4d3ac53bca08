//! Version groups (issue 20, item 4): `[tool.release_tool.groups] core = ["a", "b"]`. The
//! members of a group are always released together at one shared version, the highest any of
//! them gets from `--bump` (like changesets' fixed groups): a member without changes of its own
//! is released with the others (docs/release.md, "Version groups").

use std::collections::BTreeSet;
use std::fmt::Write as _;

use anyhow::Result;

use super::{Candidate, problem};
use crate::config::ConfigSource;
use crate::core::error::UserError;
use crate::python::version::Version;
use crate::workspace::Workspace;

/// Every member of every group names a package of the workspace: else a usage error naming
/// the key (`groups.core`) and the configuration file, before anything changes.
pub(super) fn check(ws: &Workspace) -> Result<()> {
    let unknown =
        crate::config::unknown_group_members(&ws.config, &|key| ws.package(key).is_some());
    let Some((group, member)) = unknown.first() else {
        return Ok(());
    };
    let file = match &ws.config_source {
        ConfigSource::File(p) | ConfigSource::Pyproject(p) => ws.rel(p),
        ConfigSource::Defaults => "the configuration".to_owned(),
    };
    Err(UserError::usage(format!(
        "Invalid configuration in {file}: `groups.{group}` names {member:?}, which is not a package of the workspace; nothing was changed"
    ))
    .with_hint(format!(
        "fix `groups.{group}` in {file}: name packages of `{}` (see `release-tool status`)",
        ws.config.packages_dir
    ))
    .into())
}

/// The groups with a member that has changes: the keys of their other members, released with
/// it. A member left out of the run (not selected with `-p`, `skip = true`, not checked out)
/// is a problem: the group cannot be released whole.
pub(super) fn forced(
    ws: &Workspace,
    cands: &[Candidate<'_>],
    problems: &mut Vec<String>,
) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (group, members) in &ws.config.groups {
        let keys: Vec<String> = members
            .iter()
            .filter_map(|m| ws.package(m).map(|p| p.key.clone()))
            .collect();
        let changed: Vec<&Candidate<'_>> = cands
            .iter()
            .filter(|c| keys.contains(&c.pkg.key) && !c.messages.is_empty())
            .collect();
        let Some(first) = changed.first() else {
            continue;
        };
        for key in &keys {
            if cands.iter().any(|c| &c.pkg.key == key) {
                out.insert(key.clone());
            } else if let Some(pkg) = ws.package(key) {
                problem(
                    problems,
                    first.pkg,
                    format!(
                        "is in version group `{group}` with {}, which this run leaves out (not selected, `skip = true` or not checked out); a group is released whole: select every member (-p {})",
                        pkg.name,
                        members.join(" -p ")
                    ),
                );
            }
        }
    }
    out
}

/// One shared version per group: the highest of its members' versions in `todo` (each
/// member's own `--bump`), given to every member; a note per group, and a problem when the
/// shared version is already tagged in a member or not newer than its last release.
pub(super) fn share(
    ws: &Workspace,
    todo: &[Candidate<'_>],
    versions: &mut [Version],
    notes: &mut Vec<String>,
    problems: &mut Vec<String>,
) {
    for (group, members) in &ws.config.groups {
        let keys: Vec<String> = members
            .iter()
            .filter_map(|m| ws.package(m).map(|p| p.key.clone()))
            .collect();
        let idx: Vec<usize> = todo
            .iter()
            .enumerate()
            .filter(|(_, c)| keys.contains(&c.pkg.key))
            .map(|(i, _)| i)
            .collect();
        let Some(shared) = idx.iter().map(|&i| versions[i].clone()).max() else {
            continue;
        };
        for &i in &idx {
            let c = &todo[i];
            if let Some(tag) = c.tagged(&shared) {
                problem(
                    problems,
                    c.pkg,
                    format!(
                        "version group `{group}` is released at {shared}, which {} already has ({tag}); choose another --bump or --set-version",
                        c.pkg.name
                    ),
                );
            } else if let Some((tag, last)) = c.last_tag.as_ref().filter(|(_, l)| shared <= *l) {
                problem(
                    problems,
                    c.pkg,
                    format!(
                        "version group `{group}` is released at {shared}, not newer than {last}, its last release ({tag}); choose a higher --bump or --set-version"
                    ),
                );
            }
            versions[i] = shared.clone();
        }
        let names: Vec<String> = idx.iter().map(|&i| todo[i].pkg.name.clone()).collect();
        let unchanged: Vec<&str> = idx
            .iter()
            .filter(|&&i| todo[i].messages.is_empty())
            .map(|&i| todo[i].pkg.name.as_str())
            .collect();
        let mut note = format!(
            "version group `{group}`: {} released together at {shared}",
            names.join(", ")
        );
        if !unchanged.is_empty() {
            let _ = write!(
                note,
                " ({} without changes of {})",
                unchanged.join(", "),
                if unchanged.len() == 1 {
                    "its own"
                } else {
                    "their own"
                }
            );
        }
        notes.push(note);
    }
}
