//! Prompt templates (minijinja): built-in defaults, overridden by files in
//! `<root>/release_tool/prompts/` (`system.j2`, `commit_message.j2`, `tag_message.j2`).

use std::path::{Path, PathBuf};

use anyhow::Result;
use minijinja::{Environment, UndefinedBehavior, Value};

use crate::core::error::UserError;

/// Where users put their templates, relative to the workspace root.
pub const PROMPTS_DIR: &str = "release_tool/prompts";

/// The built-in system prompt (shared by both kinds; `kind` tells them apart).
pub const DEFAULT_SYSTEM: &str = include_str!("prompts/system.j2");
/// The built-in prompt for a commit message.
pub const DEFAULT_COMMIT_MESSAGE: &str = include_str!("prompts/commit_message.j2");
/// The built-in prompt for a tag message.
pub const DEFAULT_TAG_MESSAGE: &str = include_str!("prompts/tag_message.j2");

/// What is asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    CommitMessage,
    TagMessage,
}

impl Kind {
    /// The template name (and the `kind` variable): `commit_message` / `tag_message`.
    pub fn name(self) -> &'static str {
        match self {
            Self::CommitMessage => "commit_message",
            Self::TagMessage => "tag_message",
        }
    }

    /// "commit message" / "tag message".
    pub fn human(self) -> &'static str {
        match self {
            Self::CommitMessage => "commit message",
            Self::TagMessage => "tag message",
        }
    }
}

/// A template and where it came from.
#[derive(Clone, Debug)]
struct Source {
    name: &'static str,
    /// The user's file, relative to the root; `None` for the built-in default.
    file: Option<String>,
}

/// The loaded templates.
pub struct Prompts {
    env: Environment<'static>,
    sources: Vec<Source>,
}

impl std::fmt::Debug for Prompts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prompts")
            .field("sources", &self.sources)
            .finish_non_exhaustive()
    }
}

impl Prompts {
    /// The built-in templates, overridden by the files found in `<root>/release_tool/prompts/`.
    /// A template that does not parse is a usage error naming the file and line.
    pub fn load(root: &Path) -> Result<Self> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
        env.set_syntax(
            minijinja::syntax::SyntaxConfig::builder()
                .trim_blocks(true)
                .lstrip_blocks(true)
                .build()
                .expect("the default syntax with trim_blocks and lstrip_blocks"),
        );
        let mut sources = Vec::new();
        for (name, default) in [
            ("system", DEFAULT_SYSTEM),
            ("commit_message", DEFAULT_COMMIT_MESSAGE),
            ("tag_message", DEFAULT_TAG_MESSAGE),
        ] {
            let rel = format!("{PROMPTS_DIR}/{name}.j2");
            let path: PathBuf = root.join(&rel);
            let (text, file) = if path.is_file() {
                let text = fs_err::read_to_string(&path).map_err(|e| {
                    UserError::usage(format!("Cannot read the prompt template {rel}: {e}"))
                        .with_hint("fix its permissions, or delete it to use the built-in prompt")
                })?;
                (text, Some(rel))
            } else {
                (default.to_owned(), None)
            };
            env.add_template_owned(name, text)
                .map_err(|e| template_error(file.as_deref(), name, &e))?;
            sources.push(Source { name, file });
        }
        Ok(Self { env, sources })
    }

    /// The user's template files in use, relative to the root.
    pub fn overrides(&self) -> Vec<&str> {
        self.sources
            .iter()
            .filter_map(|s| s.file.as_deref())
            .collect()
    }

    /// Render the system prompt and the prompt of `kind` with `ctx` (which must hold `kind`
    /// and `package`).
    pub fn render(&self, kind: Kind, ctx: &Value) -> Result<(String, String)> {
        let render = |name: &str| -> Result<String> {
            let template = self
                .env
                .get_template(name)
                .map_err(|e| template_error(self.file_of(name), name, &e))?;
            let text = template
                .render(ctx)
                .map_err(|e| template_error(self.file_of(name), name, &e))?;
            Ok(normalise(&text))
        };
        Ok((render("system")?, render(kind.name())?))
    }

    fn file_of(&self, name: &str) -> Option<&str> {
        self.sources
            .iter()
            .find(|s| s.name == name)
            .and_then(|s| s.file.as_deref())
    }
}

/// Trailing spaces off, at most one blank line in a row outside the material, one final
/// newline.
fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 1);
    out.push_str(text.trim_end());
    out.push('\n');
    out
}

