//! The one wrapper around container engines: `docker`, `podman` and `buildah`.
//!
//! [`Engine::find`] picks the engine (`auto`: the first of docker, podman and buildah that
//! works here; docker counts only when its daemon answers). The argv of every engine command
//! is built by pure functions ([`Engine::build_argv`], [`Engine::push_argv`],
//! [`Engine::run_argvs`]) so that plans can show them; [`Engine::run`] runs one through the
//! process runner ([`crate::core::process`]), streaming the engine's output to stderr line by
//! line (secrets masked), and turns a failure into an error that names the exit code and the
//! build step that failed.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::Serialize;

pub use crate::config::EngineChoice;
use crate::core::error::UserError;
use crate::core::process::{Capture, Process};

/// A container engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum EngineKind {
    Docker,
    Podman,
    Buildah,
}

impl EngineKind {
    /// In the order `auto` tries them.
    pub const ALL: [EngineKind; 3] = [Self::Docker, Self::Podman, Self::Buildah];

    /// The program name (also the configuration value).
    pub fn name(self) -> &'static str {
        match self {
            Self::Docker => "docker",
            Self::Podman => "podman",
            Self::Buildah => "buildah",
        }
    }

    /// The engine of a program name ([`EngineKind::name`]), as plans record it.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The choice that names this engine.
    pub fn choice(self) -> EngineChoice {
        match self {
            Self::Docker => EngineChoice::Docker,
            Self::Podman => EngineChoice::Podman,
            Self::Buildah => EngineChoice::Buildah,
        }
    }

    /// The engine `choice` names; `None` for `auto`.
    pub fn chosen(choice: EngineChoice) -> Option<Self> {
        match choice {
            EngineChoice::Auto => None,
            EngineChoice::Docker => Some(Self::Docker),
            EngineChoice::Podman => Some(Self::Podman),
            EngineChoice::Buildah => Some(Self::Buildah),
        }
    }
}

impl std::fmt::Display for EngineKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How to install an engine, for errors.
pub const INSTALL_HINT: &str = "install one: `apt-get install buildah podman` (Debian, Ubuntu), \
    `dnf install buildah podman` (Fedora, RHEL), or Docker Engine \
    (https://docs.docker.com/engine/install/); or pick one with `engine` in \
    [tool.release_tool.docker] or `--engine`";

/// A build secret: a file, or an environment variable of ours.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Secret {
    File { id: String, path: String },
    Env { id: String, var: String },
}

/// What a build needs, engine-neutral.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BuildSpec {
    /// The Dockerfile, as given to `-f`.
    pub dockerfile: String,
    /// The context directory.
    pub context: String,
    /// Full references to tag the image with (`name:tag`).
    pub tags: Vec<String>,
    pub build_args: Vec<(String, String)>,
    pub secrets: Vec<Secret>,
    pub platforms: Vec<String>,
    /// Named build contexts (`--build-context NAME=DIR`).
    pub contexts: Vec<(String, String)>,
    /// Reach registries without TLS verification (base images from an insecure registry).
    pub insecure: bool,
}

/// A located engine.
#[derive(Clone, Debug)]
pub struct Engine {
    pub kind: EngineKind,
    program: PathBuf,
}

impl Engine {
    /// An engine by kind, without looking for it (plans, tests).
    pub fn unchecked(kind: EngineKind) -> Self {
        Self {
            kind,
            program: PathBuf::from(kind.name()),
        }
    }

