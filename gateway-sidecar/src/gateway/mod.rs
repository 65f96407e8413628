//! `orch-pod gateway`: the agent pod's sidecar on :8080 (see [`proxy`] and [`health`]), Prometheus metrics
//! on :9090, and a graceful drain on SIGTERM.
//!
//! Concurrency is bounded by `ORCH_GATEWAY_MAX_CONNECTIONS` (512) client connections; past the bound
//! clients wait for an idle keep-alive connection to be closed (see [`connections`]). Memory freed after a
//! burst is handed back to the kernel a second or two after it.

pub mod connections;
pub mod health;
pub mod metrics;
pub mod pool;
pub mod proxy;
pub mod settings;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};

use connections::{Activity, Answering, Bound};
use proxy::{Client, Gateway, GatewayBody};
use settings::Settings;

/// How often to look whether activity has stopped, so that memory is handed back.
const TRIM_INTERVAL: Duration = Duration::from_secs(1);
/// The kernel caps it at net.core.somaxconn.
const ACCEPT_QUEUE: u32 = 4096;

pub fn main() -> i32 {
    let settings = match Settings::from_env(|name| std::env::var(name).ok()) {
        Ok(settings) => settings,
        Err(message) => {
            log(&message);
            return 2;
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime starts");
    runtime.block_on(run(settings))
}

async fn run(settings: Settings) -> i32 {
    let listener = match listen(settings.listen_port) {
        Ok(listener) => listener,
        Err(e) => {
            log(&format!(
                "cannot start: {e} (is another process using port {}?)",
                settings.listen_port
            ));
            return 1;
        }
    };
    let (Ok(mut terminate), Ok(mut interrupt)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        log("cannot install signal handlers");
        return 1;
    };
    let gateway = Arc::new(Gateway::new(settings));
    let metrics_port = start_metrics(&gateway).await;
    let settings = &gateway.settings;
    log(&format!(
        "listening on :{}, proxying to 127.0.0.1:{}, metrics on {metrics_port}, agent status from {}, at most {} \
         connections",
        settings.listen_port,
        settings.app_port,
        settings.status_file.display(),
        settings.max_connections
    ));
    let server = tokio::spawn(serve(listener, gateway.clone()));
    tokio::spawn(give_back_memory(gateway.clone()));
    tokio::spawn(gateway.clone().close_idle_agent_connections());

    let name = tokio::select! {
        _ = terminate.recv() => "SIGTERM",
        _ = interrupt.recv() => "SIGINT",
    };
    log(&format!(
        "{name}: draining (health 503, finishing in-flight requests)"
    ));
    gateway.start_draining();
    tokio::time::sleep(settings.drain_delay).await;
    server.abort();
    let deadline = tokio::time::Instant::now() + settings.drain_timeout;
    while gateway.metrics.in_flight() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    log(&format!(
        "drained ({} requests still in flight), exiting",
        gateway.metrics.in_flight()
    ));
    0
}

/// The listener on :PORT with an accept queue as long as the kernel allows (net.core.somaxconn, 4096 by
/// default), where clients wait past the connection bound; tokio's default of 128 (nginx: 511) made a
/// burst's further connections lose their SYN and retry it only after a second or more.
fn listen(port: u16) -> std::io::Result<TcpListener> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(SocketAddr::from(([0, 0, 0, 0], port)))?;
    socket.listen(ACCEPT_QUEUE)
}

async fn serve(listener: TcpListener, gateway: Arc<Gateway>) {
    let bound = Bound::new(gateway.settings.max_connections);
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors, most likely; waiting lets connections close.
                log(&format!("accept failed: {e}"));
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        // At the bound this client waits here; the ones after it wait in the kernel's accept queue.
        let admitted = bound.admit().await;
        let _ = stream.set_nodelay(true);
        let activity = admitted.activity.clone();
        let held = (admitted, gateway.metrics.open_connection());
        let gateway = gateway.clone();
        let client = Client::new(peer.ip());
        serve_connection(
            stream,
            peer,
            move |request, _| {
                let gateway = gateway.clone();
                let client = client.clone();
                async move { gateway.handle(request, &client).await }
            },
            held,
            Some(activity),
        );
    }
}

