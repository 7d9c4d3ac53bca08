//! Output conventions (docs/reference.md §5): data (tables, JSON) on stdout; notes, warnings, hints and
//! errors on stderr. Colour only on a terminal or with `CLICOLOR_FORCE`, never with `NO_COLOR`
//! (which wins over `CLICOLOR_FORCE`); `--color always|never` wins over both. anstream strips
//! styles where they are not wanted. Progress bars ([`Progress`]) only on a terminal. Everything
//! written here goes through [`crate::core::secrets::redact`]: no token or key is ever printed.

use std::io::{IsTerminal as _, Write as _};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI8, Ordering};
use std::time::{Duration, Instant};

use owo_colors::{OwoColorize as _, Style};

use crate::core::secrets::redact;

static VERBOSITY: AtomicI8 = AtomicI8::new(0);

/// Set colour and verbosity for the process (`-q` lowers, `-v` raises).
/// When to colour output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour on a terminal, unless `NO_COLOR` is set.
    #[default]
    Auto,
    Always,
    Never,
}

pub fn init(color: ColorChoice, verbosity: i8) {
    let choice = match color {
        ColorChoice::Auto => anstream::ColorChoice::Auto,
        ColorChoice::Always => anstream::ColorChoice::Always,
        ColorChoice::Never => anstream::ColorChoice::Never,
    };
    choice.write_global();
    VERBOSITY.store(verbosity, Ordering::Relaxed);
}

/// The verbosity: negative with `-q`, positive with `-v`.
pub fn verbosity() -> i8 {
    VERBOSITY.load(Ordering::Relaxed)
}

/// Whether stdout gets colours.
pub fn stdout_styled() -> bool {
    anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
}

fn emit(label: &str, style: Style, message: &str) {
    let message = redact(message);
    suspended(|| {
        let mut err = anstream::stderr().lock();
        let _ = writeln!(err, "{}{} {message}", label.style(style), ":".style(style));
    });
}

/// An informational line on stderr (hidden by `-q`).
pub fn note(message: &str) {
    if verbosity() >= 0 {
        let message = redact(message);
        suspended(|| {
            let mut err = anstream::stderr().lock();
            let _ = writeln!(err, "{message}");
        });
    }
}

/// A warning on stderr (hidden by `-qq`).
pub fn warn(message: &str) {
    if verbosity() >= -1 {
        emit("warning", Style::new().yellow().bold(), message);
    }
}

/// A heading on stderr that opens a block of output, `── title ──` (hidden by `-q`).
pub fn section(title: &str) {
    if verbosity() >= 0 {
        let title = redact(title);
        suspended(|| {
            let mut err = anstream::stderr().lock();
            let _ = writeln!(
                err,
                "{}",
                format!("── {title} ──").style(Style::new().bold())
            );
        });
    }
}

/// A closing summary on stderr: a note when all went well (hidden by `-q`); when something
/// failed, always shown, in red.
pub fn summary(message: &str, failed: bool) {
    if failed {
        let message = redact(message);
        suspended(|| {
            let mut err = anstream::stderr().lock();
            let _ = writeln!(err, "{}", message.style(Style::new().red().bold()));
        });
    } else {
        note(message);
    }
}

/// What to do next, on stderr (hidden by `-q`).
pub fn hint(message: &str) {
    if verbosity() >= 0 {
        emit("hint", Style::new().cyan().bold(), message);
    }
}

/// What a command checked and how long it took, said after its output with `-v` (docs/commands.md,
/// "Output conventions"): the command's phases are timed as they end ([`Timings::phase`]) and
/// [`Timings::report`] prints one line on stderr, e.g. `Read 3 packages in 0.26 s: 3 from the
/// status cache, 0 with git status (discover 4 ms, read 250 ms, render 1 ms)`. Nothing without
/// `-v`.
#[derive(Debug)]
pub struct Timings {
    start: Instant,
    last: Instant,
    phases: Vec<(&'static str, Duration)>,
}

impl Default for Timings {
    fn default() -> Self {
        Self::start()
    }
}

impl Timings {
    /// Start timing now (the first phase starts too).
    pub fn start() -> Self {
        let now = Instant::now();
        Self {
            start: now,
            last: now,
            phases: Vec::new(),
        }
    }

