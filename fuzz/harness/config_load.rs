//! Arbitrary TOML into the configuration loader, as `release_tool.toml` (keys at the top level
//! or under `[tool.release_tool]`) and as a root `pyproject.toml`, checking:
//!
//! - nothing panics;
//! - every error is a user error (exit 2) that names the file;
//! - a configuration that loads, written back as TOML, loads to the same configuration.
//!
//! The fuzz target `fuzz/fuzz_targets/config_load.rs` runs this on libFuzzer's inputs; the test
//! `tests/cli/fuzz_replay.rs` runs it on the seeds in every CI run, so the checks keep compiling
//! and keep holding.

use std::path::Path;

use release_tool::config::{self, Config};
use release_tool::core::error::{ExitKind, classify};

fn user_error(err: &anyhow::Error, file: &str) {
    let (kind, _) = classify(err);
    assert_eq!(kind, ExitKind::Usage, "not a user error: {err:#}");
    assert!(
        err.to_string().contains(file),
        "the error does not name {file}: {err}"
    );
}

fn round_trip(config: &Config) {
    let text = toml_edit::ser::to_string(config).expect("a configuration serialises");
    let again = config::parse_config_file(Path::new("release_tool.toml"), &text)
        .unwrap_or_else(|e| panic!("the configuration written back does not load: {e:#}\n{text}"));
    assert_eq!(&again, config, "written back:\n{text}");
}

/// One fuzz input: panics when a check fails.
pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match config::parse_config_file(Path::new("release_tool.toml"), text) {
        Ok(config) => round_trip(&config),
        Err(e) => user_error(&e, "release_tool.toml"),
    }
    match config::parse_pyproject(Path::new("pyproject.toml"), text) {
        Ok(Some(config)) => round_trip(&config),
        Ok(None) => {}
        Err(e) => user_error(&e, "pyproject.toml"),
    }
}
