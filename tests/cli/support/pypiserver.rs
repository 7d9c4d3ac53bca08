//! A real package index for `publish` tests: pypiserver on 127.0.0.1, installed once from `PyPI`
//! into `target/test-tools` (like the pinned uv), started per test on a free port, stopped on
//! drop.
//!
//! The server runs without authentication (`-a . -P .`: any credentials are accepted) and
//! without the fallback redirect to `PyPI` (`--disable-fallback`), so a lookup of a package it
//! does not have answers 404 here instead of sending uv to pypi.org.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The pypiserver version tests install.
pub const PYPISERVER_VERSION: &str = "2.4.2";

/// How long a server may take to answer `GET /simple/`.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// The directory pypiserver is installed in (`PYTHONPATH` for `python3 -m pypiserver`).
pub fn install() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        super::install_tool(
            &format!("pypiserver=={PYPISERVER_VERSION}"),
            &format!("pypiserver-{PYPISERVER_VERSION}"),
            "pypiserver/__init__.py",
        )
    })
    .clone()
}

/// A running pypiserver; killed when dropped.
pub struct PyPiServer {
    child: Child,
    pub port: u16,
    /// Where uploaded files land.
    pub packages: PathBuf,
    log: PathBuf,
}

impl PyPiServer {
    /// Start a server on a free port of 127.0.0.1 serving `<dir>/packages` (created), logging
    /// to `<dir>/pypiserver.log`; waits until `GET /simple/` answers 200.
    pub fn start(dir: &Path) -> Self {
        let pythonpath = install();
        let packages = dir.join("packages");
        std::fs::create_dir_all(&packages).expect("create packages dir");
        let log = dir.join("pypiserver.log");
        let mut last_log = String::new();
        // A free port can be taken between our probe and the server's bind: retry.
        for _ in 0..3 {
            let port = free_port();
            let log_file = std::fs::File::create(&log).expect("log file");
            let child = Command::new("python3")
                .args(["-m", "pypiserver", "run", "-p"])
                .arg(port.to_string())
                .args([
                    "-i",
                    "127.0.0.1",
                    "-a",
                    ".",
                    "-P",
                    ".",
                    "--disable-fallback",
                ])
                .arg(&packages)
                .env("PYTHONPATH", &pythonpath)
                .env("PYTHONDONTWRITEBYTECODE", "1")
                .stdin(Stdio::null())
                .stdout(log_file.try_clone().expect("log file"))
                .stderr(log_file)
                .spawn()
                .expect("start python3 -m pypiserver");
            let mut server = Self {
                child,
                port,
                packages: packages.clone(),
                log: log.clone(),
            };
            if server.wait_ready() {
                return server;
            }
            last_log = std::fs::read_to_string(&log).unwrap_or_default();
            // Dropping `server` kills it.
        }
        panic!("pypiserver did not start on 127.0.0.1; log:\n{last_log}");
    }

    /// Poll `GET /simple/` until it answers 200, the process exits, or the time is up.
    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return false;
            }
            if self
                .get("/simple/")
                .is_some_and(|(status, _)| status == 200)
            {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    /// A bare HTTP/1.0 GET: `(status, body)`, or `None` when the server does not answer.
    pub fn get(&self, path: &str) -> Option<(u16, String)> {
        super::http::get(self.port, path)
    }

    /// The upload URL (`uv publish --publish-url`).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// The simple index (`uv pip install --index-url`).
    pub fn simple_url(&self) -> String {
        format!("http://127.0.0.1:{}/simple/", self.port)
    }

    /// File names in the packages directory, sorted.
    pub fn files(&self) -> Vec<String> {
        let mut files: Vec<String> = std::fs::read_dir(&self.packages)
            .expect("packages dir")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        files
    }

    /// The server's log so far (for assertion messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for PyPiServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port on 127.0.0.1 nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}
