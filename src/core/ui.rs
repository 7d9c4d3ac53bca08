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

/// Pretty JSON on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", redact(&text))?;
    Ok(())
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

/// Render rows as an aligned table without borders (lines right-trimmed).
pub fn render_table(
    headers: &[&str],
    rows: impl IntoIterator<Item = Vec<Cell>>,
    styled: bool,
) -> String {
    use comfy_table::{Attribute, Color, ContentArrangement, Table};
    let mut table = Table::new();
    table
        .load_style(comfy_table::presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled);
    if styled {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    table.set_header(
        headers
            .iter()
            .map(|h| comfy_table::Cell::new(h.to_uppercase()).add_attribute(Attribute::Bold)),
    );
    for row in rows {
        table.add_row(row.into_iter().map(|c| {
            let cell = comfy_table::Cell::new(&c.text);
            match c.kind {
                CellKind::Plain => cell,
                CellKind::Strong => cell.add_attribute(Attribute::Bold),
                CellKind::Warning => cell.fg(Color::Yellow),
                CellKind::Error => cell.fg(Color::Red),
            }
        }));
    }
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    table
        .lines()
        .map(|l| l.trim_end().to_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Print a table on stdout.
pub fn print_table(headers: &[&str], rows: impl IntoIterator<Item = Vec<Cell>>) {
    let text = render_table(headers, rows, stdout_styled());
    let mut out = anstream::stdout().lock();
    let _ = writeln!(out, "{}", redact(&text));
}
