//! PEP 440 version handling for releases: parsing, bumping, conventional-commit
//! analysis and tag selection.
//!
//! Every function returning a [`Version`] produces a normalised PEP 440 version
//! (its `Display` is the normalised form) whose release segment has at least
//! three parts (`1.2` is treated as `1.2.0`). The epoch is always preserved.
//! Local versions (`1.2.3+local`) cannot be released, so bumping one is an error.

use std::fmt;
use std::str::FromStr;

pub use pep440_rs::Version;
use pep440_rs::{Prerelease, PrereleaseKind, VersionParseError};

/// Errors from parsing or bumping versions.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// The input is not a valid PEP 440 version.
    #[error("Invalid version \"{input}\": {reason}")]
    Invalid {
        /// The rejected input.
        input: String,
        /// Why parsing failed.
        reason: VersionParseError,
    },
    /// The input is not a known bump kind.
    #[error(
        "Invalid bump \"{input}\": expected one of patch, minor, major, dev, pre, alpha, beta, rc, post, stable, auto"
    )]
    InvalidBump {
        /// The rejected input.
        input: String,
    },
    /// The version has a local segment, which can never be released.
    #[error("Cannot bump local version \"{version}\": local versions cannot be released")]
    Local {
        /// The offending version.
        version: Version,
    },
    /// [`Bump::Auto`] was passed to [`bump`], which has no commit messages.
    #[error("Cannot apply the auto bump without commit messages: use `bump_auto` instead")]
    AutoWithoutMessages,
    /// [`next_dev`] was called on a version that is not final.
    #[error(
        "Cannot start a development cycle from \"{version}\": it is already a development or pre-release version"
    )]
    NotFinal {
        /// The offending version.
        version: Version,
    },
    /// The bump would not give a newer version (`stable` on a final version).
    #[error("Cannot bump \"{version}\" with {bump}: {result} is not newer")]
    NoIncrease {
        /// The version bumped.
        version: Version,
        /// The bump asked for.
        bump: Bump,
        /// What it gave.
        result: Version,
    },
    /// A version number would exceed `u64::MAX`.
    #[error("Cannot bump \"{version}\": a version number would overflow")]
    Overflow {
        /// The offending version.
        version: Version,
    },
}

/// Parse a PEP 440 version; the error names the input.
///
/// # Errors
///
/// [`VersionError::Invalid`] if `s` is not a valid PEP 440 version.
pub fn parse(s: &str) -> Result<Version, VersionError> {
    Version::from_str(s).map_err(|reason| VersionError::Invalid {
        input: s.to_string(),
        reason,
    })
}

/// The kind of version bump to apply, see [`bump`].
///
/// Also the `--bump` values of the command line (`clap::ValueEnum`) and the journal's record of
/// a request (serde). The variants' notes are plain comments: a doc comment would become the
/// value's help text in `--help`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum Bump {
    // Increment the third release part (`1.2.3` → `1.2.4`).
    Patch,
    // Increment the second release part (`1.2.3` → `1.3.0`).
    Minor,
    // Increment the first release part (`1.2.3` → `2.0.0`).
    Major,
    // Increment the dev-release number (`1.2.3.dev1` → `1.2.3.dev2`).
    Dev,
    // Produce the next release candidate (`1.2.3rc1` → `1.2.3rc2`).
    Pre,
    // The next alpha, as `uv version --bump alpha` (`1.2.3a1` → `1.2.3a2`, `1.2.3.dev0` → `1.2.3a1`).
    Alpha,
    // The next beta, as `uv version --bump beta` (`1.2.3a2` → `1.2.3b1`).
    Beta,
    // The next release candidate, as `uv version --bump rc` (`1.2.3b1` → `1.2.3rc1`).
    Rc,
    // The next post-release, as `uv version --bump post` (`1.2.3` → `1.2.3.post1`).
    Post,
    // The final version, as `uv version --bump stable` (`1.2.3rc2` → `1.2.3`).
    Stable,
    // Choose patch/minor/major from conventional commits, see [`bump_auto`].
    Auto,
}

impl Bump {
    /// All bump kinds, in the order they are listed to users.
    pub const ALL: [Bump; 11] = [
        Bump::Patch,
        Bump::Minor,
        Bump::Major,
        Bump::Dev,
        Bump::Pre,
        Bump::Alpha,
        Bump::Beta,
        Bump::Rc,
        Bump::Post,
        Bump::Stable,
        Bump::Auto,
    ];

    /// The value as typed (`--bump minor`).
    pub fn as_str(self) -> &'static str {
        match self {
            Bump::Patch => "patch",
            Bump::Minor => "minor",
            Bump::Major => "major",
            Bump::Dev => "dev",
            Bump::Pre => "pre",
            Bump::Alpha => "alpha",
            Bump::Beta => "beta",
            Bump::Rc => "rc",
            Bump::Post => "post",
            Bump::Stable => "stable",
            Bump::Auto => "auto",
        }
    }
}

impl FromStr for Bump {
    type Err = VersionError;

    /// Parse one of the [`Bump::ALL`] names (exact, lowercase).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Bump::ALL
            .into_iter()
            .find(|b| b.as_str() == s)
            .ok_or_else(|| VersionError::InvalidBump {
                input: s.to_string(),
            })
    }
}

