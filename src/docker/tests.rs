//! Unit tests of the Dockerfile generation: snapshots of the rendered files per preset and
//! option, stability, the lock check.

use std::path::Path;

use super::*;
use crate::config::DockerConfig;

fn product() -> Product {
    Product {
        name: "demo-product".to_owned(),
        version: Some("0.1.0".to_owned()),
        manifest: "prod/pyproject.toml".to_owned(),
        lock: "prod/uv.lock".to_owned(),
        git_sources: true,
        local_git_sources: Vec::new(),
        ships_code: false,
    }
}

fn input(config: &str) -> RenderInput {
    let config: DockerConfig = toml_edit::de::from_str(config).unwrap();
    crate::config::validate_docker(&config).unwrap();
    RenderInput {
        settings: Settings::from_config(&config),
        product: product(),
        source: Some("https://github.com/acme/demo-product.git".to_owned()),
        ignore: vec![
            "packages".to_owned(),
            "release_tool/changes".to_owned(),
            "staging".to_owned(),
            "pyproject.toml".to_owned(),
            "uv.lock".to_owned(),
        ],
        dockerfile_template: None,
        mounts: Vec::new(),
    }
}

fn dockerfile(config: &str) -> String {
    render(&input(config)).unwrap().dockerfile
}

#[test]
fn default_is_the_slim_preset() {
    let rendered = render(&input("")).unwrap();
    insta::assert_snapshot!("default_dockerfile", rendered.dockerfile);
    insta::assert_snapshot!("default_dockerignore", rendered.dockerignore);
}

#[test]
fn cuda_preset_uses_a_managed_python() {
    insta::assert_snapshot!(dockerfile(
        "preset = \"cuda\"\ncmd = [\"python\", \"-m\", \"model_api.serve\"]\nextras = [\"gpu\"]\n"
    ));
}

#[test]
fn custom_base_with_everything() {
    insta::assert_snapshot!(dockerfile(
        r#"
base_image = "localhost/python-base:bookworm"
uv_image = "localhost/uv"
uv_version = "0.13.9"
copy = ["app", "config/settings.toml"]
secret_env = ["UV_INDEX_PRIVATE_USERNAME", "UV_INDEX_PRIVATE_PASSWORD"]
build_args = { PIP_DISABLE_PIP_VERSION_CHECK = "1" }
entrypoint = ["python", "-m"]
cmd = ["app.serve", "--port", "8080"]
[system_packages]
build = ["build-essential", "libpq-dev"]
runtime = ["libpq5", "libgomp1"]
"#
    ));
}

#[test]
fn mounted_directories_are_named_build_contexts() {
    let mut input = input("");
    input.mounts = vec![Mount {
        name: "mount-0".to_owned(),
        path: "/srv/demo/remotes".to_owned(),
    }];
    let text = render(&input).unwrap().dockerfile;
    assert!(
        text.contains(
            "#   docker build -f docker/Dockerfile --build-arg VERSION=<version> --build-arg REVISION=<commit> \\\n\
             #     --build-context mount-0=/srv/demo/remotes .\n"
        ),
        "{text}"
    );
    assert_eq!(
        text.matches("    --mount=type=bind,from=mount-0,target=/srv/demo/remotes \\\n")
            .count(),
        1,
        "{text}"
    );
}

#[test]
fn a_root_that_ships_code_is_installed_too() {
    let mut input = input("");
    input.product.ships_code = true;
    input.product.git_sources = false;
    let text = render(&input).unwrap().dockerfile;
    insta::assert_snapshot!(text);
}

#[test]
fn output_is_stable_and_tidy() {
    let a = dockerfile("preset = \"cuda\"\n");
    let b = dockerfile("preset = \"cuda\"\n");
    assert_eq!(a, b);
    for text in [a, dockerfile(""), render(&input("")).unwrap().dockerignore] {
        assert!(text.ends_with('\n') && !text.ends_with("\n\n"), "{text}");
        assert!(!text.contains("\n\n\n"), "{text}");
        assert!(text.lines().all(|l| l == l.trim_end()), "{text}");
    }
    assert!(dockerfile("").starts_with("# syntax=docker/dockerfile:1\n"));
}

