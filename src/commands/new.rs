//! `new`: arguments. The command itself is not built yet (see the issue tracker).

use crate::cli::GlobalArgs;
use crate::error::ExitKind;

/// Create a new micro-package.
#[derive(Debug, clap::Args)]
pub struct NewArgs {
    /// Package name (PEP 508).
    pub name: String,
    /// Remote URL: push there and register the package as a submodule.
    #[arg(long, value_name = "URL")]
    pub remote: Option<String>,
    /// Depend on another workspace package (repeatable).
    #[arg(long = "dep", value_name = "PKG")]
    pub deps: Vec<String>,
    /// One-line description.
    #[arg(long)]
    pub description: Option<String>,
}

/// Run `new`.
pub fn run(_args: &NewArgs, _global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    super::not_implemented("new")
}