    /// Find the engine `choice` names (`auto`: the first that works). Errors (exit 1) list
    /// what was tried and how to install an engine.
    pub fn find(choice: EngineChoice) -> Result<Self> {
        if let Some(kind) = EngineKind::chosen(choice) {
            match on_path(kind.name()) {
                Some(program) => Ok(Self { kind, program }),
                None => Err(UserError::failure(format!(
                    "The container engine `{kind}` is not installed (not found on PATH)"
                ))
                .with_hint(INSTALL_HINT)
                .into()),
            }
        } else {
            let mut tried = Vec::new();
            for kind in EngineKind::ALL {
                let Some(program) = on_path(kind.name()) else {
                    tried.push(format!("{kind}: not found on PATH"));
                    continue;
                };
                if kind == EngineKind::Docker
                    && let Err(why) = docker_daemon(&program)
                {
                    tried.push(format!("docker: found, but {why}"));
                    continue;
                }
                if !tried.is_empty() {
                    tracing::info!("engine auto: {kind} ({})", tried.join("; "));
                }
                return Ok(Self { kind, program });
            }
            Err(UserError::failure(format!(
                "No container engine found (tried {})",
                tried.join("; ")
            ))
            .with_hint(INSTALL_HINT)
            .into())
        }
    }

    /// The program name, as plans show it.
    pub fn name(&self) -> &'static str {
        self.kind.name()
    }

    /// `docker build` / `podman build` / `buildah bud` arguments (without the program).
    pub fn build_argv(&self, spec: &BuildSpec) -> Vec<String> {
        let mut args: Vec<String> = match self.kind {
            // Plain progress: one line per event, readable in a log and by us.
            EngineKind::Docker => vec!["build".into(), "--progress=plain".into()],
            EngineKind::Podman => vec!["build".into(), "--layers".into()],
            // `--force-rm`: no working container is left behind by a failed build.
            EngineKind::Buildah => vec!["bud".into(), "--layers".into(), "--force-rm".into()],
        };
        args.push("-f".into());
        args.push(spec.dockerfile.clone());
        for tag in &spec.tags {
            args.push("-t".into());
            args.push(tag.clone());
        }
        for (k, v) in &spec.build_args {
            args.push("--build-arg".into());
            args.push(format!("{k}={v}"));
        }
        for secret in &spec.secrets {
            args.push("--secret".into());
            args.push(match secret {
                Secret::File { id, path } => format!("id={id},src={path}"),
                Secret::Env { id, var } => format!("id={id},env={var}"),
            });
        }
        for (name, dir) in &spec.contexts {
            args.push("--build-context".into());
            args.push(format!("{name}={dir}"));
        }
        if !spec.platforms.is_empty() {
            args.push("--platform".into());
            args.push(spec.platforms.join(","));
        }
        if spec.insecure && self.kind != EngineKind::Docker {
            args.push("--tls-verify=false".into());
        }
        args.push(spec.context.clone());
        args
    }

    /// [`Engine::push_argv`] keeping the pushed digest in `file`: podman and buildah write it
    /// there (`--digestfile`); docker prints it (the executor reads it from the output).
    pub fn push_argv_with_digest(
        &self,
        reference: &str,
        insecure: bool,
        file: &Path,
    ) -> Vec<String> {
        let mut args = self.push_argv(reference, insecure);
        if self.kind != EngineKind::Docker {
            args.insert(1, "--digestfile".to_owned());
            args.insert(2, file.display().to_string());
        }
        args
    }

    /// The arguments that push `reference` (`name:tag`) to its registry.
    pub fn push_argv(&self, reference: &str, insecure: bool) -> Vec<String> {
        let mut args = vec!["push".to_owned()];
        if insecure && self.kind != EngineKind::Docker {
            args.push("--tls-verify=false".into());
        }
        args.push(reference.to_owned());
        if self.kind == EngineKind::Buildah {
            args.push(format!("docker://{reference}"));
        }
        args
    }

    /// The commands that run `cmd` (empty: the image's own command) in a throw-away container
    /// of `reference`: one `run --rm` for docker and podman; for buildah, which runs only
    /// working containers and applies neither `ENTRYPOINT` nor `CMD`, `from`, `run` and `rm` of
    /// a container named `container`, running `entrypoint` followed by `cmd` (or `image_cmd`).
    /// `None` when buildah would have nothing to run.
    pub fn run_argvs(
        &self,
        reference: &str,
        cmd: &[String],
        image: (&[String], &[String]),
        container: &str,
    ) -> Option<Vec<Vec<String>>> {
        match self.kind {
            EngineKind::Docker | EngineKind::Podman => {
                let mut args = vec!["run".to_owned(), "--rm".to_owned(), reference.to_owned()];
                args.extend(cmd.iter().cloned());
                Some(vec![args])
            }
            EngineKind::Buildah => {
                let (entrypoint, image_cmd) = image;
                let mut run = vec!["run".to_owned(), container.to_owned(), "--".to_owned()];
                run.extend(entrypoint.iter().cloned());
                run.extend(if cmd.is_empty() { image_cmd } else { cmd }.iter().cloned());
                if run.len() == 3 {
                    return None;
                }
                Some(vec![
                    vec![
                        "from".to_owned(),
                        "--pull-never".to_owned(),
                        "--name".to_owned(),
                        container.to_owned(),
                        reference.to_owned(),
                    ],
                    run,
                    vec!["rm".to_owned(), container.to_owned()],
                ])
            }
        }
    }

    /// Run the engine with `args` in `dir`, streaming its output (stdout and stderr, in
    /// order) to our stderr unless `quiet`. A failure is an error naming the command, the exit
    /// code and the last build step the engine started, with a hint for known causes.
    pub fn run(&self, dir: &Path, args: &[String], quiet: bool) -> Result<()> {
        self.run_digest(dir, args, quiet).map(drop)
    }

    /// [`Engine::run`], returning the last image digest the engine printed
    /// (`<tag>: digest: sha256:… size: …`, as `docker push` ends).
    pub fn run_digest(&self, dir: &Path, args: &[String], quiet: bool) -> Result<Option<String>> {
        let mut process = Process::new(self.program.as_os_str(), dir)
            .named(self.name())
            .args(args);
        if self.kind == EngineKind::Docker {
            // Secrets and cache mounts need BuildKit (the default since Docker 23).
            process = process.env("DOCKER_BUILDKIT", "1");
        }
        let mut tail: VecDeque<String> = VecDeque::new();
        let mut step: Option<String> = None;
        let mut digest: Option<String> = None;
        let exit = process
            .run_lines(!quiet, |line| {
                if let Some(s) = step_of(line) {
                    step = Some(s);
                }
                if let Some(d) = printed_digest(line) {
                    digest = Some(d);
                }
                if tail.len() == TAIL_LINES {
                    tail.pop_front();
                }
                tail.push_back(line.to_owned());
            })
            .map_err(|e| UserError::failure(e.to_string()).with_hint(INSTALL_HINT))?;
        if exit.success() {
            return Ok(digest);
        }
        let output: Vec<String> = tail.into_iter().collect();
        let mut message = format!("`{}` failed ({exit})", shorten(&process.display()));
        if let Some(step) = &step {
            let _ = write!(message, " at step `{}`", shorten(step));
        }
        if quiet && !output.is_empty() {
            message.push_str(":\n");
            message.push_str(&output.join("\n"));
        }
        Err(UserError::failure(message)
            .with_hint(failure_hint(self.kind, &output.join("\n")))
            .into())
    }
}

