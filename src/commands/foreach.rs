//! `foreach`: arguments. The command itself is not built yet (see the issue tracker).

use crate::cli::GlobalArgs;
use crate::error::ExitKind;

/// Run a command in every package.
#[derive(Debug, clap::Args)]
pub struct ForeachArgs {
    /// The command and its arguments (after `--`).
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CMD"
    )]
    pub command: Vec<String>,
}

/// Run `foreach`.
pub fn run(_args: &ForeachArgs, _global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    super::not_implemented("foreach")
}
