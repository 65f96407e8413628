//! `orch-pod supervise` as a process, the way the agent container runs it, with `sh` as the agent.

mod common;

use std::path::PathBuf;
use std::process::{Child, Output, Stdio};
use std::time::Duration;

use common::{orch_pod, read_json, scratch, signal, wait_for};
use serde_json::json;

struct Pod {
    dir: PathBuf,
}

impl Pod {
    /// A workspace whose resolved command (what prepare writes) is `command`, or none when it is null.
    fn new(test: &str, command: serde_json::Value) -> Pod {
        let dir = scratch(test);
        std::fs::create_dir_all(dir.join("workspace/bundle")).unwrap();
        if !command.is_null() {
            std::fs::create_dir_all(dir.join("workspace/.orch")).unwrap();
            std::fs::write(
                dir.join("workspace/.orch/command.json"),
                command.to_string(),
            )
            .unwrap();
        }
        Pod { dir }
    }

    fn shell(test: &str, script: &str) -> Pod {
        let bundle =
            std::env::temp_dir().join(format!("orch-pod-it-{test}-{}", std::process::id()));
        Pod::new(
            test,
            json!({"argv": ["sh", "-c", script], "source": "spec.command",
                   "workingDir": bundle.join("workspace/bundle"), "env": {"PORT": "3000", "GREETING": "hi"}}),
        )
    }

    fn start(&self, secrets: &[(&str, &str)]) -> Child {
        self.start_with(secrets, &[])
    }

    fn start_with(&self, secrets: &[(&str, &str)], env: &[(&str, &str)]) -> Child {
        self.command(secrets, env).spawn().unwrap()
    }

    /// The supervisor as a pod with a dependency cache runs it: `prepare_script` (sh) first, as prepare.
    fn start_preparing(&self, prepare_script: &str) -> Child {
        use std::os::unix::fs::PermissionsExt;
        let program = self.dir.join("prepare");
        std::fs::write(&program, format!("#!/bin/sh\n{prepare_script}\n")).unwrap();
        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut command = self.command(&[], &[]);
        command.arg("--prepare-with").arg(program);
        command.spawn().unwrap()
    }

