//! What `GET /health` answers, from two sources:
//!
//! 1. The supervisor's status file: `phase` must be "running" and `updatedAt` younger than the stale limit,
//!    since the supervisor rewrites it every 2 s while the agent lives. Any other phase is 503 with the
//!    message (preparing, failed, exited with code N).
//! 2. The agent's port. An agent that serves HTTP and one that never opens a port (a Discord bot, a poller)
//!    look the same until the port first accepts a connection. From then on, for the same run (the status
//!    file's `runId`), a refused connection means the HTTP agent is up but not serving, which is 503;
//!    before that a closed port is normal and the agent is healthy.

use std::io;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::net::TcpStream;

use crate::clock;
use crate::status::Status;

const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Debug)]
pub struct Verdict {
    pub healthy: bool,
    pub body: Value,
}

impl Verdict {
    pub fn unhealthy(phase: &str, reason: &str) -> Verdict {
        Verdict {
            healthy: false,
            body: json!({"status": "unavailable", "phase": phase, "reason": reason}),
        }
    }
}

pub struct AgentHealth {
    status_file: PathBuf,
    stale_after: Duration,
    app_port: u16,
    runs: Mutex<Runs>,
}

#[derive(Default)]
struct Runs {
    /// The run the status file last named.
    current: Option<String>,
    /// The run whose port has accepted a connection: an HTTP agent, for that run.
    listening: Option<String>,
}

impl AgentHealth {
    pub fn new(status_file: PathBuf, stale_after: Duration, app_port: u16) -> AgentHealth {
        AgentHealth {
            status_file,
            stale_after,
            app_port,
            runs: Mutex::new(Runs::default()),
        }
    }

    /// The proxy reached the agent: it serves HTTP in the current run.
    pub fn saw_listening(&self) {
        let mut runs = self
            .runs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Called for every proxied request: compare first, so the run id is copied once per run.
        if runs.listening != runs.current {
            runs.listening = runs.current.clone();
        }
    }

    pub async fn check(&self) -> Verdict {
        let status = match self.judge_status(std::fs::read(&self.status_file), clock::now_millis())
        {
            Ok(status) => status,
            Err(verdict) => return verdict,
        };
        let accepted = matches!(
            tokio::time::timeout(
                PROBE_TIMEOUT,
                TcpStream::connect(("127.0.0.1", self.app_port))
            )
            .await,
            Ok(Ok(_))
        );
        self.judge_port(&status, accepted)
    }

    /// The status file's part of the verdict: the running status, or why the agent is not healthy.
    fn judge_status(&self, read: io::Result<Vec<u8>>, now_millis: i64) -> Result<Status, Verdict> {
        let file = self.status_file.display();
        let Ok(bytes) = read else {
            return Err(Verdict::unhealthy(
                "starting",
                &format!("waiting for the runner: no status file at {file} yet"),
            ));
        };
        let Ok(status) = serde_json::from_slice::<Status>(&bytes) else {
            return Err(Verdict::unhealthy(
                "unknown",
                &format!("the runner's status file {file} is not valid JSON"),
            ));
        };
        match status.phase.as_str() {
            "running" => {}
            "exited" => {
                let code = status
                    .exit_code
                    .map_or("null".to_string(), |code| code.to_string());
                return Err(Verdict::unhealthy(
                    "exited",
                    &format!("the agent exited with code {code}: {}", status.message),
                ));
            }
            "failed" => {
                return Err(Verdict::unhealthy(
                    "failed",
                    &format!("the runner could not start the agent: {}", status.message),
                ));
            }
            other => return Err(Verdict::unhealthy(other, &status.message)),
        }
        let updated = clock::parse_iso(&status.updated_at).unwrap_or(0);
        let age = Duration::from_millis(u64::try_from(now_millis - updated).unwrap_or(0));
        if age > self.stale_after {
            return Err(Verdict::unhealthy(
                "stale",
                &format!(
                    "the runner has not updated its status for {} s; the agent container stopped or is frozen",
                    age.as_secs()
                ),
            ));
        }
        self.runs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .current = status.run_id.clone();
        Ok(status)
    }

