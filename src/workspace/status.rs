//! `status`: the state of every package, computed in parallel (docs/reference.md §5).

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use serde::{Serialize, Serializer};

use crate::config::ProdSource;
use crate::core::parallel;
use crate::git::files::RepoFiles;
use crate::git::history::{HistoryCache, PathHistory};
use crate::git::statuscache::StatusCache;
use crate::git::tagcache::TagCache;
use crate::git::{Git, TagRef};
use crate::python::pyproject::{self, PyProject};
use crate::python::version::{self, Version};
use crate::workspace::{Level, Package, Problem, Workspace};

/// What `status` needs to know.
#[derive(Clone, Debug, Default)]
pub struct StatusRequest {
    /// Package names to show (all when empty).
    pub packages: Vec<String>,
    /// Fetch every package's remote first.
    pub fetch: bool,
    pub jobs: Option<usize>,
}

/// One package's row (`status --json` field names are part of the contract).
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct StatusRow {
    pub name: String,
    pub path: String,
    pub version: Option<String>,
    pub branch: Option<String>,
    pub last_tag: Option<String>,
    pub commits_since_tag: Option<u32>,
    pub dirty: Option<usize>,
    pub ahead: Option<u32>,
    pub behind: Option<u32>,
    pub staging_pin: Option<String>,
    pub prod_pin: Option<String>,
    /// What is wrong, one message each.
    #[serde(serialize_with = "problem_messages")]
    #[schemars(with = "Vec<String>")]
    pub problems: Vec<Problem>,
    /// "ok", "warning" or "error": the worst problem level.
    pub status: &'static str,
}

fn problem_messages<S: Serializer>(problems: &[Problem], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(problems.iter().map(|p| p.message.as_str()))
}

impl StatusRow {
    /// Whether any problem is an error.
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| p.level == Level::Error)
    }
}

/// The whole report.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct StatusReport {
    pub root: String,
    pub packages: Vec<StatusRow>,
    /// The product (the root project), when its `pyproject.toml` has a static version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<ProductStatus>,
    /// `[tool.release_tool.groups]`: group → its members (omitted when there is none).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub groups: std::collections::BTreeMap<String, Vec<String>>,
    /// How the rows were read (for `-v`; not part of the JSON).
    #[serde(skip)]
    pub checked: Checked,
}

/// How `status` read its rows: what `-v` says after the table.
#[derive(Clone, Debug, Default)]
pub struct Checked {
    /// Packages with a repository of their own whose `git status` came from the status cache,
    /// and those asked of git.
    pub status_cached: usize,
    pub status_asked: usize,
    /// Tag distances answered without git (cached, or no tag), and counted by git.
    pub tags_cached: usize,
    pub tags_counted: usize,
    /// In-tree packages (read from the root's one `git status` and one `git log`).
    pub in_tree: usize,
    /// Whether the remotes were fetched first (`--fetch`).
    pub fetched: bool,
}

impl Checked {
    /// The summary's details: `3 from the status cache, 0 with git status; tag distances: 3
    /// cached, 0 counted by git`.
    pub fn describe(&self) -> String {
        use crate::core::text::count;
        let mut parts = Vec::new();
        if self.fetched {
            parts.push("remotes fetched first".to_owned());
        }
        if self.status_cached + self.status_asked > 0 {
            parts.push(format!(
                "{} from the status cache, {} with git status; tag distances: {} cached, {} counted by git",
                self.status_cached, self.status_asked, self.tags_cached, self.tags_counted
            ));
        }
        if self.in_tree > 0 {
            parts.push(format!(
                "{} from the root's history",
                count(self.in_tree, "in-tree package")
            ));
        }
        parts.join("; ")
    }
}

/// What `status` says of the product (docs/release.md, "The product").
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct ProductStatus {
    pub name: String,
    pub version: String,
    /// The newest product tag (`<product.tag_prefix><version>`, any kind) in the root.
    pub last_tag: Option<String>,
    /// The packages whose changes the next product release would carry: commits since
    /// their last tag, or a last tag that is not what prod pins.
    pub unreleased: Vec<String>,
}

