//! `completions`: shell completion scripts, generated from the command line itself
//! (`clap_complete`), so they never drift from `--help`.

use crate::cli::GlobalArgs;
use crate::core::error::ExitKind;

/// Print a completion script for a shell.
#[derive(Debug, clap::Args)]
#[command(after_help = "Install, for example:\n  \
    bash: release-tool completions bash > ~/.local/share/bash-completion/completions/release-tool\n  \
    zsh:  release-tool completions zsh > \"${fpath[1]}/_release-tool\"\n  \
    fish: release-tool completions fish > ~/.config/fish/completions/release-tool.fish\n  \
    powershell: release-tool completions powershell >> $PROFILE")]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

/// Run `completions`: the script on stdout.
pub fn run(args: &CompletionsArgs, _global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    let mut script = Vec::new();
    write(args.shell, &mut script);
    crate::core::ui::print_raw(&script)?;
    Ok(ExitKind::Success)
}

/// Write the completion script for `shell`.
pub fn write(shell: clap_complete::Shell, out: &mut dyn std::io::Write) {
    let mut cmd = crate::cli::command();
    let name = cmd.get_name().to_owned();
    clap_complete::generate(shell, &mut cmd, name, out);
}
