//! `orch-pod`: the per-pod data plane of an agent pod, one binary with two modes.
//!
//! - `orch-pod supervise`: the agent container's entrypoint and PID 1 (see [`supervise`]).
//! - `orch-pod gateway`: the sidecar that answers /health and proxies to the agent (see [`gateway`]).

mod clock;
mod gateway;
mod mask;
mod status;
mod supervise;
mod termination;

const USAGE: &str = "usage: orch-pod supervise|gateway (the operator's agent pod runs `supervise` as the agent \
                     container's entrypoint and `gateway` as the sidecar)";

fn main() {
    let mode = std::env::args().nth(1);
    let code = match mode.as_deref() {
        Some("supervise") => supervise::main(),
        Some("gateway") => gateway::main(),
        _ => {
            eprintln!("{USAGE}");
            64
        }
    };
    std::process::exit(code);
}
