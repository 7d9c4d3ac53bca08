//! The release and pull-request flows on GitHub (and GitHub Enterprise) and Gitea. Both are
//! idempotent: an existing release for the tag is updated, an open pull request for the same
//! head and base is reused, and a create that loses a race ("already exists") falls back to
//! the existing one.

use serde_json::{Value, json};

use super::http::{Method, Reply, encode};
use super::{Client, ForgeOutcome};
use crate::config::ForgeKind;
use crate::core::error::UserError;

/// A release to create or update.
pub(super) struct Release<'a> {
    pub owner: &'a str,
    pub repo: &'a str,
    pub tag: &'a str,
    pub name: &'a str,
    pub body: &'a str,
    pub prerelease: bool,
    /// GitHub's `make_latest` (left out for Gitea, which has no such field).
    pub latest: Option<bool>,
}

/// GitHub's `make_latest` on a release payload, when the call says it (not for Gitea).
fn with_latest(client: &Client, r: &Release, mut payload: Value) -> Value {
    if client.kind != ForgeKind::Gitea
        && let Some(latest) = r.latest
    {
        payload["make_latest"] = Value::from(latest.to_string());
    }
    payload
}

/// A pull request to open or reuse.
pub(super) struct Pull<'a> {
    pub owner: &'a str,
    pub repo: &'a str,
    pub head: &'a str,
    pub base: &'a str,
    pub title: &'a str,
    pub body: &'a str,
}

/// `/repos/{owner}/{repo}`, encoded.
pub(super) fn repo_path(owner: &str, repo: &str) -> String {
    format!("/repos/{}/{}", encode(owner), encode(repo))
}

fn html_url(json: &Value) -> String {
    json.get("html_url")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// An answer with an unexpected status, or success with a body that is not what the API
/// documents, is an error.
fn expect(
    client: &Client,
    method: Method,
    path: &str,
    repo: &str,
    reply: &Reply,
    ok: &[u16],
) -> anyhow::Result<()> {
    if ok.contains(&reply.status) {
        Ok(())
    } else {
        Err(client.status_error(method, path, repo, reply))
    }
}

pub(super) fn create_release(client: &Client, r: &Release) -> anyhow::Result<ForgeOutcome> {
    let full = format!("{}/{}", r.owner, r.repo);
    if let Some(existing) = find_release(client, r, &full)? {
        return update_release(client, r, &full, &existing);
    }
    let path = format!("{}/releases", repo_path(r.owner, r.repo));
    let payload = with_latest(
        client,
        r,
        json!({
            "tag_name": r.tag,
            "name": r.name,
            "body": r.body,
            "prerelease": r.prerelease,
        }),
    );
    let reply = client.request(Method::Post, &path, Some(&payload))?;
    if reply.already_exists() {
        // Created meanwhile (another run, or a retried POST that did go through).
        return match find_release(client, r, &full)? {
            Some(existing) => update_release(client, r, &full, &existing),
            None => Err(client.status_error(Method::Post, &path, &full, &reply)),
        };
    }
    expect(client, Method::Post, &path, &full, &reply, &[200, 201])?;
    Ok(ForgeOutcome::Created {
        url: html_url(&reply.json),
    })
}

/// The release of the tag: `GET …/releases/tags/{tag}`; `None` on 404.
fn find_release(client: &Client, r: &Release, full: &str) -> anyhow::Result<Option<Value>> {
    let path = format!(
        "{}/releases/tags/{}",
        repo_path(r.owner, r.repo),
        encode(r.tag)
    );
    let reply = client.request(Method::Get, &path, None)?;
    if reply.status == 404 {
        return Ok(None);
    }
    expect(client, Method::Get, &path, full, &reply, &[200])?;
    Ok(Some(reply.json))
}

/// `PATCH …/releases/{id}` with name, body and prerelease.
fn update_release(
    client: &Client,
    r: &Release,
    full: &str,
    existing: &Value,
) -> anyhow::Result<ForgeOutcome> {
    let Some(id) = existing.get("id").and_then(Value::as_u64) else {
        let path = format!(
            "{}/releases/tags/{}",
            repo_path(r.owner, r.repo),
            encode(r.tag)
        );
        let reply = Reply {
            status: 200,
            json: json!({"message": "the release has no numeric id"}),
            attempts: 1,
            ..Reply::default()
        };
        return Err(client.status_error(Method::Get, &path, full, &reply));
    };
    let path = format!("{}/releases/{id}", repo_path(r.owner, r.repo));
    let payload = with_latest(
        client,
        r,
        json!({
            "name": r.name,
            "body": r.body,
            "prerelease": r.prerelease,
        }),
    );
    let reply = client.request(Method::Patch, &path, Some(&payload))?;
    expect(client, Method::Patch, &path, full, &reply, &[200, 201])?;
    let url = Some(html_url(&reply.json))
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| html_url(existing));
    Ok(ForgeOutcome::Existing { url })
}

