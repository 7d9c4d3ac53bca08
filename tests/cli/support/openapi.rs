//! GitHub's own API contract for the requests the tests make: the official `OpenAPI` description
//! of GitHub's REST API, the npm package `@octokit/openapi` (pinned), fetched once with `npm pack`
//! into `target/test-tools` (like pypiserver and actionlint) and checked against its pinned hash;
//! where npm is missing, the tests install Debian's `npm` with apt-get when they run as root.
//!
//! [`Description::check`] takes one recorded request (method, path with its query, content type,
//! body) and says what breaks the contract, if anything: the path matches no documented path
//! template, the method is not documented for it, a path or query parameter is not documented or
//! has a value its schema refuses, a required one is missing, or the body does not validate
//! against the operation's `requestBody` schema (with the `jsonschema` crate; `OpenAPI` 3.0's
//! `nullable` turned into a `null` type, `$ref`s inlined). The fake GitHub
//! ([`super::fake_github`]) checks every request it recorded when it is dropped, so a test whose
//! client broke the contract fails, whatever the fake answered.
//!
//! Each description (13 MB of JSON) is parsed once per test process; each operation's body
//! schema is compiled once.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

/// The `@octokit/openapi` version the tests check against.
pub const OCTOKIT_OPENAPI_VERSION: &str = "23.0.2";
/// SHA-256 of its npm tarball (`octokit-openapi-<version>.tgz`).
const TARBALL_SHA256: &str = "71a18407dd5e8464f4e0525daf03deabbe65abd9287d6adc7b5d98f516cd0d0c";
/// The GitHub Enterprise Server release whose description the `/api/v3` tests use (the newest
/// in the package).
pub const GHES_VERSION: &str = "3.19";

/// Which of the package's descriptions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Description {
    /// api.github.com
    GithubCom,
    /// GitHub Enterprise Server ([`GHES_VERSION`]).
    Ghes,
}

impl Description {
    fn file(self) -> String {
        match self {
            Self::GithubCom => "api.github.com.json".to_owned(),
            Self::Ghes => format!("ghes-{GHES_VERSION}.json"),
        }
    }

    /// For messages: `@octokit/openapi 23.0.2, api.github.com.json`.
    pub fn name(self) -> String {
        format!(
            "GitHub's REST API description (@octokit/openapi {OCTOKIT_OPENAPI_VERSION}, {})",
            self.file()
        )
    }

    fn spec(self) -> &'static Spec {
        static COM: OnceLock<Spec> = OnceLock::new();
        static GHES: OnceLock<Spec> = OnceLock::new();
        let cell = match self {
            Self::GithubCom => &COM,
            Self::Ghes => &GHES,
        };
        cell.get_or_init(|| Spec::load(&install().join(self.file())))
    }

    /// What is wrong with one request (`path` as sent, query included, the API prefix taken
    /// off); empty when it keeps the contract.
    pub fn check(
        self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Vec<String> {
        self.spec().check(method, path, content_type, body)
    }
}

