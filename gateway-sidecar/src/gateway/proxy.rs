//! Everything but `GET /health` goes to the agent at 127.0.0.1:appPort: streamed both ways, WebSockets and
//! other upgrades tunnelled, X-Forwarded-For/-Proto/-Host added, the original Host kept. 502 when nothing
//! accepts connections on the agent's port, 504 when the agent does not start answering within the
//! upstream timeout, each with a one-line explanation. Connections to the agent are kept alive in a pool.

use std::error::Error;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::task::{Context, Poll};
use std::time::Duration;

use http_body_util::{Either, Full};
use hyper::body::{Body, Bytes, Frame, Incoming, SizeHint};
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, Response, StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::sync::oneshot;

use super::health::{AgentHealth, Verdict};
use super::metrics::{Metrics, RequestGuard, UpstreamError};
use super::settings::Settings;

/// Idle keep-alive connections to the agent, at most. Under load, connections are busy rather than idle, so
/// this bounds only what a burst leaves behind: each idle one costs ~40 KiB here and, in an agent that
/// serves a thread per connection (Python's ThreadingHTTPServer), a thread there.
const POOL_MAX_IDLE: usize = 32;
/// Idle connections to the agent are closed after this (checked as often), so memory returns within
/// seconds of a burst.
const POOL_IDLE: Duration = Duration::from_secs(5);
/// On a 502 whose request never reached the agent (nothing accepted the connection).
pub const NOT_SENT: HeaderName = HeaderName::from_static("x-orch-not-sent");
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Headers that describe one hop's connection and are not forwarded (RFC 9110, 7.6.1).
const HOP_BY_HOP: [&str; 7] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

pub struct Gateway {
    pub settings: Settings,
    pub metrics: Arc<Metrics>,
    health: AgentHealth,
    client: Client<HttpConnector, RequestBody>,
    agent: String,
    draining: AtomicBool,
}

impl Gateway {
    pub fn new(settings: Settings) -> Gateway {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(CONNECT_TIMEOUT));
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(POOL_IDLE)
            .pool_max_idle_per_host(POOL_MAX_IDLE)
            .pool_timer(TokioTimer::new())
            .build(connector);
        Gateway {
            health: AgentHealth::new(
                settings.status_file.clone(),
                settings.stale_after,
                settings.app_port,
            ),
            agent: format!("127.0.0.1:{}", settings.app_port),
            metrics: Arc::new(Metrics::default()),
            client,
            draining: AtomicBool::new(false),
            settings,
        }
    }

    /// From now on /health is 503 and every response asks the client to reconnect, which lands it on a pod
    /// that is not stopping.
    pub fn start_draining(&self) {
        self.draining.store(true, Relaxed);
    }

    pub async fn handle(
        &self,
        request: Request<Incoming>,
        client: IpAddr,
    ) -> Response<GatewayBody> {
        let mut response = if request.method() == Method::GET && request.uri().path() == "/health" {
            self.answer_health().await
        } else {
            self.proxy(request, client).await
        };
        if self.draining.load(Relaxed) {
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }

    async fn answer_health(&self) -> Response<GatewayBody> {
        let verdict = if self.draining.load(Relaxed) {
            Verdict::unhealthy("draining", "the pod is stopping")
        } else {
            self.health.check().await
        };
        let mut response = message(
            if verdict.healthy {
                StatusCode::OK
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            },
            format!("{}\n", verdict.body),
            None,
        );
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }

    async fn proxy(&self, mut request: Request<Incoming>, client: IpAddr) -> Response<GatewayBody> {
        let request_guard = self.metrics.start_request();
        let upgrade = is_upgrade(request.headers());
        let client_side = upgrade.then(|| hyper::upgrade::on(&mut request));
        forward_headers(request.headers_mut(), client, upgrade);
        let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
        match Uri::builder()
            .scheme("http")
            .authority(self.agent.as_str())
            .path_and_query(path)
            .build()
        {
            Ok(uri) => *request.uri_mut() = uri,
            Err(_) => {
                return message(
                    StatusCode::BAD_REQUEST,
                    "bad request: unusable path\n".into(),
                    Some(request_guard),
                );
            }
        }
        let (parts, body) = request.into_parts();
        let (body, body_sent) = RequestBody::new(body);
        let answer = self.client.request(Request::from_parts(parts, body));
        // The agent's silence is timed from the end of the request body, so a slow upload is not a 504.
        let silence = async {
            let _ = body_sent.await;
            tokio::time::sleep(self.settings.upstream_timeout).await;
        };
        let answer = tokio::select! {
            answer = answer => Some(answer),
            () = silence => None,
        };
        let mut response = match answer {
            Some(Ok(response)) => response,
            Some(Err(error)) => {
                self.metrics.upstream_error(UpstreamError::Unreachable);
                let text = if error.is_connect() {
                    format!(
                        "bad gateway: nothing accepts connections on the agent's port {} (the agent must listen on \
                         0.0.0.0 or 127.0.0.1 port $PORT)\n",
                        self.settings.app_port
                    )
                } else {
                    format!(
                        "bad gateway: the agent closed the connection without an answer ({})\n",
                        root_cause(&error)
                    )
                };
                let mut response = message(StatusCode::BAD_GATEWAY, text, Some(request_guard));
                if error.is_connect() {
                    // The request never reached the agent: sleep/wake's activator may send it again.
                    response
                        .headers_mut()
                        .insert(NOT_SENT, HeaderValue::from_static("agent-not-listening"));
                }
                return response;
            }
            None => {
                self.metrics.upstream_error(UpstreamError::Timeout);
                let text = format!(
                    "gateway timeout: the agent did not answer within {} s\n",
                    self.settings.upstream_timeout.as_secs_f64()
                );
                return message(StatusCode::GATEWAY_TIMEOUT, text, Some(request_guard));
            }
        };
        self.health.saw_listening();
        let mut request_guard = request_guard;
        request_guard.answered(response.status().as_u16());
        if let (StatusCode::SWITCHING_PROTOCOLS, Some(client_side)) =
            (response.status(), client_side)
        {
            let agent_side = hyper::upgrade::on(&mut response);
            tokio::spawn(async move {
                // The request counts as in flight for as long as the tunnel is open.
                let _request = request_guard;
                if let (Ok(client), Ok(agent)) = tokio::join!(client_side, agent_side) {
                    let _ = tokio::io::copy_bidirectional(
                        &mut TokioIo::new(client),
                        &mut TokioIo::new(agent),
                    )
                    .await;
                }
            });
            return response.map(|_| GatewayBody::empty());
        }
        remove_hop_by_hop(response.headers_mut());
        response.map(|body| GatewayBody {
            inner: Either::Left(body),
            _request: Some(request_guard),
        })
    }
}

