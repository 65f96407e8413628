//! The gateway's configuration, from the pod environment the operator writes (ORCHAGENT_HTTP_PORT,
//! ORCH_STATUS_DIR). The ORCH_GATEWAY_* variables are tuning knobs whose defaults suit the pod;
//! ORCH_GATEWAY_LISTEN_PORT exists so the gateway can run outside a pod (benchmarks), where 8080 may be taken.

use std::path::PathBuf;
use std::time::Duration;

use crate::status;

pub const LISTEN_PORT: u16 = 8080;

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
            drain_delay: seconds(&env, "ORCH_GATEWAY_DRAIN_DELAY_SECONDS", 3.0)?,
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