    fn command(&self, secrets: &[(&str, &str)], env: &[(&str, &str)]) -> std::process::Command {
        let mut command = orch_pod("supervise");
        command.envs(env.iter().copied());
        command
            .env("ORCH_WORKSPACE", self.dir.join("workspace"))
            .env("ORCH_STATUS_DIR", self.dir.join("status"))
            .env("ORCH_TERMINATION_LOG", self.dir.join("termination-log"))
            .env("ORCH_GIT_CREDENTIALS", self.dir.join("none"))
            .env(
                "ORCH_SECRET_NAMES",
                secrets
                    .iter()
                    .map(|(name, _)| *name)
                    .collect::<Vec<_>>()
                    .join(","),
            )
            .envs(secrets.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    fn run(&self, secrets: &[(&str, &str)]) -> Output {
        self.start(secrets).wait_with_output().unwrap()
    }

    fn status(&self) -> serde_json::Value {
        read_json(&self.dir.join("status/agent.json")).expect("a status file")
    }

    fn termination_message(&self) -> String {
        std::fs::read_to_string(self.dir.join("termination-log")).unwrap_or_default()
    }

    fn await_running(&self) -> serde_json::Value {
        wait_for("status running", Duration::from_secs(10), || {
            read_json(&self.dir.join("status/agent.json")).filter(|s| s["phase"] == "running")
        })
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn output_passes_through_masked_and_the_exit_is_reported() {
    let script = r#"echo "token=$API_TOKEN greeting=$GREETING port=$PORT"
printf '%s' "split=$(echo "$API_TOKEN" | cut -c1-6)"; sleep 0.1; printf '%s end\n' "$(echo "$API_TOKEN" | cut -c7-)"
echo '{"level":"info","msg":"json stays parseable"}'
echo "auth failed for $DB_PASSWORD" >&2
echo "fatal: cannot reach the moon" >&2
exit 3"#;
    let pod = Pod::shell("masking", script);
    let output = pod.run(&[
        ("API_TOKEN", "tok_0123456789abcdef"),
        ("DB_PASSWORD", "pw-secret"),
    ]);

    assert_eq!(output.status.code(), Some(3));
    assert_eq!(
        text(&output.stdout),
        "token=[REDACTED] greeting=hi port=3000\nsplit=[REDACTED] end\n{\"level\":\"info\",\"msg\":\"json stays parseable\"}\n"
    );
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("auth failed for [REDACTED]\nfatal: cannot reach the moon\n"),
        "{stderr}"
    );
    assert!(stderr.contains("[runner] starting `sh -c "), "{stderr}");
    assert!(
        !stderr.contains("pw-secret") && !stderr.contains("tok_0123"),
        "{stderr}"
    );
    // Both streams, in the order their lines were completed (a scheduled run's output is mostly stdout).
    let message = pod.termination_message();
    let headline = format!("agent `sh -c {script}` exited with code 3\nlast output lines:\n");
    assert!(message.starts_with(&headline), "{message}");
    let lines: Vec<&str> = message[headline.len()..].lines().collect();
    assert_eq!(lines.len(), 5, "{message}");
    for line in [
        "token=[REDACTED] greeting=hi port=3000",
        "split=[REDACTED] end",
        "{\"level\":\"info\",\"msg\":\"json stays parseable\"}",
        "auth failed for [REDACTED]",
        "fatal: cannot reach the moon",
    ] {
        assert!(lines.contains(&line), "{line} missing from {message}");
    }
    assert!(
        lines
            .iter()
            .position(|l| *l == "auth failed for [REDACTED]")
            < lines
                .iter()
                .position(|l| *l == "fatal: cannot reach the moon")
    );
    let status = pod.status();
    assert_eq!(
        (status["phase"].as_str(), status["exitCode"].as_i64()),
        (Some("exited"), Some(3))
    );
}

#[test]
fn sigterm_reaches_the_agents_process_group_and_the_heartbeat_runs_meanwhile() {
    let script = r#"sh -c 'trap "echo helper got TERM; exit 0" TERM; while :; do sleep 0.05; done' &
trap 'echo agent got TERM; wait; exit 7' TERM
while :; do sleep 0.05; done"#;
    let pod = Pod::shell("sigterm", script);
    let supervisor = pod.start(&[]);
    let first = pod.await_running();
    assert!(first["pid"].as_u64().unwrap() > 0);
    assert_eq!(first["httpPort"], 3000);
    let beat = wait_for("a heartbeat", Duration::from_secs(5), || {
        Some(pod.status()).filter(|s| s["updatedAt"] != first["updatedAt"])
    });
    assert_eq!(
        (beat["phase"].as_str(), &beat["runId"]),
        (Some("running"), &first["runId"])
    );

    signal(&supervisor, libc::SIGTERM);
    let output = supervisor.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(7));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("agent got TERM") && stdout.contains("helper got TERM"),
        "{stdout}"
    );
    assert!(text(&output.stderr).contains("[runner] received SIGTERM, forwarding it to the agent"));
    let message = pod.termination_message();
    assert!(
        message.contains("exited with code 7 after the runner forwarded SIGTERM\n"),
        "{message}"
    );
}

/// The gateway keeps proxying while it drains, so an HTTP agent gets SIGTERM only after the drain delay.
#[test]
fn an_http_agent_gets_sigterm_after_the_gateways_drain_delay() {
    let pod = Pod::shell(
        "sigterm-http",
        "trap 'echo agent got TERM; exit 0' TERM\nwhile :; do sleep 0.05; done",
    );
    let supervisor = pod.start_with(&[], &[("ORCHAGENT_HTTP_PORT", "3000")]);
    pod.await_running();
    let sent = std::time::Instant::now();
    signal(&supervisor, libc::SIGTERM);
    let output = supervisor.wait_with_output().unwrap();
    let waited = sent.elapsed();
    assert_eq!(output.status.code(), Some(0));
    assert!(text(&output.stdout).contains("agent got TERM"));
    assert!(
        waited >= Duration::from_millis(2900) && waited < Duration::from_secs(10),
        "{waited:?}"
    );
    assert!(text(&output.stderr).contains(
        "[runner] received SIGTERM, forwarding it to the agent in 3000 ms, once the gateway has drained"
    ));
}

#[test]
fn orphans_of_the_agent_are_reaped() {
    // The subshell exits at once, so its `sleep` is orphaned and handed to the supervisor.
    let pod = Pod::shell("orphans", "(sleep 0.2 &); sleep 1.5");
    let supervisor = pod.start(&[]);
    pod.await_running();
    std::thread::sleep(Duration::from_millis(900));
    let zombies = children_of(supervisor.id())
        .into_iter()
        .filter(|(_, state)| *state == 'Z')
        .count();
    assert_eq!(zombies, 0);
    assert_eq!(
        supervisor.wait_with_output().unwrap().status.code(),
        Some(0)
    );
}

#[test]
fn a_killed_agent_reports_the_signal() {
    let pod = Pod::shell("killed", "kill -KILL $$");
    assert_eq!(pod.run(&[]).status.code(), Some(137));
    assert!(
        pod.termination_message()
            .contains("exited with code 137 (killed by SIGKILL; if the pod was not being stopped")
    );
}

#[test]
fn what_prevents_the_start_is_exit_2_with_the_fix() {
    let cases = [
        (
            Pod::new("no-command", serde_json::Value::Null),
            "the prepare step has not run or failed",
        ),
        (
            Pod::new(
                "no-entrypoint",
                json!({"error": "no entrypoint found in the bundle. Fix it in one of three ways:\n  1. set spec.command"}),
            ),
            "no entrypoint found in the bundle. Fix it in one of three ways:",
        ),
        (
            Pod::new(
                "unknown-program",
                json!({"argv": ["no-such-agent"], "workingDir": "/", "env": {"PATH": "/nowhere"}}),
            ),
            "the command no-such-agent was not found on PATH (/nowhere)",
        ),
    ];
    for (pod, reason) in cases {
        let output = pod.run(&[]);
        assert_eq!(output.status.code(), Some(2), "{reason}");
        assert!(
            text(&output.stderr).contains("[runner] error: "),
            "{}",
            text(&output.stderr)
        );
        assert!(
            text(&output.stderr).contains(reason),
            "{}",
            text(&output.stderr)
        );
        assert!(
            pod.termination_message().contains(reason),
            "{}",
            pod.termination_message()
        );
        assert_eq!(pod.status()["phase"], "failed");
    }
}

/// (pid, state) of the processes whose parent is `parent`.
fn children_of(parent: u32) -> Vec<(u32, char)> {
    let mut children = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let Some(after_name) = stat.rfind(')').map(|end| &stat[end + 2..]) else {
            continue;
        };
        let mut fields = after_name.split(' ');
        let state = fields.next().and_then(|s| s.chars().next()).unwrap_or('?');
        if fields.next().and_then(|ppid| ppid.parse::<u32>().ok()) == Some(parent) {
            children.push((
                entry.file_name().to_string_lossy().parse().unwrap_or(0),
                state,
            ));
        }
    }
    children
}