/// The product's line of `status`, from the rows (one `for-each-ref` in the root).
fn product_status(ws: &Workspace, rows: &[StatusRow]) -> Option<ProductStatus> {
    let doc = PyProject::load(&ws.root.join("pyproject.toml")).ok()?;
    let pyproject::VersionSource::Static(version) = doc.version_source() else {
        return None;
    };
    let prefix = &ws.config.product.tag_prefix;
    // Read from the root's files (no git process); git is asked only when they cannot tell.
    let names: Vec<String> =
        match crate::git::files::RepoFiles::open(&ws.root).and_then(|f| f.tags(prefix)) {
            Some(tags) => tags.into_iter().map(|t| t.name).collect(),
            None => Git::new(&ws.root)
                .tags(prefix)
                .map(|tags| tags.into_iter().map(|t| t.name).collect())
                .unwrap_or_default(),
        };
    let last_tag =
        version::newest_tag(names.iter().map(String::as_str), prefix, false).map(|(t, _)| t);
    let unreleased = rows
        .iter()
        .filter(|r| {
            let since = r.commits_since_tag.unwrap_or(0);
            // The one commit `next` makes after a release (the version moved to the next
            // dev cycle of the tag) is no change of the product.
            let only_next = since == 1
                && r.last_tag.as_deref().is_some_and(|tag| {
                    let prefix = &ws.tag_prefix_named(&r.name);
                    let tagged = version::parse_tag(tag, prefix);
                    let current = r.version.as_deref().and_then(|v| version::parse(v).ok());
                    matches!((tagged, current), (Some(t), Some(c))
                        if version::next_dev(&t).is_ok_and(|n| n == c))
                });
            since > 0 && !only_next
                || r.last_tag.is_some() && r.prod_pin.is_some() && r.last_tag != r.prod_pin
        })
        .map(|r| r.name.clone())
        .collect();
    Some(ProductStatus {
        name: doc.name().unwrap_or("product").to_owned(),
        version,
        last_tag,
        unreleased,
    })
}

impl StatusReport {
    /// Whether any row has an error-level problem (exit 1).
    pub fn has_errors(&self) -> bool {
        self.packages.iter().any(StatusRow::has_errors)
    }
}

/// Pins of every package in one manifest: normalised name → pin.
#[derive(Debug, Default)]
pub struct Pins {
    /// Whether the manifest exists at all.
    pub present: bool,
    /// The first pin of each normalised name.
    pins: HashMap<String, String>,
}

impl Pins {
    /// Read the pins of a staging/prod manifest: the `tag` (or `rev`/`branch`) of its
    /// `[tool.uv.sources]` entry, or `==version` of an exact requirement for index pins.
    pub fn read(path: &Path, index: bool) -> Result<Self, pyproject::PyProjectError> {
        if !path.is_file() {
            return Ok(Self::default());
        }
        let doc = PyProject::load(path)?;
        let mut pins = HashMap::new();
        for (name, source) in doc.uv_sources() {
            if let Some(pin) = source.tag.or(source.rev).or(source.branch) {
                pins.entry(pyproject::normalize_name(&name)).or_insert(pin);
            }
        }
        if index {
            for dep in doc.dependencies() {
                if let Ok(req) = crate::python::pyproject::parse_pep508(&dep)
                    && let Some(pep508_rs::VersionOrUrl::VersionSpecifier(specs)) =
                        &req.version_or_url
                    && let [spec] = specs.iter().as_slice()
                    && *spec.operator() == pep440_rs::Operator::Equal
                {
                    pins.entry(pyproject::normalize_name(req.name.as_ref()))
                        .or_insert_with(|| format!("=={}", spec.version()));
                }
            }
        }
        Ok(Self {
            present: true,
            pins,
        })
    }

    /// The pin of a package.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pins.get(key).map(String::as_str)
    }
}

/// Compute the status of the selected packages.
pub fn run(ws: &Workspace, req: &StatusRequest) -> anyhow::Result<StatusReport> {
    run_with(ws, req, None)
}

