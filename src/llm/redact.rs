//! What an LLM may see of a diff (docs/reference.md §7): lock files, binaries and generated files are left
//! out, secrets are masked, and the rest is cut to a byte budget with a note of what was cut.
//!
//! Everything here is pure (text in, text out) so it is tested without git or a network.
//! The order matters: secrets are masked **before** anything is cut, so a cut can never leave
//! half of a key behind.

use std::fmt::Write as _;

/// What replaces a secret.
pub const MASK: &str = "[MASKED]";

/// A piece of a diff: free text (headings, `git status`, `--stat`, a commit log) or the diff of
/// one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Section {
    Text(String),
    File { path: String, text: String },
}

/// Why a file's diff is left out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SkipReason {
    Lock,
    Generated,
    Binary,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lock => "lock file",
            Self::Generated => "generated file",
            Self::Binary => "binary file",
        }
    }
}

/// A diff (or any text) made fit for an LLM.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Prepared {
    pub text: String,
    /// Files whose diff was left out, with the reason.
    pub omitted: Vec<(String, &'static str)>,
    /// Files (or "text") whose diff was cut to fit the budget.
    pub cut: Vec<String>,
    /// Secrets masked.
    pub masked: usize,
}

// ---------------------------------------------------------------------------------------------
// Splitting a diff into files

/// Whether a line can continue the diff of a file.
fn is_diff_line(line: &str) -> bool {
    const HEADERS: &[&str] = &[
        "index ",
        "new file mode",
        "deleted file mode",
        "old mode",
        "new mode",
        "similarity index",
        "dissimilarity index",
        "rename from",
        "rename to",
        "copy from",
        "copy to",
        "Binary files ",
        "GIT binary patch",
        "literal ",
        "delta ",
    ];
    line.starts_with([' ', '+', '-', '@', '\\']) || HEADERS.iter().any(|h| line.starts_with(h))
}

/// Split git diff output (possibly embedded in other text, as in a changes file) into text and
/// per-file sections. Concatenating the sections gives the input back.
pub fn split_diff(text: &str) -> Vec<Section> {
    let mut out: Vec<Section> = Vec::new();
    // The text of the current file's diff, and whether it is inside a `GIT binary patch`.
    let mut current: Option<(String, bool)> = None;
    let mut plain = String::new();
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    for (i, raw) in lines.iter().enumerate() {
        let line = raw.trim_end_matches(['\n', '\r']);
        if line.starts_with("diff --git ") || line.starts_with("diff --cc ") {
            if let Some((t, _)) = current.take() {
                out.push(file_section(t));
            }
            if !plain.is_empty() {
                out.push(Section::Text(std::mem::take(&mut plain)));
            }
            current = Some(((*raw).to_owned(), false));
            continue;
        }
        if let Some((t, binary)) = current.as_mut() {
            // A blank line ends a file's diff (git writes an empty context line as " "), unless
            // the hunk visibly goes on (`diff.suppressBlankEmpty`). Base85 lines of a binary
            // patch run until a blank line.
            let continues = if line.is_empty() {
                lines.get(i + 1).is_some_and(|next| {
                    if *binary {
                        next.starts_with("literal ") || next.starts_with("delta ")
                    } else {
                        next.starts_with([' ', '+', '-', '\\'])
                    }
                })
            } else {
                *binary || is_diff_line(line)
            };
            if line == "GIT binary patch" {
                *binary = true;
            }
            if continues {
                t.push_str(raw);
                continue;
            }
            let (t, _) = current.take().expect("current file");
            out.push(file_section(t));
        }
        plain.push_str(raw);
    }
    if let Some((t, _)) = current.take() {
        out.push(file_section(t));
    }
    if !plain.is_empty() {
        out.push(Section::Text(plain));
    }
    out
}

fn file_section(text: String) -> Section {
    Section::File {
        path: diff_path(&text).unwrap_or_default(),
        text,
    }
}

/// Strip git's quoting (`"a/x y"`) and the `a/` / `b/` prefix.
fn unquote_prefixed(s: &str) -> String {
    let s = s.trim();
    let s = s
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s);
    let s = s
        .strip_prefix("a/")
        .or_else(|| s.strip_prefix("b/"))
        .unwrap_or(s);
    s.replace("\\\"", "\"").replace("\\\\", "\\")
}

/// The path a file's diff is about (the new path; the old one for a deletion).
pub fn diff_path(section: &str) -> Option<String> {
    let mut minus = None;
    let mut plus = None;
    let mut rename_to = None;
    for line in section.lines().skip(1) {
        if line.starts_with("@@") {
            break;
        }
        if let Some(p) = line.strip_prefix("+++ ") {
            plus = Some(p);
        } else if let Some(p) = line.strip_prefix("--- ") {
            minus = Some(p);
        } else if let Some(p) = line.strip_prefix("rename to ") {
            rename_to = Some(p);
        }
    }
    let real = |p: &&str| p.trim() != "/dev/null";
    if let Some(p) = plus.filter(real).or(minus.filter(real)) {
        // `+++ b/path\t` (git adds a tab after paths with spaces).
        return Some(unquote_prefixed(p.trim_end_matches('\t')));
    }
    if let Some(p) = rename_to {
        return Some(unquote_prefixed(p));
    }
    // `diff --git a/P b/P`: no ---/+++ lines (binary, mode-only). Split in the middle.
    let first = section.lines().next()?;
    let rest = first
        .strip_prefix("diff --git ")
        .or_else(|| first.strip_prefix("diff --cc "))?;
    if let Some(stripped) = rest.strip_prefix('"')
        && let Some((a, b)) = stripped.split_once("\" ")
    {
        let _ = a;
        return Some(unquote_prefixed(b));
    }
    let bytes = rest.len();
    if bytes >= 5 && bytes % 2 == 1 {
        let half = bytes / 2;
        let (a, b) = (&rest[..half], &rest[half + 1..]);
        if rest.is_char_boundary(half) && a.get(2..) == b.get(2..) {
            return Some(unquote_prefixed(b));
        }
    }
    rest.rsplit_once(" b/").map(|(_, b)| b.to_owned())
}

// ---------------------------------------------------------------------------------------------
// Which files are left out

const LOCK_FILES: &[&str] = &[
    "package-lock.json",
    "npm-shrinkwrap.json",
    "pnpm-lock.yaml",
    "bun.lockb",
    "go.sum",
    "pylock.toml",
    "composer.lock",
];

/// Directories whose content is generated wherever they are.
const GENERATED_DIRS: &[&str] = &[
    "__pycache__",
    "node_modules",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".eggs",
    "htmlcov",
    "site-packages",
];

