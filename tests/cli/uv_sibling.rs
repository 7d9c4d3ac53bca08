//! The `uv` installed with the release-tool wheel sits next to the executable (in the
//! environment's `bin`), which is not always on `PATH` (`uv tool install`): it is found there.

use std::os::unix::fs::PermissionsExt as _;
use std::process::Command;

use crate::support::{TestEnv, hermetic, outputs};

#[test]
fn uv_next_to_the_executable_is_used_before_path() {
    let env = TestEnv::new();
    let root = env.demo();
    let bin = env.path().join("venv/bin");
    std::fs::create_dir_all(&bin).unwrap();
    let exe = bin.join("release-tool");
    std::fs::copy(env!("CARGO_BIN_EXE_release-tool"), &exe).unwrap();
    let log = env.path().join("uv.log");
    let fake = bin.join("uv");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'uv 0.13.9'; exit 0; fi\necho \"$@\" >> '{}'\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let git_dir = std::path::Path::new(
        &String::from_utf8(
            Command::new("sh")
                .args(["-c", "command -v git"])
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap(),
    )
    .parent()
    .unwrap()
    .to_path_buf();
    let mut cmd = Command::new(&exe);
    hermetic(&mut cmd);
    cmd.env_remove("RELEASE_TOOL_UV")
        .env("PATH", format!("{}:/bin", git_dir.display()))
        .current_dir(&root)
        .args(["lock", "dev"]);
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", outputs(&out).1);
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(calls.starts_with("lock"), "{calls}");
}