/// [`run`], with the root's status when it was read while the workspace loaded
/// ([`root_status`]; not with `fetch`, which changes what it says of the upstream).
pub fn run_with(
    ws: &Workspace,
    req: &StatusRequest,
    root_status: Option<RootStatus>,
) -> anyhow::Result<StatusReport> {
    let selected = ws.select(&req.packages)?;
    let jobs = ws.config.effective_jobs(req.jobs);
    // Tag distances are cached between runs (see `tagcache`): a repeated `status` then starts
    // one git process per package.
    let cache = TagCache::open(&ws.root, true);
    // And so is `git status` itself, for packages nobody touched since (see `statuscache`): a
    // repeated `status` then starts no process for them at all.
    let status_cache = StatusCache::open(&ws.root, true);
    // And the in-tree packages' commits since their tags (see `history`).
    let history_cache = HistoryCache::open(&ws.root, true);
    let caches = Caches {
        tags: &cache,
        status: &status_cache,
    };
    // In-tree packages share the root's git: its facts are gathered once for all of them,
    // while the two manifests (a thousand pins each) are read.
    let in_tree: Vec<&Package> = selected.iter().copied().filter(|p| p.in_tree()).collect();
    let read_pins = |path: &str, index: bool, what: &str| {
        Pins::read(&ws.path(path), index)
            .map_err(|e| Problem::error(format!("{what} manifest: {e}")))
    };
    let (staging, prod, root) = std::thread::scope(|s| {
        let staging = s.spawn(|| read_pins(&ws.config.staging_pyproject_path, false, "staging"));
        let prod = s.spawn(|| {
            read_pins(
                &ws.config.prod_pyproject_path,
                ws.config.prod_source == ProdSource::Index,
                "prod",
            )
        });
        let root = (!in_tree.is_empty()).then(|| {
            let root = Git::new(&ws.root);
            if req.fetch
                && let Err(e) = root.fetch(&ws.config.git_remote)
            {
                crate::core::ui::warn(&format!("the root's fetch failed: {e}"));
            }
            let prefetched = root_status.filter(|_| !req.fetch);
            RootFacts::gather(ws, &in_tree, prefetched, &history_cache, jobs)
        });
        (parallel::joined(staging), parallel::joined(prod), root)
    });
    let mut manifest_problems = Vec::new();
    let mut pins = |read: Result<Pins, Problem>| {
        read.unwrap_or_else(|problem| {
            manifest_problems.push(problem);
            Pins::default()
        })
    };
    let (staging, prod) = (pins(staging), pins(prod));
    let rows = parallel::map(&selected, jobs, |pkg| {
        let mut row = package_status(ws, &caches, root.as_ref(), pkg, &staging, &prod, req.fetch);
        row.problems.extend(manifest_problems.iter().cloned());
        row.status = worst(&row.problems);
        row
    });
    let paths: BTreeSet<&str> = ws.packages.iter().map(|p| p.rel_path.as_str()).collect();
    cache.save(|key| paths.contains(key));
    status_cache.save(|key| paths.contains(key));
    history_cache.save(|key| paths.contains(key));
    let (status_cached, status_asked) = status_cache.counts();
    let (tags_cached, tags_counted) = cache.counts();
    Ok(StatusReport {
        root: ws.root.display().to_string(),
        product: product_status(ws, &rows),
        groups: ws.config.groups.clone(),
        packages: rows,
        checked: Checked {
            status_cached,
            status_asked,
            tags_cached,
            tags_counted,
            in_tree: in_tree.len(),
            fetched: req.fetch,
        },
    })
}

fn worst(problems: &[Problem]) -> &'static str {
    match problems.iter().map(|p| p.level).max() {
        Some(Level::Error) => "error",
        Some(Level::Warning) => "warning",
        None => "ok",
    }
}

/// The caches `status` reads and fills.
struct Caches<'a> {
    tags: &'a TagCache,
    status: &'a StatusCache,
}

