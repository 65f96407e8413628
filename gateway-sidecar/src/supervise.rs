//! `orch-pod supervise`: PID 1 of the agent container.
//!
//! Starts the command `prepare` resolved (see [`ResolvedCommand`]), or the one given after `--` (an image
//! bundle's own command, which has no prepare step), in its own process group, forwards
//! SIGTERM/SIGINT to that group, reaps every child that ends up with it (an agent's helpers become
//! orphans of PID 1, and a PID 1 that does not wait for them leaves zombies), copies the agent's stdout and
//! stderr through with secret values masked, keeps the status file current, and finally writes the
//! termination message and exits with the agent's exit code. When the agent cannot be started at all it
//! exits [`CANNOT_START`] with what to fix.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize;
use tokio::io::AsyncReadExt;
use tokio::net::unix::pipe;
use tokio::signal::unix::{SignalKind, signal};

use crate::clock;
use crate::gateway;
use crate::mask::{LineMasker, Masker};
use crate::status::{HEARTBEAT, Status, StatusFile};
use crate::termination::{self, Tail};

pub const CANNOT_START: i32 = 2;
/// After the agent exits, how long its output may still arrive: a helper that inherited the pipes could
/// hold them open forever.
const OUTPUT_GRACE: Duration = Duration::from_secs(2);
const READ_BUFFER: usize = 32 * 1024;

/// What `prepare` writes to `$ORCH_WORKSPACE/.orch/command.json` after entrypoint detection: either the
/// command, or why there is none.
///
/// ```text
/// {"argv": ["python", "main.py"], "source": "found main.py", "workingDir": "/orch/workspace/bundle",
///  "env": {"PATH": "/orch/workspace/venv/bin:...", "VIRTUAL_ENV": "...", "PORT": "3000", ...}}
/// {"error": "no entrypoint found in the bundle at ... Fix it in one of three ways: ..."}
/// ```
///
/// `env` holds the variables the agent gets on top of the container's environment; `argv[0]` is looked
/// up on the PATH given there.
#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedCommand {
    #[serde(default)]
    pub argv: Vec<String>,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub working_dir: PathBuf,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    #[serde(default)]
    pub error: Option<String>,
}

impl ResolvedCommand {
    pub fn file_in(workspace: &Path) -> PathBuf {
        workspace.join(".orch").join("command.json")
    }

    pub fn read(file: &Path) -> Result<ResolvedCommand, String> {
        let text = std::fs::read(file).map_err(|e| {
            format!(
                "there is no resolved command at {} ({e}): the prepare step has not run or failed; check its \
                 log (kubectl logs POD -c prepare, or -c agent for a pod with a dependency cache)",
                file.display()
            )
        })?;
        let command: ResolvedCommand = serde_json::from_slice(&text).map_err(|e| {
            format!(
                "the resolved command {} is not valid ({e}); run prepare again",
                file.display()
            )
        })?;
        match command.error {
            Some(error) => Err(error),
            None if command.argv.is_empty() => Err(format!(
                "the resolved command {} has no argv",
                file.display()
            )),
            None => Ok(command),
        }
    }

    /// A command given on the supervisor's command line, run in the container's working directory.
    pub fn given(argv: &[String]) -> Result<ResolvedCommand, String> {
        let working_dir =
            std::env::current_dir().map_err(|e| format!("no working directory ({e})"))?;
        Ok(ResolvedCommand {
            argv: argv.to_vec(),
            source: "the container's command".to_string(),
            working_dir,
            env: BTreeMap::new(),
            error: None,
        })
    }

    pub fn command_line(&self) -> String {
        self.argv.join(" ")
    }
}

/// The agent container's environment, as the operator's AgentPod writes it.
pub struct Settings {
    pub workspace: PathBuf,
    pub status_dir: PathBuf,
    pub termination_log: PathBuf,
    pub git_credentials: PathBuf,
    pub http_port: Result<u16, String>,
    /// How long SIGTERM waits before it reaches an agent that serves HTTP: the gateway keeps proxying to it while
    /// it drains (its health answers 503 until the pod leaves the Service's endpoints), so an agent stopped at
    /// once would fail those requests with 502. Zero for an agent that serves none.
    pub stop_delay: Duration,
}

