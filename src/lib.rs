//! release-tool: the whole life of a Python product built from many micro-packages.
//!
//! The binary is a thin shell over this library, cut into layers, one folder each; a layer uses
//! only the layers before it in this list (docs/development.md, "Layout", checked by
//! `tests/cli/architecture.rs`):
//! - [`core`](crate::core): errors, text, atomic files, safety checks, secrets, parallel maps, output
//!   conventions ([`core::ui`](crate::core::ui): stdout for data, stderr for everything else) and the process
//!   runner ([`core::process`](crate::core::process)); nothing of release-tool's domain, nothing of clap;
//! - [`config`]: `release_tool.toml`, its validation, schema and `config show`;
//! - [`git`]: the `git` wrapper, the repository files read without git, the caches;
//! - [`python`]: `pyproject.toml`, PEP 440 versions, conventional commits, the `uv` wrapper;
//! - [`workspace`]: the root, packages, submodules, the dependency graph, `status`;
//! - [`forge`]: the GitHub/Gitea client and its plan steps;
//! - [`engine`]: the container engine wrapper (docker, podman, buildah);
//! - [`plan`]: plans of typed steps, their executor and journal;
//! - [`env`]: the three environments, their manifests, scaffolding;
//! - [`manage`]: `add`/`remove`, `update`, `foreach`, `ci`, `check`;
//! - [`release`]: the release pipeline (stages 0 to 6, `release`, `publish`);
//! - [`docker`]: the image (stage 7);
//! - [`llm`]: LLM-written messages;
//! - [`cli`]: clap, the global flags and one module per command ([`cli::commands`]), whose
//!   arguments are turned into plain requests for the layers before it.

pub mod app;
pub mod cli;
pub mod config;
pub mod core;
pub mod docker;
pub mod engine;
pub mod env;
pub mod forge;
pub mod git;
pub mod llm;
pub mod manage;
pub mod plan;
pub mod python;
pub mod release;
pub mod workspace;

use std::process::ExitCode;

use crate::cli::commands;
use crate::core::{secrets, ui};

use crate::core::error::{ExitKind, classify};

/// Parse the command line, run the command and turn the outcome into an exit code.
pub fn main_entry() -> ExitCode {
    if std::env::args_os().nth(1).as_deref()
        == Some(std::ffi::OsStr::new(core::process::watchdog::ARG))
    {
        return core::process::watchdog::run();
    }
    secrets::init_from_env();
    secrets::install_panic_hook();
    let cli = match cli::parse_from(std::env::args_os()) {
        Ok(cli) => cli,
        Err(e) => return clap_error(&e),
    };
    let verbosity = i8::try_from(cli.global.verbose).unwrap_or(i8::MAX)
        - i8::try_from(cli.global.quiet).unwrap_or(i8::MAX);
    ui::init(cli.global.color, verbosity);
    init_tracing(verbosity);
    #[cfg(debug_assertions)]
    secrets::test_panic_hook();
    let outcome = crate::git::init_time_limit_from_env()
        .map_err(anyhow::Error::from)
        .and_then(|()| commands::dispatch(&cli.command, &cli.global));
    match outcome {
        Ok(kind) => ExitCode::from(kind.code()),
        Err(err) => {
            let (kind, hint) = classify(&err);
            report(&err);
            if let Some(hint) = hint {
                ui::hint(&hint);
            }
            ExitCode::from(if kind == ExitKind::Success {
                1
            } else {
                kind.code()
            })
        }
    }
}

/// clap's help and version (exit 0) as clap prints them; its usage errors (exit 2), which quote
/// the arguments given (a URL with a token in it, say), with secrets masked.
fn clap_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    use std::io::Write as _;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit()
    }
    let text = e.render().ansi().to_string();
    let _ = write!(anstream::stderr().lock(), "{}", secrets::redact(&text));
    ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2))
}

/// Print an error and its causes, without repeating a cause already in the message.
fn report(err: &anyhow::Error) {
    let mut message = err.to_string();
    for cause in err.chain().skip(1) {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str("\n  caused by: ");
            message.push_str(&text);
        }
    }
    ui::error(&message);
}

fn init_tracing(verbosity: i8) {
    use tracing_subscriber::EnvFilter;
    let default = match verbosity {
        ..=0 => "off",
        1 => "release_tool=info",
        _ => "release_tool=debug",
    };
    let filter = std::env::var("RELEASE_TOOL_LOG")
        .ok()
        .and_then(|v| EnvFilter::try_new(v).ok())
        .unwrap_or_else(|| EnvFilter::new(default))
        // ureq-proto traces raw HTTP, `Authorization` headers included: never log it.
        .add_directive("ureq_proto=off".parse().expect("a valid directive"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| RedactingWriter(Vec::new()))
        .with_target(false)
        .without_time()
        .try_init();
}

/// A log line's writer: the formatted event is collected and written to stderr with its
/// secrets masked ([`secrets::redact`]) when the event is done.
struct RedactingWriter(Vec<u8>);

impl std::io::Write for RedactingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for RedactingWriter {
    fn drop(&mut self) {
        use std::io::Write as _;
        let text = secrets::redact_bytes(&self.0);
        // Through anstream, like every other line on stderr: the formatter's colours are
        // stripped where colour is not wanted (not a terminal, `NO_COLOR`, `--color never`).
        let _ = anstream::stderr().lock().write_all(&text);
    }
}
