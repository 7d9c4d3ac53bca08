//! The command-line reference in Markdown, generated from the clap command tree
//! (`release_tool::cli::Cli`): an index (`docs/cli/README.md`: the global options once, every
//! command with its alias) and one page per command (`docs/cli/<command>.md`: about, usage,
//! arguments, options with their values and defaults, subcommands). The committed pages are kept
//! equal to this output by a test; `UPDATE_DOCS=1 cargo test --test cli clidoc` rewrites them.
//! The docs tests: every `release-tool …` line of README.md and docs/ parses with the real
//! command line, and every `[tool.release_tool]` TOML example with the real configuration parser.
//!
//! Test code only: it lives here, not in the library, so the release binary does not carry it.

use std::fmt::Write as _;
use std::path::Path;

/// Where the pages live, relative to the repository.
const DIR: &str = "docs/cli";

/// The banner under each page's title.
const GENERATED: &str = "<!-- Generated from the command line (src/cli/); do not edit. \
Regenerate with `UPDATE_DOCS=1 cargo test --test cli clidoc`. -->";

/// Every page: (file name, Markdown), the index first.
fn pages() -> Vec<(String, String)> {
    let cmd = release_tool::cli::command();
    let mut pages = vec![("README.md".to_owned(), index(&cmd))];
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        pages.push((format!("{}.md", sub.get_name()), page(sub)));
    }
    pages
}

fn index(cmd: &clap::Command) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# release-tool command-line reference\n\n{GENERATED}\n"
    );
    push_paragraphs(&mut out, cmd.get_long_about().or(cmd.get_about()));
    let _ = writeln!(
        out,
        "The narrative guide is [../commands.md](../commands.md); this reference lists every \
         command, argument and option exactly as `release-tool --help` does.\n"
    );
    let _ = writeln!(out, "## Usage\n\n```text\n{}\n```\n", usage(cmd));
    let _ = writeln!(
        out,
        "## Global options\n\nAccepted before or after a command's name \
         (`release-tool --json status` = `release-tool status --json`) by every command they \
         mean something to. A command that does not use one hides it from its help and refuses \
         it, saying why (`status --dry-run`: it changes nothing; `sync -p NAME`: an environment \
         is installed whole); its page lists them under *Not used here*.\n"
    );
    let globals: Vec<&clap::Arg> = cmd
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !a.is_positional())
        .collect();
    push_args(&mut out, &globals);
    let _ = writeln!(
        out,
        "## Commands\n\n| command | alias | what it does |\n|---|---|---|"
    );
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        let name = sub.get_name();
        let aliases: Vec<String> = sub
            .get_visible_aliases()
            .map(|a| format!("`{a}`"))
            .collect();
        let _ = writeln!(
            out,
            "| [`{name}`]({name}.md) | {} | {} |",
            aliases.join(", "),
            escape_cell(&first_line(sub.get_about()))
        );
    }
    out.push('\n');
    if let Some(after) = cmd.get_after_long_help().or(cmd.get_after_help()) {
        push_paragraphs(&mut out, Some(after));
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

fn page(cmd: &clap::Command) -> String {
    let mut out = String::new();
    let bin = cmd.get_bin_name().unwrap_or(cmd.get_name());
    let _ = writeln!(out, "# {bin}\n\n{GENERATED}\n");
    body(&mut out, cmd, 2);
    let _ = writeln!(
        out,
        "Global options (`-C`, `-p`, `--dry-run`, `--json`, `-j`, `-q`, `-v`, `--color`): see \
         [the index](README.md#global-options)."
    );
    let not_used: Vec<String> = release_tool::cli::NOT_USED
        .iter()
        .filter(|(sub, ..)| *sub == cmd.get_name())
        .map(|(_, id, why)| {
            let arg = cmd
                .get_arguments()
                .find(|a| a.get_id() == *id)
                .expect("a refused flag exists");
            let long = arg.get_long().expect("global flags are long");
            format!("`--{long}` ({why})")
        })
        .collect();
    if !not_used.is_empty() {
        let _ = writeln!(
            out,
            "\n*Not used here* (refused with that reason): {}.",
            not_used.join("; ")
        );
    }
    out
}

/// About, aliases, usage, arguments, options and subcommands of `cmd`, headings at `level`.
fn body(out: &mut String, cmd: &clap::Command, level: usize) {
    let h = "#".repeat(level);
    push_paragraphs(out, cmd.get_long_about().or(cmd.get_about()));
    let aliases: Vec<String> = cmd
        .get_visible_aliases()
        .map(|a| format!("`{a}`"))
        .collect();
    if !aliases.is_empty() {
        let _ = writeln!(out, "Alias: {}.\n", aliases.join(", "));
    }
    let _ = writeln!(out, "{h} Usage\n\n```text\n{}\n```\n", usage(cmd));
    let own: Vec<&clap::Arg> = cmd
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !a.is_global_set() && !is_builtin(a))
        .collect();
    let positionals: Vec<&clap::Arg> = own.iter().copied().filter(|a| a.is_positional()).collect();
    let options: Vec<&clap::Arg> = own.iter().copied().filter(|a| !a.is_positional()).collect();
    if !positionals.is_empty() {
        let _ = writeln!(out, "{h} Arguments\n");
        push_args(out, &positionals);
    }
    if !options.is_empty() {
        let _ = writeln!(out, "{h} Options\n");
        push_args(out, &options);
    }
    if let Some(after) = cmd.get_after_long_help().or(cmd.get_after_help()) {
        let _ = writeln!(out, "{h} Notes\n");
        push_paragraphs(out, Some(after));
    }
    let subs: Vec<&clap::Command> = cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
        .collect();
    for sub in subs {
        let bin = sub.get_bin_name().unwrap_or(sub.get_name());
        let _ = writeln!(out, "{h} `{bin}`\n");
        body(out, sub, level + 1);
    }
}