#[test]
fn prepare_runs_to_its_end_in_the_agent_container_before_the_agent() {
    let pod = Pod::new("prepare-first", serde_json::Value::Null);
    let command = json!({"argv": ["sh", "-c", "echo agent started"], "source": "spec.command",
                         "workingDir": pod.dir.join("workspace/bundle"), "env": {}});
    let output = pod
        .start_preparing(&format!(
            "sleep 0.2; mkdir -p \"$ORCH_WORKSPACE/.orch\"; echo '{command}' >\"$ORCH_WORKSPACE/.orch/command.json\"; \
             echo prepared"
        ))
        .wait_with_output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "prepared\nagent started\n");
}

#[test]
fn a_failing_prepare_is_the_containers_exit_with_a_headline_and_the_agent_never_starts() {
    let pod = Pod::shell("prepare-fails", "touch agent-ran");
    let output = pod
        .start_preparing(
            "echo 'pip install failed: no matching distribution for nosuchpackage' >\"$ORCH_TERMINATION_LOG\"; exit 2",
        )
        .wait_with_output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let message = pod.termination_message();
    assert_eq!(
        message,
        "prepare exited with code 2: pip install failed: no matching distribution for nosuchpackage"
    );
    assert_eq!(
        (
            pod.status()["phase"].as_str(),
            pod.status()["message"].as_str()
        ),
        (Some("failed"), Some(message.as_str()))
    );
    assert!(!pod.dir.join("workspace/bundle/agent-ran").exists());

    let killed = Pod::shell("prepare-killed", "touch agent-ran");
    let output = killed
        .start_preparing("kill -KILL $$")
        .wait_with_output()
        .unwrap();
    assert_eq!(output.status.code(), Some(137));
    assert!(
        killed
            .termination_message()
            .starts_with("prepare exited with code 137 (killed by SIGKILL; if the pod was not being stopped this is \
                          usually the memory limit"),
        "{}",
        killed.termination_message()
    );
    assert!(
        killed
            .termination_message()
            .ends_with("; see its log (kubectl logs POD -c agent)"),
        "prepare wrote no message of its own: {}",
        killed.termination_message()
    );
}