fn package_status(
    ws: &Workspace,
    caches: &Caches<'_>,
    root: Option<&RootFacts>,
    pkg: &Package,
    staging: &Pins,
    prod: &Pins,
    fetch: bool,
) -> StatusRow {
    let mut row = StatusRow {
        name: pkg.name.clone(),
        path: pkg.rel_path.clone(),
        version: pkg.version().map(str::to_owned),
        branch: None,
        last_tag: None,
        commits_since_tag: None,
        dirty: None,
        ahead: None,
        behind: None,
        staging_pin: staging.get(&pkg.key).map(str::to_owned),
        prod_pin: prod.get(&pkg.key).map(str::to_owned),
        problems: pkg.problems.clone(),
        status: "ok",
    };
    if let Some(meta) = &pkg.meta {
        for name in &meta.workspace_sources {
            row.problems.push(Problem::warning(format!(
                "`{name} = {{ workspace = true }}` in its own pyproject.toml breaks installs outside the workspace"
            )));
        }
    }
    let prefix = &ws.tag_prefix(pkg);
    let facts = match (pkg.in_tree(), root) {
        (true, Some(root)) => in_tree_facts(ws, root, pkg, prefix, &mut row),
        (true, None) => None,
        (false, _) => own_repo_facts(ws, caches, pkg, prefix, fetch, &mut row),
    };
    let Some(tags) = facts else {
        return row;
    };
    let newest = newest(&tags, prefix, false);
    if let Some((tag, tag_version)) = &newest {
        row.last_tag = Some(tag.name.clone());
        let commits = row.commits_since_tag.unwrap_or(0);
        if commits > 0
            && let Some(v) = pkg.meta.as_ref().and_then(|m| m.parsed_version.as_ref())
            && v == tag_version
        {
            row.problems.push(Problem::warning(format!(
                "version {v} already tagged but {} since",
                crate::core::text::count(commits as usize, "commit")
            )));
        }
    }
    pin_problems(&mut row, "staging", staging, newest.as_ref(), &tags, prefix);
    let newest_final = newest_final_of(&tags, prefix);
    if ws.config.prod_source == ProdSource::Index {
        if let (Some(pin), Some((tag, v))) = (&row.prod_pin, &newest_final)
            && let Some(pinned) = pin.strip_prefix("==").and_then(|p| version::parse(p).ok())
            && pinned < *v
        {
            row.problems.push(Problem::warning(format!(
                "prod pin {pin} but latest release tag {}",
                tag.name
            )));
        }
    } else {
        pin_problems(&mut row, "prod", prod, newest_final.as_ref(), &tags, prefix);
    }
    row
}

fn newest<'a>(
    tags: &'a [TagRef],
    prefix: &str,
    finals_only: bool,
) -> Option<(&'a TagRef, Version)> {
    let (name, v) = version::newest_tag(tags.iter().map(|t| t.name.as_str()), prefix, finals_only)?;
    tags.iter().find(|t| t.name == name).map(|t| (t, v))
}

fn newest_final_of<'a>(tags: &'a [TagRef], prefix: &str) -> Option<(&'a TagRef, Version)> {
    newest(tags, prefix, true)
}

fn pin_problems(
    row: &mut StatusRow,
    mode: &str,
    pins: &Pins,
    newest: Option<&(&TagRef, Version)>,
    tags: &[TagRef],
    prefix: &str,
) {
    let pin = if mode == "staging" {
        row.staging_pin.clone()
    } else {
        row.prod_pin.clone()
    };
    match (pin, newest) {
        (Some(pin), newest) => {
            if !tags.iter().any(|t| t.name == pin) {
                row.problems.push(Problem::warning(format!(
                    "{mode} pin {pin} is not a tag of this package"
                )));
            } else if let (Some(pinned), Some((tag, v))) =
                (version::parse_tag(&pin, prefix), newest)
                && pinned < *v
            {
                row.problems.push(Problem::warning(format!(
                    "{mode} pin {pin} but latest tag {}",
                    tag.name
                )));
            }
        }
        (None, Some((tag, _))) if pins.present => {
            row.problems.push(Problem::warning(format!(
                "not pinned in {mode} (latest tag {}; run `release-tool manifests`)",
                tag.name
            )));
        }
        _ => {}
    }
}