/// Top-level directories of a package that hold build output.
const BUILD_DIRS: &[&str] = &["dist", "build", "_build", "target", "wheelhouse"];

const GENERATED_SUFFIXES: &[&str] = &[
    ".min.js",
    ".min.mjs",
    ".min.css",
    ".js.map",
    ".css.map",
    "_pb2.py",
    "_pb2.pyi",
    "_pb2_grpc.py",
    ".pyc",
    ".pyo",
];

const GENERATED_FILES: &[&str] = &[".coverage", "coverage.xml"];

const BINARY_EXTENSIONS: &[&str] = &[
    // images, fonts
    "png",
    "jpg",
    "jpeg",
    "gif",
    "bmp",
    "ico",
    "icns",
    "webp",
    "tif",
    "tiff",
    "psd",
    "heic",
    "avif",
    "woff",
    "woff2",
    "ttf",
    "otf",
    "eot", // archives, packages
    "zip",
    "tar",
    "gz",
    "tgz",
    "bz2",
    "xz",
    "zst",
    "7z",
    "rar",
    "whl",
    "egg",
    "jar",
    "war",
    "deb",
    "rpm",
    "dmg",
    "iso", // media, documents
    "mp3",
    "mp4",
    "m4a",
    "wav",
    "flac",
    "ogg",
    "avi",
    "mov",
    "mkv",
    "webm",
    "pdf",
    "doc",
    "docx",
    "xls",
    "xlsx",
    "ppt",
    "pptx", // compiled code
    "so",
    "dylib",
    "dll",
    "exe",
    "o",
    "a",
    "lib",
    "obj",
    "class",
    "pyd",
    "wasm",
    // data and models
    "npy",
    "npz",
    "pkl",
    "pickle",
    "pt",
    "pth",
    "onnx",
    "h5",
    "hdf5",
    "safetensors",
    "parquet",
    "feather",
    "arrow",
    "ckpt",
    "bin",
    "db",
    "sqlite",
    "sqlite3",
    "mo",
];

/// Why the diff of `path` is left out, if it is.
#[allow(clippy::case_sensitive_file_extension_comparisons)] // `name` is lower case
pub fn skip_reason(path: &str) -> Option<SkipReason> {
    let path = path.replace('\\', "/");
    let lower = path.to_ascii_lowercase();
    let parts: Vec<&str> = lower.split('/').filter(|p| !p.is_empty()).collect();
    let name = parts.last().copied().unwrap_or("");
    if name.ends_with(".lock")
        || name.ends_with(".lockb")
        || LOCK_FILES.contains(&name)
        || (name.starts_with("pylock.") && name.ends_with(".toml"))
    {
        return Some(SkipReason::Lock);
    }
    let dirs = &parts[..parts.len().saturating_sub(1)];
    if dirs.iter().any(|d| {
        GENERATED_DIRS.contains(d) || d.ends_with(".egg-info") || d.ends_with(".dist-info")
    }) || dirs.first().is_some_and(|d| BUILD_DIRS.contains(d))
        || GENERATED_SUFFIXES.iter().any(|s| name.ends_with(s))
        || GENERATED_FILES.contains(&name)
    {
        return Some(SkipReason::Generated);
    }
    if let Some((_, ext)) = name.rsplit_once('.')
        && BINARY_EXTENSIONS.contains(&ext)
    {
        return Some(SkipReason::Binary);
    }
    None
}

/// Whether a file's diff shows binary content (git's one-line note, a binary patch, NUL bytes).
pub fn is_binary_diff(section: &str) -> bool {
    section.contains('\0')
        || section.lines().any(|l| {
            (l.starts_with("Binary files ") && l.ends_with(" differ")) || l == "GIT binary patch"
        })
}

/// Whether the file is a dotenv file (`.env`, `.env.prod`, `prod.env`, `.envrc`).
#[allow(clippy::case_sensitive_file_extension_comparisons)] // dotenv names are lower case
pub fn is_env_file(path: &str) -> bool {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    name == ".env" || name == ".envrc" || name.starts_with(".env.") || name.ends_with(".env")
}

/// Whether the file is source code (where a bare `token = value` is an expression, not a
/// literal secret).
fn is_code_file(path: &str) -> bool {
    const CODE: &[&str] = &[
        "py", "pyi", "pyx", "js", "mjs", "cjs", "ts", "tsx", "jsx", "rs", "go", "java", "kt",
        "scala", "rb", "php", "c", "h", "cc", "cpp", "hpp", "cs", "swift", "m", "r", "jl", "lua",
        "dart", "ex", "exs",
    ];
    path.rsplit_once('.')
        .is_some_and(|(_, ext)| CODE.contains(&ext.to_ascii_lowercase().as_str()))
}

// ---------------------------------------------------------------------------------------------
// Masking secrets

/// Token formats recognised anywhere: (prefix, allowed characters after it, minimum length of
/// the part after the prefix). The prefix is kept so the reader knows what kind of token it was.
struct TokenRule {
    prefix: &'static str,
    min: usize,
    max: usize,
    chars: fn(char) -> bool,
}

fn alnum(c: char) -> bool {
    c.is_ascii_alphanumeric()
}
fn alnum_us(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}
fn alnum_dash(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}
fn upper_digit(c: char) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit()
}