#[test]
fn runtime_stage_has_no_uv_and_no_build_tools() {
    let text = dockerfile("[system_packages]\nbuild = [\"gcc\"]\n");
    let runtime = text.split("AS runtime").nth(1).unwrap();
    assert!(!runtime.contains("/uv"), "{runtime}");
    assert!(!runtime.contains("gcc"), "{runtime}");
    assert!(!runtime.contains("apt-get"), "{runtime}");
    assert!(!runtime.contains("git "), "{runtime}");
    assert!(runtime.contains("USER 999:999"), "{runtime}");
    assert!(
        runtime.contains("COPY --from=deps /app/.venv /app/.venv"),
        "{runtime}"
    );
}

#[test]
fn user_template_overrides_the_default() {
    let mut input = input("");
    input.dockerfile_template = Some((
        "release_tool/templates/Dockerfile.j2".to_owned(),
        "FROM {{ base_image }}\nLABEL title={{ labels.title }}\n".to_owned(),
    ));
    assert_eq!(
        render(&input).unwrap().dockerfile,
        "FROM python:3.12-slim-bookworm\nLABEL title=\"demo-product\"\n"
    );
    input.dockerfile_template = Some((
        "release_tool/templates/Dockerfile.j2".to_owned(),
        "FROM {{ base_image }}\n{{ nope.x }}\n".to_owned(),
    ));
    let err = render(&input).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("Dockerfile template release_tool/templates/Dockerfile.j2:2: "),
        "{err}"
    );
    input.dockerfile_template = Some((
        "release_tool/templates/Dockerfile.j2".to_owned(),
        "{% if %}\n".to_owned(),
    ));
    let (kind, hint) = crate::core::error::classify(&render(&input).unwrap_err());
    assert_eq!(kind, crate::core::error::ExitKind::Usage);
    assert!(hint.unwrap().contains("docs/docker.md"));
}

#[test]
fn presets_and_defaults() {
    let s = |c: &str| Settings::from_config(&toml_edit::de::from_str(c).unwrap());
    let slim = s("");
    assert_eq!(slim.base_image, "python:3.12-slim-bookworm");
    assert_eq!(slim.builder_image, slim.base_image);
    assert_eq!(slim.python, PythonMode::System);
    assert_eq!(slim.tags, ["{version}", "latest"]);
    assert_eq!(
        s("python_version = \"3.11\"").base_image,
        "python:3.11-slim-bookworm"
    );
    let cuda = s("preset = \"cuda\"\ncuda_version = \"12.4.1\"");
    assert_eq!(
        cuda.base_image,
        "nvidia/cuda:12.4.1-cudnn-runtime-ubuntu24.04"
    );
    assert_eq!(cuda.python, PythonMode::Managed);
    assert_eq!(cuda.python_version.as_deref(), Some("3.12"));
    let own = s("base_image = \"debian:bookworm\"\nbuilder_image = \"debian:bookworm-dev\"");
    assert_eq!(own.preset, None);
    assert_eq!(own.python, PythonMode::System);
    assert_eq!(own.python_version, None);
    assert_eq!(own.builder_image, "debian:bookworm-dev");
    let managed = s("base_image = \"ubuntu:24.04\"\npython = \"managed\"");
    assert_eq!(managed.python_version.as_deref(), Some("3.12"));
}