impl Settings {
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Settings {
        let path = |name: &str, default: &str| {
            PathBuf::from(env(name).unwrap_or_else(|| default.to_string()))
        };
        let port = env("ORCHAGENT_HTTP_PORT")
            .filter(|v| !v.trim().is_empty())
            .or_else(|| env("PORT").filter(|v| !v.trim().is_empty()));
        let stop_delay = if port.is_some() {
            gateway::settings::DRAIN_DELAY
        } else {
            Duration::ZERO
        };
        Settings {
            workspace: path("ORCH_WORKSPACE", "/orch/workspace"),
            status_dir: path("ORCH_STATUS_DIR", "/orch/status"),
            termination_log: path("ORCH_TERMINATION_LOG", "/dev/termination-log"),
            git_credentials: path("ORCH_GIT_CREDENTIALS", "/orch/git-credentials"),
            http_port: match port {
                None => Ok(3000),
                Some(raw) => raw.trim().parse().map_err(|_| {
                    format!(
                        "ORCHAGENT_HTTP_PORT={raw} is not a port number; set spec.http.port to the port the agent \
                         listens on (default 3000)"
                    )
                }),
            },
            stop_delay,
        }
    }

    /// Secret values to mask: the variables ORCH_SECRET_NAMES lists, and the git credentials when mounted.
    fn secrets(&self, env: impl Fn(&str) -> Option<String>) -> Vec<String> {
        let mut values = Masker::values_named_in(env);
        for name in ["password", "token", "ssh-privatekey"] {
            if let Ok(value) = std::fs::read_to_string(self.git_credentials.join(name)) {
                values.push(value.trim().to_string());
            }
        }
        values
    }
}

const USAGE: &str = "orch-pod supervise [--prepare-with PROGRAM | -- COMMAND [ARG...]] (without a command, the one \
                     prepare resolved)";

/// Runs the runner's prepare in the agent container before the agent, instead of an init container (contract:
/// supervise.prepare-option). A pod with a dependency cache mostly finds its workspace current, and prepare's fast
/// path then takes milliseconds; as an init container it would cost the pod a container start plus the time until
/// the kubelet notices that the init container exited (its PLEG relist, up to a second) before the agent starts.
pub const PREPARE_OPTION: &str = "--prepare-with";

/// `args` are those after `supervise`.
pub fn main(args: &[String]) -> i32 {
    let (prepare, given) = match args {
        [] => (None, None),
        [option, program] if option == PREPARE_OPTION => (Some(PathBuf::from(program)), None),
        [separator, argv @ ..] if separator == "--" && !argv.is_empty() => {
            (None, Some(argv.to_vec()))
        }
        _ => {
            eprintln!("usage: {USAGE}");
            return 64;
        }
    };
    let env = |name: &str| std::env::var(name).ok();
    let settings = Settings::from_env(env);
    let masker = Arc::new(Masker::new(&settings.secrets(env)));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime starts");
    runtime.block_on(
        Supervisor {
            settings,
            masker,
            prepare,
            given,
        }
        .run(),
    )
}

struct Supervisor {
    settings: Settings,
    masker: Arc<Masker>,
    /// The prepare program to run to its end before the agent, if any ([`PREPARE_OPTION`]).
    prepare: Option<PathBuf>,
    /// The command from the command line, if any.
    given: Option<Vec<String>>,
}

