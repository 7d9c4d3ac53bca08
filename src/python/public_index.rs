//! Is a name taken on the public index? `check` asks `PyPI`'s JSON API (`<base>/<name>/json`:
//! 200 = taken, 404 = free) for every member, so a team learns that `pip --extra-index-url`
//! could install someone else's package under one of its names (dependency confusion).
//!
//! One request per name, in parallel (at most [`MAX_PARALLEL`]), each bounded by [`TIMEOUT`];
//! answers cached in `.release_tool/cache/public-names.json` for [`TTL_SECS`] (off with
//! `RELEASE_TOOL_NO_CACHE`), so a workspace of 1000 packages asks once a day. Unreachable (no
//! network, a proxy refusing): the names not in the cache are skipped with one note.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// `RELEASE_TOOL_PUBLIC_INDEX`: the JSON API base (overrides `public_index`; "" turns it off).
pub const ENV: &str = "RELEASE_TOOL_PUBLIC_INDEX";
/// Requests at once.
pub const MAX_PARALLEL: usize = 16;
/// A request's time limit.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// How long an answer is kept.
pub const TTL_SECS: u64 = 24 * 3600;
const CACHE_FILE: &str = "public-names.json";

/// What the lookup found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Lookup {
    /// The names taken on the index (as given), in the order given.
    pub taken: Vec<String>,
    /// Set when some names could not be asked (the index unreachable): why, in one line.
    pub skipped: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Cache {
    base: String,
    /// name → (taken, seconds since the epoch when asked).
    names: BTreeMap<String, (bool, u64)>,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn cache_path(root: &Path) -> Option<PathBuf> {
    (!crate::git::tagcache::disabled_by_env())
        .then(|| root.join(".release_tool").join("cache").join(CACHE_FILE))
}

/// The page of `name` for messages: `https://pypi.org/project/<name>/` for `PyPI`, else the API URL.
pub fn project_url(base: &str, name: &str) -> String {
    if base.trim_end_matches('/') == crate::config::DEFAULT_PUBLIC_INDEX {
        format!("https://pypi.org/project/{name}/")
    } else {
        format!("{}/{name}/json", base.trim_end_matches('/'))
    }
}

/// Ask `base` about `names` (cached under `root`).
pub fn lookup(root: &Path, base: &str, names: &[String]) -> Lookup {
    let base = base.trim_end_matches('/');
    let path = cache_path(root);
    let mut cache: Cache = path
        .as_ref()
        .and_then(|p| std::fs::read(p).ok())
        .and_then(|b| serde_json::from_slice(&b).ok())
        .filter(|c: &Cache| c.base == base)
        .unwrap_or_else(|| Cache {
            base: base.to_owned(),
            names: BTreeMap::new(),
        });
    let now = now();
    let todo: Vec<&String> = names
        .iter()
        .filter(|n| {
            cache
                .names
                .get(n.as_str())
                .is_none_or(|(_, at)| now.saturating_sub(*at) > TTL_SECS)
        })
        .collect();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(TIMEOUT))
        .http_status_as_error(false)
        .build()
        .into();
    let answers = crate::core::parallel::map(&todo, MAX_PARALLEL.min(todo.len().max(1)), |name| {
        let url = format!("{base}/{name}/json");
        match agent.get(&url).call() {
            Ok(resp) => match resp.status().as_u16() {
                200 => Ok(true),
                404 => Ok(false),
                other => Err(format!("{url} answered HTTP {other}")),
            },
            Err(e) => Err(format!("{base} is unreachable ({e})")),
        }
    });
    let mut skipped = None;
    let mut changed = false;
    for (name, answer) in todo.iter().zip(answers) {
        match answer {
            Ok(taken) => {
                cache.names.insert((*name).clone(), (taken, now));
                changed = true;
            }
            // An expired answer stays usable while the index cannot be asked.
            Err(why) => {
                skipped.get_or_insert(why);
            }
        }
    }
    if changed && let Some(path) = &path {
        let _ = crate::core::fsutil::atomic_write(
            path,
            &serde_json::to_vec(&cache).unwrap_or_default(),
        );
    }
    Lookup {
        taken: names
            .iter()
            .filter(|n| cache.names.get(n.as_str()).is_some_and(|(t, _)| *t))
            .cloned()
            .collect(),
        skipped,
    }
}
