//! Small text helpers: positions in TOML text, argv for messages, template errors for users.

/// 1-based line and column (in characters) of a byte offset; offsets past the end point at the
/// end, and an offset inside a multi-byte character counts the characters before it.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let bytes = text.as_bytes();
    let before = bytes.get(..offset).unwrap_or(bytes);
    let line = before.split(|&b| b == b'\n').count();
    let line_text = before.rsplit(|&b| b == b'\n').next().unwrap_or_default();
    let column = String::from_utf8_lossy(line_text).chars().count() + 1;
    (line, column)
}

/// A minijinja error as an error for the user. A user's template (`file`, relative to the root)
/// is a usage error naming the file and line, with a hint (`docs`: where the template's variables
/// are listed); a built-in one (`file` is `None`) is release-tool's own bug, named by `builtin`.
/// `what` is the kind of template, as in "Prompt template".
pub fn template_error(
    e: &minijinja::Error,
    what: &str,
    file: Option<&str>,
    builtin: &str,
    docs: &str,
) -> anyhow::Error {
    let mut detail = e.kind().to_string();
    if let Some(d) = e.detail() {
        detail.push_str(": ");
        detail.push_str(d);
    }
    match file {
        Some(file) => {
            let at = e.line().map(|l| format!(":{l}")).unwrap_or_default();
            crate::core::error::UserError::usage(format!("{what} {file}{at}: {detail}"))
                .with_hint(format!(
                    "fix the template (its variables are listed in {docs}), or delete {file} to use the built-in one"
                ))
                .into()
        }
        None => anyhow::anyhow!("Built-in {builtin}: {detail}"),
    }
}

/// How many arguments a displayed command shows before `… (+N more)` (a commit of 1000 paths is
/// not one 1000-name line in a plan or an error).
pub const SHOWN_ARGS: usize = 20;

/// argv for display: [`shell_words`] of at most [`SHOWN_ARGS`] arguments, then `… (+N more)`.
pub fn shell_words_shown(args: &[String]) -> String {
    if args.len() <= SHOWN_ARGS + 4 {
        return shell_words(args);
    }
    format!(
        "{} … (+{} more)",
        shell_words(&args[..SHOWN_ARGS]),
        args.len() - SHOWN_ARGS
    )
}

/// How many names a list in a message shows before `… (+N more)`.
pub const SHOWN_NAMES: usize = 5;

/// Names for a message line: all of them when few, else the first [`SHOWN_NAMES`] and
/// `… (+N more)` (a hint never lists 1000 paths).
pub fn names_shown<S: AsRef<str>>(names: &[S]) -> String {
    let all: Vec<&str> = names.iter().map(AsRef::as_ref).collect();
    if all.len() <= SHOWN_NAMES + 1 {
        return all.join(", ");
    }
    format!(
        "{} … (+{} more)",
        all[..SHOWN_NAMES].join(", "),
        all.len() - SHOWN_NAMES
    )
}

/// A count with its noun in the right number: `1 step`, `0 steps`, `3 entries`
/// (docs/style.md: never `step(s)`).
pub fn count(n: usize, singular: &str) -> String {
    format!("{n} {}", noun(n, singular))
}

/// The noun alone in the right number for `n` (`change`, `changes`; `entry`, `entries`).
pub fn noun(n: usize, singular: &str) -> String {
    if n == 1 {
        return singular.to_owned();
    }
    let last_word = singular.rsplit(' ').next().unwrap_or(singular);
    let consonant_y = last_word.len() > 1
        && last_word.ends_with('y')
        && !last_word[..last_word.len() - 1].ends_with(['a', 'e', 'i', 'o', 'u']);
    if consonant_y {
        format!("{}ies", &singular[..singular.len() - 1])
    } else if ["s", "x", "ch", "sh"]
        .iter()
        .any(|e| last_word.ends_with(e))
    {
        format!("{singular}es")
    } else {
        format!("{singular}s")
    }
}

/// argv as a copy-pasteable shell line.
pub fn shell_words(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:@+,%^{}".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_agree_with_their_nouns() {
        use super::{count, noun};
        assert_eq!(count(1, "step"), "1 step");
        assert_eq!(count(0, "step"), "0 steps");
        assert_eq!(count(3, "uncommitted change"), "3 uncommitted changes");
        assert_eq!(count(2, "entry"), "2 entries");
        assert_eq!(count(2, "key"), "2 keys");
        assert_eq!(count(2, "patch"), "2 patches");
        assert_eq!(count(2, "forge release"), "2 forge releases");
        assert_eq!(noun(2, "LLM request"), "LLM requests");
    }

    use super::line_col;

    #[test]
    fn long_argv_is_shown_short() {
        let few: Vec<String> = (0..24).map(|i| format!("p{i}")).collect();
        assert_eq!(super::shell_words_shown(&few), super::shell_words(&few));
        let many: Vec<String> = (0..1000).map(|i| format!("p{i}")).collect();
        let shown = super::shell_words_shown(&many);
        assert!(
            shown.starts_with("p0 p1 ") && shown.ends_with("p19 … (+980 more)"),
            "{shown}"
        );
    }

    #[test]
    fn counts_lines_and_characters() {
        assert_eq!(line_col("ab\ncé d", 7), (2, 4));
        assert_eq!(line_col("abc", 0), (1, 1));
        assert_eq!(line_col("", 10), (1, 1));
        assert_eq!(line_col("a\n", 2), (2, 1));
    }
}