impl fmt::Display for Bump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Apply a bump. [`Bump::Auto`] needs commit messages: use [`bump_auto`] instead;
/// here `Auto` returns an error.
///
/// A version "has an unreleased base" when it is a pre-release, or a dev-release
/// that is not a dev of a post-release (`1.2.3.post1.dev0` comes after the
/// released `1.2.3`, so it is treated like a final version).
///
/// - `patch`/`minor`/`major` on a final version (post-releases count as final)
///   increment that part and reset the lower ones: `1.2.3` → `1.2.4`, `1.3.0`,
///   `2.0.0`. On a version with an unreleased base they finalise if the version
///   already carries that increment (all lower parts are zero), otherwise they
///   increment: `1.2.3.dev2` + patch → `1.2.3`, `0.1.1.dev0` + minor → `0.2.0`,
///   `1.0.0rc1` + major → `1.0.0`, `1.2.0.dev1` + major → `2.0.0`. Only the first
///   three release parts are kept (extra parts count in the "carries" check, so
///   `1.2.3.4.dev0` + patch → `1.2.4`).
/// - `dev`: `.devN` → `.dev(N+1)`, otherwise append `.dev1`
///   (`1.2.3` → `1.2.3.dev1`, `1.2.3rc1.dev0` → `1.2.3rc1.dev1`).
/// - `pre` always yields a release candidate: `X.Y.ZrcN` → `X.Y.Zrc(N+1)`;
///   `X.Y.ZrcN.devM` → `X.Y.ZrcN`; an alpha/beta or a dev of `X.Y.Z` →
///   `X.Y.Zrc1`; a final `X.Y.Z` → `X.Y.(Z+1)rc1`. Post segments are dropped.
///
/// `dev` and `pre` keep release parts beyond the third, except when `pre`
/// bumps the patch of a final version.
///
/// The kinds of `uv version --bump` follow uv:
/// - `alpha`/`beta`/`rc`: the same kind of pre-release numbered one more, else that kind
///   numbered 1; post and dev parts dropped (`1.2.3a1` + alpha → `1.2.3a2`, `1.2.3a2.dev1` +
///   alpha → `1.2.3a3`, `1.2.3.dev0` + beta → `1.2.3b1`, `1.2.3a2` + rc → `1.2.3rc1`). Where uv
///   refuses because that is not newer (a final `1.2.3`, or `1.2.3b1` + alpha), the patch is
///   raised first, as `pre` does: `1.2.4a1`.
/// - `post`: the post number plus one, else `.post1`; the dev part dropped (`1.2.3` →
///   `1.2.3.post1`, `1.2.3.post1` → `1.2.3.post2`).
/// - `stable`: pre, post and dev parts dropped (`1.2.3rc2` → `1.2.3`); an error
///   ([`VersionError::NoIncrease`]) when that is not newer (`1.2.3`, `1.2.3.post1`).
///
/// # Errors
///
/// [`VersionError::AutoWithoutMessages`] for [`Bump::Auto`],
/// [`VersionError::Local`] for local versions and [`VersionError::Overflow`] if a
/// number would exceed `u64::MAX` (or the dev number already is `u64::MAX`).
pub fn bump(v: &Version, bump: Bump) -> Result<Version, VersionError> {
    if v.is_local() {
        return Err(VersionError::Local { version: v.clone() });
    }
    let overflow = || VersionError::Overflow { version: v.clone() };
    // pep440_rs orders `.dev18446744073709551615` (u64::MAX, its "no dev" sentinel) after a pre-
    // or post-release like no `.dev` at all (`1.0rc1.dev<MAX>` == `1.0rc1`), so no bump could be
    // newer (found by fuzzing).
    if v.dev() == Some(u64::MAX) {
        return Err(overflow());
    }
    match bump {
        Bump::Patch => bump_release(v, 2),
        Bump::Minor => bump_release(v, 1),
        Bump::Major => bump_release(v, 0),
        Bump::Auto => Err(VersionError::AutoWithoutMessages),
        Bump::Dev => {
            let dev = match v.dev() {
                Some(n) => n.checked_add(1).ok_or_else(overflow)?,
                None => 1,
            };
            Ok(padded(v).with_dev(Some(dev)))
        }
        Bump::Pre => {
            let number = match v.pre() {
                Some(Prerelease {
                    kind: PrereleaseKind::Rc,
                    number,
                }) if v.is_dev() && !v.is_post() => number,
                Some(Prerelease {
                    kind: PrereleaseKind::Rc,
                    number,
                }) => number.checked_add(1).ok_or_else(overflow)?,
                Some(_) => 1,
                None if has_unreleased_base(v) => 1,
                None => return Ok(bump_release(v, 2)?.with_pre(Some(rc(1)))),
            };
            Ok(padded(v)
                .with_pre(Some(rc(number)))
                .with_post(None)
                .with_dev(None))
        }
        Bump::Alpha | Bump::Beta | Bump::Rc => {
            let kind = match bump {
                Bump::Alpha => PrereleaseKind::Alpha,
                Bump::Beta => PrereleaseKind::Beta,
                _ => PrereleaseKind::Rc,
            };
            let step = |base: &Version| -> Result<Version, VersionError> {
                let number = match base.pre() {
                    Some(p) if p.kind == kind => p.number.checked_add(1).ok_or_else(overflow)?,
                    _ => 1,
                };
                Ok(padded(base)
                    .with_pre(Some(Prerelease { kind, number }))
                    .with_post(None)
                    .with_dev(None))
            };
            let out = step(v)?;
            if out > *v {
                Ok(out)
            } else {
                step(&next_patch(v)?)
            }
        }
        Bump::Post => {
            let post = match v.post() {
                Some(n) => n.checked_add(1).ok_or_else(overflow)?,
                None => 1,
            };
            Ok(padded(v).with_post(Some(post)).with_dev(None))
        }
        Bump::Stable => {
            let out = padded(v).with_pre(None).with_post(None).with_dev(None);
            if out > *v {
                Ok(out)
            } else {
                Err(VersionError::NoIncrease {
                    version: v.clone(),
                    bump,
                    result: out,
                })
            }
        }
    }
}

/// The plain `X.Y.(Z+1)` after `v`, whatever its pre, post and dev parts.
fn next_patch(v: &Version) -> Result<Version, VersionError> {
    bump_release(&v.clone().with_pre(None).with_post(None).with_dev(None), 2)
}