pub(super) fn open_pull_request(client: &Client, p: &Pull) -> anyhow::Result<ForgeOutcome> {
    let full = format!("{}/{}", p.owner, p.repo);
    if let Some(url) = find_pull(client, p, &full)? {
        return Ok(ForgeOutcome::Existing { url });
    }
    let path = format!("{}/pulls", repo_path(p.owner, p.repo));
    let payload = json!({
        "title": p.title,
        "head": p.head,
        "base": p.base,
        "body": p.body,
    });
    let reply = client.request(Method::Post, &path, Some(&payload))?;
    if reply.already_exists() {
        return match find_pull(client, p, &full)? {
            Some(url) => Ok(ForgeOutcome::Existing { url }),
            None => Err(client.status_error(Method::Post, &path, &full, &reply)),
        };
    }
    expect(client, Method::Post, &path, &full, &reply, &[200, 201])?;
    Ok(ForgeOutcome::Created {
        url: html_url(&reply.json),
    })
}

/// `(owner, branch)` of a head: `branch` or `owner:branch` (a fork).
fn head_parts<'a>(p: &'a Pull) -> (&'a str, &'a str) {
    p.head.split_once(':').unwrap_or((p.owner, p.head))
}

/// Whether a listed pull request goes from the call's head to its base.
fn matches(pr: &Value, p: &Pull) -> bool {
    let (head_owner, head_branch) = head_parts(p);
    let field = |side: &str, key: &str| {
        pr.get(side)
            .and_then(|s| s.get(key))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    if field("head", "ref").as_deref() != Some(head_branch)
        || field("base", "ref").as_deref() != Some(p.base)
    {
        return false;
    }
    // The head's owner, when the forge says it (GitHub: head.label = "owner:branch";
    // Gitea: head.repo.owner.login).
    let owner = field("head", "label")
        .and_then(|l| l.split_once(':').map(|(o, _)| o.to_owned()))
        .or_else(|| {
            pr.pointer("/head/repo/owner/login")
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
    owner.is_none_or(|o| o.eq_ignore_ascii_case(head_owner))
}

/// The web URL of the open pull request from head to base, if any.
fn find_pull(client: &Client, p: &Pull, full: &str) -> anyhow::Result<Option<String>> {
    let base_path = format!("{}/pulls", repo_path(p.owner, p.repo));
    if client.kind == ForgeKind::Gitea {
        // Gitea ignores head/base filters on the list: page through the open ones, to the
        // last page however many there are (a short or empty page ends the list; a page equal
        // to the one before means the server ignores `page`, and ends it too).
        const LIMIT: usize = 50;
        let mut previous: Option<Vec<Value>> = None;
        for page in 1.. {
            let path = format!("{base_path}?state=open&limit={LIMIT}&page={page}");
            let reply = client.request(Method::Get, &path, None)?;
            expect(client, Method::Get, &path, full, &reply, &[200])?;
            let items = reply.json.as_array().cloned().unwrap_or_default();
            if let Some(pr) = items.iter().find(|pr| matches(pr, p)) {
                return Ok(Some(html_url(pr)));
            }
            if items.len() < LIMIT || previous.as_ref() == Some(&items) {
                break;
            }
            previous = Some(items);
        }
        return Ok(None);
    }
    let (owner, branch) = head_parts(p);
    let path = format!(
        "{base_path}?state=open&head={}&base={}&per_page=100",
        encode(&format!("{owner}:{branch}")),
        encode(p.base)
    );
    let reply = client.request(Method::Get, &path, None)?;
    expect(client, Method::Get, &path, full, &reply, &[200])?;
    let items = reply.json.as_array().cloned().unwrap_or_default();
    Ok(items.iter().find(|pr| matches(pr, p)).map(html_url))
}

/// One file to attach: its asset name (the file name), path and size.
struct Asset {
    name: String,
    path: std::path::PathBuf,
    size: u64,
}

/// The files of `paths`: a file itself, a directory's files (sorted, dot files left out).
/// A missing path is an error naming it.
fn asset_files(paths: &[std::path::PathBuf], tag: &str) -> anyhow::Result<Vec<Asset>> {
    let missing = |path: &std::path::Path, e: std::io::Error| -> anyhow::Error {
        UserError::failure(format!(
            "Cannot attach {} to the release {tag}: {e}",
            path.display()
        ))
        .with_hint(
            "the build step of the run makes it; run the command again (it resumes), \
             or pass --no-assets to release without assets",
        )
        .into()
    };
    let mut out = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| missing(path, e))?;
        let mut files = Vec::new();
        if meta.is_dir() {
            for entry in std::fs::read_dir(path).map_err(|e| missing(path, e))? {
                let entry = entry.map_err(|e| missing(path, e))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let meta = entry.metadata().map_err(|e| missing(&entry.path(), e))?;
                if !name.starts_with('.') && meta.is_file() {
                    files.push((name, entry.path(), meta.len()));
                }
            }
            files.sort();
        } else {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            files.push((name, path.clone(), meta.len()));
        }
        out.extend(
            files
                .into_iter()
                .map(|(name, path, size)| Asset { name, path, size }),
        );
    }
    Ok(out)
}

/// `(name, size, id, broken)` of a listed asset; `broken` for GitHub's `state: "starter"`
/// (an upload that never finished: deleted and sent again).
fn listed(asset: &Value) -> Option<(String, u64, u64, bool)> {
    Some((
        asset.get("name")?.as_str()?.to_owned(),
        asset.get("size").and_then(Value::as_u64).unwrap_or(0),
        asset.get("id").and_then(Value::as_u64).unwrap_or(0),
        asset.get("state").and_then(Value::as_str) == Some("starter"),
    ))
}

/// The assets of release `id`: GitHub's list paged by 100, Gitea's in one answer.
fn list_assets(
    client: &Client,
    owner: &str,
    repo: &str,
    id: u64,
    full: &str,
) -> anyhow::Result<Vec<Value>> {
    const PER_PAGE: usize = 100;
    let base = format!("{}/releases/{id}/assets", repo_path(owner, repo));
    if client.kind == ForgeKind::Gitea {
        let reply = client.request(Method::Get, &base, None)?;
        expect(client, Method::Get, &base, full, &reply, &[200])?;
        return Ok(reply.json.as_array().cloned().unwrap_or_default());
    }
    let mut all = Vec::new();
    for page in 1.. {
        let path = format!("{base}?per_page={PER_PAGE}&page={page}");
        let reply = client.request(Method::Get, &path, None)?;
        expect(client, Method::Get, &path, full, &reply, &[200])?;
        let items = reply.json.as_array().cloned().unwrap_or_default();
        let short = items.len() < PER_PAGE;
        all.extend(items);
        if short {
            break;
        }
    }
    Ok(all)
}

/// `scheme://authority` of a URL.
fn origin(url: &str) -> &str {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url;
    };
    let end = rest.find('/').map_or(url.len(), |i| scheme.len() + 3 + i);
    &url[..end]
}