/// `-h`/`--help` and `-V`/`--version`, which every command has.
fn is_builtin(arg: &clap::Arg) -> bool {
    matches!(arg.get_id().as_str(), "help" | "version")
}

/// `release-tool status [OPTIONS]`: clap's usage line without its `Usage: ` label.
fn usage(cmd: &clap::Command) -> String {
    let text = cmd.clone().render_usage().to_string();
    text.strip_prefix("Usage: ")
        .unwrap_or(&text)
        .trim_end()
        .to_owned()
}

/// One list item per argument: its spelling, then its help, values, default and variable.
fn push_args(out: &mut String, args: &[&clap::Arg]) {
    for arg in args {
        let help = arg
            .get_long_help()
            .or(arg.get_help())
            .map(ToString::to_string)
            .unwrap_or_default();
        let mut paragraphs: Vec<String> = help
            .split("\n\n")
            .map(|p| sentence(&p.split_whitespace().collect::<Vec<_>>().join(" ")))
            .filter(|p| !p.is_empty())
            .collect();
        let mut facts = Vec::new();
        if arg.is_required_set() {
            facts.push("Required.".to_owned());
        }
        let values: Vec<clap::builder::PossibleValue> = if arg.is_hide_possible_values_set() {
            Vec::new()
        } else {
            arg.get_possible_values()
                .into_iter()
                .filter(|v| !v.is_hide_set())
                .collect()
        };
        let takes_value = arg.get_action().takes_values();
        if takes_value && !values.is_empty() {
            let listed: Vec<String> = values
                .iter()
                .map(|v| match v.get_help() {
                    Some(h) => format!("`{}` ({})", v.get_name(), trim_period(&h.to_string())),
                    None => format!("`{}`", v.get_name()),
                })
                .collect();
            facts.push(format!("Values: {}.", listed.join(", ")));
        }
        let defaults: Vec<String> = arg
            .get_default_values()
            .iter()
            .map(|d| format!("`{}`", d.to_string_lossy()))
            .collect();
        if takes_value && !defaults.is_empty() && !arg.is_hide_default_value_set() {
            facts.push(format!("Default: {}.", defaults.join(", ")));
        }
        if let Some(env) = arg.get_env()
            && !arg.is_hide_env_set()
        {
            facts.push(format!("Environment: `{}`.", env.to_string_lossy()));
        }
        if !facts.is_empty() {
            paragraphs.push(facts.join(" "));
        }
        let _ = write!(out, "- `{}`", spelling(arg));
        match paragraphs.split_first() {
            Some((first, rest)) => {
                let _ = writeln!(out, ": {first}");
                for p in rest {
                    let _ = writeln!(out, "\n  {p}");
                }
            }
            None => out.push('\n'),
        }
    }
    out.push('\n');
}

