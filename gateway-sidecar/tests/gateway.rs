//! `orch-pod gateway` as a process, in front of a test agent (a hyper server) on loopback.

mod common;

use std::convert::Infallible;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::pin::Pin;
use std::process::{Child, Stdio};
use std::task::{Context, Poll};
use std::time::Duration;

use common::{free_port, orch_pod, scratch, signal, wait_for};
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Bytes, Frame, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::json;

static CHUNK: [u8; 64 * 1024] = [b'x'; 64 * 1024];
/// Bytes streamed each way in the large-body test: far more than the gateway could hold unnoticed.
const LARGE: usize = 64 * 1024 * 1024;

struct Gateway {
    process: Child,
    port: u16,
    metrics_port: u16,
    agent_port: u16,
    status_dir: PathBuf,
}

impl Gateway {
    fn start(test: &str) -> Gateway {
        Gateway::start_with(test, &[])
    }

    fn start_with(test: &str, settings: &[(&str, &str)]) -> Gateway {
        let dir = scratch(test);
        let (port, metrics_port, agent_port) = (free_port(), free_port(), free_port());
        let process = orch_pod("gateway")
            .env("ORCH_GATEWAY_LISTEN_PORT", port.to_string())
            .env("ORCH_GATEWAY_METRICS_PORT", metrics_port.to_string())
            .env("ORCHAGENT_HTTP_PORT", agent_port.to_string())
            .env("ORCH_STATUS_DIR", &dir)
            .env("ORCH_GATEWAY_UPSTREAM_TIMEOUT_SECONDS", "0.5")
            .env("ORCH_GATEWAY_DRAIN_DELAY_SECONDS", "0.3")
            .env("ORCH_GATEWAY_DRAIN_TIMEOUT_SECONDS", "5")
            .envs(settings.iter().copied())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // The probe has the gateway close its connection, so every test starts with all slots free.
        wait_for("the gateway to answer", Duration::from_secs(10), || {
            let mut probe = TcpStream::connect(("127.0.0.1", port)).ok()?;
            probe
                .write_all(b"GET /health HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n")
                .ok()?;
            probe.read_to_end(&mut Vec::new()).ok()
        });
        Gateway {
            process,
            port,
            metrics_port,
            agent_port,
            status_dir: dir,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn write_status(&self, status: serde_json::Value) {
        std::fs::write(self.status_dir.join("agent.json"), status.to_string()).unwrap();
    }

    /// Peak resident memory of the gateway process so far, in KiB.
    fn peak_rss_kib(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.process.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// The test agent, and the body of the test's requests: `/headers` echoes what it received, `/slow` answers after 2 s, `/large` streams LARGE
/// bytes, `/stall` sends the start of a body and then nothing for 10 s, `/count` counts the bytes of the
/// request body, `/ws` upgrades and echoes.
async fn agent(request: Request<Incoming>) -> Result<Response<TestBody>, Infallible> {
    let path = request.uri().path().to_string();
    let text = |text: String| Ok(Response::new(TestBody::Full(Full::new(Bytes::from(text)))));
    match path.as_str() {
        "/headers" => {
            let headers = request.headers();
            let get = |name: &str| {
                headers
                    .get(name)
                    .map_or("-", |v| v.to_str().unwrap())
                    .to_string()
            };
            text(format!(
                "host={} xff={} xfproto={} xfhost={} connection={} path={}",
                get("host"),
                get("x-forwarded-for"),
                get("x-forwarded-proto"),
                get("x-forwarded-host"),
                get("connection"),
                request.uri()
            ))
        }
        "/slow" => {
            tokio::time::sleep(Duration::from_secs(2)).await;
            text("late".into())
        }
        "/large" => Ok(Response::new(TestBody::Chunks(LARGE / CHUNK.len()))),
        "/stall" => {
            let (sender, receiver) = tokio::sync::mpsc::channel(1);
            tokio::spawn(async move {
                sender.send(Bytes::from_static(b"start")).await.unwrap();
                tokio::time::sleep(Duration::from_secs(10)).await;
                let _ = sender.send(Bytes::from_static(b"too late")).await;
            });
            Ok(Response::new(TestBody::Channel(receiver)))
        }
        "/count" => {
            let mut body = request.into_body();
            let mut count = 0;
            while let Some(frame) = body.frame().await {
                count += frame.unwrap().data_ref().map_or(0, |data| data.len());
            }
            text(format!("received {count} bytes"))
        }
        "/ws" => {
            let upgrade = hyper::upgrade::on(request);
            tokio::spawn(async move {
                let mut io = TokioIo::new(upgrade.await.unwrap());
                let mut buffer = [0; 64];
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                while let Ok(n @ 1..) = io.read(&mut buffer).await {
                    io.write_all(&buffer[..n]).await.unwrap();
                }
            });
            let mut response = Response::new(TestBody::Full(Full::default()));
            *response.status_mut() = hyper::StatusCode::SWITCHING_PROTOCOLS;
            response
                .headers_mut()
                .insert("upgrade", "websocket".parse().unwrap());
            response
                .headers_mut()
                .insert("connection", "Upgrade".parse().unwrap());
            Ok(response)
        }
        _ => text("agent".into()),
    }
}

enum TestBody {
    Full(Full<Bytes>),
    Chunks(usize),
    /// Whatever the test sends, when it sends it.
    Channel(tokio::sync::mpsc::Receiver<Bytes>),
}

impl Body for TestBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            TestBody::Full(full) => Pin::new(full).poll_frame(cx),
            TestBody::Channel(receiver) => receiver
                .poll_recv(cx)
                .map(|data| data.map(|data| Ok(Frame::data(data)))),
            TestBody::Chunks(0) => Poll::Ready(None),
            TestBody::Chunks(left) => {
                *left -= 1;
                Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(&CHUNK)))))
            }
        }
    }
}

