//! The pinned uv, got from the package index when no uv is installed (the way hatch manages
//! its own uv): the `uv` wheel for this platform from the index's simple API (PEP 691 JSON,
//! else the PEP 503 HTML page), its sha256 checked against the index's published hash, the
//! `uv` binary unpacked into `$XDG_CACHE_HOME/release-tool/uv-<version>/` (else
//! `~/.cache/release-tool/…`) through a temp dir and a rename, so the cache never holds a
//! half-written uv. No process is started here.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result};
use sha2::Digest as _;

use crate::core::error::UserError;
use crate::core::secrets::strip_url_credentials;

/// The index used when neither `UV_DEFAULT_INDEX`, `UV_INDEX_URL` nor `PIP_INDEX_URL` is set.
pub const DEFAULT_INDEX: &str = "https://pypi.org/simple";

/// The largest wheel accepted (uv's wheels are about 20 MB).
const MAX_WHEEL_BYTES: u64 = 256 * 1024 * 1024;
/// The largest index page accepted.
const MAX_PAGE_BYTES: u64 = 16 * 1024 * 1024;

/// The `uv` binary's name.
fn exe_name() -> String {
    format!("uv{}", std::env::consts::EXE_SUFFIX)
}

/// Where the pinned uv `version` lives once downloaded: `<cache>/release-tool/uv-<version>`.
/// `env` reads environment variables (tests pass their own).
pub fn cache_dir(version: &str, env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let base = env("XDG_CACHE_HOME")
        .filter(|d| Path::new(d).is_absolute())
        .map(PathBuf::from)
        .or_else(|| {
            let home = PathBuf::from(env("HOME").filter(|h| !h.is_empty())?);
            Some(if cfg!(target_os = "macos") {
                home.join("Library/Caches")
            } else {
                home.join(".cache")
            })
        })?;
    Some(base.join("release-tool").join(format!("uv-{version}")))
}

/// The `uv` binary in the cache, when a complete download is there.
pub fn cached(version: &str, env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let uv = cache_dir(version, env)?.join(exe_name());
    uv.is_file().then_some(uv)
}

/// The index to download from: `UV_DEFAULT_INDEX`, `UV_INDEX_URL`, `PIP_INDEX_URL`, else
/// [`DEFAULT_INDEX`].
pub fn index_url(env: &dyn Fn(&str) -> Option<String>) -> String {
    ["UV_DEFAULT_INDEX", "UV_INDEX_URL", "PIP_INDEX_URL"]
        .iter()
        .find_map(|k| env(k).filter(|v| !v.trim().is_empty()))
        .map_or_else(|| DEFAULT_INDEX.to_owned(), |v| v.trim().to_owned())
}

/// A file of the index's project page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexFile {
    pub filename: String,
    pub url: String,
    pub sha256: Option<String>,
}