/// The client's request body on its way to the agent; says when it has all been sent (or dropped).
struct RequestBody {
    inner: Incoming,
    sent: Option<oneshot::Sender<()>>,
}

impl RequestBody {
    fn new(inner: Incoming) -> (RequestBody, oneshot::Receiver<()>) {
        let (sent, body_sent) = oneshot::channel();
        let mut body = RequestBody {
            inner,
            sent: Some(sent),
        };
        if body.inner.is_end_stream() {
            body.sent = None;
        }
        (body, body_sent)
    }
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let body = self.get_mut();
        let frame = Pin::new(&mut body.inner).poll_frame(cx);
        if let Poll::Ready(None | Some(Err(_))) = frame {
            body.sent = None;
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A response body: the agent's, streamed, or the gateway's own message; either way it carries the
/// request's guard, so the request is counted until the body is finished or dropped.
pub struct GatewayBody {
    inner: Either<Incoming, Full<Bytes>>,
    _request: Option<RequestGuard>,
}

impl GatewayBody {
    pub fn text(text: impl Into<Bytes>) -> GatewayBody {
        GatewayBody {
            inner: Either::Right(Full::new(text.into())),
            _request: None,
        }
    }

    fn empty() -> GatewayBody {
        GatewayBody::text(Bytes::new())
    }
}

impl Body for GatewayBody {
    type Data = Bytes;
    type Error = Box<dyn Error + Send + Sync>;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

fn message(
    status: StatusCode,
    text: String,
    request: Option<RequestGuard>,
) -> Response<GatewayBody> {
    let mut request = request;
    if let Some(request) = &mut request {
        request.answered(status.as_u16());
    }
    let mut response = Response::new(GatewayBody {
        inner: Either::Right(Full::new(Bytes::from(text))),
        _request: request,
    });
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn is_upgrade(headers: &HeaderMap) -> bool {
    headers.contains_key(header::UPGRADE)
        && headers.get_all(header::CONNECTION).iter().any(|value| {
            value.to_str().is_ok_and(|v| {
                v.split(',')
                    .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
            })
        })
}

/// Makes the client's request the agent's: hop-by-hop headers dropped (except what an upgrade needs) and
/// X-Forwarded-For/-Proto/-Host added. Host itself stays as the client sent it.
fn forward_headers(headers: &mut HeaderMap, client: IpAddr, upgrade: bool) {
    if !upgrade {
        remove_hop_by_hop(headers);
    }
    let forwarded_for = match headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
        Some(earlier) => format!("{earlier}, {client}"),
        None => client.to_string(),
    };
    if let Ok(value) = HeaderValue::from_str(&forwarded_for) {
        headers.insert(HeaderName::from_static("x-forwarded-for"), value);
    }
    if !headers.contains_key("x-forwarded-proto") {
        headers.insert(
            HeaderName::from_static("x-forwarded-proto"),
            HeaderValue::from_static("http"),
        );
    }
    if !headers.contains_key("x-forwarded-host")
        && let Some(host) = headers.get(header::HOST).cloned()
    {
        headers.insert(HeaderName::from_static("x-forwarded-host"), host);
    }
}

fn remove_hop_by_hop(headers: &mut HeaderMap) {
    let listed: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in listed {
        headers.remove(name);
    }
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
}

fn root_cause(error: &(dyn Error + 'static)) -> String {
    let mut cause = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}
