//! Everything but `GET /health` goes to the agent at 127.0.0.1:appPort: streamed both ways, WebSockets and
//! other upgrades tunnelled, X-Forwarded-For/-Proto/-Host added, the original Host kept. 502 when nothing
//! accepts connections on the agent's port, 504 when the agent does not start answering within the
//! upstream timeout, each with a one-line explanation; a response whose body stops for that long midway is
//! cut off (as nginx's proxy_read_timeout does). Connections to the agent are kept alive in a [`Pool`].

use std::error::Error;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::task::{Context, Poll};
use std::time::Duration;

use http_body_util::{Either, Full};
use hyper::body::{Body, Bytes, Frame, Incoming, SizeHint};
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, Response, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use tokio::sync::oneshot;
use tokio::time::{Instant, Sleep};

use super::connections::Answering;
use super::health::{AgentHealth, Verdict};
use super::metrics::{Metrics, RequestGuard, UpstreamError};
use super::pool::{Lent, Limits, Pool};
use super::settings::Settings;

/// Connections to the agent: how many idle ones are kept (as many as the reference nginx keeps), and for
/// how long. Under load they are busy rather than idle, so this bounds what a burst leaves behind: each
/// idle one costs ~20 KiB here and, in an agent that serves a thread per connection, a thread there.
/// Fewer than the concurrent clients made the pool close and open connections all the time (32 with 100
/// clients: one new connection every 17 requests). The idle time stays under the 5 s after which Node.js
/// and uvicorn close an idle connection themselves, so a request is not sent on one the agent is closing.
const POOL_LIMITS: Limits = Limits {
    max_idle: 128,
    idle_timeout: Duration::from_secs(3),
    connect_timeout: Duration::from_secs(2),
};
/// How often idle connections are checked for their age.
const POOL_SWEEP: Duration = Duration::from_secs(1);
/// On a 502 whose request never reached the agent (nothing accepted the connection).
pub const NOT_SENT: HeaderName = HeaderName::from_static("x-orch-not-sent");

/// Headers that describe one hop's connection and are not forwarded (RFC 9110, 7.6.1).
const HOP_BY_HOP: [HeaderName; 7] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];
const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");

/// The client at the other end of a connection, with its X-Forwarded-For value made once for all the
/// connection's requests.
#[derive(Clone)]
pub struct Client {
    address: IpAddr,
    forwarded_for: Option<HeaderValue>,
}

impl Client {
    pub fn new(address: IpAddr) -> Client {
        Client {
            address,
            forwarded_for: HeaderValue::from_str(&address.to_string()).ok(),
        }
    }
}

pub struct Gateway {
    pub settings: Settings,
    pub metrics: Arc<Metrics>,
    health: AgentHealth,
    pool: Arc<Pool<RequestBody>>,
    /// The Host header for a request without one (HTTP/1.0): the agent's address.
    agent_host: HeaderValue,
    draining: AtomicBool,
}

impl Gateway {
    pub fn new(settings: Settings) -> Gateway {
        let agent = SocketAddr::from((Ipv4Addr::LOCALHOST, settings.app_port));
        Gateway {
            health: AgentHealth::new(
                settings.status_file.clone(),
                settings.stale_after,
                settings.app_port,
            ),
            agent_host: HeaderValue::from_str(&agent.to_string())
                .expect("an address is a valid header value"),
            pool: Pool::new(agent, POOL_LIMITS),
            metrics: Arc::new(Metrics::default()),
            draining: AtomicBool::new(false),
            settings,
        }
    }