/// The directory holding the descriptions: `target/test-tools/octokit-openapi-<version>/`.
/// Fetched on first use with `npm pack` (the ordinary client of the npm registry), its hash
/// checked, only the two descriptions extracted.
pub fn install() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let tools = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-tools");
        let target = tools.join(format!("octokit-openapi-{OCTOKIT_OPENAPI_VERSION}"));
        let files = [Description::GithubCom.file(), Description::Ghes.file()];
        if files.iter().all(|f| target.join(f).is_file()) {
            return target;
        }
        std::fs::create_dir_all(&tools).expect("create target/test-tools");
        let staging = tempfile::Builder::new()
            .prefix("octokit-openapi-install-")
            .tempdir_in(&tools)
            .expect("staging dir");
        let spec = format!("@octokit/openapi@{OCTOKIT_OPENAPI_VERSION}");
        // A fresh machine may lack npm: as root with apt-get, Debian's npm is installed once.
        if let Err(e) = super::containers::apt_provide("npm", "npm") {
            eprintln!("cannot provide npm: {e}");
        }
        let out = Command::new("npm")
            .args(["pack", "--silent", "--pack-destination"])
            .arg(staging.path())
            .arg(&spec)
            .env("npm_config_update_notifier", "false")
            .env("npm_config_fund", "false")
            .env("npm_config_audit", "false")
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "npm (needed to fetch {spec}, GitHub's OpenAPI description the forge tests \
                     check requests against): {e}\nhint: install Node.js and npm \
                     (apt-get install -y npm)"
                )
            });
        assert!(
            out.status.success(),
            "npm pack {spec} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let tarball = staging
            .path()
            .join(format!("octokit-openapi-{OCTOKIT_OPENAPI_VERSION}.tgz"));
        let bytes = std::fs::read(&tarball)
            .unwrap_or_else(|e| panic!("{} (from npm pack {spec}): {e}", tarball.display()));
        let digest = Sha256::digest(&bytes)
            .iter()
            .fold(String::new(), |mut hex, b| {
                let _ = write!(hex, "{b:02x}");
                hex
            });
        assert_eq!(
            digest, TARBALL_SHA256,
            "{spec}: the tarball's SHA-256 is not the pinned one"
        );
        let mut tar = Command::new("tar");
        tar.arg("-xzf").arg(&tarball).arg("-C").arg(staging.path());
        for f in &files {
            tar.arg(format!("package/generated/{f}"));
        }
        let out = tar.output().expect("tar");
        assert!(
            out.status.success(),
            "tar -xzf {}: {}",
            tarball.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let staged = staging.keep();
        if std::fs::rename(staged.join("package/generated"), &target).is_err() {
            // Another test binary finished first; use its copy.
            assert!(
                target.is_dir(),
                "could not move the descriptions into place"
            );
        }
        let _ = std::fs::remove_dir_all(&staged);
        target
    })
    .clone()
}

/// One documented path.
struct PathEntry {
    template: String,
    segments: Vec<Segment>,
    item: Value,
}

/// A segment of a path template: `releases` or `{release_id}`.
enum Segment {
    Literal(String),
    Param(String),
}

/// A loaded description.
struct Spec {
    root: Value,
    paths: Vec<PathEntry>,
    /// Compiled body schemas by `METHOD template`.
    validators: Mutex<BTreeMap<String, std::sync::Arc<jsonschema::Validator>>>,
}

impl Spec {
    fn load(file: &Path) -> Self {
        let text = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let root: Value = serde_json::from_slice(&text)
            .unwrap_or_else(|e| panic!("{}: not JSON: {e}", file.display()));
        let paths = root["paths"]
            .as_object()
            .unwrap_or_else(|| panic!("{}: no paths", file.display()))
            .iter()
            .map(|(template, item)| PathEntry {
                template: template.clone(),
                segments: template
                    .split('/')
                    .skip(1)
                    .map(|s| {
                        s.strip_prefix('{')
                            .and_then(|s| s.strip_suffix('}'))
                            .map_or_else(
                                || Segment::Literal(s.to_owned()),
                                |n| Segment::Param(n.to_owned()),
                            )
                    })
                    .collect(),
                item: item.clone(),
            })
            .collect();
        Self {
            root,
            paths,
            validators: Mutex::new(BTreeMap::new()),
        }
    }