/// Branch, dirty files, ahead/behind of a package with its own repository into `row`; its
/// tags, and the commits since the newest. `None` when the row is complete already.
fn own_repo_facts(
    ws: &Workspace,
    caches: &Caches<'_>,
    pkg: &Package,
    prefix: &str,
    fetch: bool,
    row: &mut StatusRow,
) -> Option<Vec<TagRef>> {
    if !pkg.dir.join(".git").exists() {
        if pkg.dir.join("pyproject.toml").is_file() {
            row.problems.push(Problem::error(
                "not a git repository (each package needs its own repo)",
            ));
        }
        return None;
    }
    let git = Git::new(&pkg.dir);
    let remote = &ws.config.git_remote;
    let has_remote = match git.has_remote(remote) {
        Ok(has) => has,
        Err(e) => {
            row.problems.push(Problem::error(format!("git: {e}")));
            return None;
        }
    };
    if !has_remote {
        row.problems
            .push(Problem::warning(format!("no remote `{remote}`")));
    } else if fetch && let Err(e) = git.fetch(remote) {
        row.problems.push(Problem::warning(if e.timed_out() {
            format!(
                "cannot reach its remote `{remote}`: {}",
                e.unreachable_reason()
            )
        } else {
            // git's first line says why (the row names the package; `-v` logs the rest).
            let why = e
                .stderr()
                .and_then(|s| s.lines().map(str::trim).find(|l| !l.is_empty()))
                .map(|l| l.trim_start_matches("fatal: ").to_owned());
            tracing::debug!("fetch of {}: {e}", pkg.rel_path);
            match why {
                Some(why) => format!("fetch from `{remote}` failed: {why}"),
                None => format!("fetch failed: {e}"),
            }
        }));
    }
    let cache = caches.tags;
    let status = match caches.status.status(&pkg.rel_path, &git) {
        Ok(s) => s,
        Err(e) => {
            row.problems.push(Problem::error(format!("git: {e}")));
            return None;
        }
    };
    row.dirty = Some(status.dirty);
    row.ahead = Some(status.ahead);
    row.behind = Some(status.behind);
    row.branch.clone_from(&status.branch);
    if status.branch.is_none() {
        let head = status.head.as_deref().map_or("", crate::git::short_hash);
        row.problems.push(Problem::warning(format!(
            "detached HEAD at {head} (run `git switch {}` in {})",
            ws.base_branch(pkg),
            pkg.rel_path
        )));
    }
    let Some(head) = status.head.as_deref() else {
        row.commits_since_tag = Some(0);
        return None;
    };
    // Tags and the commits since each: one git call, or none when cached or there is no tag.
    let tags = match cache.tag_distances(&pkg.rel_path, &git, prefix, head) {
        Ok(t) => t,
        Err(e) => {
            row.problems.push(Problem::error(format!("git: {e}")));
            return None;
        }
    };
    version::note_ignored_tags(&pkg.name, tags.iter().map(|t| t.name.as_str()), prefix);
    let newest = newest(&tags, prefix, false);
    let since = match &newest {
        Some((tag, _)) => tag
            .since
            .map_or_else(|| git.count_commits(Some(&tag.commit), head), Ok),
        None => cache.commit_count(&pkg.rel_path, &git, head),
    };
    match since {
        Ok(n) => row.commits_since_tag = Some(n),
        Err(e) => row.problems.push(Problem::error(format!("git: {e}"))),
    }
    Some(tags)
}

/// An in-tree package's commits since its newest tag (`None`: no HEAD yet), or why they are
/// unknown.
type Since = Result<Option<u32>, String>;

/// The root's `git status` for its in-tree packages (submodules left out), or why it failed.
pub type RootStatus = Result<crate::git::RepoStatus, String>;