/// Whether `text` is an image digest: `sha256:` and 64 lowercase hex digits.
pub fn is_digest(text: &str) -> bool {
    text.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// The digest of a line `docker push` ends with (`1.0: digest: sha256:… size: 1234`).
fn printed_digest(line: &str) -> Option<String> {
    let (_, rest) = line.split_once("digest: ")?;
    let digest = rest.split_whitespace().next()?;
    is_digest(digest).then(|| digest.to_owned())
}

/// Output lines kept for an error message.
const TAIL_LINES: usize = 40;

/// The build step a line of engine output starts, if it starts one: buildah and podman print
/// `[2/3] STEP 4/4: RUN ...` (or `STEP 2/5: ...`), docker's plain progress `#9 [deps 3/4] RUN ...`.
fn step_of(line: &str) -> Option<String> {
    let trimmed = line.trim_start();
    if let Some(rest) = trimmed.strip_prefix('[')
        && let Some((_, after)) = rest.split_once("] ")
        && after.starts_with("STEP ")
    {
        return Some(trimmed.to_owned());
    }
    if trimmed.starts_with("STEP ") && trimmed.contains(':') {
        return Some(trimmed.to_owned());
    }
    if let Some(rest) = trimmed.strip_prefix('#')
        && let Some((num, after)) = rest.split_once(' ')
        && num.chars().all(|c| c.is_ascii_digit())
        && after.starts_with('[')
        && !after.starts_with("[internal]")
    {
        return Some(after.to_owned());
    }
    None
}

/// At most 160 characters of a long line (a `RUN` with its secrets and mounts).
fn shorten(s: &str) -> String {
    const MAX: usize = 160;
    if s.chars().count() <= MAX {
        return s.to_owned();
    }
    let cut: String = s.chars().take(MAX).collect();
    format!("{cut}…")
}

/// What to do about a failed engine command, from what it printed.
fn failure_hint(kind: EngineKind, output: &str) -> String {
    let has = |needle: &str| output.contains(needle);
    if has("cgroups in hybrid mode") || has("crun: ") && has("cgroup") {
        return "the engine cannot create containers with its default isolation here: set \
                `BUILDAH_ISOLATION=chroot` (podman, buildah) and try again"
            .to_owned();
    }
    if has("UnknownIssuer")
        || has("invalid peer certificate")
        || has("certificate verify failed")
        || has("self-signed certificate")
        || has("self signed certificate")
    {
        return "a TLS proxy re-signs HTTPS here: pass its CA bundle as a build secret with \
                `--ca-bundle FILE` (or `ca_bundle` in [tool.release_tool.docker]), e.g. \
                /etc/ssl/certs/ca-certificates.crt"
            .to_owned();
    }
    if has("uv.lock") && (has("--locked") || has("needs to be updated")) {
        return "the prod lock does not match its manifest: run `release-tool lock prod`, \
                commit prod/uv.lock and build again"
            .to_owned();
    }
    if has("Cannot connect to the Docker daemon") {
        return "start the Docker daemon, or use podman or buildah (`--engine podman`)".to_owned();
    }
    if has("server gave HTTP response to HTTPS client") || has("http: server gave HTTP") {
        return "the registry speaks plain HTTP: list it in `insecure_registries` of \
                [tool.release_tool.docker]"
            .to_owned();
    }
    if has("is already in use") && kind == EngineKind::Buildah {
        return "a working container of an earlier `--run` was left behind: remove it with \
                `buildah rm <name>` (the name is in the message above) and run again"
            .to_owned();
    }
    if has("no command specified") || has("No command specified") {
        return "the image has no command: set `cmd` in [tool.release_tool.docker], or give \
                one after `--run --`"
            .to_owned();
    }
    format!(
        "{kind}'s output above says why; `release-tool docker --dry-run` prints the commands \
         to run by hand"
    )
}

/// `name` on `PATH`, if there (an executable file).
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(p: &Path) -> bool {
    p.is_file()
}

/// Whether docker's daemon answers (`docker version` reports a server).
fn docker_daemon(program: &Path) -> Result<(), String> {
    let out = Process::new(program.as_os_str(), Path::new("."))
        .named("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .in_our_dir()
        .run(Capture::Separate)
        .map_err(|e| format!("`docker version` did not run: {e}"))?;
    if out.success() && !out.stdout.trim_ascii().is_empty() {
        return Ok(());
    }
    let err = String::from_utf8_lossy(&out.stderr);
    let first = err
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("no server version");
    Err(format!("its daemon does not answer ({first})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> BuildSpec {
        BuildSpec {
            dockerfile: "docker/Dockerfile".into(),
            context: ".".into(),
            tags: vec!["reg:5000/app:1.0.0".into(), "reg:5000/app:latest".into()],
            build_args: vec![("VERSION".into(), "1.0.0".into())],
            secrets: vec![
                Secret::File {
                    id: "ca_bundle".into(),
                    path: "/etc/ssl/certs/ca-certificates.crt".into(),
                },
                Secret::Env {
                    id: "TOKEN".into(),
                    var: "TOKEN".into(),
                },
            ],
            platforms: vec!["linux/amd64".into(), "linux/arm64".into()],
            contexts: vec![("mount-0".into(), "/srv/remotes".into())],
            insecure: true,
        }
    }

    #[test]
    fn build_argv_per_engine() {
        let words = |k| crate::core::text::shell_words(&Engine::unchecked(k).build_argv(&spec()));
        assert_eq!(
            words(EngineKind::Buildah),
            "bud --layers --force-rm -f docker/Dockerfile -t reg:5000/app:1.0.0 -t reg:5000/app:latest \
             --build-arg VERSION=1.0.0 --secret id=ca_bundle,src=/etc/ssl/certs/ca-certificates.crt \
             --secret id=TOKEN,env=TOKEN --build-context mount-0=/srv/remotes \
             --platform linux/amd64,linux/arm64 --tls-verify=false ."
        );
        assert!(words(EngineKind::Podman).starts_with("build --layers -f docker/Dockerfile "));
        let docker = words(EngineKind::Docker);
        assert!(docker.starts_with("build --progress=plain -f "), "{docker}");
        assert!(!docker.contains("tls-verify"), "{docker}");
    }

    #[test]
    fn the_pushed_digest_comes_from_the_digest_file_or_dockers_output() {
        let hex = "0123456789abcdef".repeat(4);
        let file = Path::new("/w/.release_tool/image/image-digest.txt");
        assert_eq!(
            Engine::unchecked(EngineKind::Buildah).push_argv_with_digest("r/app:1", false, file),
            [
                "push",
                "--digestfile",
                "/w/.release_tool/image/image-digest.txt",
                "r/app:1",
                "docker://r/app:1"
            ]
        );
        assert_eq!(
            Engine::unchecked(EngineKind::Podman).push_argv_with_digest("r/app:1", false, file),
            [
                "push",
                "--digestfile",
                "/w/.release_tool/image/image-digest.txt",
                "r/app:1"
            ]
        );
        assert_eq!(
            Engine::unchecked(EngineKind::Docker).push_argv_with_digest("r/app:1", false, file),
            ["push", "r/app:1"]
        );
        assert_eq!(
            printed_digest(&format!("1: digest: sha256:{hex} size: 1234")),
            Some(format!("sha256:{hex}"))
        );
        assert_eq!(printed_digest("1: digest: sha256:abc size: 1"), None);
        assert_eq!(printed_digest("Pushing layer"), None);
        assert!(is_digest(&format!("sha256:{hex}")));
        assert!(!is_digest(&format!("sha256:{}", hex.to_uppercase())));
    }

    #[test]
    fn push_and_run_argv_per_engine() {
        let buildah = Engine::unchecked(EngineKind::Buildah);
        assert_eq!(
            buildah.push_argv("127.0.0.1:5000/app:1.0", true),
            [
                "push",
                "--tls-verify=false",
                "127.0.0.1:5000/app:1.0",
                "docker://127.0.0.1:5000/app:1.0"
            ]
        );
        assert_eq!(
            Engine::unchecked(EngineKind::Podman).push_argv("r/app:1", false),
            ["push", "r/app:1"]
        );
        assert_eq!(
            Engine::unchecked(EngineKind::Docker).push_argv("r/app:1", true),
            ["push", "r/app:1"]
        );
        let cmd = vec!["python".to_owned(), "-V".to_owned()];
        let entrypoint = vec!["tini".to_owned(), "--".to_owned()];
        let image_cmd = vec!["serve".to_owned()];
        assert_eq!(
            Engine::unchecked(EngineKind::Podman)
                .run_argvs("app:1", &cmd, (&entrypoint, &image_cmd), "c")
                .unwrap(),
            vec![vec!["run", "--rm", "app:1", "python", "-V"]]
        );
        assert_eq!(
            buildah
                .run_argvs("app:1", &cmd, (&[], &image_cmd), "c")
                .unwrap(),
            vec![
                vec!["from", "--pull-never", "--name", "c", "app:1"],
                vec!["run", "c", "--", "python", "-V"],
                vec!["rm", "c"],
            ]
        );
        assert_eq!(
            buildah
                .run_argvs("app:1", &[], (&entrypoint, &image_cmd), "c")
                .unwrap()[1],
            ["run", "c", "--", "tini", "--", "serve"]
        );
        assert_eq!(buildah.run_argvs("app:1", &[], (&[], &[]), "c"), None);
    }

    #[test]
    fn steps_are_recognised() {
        assert_eq!(
            step_of("[2/3] STEP 4/4: RUN uv sync").as_deref(),
            Some("[2/3] STEP 4/4: RUN uv sync")
        );
        assert_eq!(
            step_of("STEP 2/5: COPY a b").as_deref(),
            Some("STEP 2/5: COPY a b")
        );
        assert_eq!(
            step_of("#9 [deps 3/4] RUN uv sync").as_deref(),
            Some("[deps 3/4] RUN uv sync")
        );
        assert_eq!(step_of("#1 [internal] load build definition"), None);
        assert_eq!(step_of("Resolved 4 packages"), None);
    }

    #[test]
    fn hints_for_known_failures() {
        assert!(
            failure_hint(
                EngineKind::Buildah,
                "error: crun: cgroups in hybrid mode not supported"
            )
            .contains("BUILDAH_ISOLATION=chroot")
        );
        assert!(
            failure_hint(
                EngineKind::Buildah,
                "invalid peer certificate: UnknownIssuer"
            )
            .contains("--ca-bundle")
        );
        assert!(
            failure_hint(
                EngineKind::Docker,
                "error: The lockfile at `uv.lock` needs to be updated, but `--locked` was provided."
            )
            .contains("release-tool lock prod")
        );
        assert!(failure_hint(EngineKind::Podman, "boom").starts_with("podman's output above"));
    }

    #[test]
    fn a_missing_engine_names_what_was_tried() {
        let err = Engine::find(EngineChoice::Buildah);
        if on_path("buildah").is_none() {
            let err = err.unwrap_err();
            assert!(
                err.to_string().contains("`buildah` is not installed"),
                "{err}"
            );
            let (_, hint) = crate::core::error::classify(&err);
            assert!(hint.unwrap().contains("apt-get install buildah podman"));
        }
    }

    #[test]
    fn engine_failure_names_exit_code_and_step() {
        // `sh` stands in for an engine: the error reads the same.
        let engine = Engine {
            kind: EngineKind::Buildah,
            program: PathBuf::from("sh"),
        };
        let err = engine
            .run(
                &std::env::temp_dir(),
                &[
                    "-c".to_owned(),
                    "echo '[1/2] STEP 1/2: FROM x'; echo '[2/2] STEP 3/4: RUN uv sync'; echo 'invalid peer certificate: UnknownIssuer' >&2; exit 3".to_owned(),
                ],
                true,
            )
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("`buildah -c ")
                && text.contains("failed (exit 3) at step `[2/2] STEP 3/4: RUN uv sync`:\n"),
            "{text}"
        );
        assert!(
            text.ends_with("invalid peer certificate: UnknownIssuer"),
            "{text}"
        );
        let (kind, hint) = crate::core::error::classify(&err);
        assert_eq!(kind, crate::core::error::ExitKind::Failure);
        assert!(hint.unwrap().contains("--ca-bundle"));
    }
}