/// `-p, --package <NAME>`, `--dry-run`, `<CMD>...`.
fn spelling(arg: &clap::Arg) -> String {
    let names: Vec<String> = arg.get_value_names().map_or_else(
        || vec![arg.get_id().as_str().to_uppercase()],
        |v| v.iter().map(ToString::to_string).collect(),
    );
    let multiple = arg
        .get_num_args()
        .is_some_and(|r| r.max_values() > 1 && names.len() == 1);
    let mut value = names
        .iter()
        .map(|n| format!("<{n}>"))
        .collect::<Vec<_>>()
        .join(" ");
    if multiple {
        value.push_str("...");
    }
    if arg.is_positional() {
        // As clap's usage line spells it: `<CMD>...`, `[MODE]`, `[NAMES]...`.
        let dots = if multiple { "..." } else { "" };
        let names = names.join(" ");
        return if arg.is_required_set() {
            format!("<{names}>{dots}")
        } else {
            format!("[{names}]{dots}")
        };
    }
    let mut flag = String::new();
    if let Some(short) = arg.get_short() {
        let _ = write!(flag, "-{short}");
    }
    if let Some(long) = arg.get_long() {
        if !flag.is_empty() {
            flag.push_str(", ");
        }
        let _ = write!(flag, "--{long}");
    }
    if arg.get_action().takes_values() {
        let _ = write!(flag, " {value}");
    }
    flag
}

fn push_paragraphs(out: &mut String, text: Option<&clap::builder::StyledStr>) {
    let Some(text) = text else { return };
    for p in text.to_string().split("\n\n") {
        let p = p.trim_end();
        if p.is_empty() {
            continue;
        }
        // Lines that clap keeps apart (an indented example, a list) stay a block of their own.
        if p.lines().skip(1).any(|l| l.starts_with("  ")) {
            let _ = writeln!(out, "```text\n{p}\n```\n");
        } else {
            let _ = writeln!(
                out,
                "{}\n",
                sentence(&p.split_whitespace().collect::<Vec<_>>().join(" "))
            );
        }
    }
}

/// clap drops the final period of a one-line help; prose wants it back.
fn sentence(text: &str) -> String {
    let mut t = text.to_owned();
    if t.ends_with(|c: char| c.is_alphanumeric() || c == ')' || c == '`') {
        t.push('.');
    }
    t
}

fn first_line(text: Option<&clap::builder::StyledStr>) -> String {
    text.map(|t| t.to_string().lines().next().unwrap_or("").to_owned())
        .unwrap_or_default()
}

fn trim_period(text: &str) -> String {
    let mut t = text.trim().to_owned();
    if t.ends_with('.') {
        t.pop();
    }
    let mut chars = t.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => t,
    }
}

fn escape_cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// Every `release-tool …` command line the Markdown `text` shows, in code blocks and inline
/// code: the words after `release-tool`, up to the end of the shell command (`|`, `&&`, `;`,
/// `>`, a comment, the end of the code span). Synopses (`[ARGS]`, `<COMMAND>`, `...`) are left out.
fn command_lines(text: &str) -> Vec<(usize, Vec<String>)> {
    let mut found = Vec::new();
    // `Some(language)` inside a fenced block.
    let mut block: Option<String> = None;
    for (n, line) in text.lines().enumerate() {
        if let Some(fence) = line.trim_start().strip_prefix("```") {
            block = match block {
                Some(_) => None,
                None => Some(fence.trim().to_owned()),
            };
            continue;
        }
        // In a console block, `$ ` lines are commands and the rest is output, where only code
        // spans (a hint's `release-tool lock prod`) are commands.
        let output = block.as_deref() == Some("console") && !line.starts_with("$ ");
        let spans: Vec<&str> = if block.is_some() && !output {
            // A comment names the tool in prose ("# Build release-tool and ...").
            let code = match line.find(" #") {
                _ if line.trim_start().starts_with('#') => "",
                Some(at) => &line[..at],
                None => line,
            };
            vec![code]
        } else {
            line.split('`').skip(1).step_by(2).collect()
        };
        for span in spans {
            let mut from = 0;
            while let Some(at) = span[from..].find("release-tool ").map(|i| from + i) {
                let before = &span[..at];
                let rest = &span[at + "release-tool ".len()..];
                from = at + "release-tool ".len();
                // A word ending in release-tool, or words inside a quoted string (a commit
                // message, a requirement `'release-tool @ URL'`), are not a command.
                let quoted = |q: char| before.matches(q).count() % 2 == 1;
                if before.ends_with(|c: char| c.is_alphanumeric() || "-_/.".contains(c))
                    || quoted('\'')
                    || quoted('"')
                {
                    continue;
                }
                if let Some(words) = shell_words(rest) {
                    found.push((n + 1, words));
                }
            }
        }
    }
    found
}