/// Serves one client connection on its own task, HTTP/1.1 with keep-alive and upgrades; `held` (a
/// connection slot, a gauge's guard) is released when the connection ends. A connection under the bound
/// keeps its `activity` current and closes when the bound asks and it is truly idle.
fn serve_connection<F, R, H>(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    answer: F,
    held: H,
    activity: Option<Arc<Activity>>,
) where
    F: Fn(Request<Incoming>, SocketAddr) -> R + Send + Sync + 'static,
    R: Future<Output = Response<GatewayBody>> + Send + 'static,
    H: Send + 'static,
{
    let answer = Arc::new(answer);
    let socket = stream.as_raw_fd();
    tokio::spawn(async move {
        let _held = held;
        let counted = activity.clone();
        let service = service_fn(move |request| {
            let answer = answer.clone();
            // Taken as the request head arrives, given back when the response body has been sent.
            let answering = counted.as_ref().map(Activity::start_answer);
            async move {
                let mut response = answer(request, peer).await;
                // The bound needs this connection's slot: the client learns it before sending more. A 101
                // keeps its `Connection: Upgrade`; an upgraded connection gives its slot back anyway.
                if answering.as_ref().is_some_and(Answering::connection_ending)
                    && response.status() != StatusCode::SWITCHING_PROTOCOLS
                {
                    response.headers_mut().insert(
                        hyper::header::CONNECTION,
                        hyper::header::HeaderValue::from_static("close"),
                    );
                }
                Ok::<_, Infallible>(response.map(|body| body.counted_by(answering)))
            }
        });
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades();
        tokio::pin!(connection);
        let Some(activity) = activity else {
            let _ = connection.await;
            return;
        };
        loop {
            tokio::select! {
                biased;
                _ = connection.as_mut() => return,
                () = activity.asked_to_close() => {
                    // The socket is open: this task owns the connection that owns it.
                    if activity.may_close(socket) {
                        connection.as_mut().graceful_shutdown();
                        let _ = connection.await;
                        return;
                    }
                }
            }
        }
    });
}

/// The metrics listener, on its own port so it never shadows an agent's own /metrics. The agent shares the
/// pod's network namespace and may already use the port; metrics are optional, so that is only logged.
async fn start_metrics(gateway: &Arc<Gateway>) -> String {
    let Some(port) = gateway.settings.metrics_port else {
        return "no port (disabled)".to_string();
    };
    let listener = match TcpListener::bind(("0.0.0.0", port)).await {
        Ok(listener) => listener,
        Err(e) => {
            log(&format!(
                "metrics disabled: cannot listen on port {port} ({e}); set ORCH_GATEWAY_METRICS_PORT to a free port"
            ));
            return "no port (disabled)".to_string();
        }
    };
    let gateway = gateway.clone();
    tokio::spawn(async move {
        while let Ok((stream, peer)) = listener.accept().await {
            let gateway = gateway.clone();
            serve_connection(
                stream,
                peer,
                move |request, _| {
                    let response = metrics_response(&gateway, &request);
                    async move { response }
                },
                (),
                None,
            );
        }
    });
    format!(":{port}/metrics")
}

fn metrics_response(gateway: &Gateway, request: &Request<Incoming>) -> Response<GatewayBody> {
    let mut response = if request.uri().path() == "/metrics" {
        let mut response = Response::new(GatewayBody::text(
            gateway.metrics.render(gateway.settings.max_connections),
        ));
        response.headers_mut().insert(
            hyper::header::CONTENT_TYPE,
            hyper::header::HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        );
        response
    } else {
        Response::new(GatewayBody::text("metrics are at /metrics\n"))
    };
    if request.uri().path() != "/metrics" {
        *response.status_mut() = StatusCode::NOT_FOUND;
    }
    response
}

/// glibc keeps freed memory for reuse; after a burst of connections that is megabytes the pod is charged
/// for. Trimming once activity has stopped (nothing ended during the last interval, something since the last
/// trim) hands it back; not during load, where trimming would stall every request behind it and the memory
/// would be taken again at once.
async fn give_back_memory(gateway: Arc<Gateway>) {
    let mut trimmed = gateway.metrics.finished();
    let mut seen = trimmed;
    let mut ticks = tokio::time::interval(TRIM_INTERVAL);
    loop {
        ticks.tick().await;
        let finished = gateway.metrics.finished();
        if finished == seen && finished != trimmed {
            trimmed = finished;
            // SAFETY: malloc_trim only releases free heap pages; it is safe to call at any time.
            unsafe {
                libc::malloc_trim(0);
            }
        }
        seen = finished;
    }
}

pub fn log(message: &str) {
    eprintln!("[gateway] {message}");
}
