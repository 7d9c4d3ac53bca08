//! libFuzzer entry point; the input and the checks are in `fuzz/harness/version_bump.rs`.

#![no_main]

#[path = "../harness/version_bump.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::run(data));