    fn judge_port(&self, status: &Status, accepted: bool) -> Verdict {
        let run = status.run_id.clone().unwrap_or_default();
        let mut runs = self
            .runs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if accepted {
            runs.listening = Some(run.clone());
        } else if runs.listening.as_deref() == Some(run.as_str()) {
            return Verdict::unhealthy(
                "not-serving",
                &format!(
                    "the agent's port {} accepted connections earlier in this run but refuses them now",
                    self.app_port
                ),
            );
        }
        Verdict {
            healthy: true,
            body: json!({"status": "ok", "phase": "running", "runId": run, "pid": status.pid,
                         "port": self.app_port, "listening": accepted}),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::StatusFile;

    const NOW: i64 = 1_747_735_204_123;

    fn health() -> AgentHealth {
        AgentHealth::new(
            PathBuf::from("/orch/status/agent.json"),
            Duration::from_secs(10),
            3000,
        )
    }

    fn file(json: &str) -> io::Result<Vec<u8>> {
        Ok(json.as_bytes().to_vec())
    }

    fn running(run: &str, updated_millis: i64) -> io::Result<Vec<u8>> {
        let mut status = Status::running(run, 42, 3000, "running `python main.py`");
        status.updated_at = clock::format_iso(updated_millis);
        Ok(serde_json::to_vec(&status).unwrap())
    }

    fn reason(verdict: &Verdict) -> (&str, &str) {
        (
            verdict.body["phase"].as_str().unwrap(),
            verdict.body["reason"].as_str().unwrap(),
        )
    }

    #[test]
    fn no_file_invalid_file_and_every_phase_but_running_are_unavailable() {
        let health = health();
        let cases = [
            (
                Err(io::Error::from(io::ErrorKind::NotFound)),
                "starting",
                "no status file at /orch/status/agent.json",
            ),
            (file("{not json"), "unknown", "is not valid JSON"),
            (
                file(r#"{"phase":"preparing","message":"installing dependencies (npm ci)"}"#),
                "preparing",
                "npm ci",
            ),
            (
                file(r#"{"phase":"failed","message":"no entrypoint"}"#),
                "failed",
                "could not start the agent: no entrypoint",
            ),
            (
                file(r#"{"phase":"exited","exitCode":143,"message":"bye"}"#),
                "exited",
                "exited with code 143: bye",
            ),
        ];
        for (read, phase, text) in cases {
            let verdict = health.judge_status(read, NOW).unwrap_err();
            assert!(!verdict.healthy);
            assert_eq!(verdict.body["status"], "unavailable");
            let (actual_phase, actual_reason) = reason(&verdict);
            assert_eq!(actual_phase, phase);
            assert!(actual_reason.contains(text), "{actual_reason}");
        }
    }

    #[test]
    fn running_is_stale_after_ten_seconds_without_a_heartbeat() {
        let health = health();
        assert!(
            health
                .judge_status(running("r/1", NOW - 9_000), NOW)
                .is_ok()
        );
        let stale = health
            .judge_status(running("r/1", NOW - 12_000), NOW)
            .unwrap_err();
        assert_eq!(
            reason(&stale),
            (
                "stale",
                "the runner has not updated its status for 12 s; the agent container stopped or is frozen"
            )
        );
    }

    #[test]
    fn a_closed_port_is_healthy_until_the_port_has_accepted_once_in_the_run() {
        let health = health();
        let run1 = health.judge_status(running("r/1", NOW), NOW).unwrap();
        let worker = health.judge_port(&run1, false);
        assert!(worker.healthy);
        assert_eq!(worker.body["listening"], false);
        assert_eq!(worker.body["pid"], 42);
        assert!(health.judge_port(&run1, true).healthy);
        let refused = health.judge_port(&run1, false);
        assert_eq!(reason(&refused).0, "not-serving");

        let run2 = health.judge_status(running("r/2", NOW), NOW).unwrap();
        assert!(
            health.judge_port(&run2, false).healthy,
            "a new run starts as a possible worker again"
        );
        health.saw_listening();
        assert!(
            !health.judge_port(&run2, false).healthy,
            "the proxy reaching the agent counts as listening"
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn check_reads_the_file_and_probes_the_port() {
        let dir = std::env::temp_dir().join(format!("orch-pod-health-{}", std::process::id()));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let status = StatusFile::in_directory(&dir);
        status
            .write(&Status::running("r/1", 7, port, "running"))
            .unwrap();
        let health = AgentHealth::new(
            dir.join(crate::status::FILE_NAME),
            Duration::from_secs(10),
            port,
        );
        let verdict = health.check().await;
        assert!(verdict.healthy, "{:?}", verdict.body);
        assert_eq!(verdict.body["listening"], true);
        drop(listener);
        assert_eq!(reason(&health.check().await).0, "not-serving");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