/// [`bump`], never to a version that is taken: one already tagged (`taken`), or one at or below
/// `floor`, the last release of this line (the newest tag merged into HEAD). A taken version
/// is moved past: the same bump is applied to the version in the way instead
/// (`0.0.1.dev1` + patch with `0.0.1` tagged → `0.0.2`), or, when that is not newer than it
/// (`dev`, a pre-release kind or `stable` on a final version), to the patch after it (`dev`
/// past `0.0.1` → `0.0.2.dev1`); again while the result is tagged. Returns the version and,
/// when it moved, the version the plain bump gave (for the plan to say why).
///
/// Tags above the floor that HEAD does not contain (another line: `2.0.0` while this branch
/// maintains 1.x) are not in the way unless they hold the very version.
///
/// # Errors
///
/// As for [`bump`].
pub fn bump_past(
    v: &Version,
    kind: Bump,
    floor: Option<&Version>,
    taken: impl Fn(&Version) -> bool,
) -> Result<(Version, Option<Version>), VersionError> {
    let plain = bump(v, kind)?;
    let mut out = plain.clone();
    let mut moved = false;
    // Each round moves past one tag: bounded, but guard against a `taken` that never ends.
    for _ in 0..10_000 {
        let blocker = match floor {
            Some(f) if out <= *f => f.clone(),
            _ if taken(&out) => out.clone(),
            _ => break,
        };
        moved = true;
        out = match bump(&blocker, kind) {
            Ok(m) if m > blocker => m,
            _ if kind == Bump::Stable => next_patch(&blocker)?,
            _ => bump(&next_patch(&blocker)?, kind)?,
        };
    }
    Ok((out, moved.then_some(plain)))
}

fn rc(number: u64) -> Prerelease {
    Prerelease {
        kind: PrereleaseKind::Rc,
        number,
    }
}

/// Whether the plain `X.Y.Z` of `v` is still to be released (see [`bump`]).
fn has_unreleased_base(v: &Version) -> bool {
    v.is_pre() || (v.is_dev() && !v.is_post())
}

/// The release parts of `v`, padded with zeros to at least three.
fn release_parts(v: &Version) -> Vec<u64> {
    let mut parts = v.release().to_vec();
    if parts.len() < 3 {
        parts.resize(3, 0);
    }
    parts
}

/// `v` with its release padded to at least three parts.
fn padded(v: &Version) -> Version {
    if v.release().len() < 3 {
        v.clone().with_release(release_parts(v))
    } else {
        v.clone()
    }
}

/// Bump release part `level` (0 = major, 1 = minor, 2 = patch) of `v`.
fn bump_release(v: &Version, level: usize) -> Result<Version, VersionError> {
    let parts = release_parts(v);
    let carries = has_unreleased_base(v) && parts.iter().skip(level + 1).all(|&n| n == 0);
    let mut out: Vec<u64> = parts.into_iter().take(3).collect();
    for (i, n) in out.iter_mut().enumerate() {
        if i == level && !carries {
            *n = n
                .checked_add(1)
                .ok_or_else(|| VersionError::Overflow { version: v.clone() })?;
        } else if i > level {
            *n = 0;
        }
    }
    Ok(Version::new(out).with_epoch(v.epoch()))
}

/// Conventional-commit analysis of full commit messages (subject + body).
///
/// A `!` after the type/scope (`feat!:`, `fix(api)!:`) or a `BREAKING CHANGE:` /
/// `BREAKING-CHANGE:` line means major, a `feat` type (case-insensitive) means
/// minor, anything else patch. While `current` is below 1.0 (major part 0) a
/// breaking change only bumps minor. The highest bump across all messages wins;
/// without messages the result is [`Bump::Patch`]. Always returns
/// [`Bump::Patch`], [`Bump::Minor`] or [`Bump::Major`].
#[must_use]
pub fn auto_bump_kind(current: &Version, messages: &[&str]) -> Bump {
    let mut kind = Bump::Patch;
    for message in messages {
        match commit_kind(message) {
            Bump::Major if current.release().first().copied().unwrap_or(0) == 0 => {
                kind = Bump::Minor;
            }
            Bump::Major => return Bump::Major,
            Bump::Minor => kind = Bump::Minor,
            _ => {}
        }
    }
    kind
}

/// Patch, Minor or Major for a single commit message.
fn commit_kind(message: &str) -> Bump {
    let commit = crate::python::conventional::parse(message);
    match commit.kind.as_deref() {
        _ if commit.breaking => Bump::Major,
        Some("feat") => Bump::Minor,
        _ => Bump::Patch,
    }
}

/// Apply the bump chosen by [`auto_bump_kind`]: `bump(v, auto_bump_kind(v, messages))`.
///
/// # Errors
///
/// As for [`bump`].
pub fn bump_auto(v: &Version, messages: &[&str]) -> Result<Version, VersionError> {
    bump(v, auto_bump_kind(v, messages))
}

/// Start of the next development cycle: `X.Y.Z` → `X.Y.(Z+1).dev0`.
///
/// Requires a final version (post-releases count as final: `1.2.3.post2` →
/// `1.2.4.dev0`); only the first three release parts are kept.
///
/// # Errors
///
/// [`VersionError::NotFinal`] if `v` is a dev- or pre-release (it is already in a
/// development cycle), [`VersionError::Local`] for local versions and
/// [`VersionError::Overflow`] if the patch number would overflow.
pub fn next_dev(v: &Version) -> Result<Version, VersionError> {
    if !is_final(v) {
        return Err(VersionError::NotFinal { version: v.clone() });
    }
    Ok(bump(v, Bump::Patch)?.with_dev(Some(0)))
}

/// Whether `v` is neither a pre- nor a dev-release (post-releases count as final).
#[must_use]
pub fn is_final(v: &Version) -> bool {
    !v.is_pre() && !v.is_dev()
}