async fn serve_agent(port: u16) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), hyper::service::service_fn(agent))
                    .with_upgrades(),
            );
        }
    });
}

type Client = hyper_util::client::legacy::Client<
    hyper_util::client::legacy::connect::HttpConnector,
    TestBody,
>;

fn client() -> Client {
    hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build_http()
}

async fn get(client: &Client, url: &str) -> (u16, String) {
    let request = Request::get(url)
        .body(TestBody::Full(Full::default()))
        .unwrap();
    let response = client.request(request).await.unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn nothing_listening_is_502_and_health_waits_for_the_status_file() {
    let gateway = Gateway::start("down");
    let client = client();
    let request = Request::get(gateway.url("/anything"))
        .body(TestBody::Full(Full::default()))
        .unwrap();
    let response = client.request(request).await.unwrap();
    assert_eq!(
        response.headers().get("x-orch-not-sent").unwrap(),
        "agent-not-listening",
        "the activator may resend what never reached the agent"
    );
    let (status, body) = get(&client, &gateway.url("/anything")).await;
    assert_eq!(status, 502);
    assert!(body.contains(&format!(
        "nothing accepts connections on the agent's port {}",
        gateway.agent_port
    )));
    let (status, body) = get(&client, &gateway.url("/health")).await;
    assert_eq!(status, 503);
    assert!(body.contains("\"phase\":\"starting\""), "{body}");
}

#[tokio::test]
async fn requests_reach_the_agent_with_forwarded_headers_and_their_host() {
    let gateway = Gateway::start("headers");
    serve_agent(gateway.agent_port).await;
    let request = Request::get(gateway.url("/headers?x=1"))
        .header("host", "bot.example.com")
        .header("x-forwarded-for", "203.0.113.7")
        .header("connection", "keep-alive, x-hop")
        .header("x-hop", "dropped")
        .body(TestBody::Full(Full::default()))
        .unwrap();
    let response = client().request(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        String::from_utf8_lossy(&body),
        "host=bot.example.com xff=203.0.113.7, 127.0.0.1 xfproto=http xfhost=bot.example.com connection=- path=/headers?x=1"
    );
}

#[tokio::test]
async fn a_silent_agent_is_504_after_the_upstream_timeout() {
    let gateway = Gateway::start("slow");
    serve_agent(gateway.agent_port).await;
    let started = std::time::Instant::now();
    let (status, body) = get(&client(), &gateway.url("/slow")).await;
    assert_eq!(status, 504, "{body}");
    assert!(body.contains("did not answer within 0.5 s"), "{body}");
    assert!(started.elapsed() < Duration::from_millis(1500));
    let (_, metrics) = get(
        &client(),
        &format!("http://127.0.0.1:{}/metrics", gateway.metrics_port),
    )
    .await;
    assert!(
        metrics.contains("orch_gateway_upstream_errors_total{kind=\"timeout\"} 1\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("orch_gateway_responses_total{code=\"5xx\"} 1\n"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_body_that_stops_midway_is_cut_off_after_the_upstream_timeout() {
    let gateway = Gateway::start("stall");
    serve_agent(gateway.agent_port).await;
    let client = client();
    let started = std::time::Instant::now();
    let request = Request::get(gateway.url("/stall"))
        .body(TestBody::Full(Full::default()))
        .unwrap();
    let response = client.request(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let mut body = response.into_body();
    let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
    assert_eq!(first, "start");
    let rest = body.frame().await;
    assert!(
        matches!(rest, Some(Err(_))),
        "the client sees the response broken off, not ended: {rest:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "cut off after {:?}",
        started.elapsed()
    );
    let (_, metrics) = get(
        &client,
        &format!("http://127.0.0.1:{}/metrics", gateway.metrics_port),
    )
    .await;
    assert!(
        metrics.contains("orch_gateway_upstream_errors_total{kind=\"timeout\"} 1\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("orch_gateway_inflight_requests 0\n"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_slow_upload_is_not_a_timeout_since_silence_counts_from_its_end() {
    let gateway = Gateway::start("slow-upload");
    serve_agent(gateway.agent_port).await;
    let (sender, receiver) = tokio::sync::mpsc::channel(1);
    tokio::spawn(async move {
        for _ in 0..4 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            sender.send(Bytes::from_static(b"part")).await.unwrap();
        }
    });
    let request = Request::post(gateway.url("/count"))
        .body(TestBody::Channel(receiver))
        .unwrap();
    let response = client().request(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(String::from_utf8_lossy(&body), "received 16 bytes");
}

#[tokio::test]
async fn large_bodies_stream_through_both_ways_without_being_held() {
    let gateway = Gateway::start("large");
    serve_agent(gateway.agent_port).await;
    let client = client();
    let request = Request::get(gateway.url("/large"))
        .body(TestBody::Full(Full::default()))
        .unwrap();
    let response = client.request(request).await.unwrap();
    let mut body = response.into_body();
    let mut received = 0;
    while let Some(frame) = body.frame().await {
        received += frame.unwrap().data_ref().map_or(0, |data| data.len());
    }
    assert_eq!(received, LARGE);

    let request = Request::post(gateway.url("/count"))
        .body(TestBody::Chunks(LARGE / CHUNK.len()))
        .unwrap();
    let response = client.request(request).await.unwrap();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        String::from_utf8_lossy(&body),
        format!("received {LARGE} bytes")
    );
    assert!(
        gateway.peak_rss_kib() < 16 * 1024,
        "peak RSS {} KiB",
        gateway.peak_rss_kib()
    );
}

#[test]
fn websocket_upgrades_are_tunnelled() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let gateway = Gateway::start("websocket");
    std::thread::spawn({
        let port = gateway.agent_port;
        move || {
            runtime.block_on(async move {
                serve_agent(port).await;
                std::future::pending::<()>().await
            })
        }
    });
    let mut stream = wait_for("the agent", Duration::from_secs(5), || {
        let mut stream = TcpStream::connect(("127.0.0.1", gateway.port)).ok()?;
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        stream
            .write_all(b"GET /ws HTTP/1.1\r\nHost: bot\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
            .unwrap();
        let head = read_head(&mut stream);
        head.starts_with("HTTP/1.1 101").then_some(stream)
    });
    for message in ["ping", "a longer message"] {
        stream.write_all(message.as_bytes()).unwrap();
        let mut echo = vec![0; message.len()];
        stream.read_exact(&mut echo).unwrap();
        assert_eq!(echo, message.as_bytes());
    }
}

/// A kept-alive client connection to the gateway, sending `GET /health` (no agent needed: any complete
/// answer will do).
struct KeptAlive(TcpStream);

impl KeptAlive {
    fn connect(gateway: &Gateway) -> KeptAlive {
        let stream = TcpStream::connect(("127.0.0.1", gateway.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        KeptAlive(stream)
    }

    fn send(&mut self) {
        self.0
            .write_all(b"GET /health HTTP/1.1\r\nHost: bot\r\n\r\n")
            .unwrap();
    }

    /// The head of a whole response, or what went wrong instead (the connection closed, reset, or
    /// nothing within 5 s).
    fn answer(&mut self) -> Result<String, String> {
        let head = read_head(&mut self.0);
        let length: usize = head
            .lines()
            .find_map(|line| {
                line.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().parse().unwrap())
            })
            .ok_or_else(|| format!("no whole response head: {head:?}"))?;
        let mut body = vec![0; length];
        self.0
            .read_exact(&mut body)
            .map_err(|e| format!("the body broke off: {e}"))?;
        Ok(head)
    }

    fn exchange(&mut self) -> Result<String, String> {
        self.send();
        self.answer()
    }

    fn closed_by_the_gateway(&mut self) -> bool {
        let mut rest = Vec::new();
        self.0.read_to_end(&mut rest).is_ok() && rest.is_empty()
    }
}

#[test]
fn at_the_bound_the_longest_idle_connection_makes_room_and_a_fresh_one_keeps_its_slot() {
    let gateway = Gateway::start_with("bound", &[("ORCH_GATEWAY_MAX_CONNECTIONS", "3")]);
    let mut older = KeptAlive::connect(&gateway);
    older.exchange().unwrap();
    // Connected, its first request not sent yet: closing it would fail a request no client retries.
    let mut fresh = KeptAlive::connect(&gateway);
    std::thread::sleep(Duration::from_millis(100));
    let mut newer = KeptAlive::connect(&gateway);
    newer.exchange().unwrap();
    // Both are idle long enough to be closed (0.5 s), so no answer has to say `Connection: close` first.
    std::thread::sleep(Duration::from_millis(600));

    let mut waiting = KeptAlive::connect(&gateway);
    assert!(waiting.exchange().unwrap().starts_with("HTTP/1.1 503"));
    assert!(
        older.closed_by_the_gateway(),
        "the longest idle one made room"
    );
    assert!(
        fresh.exchange().is_ok(),
        "the fresh connection kept its slot"
    );
    assert!(newer.exchange().is_ok(), "one closed connection was enough");
}

#[test]
fn requests_sent_while_the_gateway_stalls_at_the_bound_are_all_answered() {
    let gateway = Gateway::start_with("stall-bound", &[("ORCH_GATEWAY_MAX_CONNECTIONS", "2")]);
    let mut kept: Vec<KeptAlive> = (0..2).map(|_| KeptAlive::connect(&gateway)).collect();
    for client in &mut kept {
        client.exchange().unwrap();
    }
    // A starved CPU: the requests arrive, and a new client, before the gateway runs again.
    signal(&gateway.process, libc::SIGSTOP);
    wait_for("the gateway to stop", Duration::from_secs(5), || {
        process_state(&gateway.process).eq("T").then_some(())
    });
    for client in &mut kept {
        client.send();
    }
    let mut newcomer = KeptAlive::connect(&gateway);
    newcomer.send();
    std::thread::sleep(Duration::from_millis(100));
    signal(&gateway.process, libc::SIGCONT);

    for (i, client) in kept.iter_mut().enumerate() {
        let answer = client.answer();
        assert!(answer.is_ok(), "kept-alive client {i}: {answer:?}");
    }
    let answer = newcomer.answer();
    assert!(answer.is_ok(), "the new client: {answer:?}");
}

#[test]
fn clients_keeping_every_connection_busy_are_told_to_close_one_so_a_new_client_gets_in() {
    let gateway = Gateway::start_with("busy-bound", &[("ORCH_GATEWAY_MAX_CONNECTIONS", "2")]);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let busy: Vec<_> = (0..2)
        .map(|_| {
            let mut client = KeptAlive::connect(&gateway);
            let stop = stop.clone();
            let port = gateway.port;
            std::thread::spawn(move || {
                let (mut answered, mut told_to_close) = (0, 0);
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let head = client
                        .exchange()
                        .map_err(|e| format!("after {answered} answers: {e}"))?;
                    answered += 1;
                    if head.to_ascii_lowercase().contains("connection: close") {
                        told_to_close += 1;
                        client = KeptAlive(TcpStream::connect(("127.0.0.1", port)).unwrap());
                        client
                            .0
                            .set_read_timeout(Some(Duration::from_secs(5)))
                            .unwrap();
                    }
                }
                Ok::<_, String>(told_to_close)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(100));

    let started = std::time::Instant::now();
    let answer = KeptAlive::connect(&gateway).exchange();
    let waited = started.elapsed();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let told_to_close: u32 = busy
        .into_iter()
        .map(|client| client.join().unwrap().unwrap())
        .sum();
    assert!(answer.is_ok(), "the new client: {answer:?}");
    assert!(
        waited < Duration::from_millis(400),
        "the new client waited {waited:?}"
    );
    assert!(told_to_close >= 1);
}

#[test]
fn a_websocket_upgrade_while_a_client_waits_at_the_bound_is_still_tunnelled() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let gateway = Gateway::start_with("ws-bound", &[("ORCH_GATEWAY_MAX_CONNECTIONS", "1")]);
    std::thread::spawn({
        let port = gateway.agent_port;
        move || {
            runtime.block_on(async move {
                serve_agent(port).await;
                std::future::pending::<()>().await
            })
        }
    });
    let mut upgrading = KeptAlive::connect(&gateway);
    let mut waiting = KeptAlive::connect(&gateway);
    waiting.send();
    std::thread::sleep(Duration::from_millis(100));
    upgrading
        .0
        .write_all(
            b"GET /ws HTTP/1.1\r\nHost: bot\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
        )
        .unwrap();
    let head = read_head(&mut upgrading.0).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 101"), "{head}");
    assert!(head.contains("connection: upgrade"), "{head}");
    upgrading.0.write_all(b"ping").unwrap();
    let mut echo = [0; 4];
    upgrading.0.read_exact(&mut echo).unwrap();
    assert_eq!(&echo, b"ping");
}

fn process_state(process: &Child) -> String {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", process.id())).unwrap();
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    after_name[..1].to_string()
}

fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0];
    while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
        head.push(byte[0]);
    }
    String::from_utf8_lossy(&head).into_owned()
}

#[tokio::test]
async fn health_follows_the_status_file_and_sigterm_drains() {
    let mut gateway = Gateway::start("drain");
    let client = client();
    gateway.write_status(
        json!({"phase": "running", "message": "running", "runId": "r/1", "pid": 9,
                                "updatedAt": iso_now()}),
    );
    let (status, body) = get(&client, &gateway.url("/health")).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"listening\":false"), "{body}");

    signal(&gateway.process, libc::SIGTERM);
    // The signal reaches the gateway's task asynchronously; within the drain delay /health must say so.
    let mut answer = get(&client, &gateway.url("/health")).await;
    for _ in 0..10 {
        if answer.0 == 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        answer = get(&client, &gateway.url("/health")).await;
    }
    let (status, body) = answer;
    assert_eq!(status, 503);
    assert!(body.contains("\"phase\":\"draining\""), "{body}");
    let exit = wait_for("the gateway to exit", Duration::from_secs(5), || {
        gateway.process.try_wait().unwrap()
    });
    assert_eq!(exit.code(), Some(0));
}

fn iso_now() -> String {
    let output = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H:%M:%S.000Z"])
        .output()
        .unwrap();
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}
