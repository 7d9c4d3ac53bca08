//! End-to-end tests of the `release-tool` binary: one test binary, real git, temp workspaces.

// Test code favours directness over the pedantic style of the library.
#![allow(
    clippy::unused_self,
    clippy::needless_pass_by_value,
    clippy::format_push_string
)]

mod support;

mod add_remove;
mod architecture;
mod base_branch;
mod cache_readers;
mod ci;
mod cli_shape;
mod clidoc;
mod completions;
mod concurrent_user;
mod config_cmd;
mod config_errors;
mod demo;
mod dependency_confusion;
mod docker;
mod docs_tutorial;
mod fault_matrix;
mod faults;
mod foreach;
mod forge_client;
mod fuzz_replay;
mod git_wrapper;
mod hostile_input;
mod in_tree;
mod json_output;
mod lifecycle;
mod llm;
mod manifests_sync;
mod migrate;
mod no_lost_work;
mod output;
mod publish;
mod quiet_verbose;
mod real_workspace;
mod redaction;
mod release_assets;
mod release_dependents;
mod release_forge;
mod release_groups;
mod release_guards;
mod release_image;
mod release_messages;
mod release_pins;
mod release_prflow;
mod release_processes;
mod release_product;
mod release_recovery;
mod release_trunk;
mod remotes;
mod split;
mod stage_branch;
mod stage_notes;
mod stages_changes;
mod status;
mod status_cache;
mod support_selftest;
mod symlinks;
mod table_width;
mod tag_spellings;
mod update;
mod uv_download;
mod uv_sibling;