#[test]
fn registries_and_credentials() {
    assert_eq!(registry_of("127.0.0.1:5000/demo"), Some("127.0.0.1:5000"));
    assert_eq!(registry_of("localhost/uv"), Some("localhost"));
    assert_eq!(registry_of("ghcr.io/astral-sh/uv"), Some("ghcr.io"));
    assert_eq!(registry_of("library/python"), None);
    assert_eq!(registry_of("python"), None);
    let s = Settings::from_config(
        &toml_edit::de::from_str("insecure_registries = [\"127.0.0.1:5000\"]").unwrap(),
    );
    assert!(s.is_insecure("127.0.0.1:5000/demo:1.0"));
    assert!(!s.is_insecure("127.0.0.1:5001/demo:1.0"));
    assert_eq!(
        strip_credentials("https://user:tok@github.com/acme/x.git"),
        "https://github.com/acme/x.git"
    );
    assert_eq!(
        strip_credentials("git@github.com:acme/x.git"),
        "git@github.com:acme/x.git"
    );
}

#[test]
fn tags_replace_version_and_revision() {
    let settings = Settings::from_config(
        &toml_edit::de::from_str(
            "tags = [\"{version}\", \"latest\", \"sha-{revision}\", \"latest\"]",
        )
        .unwrap(),
    );
    let stamp = Stamp {
        version: "1.2.0+local".to_owned(),
        revision: "0123456789abcdef0123".to_owned(),
        created: "2026-01-01T00:00:00Z".to_owned(),
    };
    assert_eq!(
        tags(&settings, &stamp, "prod/pyproject.toml").unwrap(),
        ["1.2.0-local", "latest", "sha-0123456789ab"]
    );
    let err = tags(
        &settings,
        &Stamp {
            version: String::new(),
            ..stamp
        },
        "prod/pyproject.toml",
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("prod/pyproject.toml has no static [project] version")
    );
}

/// `{major}`, `{minor}`, and the floating tags (`latest`, `{major}.{minor}`) for final versions
/// only: a dev, alpha, beta or rc product gets its own version's tag and no `latest`.
#[test]
fn floating_tags_are_for_final_versions_only() {
    let settings = Settings::from_config(
        &toml_edit::de::from_str(
            "tags = [\"{version}\", \"{major}.{minor}\", \"v{major}\", \"latest\", \"sha-{revision}\"]",
        )
        .unwrap(),
    );
    let stamp = |version: &str| Stamp {
        version: version.to_owned(),
        revision: "0123456789abcdef0123".to_owned(),
        created: "2026-01-01T00:00:00Z".to_owned(),
    };
    assert_eq!(
        tags(&settings, &stamp("1.2.3"), "pyproject.toml").unwrap(),
        ["1.2.3", "1.2", "v1", "latest", "sha-0123456789ab"]
    );
    assert_eq!(
        tags(&settings, &stamp("2.0.0.post1"), "pyproject.toml").unwrap(),
        ["2.0.0.post1", "2.0", "v2", "latest", "sha-0123456789ab"]
    );
    for pre in ["1.3.0.dev1", "1.3.0rc1", "1.3.0a2", "1.3.0b1.dev0"] {
        assert_eq!(
            tags(&settings, &stamp(pre), "pyproject.toml").unwrap(),
            [pre, "sha-0123456789ab"],
            "{pre}"
        );
    }
    // The default: `{version}` and `latest`.
    let default = Settings::from_config(&DockerConfig::default());
    assert_eq!(
        tags(&default, &stamp("0.2.0.dev1"), "pyproject.toml").unwrap(),
        ["0.2.0.dev1"]
    );
    assert_eq!(
        tags(&default, &stamp("0.2.0"), "pyproject.toml").unwrap(),
        ["0.2.0", "latest"]
    );
    // Only floating tags and a pre-release: no tag at all is an error.
    let only_latest =
        Settings::from_config(&toml_edit::de::from_str("tags = [\"latest\"]").unwrap());
    let err = tags(&only_latest, &stamp("1.0.0rc1"), "pyproject.toml").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("No image tag for the product's version 1.0.0rc1: every tag in `tags` (latest) is for final versions only"),
        "{err}"
    );
    // `{major}` needs a PEP 440 version.
    let err = tags(&settings, &stamp("nightly"), "pyproject.toml").unwrap_err();
    assert!(
        err.to_string().contains("is not a PEP 440 version"),
        "{err}"
    );
}