    /// `#/components/...` resolved (once; a parameter or request body may be a `$ref`).
    fn deref<'a>(&'a self, v: &'a Value) -> &'a Value {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => self
                .root
                .pointer(r.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("unresolved $ref {r}")),
            None => v,
        }
    }

    /// The documented path a request path matches (the one with the most literal segments:
    /// `/releases/latest` before `/releases/{release_id}`), with its path parameters' values.
    fn route(&self, segments: &[&str]) -> Option<(&PathEntry, BTreeMap<String, String>)> {
        let mut best: Option<(&PathEntry, BTreeMap<String, String>, usize)> = None;
        for entry in &self.paths {
            if entry.segments.len() != segments.len() {
                continue;
            }
            let mut params = BTreeMap::new();
            let mut literals = 0;
            let ok = entry.segments.iter().zip(segments).all(|(t, s)| match t {
                Segment::Param(name) => {
                    params.insert(name.clone(), percent_decode(s));
                    !s.is_empty()
                }
                Segment::Literal(l) => {
                    literals += 1;
                    l == s
                }
            });
            if ok && best.as_ref().is_none_or(|(_, _, l)| literals > *l) {
                best = Some((entry, params, literals));
            }
        }
        best.map(|(e, p, _)| (e, p))
    }

    fn check(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Vec<String> {
        let mut problems = Vec::new();
        let (path_only, query) = path.split_once('?').unwrap_or((path, ""));
        let segments: Vec<&str> = path_only.split('/').skip(1).collect();
        let Some((entry, path_params)) = self.route(&segments) else {
            return vec![format!("no documented path matches {path_only}")];
        };
        let verb = method.to_ascii_lowercase();
        let Some(op) = entry.item.get(&verb) else {
            let documented: Vec<String> = entry
                .item
                .as_object()
                .map(|o| {
                    o.keys()
                        .filter(|k| *k != "parameters")
                        .map(|k| k.to_ascii_uppercase())
                        .collect()
                })
                .unwrap_or_default();
            return vec![format!(
                "{method} is not documented for {} (documented: {})",
                entry.template,
                documented.join(", ")
            )];
        };
        let what = format!("{method} {}", entry.template);
        // Parameters of the path item, overridden by the operation's (by name and place).
        let mut params: BTreeMap<(String, String), &Value> = BTreeMap::new();
        for list in [entry.item.get("parameters"), op.get("parameters")]
            .into_iter()
            .flatten()
        {
            for p in list.as_array().into_iter().flatten() {
                let p = self.deref(p);
                let name = p["name"].as_str().unwrap_or_default().to_owned();
                let place = p["in"].as_str().unwrap_or_default().to_owned();
                params.insert((place, name), p);
            }
        }
        for (name, value) in &path_params {
            match params.get(&("path".to_owned(), name.clone())) {
                Some(p) => {
                    if let Some(why) = self.param_value_problem(p, value) {
                        problems.push(format!(
                            "{what}: path parameter `{name}` = {value:?}: {why}"
                        ));
                    }
                }
                None => problems.push(format!("{what}: path parameter `{name}` is not documented")),
            }
        }
        let mut seen = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let (k, v) = (percent_decode(k), percent_decode(&v.replace('+', " ")));
            if let Some(p) = params.get(&("query".to_owned(), k.clone())) {
                if let Some(why) = self.param_value_problem(p, &v) {
                    problems.push(format!("{what}: query parameter `{k}` = {v:?}: {why}"));
                }
            } else {
                let documented: Vec<&str> = params
                    .keys()
                    .filter(|(place, _)| place == "query")
                    .map(|(_, n)| n.as_str())
                    .collect();
                problems.push(format!(
                    "{what}: query parameter `{k}` is not documented (documented: {})",
                    if documented.is_empty() {
                        "none".to_owned()
                    } else {
                        documented.join(", ")
                    }
                ));
            }
            seen.push(k);
        }
        for ((place, name), p) in &params {
            if place == "query" && p["required"] == true && !seen.contains(name) {
                problems.push(format!(
                    "{what}: required query parameter `{name}` is missing"
                ));
            }
        }
        problems.extend(self.body_problems(&what, op, content_type, body));
        problems
    }

    /// Why a parameter's string value does not fit its schema (after the coercion a server
    /// does: an integer parameter must parse as one).
    fn param_value_problem(&self, param: &Value, value: &str) -> Option<String> {
        let schema = param.get("schema").map(|s| self.deref(s))?;
        let instance = match schema["type"].as_str() {
            Some("integer") => match value.parse::<i64>() {
                Ok(n) => Value::from(n),
                Err(_) => return Some("not an integer".to_owned()),
            },
            Some("number") => match value.parse::<f64>() {
                Ok(n) => Value::from(n),
                Err(_) => return Some("not a number".to_owned()),
            },
            Some("boolean") => match value {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => return Some("not true or false".to_owned()),
            },
            _ => Value::String(value.to_owned()),
        };
        let schema = self.json_schema(schema, 0);
        let validator = jsonschema::validator_for(&schema).expect("a parameter schema");
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| e.to_string())
            .collect();
        (!errors.is_empty()).then(|| errors.join("; "))
    }

    fn body_problems(
        &self,
        what: &str,
        op: &Value,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Vec<String> {
        let Some(request_body) = op.get("requestBody").map(|b| self.deref(b)) else {
            return if body.is_empty() {
                Vec::new()
            } else {
                vec![format!(
                    "{what}: takes no request body, got {} bytes",
                    body.len()
                )]
            };
        };
        if body.is_empty() {
            return if request_body["required"] == true {
                vec![format!("{what}: the request body is required")]
            } else {
                Vec::new()
            };
        }
        let mime = content_type
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let content = request_body["content"].as_object();
        let Some(media) = content.and_then(|c| c.get(&mime).or_else(|| c.get("*/*"))) else {
            let documented: Vec<&String> = content.map(|c| c.keys().collect()).unwrap_or_default();
            return vec![format!(
                "{what}: content type {mime:?} is not documented (documented: {documented:?})"
            )];
        };
        if !mime.ends_with("json") {
            return Vec::new();
        }
        let instance: Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => return vec![format!("{what}: the body is not JSON: {e}")],
        };
        let Some(schema) = media.get("schema") else {
            return Vec::new();
        };
        let validator = {
            let mut cache = self.validators.lock().unwrap();
            std::sync::Arc::clone(cache.entry(what.to_owned()).or_insert_with(|| {
                let schema = self.json_schema(schema, 0);
                std::sync::Arc::new(
                    jsonschema::validator_for(&schema)
                        .unwrap_or_else(|e| panic!("{what}: body schema: {e}")),
                )
            }))
        };
        validator
            .iter_errors(&instance)
            .map(|e| {
                let at = e.instance_path().to_string();
                let at = if at.is_empty() { "/".to_owned() } else { at };
                format!("{what}: body at {at}: {e}")
            })
            .collect()
    }

    /// An `OpenAPI` 3.0 schema as a self-contained JSON Schema: `$ref`s inlined, `nullable: true`
    /// as a `null` type, annotations `OpenAPI` adds (`example`, `discriminator`, `x-…`) left out.
    fn json_schema(&self, schema: &Value, depth: usize) -> Value {
        assert!(depth < 40, "schema nesting too deep (a $ref cycle?)");
        match schema {
            Value::Object(map) => {
                if map.contains_key("$ref") {
                    return self.json_schema(self.deref(schema), depth + 1);
                }
                let mut out = Map::new();
                for (k, v) in map {
                    let v = match k.as_str() {
                        "example" | "examples" | "discriminator" | "xml" | "externalDocs"
                        | "nullable" | "deprecated" | "readOnly" | "writeOnly" => continue,
                        k if k.starts_with("x-") => continue,
                        // Maps of schemas (not schemas themselves).
                        "properties" | "patternProperties" | "$defs" | "definitions" => {
                            Value::Object(
                                v.as_object()
                                    .into_iter()
                                    .flatten()
                                    .map(|(n, s)| (n.clone(), self.json_schema(s, depth + 1)))
                                    .collect(),
                            )
                        }
                        "enum" | "required" | "const" | "default" => v.clone(),
                        _ => self.json_schema(v, depth + 1),
                    };
                    out.insert(k.clone(), v);
                }
                if map.get("nullable") == Some(&Value::Bool(true)) {
                    if let Some(t) = out.get("type").cloned() {
                        let mut types = match t {
                            Value::Array(a) => a,
                            other => vec![other],
                        };
                        types.push(Value::from("null"));
                        out.insert("type".to_owned(), Value::Array(types));
                    }
                    if let Some(Value::Array(e)) = out.get_mut("enum") {
                        e.push(Value::Null);
                    }
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|s| self.json_schema(s, depth + 1))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
