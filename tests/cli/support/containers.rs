//! Container tools for the `docker` tests: real builds with Debian's daemonless tools (see
//! docs/development.md "Tests").
//!
//! - [`require_tools`]: buildah, podman, skopeo, docker-registry, runc and debootstrap,
//!   installed with apt-get on first use when the tests run as root (else a test that needs
//!   them and finds them missing fails, naming them and the command that installs them).
//! - [`base_image`]: `localhost/python-base:bookworm` (Debian minbase with python3, no git),
//!   built once per machine with debootstrap and cached as an OCI archive in
//!   `target/test-tools/`, restored into the engines' storage in seconds.
//! - [`uv_image`]: `localhost/uv:<UV_VERSION>` (`FROM scratch` + the pinned uv), so the
//!   Dockerfile's `COPY --from=<uv_image>:<version>` needs no registry.
//! - [`engine_env`]: what the engines need on these machines (chroot isolation, runc,
//!   ulimits the sandbox allows).
//! - [`Registry`] (a local docker-registry) and [`GitDaemon`] (the demo's remotes over
//!   `git://`, for the builds' `uv sync`), both on free ports of 127.0.0.1, stopped on drop.

use std::fs::File;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::UV_VERSION;
use super::pypiserver::free_port;

/// The tools the container tests need, and the Debian packages that have them.
pub const TOOLS: &[(&str, &str)] = &[
    ("buildah", "buildah"),
    ("podman", "podman"),
    ("skopeo", "skopeo"),
    ("docker-registry", "docker-registry"),
    ("runc", "runc"),
    ("debootstrap", "debootstrap"),
];

/// The base image the tests build on (no registry can be pulled from here).
pub const BASE_IMAGE: &str = "localhost/python-base:bookworm";

/// The uv image (without its tag, which is [`UV_VERSION`]).
pub const UV_IMAGE: &str = "localhost/uv";

fn tools_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-tools")
}

/// The container tools the tests need, provisioned the way uv and pypiserver are: when some are
/// missing and the tests run as root on a machine with `apt-get`, they are installed once
/// (`apt-get update`, then `apt-get install -y` of the missing packages, under a file lock in
/// `target/test-tools` so that parallel tests and test binaries install once); otherwise, or
/// when that fails, the test panics naming every missing tool and the one command that installs
/// them.
pub fn require_tools() {
    static PROVISIONED: OnceLock<Result<(), String>> = OnceLock::new();
    let result = PROVISIONED.get_or_init(|| {
        if missing_packages().is_empty() {
            return Ok(());
        }
        let can_install = rustix::process::geteuid().is_root() && on_path("apt-get");
        if !can_install {
            return Err(String::new());
        }
        locked("apt-install", || {
            let missing = missing_packages();
            if missing.is_empty() {
                return Ok(());
            }
            eprintln!(
                "the docker tests need {}: installing them with apt-get (once)",
                missing.join(", ")
            );
            apt_get(&["update", "-qq"])?;
            let mut args = vec!["install", "-y", "-qq"];
            args.extend(missing.iter().copied());
            apt_get(&args)
        })
    });
    let missing = missing_packages();
    let why = match result {
        Err(e) if !e.is_empty() => format!("\n(installing them failed: {e})"),
        _ => String::new(),
    };
    assert!(
        missing.is_empty(),
        "the docker tests need real container tools, missing: {}\n\
         install them: {}apt-get update && {}apt-get install -y {}\n\
         (the tests install them themselves when they run as root on a machine with apt-get){why}",
        missing.join(", "),
        if rustix::process::geteuid().is_root() {
            ""
        } else {
            "sudo "
        },
        if rustix::process::geteuid().is_root() {
            ""
        } else {
            "sudo "
        },
        missing.join(" ")
    );
}

/// Make `tool` available: when it is not on `PATH` and the tests run as root on a machine with
/// `apt-get`, install Debian's `package` once (under the same file lock as the container tools).
/// An error says why not; the caller panics with its own hint.
pub fn apt_provide(tool: &str, package: &str) -> Result<(), String> {
    if on_path(tool) {
        return Ok(());
    }
    if !(rustix::process::geteuid().is_root() && on_path("apt-get")) {
        return Err(format!("{tool} is not on PATH"));
    }
    locked("apt-install", || {
        if on_path(tool) {
            return Ok(());
        }
        eprintln!("the tests need {tool}: installing Debian's {package} with apt-get (once)");
        apt_get(&["update", "-qq"])?;
        apt_get(&["install", "-y", "-qq", package])
    })
}

/// The Debian packages of [`TOOLS`] whose tool is not on `PATH`.
fn missing_packages() -> Vec<&'static str> {
    TOOLS
        .iter()
        .filter(|(tool, _)| !on_path(tool))
        .map(|(_, package)| *package)
        .collect()
}

fn apt_get(args: &[&str]) -> Result<(), String> {
    let out = Command::new("apt-get")
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run apt-get: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`apt-get {}` failed: {}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join(tool).is_file()))
}