impl Supervisor {
    async fn run(self) -> i32 {
        let status = StatusFile::in_directory(&self.settings.status_dir);
        // Signals are watched before the agent exists, so an early SIGCHLD or SIGTERM is not missed.
        let (mut terminate, mut interrupt, mut child_exited) = match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
            signal(SignalKind::child()),
        ) {
            (Ok(t), Ok(i), Ok(c)) => (t, i, c),
            _ => return self.cannot_start(&status, "cannot install signal handlers".to_string()),
        };
        become_subreaper();
        let http_port = match &self.settings.http_port {
            Ok(port) => *port,
            Err(message) => return self.cannot_start(&status, message.clone()),
        };
        if let Some(program) = &self.prepare
            && let Err(code) = self
                .run_prepare(
                    program,
                    &status,
                    &mut terminate,
                    &mut interrupt,
                    &mut child_exited,
                )
                .await
        {
            return code;
        }
        let command = match &self.given {
            Some(argv) => ResolvedCommand::given(argv),
            None => ResolvedCommand::read(&ResolvedCommand::file_in(&self.settings.workspace)),
        };
        let command = match command {
            Ok(command) => command,
            Err(message) => return self.cannot_start(&status, message),
        };
        let mut agent = match start(&command) {
            Ok(agent) => agent,
            Err(message) => return self.cannot_start(&status, message),
        };
        let pid = agent.id();
        let command_line = command.command_line();
        self.log(&format!(
            "starting `{command_line}` ({}) in {}, PORT={http_port}",
            command.source,
            command.working_dir.display()
        ));
        let run_id = format!("{}/{pid}", clock::format_iso(clock::now_millis()));
        let running = format!("running `{command_line}`");
        self.report(&status, &Status::running(&run_id, pid, http_port, &running));

        let output_tail = Arc::new(Mutex::new(Tail::default()));
        let pumps = [
            agent
                .stdout
                .take()
                .map(|out| self.pump(out.into(), Output::Stdout, output_tail.clone())),
            agent
                .stderr
                .take()
                .map(|err| self.pump(err.into(), Output::Stderr, output_tail.clone())),
        ];
        let mut heartbeat =
            tokio::time::interval_at(tokio::time::Instant::now() + HEARTBEAT, HEARTBEAT);
        let mut forwarded = None;
        let mut stop_at: Option<tokio::time::Instant> = None;
        let code = loop {
            if let Some(code) = reap_children(pid) {
                break code;
            }
            tokio::select! {
                _ = terminate.recv() => {
                    if self.settings.stop_delay.is_zero() || stop_at.is_some() {
                        forwarded = Some(self.forward(pid, libc::SIGTERM, "SIGTERM"));
                    } else {
                        self.log(&format!(
                            "received SIGTERM, forwarding it to the agent in {} ms, once the gateway has drained",
                            self.settings.stop_delay.as_millis()
                        ));
                        stop_at = Some(tokio::time::Instant::now() + self.settings.stop_delay);
                    }
                }
                _ = tokio::time::sleep_until(stop_at.unwrap_or_else(tokio::time::Instant::now)),
                    if stop_at.is_some() && forwarded.is_none() => {
                    forwarded = Some(self.forward(pid, libc::SIGTERM, "SIGTERM"));
                }
                _ = interrupt.recv() => forwarded = Some(self.forward(pid, libc::SIGINT, "SIGINT")),
                _ = child_exited.recv() => {}
                _ = heartbeat.tick() => self.report(&status, &Status::running(&run_id, pid, http_port, &running)),
            }
        };
        let drained = tokio::time::timeout(OUTPUT_GRACE, async {
            for pump in pumps.into_iter().flatten() {
                let _ = pump.await;
            }
        });
        let _ = drained.await;

