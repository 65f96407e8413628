//! The gateway's configuration, from the pod environment the operator writes (ORCHAGENT_HTTP_PORT,
//! ORCH_STATUS_DIR). The ORCH_GATEWAY_* variables are tuning knobs whose defaults suit the pod;
//! ORCH_GATEWAY_LISTEN_PORT exists so the gateway can run outside a pod (benchmarks), where 8080 may be taken.

use std::path::PathBuf;
use std::time::Duration;

use crate::status;

pub const LISTEN_PORT: u16 = 8080;
/// The default drain delay; the supervisor holds an HTTP agent's SIGTERM back as long, so it serves the drain.
pub const DRAIN_DELAY: Duration = Duration::from_secs(3);

#[derive(Debug, Clone)]
pub struct Settings {
    pub listen_port: u16,
    pub app_port: u16,
    /// None when ORCH_GATEWAY_METRICS_PORT is negative: no metrics listener.
    pub metrics_port: Option<u16>,
    pub status_file: PathBuf,
    /// How long the agent may take to start answering a request before the gateway answers 504.
    pub upstream_timeout: Duration,
    /// A "running" status file older than this means the supervisor is gone or frozen.
    pub stale_after: Duration,
    /// After SIGTERM, how long to keep serving while the endpoint is removed from Services.
    pub drain_delay: Duration,
    /// After the delay, how long in-flight requests get to finish.
    pub drain_timeout: Duration,
    /// Client connections served at once; further ones wait in the kernel's accept queue.
    pub max_connections: usize,
}

impl Settings {
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Result<Settings, String> {
        let listen_port = number(&env, "ORCH_GATEWAY_LISTEN_PORT", LISTEN_PORT)?;
        let metrics_port: i32 = number(&env, "ORCH_GATEWAY_METRICS_PORT", 9090)?;
        Ok(Settings {
            listen_port,
            app_port: app_port(env("ORCHAGENT_HTTP_PORT"), listen_port)?,
            metrics_port: u16::try_from(metrics_port).ok(),
            status_file: PathBuf::from(
                env("ORCH_STATUS_DIR").unwrap_or_else(|| "/orch/status".to_string()),
            )
            .join(status::FILE_NAME),
            upstream_timeout: seconds(&env, "ORCH_GATEWAY_UPSTREAM_TIMEOUT_SECONDS", 60.0)?,
            stale_after: seconds(&env, "ORCH_GATEWAY_STALE_SECONDS", 10.0)?,
            drain_delay: seconds(
                &env,
                "ORCH_GATEWAY_DRAIN_DELAY_SECONDS",
                DRAIN_DELAY.as_secs_f64(),
            )?,
            drain_timeout: seconds(&env, "ORCH_GATEWAY_DRAIN_TIMEOUT_SECONDS", 20.0)?,
            max_connections: number(&env, "ORCH_GATEWAY_MAX_CONNECTIONS", 512)?,
        })
    }
}

fn app_port(raw: Option<String>, listen_port: u16) -> Result<u16, String> {
    let Some(raw) = raw.filter(|raw| !raw.trim().is_empty()) else {
        return Ok(3000);
    };
    let port: i64 = raw.trim().parse().map_err(|_| {
        format!(
            "ORCHAGENT_HTTP_PORT={raw} is not a port number; set spec.http.port to the port the agent listens \
             on (1-65535, default 3000)"
        )
    })?;
    match u16::try_from(port) {
        Ok(port) if port != 0 && port != listen_port => Ok(port),
        _ => Err(format!(
            "ORCHAGENT_HTTP_PORT={port} cannot be used: the agent's port must be 1-65535 and not {listen_port}, \
             which the gateway owns; set spec.http.port to e.g. 3000"
        )),
    }
}

fn number<T: std::str::FromStr>(
    env: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: T,
) -> Result<T, String> {
    match env(name) {
        None => Ok(default),
        Some(raw) => raw
            .trim()
            .parse()
            .map_err(|_| format!("{name}={raw} is not a valid number")),
    }
}

