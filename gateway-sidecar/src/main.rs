//! `orch-pod`: the per-pod data plane of an agent pod, one binary with two modes (and a helper).
//!
//! - `orch-pod supervise`: the agent container's entrypoint and PID 1 (see [`supervise`]).
//! - `orch-pod gateway`: the sidecar that answers /health and proxies to the agent (see [`gateway`]).
//! - `orch-pod prepare --runtime FILE -- COMMAND...`: prepare's fast path in front of the
//!   runner's JVM (see [`prepare`]).
//! - `orch-pod install DIR`: copies the binary to `DIR/orch-pod`, so that an init container can hand the
//!   supervisor to an image that does not contain it (image bundles).

mod clock;
mod gateway;
mod mask;
mod prepare;
mod status;
mod supervise;
mod termination;

const USAGE: &str = "usage: orch-pod supervise|gateway|prepare|install DIR (the operator's agent pod runs `supervise` as \
                     the agent container's entrypoint and `gateway` as the sidecar)";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let code = match args.get(1).map(String::as_str) {
        Some("supervise") => supervise::main(&args[2..]),
        Some("gateway") => gateway::main(),
        Some("prepare") => prepare::main(&args[2..]),
        Some("install") if args.len() == 3 => install(std::path::Path::new(&args[2])),
        _ => {
            eprintln!("{USAGE}");
            64
        }
    };
    std::process::exit(code);
}

fn install(directory: &std::path::Path) -> i32 {
    use std::os::unix::fs::PermissionsExt;
    let target = directory.join("orch-pod");
    let copied = std::env::current_exe()
        .and_then(|binary| std::fs::copy(binary, &target))
        .and_then(|_| std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755)));
    match copied {
        Ok(()) => 0,
        Err(e) => {
            eprintln!(
                "orch-pod install: cannot copy the binary to {} ({e}); the directory must be a writable volume",
                target.display()
            );
            1
        }
    }
}