        let mut headline = format!(
            "agent `{command_line}` exited with code {code}{}",
            explain(code)
        );
        if let Some(signal) = forwarded {
            headline.push_str(&format!(" after the runner forwarded {signal}"));
        }
        let headline = self.masker.mask(&headline);
        self.log(&headline);
        self.report(&status, &Status::exited(&run_id, code, &headline));
        let tail = output_tail
            .lock()
            .map(|tail| tail.lines())
            .unwrap_or_default();
        termination::write(&self.settings.termination_log, &headline, &tail);
        code
    }

    /// Runs prepare (it writes the status file, its log and, when it fails, its termination message) to its end;
    /// the error is the container's exit code. A failure stays the container's exit code, so a prepare that keeps
    /// failing restarts the container and counts as a failed run like a crashing agent; the status and the
    /// termination message get a headline that tells the two apart, followed by what prepare wrote. A signal
    /// stops prepare, and the agent is then not started.
    async fn run_prepare(
        &self,
        program: &Path,
        status: &StatusFile,
        terminate: &mut tokio::signal::unix::Signal,
        interrupt: &mut tokio::signal::unix::Signal,
        child_exited: &mut tokio::signal::unix::Signal,
    ) -> Result<(), i32> {
        let started = Command::new(program)
            .stdin(Stdio::null())
            .process_group(0)
            .spawn();
        let pid = match started {
            Ok(prepare) => prepare.id(),
            Err(e) => {
                return Err(self.cannot_start(
                    status,
                    format!(
                        "cannot start the prepare step {} ({e}); the runner image is incomplete",
                        program.display()
                    ),
                ));
            }
        };
        let mut stopped_by = None;
        let code = loop {
            if let Some(code) = reap_children(pid) {
                break code;
            }
            tokio::select! {
                _ = terminate.recv() => stopped_by = Some(self.forward_to(pid, libc::SIGTERM, "SIGTERM", "prepare")),
                _ = interrupt.recv() => stopped_by = Some(self.forward_to(pid, libc::SIGINT, "SIGINT", "prepare")),
                _ = child_exited.recv() => {}
            }
        };
        if code == 0 && stopped_by.is_none() {
            return Ok(());
        }
        let mut headline = format!("prepare exited with code {code}{}", explain(code));
        if let Some(signal) = stopped_by {
            headline.push_str(&format!(
                " after the runner forwarded {signal}; the agent was not started"
            ));
        }
        let written = std::fs::read_to_string(&self.settings.termination_log).unwrap_or_default();
        let message = match written.trim() {
            // Prepare's own log then says why, and Kubernetes shows only this file once it is written.
            "" => format!("{headline}; see its log (kubectl logs POD -c agent)"),
            detail => format!("{headline}: {detail}"),
        };
        let message = self.masker.mask(&message);
        self.log(&message);
        self.report(status, &Status::failed(&message));
        termination::write(&self.settings.termination_log, &message, &[]);
        Err(code)
    }

    fn cannot_start(&self, status: &StatusFile, message: String) -> i32 {
        let message = self.masker.mask(&message);
        self.log(&format!("error: {message}"));
        self.report(status, &Status::failed(&message));
        termination::write(&self.settings.termination_log, &message, &[]);
        CANNOT_START
    }

    fn report(&self, status: &StatusFile, update: &Status) {
        if let Err(message) = status.write(update) {
            self.log(&message);
        }
    }

    /// The supervisor's own lines go to stderr, marked so they stand apart from the agent's.
    fn log(&self, message: &str) {
        let mut text = Vec::new();
        for line in message.lines() {
            text.extend_from_slice(b"[runner] ");
            self.masker.mask_into(line.as_bytes(), &mut text);
            text.push(b'\n');
        }
        let mut stderr = std::io::stderr().lock();
        let _ = stderr.write_all(&text);
    }

    fn forward(&self, pid: u32, signal: libc::c_int, name: &'static str) -> &'static str {
        self.forward_to(pid, signal, name, "the agent")
    }

    fn forward_to(
        &self,
        pid: u32,
        signal: libc::c_int,
        name: &'static str,
        whom: &str,
    ) -> &'static str {
        self.log(&format!("received {name}, forwarding it to {whom}"));
        signal_group(pid, signal);
        name
    }

    /// Copies one of the agent's streams to the same stream of the container, masked, until it ends.
    fn pump(
        &self,
        pipe: OwnedFd,
        output: Output,
        tail: Arc<Mutex<Tail>>,
    ) -> tokio::task::JoinHandle<()> {
        let masker = self.masker.clone();
        tokio::spawn(async move {
            let Ok(mut pipe) = pipe::Receiver::from_owned_fd(pipe) else {
                return;
            };
            let mut lines = LineMasker::new(&masker);
            let mut buffer = vec![0; READ_BUFFER];
            let mut masked = Vec::with_capacity(READ_BUFFER);
            loop {
                masked.clear();
                match pipe.read(&mut buffer).await {
                    Ok(0) | Err(_) => {
                        lines.finish(&mut masked);
                        output.write(&masked, &tail);
                        return;
                    }
                    Ok(n) => lines.push(&buffer[..n], &mut masked),
                }
                output.write(&masked, &tail);
            }
        })
    }
}