    /// The phase `name` ends now (it began where the previous one ended).
    pub fn phase(&mut self, name: &'static str) {
        let now = Instant::now();
        self.phases.push((name, now - self.last));
        self.last = now;
    }

    /// The line [`Timings::report`] prints: `what` (e.g. `Read 3 packages`), the time since
    /// the start, the `details` (what was checked) and the phases.
    pub fn line(&self, what: &str, details: &str) -> String {
        let mut line = format!("{what} in {}", duration(self.start.elapsed()));
        if !details.is_empty() {
            line.push_str(": ");
            line.push_str(details);
        }
        if !self.phases.is_empty() {
            let phases: Vec<String> = self
                .phases
                .iter()
                .map(|(name, d)| format!("{name} {}", duration(*d)))
                .collect();
            line.push_str(" (");
            line.push_str(&phases.join(", "));
            line.push(')');
        }
        line
    }

    /// With `-v`: [`Timings::line`] on stderr.
    pub fn report(&self, what: &str, details: &str) {
        if verbosity() >= 1 {
            let line = self.line(what, details);
            let line = redact(&line);
            suspended(|| {
                let mut err = anstream::stderr().lock();
                let _ = writeln!(err, "{line}");
            });
        }
    }
}

/// A duration as people read it: `12 ms` below a second, else `1.25 s`.
pub fn duration(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

/// An error on stderr (always shown).
pub fn error(message: &str) {
    emit("error", Style::new().red().bold(), message);
}

/// The progress bar on screen, if any: lines written to stderr meanwhile clear it first and
/// redraw it after, so it never tears them.
static ACTIVE_BAR: Mutex<Option<indicatif::ProgressBar>> = Mutex::new(None);

/// Run `f` with the progress bar (if one is on screen) cleared, and redraw it after: for
/// anything that writes to the terminal meanwhile (a line on stdout, a child's streamed output).
pub fn suspended<R>(f: impl FnOnce() -> R) -> R {
    let bar = ACTIVE_BAR.lock().ok().and_then(|b| b.clone());
    match bar {
        Some(bar) => bar.suspend(f),
        None => f(),
    }
}

/// How long work over many packages runs before its progress bar appears (1 s;
/// `RELEASE_TOOL_PROGRESS_DELAY_MS` changes it, for tests).
fn progress_delay() -> Duration {
    std::env::var("RELEASE_TOOL_PROGRESS_DELAY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(Duration::from_secs(1), Duration::from_millis)
}

/// A progress bar on stderr for work over many packages (`[3/12]`, a bar, the time taken).
/// Only on a terminal, never with `-q` or `-v` (whose log lines would tear it), never inside
/// another one; it appears once the work has taken about a second, and is cleared when done,
/// so quick commands and logs, pipes and CI output never see it.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    start: Instant,
    delay: Duration,
    shown: AtomicBool,
}

impl Progress {
    /// Start counting `len` items.
    pub fn start(len: usize) -> Self {
        let mut progress = Self {
            bar: None,
            start: Instant::now(),
            delay: progress_delay(),
            shown: AtomicBool::new(false),
        };
        if len < 2 || verbosity() != 0 || !std::io::stderr().is_terminal() {
            return progress;
        }
        let Ok(mut active) = ACTIVE_BAR.lock() else {
            return progress;
        };
        if active.is_some() {
            return progress;
        }
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(len as u64),
            indicatif::ProgressDrawTarget::hidden(),
        );
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{spinner} [{pos}/{len}] {wide_bar} {elapsed}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        *active = Some(bar.clone());
        progress.bar = Some(bar);
        progress
    }

    /// One item done.
    pub fn inc(&self) {
        let Some(bar) = &self.bar else { return };
        if self.start.elapsed() >= self.delay
            && self
                .shown
                .compare_exchange(false, true, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            bar.enable_steady_tick(Duration::from_millis(100));
        }
        bar.inc(1);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
            if let Ok(mut active) = ACTIVE_BAR.lock() {
                *active = None;
            }
        }
    }
}