/// Where GitHub takes the files of release `id`: the release's `upload_url` (its
/// `{?name,label}` template left off), else `uploads.github.com` for api.github.com and
/// `/api/uploads` for GitHub Enterprise. The token goes only to the API's own host (or
/// uploads.github.com for api.github.com): another host is an error.
fn upload_base(
    client: &Client,
    release: &Value,
    owner: &str,
    repo: &str,
    id: u64,
) -> anyhow::Result<String> {
    let api = client.api_url.as_str();
    let own = format!("{}/releases/{id}/assets", repo_path(owner, repo));
    let default = if api == "https://api.github.com" {
        format!("https://uploads.github.com{own}")
    } else if let Some(host) = api.strip_suffix("/api/v3") {
        format!("{host}/api/uploads{own}")
    } else {
        format!("{api}{own}")
    };
    let Some(url) = release
        .get("upload_url")
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty())
    else {
        return Ok(default);
    };
    let url = url.split('{').next().unwrap_or(url).to_owned();
    let allowed = origin(&url) == origin(api)
        || api == "https://api.github.com" && origin(&url) == "https://uploads.github.com";
    if !allowed {
        return Err(UserError::failure(format!(
            "The release of {owner}/{repo} names an upload URL on another host ({}) than the API ({api}); its assets are not sent there",
            origin(&url)
        ))
        .with_hint("Check forge.api_url (or GITHUB_API_URL): it must be the forge's own API")
        .into());
    }
    Ok(url)
}

