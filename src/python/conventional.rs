//! Conventional commits: the one parser of `type(scope)!: description` messages, used for
//! `--bump auto` (through [`crate::python::version`]) and for grouping changelog entries.

use std::fmt::Write as _;

/// A parsed commit message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commit {
    /// The type in lower case (`feat`, `fix`...); `None` for a message that is not conventional.
    pub kind: Option<String>,
    pub scope: Option<String>,
    /// `!` after the type/scope, or a `BREAKING CHANGE:`/`BREAKING-CHANGE:` footer line.
    pub breaking: bool,
    /// The subject without the `type(scope)!:` header.
    pub description: String,
}

/// A changelog section (Keep a Changelog names, plus Breaking first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Section {
    Breaking,
    Added,
    Changed,
    Fixed,
}

impl Section {
    pub fn title(self) -> &'static str {
        match self {
            Section::Breaking => "Breaking",
            Section::Added => "Added",
            Section::Changed => "Changed",
            Section::Fixed => "Fixed",
        }
    }
}

/// Split a subject `type(scope)!: description` into `(type, scope, breaking, description)`.
pub fn parse_header(subject: &str) -> Option<(&str, Option<&str>, bool, &str)> {
    let type_len = subject
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .unwrap_or(subject.len());
    if type_len == 0 {
        return None;
    }
    let (ty, mut rest) = subject.split_at(type_len);
    let mut scope = None;
    if let Some(scoped) = rest.strip_prefix('(') {
        let (s, after) = scoped.split_once(')')?;
        if s.contains('(') {
            return None;
        }
        scope = Some(s);
        rest = after;
    }
    let breaking = rest.starts_with('!');
    let rest = rest.strip_prefix('!').unwrap_or(rest);
    let description = rest.strip_prefix(':')?;
    Some((ty, scope, breaking, description.trim()))
}

/// Whether the message has a `BREAKING CHANGE:` / `BREAKING-CHANGE:` footer line.
fn breaking_footer(message: &str) -> bool {
    message.lines().any(|line| {
        let line = line.trim_start();
        line.starts_with("BREAKING CHANGE:") || line.starts_with("BREAKING-CHANGE:")
    })
}

/// Parse a full commit message (subject + body).
pub fn parse(message: &str) -> Commit {
    let subject = message.trim_start().lines().next().unwrap_or("").trim();
    let footer = breaking_footer(message);
    match parse_header(subject) {
        Some((ty, scope, bang, description)) => Commit {
            kind: Some(ty.to_ascii_lowercase()),
            scope: scope.map(str::to_owned),
            breaking: bang || footer,
            description: description.to_owned(),
        },
        None => Commit {
            kind: None,
            scope: None,
            breaking: footer,
            description: subject.to_owned(),
        },
    }
}

impl Commit {
    /// The changelog section, or `None` for housekeeping (`chore`, `ci`, `docs`, `test`,
    /// `build`, `style`) that users of the package do not need to read about.
    pub fn section(&self) -> Option<Section> {
        if self.breaking {
            return Some(Section::Breaking);
        }
        match self.kind.as_deref() {
            Some("feat") => Some(Section::Added),
            Some("fix") => Some(Section::Fixed),
            Some("chore" | "ci" | "docs" | "test" | "tests" | "build" | "style") => None,
            _ => Some(Section::Changed),
        }
    }
}

/// Markdown body grouping `messages` (newest first, as `git log` gives them) by section:
/// `### Breaking`, `### Added`, `### Changed`, `### Fixed`, each a bullet list in commit order
/// (oldest first). Empty when nothing is worth listing.
pub fn grouped_notes(messages: &[&str]) -> String {
    let mut sections: Vec<(Section, Vec<String>)> = Vec::new();
    for message in messages.iter().rev() {
        let commit = parse(message);
        let Some(section) = commit.section() else {
            continue;
        };
        let line = match &commit.scope {
            Some(scope) => format!("**{scope}:** {}", commit.description),
            None => commit.description.clone(),
        };
        match sections.iter_mut().find(|(s, _)| *s == section) {
            Some((_, lines)) => lines.push(line),
            None => sections.push((section, vec![line])),
        }
    }
    sections.sort_by_key(|(s, _)| *s);
    let mut out = String::new();
    for (section, lines) in sections {
        if !out.is_empty() {
            out.push('\n');
        }
        let _ = writeln!(out, "### {}\n", section.title());
        for line in lines {
            let _ = writeln!(out, "- {line}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        assert_eq!(
            parse_header("feat(api)!: drop v1"),
            Some(("feat", Some("api"), true, "drop v1"))
        );
        assert_eq!(parse_header("fix: x"), Some(("fix", None, false, "x")));
        assert_eq!(parse_header("Merge branch 'x'"), None);
        assert_eq!(parse_header("feat(a(b)): x"), None);
        assert_eq!(parse_header(": x"), None);
    }

    #[test]
    fn messages() {
        let c = parse("Feat: add thing\n\nBody.\n\nBREAKING CHANGE: gone");
        assert_eq!(c.kind.as_deref(), Some("feat"));
        assert!(c.breaking);
        assert_eq!(c.section(), Some(Section::Breaking));
        assert_eq!(parse("fix: y").section(), Some(Section::Fixed));
        assert_eq!(parse("chore: bump").section(), None);
        assert_eq!(parse("Rework loader").section(), Some(Section::Changed));
        assert_eq!(parse("perf: faster").section(), Some(Section::Changed));
    }

    #[test]
    fn grouping_orders_sections_and_commits() {
        // git log order: newest first.
        let notes = grouped_notes(&[
            "fix(io): close files",
            "chore: tidy",
            "feat!: new api",
            "feat: a",
            "Rework",
        ]);
        assert_eq!(
            notes,
            "### Breaking\n\n- new api\n\n### Added\n\n- a\n\n### Changed\n\n- Rework\n\n### Fixed\n\n- **io:** close files\n"
        );
        assert_eq!(grouped_notes(&["chore: x"]), "");
    }
}
