//! The layers of `src/`: the table in docs/development.md ("Layers") is the rule, and this test
//! reads every `crate::` path in the library's code (comments left out) and checks it against the
//! table. A folder may use only the folders above it in the table; `lib.rs` and `main.rs` may
//! use any. It also checks that every folder of `src/` has a row and every row a folder, and that
//! only the process runner starts processes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The folders of the "Layers" table in docs/development.md, top (lowest) first.
fn layers_from_docs(doc: &str) -> Vec<String> {
    let start = doc
        .find("<!-- layers -->")
        .expect("docs/development.md has a `<!-- layers -->` table");
    let end = doc[start..]
        .find("<!-- /layers -->")
        .expect("the layers table ends with `<!-- /layers -->`")
        + start;
    doc[start..end]
        .lines()
        .filter_map(|line| {
            let cell = line.strip_prefix('|')?.split('|').next()?.trim();
            let name = cell.strip_prefix("`src/")?.strip_suffix("/`")?;
            Some(name.to_owned())
        })
        .collect()
}

/// Code without comments: `//` to the end of the line (doc comments included) and `/* */` blocks.
/// String literals are kept (a `crate::` in a string is rare and worth a look).
fn strip_comments(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        let c = bytes[i];
        if in_string {
            out.push(c);
            if c == b'\\' && i + 1 < bytes.len() {
                out.push(bytes[i + 1]);
                i += 2;
                continue;
            }
            if c == b'"' {
                in_string = false;
            }
            i += 1;
        } else if c == b'"' && !(i > 0 && bytes[i - 1] == b'\'' && bytes.get(i + 1) == Some(&b'\''))
        {
            in_string = true;
            out.push(c);
            i += 1;
        } else if bytes[i..].starts_with(b"//") {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
        } else if bytes[i..].starts_with(b"/*") {
            i = text[i + 2..]
                .find("*/")
                .map_or(bytes.len(), |e| i + 2 + e + 2);
        } else {
            out.push(c);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The top-level modules a file names through `crate::` (or `$crate::`).
fn crate_paths(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = &rest[..at];
        rest = &rest[at + "crate::".len()..];
        // `crate::` as a path root, not the tail of another identifier (`release_tool_crate::`).
        if before
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
        {
            continue;
        }
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '_' || c.is_ascii_digit())
            .collect();
        // `crate::bail_usage!`: an exported macro lives at the crate root, not in a layer.
        let is_macro = rest[name.len()..].starts_with('!');
        if !name.is_empty() && !is_macro {
            found.insert(name);
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The folder (layer) a file of `src/` belongs to; `None` for `lib.rs` and `main.rs`.
fn layer_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).unwrap();
    let mut parts = rel.components();
    let first = parts.next()?.as_os_str().to_str()?.to_owned();
    parts.next().map(|_| first)
}

/// Every `crate::` use from a file to a layer that is not above its own: `(file, used layer)`.
fn violations(files: &[(String, String, String)], layers: &[String]) -> Vec<String> {
    let rank: BTreeMap<&str, usize> = layers
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), i))
        .collect();
    let mut found = Vec::new();
    for (file, layer, code) in files {
        let own = rank[layer.as_str()];
        for used in crate_paths(&strip_comments(code)) {
            if used == *layer {
                continue;
            }
            match rank.get(used.as_str()) {
                Some(&r) if r < own => {}
                Some(_) => found.push(format!(
                    "{file}: uses `crate::{used}`, which stands below `{layer}` in the layers table \
                     of docs/development.md: a lower layer must not import a higher one"
                )),
                None => found.push(format!(
                    "{file}: uses `crate::{used}`, which is not a layer of the table"
                )),
            }
        }
    }
    found
}

fn library_files() -> (Vec<(String, String, String)>, BTreeSet<String>) {
    let src = root().join("src");
    let mut paths = Vec::new();
    rust_files(&src, &mut paths);
    paths.sort();
    let mut folders = BTreeSet::new();
    let mut files = Vec::new();
    for path in paths {
        let Some(layer) = layer_of(&src, &path) else {
            continue;
        };
        folders.insert(layer.clone());
        let rel = path
            .strip_prefix(root())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        files.push((rel, layer, std::fs::read_to_string(&path).unwrap()));
    }
    (files, folders)
}

#[test]
fn lower_layers_never_import_higher_ones() {
    let doc = std::fs::read_to_string(root().join("docs/development.md")).unwrap();
    let layers = layers_from_docs(&doc);
    let (files, folders) = library_files();
    let table: BTreeSet<String> = layers.iter().cloned().collect();
    assert_eq!(
        table, folders,
        "the layers table of docs/development.md must list every folder of src/, and only those"
    );
    let found = violations(&files, &layers);
    assert!(
        found.is_empty(),
        "{} upward import(s):\n{}",
        found.len(),
        found.join("\n")
    );
}

#[test]
fn the_layering_check_catches_an_upward_import() {
    let layers = ["core", "git", "cli"].map(String::from).to_vec();
    let file = |layer: &str, code: &str| {
        (
            format!("src/{layer}/x.rs"),
            layer.to_owned(),
            code.to_owned(),
        )
    };
    let ok = [
        file(
            "git",
            "use crate::core::ui;\n/// [`crate::cli`] in a comment is fine\n",
        ),
        file(
            "cli",
            "fn f() { crate::git::run(); crate::core::ui::info(\"\"); }",
        ),
    ];
    assert!(violations(&ok, &layers).is_empty());
    let bad = [
        file("core", "use crate::cli::ColorChoice;\n"),
        file("git", "fn f() { let _ = crate::cli::parse(); }"),
        file("git", "use crate::nowhere::X;"),
    ];
    let found = violations(&bad, &layers);
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(found[0].contains("src/core/x.rs: uses `crate::cli`"));
}

#[test]
fn only_the_process_runner_starts_processes() {
    let (files, _) = library_files();
    let spawners: Vec<&str> = files
        .iter()
        .filter(|(_, _, code)| strip_comments(code).contains("Command::new("))
        .map(|(file, _, _)| file.as_str())
        .collect();
    assert_eq!(
        spawners,
        ["src/core/process.rs"],
        "processes are started in one place only (core::process)"
    );
}