/// Parse a tag `<prefix><version>`: `Some(version)` if `tag` is `prefix` followed by a valid
/// PEP 440 version, else `None`.
///
/// The version may be spelled any way PEP 440 accepts (`0.0.1-dev0`, `0.0.1dev1`, `0.0.1.dev2`,
/// `1.0.0-RC.1`): the returned version is normalised, and tags are compared by it, never by
/// their text. The version part must contain no whitespace.
///
/// The leading `v` PEP 440 tolerates (`v1.0` is `1.0`) is read only with the empty prefix:
/// `parse_tag("v1.0.0", "")` is `1.0.0`, like `parse_tag("1.0.0", "")`. A non-empty prefix
/// is matched exactly and must be followed by a digit, so `parse_tag("1.0.0", "v")` and
/// `parse_tag("vv1.0.0", "v")` are `None`.
#[must_use]
pub fn parse_tag(tag: &str, prefix: &str) -> Option<Version> {
    let mut rest = tag.strip_prefix(prefix)?;
    if prefix.is_empty() {
        rest = rest.strip_prefix(['v', 'V']).unwrap_or(rest);
    }
    if !rest.starts_with(|c: char| c.is_ascii_digit()) || rest.contains(char::is_whitespace) {
        return None;
    }
    Version::from_str(rest).ok()
}

/// Newest tag among `tags` having `prefix`, by PEP 440 order (never by date or
/// string order); `finals_only` keeps only [`is_final`] versions. Tags that do not
/// parse with [`parse_tag`] are ignored. Among tags with equal versions
/// (`v1.0` and `v1.0.0`) the lexicographically smallest tag wins, so the result
/// does not depend on the input order. Returns `(tag, version)`.
pub fn newest_tag<'a>(
    tags: impl IntoIterator<Item = &'a str>,
    prefix: &str,
    finals_only: bool,
) -> Option<(String, Version)> {
    tags.into_iter()
        .filter_map(|tag| parse_tag(tag, prefix).map(|v| (tag, v)))
        .filter(|(_, v)| !finals_only || is_final(v))
        .max_by(|(ta, va), (tb, vb)| va.cmp(vb).then_with(|| tb.cmp(ta)))
        .map(|(tag, v)| (tag.to_string(), v))
}

/// The tag among `tags` that holds version `v` (however it is spelled: with prefix `""`,
/// `v0.0.1` and `0.0.1` both hold `0.0.1`); the lexicographically smallest when several do.
pub fn tag_of_version<'a>(
    tags: impl IntoIterator<Item = &'a str>,
    prefix: &str,
    v: &Version,
) -> Option<&'a str> {
    tags.into_iter()
        .filter(|tag| parse_tag(tag, prefix).as_ref() == Some(v))
        .min()
}

/// The tags among `tags` that start with `prefix` but are not `<prefix><PEP 440 version>`
/// (see [`parse_tag`]): the tags a package's tag listing ignores, in their input order.
pub fn ignored_tags<'a>(tags: impl IntoIterator<Item = &'a str>, prefix: &str) -> Vec<&'a str> {
    tags.into_iter()
        .filter(|tag| tag.starts_with(prefix) && parse_tag(tag, prefix).is_none())
        .collect()
}