fn seconds(
    env: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: f64,
) -> Result<Duration, String> {
    let value: f64 = number(env, name, default)?;
    Duration::try_from_secs_f64(value)
        .map_err(|_| format!("{name}={value} is not a number of seconds"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, String> {
        Settings::from_env(|name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        })
    }

    #[test]
    fn defaults_suit_the_pod() {
        let settings = settings(&[]).unwrap();
        assert_eq!(
            (
                settings.listen_port,
                settings.app_port,
                settings.metrics_port
            ),
            (8080, 3000, Some(9090))
        );
        assert_eq!(
            settings.status_file,
            PathBuf::from("/orch/status/agent.json")
        );
        assert_eq!(settings.upstream_timeout, Duration::from_secs(60));
        assert_eq!(settings.stale_after, Duration::from_secs(10));
        assert_eq!(
            (settings.drain_delay, settings.drain_timeout),
            (Duration::from_secs(3), Duration::from_secs(20))
        );
    }

    #[test]
    fn knobs_move_ports_and_times() {
        let settings = settings(&[
            ("ORCH_GATEWAY_LISTEN_PORT", "18080"),
            ("ORCHAGENT_HTTP_PORT", "8080"),
            ("ORCH_GATEWAY_METRICS_PORT", "-1"),
            ("ORCH_GATEWAY_UPSTREAM_TIMEOUT_SECONDS", "0.5"),
            ("ORCH_STATUS_DIR", "/tmp/s"),
        ])
        .unwrap();
        assert_eq!(
            (
                settings.listen_port,
                settings.app_port,
                settings.metrics_port
            ),
            (18080, 8080, None)
        );
        assert_eq!(settings.upstream_timeout, Duration::from_millis(500));
        assert_eq!(settings.status_file, PathBuf::from("/tmp/s/agent.json"));
    }

    #[test]
    fn a_bad_app_port_says_what_to_set() {
        for port in ["8080", "0", "70000", "http"] {
            let error = settings(&[("ORCHAGENT_HTTP_PORT", port)]).unwrap_err();
            assert!(error.contains("spec.http.port"), "{port}: {error}");
        }
        assert!(
            settings(&[("ORCH_GATEWAY_STALE_SECONDS", "-1")])
                .unwrap_err()
                .contains("seconds")
        );
    }
}

/// The gateway's and the supervisor's side of the agent-pod contract (contract/agent-pod.properties), which the
/// operator's pod and the runner's `prepare` are tested against too.
#[cfg(test)]
mod contract_tests {
    use std::path::PathBuf;
    use std::time::Duration;

    use crate::mask::Masker;
    use crate::status::{self, Status};
    use crate::supervise;

    const CONTRACT: &str = include_str!("../../../contract/agent-pod.properties");

    fn value(key: &str) -> String {
        CONTRACT
            .lines()
            .filter_map(|line| line.split_once('='))
            .find(|(name, _)| name.trim() == key)
            .map(|(_, value)| value.trim().to_string())
            .unwrap_or_else(|| panic!("contract/agent-pod.properties has no {key}"))
    }

    fn number(key: &str) -> u64 {
        value(key).parse().unwrap()
    }

    fn env_of(pairs: Vec<(String, String)>) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
        }
    }

    #[test]
    fn the_gateway_defaults_to_the_pods_ports_paths_and_staleness_rule() {
        let settings = super::Settings::from_env(|_| None).unwrap();
        assert_eq!(u64::from(settings.listen_port), number("port.gateway"));
        assert_eq!(
            settings.metrics_port.map(u64::from),
            Some(number("port.gateway-metrics"))
        );
        assert_eq!(u64::from(settings.app_port), number("port.agent-default"));
        assert_eq!(
            settings.status_file,
            PathBuf::from(value("path.status-dir")).join(value("status.file"))
        );
        assert_eq!(
            settings.stale_after,
            Duration::from_secs(number("status.stale-after-seconds"))
        );
    }

    #[test]
    fn the_gateway_reads_the_variables_the_contract_names() {
        let settings = super::Settings::from_env(env_of(vec![
            (value("env.status-dir"), "/s".to_string()),
            (value("env.http-port"), "4000".to_string()),
        ]))
        .unwrap();
        assert_eq!(
            settings.status_file,
            PathBuf::from("/s").join(value("status.file"))
        );
        assert_eq!(settings.app_port, 4000);
    }

    #[test]
    fn the_supervisor_reads_the_contracts_variables_and_defaults() {
        let defaults = supervise::Settings::from_env(|_| None);
        assert_eq!(defaults.workspace, PathBuf::from(value("path.workspace")));
        assert_eq!(defaults.status_dir, PathBuf::from(value("path.status-dir")));
        assert_eq!(
            defaults.git_credentials,
            PathBuf::from(value("path.git-credentials"))
        );
        assert_eq!(
            defaults.http_port.map(u64::from),
            Ok(number("port.agent-default"))
        );

        let settings = supervise::Settings::from_env(env_of(vec![
            (value("env.workspace"), "/w".to_string()),
            (value("env.status-dir"), "/s".to_string()),
            (value("env.port"), "4001".to_string()),
        ]));
        assert_eq!(
            (settings.workspace, settings.status_dir),
            (PathBuf::from("/w"), PathBuf::from("/s"))
        );
        assert_eq!(settings.http_port, Ok(4001));
        let masked = Masker::values_named_in(env_of(vec![
            (value("env.secret-names"), "TOKEN".to_string()),
            ("TOKEN".to_string(), "s3cret".to_string()),
        ]));
        assert_eq!(masked, vec!["s3cret"]);
    }

    #[test]
    fn the_status_file_has_the_contracts_name_fields_and_heartbeat() {
        assert_eq!(status::FILE_NAME, value("status.file"));
        assert_eq!(
            status::HEARTBEAT,
            Duration::from_secs(number("status.heartbeat-seconds"))
        );
        let written = serde_json::to_value(Status::running("r1", 42, 3000, "running")).unwrap();
        for field in value("status.fields").split(',') {
            assert!(
                written.get(field).is_some(),
                "the status file lacks {field}: {written}"
            );
        }
    }
}
