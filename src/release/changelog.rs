//! CHANGELOG.md in the Keep a Changelog format, tag messages, and release dates.

use std::fmt::Write as _;

/// The header of a new changelog.
pub const HEADER: &str = "# Changelog\n\n\
All notable changes to this project are documented in this file.\n\n\
The format is based on [Keep a Changelog](https://keepachangelog.com/en/1.1.0/),\n\
and versions follow [PEP 440](https://peps.python.org/pep-0440/).\n";

/// The tag message template the Python `release_tool`'s stage 3 wrote (June 2025 on). Left
/// untouched, it meant "no message" to that tool, and it does here too
/// ([`is_old_tool_template`]).
pub const OLD_TOOL_TEMPLATE: &str = "## Релиз {VERSION}\n\n\
_Изменения по сравнению с {PREV_VERSION}_\n\n\
<!-- Опишите основные изменения здесь -->\n";

/// Whether a tag message file still holds the Python `release_tool`'s untouched template,
/// compared as that tool did: equal once whitespace is trimmed at both ends.
#[must_use]
pub fn is_old_tool_template(text: &str) -> bool {
    text.trim() == OLD_TOOL_TEMPLATE.trim()
}

/// Remove `<!-- … -->` comments (the instructions of a template) and surrounding blank lines.
pub fn strip_comments(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("<!--") {
        out.push_str(&rest[..start]);
        match rest[start..].find("-->") {
            Some(end) => rest = &rest[start + end + 3..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    let lines: Vec<&str> = out.lines().map(str::trim_end).collect();
    let first = lines
        .iter()
        .position(|l| !l.is_empty())
        .unwrap_or(lines.len());
    let last = lines
        .iter()
        .rposition(|l| !l.is_empty())
        .map_or(first, |i| i + 1);
    let mut text = lines[first..last].join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    text
}

/// A tag message with its comments removed and `{VERSION}` / `{PREV_VERSION}` filled in.
pub fn fill(template: &str, version: &str, prev_version: &str) -> String {
    strip_comments(template)
        .replace("{VERSION}", version)
        .replace("{PREV_VERSION}", prev_version)
}

/// The entry of a release: the tag message without its title line (the heading says it).
fn entry(version: &str, date: &str, message: &str) -> String {
    let mut lines = message.lines();
    lines.next();
    let body: Vec<&str> = lines.collect();
    let body = body.join("\n");
    let body = body.trim_matches('\n');
    let mut out = format!("## [{version}] - {date}\n");
    if !body.is_empty() {
        let _ = write!(out, "\n{body}\n");
    }
    out
}

/// `existing` (or a new changelog) with the entry for `version` added above the newest
/// release, below `## [Unreleased]` when there is one. An entry for the same version already
/// there is left as it is (the text comes back unchanged).
pub fn prepend(existing: Option<&str>, version: &str, date: &str, message: &str) -> String {
    let text = existing.map_or_else(|| HEADER.to_owned(), str::to_owned);
    if text
        .lines()
        .any(|l| l.starts_with(&format!("## [{version}]")))
    {
        return text;
    }
    let entry = entry(version, date, message);
    // The first `## ` heading that is not Unreleased: the new entry goes right before it.
    let mut offset = 0;
    let mut insert_at = None;
    for line in text.split_inclusive('\n') {
        if line.starts_with("## ") && !line.to_ascii_lowercase().starts_with("## [unreleased]") {
            insert_at = Some(offset);
            break;
        }
        offset += line.len();
    }
    if let Some(at) = insert_at {
        format!("{}{entry}\n{}", &text[..at], &text[at..])
    } else {
        let mut out = text.trim_end_matches('\n').to_owned();
        out.push_str("\n\n");
        out.push_str(&entry);
        out
    }
}

/// Today's date (UTC) as `YYYY-MM-DD`; `SOURCE_DATE_EPOCH` (seconds) overrides the clock, for
/// reproducible output.
pub fn today() -> String {
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
        });
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

/// Seconds since the epoch as an RFC 3339 UTC timestamp, `2026-01-01T00:00:00Z`.
pub fn rfc3339(secs: i64) -> String {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

/// Days since 1970-01-01 → (year, month, day) (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_python_tools_untouched_template_is_recognised() {
        let text = "## Релиз {VERSION}\n\n_Изменения по сравнению с {PREV_VERSION}_\n\n\
                    <!-- Опишите основные изменения здесь -->\n";
        assert_eq!(text.len(), 160);
        assert!(is_old_tool_template(text));
        assert!(is_old_tool_template(&format!("\n  {text}\n\n")));
        assert!(!is_old_tool_template(&text.replace("здесь", "здесь!")));
        assert!(!is_old_tool_template(&text.replace('\n', "\r\n")));
        assert!(!is_old_tool_template(&format!("{text}- fixed a bug\n")));
    }

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_767_225_600 + 3_723), "2026-01-01T01:02:03Z");
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn fill_strips_comments_and_fills_placeholders() {
        let t = "<!-- edit me\n  freely -->\nRelease a {VERSION}\n\nChanges since {PREV_VERSION}:\n\n- x\n\n";
        assert_eq!(
            fill(t, "1.0.0", "0.9.0"),
            "Release a 1.0.0\n\nChanges since 0.9.0:\n\n- x\n"
        );
    }

    #[test]
    fn new_changelog_and_ordering() {
        let first = prepend(
            None,
            "0.1.0",
            "2026-01-01",
            "Release a 0.1.0\n\n### Added\n\n- x\n",
        );
        assert!(first.starts_with(HEADER), "{first}");
        assert!(
            first.ends_with("\n## [0.1.0] - 2026-01-01\n\n### Added\n\n- x\n"),
            "{first}"
        );
        let second = prepend(
            Some(&first),
            "0.2.0",
            "2026-02-01",
            "Release a 0.2.0\n\n- y\n",
        );
        let a = second.find("## [0.2.0]").unwrap();
        let b = second.find("## [0.1.0]").unwrap();
        assert!(a < b, "{second}");
        assert_eq!(
            prepend(Some(&second), "0.2.0", "2026-03-01", "again"),
            second
        );
        let with_unreleased =
            "# Changelog\n\n## [Unreleased]\n\n- wip\n\n## [0.1.0] - 2025-01-01\n";
        let out = prepend(Some(with_unreleased), "0.2.0", "2026-01-01", "T\n\n- z\n");
        assert_eq!(
            out,
            "# Changelog\n\n## [Unreleased]\n\n- wip\n\n## [0.2.0] - 2026-01-01\n\n- z\n\n## [0.1.0] - 2025-01-01\n"
        );
    }
}