const TOKEN_RULES: &[TokenRule] = &[
    // GitHub: classic and fine-grained personal, OAuth, user-to-server, server, refresh tokens.
    TokenRule {
        prefix: "github_pat_",
        min: 20,
        max: usize::MAX,
        chars: alnum_us,
    },
    TokenRule {
        prefix: "ghp_",
        min: 20,
        max: usize::MAX,
        chars: alnum,
    },
    TokenRule {
        prefix: "gho_",
        min: 20,
        max: usize::MAX,
        chars: alnum,
    },
    TokenRule {
        prefix: "ghu_",
        min: 20,
        max: usize::MAX,
        chars: alnum,
    },
    TokenRule {
        prefix: "ghs_",
        min: 20,
        max: usize::MAX,
        chars: alnum,
    },
    TokenRule {
        prefix: "ghr_",
        min: 20,
        max: usize::MAX,
        chars: alnum,
    },
    // GitLab, OpenAI / Anthropic and compatible, Hugging Face, PyPI, npm, Slack, Google, Stripe.
    TokenRule {
        prefix: "glpat-",
        min: 20,
        max: usize::MAX,
        chars: alnum_dash,
    },
    TokenRule {
        prefix: "sk-",
        min: 16,
        max: usize::MAX,
        chars: alnum_dash,
    },
    TokenRule {
        prefix: "hf_",
        min: 30,
        max: usize::MAX,
        chars: alnum,
    },
    TokenRule {
        prefix: "pypi-",
        min: 40,
        max: usize::MAX,
        chars: alnum_dash,
    },
    TokenRule {
        prefix: "npm_",
        min: 30,
        max: usize::MAX,
        chars: alnum,
    },
    TokenRule {
        prefix: "xoxb-",
        min: 10,
        max: usize::MAX,
        chars: alnum_dash,
    },
    TokenRule {
        prefix: "xoxp-",
        min: 10,
        max: usize::MAX,
        chars: alnum_dash,
    },
    TokenRule {
        prefix: "xoxa-",
        min: 10,
        max: usize::MAX,
        chars: alnum_dash,
    },
    TokenRule {
        prefix: "xoxs-",
        min: 10,
        max: usize::MAX,
        chars: alnum_dash,
    },
    TokenRule {
        prefix: "xapp-",
        min: 10,
        max: usize::MAX,
        chars: alnum_dash,
    },
    TokenRule {
        prefix: "AIza",
        min: 35,
        max: usize::MAX,
        chars: alnum_dash,
    },
    TokenRule {
        prefix: "sk_live_",
        min: 16,
        max: usize::MAX,
        chars: alnum,
    },
    TokenRule {
        prefix: "sk_test_",
        min: 16,
        max: usize::MAX,
        chars: alnum,
    },
    TokenRule {
        prefix: "rk_live_",
        min: 16,
        max: usize::MAX,
        chars: alnum,
    },
    // AWS access key ids: exactly 16 more characters.
    TokenRule {
        prefix: "AKIA",
        min: 16,
        max: 16,
        chars: upper_digit,
    },
    TokenRule {
        prefix: "ASIA",
        min: 16,
        max: 16,
        chars: upper_digit,
    },
    TokenRule {
        prefix: "AGPA",
        min: 16,
        max: 16,
        chars: upper_digit,
    },
    TokenRule {
        prefix: "AIDA",
        min: 16,
        max: 16,
        chars: upper_digit,
    },
    TokenRule {
        prefix: "AROA",
        min: 16,
        max: 16,
        chars: upper_digit,
    },
];

/// Mask the recognisable tokens of a line (GitHub, `OpenAI`, AWS … formats, `Bearer …`, JWTs,
/// credentials in URLs). Returns the number masked.
fn mask_tokens(line: &mut String) -> usize {
    let mut count = 0;
    for rule in TOKEN_RULES {
        let mut from = 0;
        while let Some(pos) = line[from..].find(rule.prefix).map(|p| p + from) {
            let boundary = line[..pos]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_ascii_alphanumeric());
            let start = pos + rule.prefix.len();
            let run: usize = line[start..]
                .chars()
                .take_while(|c| (rule.chars)(*c))
                .map(char::len_utf8)
                .sum();
            let ends = line[start + run..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_ascii_alphanumeric());
            if boundary && run >= rule.min && run <= rule.max && ends {
                line.replace_range(start..start + run, MASK);
                count += 1;
                from = start + MASK.len();
            } else {
                from = start;
            }
        }
    }
    count += mask_after_word(line, "bearer ", 8);
    count += mask_after_word(line, "authorization: basic ", 8);
    count += mask_after_word(line, "authorization: token ", 8);
    count += mask_jwts(line);
    count += mask_url_credentials(line);
    count
}

fn token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._~+/=-".contains(c)
}

/// `Bearer <token>` (case-insensitive).
fn mask_after_word(line: &mut String, word: &str, min: usize) -> usize {
    let mut count = 0;
    let mut from = 0;
    loop {
        let lower = line.to_ascii_lowercase();
        let Some(pos) = lower[from..].find(word).map(|p| p + from) else {
            break;
        };
        let start = pos + word.len();
        let run: usize = line[start..]
            .chars()
            .take_while(|c| token_char(*c))
            .map(char::len_utf8)
            .sum();
        let boundary = line[..pos]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_ascii_alphanumeric());
        if boundary && run >= min && &line[start..start + run] != MASK {
            line.replace_range(start..start + run, MASK);
            count += 1;
            from = start + MASK.len();
        } else {
            from = start;
        }
    }
    count
}

/// JSON web tokens: `eyJ….eyJ….signature`.
fn mask_jwts(line: &mut String) -> usize {
    let b64 = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let mut count = 0;
    let mut from = 0;
    while let Some(pos) = line[from..].find("eyJ").map(|p| p + from) {
        let rest = &line[pos..];
        let parts: Vec<&str> = rest
            .split(|c: char| !(b64(c) || c == '.'))
            .next()
            .unwrap_or("")
            .splitn(4, '.')
            .collect();
        if parts.len() >= 3 && parts[0].len() >= 10 && parts[1].starts_with("eyJ") {
            let len = parts[0].len() + parts[1].len() + parts[2].len() + 2;
            line.replace_range(pos..pos + len, MASK);
            count += 1;
            from = pos + MASK.len();
        } else {
            from = pos + 3;
        }
    }
    count
}

/// `scheme://user:password@host` → `scheme://user:[MASKED]@host`; a long bare userinfo
/// (`https://<token>@host`) is masked whole.
fn mask_url_credentials(line: &mut String) -> usize {
    let mut count = 0;
    let mut from = 0;
    while let Some(pos) = line[from..].find("://").map(|p| p + from) {
        let start = pos + 3;
        let auth_end = line[start..]
            .find(|c: char| c == '/' || c == '@' || c.is_whitespace() || "\"'`<>".contains(c))
            .map_or(line.len(), |p| p + start);
        if line[auth_end..].starts_with('@') {
            let userinfo = &line[start..auth_end];
            if let Some(colon) = userinfo.find(':') {
                let secret = &userinfo[colon + 1..];
                if !secret.is_empty() && secret != MASK && !is_placeholder(secret) {
                    line.replace_range(start + colon + 1..auth_end, MASK);
                    count += 1;
                }
            } else if userinfo.len() >= 20 && userinfo != MASK {
                line.replace_range(start..auth_end, MASK);
                count += 1;
            }
        }
        from = start.min(line.len());
        if from >= line.len() {
            break;
        }
    }
    count
}

/// Values that are obviously not secrets: empty, references to variables, templates, None.
fn is_placeholder(value: &str) -> bool {
    let v = value.trim();
    v.is_empty()
        || v.starts_with('$')
        || v.starts_with("{{")
        || v.starts_with("%(")
        || (v.starts_with('<') && v.ends_with('>'))
        || v.contains(MASK)
        || matches!(
            v.to_ascii_lowercase().as_str(),
            "none" | "null" | "nil" | "~" | "true" | "false" | "\"\"" | "''"
        )
}