/// Split the start of a shell command line into words (quotes and backslashes as sh does);
/// `None` for a synopsis.
fn shell_words(text: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = text.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '\'' | '"') => {
                quote = Some(c);
                word.get_or_insert_with(String::new);
            }
            (None, '\\') => {
                if let Some(next) = chars.next() {
                    word.get_or_insert_with(String::new).push(next);
                }
            }
            (None, c) if c.is_whitespace() => {
                if let Some(w) = word.take() {
                    words.push(w);
                }
            }
            (None, '|' | '&' | ';' | '>' | '`' | ')') => break,
            (None, '#') if word.is_none() => break,
            // Inside quotes, and any other character outside them.
            (_, c) => word.get_or_insert_with(String::new).push(c),
        }
    }
    if let Some(w) = word {
        words.push(w);
    }
    let synopsis = words.is_empty()
        || words.iter().any(|w| {
            w.starts_with('[') || w.starts_with('<') || w.contains("...") || w.contains('…')
        });
    (!synopsis).then_some(words)
}

/// Every `release-tool …` line in README.md and docs/ parses with the real command line:
/// no page names a command, flag or value that does not exist. A line may leave out a
/// required argument (prose says `release-tool new` for the command), nothing else.
#[test]
fn docs_name_only_real_commands_and_flags() {
    use clap::error::ErrorKind;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    for dir in ["docs", DIR] {
        let mut pages: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "md"))
            .collect();
        pages.sort();
        files.extend(pages);
    }
    let mut checked = 0;
    let mut bad = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (line, words) in command_lines(&text) {
            checked += 1;
            let argv = std::iter::once("release-tool".to_owned()).chain(words.iter().cloned());
            if let Err(e) = release_tool::cli::parse_from(argv) {
                let fine = matches!(
                    e.kind(),
                    ErrorKind::DisplayHelp
                        | ErrorKind::DisplayVersion
                        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
                        | ErrorKind::MissingRequiredArgument
                        | ErrorKind::MissingSubcommand
                );
                if !fine {
                    let shown = file.strip_prefix(root).unwrap_or(file).display();
                    let first = e.to_string().lines().next().unwrap_or("").to_owned();
                    bad.push(format!(
                        "{shown}:{line}: release-tool {}: {first}",
                        words.join(" ")
                    ));
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "{} bad command lines:\n{}",
        bad.len(),
        bad.join("\n")
    );
    assert!(checked > 90, "only {checked} command lines found");
}

/// Every TOML code block of README.md and docs/ that configures release-tool
/// (`[tool.release_tool…]`) is accepted by the real configuration parser: no example names
/// a key or value that does not exist.
#[test]
fn docs_configuration_examples_are_valid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    let mut pages: Vec<_> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    pages.sort();
    files.extend(pages);
    let mut checked = 0;
    let mut bad = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let mut block: Option<(usize, String)> = None;
        for (n, line) in text.lines().enumerate() {
            let fence = line.trim_start();
            match &mut block {
                None if fence == "```toml" => block = Some((n + 2, String::new())),
                Some((start, body)) if fence == "```" => {
                    if body.contains("[tool.release_tool") {
                        checked += 1;
                        let shown = file.strip_prefix(root).unwrap_or(file);
                        let at = Path::new("pyproject.toml");
                        if let Err(e) = release_tool::config::parse_pyproject(at, body) {
                            bad.push(format!("{}:{start}: {e:#}", shown.display()));
                        }
                    }
                    block = None;
                }
                Some((_, body)) => {
                    body.push_str(line.trim_start_matches(' '));
                    body.push('\n');
                }
                None => {}
            }
        }
    }
    assert!(
        bad.is_empty(),
        "{} bad examples:\n{}",
        bad.len(),
        bad.join("\n")
    );
    assert!(checked > 10, "only {checked} configuration examples found");
}