/// Download uv `version` into the cache and return the binary's path. Prints one line on
/// stderr when done. Errors are `UserError`s that name the index and carry `hint`.
pub fn download(
    version: &str,
    env: &dyn Fn(&str) -> Option<String>,
    hint: &str,
) -> Result<PathBuf> {
    let fail =
        |message: String| -> anyhow::Error { UserError::failure(message).with_hint(hint).into() };
    let Some(dest) = cache_dir(version, env) else {
        return Err(fail(format!(
            "Cannot download uv {version}: no cache directory (neither XDG_CACHE_HOME nor HOME is set)"
        )));
    };
    let index = index_url(env);
    let shown = strip_url_credentials(&index);
    let project = format!("{}/uv/", index.trim_end_matches('/'));
    let agent = agent(env).map_err(|e| fail(format!("Cannot download uv {version}: {e:#}")))?;
    let files = project_files(&agent, &project)
        .map_err(|e| fail(format!("Cannot download uv {version} from {shown}: {e:#}")))?;
    let Some(file) = pick_wheel(&files, version, &Platform::current()) else {
        return Err(fail(format!(
            "Cannot download uv {version} from {shown}: no uv {version} wheel for {} {} on the index",
            std::env::consts::OS,
            std::env::consts::ARCH
        )));
    };
    let Some(expected) = file.sha256.clone() else {
        return Err(fail(format!(
            "Cannot download uv {version} from {shown}: the index publishes no sha256 for {}",
            file.filename
        )));
    };
    let parent = dest.parent().expect("uv-<version> has a parent");
    fs_err::create_dir_all(parent)
        .map_err(|e| fail(format!("Cannot download uv {version}: {e}")))?;
    remove_stale_downloads(parent);
    // Everything is written inside a temp dir next to the final one (removed on any error),
    // then renamed into place: the cache never holds a half-written uv.
    let staging = tempfile::Builder::new()
        .prefix(&format!(".uv-{version}-download-"))
        .tempdir_in(parent)
        .with_context(|| format!("Cannot create a temp dir in {}", parent.display()))?;
    let wheel = staging.path().join(&file.filename);
    let actual = fetch_to(&agent, &file.url, &wheel).map_err(|e| {
        fail(format!(
            "Cannot download {} from {shown}: {e:#}",
            file.filename
        ))
    })?;
    if !actual.eq_ignore_ascii_case(&expected) {
        return Err(fail(format!(
            "The uv wheel {} from {shown} does not match the index's sha256 (expected {expected}, got {actual}): not installed",
            file.filename
        )));
    }
    let unpacked = staging.path().join(format!("uv-{version}"));
    unpack(&wheel, version, &unpacked)
        .map_err(|e| fail(format!("Cannot unpack uv from {}: {e:#}", file.filename)))?;
    match std::fs::rename(&unpacked, &dest) {
        Ok(()) => {}
        // Another release-tool finished first: use its (complete) download.
        Err(_) if dest.join(exe_name()).is_file() => {}
        Err(e) => {
            return Err(fail(format!("Cannot move uv into {}: {e}", dest.display())));
        }
    }
    drop(staging);
    let uv = dest.join(exe_name());
    crate::core::ui::note(&format!(
        "Downloaded uv {version} from {shown} into {} (no uv installed; sha256 checked)",
        dest.display()
    ));
    Ok(uv)
}

/// The HTTP client: proxies from `ALL_PROXY` / `HTTPS_PROXY` / `HTTP_PROXY` and `NO_PROXY`
/// (ureq's defaults); the CA certificates of `SSL_CERT_FILE` when it is set (as uv and pip do,
/// for networks whose TLS goes through a proxy with its own CA), else the Mozilla roots.
/// Temp dirs of downloads killed midway (older than an hour: a running download is younger).
fn remove_stale_downloads(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > Duration::from_hours(1));
        if name.starts_with(".uv-") && name.contains("-download-") && old {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn agent(env: &dyn Fn(&str) -> Option<String>) -> Result<ureq::Agent> {
    let mut config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .user_agent(format!("release-tool/{}", env!("CARGO_PKG_VERSION")))
        .timeout_connect(Some(Duration::from_secs(10)))
        .timeout_global(Some(Duration::from_mins(10)));
    if let Some(file) = env("SSL_CERT_FILE").filter(|f| !f.is_empty()) {
        let pem = fs_err::read(&file)?;
        let certs: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(&pem)
            .filter_map(|item| match item {
                Ok(ureq::tls::PemItem::Certificate(cert)) => Some(cert),
                _ => None,
            })
            .collect();
        anyhow::ensure!(
            !certs.is_empty(),
            "SSL_CERT_FILE {file} holds no certificate"
        );
        config = config.tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::new_with_certs(&certs))
                .build(),
        );
    }
    Ok(config.build().into())
}

/// The files of the index's project page `url` (JSON when the index speaks PEP 691, else the
/// HTML page).
fn project_files(agent: &ureq::Agent, url: &str) -> Result<Vec<IndexFile>> {
    let mut res = agent
        .get(url)
        .header(
            "Accept",
            "application/vnd.pypi.simple.v1+json, text/html;q=0.1",
        )
        .call()
        .map_err(|e| anyhow::anyhow!("GET {}: {e}", strip_url_credentials(url)))?;
    let status = res.status().as_u16();
    anyhow::ensure!(
        status == 200,
        "GET {} answered HTTP {status}",
        strip_url_credentials(url)
    );
    let json = res.body().mime_type().is_some_and(|m| m.contains("json"));
    let text = res
        .body_mut()
        .with_config()
        .limit(MAX_PAGE_BYTES)
        .read_to_string()?;
    if json {
        parse_json(&text, url)
    } else {
        Ok(parse_html(&text, url))
    }
}