/// Environment for the engines here: chroot isolation (the OCI one fails on hybrid
/// cgroups), runc and ulimits the sandbox allows (podman's defaults fail).
pub fn engine_env() -> Vec<(String, String)> {
    static CONF: OnceLock<PathBuf> = OnceLock::new();
    let conf = CONF.get_or_init(|| {
        let dir = tools_dir();
        std::fs::create_dir_all(&dir).expect("create target/test-tools");
        let path = dir.join("containers.conf");
        std::fs::write(
            &path,
            "[containers]\ndefault_ulimits = [\"nofile=20000:20000\", \"nproc=32768:32768\"]\n\n\
             [engine]\nruntime = \"runc\"\n",
        )
        .expect("write containers.conf");
        path
    });
    vec![
        ("BUILDAH_ISOLATION".to_owned(), "chroot".to_owned()),
        ("CONTAINERS_CONF".to_owned(), conf.display().to_string()),
    ]
}

/// Run a tool with [`engine_env`]; panics with its output when it fails.
pub fn tool(program: &str, args: &[&str]) -> String {
    let out = tool_output(program, args);
    assert!(
        out.status.success(),
        "`{program} {}` failed: {}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Run a tool with [`engine_env`] and return what it did.
pub fn tool_output(program: &str, args: &[&str]) -> Output {
    let mut cmd = Command::new(program);
    cmd.args(args).stdin(Stdio::null());
    for (k, v) in engine_env() {
        cmd.env(k, v);
    }
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"))
}

fn image_exists(image: &str) -> bool {
    tool_output("podman", &["image", "exists", image])
        .status
        .success()
}

/// Hold an exclusive lock on `target/test-tools/<name>.lock` while `f` runs, so that test
/// binaries (or two `cargo test` runs) do not build the same image at once.
fn locked<T>(name: &str, f: impl FnOnce() -> T) -> T {
    let dir = tools_dir();
    std::fs::create_dir_all(&dir).expect("create target/test-tools");
    let file = File::create(dir.join(format!("{name}.lock"))).expect("lock file");
    file.lock().expect("lock");
    let out = f();
    let _ = file.unlock();
    out
}

/// Held by a test while it builds, runs or removes images: one at a time, in this process and
/// across processes. Concurrent builds and removals in one storage race (buildah: "checking if
/// cached image exists from a previous build: ... layer not known").
pub struct Exclusive {
    _file: File,
    _guard: std::sync::MutexGuard<'static, ()>,
}

/// Wait for, then hold, the right to use the engines' storage (see [`Exclusive`]).
pub fn exclusive() -> Exclusive {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let guard = LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = tools_dir();
    std::fs::create_dir_all(&dir).expect("create target/test-tools");
    let file = File::create(dir.join("containers.lock")).expect("lock file");
    file.lock().expect("lock");
    Exclusive {
        _file: file,
        _guard: guard,
    }
}

/// Make sure [`BASE_IMAGE`] is in the engines' storage: there already, restored from the
/// cached archive (seconds), or built with debootstrap (about a minute) and archived.
pub fn base_image() -> &'static str {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        require_tools();
        locked("python-base", || {
            let archive = tools_dir().join("python-base-bookworm.oci.tar");
            if image_exists(BASE_IMAGE) {
                if !archive.is_file() {
                    save_archive(&archive);
                }
                return;
            }
            if !archive.is_file() {
                build_base_archive(&archive);
            }
            tool(
                "skopeo",
                &[
                    "copy",
                    "--quiet",
                    &format!("oci-archive:{}", archive.display()),
                    &format!("containers-storage:{BASE_IMAGE}"),
                ],
            );
        });
    });
    BASE_IMAGE
}

/// debootstrap a minimal Debian with Python (no git: the image's deps stage installs it),
/// import it and save it as an OCI archive at `archive` (written aside, then renamed).
fn build_base_archive(archive: &Path) {
    let work = tempfile::Builder::new()
        .prefix("python-base-")
        .tempdir_in(tools_dir())
        .expect("temp dir");
    let rootfs = work.path().join("rootfs");
    tool(
        "debootstrap",
        &[
            "--variant=minbase",
            "--include=python3,python3-venv,ca-certificates",
            "bookworm",
            rootfs.to_str().unwrap(),
        ],
    );
    let tar = work.path().join("rootfs.tar");
    let status = Command::new("tar")
        .arg("-C")
        .arg(&rootfs)
        .arg("-cf")
        .arg(&tar)
        .arg(".")
        .status()
        .expect("run tar");
    assert!(status.success(), "tar of the debootstrap root failed");
    tool(
        "podman",
        &["import", "--quiet", tar.to_str().unwrap(), BASE_IMAGE],
    );
    save_archive(archive);
}