/// The version of every `--json` document's shape (docs/commands.md, "JSON output"): a field
/// removed or changed in meaning raises it; a field added does not.
pub const JSON_SCHEMA_VERSION: u32 = 1;

/// The command `--json` documents name (`"command"`), set once by the dispatch.
static JSON_COMMAND: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Name the command whose `--json` documents this process prints (`status`, `sync`, ...).
pub fn set_json_command(name: &str) {
    let _ = JSON_COMMAND.set(name.to_owned());
}

/// One `--json` document: `schema_version` and `command` first, then the command's own fields
/// (`body` is a struct or a map; a list goes into a named field of one).
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct Document<T> {
    /// The shape's version: 1.
    #[schemars(range(min = 1, max = 1))]
    pub schema_version: u32,
    /// The command that printed it (`status`, `release`, `config`, ...).
    pub command: String,
    #[serde(flatten)]
    pub body: T,
}

/// A `--json` document on stdout: `body` (a struct or a map, never a list) under the envelope
/// [`Document`].
pub fn print_json<T: serde::Serialize>(body: &T) -> anyhow::Result<()> {
    let value = Document {
        schema_version: JSON_SCHEMA_VERSION,
        command: JSON_COMMAND.get().cloned().unwrap_or_default(),
        body,
    };
    let text = serde_json::to_string_pretty(&value)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", redact(&text))?;
    Ok(())
}

/// A `--json` document whose data is one list, under `field` (`packages`, `steps`, ...).
pub fn print_json_list<T: serde::Serialize>(field: &str, items: &[T]) -> anyhow::Result<()> {
    print_json(&std::collections::BTreeMap::from([(field, items)]))
}

/// Text (a rendered plan, a report) on stdout as it is, secrets masked.
pub fn print_text(text: &str) {
    let mut out = anstream::stdout().lock();
    let _ = write!(out, "{}", redact(text));
}

/// Generated text (a completion script, a manual page, a schema) on stdout as it is. A reader
/// that has gone (`release-tool man | head`) is not an error.
pub fn print_raw(data: &[u8]) -> anyhow::Result<()> {
    let data = crate::core::secrets::redact_bytes(data);
    let mut out = std::io::stdout().lock();
    match out.write_all(&data).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// A table cell with its emphasis.
pub struct Cell {
    text: String,
    kind: CellKind,
}

enum CellKind {
    Plain,
    Strong,
    Warning,
    Error,
}

impl Cell {
    pub fn plain(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            kind: CellKind::Plain,
        }
    }

    pub fn strong(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            kind: CellKind::Strong,
        }
    }

    pub fn warning(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            kind: CellKind::Warning,
        }
    }

    pub fn error(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            kind: CellKind::Error,
        }
    }
}

/// A table column and how it gives way when the table is wider than the terminal.
#[derive(Clone, Copy, Debug)]
pub struct Column<'a> {
    pub name: &'a str,
    /// 0: always shown. Otherwise the column is left out when the table does not fit, the
    /// highest number first.
    pub drop: u8,
    /// Its cells wrap at spaces to fit (continuation lines under the column); the cells of
    /// other columns are cut with `…` when nothing else helps.
    pub wrap: bool,
}

impl<'a> Column<'a> {
    /// Always shown, cut with `…` as a last resort.
    pub const fn keep(name: &'a str) -> Self {
        Self {
            name,
            drop: 0,
            wrap: false,
        }
    }

    /// Left out when the table does not fit (`order`: higher goes first).
    pub const fn droppable(name: &'a str, order: u8) -> Self {
        Self {
            name,
            drop: order,
            wrap: false,
        }
    }