/// Files of a PEP 691 JSON project page.
pub fn parse_json(text: &str, base: &str) -> Result<Vec<IndexFile>> {
    #[derive(serde::Deserialize)]
    struct Page {
        files: Vec<File>,
    }
    #[derive(serde::Deserialize)]
    struct File {
        filename: String,
        url: String,
        #[serde(default)]
        hashes: std::collections::BTreeMap<String, String>,
    }
    let page: Page = serde_json::from_str(text).context("The index's JSON page is not PEP 691")?;
    Ok(page
        .files
        .into_iter()
        .map(|f| IndexFile {
            url: join_url(base, &f.url),
            sha256: f.hashes.get("sha256").cloned(),
            filename: f.filename,
        })
        .collect())
}

/// Files of a PEP 503 HTML project page: `<a href="URL#sha256=HEX">FILENAME</a>`.
pub fn parse_html(text: &str, base: &str) -> Vec<IndexFile> {
    let mut out = Vec::new();
    for chunk in text.split("<a ").skip(1) {
        let Some(start) = chunk.find("href=").map(|i| i + 5) else {
            continue;
        };
        let rest = &chunk[start..];
        let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        let Some(end) = rest[1..].find(quote) else {
            continue;
        };
        let href = rest[1..=end].replace("&amp;", "&");
        let Some(text_start) = chunk.find('>') else {
            continue;
        };
        let filename = chunk[text_start + 1..]
            .split("</a>")
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned();
        let (url, fragment) = href.split_once('#').unwrap_or((&href, ""));
        let sha256 = fragment.strip_prefix("sha256=").map(str::to_owned);
        out.push(IndexFile {
            filename,
            url: join_url(base, url),
            sha256,
        });
    }
    out
}

/// `href` resolved against the page `base` (absolute URLs, `/path` and relative paths with
/// `..`).
pub fn join_url(base: &str, href: &str) -> String {
    if href.contains("://") {
        return href.to_owned();
    }
    let (scheme, rest) = base.split_once("://").unwrap_or(("https", base));
    let host_end = rest.find('/').unwrap_or(rest.len());
    let host = &rest[..host_end];
    let path = &rest[host_end..];
    let path = path.split(['?', '#']).next().unwrap_or_default();
    if let Some(abs) = href.strip_prefix("//") {
        return format!("{scheme}://{abs}");
    }
    let mut segments: Vec<&str> = if href.starts_with('/') {
        Vec::new()
    } else {
        // The directory of the base path.
        let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
        dir.split('/').filter(|s| !s.is_empty()).collect()
    };
    let href_segments: Vec<&str> = href.split('/').collect();
    let last = href_segments.len() - 1;
    for (i, seg) in href_segments.into_iter().enumerate() {
        match seg {
            "" | "." if i != last => {}
            ".." => {
                segments.pop();
            }
            _ => segments.push(seg),
        }
    }
    format!("{scheme}://{host}/{}", segments.join("/"))
}

/// The platform the wheel must be for.
#[derive(Clone, Debug)]
pub struct Platform {
    pub os: &'static str,
    pub arch: &'static str,
    pub musl: bool,
}

impl Platform {
    pub fn current() -> Self {
        Self {
            os: std::env::consts::OS,
            arch: std::env::consts::ARCH,
            musl: cfg!(target_env = "musl"),
        }
    }

    /// How well a wheel's platform tag (e.g. `manylinux_2_17_x86_64.manylinux2014_x86_64`)
    /// fits: higher is better, `None` does not run here.
    fn fit(&self, tag: &str) -> Option<u8> {
        tag.split('.').filter_map(|t| self.fit_one(t)).max()
    }