const MANIFEST: &str = r#"[project]
name = "demo-product"
version = "0.1.0"
dependencies = ["core-utils", "data-loader", "requests==2.32.3"]

[tool.uv]
package = false

[tool.uv.sources]
core-utils = { git = "file:///r/core-utils.git", tag = "v0.1.0" }
data-loader = { git = "file:///r/data-loader.git", tag = "v0.2.0" }
"#;

const LOCK: &str = r#"version = 1
revision = 3

[[package]]
name = "core-utils"
version = "0.1.0"
source = { git = "file:///r/core-utils.git?tag=v0.1.0#abc" }

[[package]]
name = "data-loader"
version = "0.1.0"
source = { git = "file:///r/data-loader.git?tag=v0.1.0#def" }

[[package]]
name = "demo-product"
version = "0.1.0"
source = { virtual = "." }

[package.metadata]
requires-dist = [
    { name = "core-utils", git = "file:///r/core-utils.git?tag=v0.1.0" },
    { name = "data-loader", git = "file:///r/data-loader.git?tag=v0.1.0" },
    { name = "requests", specifier = "==2.32.3" },
    { name = "old-thing" },
]

[[package]]
name = "requests"
version = "2.31.0"
source = { registry = "https://pypi.org/simple" }
"#;

#[test]
fn the_lock_is_checked_against_the_manifest() {
    let manifest = PyProject::parse(Path::new("prod/pyproject.toml"), MANIFEST).unwrap();
    let problems = lock_mismatches(&manifest, LOCK).unwrap();
    assert_eq!(
        problems,
        [
            "`requests` is pinned to 2.32.3, the lock has 2.31.0",
            "`old-thing` is locked but is no longer a dependency",
            "`data-loader` is pinned to tag v0.2.0, the lock has tag v0.1.0",
        ]
    );
    let fixed = LOCK
        .replace("v0.1.0#def", "v0.2.0#def")
        .replace(
            "data-loader.git?tag=v0.1.0\"",
            "data-loader.git?tag=v0.2.0\"",
        )
        .replace("    { name = \"old-thing\" },\n", "")
        .replace("version = \"2.31.0\"", "version = \"2.32.3\"");
    assert_eq!(
        lock_mismatches(&manifest, &fixed).unwrap(),
        Vec::<String>::new()
    );
    let other = PyProject::parse(
        Path::new("prod/pyproject.toml"),
        &MANIFEST.replace("demo-product", "other"),
    )
    .unwrap();
    assert_eq!(
        lock_mismatches(&other, LOCK).unwrap(),
        ["the lock has no entry for the project `other` itself"]
    );
    assert!(lock_mismatches(&manifest, "[[package]\n").is_err());
}

#[test]
fn file_remotes_no_build_context_mounts_are_named_before_a_build() {
    let mut i = input("");
    assert_eq!(unreachable_sources_note(&i), None);
    i.product.local_git_sources = vec![
        (
            "core-utils".to_owned(),
            "/srv/remotes/core-utils.git".to_owned(),
        ),
        (
            "data-loader".to_owned(),
            "/srv/remotes/data-loader.git".to_owned(),
        ),
    ];
    let note = unreachable_sources_note(&i).unwrap();
    assert!(
        note.starts_with("2 packages of prod/pyproject.toml come from `file://` git remotes (core-utils, data-loader)"),
        "{note}"
    );
    i.mounts = vec![Mount {
        name: "mount-0".to_owned(),
        path: "/srv/remotes".to_owned(),
    }];
    assert_eq!(unreachable_sources_note(&i), None, "mounted: reachable");
}