/// A template's error: the user's `file`, or the built-in template `name`.
fn template_error(file: Option<&str>, name: &str, e: &minijinja::Error) -> anyhow::Error {
    crate::core::text::template_error(
        e,
        "Prompt template",
        file,
        &format!("prompt template {name}"),
        "docs/llm.md",
    )
}

#[cfg(test)]
mod tests {
    use minijinja::context;

    use super::*;

    fn commit_ctx() -> Value {
        context! {
            kind => "commit_message",
            package => "core-utils",
            path => "packages/core-utils",
            branch => "main",
            files => 2,
            changes => "diff --git a/x b/x\n+x\n",
            omitted => vec![Value::from_pairs([("path", "uv.lock"), ("reason", "lock file")])],
            cut => Vec::<String>::new(),
            masked => 1,
            max_diff_bytes => 200_000,
        }
    }

    #[test]
    fn defaults_render_with_every_variable() {
        let dir = tempfile::tempdir().unwrap();
        let prompts = Prompts::load(dir.path()).unwrap();
        assert!(prompts.overrides().is_empty());
        let (system, user) = prompts.render(Kind::CommitMessage, &commit_ctx()).unwrap();
        assert!(
            system.contains("git commit messages for the Python package `core-utils`"),
            "{system}"
        );
        assert!(user.contains("uncommitted changes of `core-utils` (directory packages/core-utils, branch main, 2 files changed)"), "{user}");
        assert!(user.contains("Not shown (their changes are real, only the content is left out): uv.lock (lock file).\n"), "{user}");
        assert!(!user.contains("Cut to fit"), "{user}");
        assert!(user.ends_with("diff --git a/x b/x\n+x\n"), "{user}");
        let ctx = context! {
            kind => "tag_message",
            package => "core-utils",
            path => "packages/core-utils",
            since_tag => "v0.1.0",
            commits => 3,
            log => "commit abc\n    feat: x\n",
            diff => "+x\n",
            draft => "Release core-utils {VERSION}\n",
            version => "{VERSION}",
            prev_version => "{PREV_VERSION}",
            omitted => Vec::<Value>::new(),
            cut => vec!["big.py"],
            masked => 0,
            max_diff_bytes => 1000,
        };
        let (system, user) = prompts.render(Kind::TagMessage, &ctx).unwrap();
        assert!(
            system.contains("release notes for annotated git tags"),
            "{system}"
        );
        assert!(user.contains("3 commits since v0.1.0"), "{user}");
        assert!(user.contains("`Release core-utils {VERSION}`"), "{user}");
        assert!(user.contains("`Changes since {PREV_VERSION}:`"), "{user}");
        assert!(user.contains("Cut to fit 1000 bytes: big.py.\n"), "{user}");
    }

    #[test]
    fn user_templates_override_and_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let prompts_dir = dir.path().join(PROMPTS_DIR);
        std::fs::create_dir_all(&prompts_dir).unwrap();
        std::fs::write(
            prompts_dir.join("commit_message.j2"),
            "Commit for {{ package }}:\n{{ changes }}",
        )
        .unwrap();
        let prompts = Prompts::load(dir.path()).unwrap();
        assert_eq!(
            prompts.overrides(),
            ["release_tool/prompts/commit_message.j2"]
        );
        let (_, user) = prompts.render(Kind::CommitMessage, &commit_ctx()).unwrap();
        assert_eq!(user, "Commit for core-utils:\ndiff --git a/x b/x\n+x\n");

        std::fs::write(prompts_dir.join("system.j2"), "ok\n{% if %}\n").unwrap();
        let err = Prompts::load(dir.path()).unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.starts_with("Prompt template release_tool/prompts/system.j2:2: syntax error"),
            "{text}"
        );
        assert_eq!(
            crate::core::error::classify(&err).0,
            crate::core::error::ExitKind::Usage
        );

        std::fs::write(prompts_dir.join("system.j2"), "{{ no_such_variable }}").unwrap();
        let prompts = Prompts::load(dir.path()).unwrap();
        let err = prompts
            .render(Kind::CommitMessage, &commit_ctx())
            .unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains("release_tool/prompts/system.j2:1: undefined value"),
            "{text}"
        );
    }

    #[test]
    fn the_docs_show_the_built_in_templates() {
        let docs = include_str!("../../docs/llm.md");
        for t in [DEFAULT_SYSTEM, DEFAULT_COMMIT_MESSAGE, DEFAULT_TAG_MESSAGE] {
            assert!(docs.contains(t), "docs/llm.md is missing:\n{t}");
        }
    }
}