/// Words (lower case) of an identifier: split on non-alphanumerics and camelCase.
fn words(ident: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in ident.chars() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// How sensitive a name is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sensitivity {
    /// `password`, `secret`, `api_key` …: any literal value is masked.
    Strong,
    /// `token`: masked when the value looks like a token (long, no spaces, not `<pad>`), since
    /// `pad_token = "<pad>"` is everyday ML code.
    Token,
}

fn sensitivity(name: &str) -> Option<Sensitivity> {
    const STRONG: &[&str] = &[
        "password",
        "passwd",
        "passphrase",
        "secret",
        "credential",
        "credentials",
        "apikey",
        "privatekey",
        "secretkey",
        "accesskey",
        "clientsecret",
    ];
    const KEY_PAIRS: &[&str] = &[
        "api",
        "access",
        "private",
        "secret",
        "signing",
        "encryption",
        "master",
        "auth",
    ];
    let w = words(name);
    if w.iter().any(|x| STRONG.contains(&x.as_str())) {
        return Some(Sensitivity::Strong);
    }
    if w.windows(2)
        .any(|p| p[1] == "key" && KEY_PAIRS.contains(&p[0].as_str()))
    {
        return Some(Sensitivity::Strong);
    }
    if w.iter().any(|x| x == "token") {
        return Some(Sensitivity::Token);
    }
    None
}

fn looks_like_token(value: &str) -> bool {
    let v = value.trim();
    let bracketed = v.starts_with('[') && v.ends_with(']');
    v.chars().count() >= 8
        && !v.chars().any(char::is_whitespace)
        && !bracketed
        && !is_placeholder(v)
}

/// The identifier that ends right before byte `end` of `line` (skipping spaces and one closing
/// quote, as in `"password": …`).
fn name_before(line: &str, end: usize) -> &str {
    let head = line[..end].trim_end();
    let head = head.strip_suffix(['"', '\'']).unwrap_or(head);
    let start = head
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_alphanumeric() || "_-.".contains(*c))
        .last()
        .map_or(head.len(), |(i, _)| i);
    &head[start..]
}

/// The value after a separator at byte `from`: `(start, end, quoted)`. Quoted values end at the
/// closing quote; bare ones at the end of the line, before ` #` / ` //` comments and a
/// trailing `,` or `;`.
fn value_after(line: &str, from: usize, word: bool) -> Option<(usize, usize, bool)> {
    let rest = &line[from..];
    let skipped = rest.len() - rest.trim_start().len();
    let start = from + skipped;
    let rest = &line[start..];
    let first = rest.chars().next()?;
    if first == '"' || first == '\'' {
        let close = rest[1..].find(first)?;
        return Some((start + 1, start + 1 + close, true));
    }
    let mut end = rest.len();
    if word {
        end = rest.find(char::is_whitespace).unwrap_or(end);
    }
    for marker in [" #", "\t#", " //"] {
        if let Some(p) = rest.find(marker) {
            end = end.min(p);
        }
    }
    let value = rest[..end].trim_end().trim_end_matches([',', ';']);
    Some((start, start + value.len(), false))
}

/// Mask the values of sensitive assignments in one line (`password = "x"`, `"api_key": "x"`,
/// `SECRET_KEY: x`, `--password x`). In code files only quoted literals are masked (a bare value
/// is an expression such as `os.environ["TOKEN"]`).
fn mask_assignments(line: &mut String, code: bool) -> usize {
    let mut count = 0;
    let mut i = 0;
    while i < line.len() {
        let bytes = line.as_bytes();
        let c = bytes[i];
        let (sep_len, is_sep) = match c {
            b'=' => {
                let next = bytes.get(i + 1).copied();
                let prev = if i > 0 { bytes[i - 1] } else { b' ' };
                if next == Some(b'>') {
                    (2, true)
                } else {
                    (
                        1,
                        next != Some(b'=') && !b"=!<>+-*/%&|^~".contains(&prev) || prev == b':',
                    )
                }
            }
            b':' => {
                let next = bytes.get(i + 1).copied();
                let prev = if i > 0 { bytes[i - 1] } else { b' ' };
                (
                    1,
                    next != Some(b':')
                        && next != Some(b'=')
                        && prev != b':'
                        && !line[i + 1..].starts_with("//"),
                )
            }
            b' ' if line[..i].ends_with(|ch: char| ch.is_ascii_alphanumeric()) => {
                // `--password value`
                let name = name_before(line, i);
                (1, name.starts_with("--") && sensitivity(name).is_some())
            }
            _ => (1, false),
        };
        if !is_sep {
            i += 1;
            continue;
        }
        let name_end = if c == b'=' && i > 0 && line.as_bytes()[i - 1] == b':' {
            i - 1
        } else {
            i
        };
        let name = name_before(line, name_end);
        let Some(level) = sensitivity(name) else {
            i += sep_len;
            continue;
        };
        let Some((start, end, quoted)) = value_after(line, i + sep_len, c == b' ') else {
            i += sep_len;
            continue;
        };
        let value = &line[start..end];
        let masks = (quoted || !code)
            && !is_placeholder(value)
            && (level == Sensitivity::Strong || looks_like_token(value))
            && !value.starts_with("--");
        if masks {
            line.replace_range(start..end, MASK);
            count += 1;
            i = start + MASK.len();
        } else {
            i += sep_len;
        }
    }
    count
}

/// The diff prefix of a line (`+`, `-`, ` `) and the rest.
fn split_prefix(line: &str) -> (&str, &str) {
    match line.chars().next() {
        Some('+' | '-' | ' ') if !line.starts_with("+++") && !line.starts_with("---") => {
            line.split_at(1)
        }
        _ => ("", line),
    }
}

/// `KEY=value` lines of a dotenv file: every value is masked.
fn mask_env_line(line: &mut String) -> usize {
    let (prefix, body) = split_prefix(line);
    let body_start = prefix.len();
    let trimmed = body.trim_start();
    if trimmed.starts_with('#') {
        return 0;
    }
    let lead = body.len() - trimmed.len();
    let assignment = trimmed.strip_prefix("export ").unwrap_or(trimmed);
    let offset = body_start + lead + (trimmed.len() - assignment.len());
    let Some(eq) = assignment.find('=') else {
        return 0;
    };
    let key = &assignment[..eq];
    if key.is_empty()
        || !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    {
        return 0;
    }
    let Some((start, end, _)) = value_after(line, offset + eq + 1, false) else {
        return 0;
    };
    if is_placeholder(&line[start..end]) {
        return 0;
    }
    line.replace_range(start..end, MASK);
    1
}