/// Log (at `info`, shown with `-v`) the tags of `package` that [`ignored_tags`] ignores, so a
/// user whose tags are spelled in an unexpected way can see why they do not count.
pub fn note_ignored_tags<'a>(package: &str, tags: impl IntoIterator<Item = &'a str>, prefix: &str) {
    let ignored = ignored_tags(tags, prefix);
    if !ignored.is_empty() {
        tracing::info!(
            "{package}: ignored {} {} (not {prefix}<PEP 440 version>{})",
            crate::core::text::noun(ignored.len(), "tag"),
            ignored.join(", "),
            if prefix.is_empty() {
                ", optionally with a leading v"
            } else {
                ""
            }
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        parse(s).unwrap()
    }

    /// Found by fuzzing (`version_bump`): `1.1.2rc0.dev<u64::MAX>` compares equal to `1.1.2rc0`
    /// in `pep440_rs`, so `pre` gave a version that was not newer; such a version cannot be bumped.
    #[test]
    fn dev_number_at_the_sentinel_cannot_be_bumped() {
        let v = parse("1.1.2rc0.dev18446744073709551615").unwrap();
        for kind in [Bump::Patch, Bump::Minor, Bump::Major, Bump::Dev, Bump::Pre] {
            assert!(
                matches!(bump(&v, kind), Err(VersionError::Overflow { .. })),
                "{kind}"
            );
        }
        let below = parse("1.1.2rc0.dev18446744073709551614").unwrap();
        assert!(bump(&below, Bump::Pre).unwrap() > below);
    }

    #[test]
    fn bump_table() {
        use Bump::{Dev, Major, Minor, Patch, Pre};
        let cases = [
            // Final versions.
            ("1.2.3", Patch, "1.2.4"),
            ("1.2.3", Minor, "1.3.0"),
            ("1.2.3", Major, "2.0.0"),
            ("1.2.3.post1", Patch, "1.2.4"),
            ("1.2.3.post1", Minor, "1.3.0"),
            ("1.2.3.post1", Major, "2.0.0"),
            // Non-final versions finalise when they carry the increment.
            ("1.2.3.dev2", Patch, "1.2.3"),
            ("0.2.0.dev3", Minor, "0.2.0"),
            ("0.1.1.dev0", Minor, "0.2.0"),
            ("1.0.0rc1", Major, "1.0.0"),
            ("1.2.0.dev1", Major, "2.0.0"),
            ("1.2.0.dev1", Minor, "1.2.0"),
            ("1.2.3rc1.dev1", Patch, "1.2.3"),
            ("1.2.3rc1.dev1", Minor, "1.3.0"),
            ("1.2.3rc1.dev1", Major, "2.0.0"),
            ("2.0.0a1", Major, "2.0.0"),
            ("1.2.3rc1.post1", Patch, "1.2.3"),
            // A dev of a post-release comes after the final: treat as final.
            ("1.2.3.post1.dev0", Patch, "1.2.4"),
            // dev
            ("1.2.3", Dev, "1.2.3.dev1"),
            ("1.2.3.dev2", Dev, "1.2.3.dev3"),
            ("1.2.3rc1.dev0", Dev, "1.2.3rc1.dev1"),
            ("1.2.3.post1", Dev, "1.2.3.post1.dev1"),
            // pre
            ("1.2.3rc1", Pre, "1.2.3rc2"),
            ("1.2.3.dev4", Pre, "1.2.3rc1"),
            ("1.2.3a2", Pre, "1.2.3rc1"),
            ("1.2.3b1", Pre, "1.2.3rc1"),
            ("1.2.3b1.dev0", Pre, "1.2.3rc1"),
            ("1.2.3rc2.dev1", Pre, "1.2.3rc2"),
            ("1.2.3", Pre, "1.2.4rc1"),
            ("1.2.3.post1", Pre, "1.2.4rc1"),
            ("1.2.3.post1.dev0", Pre, "1.2.4rc1"),
            ("1.2.3rc1.post1", Pre, "1.2.3rc2"),
            ("1.2.3rc1.post1.dev0", Pre, "1.2.3rc2"),
            // Padding of short releases.
            ("1.2", Patch, "1.2.1"),
            ("1", Minor, "1.1.0"),
            ("1", Major, "2.0.0"),
            ("1.2", Dev, "1.2.0.dev1"),
            ("1.2rc1", Pre, "1.2.0rc2"),
            ("1.2.dev0", Patch, "1.2.0"),
            // More than three parts.
            ("1.2.3.4", Patch, "1.2.4"),
            ("1.2.3.4", Minor, "1.3.0"),
            ("1.2.3.4", Major, "2.0.0"),
            ("1.2.3.4.dev0", Patch, "1.2.4"),
            ("1.2.3.0.dev0", Patch, "1.2.3"),
            ("1.0.0.5rc1", Major, "2.0.0"),
            ("1.2.3.4", Dev, "1.2.3.4.dev1"),
            ("1.2.3.4rc1", Pre, "1.2.3.4rc2"),
            ("1.2.3.4", Pre, "1.2.4rc1"),
            // Epochs are preserved; input is normalised.
            ("2!1.2.3", Patch, "2!1.2.4"),
            ("2!1.2.3", Pre, "2!1.2.4rc1"),
            ("1!1.0.0.dev0", Dev, "1!1.0.0.dev1"),
            ("1.2.3-RC.1", Pre, "1.2.3rc2"),
            ("1.2.3-dev2", Dev, "1.2.3.dev3"),
        ];
        for (input, kind, expected) in cases {
            let out = bump(&v(input), kind).unwrap();
            assert_eq!(out.to_string(), expected, "{input} + {kind}");
            if kind != Dev {
                assert!(out > v(input), "{input} + {kind} went backwards");
            }
        }
    }

    /// The kinds of `uv version --bump`, as uv gives them (and a patch first where uv refuses
    /// because the result would not be newer).
    #[test]
    fn uv_bump_kinds() {
        use Bump::{Alpha, Beta, Post, Rc, Stable};
        let cases = [
            ("1.2.3a4", Alpha, "1.2.3a5"),
            ("1.2.3b4", Beta, "1.2.3b5"),
            ("1.2.3rc4", Rc, "1.2.3rc5"),
            ("1.2.3.dev0", Alpha, "1.2.3a1"),
            ("1.2.3.dev0", Beta, "1.2.3b1"),
            ("1.2.3.dev0", Rc, "1.2.3rc1"),
            ("1.2.3a2", Beta, "1.2.3b1"),
            ("1.2.3b2", Rc, "1.2.3rc1"),
            ("1.2.3a2.dev1", Alpha, "1.2.3a3"),
            ("1.2.3a1.post1", Alpha, "1.2.3a2"),
            // uv refuses these (not newer): the patch is raised first.
            ("1.2.3", Alpha, "1.2.4a1"),
            ("1.2.3", Rc, "1.2.4rc1"),
            ("1.2.3b1", Alpha, "1.2.4a1"),
            ("1.2.3.post1", Beta, "1.2.4b1"),
            ("1.2", Alpha, "1.2.1a1"),
            ("1.2.3", Post, "1.2.3.post1"),
            ("1.2.3.post5", Post, "1.2.3.post6"),
            ("1.2.3.post5.dev6", Post, "1.2.3.post6"),
            ("1.2.3rc1", Post, "1.2.3rc1.post1"),
            ("1.2.3b4.dev6", Stable, "1.2.3"),
            ("1.2.3rc2", Stable, "1.2.3"),
            ("1.2.3.dev0", Stable, "1.2.3"),
            ("2!1.0.0a1", Stable, "2!1.0.0"),
        ];
        for (input, kind, expected) in cases {
            let out = bump(&v(input), kind).unwrap();
            assert_eq!(out.to_string(), expected, "{input} + {kind}");
            assert!(out > v(input), "{input} + {kind} went backwards");
        }
        for input in ["1.2.3", "1.2.3.post1"] {
            let err = bump(&v(input), Stable).unwrap_err();
            assert!(matches!(err, VersionError::NoIncrease { .. }), "{input}");
            assert!(err.to_string().contains("is not newer"), "{err}");
        }
    }

    /// A bump never lands on a tagged version, nor at or below the last release of its line:
    /// it moves past it.
    #[test]
    fn bumps_move_past_taken_versions() {
        use Bump::{Alpha, Dev, Minor, Patch, Post, Pre, Stable};
        // (current, bump, floor (newest merged tag), other tags, expected, moved)
        type Case<'a> = (&'a str, Bump, Option<&'a str>, &'a [&'a str], &'a str, bool);
        let cases: &[Case<'_>] = &[
            // The reported case: 0.0.1.dev1 with 0.0.1 tagged (merged or not).
            ("0.0.1.dev1", Patch, Some("0.0.1"), &[], "0.0.2", true),
            ("0.0.1.dev1", Patch, None, &["0.0.1"], "0.0.2", true),
            (
                "0.0.1.dev1",
                Patch,
                None,
                &["0.0.1", "0.0.2"],
                "0.0.3",
                true,
            ),
            ("0.0.1.dev1", Minor, Some("0.0.1"), &[], "0.1.0", false),
            ("0.1.0.dev0", Minor, None, &["0.1.0"], "0.2.0", true),
            ("0.0.1.dev1", Dev, Some("0.0.1"), &[], "0.0.2.dev1", true),
            (
                "0.0.1.dev1",
                Dev,
                Some("0.0.1.dev4"),
                &[],
                "0.0.1.dev5",
                true,
            ),
            ("0.0.1.dev1", Alpha, Some("0.0.1"), &[], "0.0.2a1", true),
            ("1.0.0rc1", Pre, Some("1.0.0rc2"), &[], "1.0.0rc3", true),
            ("0.0.1.dev1", Stable, Some("0.0.1"), &[], "0.0.2", true),
            ("1.0.0", Post, Some("1.0.0.post1"), &[], "1.0.0.post2", true),
            // A newer tag of another line (not merged) is not in the way: 1.x is maintained.
            (
                "1.2.4.dev0",
                Patch,
                Some("1.2.3"),
                &["2.0.0"],
                "1.2.4",
                false,
            ),
            // Nothing in the way.
            ("0.0.1.dev1", Patch, Some("0.0.0"), &[], "0.0.1", false),
            ("0.0.1.dev1", Patch, None, &[], "0.0.1", false),
        ];
        for (input, kind, floor, others, expected, moved) in cases {
            let floor = floor.map(v);
            let mut tags: Vec<Version> = others.iter().map(|t| v(t)).collect();
            tags.extend(floor.clone());
            let (out, from) =
                bump_past(&v(input), *kind, floor.as_ref(), |x| tags.contains(x)).unwrap();
            let what = format!("{input} + {kind} past {floor:?} {others:?}");
            assert_eq!(out.to_string(), *expected, "{what}");
            assert_eq!(from.is_some(), *moved, "{what}");
            assert!(!tags.contains(&out), "{what}");
        }
    }

    #[test]
    fn release_bumps_never_go_backwards() {
        let releases = ["0", "0.0.1", "0.1", "1.0.0", "1.2.3", "1.0.0.1", "0.0.0.0"];
        let suffixes = [
            "",
            "a1",
            "b2",
            "rc1",
            ".dev0",
            "rc1.dev2",
            ".post1",
            ".post1.dev0",
        ];
        for release in releases {
            for suffix in suffixes {
                let input = v(&format!("{release}{suffix}"));
                for kind in [Bump::Patch, Bump::Minor, Bump::Major, Bump::Pre] {
                    let out = bump(&input, kind).unwrap();
                    assert!(out > input, "{input} + {kind} = {out}");
                    assert!(out.release().len() >= 3);
                }
            }
        }
    }

    #[test]
    fn bump_errors() {
        let err = bump(&v("1.2.3+local"), Bump::Patch).unwrap_err();
        assert!(matches!(err, VersionError::Local { .. }));
        assert_eq!(
            err.to_string(),
            "Cannot bump local version \"1.2.3+local\": local versions cannot be released"
        );
        for kind in Bump::ALL {
            assert!(bump(&v("1.2.3+abc.5"), kind).is_err(), "{kind}");
        }
        assert_eq!(
            bump(&v("1.2.3"), Bump::Auto),
            Err(VersionError::AutoWithoutMessages)
        );
        assert!(bump_auto(&v("1.2.3+local"), &["fix: x"]).is_err());
        let max = u64::MAX;
        for (input, kind) in [
            (format!("1.2.{max}"), Bump::Patch),
            (format!("{max}.2.3"), Bump::Major),
            (format!("1.2.3.dev{max}"), Bump::Dev),
            (format!("1.2.3rc{max}"), Bump::Pre),
        ] {
            let err = bump(&v(&input), kind).unwrap_err();
            assert!(matches!(err, VersionError::Overflow { .. }), "{input}");
        }
    }

    #[test]
    fn parse_errors_name_the_input() {
        for input in ["1.x", "", "abc", "1.2.3+", "1.*", "1..2", "v"] {
            let err = parse(input).unwrap_err();
            assert!(matches!(err, VersionError::Invalid { .. }), "{input}");
            let message = err.to_string();
            assert!(
                message.starts_with(&format!("Invalid version \"{input}\": ")),
                "{message}"
            );
            assert!(!message.ends_with('.'), "{message}");
        }
        assert_eq!(v("1.0.0-rc.1").to_string(), "1.0.0rc1");
    }

    #[test]
    fn bump_from_str_and_display() {
        for kind in Bump::ALL {
            assert_eq!(kind.to_string().parse::<Bump>(), Ok(kind));
        }
        assert_eq!("minor".parse::<Bump>(), Ok(Bump::Minor));
        for bad in ["", "Patch", "micro", " patch"] {
            let err = bad.parse::<Bump>().unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "Invalid bump \"{bad}\": expected one of patch, minor, major, dev, pre, alpha, beta, rc, post, stable, auto"
                )
            );
        }
    }

    #[test]
    fn auto_kind_table() {
        use Bump::{Major, Minor, Patch};
        let cases: &[(&str, &[&str], Bump)] = &[
            ("1.2.3", &[], Patch),
            ("1.2.3", &["fix: typo"], Patch),
            ("1.2.3", &["docs: readme", "chore(ci): bump"], Patch),
            ("1.2.3", &["Update readme"], Patch),
            ("1.2.3", &["feat: add x"], Minor),
            ("1.2.3", &["feat(cli): add x", "fix: y"], Minor),
            ("1.2.3", &["Feat: add x"], Minor),
            ("1.2.3", &["feature: not feat"], Patch),
            ("1.2.3", &["feat!: drop x"], Major),
            ("1.2.3", &["fix(api)!: change y"], Major),
            ("1.2.3", &["refactor!: z"], Major),
            ("1.2.3", &["fix: y\n\nBREAKING CHANGE: gone"], Major),
            (
                "1.2.3",
                &["feat: y\n\nBody.\n\nBREAKING-CHANGE: gone"],
                Major,
            ),
            ("1.2.3", &["fix: y", "feat!: a", "feat: b"], Major),
            ("1.2.3", &["fix: mention breaking change: lowercase"], Patch),
            ("1.2.3", &["fix: x\n\nnot a BREAKING CHANGE: here"], Patch),
            ("1.2.3", &["feat add x"], Patch),
            ("1.2.3", &["feat(unclosed: x"], Patch),
            ("1.2.3", &["!: x", "(scope): y"], Patch),
            ("1.2.3", &["\n  feat: leading blank line"], Minor),
            ("1.2.3", &["fix: x\n\nfeat: in body only"], Patch),
            // Below 1.0 a breaking change bumps minor.
            ("0.4.2", &["feat!: drop x"], Minor),
            ("0.4.2", &["fix: y\n\nBREAKING CHANGE: gone"], Minor),
            ("0.4.2", &["feat!: a", "fix: b"], Minor),
            ("0.4.2", &["feat: x"], Minor),
            ("0.4.2", &["fix: x"], Patch),
            ("1.0.0rc1", &["feat!: x"], Major),
        ];
        for (current, messages, expected) in cases {
            assert_eq!(
                auto_bump_kind(&v(current), messages),
                *expected,
                "{current} {messages:?}"
            );
        }
    }

    #[test]
    fn bump_auto_applies_kind() {
        let cases: &[(&str, &[&str], &str)] = &[
            ("1.2.3", &[], "1.2.4"),
            ("1.2.3", &["feat: x"], "1.3.0"),
            ("1.2.3", &["feat!: x"], "2.0.0"),
            ("0.4.2", &["feat!: x"], "0.5.0"),
            ("1.3.0.dev2", &["feat: x"], "1.3.0"),
            ("2.0.0rc1", &["fix!: x"], "2.0.0"),
        ];
        for (current, messages, expected) in cases {
            let out = bump_auto(&v(current), messages).unwrap();
            assert_eq!(out.to_string(), *expected, "{current} {messages:?}");
        }
    }

    #[test]
    fn next_dev_table() {
        for (input, expected) in [
            ("1.2.3", "1.2.4.dev0"),
            ("1.2.3.post2", "1.2.4.dev0"),
            ("1.2", "1.2.1.dev0"),
            ("1.2.3.4", "1.2.4.dev0"),
            ("3!1.2.3", "3!1.2.4.dev0"),
        ] {
            assert_eq!(next_dev(&v(input)).unwrap().to_string(), expected);
        }
        for input in ["1.2.4.dev0", "1.3.0rc1", "1.3.0a1.dev0", "1.2.3.post1.dev0"] {
            let err = next_dev(&v(input)).unwrap_err();
            assert_eq!(err, VersionError::NotFinal { version: v(input) });
            assert!(
                err.to_string()
                    .contains("already a development or pre-release")
            );
        }
        assert!(matches!(
            next_dev(&v("1.2.3+local")),
            Err(VersionError::Local { .. })
        ));
    }

    #[test]
    fn is_final_table() {
        for (input, expected) in [
            ("1.2.3", true),
            ("1.2.3.post1", true),
            ("1!1.0", true),
            ("1.2.3.dev0", false),
            ("1.2.3a1", false),
            ("1.2.3rc1", false),
            ("1.2.3.post1.dev0", false),
        ] {
            assert_eq!(is_final(&v(input)), expected, "{input}");
        }
    }

    #[test]
    fn parse_tag_table() {
        let cases = [
            ("v1.0.0", "v", Some("1.0.0")),
            ("v1.0.0rc1", "v", Some("1.0.0rc1")),
            ("1.0.0", "", Some("1.0.0")),
            ("alpha-v2.1", "alpha-v", Some("2.1")),
            ("v1!2.0", "v", Some("1!2.0")),
            ("1.0.0", "v", None),
            // The empty prefix reads PEP 440's optional leading `v`; other prefixes are exact.
            ("v1.0.0", "", Some("1.0.0")),
            ("V1.0.0", "", Some("1.0.0")),
            ("vv1.0.0", "", None),
            ("v", "", None),
            ("V1.0.0", "v", None),
            ("1.0.0", "alpha-v", None),
            ("vv1.0.0", "v", None),
            ("v", "v", None),
            ("", "", None),
            ("v1.0.0 ", "v", None),
            ("v 1.0.0", "v", None),
            ("v1.x", "v", None),
            ("release-1.0", "v", None),
            ("alpha-v2.1", "v", None),
        ];
        for (tag, prefix, expected) in cases {
            assert_eq!(
                parse_tag(tag, prefix),
                expected.map(v),
                "{tag:?} with {prefix:?}"
            );
        }
    }

    fn newest(tags: &[&str], prefix: &str, finals_only: bool) -> Option<String> {
        newest_tag(tags.iter().copied(), prefix, finals_only).map(|(tag, version)| {
            assert_eq!(parse_tag(&tag, prefix), Some(version));
            tag
        })
    }

    #[test]
    fn newest_tag_ordering() {
        let some = |s: &str| Some(s.to_string());
        assert_eq!(newest(&["v0.9.0", "v0.10.0"], "v", true), some("v0.10.0"));
        assert_eq!(newest(&["v0.10.0", "v0.9.0"], "v", true), some("v0.10.0"));
        assert_eq!(newest(&["v1.0.0", "v1.0.0rc1"], "v", false), some("v1.0.0"));
        assert_eq!(newest(&["v1.0.0rc1", "v1.0.0"], "v", false), some("v1.0.0"));
        let tags = ["v1.0.0", "v1.1.0.dev0", "v1.0.0.post1", "v1.1.0.dev0-junk"];
        assert_eq!(newest(&tags, "v", false), some("v1.1.0.dev0"));
        assert_eq!(newest(&tags, "v", true), some("v1.0.0.post1"));
        assert_eq!(newest(&["v2.0.0rc1", "v1.0.0"], "v", true), some("v1.0.0"));
        assert_eq!(newest(&["v2.0.0rc1"], "v", true), None);
        assert_eq!(newest(&["v2.0.0rc1"], "v", false), some("v2.0.0rc1"));
        // Other prefixes and junk are ignored.
        let mixed = [
            "v1.0.0",
            "alpha-v3.0.0",
            "9.0.0",
            "beta-v5.0.0",
            "latest",
            "v2.x",
            "alpha-v2.5.0",
            "valpha-v9.0.0",
        ];
        assert_eq!(newest(&mixed, "v", true), some("v1.0.0"));
        assert_eq!(newest(&mixed, "alpha-v", true), some("alpha-v3.0.0"));
        assert_eq!(newest(&mixed, "", true), some("9.0.0"));
        assert_eq!(newest(&["v1.0", "release"], "", true), some("v1.0"));
        assert_eq!(newest(&["release", "latest"], "", true), None);
        assert_eq!(newest(&[], "v", false), None);
        // Equal versions: the smallest tag wins regardless of order.
        assert_eq!(newest(&["v1.0.0", "v1.0"], "v", true), some("v1.0"));
        assert_eq!(newest(&["v1.0", "v1.0.0"], "v", true), some("v1.0"));
        // Epochs outrank release numbers.
        assert_eq!(newest(&["v1!0.1", "v9.0"], "v", true), some("v1!0.1"));
    }

    /// Tags as real repositories have them: one package, `tag_prefix = ""`, spellings mixed.
    const REAL_TAGS: [&str; 5] = [
        "v0.0.1-dev0",
        "v0.0.1dev1",
        "0.0.1.dev2",
        "0.0.1",
        "0.0.2.dev0",
    ];

    #[test]
    fn non_normalised_spellings_parse() {
        let cases = [
            ("v0.0.1-dev0", "0.0.1.dev0"),
            ("v0.0.1dev1", "0.0.1.dev1"),
            ("0.0.1.dev2", "0.0.1.dev2"),
            ("0.0.1", "0.0.1"),
            ("0.0.2.dev0", "0.0.2.dev0"),
            ("v0.1.2.dev3", "0.1.2.dev3"),
            ("0.0.1_dev4", "0.0.1.dev4"),
            ("1.0.0-RC.1", "1.0.0rc1"),
            ("1.0.0.alpha2", "1.0.0a2"),
            ("1.0-post1", "1.0.post1"),
            ("V2.0", "2.0"),
        ];
        for (tag, normalised) in cases {
            let version = parse_tag(tag, "").unwrap_or_else(|| panic!("{tag}"));
            assert_eq!(version.to_string(), normalised, "{tag}");
        }
        // With prefix `v` only the `v` spellings belong to the package.
        assert_eq!(
            parse_tag("v0.0.1-dev0", "v")
                .map(|v| v.to_string())
                .as_deref(),
            Some("0.0.1.dev0")
        );
        assert_eq!(parse_tag("0.0.1.dev2", "v"), None);
    }

    #[test]
    fn mixed_spellings_order_by_pep440() {
        let some = |s: &str| Some(s.to_string());
        // Every input order gives the same answer (never string or date order).
        let mut tags = REAL_TAGS;
        for _ in 0..tags.len() {
            tags.rotate_left(1);
            assert_eq!(newest(&tags, "", false), some("0.0.2.dev0"));
            assert_eq!(newest(&tags, "", true), some("0.0.1"));
            let mut reversed = tags;
            reversed.reverse();
            assert_eq!(newest(&reversed, "", false), some("0.0.2.dev0"));
        }
        let mut sorted: Vec<Version> = REAL_TAGS
            .iter()
            .map(|t| parse_tag(t, "").unwrap())
            .collect();
        sorted.sort();
        let texts: Vec<String> = sorted.iter().map(ToString::to_string).collect();
        assert_eq!(
            texts,
            [
                "0.0.1.dev0",
                "0.0.1.dev1",
                "0.0.1.dev2",
                "0.0.1",
                "0.0.2.dev0"
            ]
        );
        // Without the newest, a `v` dev tag is the newest.
        assert_eq!(newest(&REAL_TAGS[..2], "", false), some("v0.0.1dev1"));
        // The next release after them: 0.0.2.dev0 + patch finalises, + minor goes to 0.1.0.
        let (_, last) = newest_tag(REAL_TAGS, "", false).unwrap();
        assert_eq!(bump(&last, Bump::Patch).unwrap().to_string(), "0.0.2");
        assert_eq!(bump(&last, Bump::Minor).unwrap().to_string(), "0.1.0");
        // With prefix `v` only the `v` tags count.
        assert_eq!(newest(&REAL_TAGS, "v", false), some("v0.0.1dev1"));
        assert_eq!(newest(&REAL_TAGS, "v", true), None);
        // The same version spelled twice: the smallest tag.
        assert_eq!(newest(&["v0.0.1", "0.0.1"], "", true), some("0.0.1"));
    }

    #[test]
    fn tags_of_versions_and_ignored_tags() {
        assert_eq!(
            tag_of_version(REAL_TAGS, "", &v("0.0.1.dev1")),
            Some("v0.0.1dev1")
        );
        assert_eq!(tag_of_version(REAL_TAGS, "", &v("0.0.1")), Some("0.0.1"));
        assert_eq!(tag_of_version(REAL_TAGS, "", &v("0.0.3")), None);
        assert_eq!(
            tag_of_version(["v1.0", "1.0.0"], "", &v("1")),
            Some("1.0.0")
        );
        let tags = ["v1.0", "latest", "v1.x", "1.0 ", "alpha-v2", "release-1"];
        assert_eq!(
            ignored_tags(tags, ""),
            ["latest", "v1.x", "1.0 ", "alpha-v2", "release-1"]
        );
        assert_eq!(ignored_tags(tags, "v"), ["v1.x"]);
        assert_eq!(ignored_tags(REAL_TAGS, ""), Vec::<&str>::new());
    }
}