/// The root's `git status` when `in_tree` (the in-tree members, from
/// [`Workspace::load_alongside`]) is not empty: started while the workspace loads, it is the
/// one call an in-tree `status` has to wait for.
pub fn root_status(root: &Path, in_tree: &[&str]) -> Option<RootStatus> {
    (!in_tree.is_empty()).then(|| {
        Git::new(root)
            .status_without_submodules()
            .map_err(|e| e.to_string())
    })
}

/// The root repository's facts for its in-tree packages, gathered once for all of them: one
/// `git status`, the tags, and each package's commits since its last tag, from the history
/// cache or one `git log` attributed by path ([`PathHistory`]).
pub struct RootFacts {
    has_remote: Result<bool, String>,
    status: RootStatus,
    /// Sorted by name, each once.
    tags: Result<Vec<TagRef>, String>,
    /// Package path → commits since its newest tag (`None`: no HEAD yet).
    since: HashMap<String, Since>,
}

impl RootFacts {
    /// Gather the facts for `pkgs` (in-tree packages); `status`: the root's status when it was
    /// read already ([`root_status`]), else it is read here, alongside the rest.
    pub fn gather(
        ws: &Workspace,
        pkgs: &[&Package],
        status: Option<RootStatus>,
        cache: &HistoryCache,
        jobs: usize,
    ) -> Self {
        let git = Git::new(&ws.root);
        std::thread::scope(|s| {
            let mut job = status
                .is_none()
                .then(|| s.spawn(|| git.status_without_submodules().map_err(|e| e.to_string())));
            let mut status = status;
            let mut wait = |status: &mut Option<RootStatus>| {
                if status.is_none()
                    && let Some(job) = job.take()
                {
                    *status = Some(parallel::joined(job));
                }
            };
            let has_remote = git
                .has_remote(&ws.config.git_remote)
                .map_err(|e| e.to_string());
            let tags = root_tags(ws, &git, pkgs, cache);
            // HEAD: the one the status read says when it is done (prefetched), from the files
            // while git's status is still running, else from git's answer.
            let head = match &status {
                Some(Ok(st)) => st.head.clone(),
                _ => {
                    if let Some((_, head)) = RepoFiles::open(&ws.root).and_then(|f| f.head()) {
                        head
                    } else {
                        wait(&mut status);
                        status
                            .as_ref()
                            .and_then(|st| st.as_ref().ok())
                            .and_then(|st| st.head.clone())
                    }
                }
            };
            let since = match &tags {
                Ok(tags) => commits_since_tags(ws, &git, pkgs, tags, head.as_deref(), cache, jobs),
                Err(e) => pkgs
                    .iter()
                    .map(|p| (p.rel_path.clone(), Err(e.clone())))
                    .collect(),
            };
            wait(&mut status);
            Self {
                has_remote,
                status: status.unwrap_or_else(|| Err("the root's status was not read".to_owned())),
                tags,
                since,
            }
        })
    }
}

/// Every tag of the root at the top of refs/tags, and below each directory a template names
/// (`rel/{name}/{version}`): a listing per distinct directory, not per package; sorted by name.
/// Read from the ref files, the annotated tags peeled through the cache (a thousand tag objects
/// are most of the cost otherwise); from git when the files cannot tell.
fn root_tags(
    ws: &Workspace,
    git: &Git,
    pkgs: &[&Package],
    cache: &HistoryCache,
) -> Result<Vec<TagRef>, String> {
    let mut dirs: BTreeSet<String> = BTreeSet::from([String::new()]);
    for pkg in pkgs {
        let prefix = ws.tag_prefix(pkg);
        if let Some(i) = prefix.rfind('/') {
            dirs.insert(prefix[..=i].to_owned());
        }
    }
    let mut tags = match tags_from_files(git, &dirs, cache) {
        Some(tags) => tags,
        None => dirs
            .iter()
            .map(|d| git.tags(d))
            .collect::<Result<Vec<_>, _>>()
            .map(|lists| lists.into_iter().flatten().collect::<Vec<_>>())
            .map_err(|e| e.to_string())?,
    };
    tags.sort_by(|a, b| a.name.cmp(&b.name));
    tags.dedup_by(|a, b| a.name == b.name);
    Ok(tags)
}

