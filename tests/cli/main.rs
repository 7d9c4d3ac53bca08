//! End-to-end tests of the `release-tool` binary: one test binary, real git, temp workspaces.

mod support;

mod cli_shape;
mod config_errors;
mod demo;
mod status;
mod support_selftest;
