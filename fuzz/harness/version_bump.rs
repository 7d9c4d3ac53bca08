//! Arbitrary strings as PEP 440 versions × every bump kind, checking:
//!
//! - nothing panics (huge numbers, odd segments, local versions);
//! - `patch`, `minor`, `major` and `pre` always give a newer version, `dev` does on a dev
//!   release, `next_dev` gives a newer dev release;
//! - every result is normalised: printing and parsing it again gives the same version and text;
//! - a tag made of a prefix and the version parses back to the version;
//! - the conventional-commit parser and `auto` take any text as a commit message.
//!
//! The fuzz target `fuzz/fuzz_targets/version_bump.rs` runs this on libFuzzer's inputs; the test
//! `tests/cli/fuzz_replay.rs` runs it on the seeds in every CI run, so the checks keep compiling
//! and keep holding.

use release_tool::python::version::{self, Bump};

fn round_trips(v: &version::Version, what: &str) {
    let text = v.to_string();
    let again =
        version::parse(&text).unwrap_or_else(|e| panic!("{what}: {text} does not parse: {e}"));
    assert_eq!(&again, v, "{what}: {text} parses to another version");
    assert_eq!(again.to_string(), text, "{what}: {text} is not normalised");
    assert_eq!(
        version::parse_tag(&format!("v{text}"), "v").as_ref(),
        Some(v),
        "{what}: the tag v{text} does not parse back"
    );
}

/// One fuzz input: panics when a check fails.
pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Any text is a commit message.
    let _ = release_tool::python::conventional::parse(text);
    let Ok(v) = version::parse(text) else {
        let _ = version::parse_tag(text, "v");
        return;
    };
    let _ = version::auto_bump_kind(&v, &[text, "feat!: x", "fix: y"]);
    for kind in [Bump::Patch, Bump::Minor, Bump::Major, Bump::Dev, Bump::Pre] {
        let Ok(next) = version::bump(&v, kind) else {
            continue;
        };
        round_trips(&next, &format!("{v} + {kind}"));
        let promised = match kind {
            Bump::Dev => v.is_dev(),
            _ => true,
        };
        if promised {
            assert!(next > v, "{v} + {kind} = {next} is not newer");
        }
        if matches!(kind, Bump::Patch | Bump::Minor | Bump::Major) {
            assert!(
                version::is_final(&next),
                "{v} + {kind} = {next} is not final"
            );
        }
    }
    if let Ok(next) = version::next_dev(&v) {
        round_trips(&next, &format!("next_dev({v})"));
        assert!(next > v && next.is_dev(), "next_dev({v}) = {next}");
    }
    let tags = [format!("v{v}"), format!("v{text}"), "v0.0.1".to_owned()];
    let _ = version::newest_tag(tags.iter().map(String::as_str), "v", false);
}