    /// Always shown; its cells wrap.
    pub const fn wrapping(name: &'a str) -> Self {
        Self {
            name,
            drop: 0,
            wrap: true,
        }
    }
}

/// The width tables are fitted to: `COLUMNS` when set (a number of at least 20), else the
/// terminal's width when stdout is one, else none: a pipe keeps the full text.
pub fn table_width() -> Option<usize> {
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|n| *n >= 20);
    columns.or_else(|| {
        std::io::stdout()
            .is_terminal()
            .then(|| terminal_size::terminal_size().map(|(w, _)| usize::from(w.0)))
            .flatten()
            .filter(|n| *n >= 20)
    })
}

const GAP: usize = GAP_U16 as usize;
const GAP_U16: u16 = 2;
/// The narrowest a wrapping column is made, and a cut one.
const MIN_WRAP: usize = 24;
/// The width a wrapping column is given before other columns are left out for it.
const WRAP_WANTED: usize = 40;
const MIN_CUT: usize = 6;

fn text_width(s: &str) -> usize {
    s.lines()
        .map(unicode_width::UnicodeWidthStr::width)
        .max()
        .unwrap_or(0)
}

/// Wrap one line at spaces to `width` columns (a word longer than the width is split).
fn wrap_line(line: &str, width: usize, out: &mut Vec<String>) {
    use unicode_width::UnicodeWidthStr as _;
    let mut current = String::new();
    for word in line.split(' ') {
        let mut word = word.to_owned();
        loop {
            let sep = usize::from(!current.is_empty());
            if current.width() + sep + word.width() <= width {
                if sep == 1 {
                    current.push(' ');
                }
                current.push_str(&word);
                break;
            }
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
                continue;
            }
            // A word wider than the column: split it.
            let (head, tail) = split_at_width(&word, width);
            out.push(head);
            word = tail;
        }
    }
    out.push(current);
}

fn split_at_width(s: &str, width: usize) -> (String, String) {
    use unicode_width::UnicodeWidthChar as _;
    let mut w = 0;
    for (i, c) in s.char_indices() {
        w += c.width().unwrap_or(0);
        if w > width && i > 0 {
            return (s[..i].to_owned(), s[i..].to_owned());
        }
    }
    (s.to_owned(), String::new())
}

/// Cut a line to `width` columns, ending in `…` when cut.
fn cut_line(line: &str, width: usize) -> String {
    if text_width(line) <= width {
        return line.to_owned();
    }
    let (head, _) = split_at_width(line, width.saturating_sub(1).max(1));
    format!("{head}…")
}