#[test]
fn sigterm_during_prepare_stops_it_and_the_agent_never_starts() {
    let pod = Pod::shell("prepare-sigterm", "touch agent-ran");
    let supervisor = pod.start_preparing("echo preparing; exec sleep 30");
    wait_for("prepare to run", Duration::from_secs(10), || {
        Some(()).filter(|()| !children_of(supervisor.id()).is_empty())
    });
    signal(&supervisor, libc::SIGTERM);
    let output = supervisor.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(143));
    let message = pod.termination_message();
    assert!(
        message.starts_with("prepare exited with code 143 (killed by signal 15) after the runner forwarded SIGTERM; the \
                             agent was not started"),
        "{message}"
    );
    assert!(!pod.dir.join("workspace/bundle/agent-ran").exists());
}

#[test]
fn a_command_after_double_dash_runs_without_prepare_as_for_an_image_bundle() {
    let dir = scratch("given-command");
    let output = orch_pod("supervise")
        .args(["--", "sh", "-c", "echo \"in $(pwd)\"; exit 4"])
        .current_dir(&dir)
        .env("ORCH_WORKSPACE", dir.join("no-workspace"))
        .env("ORCH_STATUS_DIR", dir.join("status"))
        .env("ORCH_TERMINATION_LOG", dir.join("termination-log"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(4));
    assert_eq!(text(&output.stdout), format!("in {}\n", dir.display()));
    let status = read_json(&dir.join("status/agent.json")).unwrap();
    assert_eq!(
        (status["phase"].as_str(), status["exitCode"].as_i64()),
        (Some("exited"), Some(4))
    );
    assert!(text(&output.stderr).contains("(the container's command)"));
    assert_eq!(
        orch_pod("supervise")
            .arg("sh")
            .output()
            .unwrap()
            .status
            .code(),
        Some(64)
    );
}

#[test]
fn install_copies_the_binary_for_an_init_container() {
    let dir = scratch("install");
    assert!(orch_pod("install").arg(&dir).status().unwrap().success());
    let installed = std::process::Command::new(dir.join("orch-pod"))
        .output()
        .unwrap();
    assert_eq!(
        installed.status.code(),
        Some(64),
        "the copy runs and prints its usage"
    );
    assert!(
        !orch_pod("install")
            .arg(dir.join("missing/dir"))
            .status()
            .unwrap()
            .success()
    );
}