    fn fit_one(&self, tag: &str) -> Option<u8> {
        match self.os {
            "linux" => {
                let arch_ok = tag.ends_with(&format!("_{}", self.arch));
                if !arch_ok {
                    return None;
                }
                // uv's musllinux binaries are static: they run on glibc systems too.
                if tag.starts_with("manylinux") {
                    (!self.musl).then_some(2)
                } else if tag.starts_with("musllinux") {
                    Some(1)
                } else {
                    None
                }
            }
            "macos" => {
                let arch = if self.arch == "aarch64" {
                    "arm64"
                } else {
                    self.arch
                };
                (tag.starts_with("macosx_")
                    && (tag.ends_with(&format!("_{arch}")) || tag.ends_with("_universal2")))
                .then_some(if tag.ends_with("_universal2") { 1 } else { 2 })
            }
            "windows" => {
                let want = match self.arch {
                    "x86_64" => "win_amd64",
                    "aarch64" => "win_arm64",
                    "x86" => "win32",
                    _ => return None,
                };
                (tag == want).then_some(1)
            }
            _ => None,
        }
    }
}

/// The best wheel of uv `version` for `platform` among the index's files.
pub fn pick_wheel<'a>(
    files: &'a [IndexFile],
    version: &str,
    platform: &Platform,
) -> Option<&'a IndexFile> {
    files
        .iter()
        .filter_map(|f| {
            let stem = f.filename.strip_suffix(".whl")?;
            let parts: Vec<&str> = stem.split('-').collect();
            if parts.len() < 5 || parts[0] != "uv" || parts[1] != version {
                return None;
            }
            platform.fit(parts[parts.len() - 1]).map(|score| (score, f))
        })
        .max_by_key(|(score, _)| *score)
        .map(|(_, f)| f)
}

/// GET `url` into `path`; returns the hex sha256 of what was written.
fn fetch_to(agent: &ureq::Agent, url: &str, path: &Path) -> Result<String> {
    let mut res = agent
        .get(url)
        .call()
        .map_err(|e| anyhow::anyhow!("GET {}: {e}", strip_url_credentials(url)))?;
    let status = res.status().as_u16();
    anyhow::ensure!(
        status == 200,
        "GET {} answered HTTP {status}",
        strip_url_credentials(url)
    );
    let mut reader = res.body_mut().with_config().limit(MAX_WHEEL_BYTES).reader();
    let mut file = fs_err::File::create(path)?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0_u8; 64 * 1024];
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        file.write_all(&buf[..n])?;
    }
    file.sync_all()?;
    Ok(hasher
        .finalize()
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            use std::fmt::Write as _;
            let _ = write!(s, "{b:02x}");
            s
        }))
}