#[test]
fn command_lines_are_found_in_blocks_and_spans() {
    let text = "Run `release-tool status --json | jq` or `release-tool sync [dev|prod]`.\n\
                ```console\n$ release-tool -C \"/tmp/a b\" release --dry-run   # look first\n\
                warning: release-tool does not write it; run `release-tool lock prod`\n```\n\
                ```sh\nuvx --from . release-tool --help && release-tool man > x\n\
                git commit -m \"ci: release-tool workflows\"\n\
                release-tool-stage0\n# Build release-tool and run it\n```\n";
    let found: Vec<(usize, String)> = command_lines(text)
        .into_iter()
        .map(|(n, w)| (n, w.join(" ")))
        .collect();
    assert_eq!(
        found,
        [
            (1, "status --json".to_owned()),
            (3, "-C /tmp/a b release --dry-run".to_owned()),
            (4, "lock prod".to_owned()),
            (7, "--help".to_owned()),
            (7, "man".to_owned()),
        ]
    );
}

/// `docs/cli/` is exactly what [`pages`] renders: no page stale, none missing, none
/// left over from a removed command. `UPDATE_DOCS=1` rewrites the directory instead.
#[test]
fn committed_cli_reference_is_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(DIR);
    let pages = pages();
    let update = std::env::var_os("UPDATE_DOCS").is_some_and(|v| v == "1");
    let existing: Vec<String> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| {
                    Path::new(n)
                        .extension()
                        .is_some_and(|e| e.eq_ignore_ascii_case("md"))
                })
                .collect()
        })
        .unwrap_or_default();
    if update {
        std::fs::create_dir_all(&dir).unwrap();
        for name in &existing {
            if !pages.iter().any(|(n, _)| n == name) {
                std::fs::remove_file(dir.join(name)).unwrap();
            }
        }
        for (name, text) in &pages {
            std::fs::write(dir.join(name), text).unwrap();
        }
        return;
    }
    let mut problems = Vec::new();
    for (name, text) in &pages {
        match std::fs::read_to_string(dir.join(name)) {
            Ok(committed) if committed == *text => {}
            Ok(_) => problems.push(format!("{name} is stale")),
            Err(_) => problems.push(format!("{name} is missing")),
        }
    }
    for name in &existing {
        if !pages.iter().any(|(n, _)| n == name) {
            problems.push(format!("{name} documents no command"));
        }
    }
    assert!(
        problems.is_empty(),
        "{}/: {}; run `UPDATE_DOCS=1 cargo test --test cli clidoc` and commit the result",
        DIR,
        problems.join(", ")
    );
}

#[test]
fn every_command_has_a_page_with_its_usage() {
    let pages = pages();
    let status = &pages.iter().find(|(n, _)| n == "status.md").unwrap().1;
    assert!(status.starts_with("# release-tool status\n"), "{status}");
    assert!(
        status.contains("```text\nrelease-tool status [OPTIONS]\n```"),
        "{status}"
    );
    assert!(status.contains("- `--fetch`: "), "{status}");
    // Global options are on the index only.
    assert!(!status.contains("--dry-run`:"), "{status}");
    let index = &pages[0].1;
    assert!(index.contains("- `--color <WHEN>`: "), "{index}");
    assert!(
        index.contains("| [`prepare`](prepare.md) | `stage4` |"),
        "{index}"
    );
    let prepare = &pages.iter().find(|(n, _)| n == "prepare.md").unwrap().1;
    assert!(prepare.contains("Default: `auto`."), "{prepare}");
    assert!(prepare.contains("Alias: `stage4`."), "{prepare}");
    let config = &pages.iter().find(|(n, _)| n == "config.md").unwrap().1;
    assert!(config.contains("## `release-tool config show`"), "{config}");
}