fn is_key_begin(line: &str) -> bool {
    line.find("-----BEGIN ").is_some_and(|p| {
        let rest = &line[p..];
        rest.find("PRIVATE KEY")
            .is_some_and(|k| rest[k..].contains("-----"))
    })
}

fn is_key_end(line: &str) -> bool {
    line.find("-----END ")
        .is_some_and(|p| line[p..].contains("PRIVATE KEY"))
}

/// Mask secrets in `text` (the diff of `path`, or free text when `None`): private key blocks,
/// known token formats, sensitive assignments, dotenv values, and the exact values in `known`
/// (the API key, forge tokens). Returns the text and the number of secrets masked.
pub fn mask_secrets(text: &str, path: Option<&str>, known: &[&str]) -> (String, usize) {
    let env_file = path.is_some_and(is_env_file);
    let code = path.is_some_and(is_code_file);
    let mut out = String::with_capacity(text.len());
    let mut count = 0;
    let mut in_key = false;
    let mut key_masked = false;
    for raw in text.split_inclusive('\n') {
        let newline = &raw[raw.trim_end_matches(['\n', '\r']).len()..];
        let line_text = &raw[..raw.len() - newline.len()];
        if in_key {
            if is_key_end(line_text) {
                in_key = false;
                out.push_str(raw);
            } else if !key_masked {
                let (prefix, _) = split_prefix(line_text);
                let _ = write!(out, "{prefix}{MASK}{newline}");
                key_masked = true;
            }
            continue;
        }
        let mut line = line_text.to_owned();
        if is_key_begin(&line) {
            let begin = line.find("-----BEGIN ").expect("begin marker");
            // The marker's closing dashes.
            let after_label = line[begin + 11..]
                .find("-----")
                .map_or(line.len(), |p| begin + 11 + p + 5);
            if let Some(end) = line[after_label..]
                .find("-----END ")
                .map(|p| p + after_label)
            {
                // The whole key on one line (e.g. `"private_key": "-----BEGIN…\n…-----END…"`).
                line.replace_range(after_label..end, MASK);
            } else {
                in_key = true;
                key_masked = false;
            }
            count += 1;
            out.push_str(&line);
            out.push_str(newline);
            continue;
        }
        if env_file {
            count += mask_env_line(&mut line);
        }
        count += mask_tokens(&mut line);
        count += mask_assignments(&mut line, code);
        for secret in known {
            if secret.len() >= 8 && line.contains(secret) {
                count += line.matches(secret).count();
                line = line.replace(secret, MASK);
            }
        }
        out.push_str(&line);
        out.push_str(newline);
    }
    (out, count)
}

// ---------------------------------------------------------------------------------------------
// Cutting to a budget

/// Lines longer than this are shortened (minified code, embedded images, data blobs).
const LONG_LINE: usize = 2000;
const LONG_LINE_KEEP: usize = 200;

fn floor_char(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Shorten lines longer than [`LONG_LINE`] bytes.
fn shorten_long_lines(text: &str) -> (String, bool) {
    if !text.split('\n').any(|l| l.len() > LONG_LINE) {
        return (text.to_owned(), false);
    }
    let mut out = String::with_capacity(text.len().min(LONG_LINE * 4));
    for raw in text.split_inclusive('\n') {
        let line = raw.trim_end_matches('\n');
        if line.len() > LONG_LINE {
            let keep = floor_char(line, LONG_LINE_KEEP);
            let _ = write!(
                out,
                "{}… [release-tool: {} bytes of a long line left out]",
                &line[..keep],
                line.len() - keep
            );
            out.push_str(&raw[line.len()..]);
        } else {
            out.push_str(raw);
        }
    }
    (out, true)
}

/// `text` cut to at most `max` bytes, at a line end when one is near, with a note.
fn cut_to(text: &str, max: usize, what: &str) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let note = |shown: usize| {
        format!(
            "\n[release-tool: {what} cut here; {shown} of {} bytes shown]\n",
            text.len()
        )
    };
    let room = max.saturating_sub(note(text.len()).len());
    if room == 0 {
        return text[..floor_char(text, max)].to_owned();
    }
    let mut end = floor_char(text, room);
    if let Some(nl) = text[..end].rfind('\n')
        && nl >= end / 2
    {
        end = nl + 1;
    }
    let mut out = text[..end].to_owned();
    out.push_str(&note(end));
    out
}

/// Share `budget` between parts of the given sizes: small parts keep all they have, the large
/// ones split the rest evenly ("water-filling").
pub fn allowances(sizes: &[usize], budget: usize) -> Vec<usize> {
    let total: usize = sizes.iter().sum();
    if total <= budget {
        return sizes.to_vec();
    }
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by_key(|&i| sizes[i]);
    let mut out = vec![0; sizes.len()];
    let mut left = budget;
    for (n, &i) in order.iter().enumerate() {
        let share = left / (sizes.len() - n);
        let take = sizes[i].min(share);
        out[i] = take;
        left -= take;
    }
    out
}

/// A part of what the LLM is sent: free text or one file's diff, already filtered and masked.
#[derive(Clone, Debug)]
struct Part {
    label: Option<String>,
    text: String,
}

