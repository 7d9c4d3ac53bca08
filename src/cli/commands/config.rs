//! `config`: the configuration's JSON Schema and the effective configuration.

use crate::cli::GlobalArgs;
use crate::config;
use crate::core::error::ExitKind;
use crate::core::ui;

/// Inspect the configuration.
#[derive(Debug, clap::Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub command: ConfigCommand,
}

/// `config` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum ConfigCommand {
    /// Print the JSON Schema of `[tool.release_tool]` (for editors: taplo, Even Better TOML).
    ///
    /// The same schema is committed as `schema/release_tool.schema.json` in the release-tool
    /// repository. It rejects unknown keys, as release-tool does.
    Schema,
    /// Print the effective configuration, with the source of each value.
    ///
    /// TOML under `[tool.release_tool]`, each value followed by `# default`,
    /// `# release_tool.toml` or `# pyproject.toml`; `--json` prints
    /// `{"root", "file", "config", "values": [{"key", "value", "source"}]}`.
    Show,
}

/// Run `config`.
pub fn run(args: &ConfigArgs, global: &GlobalArgs) -> anyhow::Result<ExitKind> {
    match args.command {
        ConfigCommand::Schema => {
            ui::print_raw(config::schema::schema_text().as_bytes())?;
        }
        ConfigCommand::Show => {
            let root = crate::workspace::find_root(&super::start_dir(global))?;
            let effective = config::show::effective(&root)?;
            for w in &effective.loaded.warnings {
                ui::warn(w);
            }
            if global.json {
                ui::print_json(&effective.to_json())?;
            } else {
                ui::print_raw(effective.to_toml().as_bytes())?;
            }
        }
    }
    Ok(ExitKind::Success)
}
