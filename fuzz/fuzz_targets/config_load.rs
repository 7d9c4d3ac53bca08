//! libFuzzer entry point; the input and the checks are in `fuzz/harness/config_load.rs`.

#![no_main]

#[path = "../harness/config_load.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::run(data));
