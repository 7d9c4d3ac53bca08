//! The fuzz harnesses (`fuzz/harness/`) run on their seeds: the same checks libFuzzer runs
//! (`scripts/fuzz.sh`, nightly, not in CI), here on stable in every test run, so they keep
//! compiling and the inputs that once crashed keep passing.

#[path = "../../fuzz/harness/config_load.rs"]
mod config_load;
#[path = "../../fuzz/harness/pyproject_edit.rs"]
mod pyproject_edit;
#[path = "../../fuzz/harness/version_bump.rs"]
mod version_bump;

use std::path::{Path, PathBuf};

fn files(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<PathBuf> = fs_err::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no seeds in {}", dir.display());
    files
}

fn replay(dirs: &[&str], run: fn(&[u8]), extra: impl Fn(&[u8]) -> Vec<Vec<u8>>) -> usize {
    let mut count = 0;
    for dir in dirs {
        for file in files(dir) {
            let data = fs_err::read(&file).unwrap();
            for input in std::iter::once(data.clone()).chain(extra(&data)) {
                let outcome = std::panic::catch_unwind(|| run(&input));
                assert!(outcome.is_ok(), "{} fails its fuzz checks", file.display());
                count += 1;
            }
        }
    }
    count
}

#[test]
fn version_bump_seeds_pass_the_fuzz_checks() {
    let n = replay(&["fuzz/seeds/version_bump"], version_bump::run, |_| {
        Vec::new()
    });
    assert!(n >= 20, "{n} seeds");
}

#[test]
fn config_load_seeds_pass_the_fuzz_checks() {
    let n = replay(
        &["fuzz/seeds/config_load", "tests/fixtures/pyproject"],
        config_load::run,
        |_| Vec::new(),
    );
    assert!(n >= 8, "{n} seeds");
}

#[test]
fn pyproject_edit_seeds_pass_the_fuzz_checks() {
    // Each fixture as it is (the fixed set of edits), then followed by a NUL and a few byte
    // patterns, which `arbitrary` turns into other sequences of edits.
    let patterns: Vec<Vec<u8>> = vec![
        (0u8..=255).collect(),
        (0u8..=255).rev().collect(),
        (0u8..=255).map(|b| b.wrapping_mul(37)).collect(),
        vec![0; 64],
        vec![0xff; 64],
    ];
    let n = replay(&["tests/fixtures/pyproject"], pyproject_edit::run, |data| {
        patterns
            .iter()
            .map(|p| {
                let mut input = data.to_vec();
                input.push(0);
                input.extend_from_slice(p);
                input
            })
            .collect()
    });
    assert!(n >= 30, "{n} inputs");
}