/// Save [`BASE_IMAGE`] from the engines' storage as an OCI archive (written aside, renamed).
fn save_archive(archive: &Path) {
    let staged = archive.with_extension("partial");
    let _ = std::fs::remove_file(&staged);
    tool(
        "skopeo",
        &[
            "copy",
            "--quiet",
            &format!("containers-storage:{BASE_IMAGE}"),
            &format!("oci-archive:{}", staged.display()),
        ],
    );
    std::fs::rename(&staged, archive).expect("store the base image archive");
}

/// Make sure `localhost/uv:<UV_VERSION>` exists: `FROM scratch` with the pinned uv binaries.
pub fn uv_image() -> &'static str {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        require_tools();
        let reference = format!("{UV_IMAGE}:{UV_VERSION}");
        locked("uv-image", || {
            if image_exists(&reference) {
                return;
            }
            let bin = super::install_tool(
                &format!("uv=={UV_VERSION}"),
                &format!("uv-{UV_VERSION}"),
                "bin/uv",
            )
            .join("bin");
            let work = tempfile::tempdir().expect("temp dir");
            for name in ["uv", "uvx"] {
                std::fs::copy(bin.join(name), work.path().join(name)).expect("copy uv");
            }
            std::fs::write(
                work.path().join("Containerfile"),
                "FROM scratch\nCOPY uv uvx /\n",
            )
            .expect("write Containerfile");
            tool(
                "buildah",
                &[
                    "bud",
                    "--quiet",
                    "-t",
                    &reference,
                    work.path().to_str().unwrap(),
                ],
            );
        });
    });
    UV_IMAGE
}

/// A local registry (`docker-registry serve`) on a free port of 127.0.0.1; stopped on drop.
pub struct Registry {
    child: Child,
    pub port: u16,
    log: PathBuf,
}

impl Registry {
    /// Start a registry storing under `<dir>/registry`, logging to `<dir>/registry.log`.
    pub fn start(dir: &Path) -> Self {
        let storage = dir.join("registry");
        std::fs::create_dir_all(&storage).expect("registry dir");
        let log = dir.join("registry.log");
        for _ in 0..3 {
            let port = free_port();
            let config = dir.join("registry.yml");
            std::fs::write(
                &config,
                format!(
                    "version: 0.1\nlog: {{level: warn}}\nstorage: {{filesystem: {{rootdirectory: {}}}}}\nhttp: {{addr: 127.0.0.1:{port}}}\n",
                    storage.display()
                ),
            )
            .expect("registry config");
            let file = File::create(&log).expect("registry log");
            let child = Command::new("docker-registry")
                .arg("serve")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(file.try_clone().expect("log"))
                .stderr(file)
                .spawn()
                .expect("start docker-registry");
            let mut registry = Self {
                child,
                port,
                log: log.clone(),
            };
            if registry.wait_ready() {
                return registry;
            }
        }
        panic!(
            "docker-registry did not start; log:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return false;
            }
            if self.get("/v2/").is_some_and(|(status, _)| status == 200) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    /// `127.0.0.1:<port>`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// A bare HTTP/1.0 GET: `(status, body)`.
    pub fn get(&self, path: &str) -> Option<(u16, String)> {
        super::http::get(self.port, path)
    }

    /// The tags of `name`, sorted, from the registry API (`/v2/<name>/tags/list`).
    pub fn tags(&self, name: &str) -> Vec<String> {
        let (status, body) = self
            .get(&format!("/v2/{name}/tags/list"))
            .expect("the registry answers");
        assert_eq!(status, 200, "tags of {name}: {body}\nlog:\n{}", self.log());
        let json: serde_json::Value = serde_json::from_str(&body).expect("JSON tag list");
        let mut tags: Vec<String> = json["tags"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        tags.sort();
        tags
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `git daemon` serving the bare repositories under `base` as `git://127.0.0.1:<port>/<name>`;
/// stopped on drop.
pub struct GitDaemon {
    child: Child,
    pub port: u16,
}

impl GitDaemon {
    pub fn start(base: &Path) -> Self {
        let exec_path = Command::new("git")
            .arg("--exec-path")
            .output()
            .expect("git --exec-path");
        let daemon =
            PathBuf::from(String::from_utf8_lossy(&exec_path.stdout).trim()).join("git-daemon");
        for _ in 0..3 {
            let port = free_port();
            let child = Command::new(&daemon)
                .arg(format!("--base-path={}", base.display()))
                .args(["--export-all", "--reuseaddr", "--listen=127.0.0.1"])
                .arg(format!("--port={port}"))
                .arg(base)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("start {}: {e}", daemon.display()));
            let mut server = Self { child, port };
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if matches!(server.child.try_wait(), Ok(Some(_))) {
                    break;
                }
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return server;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = server.child.kill();
        }
        panic!("git daemon did not start");
    }

    /// A git config that fetches `file://<base>/...` from this daemon instead (what a real
    /// project does for private repositories, with credentials in the rewritten URL).
    pub fn rewrite_config(&self, base: &Path) -> String {
        format!(
            "[url \"git://127.0.0.1:{}/\"]\n\tinsteadOf = file://{}/\n",
            self.port,
            base.display()
        )
    }
}

impl Drop for GitDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