/// Fit the cells to `width`: leave out droppable columns (highest `drop` first), then wrap the
/// wrapping columns, then cut the widest others. Returns the columns kept (indices).
/// A cell's lines (`\n`) are separate items (one problem per line); without a width they are
/// joined with `; ` so that every row stays one line for `grep`.
fn fit(columns: &[Column], rows: &mut [Vec<Cell>], width: Option<usize>) -> Vec<usize> {
    let mut shown: Vec<usize> = (0..columns.len()).collect();
    let Some(width) = width else {
        for cell in rows.iter_mut().flatten() {
            if cell.text.contains('\n') {
                cell.text = cell.text.lines().collect::<Vec<_>>().join("; ");
            }
        }
        return shown;
    };
    let natural = |i: usize, rows: &[Vec<Cell>]| {
        rows.iter()
            .filter_map(|r| r.get(i))
            .map(|c| text_width(&c.text))
            .chain([text_width(columns[i].name)])
            .max()
            .unwrap_or(0)
    };
    let mut widths: Vec<usize> = (0..columns.len()).map(|i| natural(i, rows)).collect();
    let total = |shown: &[usize], widths: &[usize]| {
        shown.iter().map(|&i| widths[i]).sum::<usize>() + GAP * shown.len().saturating_sub(1)
    };
    // 1. Leave out low-value columns until the others fit and the wrapping ones get a
    //    readable width (their natural width when that is less).
    let need = |shown: &[usize], widths: &[usize]| {
        shown
            .iter()
            .map(|&i| {
                if columns[i].wrap {
                    widths[i].min(WRAP_WANTED)
                } else {
                    widths[i]
                }
            })
            .sum::<usize>()
            + GAP * shown.len().saturating_sub(1)
    };
    while need(&shown, &widths) > width {
        let Some(pos) = shown
            .iter()
            .enumerate()
            .filter(|(_, i)| columns[**i].drop > 0)
            .max_by_key(|(pos, i)| (columns[**i].drop, *pos))
            .map(|(pos, _)| pos)
        else {
            break;
        };
        shown.remove(pos);
    }
    // 2. Wrap the wrapping columns into what the others leave.
    let wrapping: Vec<usize> = shown.iter().copied().filter(|&i| columns[i].wrap).collect();
    if total(&shown, &widths) > width && !wrapping.is_empty() {
        let fixed: usize = shown
            .iter()
            .filter(|&&i| !columns[i].wrap)
            .map(|&i| widths[i])
            .sum::<usize>()
            + GAP * shown.len().saturating_sub(1);
        let share = (width.saturating_sub(fixed) / wrapping.len()).max(MIN_WRAP);
        for &i in &wrapping {
            if widths[i] > share {
                for row in rows.iter_mut() {
                    if let Some(cell) = row.get_mut(i) {
                        let mut lines = Vec::new();
                        for line in cell.text.lines() {
                            wrap_line(line, share, &mut lines);
                        }
                        cell.text = lines.join("\n");
                    }
                }
                widths[i] = natural(i, rows);
            }
        }
    }
    // 3. Cut the widest of the others until it fits (or nothing is left to cut).
    while total(&shown, &widths) > width {
        let Some(&i) = shown
            .iter()
            .filter(|&&i| !columns[i].wrap && widths[i] > MIN_CUT)
            .max_by_key(|&&i| widths[i])
        else {
            break;
        };
        let over = total(&shown, &widths) - width;
        let to = widths[i].saturating_sub(over).max(MIN_CUT);
        for row in rows.iter_mut() {
            if let Some(cell) = row.get_mut(i) {
                cell.text = cell
                    .text
                    .lines()
                    .map(|l| cut_line(l, to))
                    .collect::<Vec<_>>()
                    .join("\n");
            }
        }
        widths[i] = natural(i, rows).min(to);
    }
    shown
}

/// Render rows as an aligned table without borders (lines right-trimmed), fitted to `width`
/// (see [`fit`]; `None`: the full text).
pub fn render_columns(
    columns: &[Column],
    rows: impl IntoIterator<Item = Vec<Cell>>,
    styled: bool,
    width: Option<usize>,
) -> String {
    use comfy_table::{Attribute, Color, ContentArrangement, Table};
    let mut rows: Vec<Vec<Cell>> = rows.into_iter().collect();
    let shown = fit(columns, &mut rows, width);
    let mut table = Table::new();
    table
        .load_style(comfy_table::presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled);
    if styled {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    table.set_header(shown.iter().map(|&i| {
        comfy_table::Cell::new(columns[i].name.to_uppercase()).add_attribute(Attribute::Bold)
    }));
    for row in rows {
        let mut row: Vec<Option<Cell>> = row.into_iter().map(Some).collect();
        table.add_row(
            shown
                .iter()
                .filter_map(|&i| row.get_mut(i)?.take())
                .map(|c| {
                    let cell = comfy_table::Cell::new(&c.text);
                    match c.kind {
                        CellKind::Plain => cell,
                        CellKind::Strong => cell.add_attribute(Attribute::Bold),
                        CellKind::Warning => cell.fg(Color::Yellow),
                        CellKind::Error => cell.fg(Color::Red),
                    }
                }),
        );
    }
    for column in table.column_iter_mut() {
        column.set_padding((0, GAP_U16));
    }
    table
        .lines()
        .map(|l| l.trim_end().to_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Render rows as an aligned table: every column kept, the last one wrapping (see
/// [`render_columns`]).
pub fn render_table(
    headers: &[&str],
    rows: impl IntoIterator<Item = Vec<Cell>>,
    styled: bool,
    width: Option<usize>,
) -> String {
    render_columns(&default_columns(headers), rows, styled, width)
}

fn default_columns<'a>(headers: &[&'a str]) -> Vec<Column<'a>> {
    let last = headers.len().saturating_sub(1);
    headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            if i == last {
                Column::wrapping(h)
            } else {
                Column::keep(h)
            }
        })
        .collect()
}