#[derive(Clone, Copy)]
enum Output {
    Stdout,
    Stderr,
}

impl Output {
    fn write(self, bytes: &[u8], tail: &Mutex<Tail>) {
        if bytes.is_empty() {
            return;
        }
        // A write error means the container's log pipe is gone; the agent keeps running regardless.
        let _ = match self {
            Output::Stdout => {
                let mut stdout = std::io::stdout().lock();
                stdout.write_all(bytes).and_then(|()| stdout.flush())
            }
            Output::Stderr => std::io::stderr().lock().write_all(bytes),
        };
        if let Ok(mut tail) = tail.lock() {
            tail.record(self as usize, bytes);
        }
    }
}

fn start(command: &ResolvedCommand) -> Result<std::process::Child, String> {
    let program = &command.argv[0];
    Command::new(program)
        .args(&command.argv[1..])
        .current_dir(&command.working_dir)
        .envs(&command.env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own group, so that a forwarded signal reaches the helpers it starts too.
        .process_group(0)
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                let path = command.env.get("PATH").cloned().or_else(|| std::env::var("PATH").ok()).unwrap_or_default();
                format!(
                    "the command {program} was not found on PATH ({path}) or the working directory {} is \
                     missing. Use an interpreter the runner image has (python, node), a file in the bundle \
                     (./start.sh), or a prebuilt image (spec.bundle.image) that contains {program}",
                    command.working_dir.display()
                )
            }
            _ => format!("cannot start {program} ({e})"),
        })
}

/// Outside a container (tests, a developer's shell) the supervisor is not PID 1; as a subreaper it still
/// inherits the agent's orphans, so it behaves the same.
fn become_subreaper() {
    // SAFETY: prctl with PR_SET_CHILD_SUBREAPER only sets a flag on this process.
    unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1);
    }
}

/// Sends `signal` to the agent's process group; a group that is already gone is not an error.
pub fn signal_group(leader: u32, signal: libc::c_int) {
    let Ok(group) = libc::pid_t::try_from(leader) else {
        return;
    };
    // SAFETY: kill has no memory effects; a negative pid addresses the process group.
    unsafe {
        libc::kill(-group, signal);
    }
}

/// Waits for every child that has ended (the agent and any orphan handed to PID 1); returns the agent's
/// exit code once it is among them.
pub fn reap_children(agent: u32) -> Option<i32> {
    let mut agent_code = None;
    loop {
        let mut status = 0;
        // SAFETY: waitpid writes only to `status`.
        let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
        if pid <= 0 {
            return agent_code;
        }
        if u32::try_from(pid) == Ok(agent) {
            agent_code = Some(exit_code(status));
        }
    }
}

/// The shell's convention: the exit status, or 128 + the signal that killed the process.
fn exit_code(status: libc::c_int) -> i32 {
    if libc::WIFSIGNALED(status) {
        128 + libc::WTERMSIG(status)
    } else {
        libc::WEXITSTATUS(status)
    }
}

fn explain(code: i32) -> String {
    match code {
        137 => " (killed by SIGKILL; if the pod was not being stopped this is usually the memory limit: raise \
                spec.resources.limits.memory)"
            .to_string(),
        129..=159 => format!(" (killed by signal {})", code - 128),
        _ => String::new(),
    }
}