/// A multipart/form-data body with one file field `attachment` (Gitea's release attachments):
/// the boundary and the body.
fn multipart(name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    // A boundary from the content's hash and size: it does not occur in the file.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash = (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
    }
    let boundary = format!("release-tool-{hash:016x}-{}", bytes.len());
    let safe: String = name
        .chars()
        .map(|c| if c == '"' || c.is_control() { '_' } else { c })
        .collect();
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"{safe}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (boundary, body)
}

/// Attach the files of `paths` to the release of `tag`: the release's assets are listed first;
/// one of the same name and size is there already (not sent again), one of the same name and
/// another size is an error naming it; the others are uploaded (GitHub: the uploads endpoint;
/// Gitea: release attachments), each retried like every call. Safe to repeat.
pub(super) fn upload_assets(
    client: &Client,
    owner: &str,
    repo: &str,
    tag: &str,
    paths: &[std::path::PathBuf],
) -> anyhow::Result<ForgeOutcome> {
    let full = format!("{owner}/{repo}");
    let files = asset_files(paths, tag)?;
    let lookup = Release {
        owner,
        repo,
        tag,
        name: "",
        body: "",
        prerelease: false,
        latest: None,
    };
    let Some(release) = find_release(client, &lookup, &full)? else {
        return Err(UserError::failure(format!(
            "{full} has no release {tag} to attach {} to",
            crate::core::text::count(files.len(), "file")
        ))
        .with_hint("the run's forge release step makes it; run the command again (it resumes)")
        .into());
    };
    let Some(id) = release.get("id").and_then(Value::as_u64) else {
        let path = format!("{}/releases/tags/{}", repo_path(owner, repo), encode(tag));
        let reply = Reply {
            status: 200,
            json: json!({"message": "the release has no numeric id"}),
            attempts: 1,
            ..Reply::default()
        };
        return Err(client.status_error(Method::Get, &path, &full, &reply));
    };
    let existing: Vec<(String, u64, u64, bool)> = list_assets(client, owner, repo, id, &full)?
        .iter()
        .filter_map(listed)
        .collect();
    let base = match client.kind {
        ForgeKind::Gitea => format!(
            "{}{}/releases/{id}/assets",
            client.api_url,
            repo_path(owner, repo)
        ),
        _ => upload_base(client, &release, owner, repo, id)?,
    };
    let mut sent = Vec::new();
    let mut there = Vec::new();
    for asset in &files {
        if let Some((_, size, asset_id, broken)) = existing.iter().find(|e| e.0 == asset.name) {
            if *broken {
                // An upload that never finished (GitHub keeps it as a "starter"): gone first.
                let path = format!("{}/releases/assets/{asset_id}", repo_path(owner, repo));
                let reply = client.request(Method::Delete, &path, None)?;
                expect(client, Method::Delete, &path, &full, &reply, &[204, 404])?;
            } else if *size == asset.size {
                there.push(asset.name.clone());
                continue;
            } else {
                return Err(UserError::failure(format!(
                    "The release {tag} of {full} already has an asset named {} of {size} bytes, not the {} bytes of {}",
                    asset.name,
                    asset.size,
                    asset.path.display()
                ))
                .with_hint(format!(
                    "the file was built again and differs from the one attached: delete the asset {} of the release on the forge if it is wrong, then run the command again (it resumes)",
                    asset.name
                ))
                .into());
            }
        }
        let bytes = std::fs::read(&asset.path).map_err(|e| {
            anyhow::Error::from(
                UserError::failure(format!("Cannot read {}: {e}", asset.path.display()))
                    .with_hint("run the command again: the build step makes it"),
            )
        })?;
        let url = format!("{base}?name={}", encode(&asset.name));
        let shown = url.strip_prefix(origin(&url)).unwrap_or(&url).to_owned();
        let reply = match client.kind {
            ForgeKind::Gitea => {
                let (boundary, body) = multipart(&asset.name, &bytes);
                client.send(
                    Method::Post,
                    &url,
                    &shown,
                    &format!("multipart/form-data; boundary={boundary}"),
                    Some(&body),
                )?
            }
            _ => client.send(
                Method::Post,
                &url,
                &shown,
                "application/octet-stream",
                Some(&bytes),
            )?,
        };
        if reply.already_exists() {
            // Sent meanwhile (a retried upload that did go through): the same size is done.
            let again = list_assets(client, owner, repo, id, &full)?;
            if again
                .iter()
                .filter_map(listed)
                .any(|(n, size, _, broken)| n == asset.name && size == asset.size && !broken)
            {
                there.push(asset.name.clone());
                continue;
            }
        }
        expect(client, Method::Post, &shown, &full, &reply, &[200, 201])?;
        sent.push(asset.name.clone());
    }
    let url = html_url(&release);
    if sent.is_empty() {
        return Ok(ForgeOutcome::Existing {
            url: format!("{url} has {}", there.join(", ")),
        });
    }
    Ok(ForgeOutcome::Created {
        url: format!("{url}: attached {}", sent.join(", ")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pull<'a>(head: &'a str, base: &'a str) -> Pull<'a> {
        Pull {
            owner: "acme",
            repo: "alpha",
            head,
            base,
            title: "t",
            body: "b",
        }
    }

    #[test]
    fn paths_are_encoded() {
        assert_eq!(repo_path("acme", "alpha"), "/repos/acme/alpha");
        assert_eq!(repo_path("ac me", "al/pha"), "/repos/ac%20me/al%2Fpha");
    }

    #[test]
    fn pull_matching() {
        let github = json!({"head": {"ref": "dev_branch", "label": "acme:dev_branch"},
                            "base": {"ref": "main"}, "html_url": "u"});
        assert!(matches(&github, &pull("dev_branch", "main")));
        assert!(matches(&github, &pull("acme:dev_branch", "main")));
        assert!(!matches(&github, &pull("fork:dev_branch", "main")));
        assert!(!matches(&github, &pull("dev_branch", "release")));
        assert!(!matches(&github, &pull("other", "main")));
        let gitea = json!({"head": {"ref": "dev_branch", "repo": {"owner": {"login": "acme"}}},
                           "base": {"ref": "main"}});
        assert!(matches(&gitea, &pull("dev_branch", "main")));
        assert!(!matches(&gitea, &pull("bob:dev_branch", "main")));
        let bare = json!({"head": {"ref": "dev_branch"}, "base": {"ref": "main"}});
        assert!(matches(&bare, &pull("dev_branch", "main")));
    }
}
