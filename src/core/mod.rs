//! Shared helpers with no domain knowledge: errors, text, atomic writes, input validation, secrets, parallel maps, terminal output and the process runner.

pub mod error;
pub mod fsutil;
pub mod parallel;
pub mod process;
pub mod safety;
pub mod secrets;
pub mod text;
pub mod ui;
