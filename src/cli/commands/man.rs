//! `man`: manual pages in roff, generated from the command line itself (`clap_mangen`), so they
//! never drift from `--help`.

use std::path::PathBuf;

use crate::cli::GlobalArgs;
use crate::core::error::{ExitKind, UserError};
use crate::core::ui;

/// Print the manual page (roff), or write one page per command to a directory.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Read it with `release-tool man | man -l -`; install the pages with \
    `release-tool man --out-dir ~/.local/share/man/man1`."
)]
pub struct ManArgs {
    /// A command's own page (`release-tool-<command>(1)`) instead of the main one.
    #[arg(value_name = "COMMAND")]
    pub command: Option<String>,
    /// Write `release-tool.1` and one `release-tool-<command>.1` per command into DIR.
    #[arg(long, value_name = "DIR", conflicts_with = "command")]
    pub out_dir: Option<PathBuf>,
}

/// Run `man`.
pub fn run(args: &ManArgs, global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    if let Some(dir) = &args.out_dir {
        if global.dry_run {
            ui::note(&format!(
                "Dry run: would write release-tool.1 and one page per command to {}",
                dir.display()
            ));
            return Ok(ExitKind::Success);
        }
        fs_err::create_dir_all(dir)?;
        clap_mangen::generate_to(crate::cli::command(), dir).map_err(|e| {
            UserError::failure(format!(
                "Cannot write manual pages to {}: {e}",
                dir.display()
            ))
        })?;
        ui::note(&format!("Wrote manual pages to {}", dir.display()));
        return Ok(ExitKind::Success);
    }
    let mut page = Vec::new();
    render(args.command.as_deref(), &mut page)?;
    ui::print_raw(&page)?;
    Ok(ExitKind::Success)
}

/// Render the main page, or the page of one command (aliases such as `stage4` work).
pub fn render(command: Option<&str>, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let cmd = crate::cli::command();
    let page = match command {
        None => cmd,
        Some(name) => {
            let Some(sub) = cmd.find_subcommand(name) else {
                let names: Vec<&str> = cmd.get_subcommands().map(clap::Command::get_name).collect();
                let mut err = UserError::usage(format!("Unknown command `{name}`"));
                err = match crate::config::nearest(name, &names) {
                    Some(n) => err.with_hint(format!("did you mean `release-tool man {n}`?")),
                    None => err.with_hint(format!("commands: {}", names.join(", "))),
                };
                return Err(err.into());
            };
            sub.clone()
        }
    };
    clap_mangen::Man::new(page).render(out)?;
    Ok(())
}