/// Unpack `uv-<version>.data/scripts/uv` of the wheel into `dir/uv`, executable and synced.
fn unpack(wheel: &Path, version: &str, dir: &Path) -> Result<()> {
    let mut archive = zip::ZipArchive::new(
        std::fs::File::open(wheel).with_context(|| format!("Cannot open {}", wheel.display()))?,
    )
    .context("not a zip archive")?;
    let name = format!("uv-{version}.data/scripts/{}", exe_name());
    let mut entry = archive
        .by_name(&name)
        .with_context(|| format!("no `{name}` in the wheel"))?;
    fs_err::create_dir_all(dir)?;
    let target = dir.join(exe_name());
    let mut out = fs_err::File::create(&target)?;
    std::io::copy(&mut entry, &mut out)?;
    out.sync_all()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        fs_err::set_permissions(&target, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str) -> IndexFile {
        IndexFile {
            filename: name.to_owned(),
            url: format!("https://files.example/{name}"),
            sha256: Some("ab".to_owned()),
        }
    }

    #[test]
    fn picks_the_wheel_for_the_platform() {
        let files = [
            file("uv-0.13.9.tar.gz"),
            file("uv-0.13.9-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"),
            file("uv-0.13.9-py3-none-musllinux_1_1_x86_64.whl"),
            file("uv-0.13.9-py3-none-manylinux_2_17_aarch64.manylinux2014_aarch64.whl"),
            file("uv-0.13.9-py3-none-macosx_11_0_arm64.whl"),
            file("uv-0.13.9-py3-none-macosx_10_12_x86_64.whl"),
            file("uv-0.13.9-py3-none-win_amd64.whl"),
            file("uv-0.13.8-py3-none-manylinux_2_17_x86_64.whl"),
        ];
        let pick = |os, arch, musl| {
            pick_wheel(&files, "0.13.9", &Platform { os, arch, musl }).map(|f| f.filename.clone())
        };
        assert_eq!(
            pick("linux", "x86_64", false).unwrap(),
            "uv-0.13.9-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
        );
        assert_eq!(
            pick("linux", "x86_64", true).unwrap(),
            "uv-0.13.9-py3-none-musllinux_1_1_x86_64.whl"
        );
        assert!(pick("linux", "aarch64", false).unwrap().contains("aarch64"));
        assert!(pick("macos", "aarch64", false).unwrap().contains("arm64"));
        assert!(
            pick("macos", "x86_64", false)
                .unwrap()
                .contains("macosx_10_12_x86_64")
        );
        assert!(
            pick("windows", "x86_64", false)
                .unwrap()
                .contains("win_amd64")
        );
        assert_eq!(pick("linux", "riscv64", false), None);
        assert_eq!(pick_wheel(&files, "9.9.9", &Platform::current()), None);
    }

    #[test]
    fn reads_json_and_html_pages() {
        let json = r#"{"meta":{"api-version":"1.1"},"name":"uv","files":[
            {"filename":"uv-0.13.9-py3-none-musllinux_1_1_x86_64.whl",
             "url":"../../packages/uv-0.13.9-py3-none-musllinux_1_1_x86_64.whl",
             "hashes":{"sha256":"00ff"}}]}"#;
        let files = parse_json(json, "http://127.0.0.1:1/simple/uv/").unwrap();
        assert_eq!(
            files,
            [IndexFile {
                filename: "uv-0.13.9-py3-none-musllinux_1_1_x86_64.whl".to_owned(),
                url: "http://127.0.0.1:1/packages/uv-0.13.9-py3-none-musllinux_1_1_x86_64.whl"
                    .to_owned(),
                sha256: Some("00ff".to_owned()),
            }]
        );
        let html = "<html><body><h1>uv</h1>\n\
            <a href=\"https://files.example/uv-1-py3-none-any.whl#sha256=abcd\" data-requires-python=\"&gt;=3.8\">uv-1-py3-none-any.whl</a><br/>\n\
            <a href='/p/uv-2.tar.gz#md5=1'>uv-2.tar.gz</a>\n</body></html>";
        let files = parse_html(html, "https://idx.example/simple/uv/");
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].url, "https://files.example/uv-1-py3-none-any.whl");
        assert_eq!(files[0].sha256.as_deref(), Some("abcd"));
        assert_eq!(files[0].filename, "uv-1-py3-none-any.whl");
        assert_eq!(files[1].url, "https://idx.example/p/uv-2.tar.gz");
        assert_eq!(files[1].sha256, None);
    }

    #[test]
    fn index_and_cache_come_from_the_environment() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        assert_eq!(index_url(&env(&[])), DEFAULT_INDEX);
        assert_eq!(
            index_url(&env(&[
                ("PIP_INDEX_URL", "https://a/simple"),
                ("UV_INDEX_URL", "https://b/simple")
            ])),
            "https://b/simple"
        );
        assert_eq!(
            cache_dir("1.2.3", &env(&[("XDG_CACHE_HOME", "/c"), ("HOME", "/h")])),
            Some(PathBuf::from("/c/release-tool/uv-1.2.3"))
        );
        assert_eq!(cache_dir("1.2.3", &env(&[])), None);
        if !cfg!(target_os = "macos") {
            assert_eq!(
                cache_dir(
                    "1.2.3",
                    &env(&[("XDG_CACHE_HOME", "relative"), ("HOME", "/h")])
                ),
                Some(PathBuf::from("/h/.cache/release-tool/uv-1.2.3"))
            );
        }
    }
}