/// Print a table on stdout, fitted to [`table_width`].
pub fn print_columns(columns: &[Column], rows: impl IntoIterator<Item = Vec<Cell>>) {
    let text = render_columns(columns, rows, stdout_styled(), table_width());
    let mut out = anstream::stdout().lock();
    let _ = writeln!(out, "{}", redact(&text));
}

/// Print a table on stdout.
pub fn print_table(headers: &[&str], rows: impl IntoIterator<Item = Vec<Cell>>) {
    print_columns(&default_columns(headers), rows);
}

#[cfg(test)]
mod tests {
    use super::{Cell, Column, render_columns};

    fn table(width: Option<usize>) -> String {
        let columns = [
            Column::keep("name"),
            Column::droppable("path", 2),
            Column::droppable("remote", 1),
            Column::wrapping("problems"),
        ];
        let rows = vec![
            vec![
                Cell::strong("core-utils"),
                Cell::plain("packages/core-utils"),
                Cell::plain("↑1 ↓0"),
                Cell::error(
                    "not pinned in staging (it has no tag yet)\nfetch failed: fatal: could not read from remote repository",
                ),
            ],
            vec![
                Cell::strong("a"),
                Cell::plain("packages/a"),
                Cell::plain("="),
                Cell::plain(""),
            ],
        ];
        render_columns(&columns, rows, false, width)
    }

    fn widest(text: &str) -> usize {
        text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
    }

    #[test]
    fn a_pipe_keeps_every_column_and_one_line_per_row() {
        let t = table(None);
        assert_eq!(t.lines().count(), 3, "{t}");
        assert!(t.contains("packages/core-utils"), "{t}");
        assert!(
            t.contains(
                "(it has no tag yet); fetch failed: fatal: could not read from remote repository"
            ),
            "{t}"
        );
    }

    #[test]
    fn a_narrow_terminal_drops_low_value_columns_first_then_wraps() {
        let t = table(Some(80));
        assert!(widest(&t) <= 80, "{t}");
        assert!(
            !t.contains("PATH"),
            "the droppable column with the highest order goes first: {t}"
        );
        assert!(t.contains("REMOTE"), "{t}");
        // One problem per line, each starting under the column.
        let col = t.lines().next().unwrap().find("PROBLEMS").unwrap();
        assert!(
            t.lines()
                .any(|l| l.get(col..).is_some_and(|r| r.starts_with("fetch failed"))),
            "{t}"
        );
        let t = table(Some(40));
        assert!(widest(&t) <= 40, "{t}");
        assert!(!t.contains("REMOTE"), "{t}");
        assert!(t.contains("core-utils"), "{t}");
    }

    #[test]
    fn a_wide_terminal_changes_nothing() {
        let t = table(Some(200));
        assert!(t.contains("PATH") && t.contains("REMOTE"), "{t}");
        assert!(
            t.contains("(it has no tag yet)\n"),
            "one problem per line on a terminal: {t}"
        );
        assert_eq!(t.lines().count(), 4, "{t}");
    }

    #[test]
    fn cells_of_kept_columns_are_cut_with_an_ellipsis_as_a_last_resort() {
        let columns = [Column::keep("name"), Column::keep("value")];
        let rows = vec![vec![
            Cell::plain("x".repeat(50)),
            Cell::plain("y".repeat(50)),
        ]];
        let t = render_columns(&columns, rows, false, Some(40));
        assert!(widest(&t) <= 40, "{t}");
        assert!(t.contains('…'), "{t}");
    }
}