/// [`root_tags`] from the ref files; `None` when any tag is not plain to read or peel there.
fn tags_from_files(
    git: &Git,
    dirs: &BTreeSet<String>,
    cache: &HistoryCache,
) -> Option<Vec<TagRef>> {
    let files = git.files()?;
    let local = std::cell::OnceCell::new();
    let mut tags = Vec::new();
    for dir in dirs {
        for disk in files.tags(dir)? {
            let commit = match disk.peeled {
                Some(commit) => commit,
                None => cache.peeled(&disk.object, || {
                    local
                        .get_or_init(|| git.local())
                        .as_ref()?
                        .peel_tag_object(&disk.object)
                })?,
            };
            tags.push(TagRef {
                name: disk.name,
                object: disk.object,
                commit,
                ahead: None,
                since: None,
            });
        }
    }
    Some(tags)
}

/// The tags of `sorted` (by name) that are `prefix` and a version, nothing nested below it.
fn tags_with_prefix(sorted: &[TagRef], prefix: &str) -> Vec<TagRef> {
    let start = sorted.partition_point(|t| t.name.as_str() < prefix);
    sorted[start..]
        .iter()
        .map_while(|t| t.name.strip_prefix(prefix).map(|rest| (t, rest)))
        .filter(|(_, rest)| !rest.contains('/'))
        .map(|(t, _)| t.clone())
        .collect()
}

/// Each package's commits since its newest tag: from the cache, the rest from one
/// [`PathHistory`] bounded by their tags (`Ok(None)` for all on an unborn HEAD).
fn commits_since_tags(
    ws: &Workspace,
    git: &Git,
    pkgs: &[&Package],
    tags: &[TagRef],
    head: Option<&str>,
    cache: &HistoryCache,
    jobs: usize,
) -> HashMap<String, Since> {
    let Some(head) = head else {
        return pkgs
            .iter()
            .map(|p| (p.rel_path.clone(), Ok(None)))
            .collect();
    };
    let mut since = HashMap::with_capacity(pkgs.len());
    let mut misses: Vec<(&Package, Option<String>)> = Vec::new();
    for pkg in pkgs {
        let prefix = ws.tag_prefix(pkg);
        let own = tags_with_prefix(tags, &prefix);
        let tag = newest(&own, &prefix, false).map(|(t, _)| t.commit.clone());
        match cache.get(&pkg.rel_path, head, tag.as_deref()) {
            Some(n) => {
                since.insert(pkg.rel_path.clone(), Ok(Some(n)));
            }
            None => misses.push((pkg, tag)),
        }
    }
    if misses.is_empty() {
        return since;
    }
    if let Some(counted) = counted_on_top(git, head, &misses, cache) {
        since.extend(counted);
        return since;
    }
    let all = misses.iter().any(|(_, t)| t.is_none());
    let commits: Vec<&str> = misses.iter().filter_map(|(_, t)| t.as_deref()).collect();
    match PathHistory::load(git, head, &commits, all) {
        Ok(history) => {
            let counted = parallel::map(&misses, jobs, |(pkg, tag)| {
                history
                    .commits_since(git, tag.as_deref(), &pkg.rel_path)
                    .map(|c| u32::try_from(c.len()).unwrap_or(u32::MAX))
                    .map_err(|e| e.to_string())
            });
            for ((pkg, tag), n) in misses.iter().zip(counted) {
                if let Ok(n) = n {
                    let on_line = history.on_line(tag.as_deref());
                    cache.put(&pkg.rel_path, head, tag.as_deref(), n, on_line);
                }
                since.insert(pkg.rel_path.clone(), n.map(Some));
            }
        }
        Err(e) => {
            for (pkg, _) in &misses {
                since.insert(pkg.rel_path.clone(), Err(e.to_string()));
            }
        }
    }
    since
}