/// Filter, mask and cut diff-bearing texts for an LLM. `inputs` are texts that share the
/// budget (e.g. a commit log and a diff); each comes back prepared, in order, together at most
/// `max_bytes` long.
pub fn prepare(inputs: &[&str], max_bytes: usize, known: &[&str]) -> (Vec<String>, Prepared) {
    let mut report = Prepared::default();
    let mut parts: Vec<(usize, Part)> = Vec::new();
    for (n, input) in inputs.iter().enumerate() {
        for section in split_diff(input) {
            let part = match section {
                Section::Text(text) => {
                    let (text, masked) = mask_secrets(&text, None, known);
                    report.masked += masked;
                    Part { label: None, text }
                }
                Section::File { path, text } => {
                    let reason = skip_reason(&path)
                        .or_else(|| is_binary_diff(&text).then_some(SkipReason::Binary));
                    if let Some(reason) = reason {
                        report.omitted.push((path.clone(), reason.as_str()));
                        let text = format!(
                            "[release-tool: the diff of {path} is left out ({})]\n",
                            reason.as_str()
                        );
                        Part {
                            label: Some(path),
                            text,
                        }
                    } else {
                        let (text, masked) = mask_secrets(&text, Some(&path), known);
                        report.masked += masked;
                        let (text, shortened) = shorten_long_lines(&text);
                        if shortened {
                            report.cut.push(path.clone());
                        }
                        Part {
                            label: Some(path),
                            text,
                        }
                    }
                }
            };
            parts.push((n, part));
        }
    }
    let sizes: Vec<usize> = parts.iter().map(|(_, p)| p.text.len()).collect();
    let allowed = allowances(&sizes, max_bytes);
    let mut outputs = vec![String::new(); inputs.len()];
    for ((n, part), allow) in parts.iter().zip(allowed) {
        if part.text.len() > allow {
            let label = part.label.clone().unwrap_or_else(|| "text".to_owned());
            if !report.cut.contains(&label) {
                report.cut.push(label);
            }
            let what = part
                .label
                .as_ref()
                .map_or_else(|| "this text".to_owned(), |p| format!("the diff of {p}"));
            outputs[*n].push_str(&cut_to(&part.text, allow, &what));
        } else {
            outputs[*n].push_str(&part.text);
        }
    }
    // The notes of the cuts may overshoot by a few bytes: cut the last input hard if needed.
    let total: usize = outputs.iter().map(String::len).sum();
    if total > max_bytes
        && let Some(last) = outputs.iter_mut().rev().find(|o| !o.is_empty())
    {
        let over = total - max_bytes;
        let keep = floor_char(last, last.len().saturating_sub(over));
        last.truncate(keep);
    }
    report.text = outputs.concat();
    (outputs, report)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIFF: &str = "## git diff HEAD\n\n\
diff --git a/uv.lock b/uv.lock\n\
index 1..2 100644\n\
--- a/uv.lock\n\
+++ b/uv.lock\n\
@@ -1 +1 @@\n\
-old\n\
+new\n\
diff --git a/src/app.py b/src/app.py\n\
index 1..2 100644\n\
--- a/src/app.py\n\
+++ b/src/app.py\n\
@@ -1,2 +1,2 @@\n\
 import os\n\
-A = 1\n\
+A = 2\n\
diff --git a/logo.png b/logo.png\n\
new file mode 100644\n\
index 0000000..1111111\n\
Binary files /dev/null and b/logo.png differ\n\
\n## Untracked files\n\n\
diff --git a/new file.txt b/new file.txt\n\
new file mode 100644\n\
--- /dev/null\n\
+++ b/new file.txt\t\n\
@@ -0,0 +1 @@\n\
+hello\n";

    #[test]
    fn split_round_trips_and_finds_paths() {
        let sections = split_diff(DIFF);
        let joined: String = sections
            .iter()
            .map(|s| match s {
                Section::Text(t) | Section::File { text: t, .. } => t.as_str(),
            })
            .collect();
        assert_eq!(joined, DIFF);
        let paths: Vec<&str> = sections
            .iter()
            .filter_map(|s| match s {
                Section::File { path, .. } => Some(path.as_str()),
                Section::Text(_) => None,
            })
            .collect();
        assert_eq!(paths, ["uv.lock", "src/app.py", "logo.png", "new file.txt"]);
        // The heading between diffs is text, not part of logo.png's diff.
        assert!(
            sections
                .iter()
                .any(|s| matches!(s, Section::Text(t) if t.contains("## Untracked files")))
        );
    }

    #[test]
    fn paths_of_deletions_renames_and_quoted_names() {
        let del = "diff --git a/gone.py b/gone.py\ndeleted file mode 100644\n--- a/gone.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n";
        assert_eq!(diff_path(del).as_deref(), Some("gone.py"));
        let ren = "diff --git a/old.py b/new.py\nsimilarity index 100%\nrename from old.py\nrename to new.py\n";
        assert_eq!(diff_path(ren).as_deref(), Some("new.py"));
        let mode = "diff --git a/run.sh b/run.sh\nold mode 100644\nnew mode 100755\n";
        assert_eq!(diff_path(mode).as_deref(), Some("run.sh"));
        let quoted =
            "diff --git \"a/caf\\303\\251.py\" \"b/caf\\303\\251.py\"\nBinary files differ\n";
        assert_eq!(diff_path(quoted).as_deref(), Some("caf\\303\\251.py"));
        let spaced = "diff --git a/a b/c.py b/a b/c.py\nnew file mode 100644\nBinary files /dev/null and b/a b/c.py differ\n";
        assert_eq!(diff_path(spaced).as_deref(), Some("a b/c.py"));
    }

    #[test]
    fn blank_lines_inside_a_hunk_stay_with_the_file() {
        let text = "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1,3 +1,3 @@\n x\n\n+y\n\nafter\n";
        let sections = split_diff(text);
        assert_eq!(sections.len(), 2, "{sections:?}");
        assert!(matches!(&sections[0], Section::File { text, .. } if text.ends_with("+y\n")));
        assert_eq!(sections[1], Section::Text("\nafter\n".to_owned()));
    }

    #[test]
    fn skip_rules() {
        for (path, want) in [
            ("uv.lock", Some(SkipReason::Lock)),
            ("sub/poetry.lock", Some(SkipReason::Lock)),
            ("Cargo.lock", Some(SkipReason::Lock)),
            ("package-lock.json", Some(SkipReason::Lock)),
            ("web/pnpm-lock.yaml", Some(SkipReason::Lock)),
            ("pylock.toml", Some(SkipReason::Lock)),
            ("pylock.dev.toml", Some(SkipReason::Lock)),
            ("go.sum", Some(SkipReason::Lock)),
            ("static/app.min.js", Some(SkipReason::Generated)),
            ("static/app.MIN.CSS", Some(SkipReason::Generated)),
            ("static/app.js.map", Some(SkipReason::Generated)),
            ("dist/pkg-0.1.0.tar.gz", Some(SkipReason::Generated)),
            ("build/lib/x.py", Some(SkipReason::Generated)),
            (
                "src/pkg/__pycache__/a.cpython-312.pyc",
                Some(SkipReason::Generated),
            ),
            ("src/pkg.egg-info/PKG-INFO", Some(SkipReason::Generated)),
            ("node_modules/x/index.js", Some(SkipReason::Generated)),
            ("src/pkg/api_pb2.py", Some(SkipReason::Generated)),
            ("logo.PNG", Some(SkipReason::Binary)),
            ("models/weights.safetensors", Some(SkipReason::Binary)),
            ("data/x.parquet", Some(SkipReason::Binary)),
            // Not skipped: a `build` package inside the sources, lock-like names, code.
            ("src/pkg/build/__init__.py", None),
            ("src/pkg/distance.py", None),
            ("docs/locking.md", None),
            ("requirements.txt", None),
            ("src/pkg/lock.py", None),
            ("README.md", None),
        ] {
            assert_eq!(skip_reason(path), want, "{path}");
        }
        assert!(is_binary_diff("Binary files a/x and b/x differ\n"));
        assert!(is_binary_diff("GIT binary patch\nliteral 12\n"));
        assert!(is_binary_diff("+\0\0\n"));
        assert!(!is_binary_diff("+Binary files are fun\n"));
        let patch = "diff --git a/x.dat b/x.dat\nindex 1..2\nGIT binary patch\nliteral 5\nMcmZ?d\n\nliteral 3\nKcmV+b\n\nafter\n";
        let sections = split_diff(patch);
        assert_eq!(sections.len(), 2, "{sections:?}");
        assert_eq!(sections[1], Section::Text("\nafter\n".to_owned()));
    }

    fn masked(text: &str, path: Option<&str>) -> String {
        mask_secrets(text, path, &[]).0
    }

    #[test]
    fn token_formats_are_masked_keeping_the_prefix() {
        let ghp = format!("ghp_{}", "a1B2".repeat(9));
        let pat = format!("github_pat_{}", "11AAB_cd".repeat(6));
        let sk = "sk-proj-abcdefghijklmnop1234";
        let aws = "AKIAIOSFODNN7EXAMPLE";
        let hf = format!("hf_{}", "abcdefghij".repeat(4));
        let text = format!(
            "+GITHUB_TOKEN={ghp}\n+url = x?t={pat}\n+client = OpenAI(api_key=\"{sk}\")\n+aws {aws} done\n+HF {hf}\n"
        );
        let (out, n) = mask_secrets(&text, Some("config.txt"), &[]);
        for secret in [ghp.as_str(), pat.as_str(), sk, aws, hf.as_str()] {
            assert!(!out.contains(secret), "{secret} in {out}");
        }
        assert!(out.contains("+GITHUB_TOKEN=ghp_[MASKED]\n"), "{out}");
        assert!(out.contains("api_key=\"sk-[MASKED]\""), "{out}");
        assert!(out.contains("aws AKIA[MASKED] done"), "{out}");
        assert!(n >= 5, "{n}");
    }

    #[test]
    fn token_lookalikes_are_kept() {
        for text in [
            "+task-abcdefghijklmnopqrst = 1\n", // `sk-` inside a word
            "+import sklearn; sk-learn\n",      // too short
            "+ghp_short\n",
            "+AKIA1234\n",               // too short for an AWS key id
            "+AKIAIOSFODNN7EXAMPLEXX\n", // too long
            "+desk-ghp_x\n",
        ] {
            assert_eq!(masked(text, Some("a.txt")), text, "{text}");
        }
    }

    #[test]
    fn bearer_jwt_and_url_credentials() {
        let out = masked(
            "+curl -H 'Authorization: Bearer abc.def-ghi_jkl' https://api\n",
            None,
        );
        assert_eq!(
            out,
            "+curl -H 'Authorization: Bearer [MASKED]' https://api\n"
        );
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.c2lnbmF0dXJl";
        let out = masked(&format!("+t = {jwt}\n"), Some("a.py"));
        assert!(!out.contains(jwt), "{out}");
        let out = masked(
            "+index-url = https://__token__:pypi-Ag123@upload.pypi.org/legacy/ and postgres://app:hunter2@db:5432/x\n",
            None,
        );
        assert!(
            out.contains("https://__token__:[MASKED]@upload.pypi.org"),
            "{out}"
        );
        assert!(out.contains("postgres://app:[MASKED]@db"), "{out}");
        let out = masked(
            "+git clone https://x-access-token@github.com/o/r https://github.com/o/r\n",
            None,
        );
        assert!(
            out.contains("https://x-access-token@github.com"),
            "short user kept: {out}"
        );
        let out = masked(
            "+git clone https://ghs_0123456789abcdefghijklmnopqrstuvwxyz@github.com/o/r\n",
            None,
        );
        assert!(!out.contains("ghs_0123456789"), "{out}");
        // A placeholder is kept.
        let text = "+url = https://user:${PASSWORD}@host/\n";
        assert_eq!(masked(text, None), text);
    }

    #[test]
    fn private_key_blocks_are_masked_in_diffs_and_inline() {
        let text = "+key:\n+-----BEGIN OPENSSH PRIVATE KEY-----\n+b3BlbnNzaC1rZXktdjEAAAAA\n+QyNTUxOQAAACBmZXZlcg\n+-----END OPENSSH PRIVATE KEY-----\n+after\n";
        let (out, n) = mask_secrets(text, Some("id_ed25519"), &[]);
        assert_eq!(
            out,
            "+key:\n+-----BEGIN OPENSSH PRIVATE KEY-----\n+[MASKED]\n+-----END OPENSSH PRIVATE KEY-----\n+after\n"
        );
        assert_eq!(n, 1);
        // Unterminated (e.g. cut): everything after BEGIN is masked.
        let out = masked("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAKC\n", None);
        assert_eq!(out, "-----BEGIN RSA PRIVATE KEY-----\n[MASKED]\n");
        // PGP and one-line JSON (service account files).
        let out = masked(
            " -----BEGIN PGP PRIVATE KEY BLOCK-----\n lQdGBF\n -----END PGP PRIVATE KEY BLOCK-----\n",
            None,
        );
        assert!(!out.contains("lQdGBF"), "{out}");
        let out = masked(
            "+  \"private_key\": \"-----BEGIN PRIVATE KEY-----\\nMIIEvQIB\\n-----END PRIVATE KEY-----\\n\",\n",
            Some("sa.json"),
        );
        assert!(!out.contains("MIIEvQIB"), "{out}");
        // A public key is not a secret.
        let text = "+-----BEGIN PUBLIC KEY-----\n+MIIBIjAN\n+-----END PUBLIC KEY-----\n";
        assert_eq!(masked(text, None), text);
    }

    #[test]
    fn sensitive_assignments() {
        for (text, path, want) in [
            (
                "+password = \"hunter2\"\n",
                Some("a.py"),
                "+password = \"[MASKED]\"\n",
            ),
            (
                "+DB_PASSWORD=hunter2\n",
                Some("settings.ini"),
                "+DB_PASSWORD=[MASKED]\n",
            ),
            (
                "+  secret: abc # rotate\n",
                Some("c.yaml"),
                "+  secret: [MASKED] # rotate\n",
            ),
            (
                "+  \"api_key\": \"abc123\",\n",
                Some("c.json"),
                "+  \"api_key\": \"[MASKED]\",\n",
            ),
            ("+apiKey: 'abc'\n", Some("c.ts"), "+apiKey: '[MASKED]'\n"),
            (
                "+SECRET_KEY = 'django-insecure-x'\n",
                Some("settings.py"),
                "+SECRET_KEY = '[MASKED]'\n",
            ),
            (
                "+aws_secret_access_key = wJalrXUtnFEMI/K7MDENG\n",
                Some("credentials"),
                "+aws_secret_access_key = [MASKED]\n",
            ),
            (
                "+conn = connect(password=\"pw\", user=\"u\")\n",
                Some("db.py"),
                "+conn = connect(password=\"[MASKED]\", user=\"u\")\n",
            ),
            (
                "+twine upload --password s3cr3t dist/*\n",
                None,
                "+twine upload --password [MASKED] dist/*\n",
            ),
            (
                "+'password' => 'pw',\n",
                Some("c.php"),
                "+'password' => '[MASKED]',\n",
            ),
            (
                "+ACCESS_TOKEN=abcdefgh12345\n",
                Some("ci.cfg"),
                "+ACCESS_TOKEN=[MASKED]\n",
            ),
        ] {
            assert_eq!(masked(text, path), want, "{text}");
        }
    }

    #[test]
    fn harmless_assignments_are_kept() {
        for (text, path) in [
            ("+password = os.environ[\"PASSWORD\"]\n", Some("a.py")),
            ("+token = get_token()\n", Some("a.py")),
            ("+pad_token = \"<pad>\"\n", Some("tok.py")),
            ("+eos_token = \"</s>\"\n", Some("tok.py")),
            ("+cls_token: [CLS]\n", Some("tok.yaml")),
            ("+max_tokens = 512\n", Some("a.py")),
            (
                "+tokenizer = AutoTokenizer.from_pretrained(name)\n",
                Some("a.py"),
            ),
            ("+if password == \"\":\n", Some("a.py")),
            ("+password: ${DB_PASSWORD}\n", Some("c.yaml")),
            ("+password = None\n", Some("a.py")),
            ("+PASSWORD=\n", Some("c.ini")),
            ("+def login(password: str) -> None:\n", Some("a.py")),
            ("+See https://example.com/password-reset\n", None),
            ("+The secret of good code: tests\n", Some("README.md")),
        ] {
            assert_eq!(masked(text, path), text, "{text}");
        }
    }

    #[test]
    fn dotenv_values_are_all_masked() {
        let text = "+# comment\n+export DEBUG=1\n+DATABASE_URL=postgres://u:p@h/db\n+NAME=\"x y\"\n+EMPTY=\n VAR=${OTHER}\n";
        let (out, _) = mask_secrets(text, Some("deploy/.env.production"), &[]);
        assert_eq!(
            out,
            "+# comment\n+export DEBUG=[MASKED]\n+DATABASE_URL=[MASKED]\n+NAME=\"[MASKED]\"\n+EMPTY=\n VAR=${OTHER}\n"
        );
        assert!(is_env_file(".env") && is_env_file("a/prod.env") && is_env_file(".envrc"));
        assert!(!is_env_file("environment.py") && !is_env_file("src/env.py"));
    }

    #[test]
    fn known_values_are_masked_anywhere() {
        let (out, n) = mask_secrets(
            "+x = opaque-value-123 # and opaque-value-123\n",
            Some("a.py"),
            &["opaque-value-123", "short"],
        );
        assert_eq!(out, "+x = [MASKED] # and [MASKED]\n");
        assert_eq!(n, 2);
    }

    #[test]
    fn allowances_share_fairly() {
        assert_eq!(allowances(&[10, 20], 100), [10, 20]);
        assert_eq!(allowances(&[10, 1000, 1000], 310), [10, 150, 150]);
        assert_eq!(allowances(&[0, 5], 3), [0, 3]);
        assert_eq!(allowances(&[], 3), Vec::<usize>::new());
    }

    #[test]
    fn prepare_filters_masks_and_fits_the_budget() {
        let big: String = (0..2000).fold(String::new(), |mut s, i| {
            let _ = writeln!(s, "+line {i}");
            s
        });
        let diff = format!(
            "{DIFF}diff --git a/big.py b/big.py\n--- a/big.py\n+++ b/big.py\n@@ -0,0 +1,2000 @@\n{big}diff --git a/.env b/.env\n--- /dev/null\n+++ b/.env\n@@ -0,0 +1 @@\n+TOKEN=abc\n"
        );
        let (out, report) = prepare(&["log: fix things\n", &diff], 3000, &[]);
        assert_eq!(out.len(), 2);
        assert!(report.text.len() <= 3000, "{}", report.text.len());
        assert_eq!(out[0], "log: fix things\n");
        assert!(!report.text.contains("-old\n+new"), "lock diff left out");
        assert!(
            report
                .text
                .contains("the diff of uv.lock is left out (lock file)")
        );
        assert!(
            report
                .text
                .contains("the diff of logo.png is left out (binary file)")
        );
        assert!(report.text.contains("+A = 2"), "small files whole");
        assert!(
            report.text.contains("the diff of big.py cut here"),
            "{}",
            report.text
        );
        assert!(report.text.contains("+TOKEN=[MASKED]"));
        assert_eq!(
            report.omitted,
            [
                ("uv.lock".to_owned(), "lock file"),
                ("logo.png".to_owned(), "binary file")
            ]
        );
        assert_eq!(report.cut, ["big.py"]);
        assert_eq!(report.masked, 1);
    }

    #[test]
    fn prepare_never_exceeds_tiny_budgets_and_keeps_utf8() {
        let diff = "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -0,0 +1 @@\n+ééééééééééééééééééééééééééééééééééééééééééééééééééééééé\n";
        for budget in [1, 7, 40, 100, 150] {
            let (_, report) = prepare(&[diff, diff], budget, &[]);
            assert!(
                report.text.len() <= budget,
                "{budget}: {}",
                report.text.len()
            );
        }
    }

    #[test]
    fn long_lines_are_shortened() {
        let line = "x".repeat(5000);
        let diff =
            format!("diff --git a/a.js b/a.js\n--- a/a.js\n+++ b/a.js\n@@ -0,0 +1 @@\n+{line}\n");
        let (_, report) = prepare(&[&diff], 100_000, &[]);
        assert!(report.text.len() < 1000);
        assert!(report.text.contains("bytes of a long line left out"));
        assert_eq!(report.cut, ["a.js"]);
    }

    #[test]
    fn masking_happens_before_cutting() {
        let key = "+-----BEGIN OPENSSH PRIVATE KEY-----\n+SECRETBODYLINE1\n+SECRETBODYLINE2\n+-----END OPENSSH PRIVATE KEY-----\n";
        let padding: String = "+pad\n".repeat(100);
        let diff =
            format!("diff --git a/k b/k\n--- /dev/null\n+++ b/k\n@@ -0,0 +1 @@\n{padding}{key}");
        for budget in [80, 200, 400, 600, 10_000] {
            let (_, report) = prepare(&[&diff], budget, &[]);
            assert!(!report.text.contains("SECRETBODY"), "{budget}");
        }
    }
}
