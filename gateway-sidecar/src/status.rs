//! The supervisor's half of the contract with the gateway: `$ORCH_STATUS_DIR/agent.json`, in the status
//! emptyDir both containers mount, in the format `prepare` (Java, runner-image's StatusFile) also writes:
//!
//! ```text
//! {"phase": "preparing" | "running" | "exited" | "failed",
//!  "message": "human-readable detail",
//!  "updatedAt": "2025-05-20T10:00:04.123Z",   // rewritten every HEARTBEAT while running
//!  "runId": "2025-05-20T10:00:00.123Z/42",     // changes with every agent process
//!  "pid": 42, "httpPort": 3000,                // while running
//!  "exitCode": 1}                              // once exited
//! ```
//!
//! The file is replaced atomically (write a temporary file, then rename), so a reader never sees half of
//! it. The containers do not share a process namespace, so the gateway cannot check the pid; the heartbeat
//! is how it knows the agent is alive, and a "running" file that stops changing is stale.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::clock;

pub const FILE_NAME: &str = "agent.json";
pub const HEARTBEAT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    pub phase: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
}

impl Status {
    fn new(phase: &str, message: &str) -> Status {
        Status {
            phase: phase.to_string(),
            message: message.to_string(),
            updated_at: clock::format_iso(clock::now_millis()),
            run_id: None,
            pid: None,
            http_port: None,
            exit_code: None,
        }
    }

    pub fn running(run_id: &str, pid: u32, http_port: u16, message: &str) -> Status {
        Status {
            run_id: Some(run_id.to_string()),
            pid: Some(pid),
            http_port: Some(http_port),
            ..Status::new("running", message)
        }
    }

    pub fn exited(run_id: &str, exit_code: i32, message: &str) -> Status {
        Status {
            run_id: Some(run_id.to_string()),
            exit_code: Some(exit_code),
            ..Status::new("exited", message)
        }
    }

    /// What `prepare` (Java) writes while it works; the fast path writes it when it is done.
    pub fn preparing(message: &str) -> Status {
        Status::new("preparing", message)
    }

    pub fn failed(message: &str) -> Status {
        Status::new("failed", message)
    }
}

pub struct StatusFile {
    file: PathBuf,
}

impl StatusFile {
    pub fn in_directory(directory: &Path) -> StatusFile {
        StatusFile {
            file: directory.join(FILE_NAME),
        }
    }

    /// Replaces the file; the error says what to fix.
    pub fn write(&self, status: &Status) -> Result<(), String> {
        self.replace(status).map_err(|e| {
            format!(
                "cannot write the status file {} ({e}); the status volume (ORCH_STATUS_DIR) must be a \
                 writable directory",
                self.file.display()
            )
        })
    }

    fn replace(&self, status: &Status) -> io::Result<()> {
        if let Some(directory) = self.file.parent() {
            fs::create_dir_all(directory)?;
        }
        let temporary = self.file.with_extension("json.tmp");
        fs::write(&temporary, serde_json::to_vec(status)?)?;
        fs::rename(&temporary, &self.file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("orch-pod-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn running_has_the_fields_the_gateway_and_java_read() {
        let dir = scratch("status-running");
        let file = StatusFile::in_directory(&dir);
        file.write(&Status::running(
            "2025-05-20T10:00:00.123Z/42",
            42,
            3000,
            "running `python main.py`",
        ))
        .unwrap();
        let json: serde_json::Value =
            serde_json::from_slice(&fs::read(dir.join(FILE_NAME)).unwrap()).unwrap();
        assert_eq!(json["phase"], "running");
        assert_eq!(json["message"], "running `python main.py`");
        assert_eq!(json["runId"], "2025-05-20T10:00:00.123Z/42");
        assert_eq!(json["pid"], 42);
        assert_eq!(json["httpPort"], 3000);
        assert!(json.get("exitCode").is_none());
        let age =
            clock::now_millis() - clock::parse_iso(json["updatedAt"].as_str().unwrap()).unwrap();
        assert!((0..5_000).contains(&age), "updatedAt is now: {json}");
        assert!(
            !dir.join("agent.json.tmp").exists(),
            "the temporary file was renamed"
        );
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn exited_replaces_running_and_reads_back() {
        let dir = scratch("status-exited");
        let file = StatusFile::in_directory(&dir);
        file.write(&Status::running("run/1", 1, 3000, "running"))
            .unwrap();
        file.write(&Status::exited("run/1", 3, "agent exited with code 3"))
            .unwrap();
        let status: Status =
            serde_json::from_slice(&fs::read(dir.join(FILE_NAME)).unwrap()).unwrap();
        assert_eq!(
            (status.phase.as_str(), status.exit_code, status.pid),
            ("exited", Some(3), None)
        );
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn reads_what_java_prepare_writes() {
        let text = r#"{"phase":"preparing","message":"installing dependencies (npm ci)","updatedAt":"2025-05-20T10:00:04.123Z"}"#;
        let status: Status = serde_json::from_str(text).unwrap();
        assert_eq!(status.phase, "preparing");
        assert_eq!(status.run_id, None);
    }

    #[test]
    fn an_unwritable_directory_is_reported_with_the_fix() {
        let error = StatusFile::in_directory(Path::new("/proc/orch-status"))
            .write(&Status::failed("x"))
            .unwrap_err();
        assert!(error.contains("ORCH_STATUS_DIR"), "{error}");
    }
}
