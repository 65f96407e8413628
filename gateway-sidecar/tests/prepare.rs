//! `orch-pod prepare` as a process, the way the runner image's orch-prepare runs it, with `sh` standing in for
//! the runner's JVM (it records each run and writes the resolved command, as prepare does).

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{orch_pod, read_json, scratch};

const FAKE_PREPARE: &str = "echo \"run $ORCH_RUNTIME_ID\" >> \"$RUNS\" && mkdir -p \"$ORCH_WORKSPACE/.orch\" \
                            && echo '{}' > \"$ORCH_WORKSPACE/.orch/command.json\" && exit \"${FAIL:-0}\"";

fn prepare(dir: &Path, fail: bool) -> Output {
    std::fs::write(dir.join("runtime"), "runner image 1\n").unwrap();
    orch_pod("prepare")
        .args([
            "--runtime",
            dir.join("runtime").to_str().unwrap(),
            "--",
            "sh",
            "-c",
            FAKE_PREPARE,
        ])
        .env("ORCH_WORKSPACE", dir.join("workspace"))
        .env("ORCH_STATUS_DIR", dir.join("status"))
        .env("ORCH_BUNDLE_KIND", "configmap")
        .env("ORCH_BUNDLE_SOURCE", dir.join("source"))
        .env("RUNS", dir.join("runs"))
        .env("FAIL", if fail { "3" } else { "0" })
        .output()
        .unwrap()
}

fn runs(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("runs")).map_or(0, |r| r.lines().count())
}

fn bundle(test: &str) -> PathBuf {
    let dir = scratch(test);
    std::fs::create_dir_all(dir.join("source")).unwrap();
    std::fs::write(dir.join("source/main.py"), "print('hi')\n").unwrap();
    dir
}

#[test]
fn a_current_workspace_skips_the_command_and_a_changed_bundle_runs_it_again() {
    let dir = bundle("prepare-fast");
    let first = prepare(&dir, false);
    assert_eq!(first.status.code(), Some(0), "{first:?}");
    assert_eq!(
        std::fs::read_to_string(dir.join("runs")).unwrap(),
        "run runner image 1\n",
        "the JVM gets the runtime id for its dependency marker"
    );

    let second = prepare(&dir, false);
    assert_eq!(second.status.code(), Some(0), "{second:?}");
    assert_eq!(runs(&dir), 1, "the fast path does not start the command");
    let log = String::from_utf8_lossy(&second.stdout);
    assert!(log.contains("orch-prepare: fast path"), "{log}");
    let status = read_json(&dir.join("status/agent.json")).unwrap();
    assert_eq!(status["phase"], "preparing", "{status}");

    std::fs::write(dir.join("source/requirements.txt"), "requests\n").unwrap();
    assert_eq!(prepare(&dir, false).status.code(), Some(0));
    assert_eq!(runs(&dir), 2, "a new dependency file runs prepare");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_failed_prepare_leaves_no_marker_and_its_exit_code() {
    let dir = bundle("prepare-failed");
    assert_eq!(prepare(&dir, false).status.code(), Some(0));
    std::fs::write(dir.join("source/main.py"), "print('changed')\n").unwrap();
    assert_eq!(prepare(&dir, true).status.code(), Some(3));
    assert!(!dir.join("workspace/.orch/prepared.sha256").exists());
    assert_eq!(prepare(&dir, false).status.code(), Some(0));
    assert_eq!(runs(&dir), 3, "retried after the failure, not skipped");
    std::fs::remove_dir_all(dir).unwrap();
}