    /// Closes the agent connections left idle after a burst; runs for as long as the gateway.
    pub async fn close_idle_agent_connections(self: Arc<Self>) {
        let mut ticks = tokio::time::interval(POOL_SWEEP);
        loop {
            ticks.tick().await;
            self.pool.close_expired();
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
        client: &Client,
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

    async fn proxy(
        &self,
        mut request: Request<Incoming>,
        client: &Client,
    ) -> Response<GatewayBody> {
        let request_guard = self.metrics.start_request();
        let upgrade = is_upgrade(request.headers());
        let client_side = upgrade.then(|| hyper::upgrade::on(&mut request));
        forward_headers(request.headers_mut(), client, upgrade);
        if !request.headers().contains_key(header::HOST) {
            request
                .headers_mut()
                .insert(header::HOST, self.agent_host.clone());
        }
        // The agent gets the origin form (/path?query) even when a client sent an absolute URI.
        if request.uri().authority().is_some() {
            let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
            match Uri::try_from(path) {
                Ok(uri) => *request.uri_mut() = uri,
                Err(_) => {
                    return message(
                        StatusCode::BAD_REQUEST,
                        "bad request: unusable path\n".into(),
                        Some(request_guard),
                    );
                }
            }
        }
        let (parts, body) = request.into_parts();
        let (body, body_sent) = RequestBody::new(body);
        let answer = self.pool.send(Request::from_parts(parts, body));
        // The agent's silence is timed from the end of the request body, so a slow upload is not a 504.
        let silence = async {
            if let Some(body_sent) = body_sent {
                let _ = body_sent.await;
            }
            tokio::time::sleep(self.settings.upstream_timeout).await;
        };
        let answer = tokio::select! {
            // An answer (or a refused connection) that is there when the timer fires too, as after the
            // gateway was not scheduled for a while, is not a timeout.
            biased;
            answer = answer => Some(answer),
            () = silence => None,
        };
        let (mut response, mut connection) = match answer {
            Some(Ok(answered)) => answered,
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
                // The request counts as in flight for as long as the tunnel is open; the agent's connection,
                // now the tunnel's, never goes back to the pool.
                let _request = request_guard;
                let _connection = connection;
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
        if response.body().is_end_stream() {
            // Nothing to read (a HEAD, a 204, Content-Length: 0): the server may never poll the body.
            connection.response_read();
        }
        let silence_limit = self.settings.upstream_timeout;
        response.map(|body| GatewayBody {
            inner: Either::Left(body),
            agent: Some(AgentBody {
                connection,
                silence: None,
                silence_limit,
                waiting: false,
            }),
            request: Some(request_guard),
            _answering: None,
        })
    }
}

/// The client's request body on its way to the agent; says when it has all been sent (or dropped).
struct RequestBody {
    inner: Incoming,
    sent: Option<oneshot::Sender<()>>,
}

impl RequestBody {
    /// The receiver says when the body has been sent; None when there is no body to wait for.
    fn new(inner: Incoming) -> (RequestBody, Option<oneshot::Receiver<()>>) {
        if inner.is_end_stream() {
            return (RequestBody { inner, sent: None }, None);
        }
        let (sent, body_sent) = oneshot::channel();
        let body = RequestBody {
            inner,
            sent: Some(sent),
        };
        (body, Some(body_sent))
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
    agent: Option<AgentBody>,
    request: Option<RequestGuard>,
    /// Keeps the client connection busy for the connection bound until the body has been sent.
    _answering: Option<Answering>,
}

/// What a body streamed from the agent needs besides its bytes: the connection it arrives on, which goes
/// back to the pool when the body is read to the end, and the timer that cuts off a body that stops.
struct AgentBody {
    connection: Lent<RequestBody>,
    /// Made the first time the agent keeps the body waiting, so a body that is already there costs no timer.
    silence: Option<Pin<Box<Sleep>>>,
    silence_limit: Duration,
    /// The timer runs: nothing has arrived since it was set.
    waiting: bool,
}

/// The agent sent part of a response and then nothing for the upstream timeout.
#[derive(Debug)]
struct BodyStalled(Duration);

impl std::fmt::Display for BodyStalled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the agent stopped sending the response body for {} s; it was cut off",
            self.0.as_secs_f64()
        )
    }
}

impl Error for BodyStalled {}

impl GatewayBody {
    pub fn text(text: impl Into<Bytes>) -> GatewayBody {
        GatewayBody {
            inner: Either::Right(Full::new(text.into())),
            agent: None,
            request: None,
            _answering: None,
        }
    }

    pub fn counted_by(self, answering: Option<Answering>) -> GatewayBody {
        GatewayBody {
            _answering: answering,
            ..self
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
        let body = self.get_mut();
        let frame = Pin::new(&mut body.inner).poll_frame(cx);
        let Some(agent) = &mut body.agent else {
            return frame;
        };
        match frame {
            Poll::Ready(frame) => {
                agent.waiting = false;
                let ended = match &frame {
                    None => true,
                    Some(Ok(_)) => body.inner.is_end_stream(),
                    Some(Err(_)) => false,
                };
                if ended {
                    agent.connection.response_read();
                }
                Poll::Ready(frame)
            }
            Poll::Pending => {
                let deadline = Instant::now() + agent.silence_limit;
                let silence = agent
                    .silence
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                if !agent.waiting {
                    silence.as_mut().reset(deadline);
                    agent.waiting = true;
                }
                if silence.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                if let Some(request) = &body.request {
                    request.timed_out();
                }
                Poll::Ready(Some(Err(Box::new(BodyStalled(agent.silence_limit)))))
            }
        }
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
        agent: None,
        request,
        _answering: None,
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
fn forward_headers(headers: &mut HeaderMap, client: &Client, upgrade: bool) {
    if !upgrade {
        remove_hop_by_hop(headers);
    }
    let forwarded_for = match headers.get(X_FORWARDED_FOR).and_then(|v| v.to_str().ok()) {
        Some(earlier) => HeaderValue::from_str(&format!("{earlier}, {}", client.address)).ok(),
        None => client.forwarded_for.clone(),
    };
    if let Some(value) = forwarded_for {
        headers.insert(X_FORWARDED_FOR, value);
    }
    if !headers.contains_key(X_FORWARDED_PROTO) {
        headers.insert(X_FORWARDED_PROTO, HeaderValue::from_static("http"));
    }
    if !headers.contains_key(X_FORWARDED_HOST)
        && let Some(host) = headers.get(header::HOST).cloned()
    {
        headers.insert(X_FORWARDED_HOST, host);
    }
}

fn remove_hop_by_hop(headers: &mut HeaderMap) {
    // Connection may name further hop-by-hop headers; its usual options (keep-alive, close, upgrade) are
    // removed below anyway, so only other names are looked up, and nothing is allocated for the usual ones.
    let listed: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|name| {
            !["keep-alive", "close", "upgrade", ""]
                .iter()
                .any(|option| name.eq_ignore_ascii_case(option))
        })
        .filter_map(|name| HeaderName::from_bytes(name.as_bytes()).ok())
        .collect();
    for name in listed {
        headers.remove(name);
    }
    for name in &HOP_BY_HOP {
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
