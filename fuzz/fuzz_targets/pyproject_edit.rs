//! libFuzzer entry point; the input and the checks are in `fuzz/harness/pyproject_edit.rs`.

#![no_main]

#[path = "../harness/pyproject_edit.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::run(data));