/// The counts of `misses` from their cached counts at an earlier HEAD, when HEAD only moved
/// forward since (new commits on top, the same tags): the earlier count plus the new commits
/// that touch the package's directory, from one `git log` of the new commits alone. `None`
/// when that does not hold for every one of them (different earlier HEADs, a new tag, a tag off
/// HEAD's line, a HEAD that moved back or sideways): then the whole history is read.
fn counted_on_top(
    git: &Git,
    head: &str,
    misses: &[(&Package, Option<String>)],
    cache: &HistoryCache,
) -> Option<Vec<(String, Since)>> {
    let priors: Vec<(String, u32)> = misses
        .iter()
        .map(|(pkg, tag)| cache.prior(&pkg.rel_path, tag.as_deref()))
        .collect::<Option<_>>()?;
    let earlier = priors.first()?.0.clone();
    if earlier == head
        || priors.iter().any(|(h, _)| *h != earlier)
        || !git
            .test(["merge-base", "--is-ancestor", earlier.as_str(), head])
            .ok()?
    {
        return None;
    }
    // Bounded by the earlier HEAD: the listing is exactly the new commits, none reachable from
    // a tag that the earlier HEAD reaches.
    let history = PathHistory::load(git, head, &[earlier.as_str()], false).ok()?;
    let mut out = Vec::with_capacity(misses.len());
    for ((pkg, tag), (_, before)) in misses.iter().zip(&priors) {
        let new = history
            .commits_since(git, Some(&earlier), &pkg.rel_path)
            .ok()?
            .len();
        let n = before.saturating_add(u32::try_from(new).unwrap_or(u32::MAX));
        cache.put(&pkg.rel_path, head, tag.as_deref(), n, true);
        out.push((pkg.rel_path.clone(), Ok(Some(n))));
    }
    Some(out)
}

/// [`own_repo_facts`] for an in-tree package, from the root's facts (no process, but for a
/// tag off HEAD's line).
fn in_tree_facts(
    ws: &Workspace,
    root: &RootFacts,
    pkg: &Package,
    prefix: &str,
    row: &mut StatusRow,
) -> Option<Vec<TagRef>> {
    let remote = &ws.config.git_remote;
    match &root.has_remote {
        Err(e) => {
            row.problems.push(Problem::error(format!("git: {e}")));
            return None;
        }
        Ok(false) => row.problems.push(Problem::warning(format!(
            "no remote `{remote}` in the root"
        ))),
        Ok(true) => {}
    }
    let (status, all_tags) = match (&root.status, &root.tags) {
        (Ok(s), Ok(t)) => (s, t),
        (Err(e), _) | (_, Err(e)) => {
            row.problems.push(Problem::error(format!("git: {e}")));
            return None;
        }
    };
    // Its part of the root's status (a file renamed out of it counts too); by prefix alone
    // when a path needs git's quoting.
    row.dirty = Some(status.narrowed_to(&pkg.rel_path).map_or_else(
        || {
            let dir = format!("{}/", pkg.rel_path);
            status
                .changed
                .iter()
                .filter(|p| p.starts_with(&dir))
                .count()
        },
        |own| own.dirty(),
    ));
    row.ahead = Some(status.ahead);
    row.behind = Some(status.behind);
    row.branch.clone_from(&status.branch);
    if status.branch.is_none() {
        let head = status.head.as_deref().map_or("", crate::git::short_hash);
        row.problems.push(Problem::warning(format!(
            "detached HEAD at {head} in the root (run `git switch {}` there)",
            ws.base_branch(pkg),
        )));
    }
    let tags = tags_with_prefix(all_tags, prefix);
    version::note_ignored_tags(&pkg.name, tags.iter().map(|t| t.name.as_str()), prefix);
    match root.since.get(&pkg.rel_path) {
        Some(Ok(n)) => row.commits_since_tag = Some(n.unwrap_or(0)),
        Some(Err(e)) => row.problems.push(Problem::error(format!("git: {e}"))),
        None => {}
    }
    Some(tags)
}
