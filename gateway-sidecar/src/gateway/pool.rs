//! Keep-alive connections to the agent: a stack of idle HTTP/1 connections, the most recently used lent
//! first, so a steady load keeps reusing the same few and the rest age out. A connection goes back on the
//! stack only once its response has been read to the end (then the agent can take the next request on
//! it); one that was cut short, upgraded or closed by the agent is dropped instead.
//!
//! This replaces hyper-util's pooled client, which cost a spawned task, a oneshot channel and a boxed
//! future per request and kept so few idle connections that a hundred concurrent clients made it connect
//! and close again every few requests.

use std::error::Error;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use hyper::body::{Body, Incoming};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

pub struct Pool<B> {
    agent: SocketAddr,
    idle: Mutex<Vec<Idle<B>>>,
    limits: Limits,
}

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Idle connections kept, at most; one more is closed as it comes back.
    pub max_idle: usize,
    /// An idle connection unused for this long is closed by [`Pool::close_expired`].
    pub idle_timeout: Duration,
    pub connect_timeout: Duration,
}

struct Idle<B> {
    sender: SendRequest<B>,
    since: Instant,
}

/// A connection lent to one exchange. Dropping it gives the connection back to the pool if
/// [`Lent::response_read`] was called, and closes it otherwise.
pub struct Lent<B> {
    sender: Option<SendRequest<B>>,
    pool: Arc<Pool<B>>,
    reusable: bool,
}

#[derive(Debug)]
pub enum SendError {
    /// No connection to the agent could be opened (refused, or no answer within the connect timeout).
    Connect(io::Error),
    /// A connection was open, but the agent closed it or broke the exchange before a response head.
    Exchange(hyper::Error),
}

impl<B> Pool<B>
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn Error + Send + Sync>>,
{
    pub fn new(agent: SocketAddr, limits: Limits) -> Arc<Pool<B>> {
        Arc::new(Pool {
            agent,
            idle: Mutex::new(Vec::new()),
            limits,
        })
    }

    /// Sends `request` on an idle connection, or a new one when none is idle. A request that an idle
    /// connection could not even start (the agent had closed it meanwhile) is sent again on another, which
    /// is safe because nothing of it reached the agent.
    pub async fn send(
        self: &Arc<Self>,
        mut request: Request<B>,
    ) -> Result<(Response<Incoming>, Lent<B>), SendError> {
        loop {
            let (mut sender, reused) = match self.take_idle() {
                Some(sender) => (sender, true),
                None => (self.connect().await?, false),
            };
            if let Err(error) = sender.ready().await {
                if reused {
                    continue;
                }
                return Err(SendError::Exchange(error));
            }
            match sender.try_send_request(request).await {
                Ok(response) => {
                    let lent = Lent {
                        sender: Some(sender),
                        pool: self.clone(),
                        reusable: false,
                    };
                    return Ok((response, lent));
                }
                Err(mut failed) => match failed.take_message() {
                    Some(unsent) if reused => request = unsent,
                    _ => return Err(SendError::Exchange(failed.into_error())),
                },
            }
        }
    }

    /// Closes the connections that have been idle longer than the idle timeout, so that the memory of a
    /// burst (here, and a thread per connection in some agents) is given back within seconds.
    pub fn close_expired(&self) {
        let timeout = self.limits.idle_timeout;
        self.lock_idle()
            .retain(|idle| idle.since.elapsed() < timeout && !idle.sender.is_closed());
    }

    #[cfg(test)]
    fn idle_count(&self) -> usize {
        self.lock_idle().len()
    }

    /// The most recently returned connection that is ready for a request and not past the idle timeout
    /// (the sweep runs only now and then). A connection still busy with its previous exchange (the agent
    /// answered before the upload ended) is not worth waiting for; dropping it lets that exchange finish and
    /// then closes it.
    fn take_idle(&self) -> Option<SendRequest<B>> {
        let mut idle = self.lock_idle();
        while let Some(entry) = idle.pop() {
            if entry.sender.is_ready() && entry.since.elapsed() < self.limits.idle_timeout {
                return Some(entry.sender);
            }
        }
        None
    }

    async fn connect(&self) -> Result<SendRequest<B>, SendError> {
        let stream =
            match tokio::time::timeout(self.limits.connect_timeout, TcpStream::connect(self.agent))
                .await
            {
                Ok(Ok(stream)) => stream,
                Ok(Err(error)) => return Err(SendError::Connect(error)),
                Err(_) => {
                    return Err(SendError::Connect(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!(
                            "no answer to connect within {} s",
                            self.limits.connect_timeout.as_secs_f64()
                        ),
                    )));
                }
            };
        // Small requests and responses go out at once instead of waiting for an acknowledgement.
        let _ = stream.set_nodelay(true);
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(SendError::Exchange)?;
        tokio::spawn(async move {
            // Ends when the agent closes the connection or the pool drops the last sender; an error here
            // was already reported to the request it broke.
            let _ = connection.with_upgrades().await;
        });
        Ok(sender)
    }

    fn lock_idle(&self) -> MutexGuard<'_, Vec<Idle<B>>> {
        self.idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl<B> Lent<B> {
    /// The response body has been read to its end: the connection can serve the next request.
    pub fn response_read(&mut self) {
        self.reusable = true;
    }
}

impl<B> Drop for Lent<B> {
    fn drop(&mut self) {
        if let (true, Some(sender)) = (self.reusable, self.sender.take()) {
            give_back(&self.pool, sender);
        }
    }
}

// A free function: Drop cannot carry the pool's trait bounds, and giving back needs none of them.
fn give_back<B>(pool: &Pool<B>, sender: SendRequest<B>) {
    if sender.is_closed() {
        return;
    }
    let mut idle = pool
        .idle
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if idle.len() < pool.limits.max_idle {
        idle.push(Idle {
            sender,
            since: Instant::now(),
        });
    }
}

impl SendError {
    pub fn is_connect(&self) -> bool {
        matches!(self, SendError::Connect(_))
    }
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Connect(error) => write!(f, "cannot connect: {error}"),
            SendError::Exchange(error) => write!(f, "{error}"),
        }
    }
}

impl Error for SendError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            SendError::Connect(error) => Some(error),
            SendError::Exchange(error) => Some(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

    use http_body_util::{BodyExt, Empty};
    use hyper::body::Bytes;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    const LIMITS: Limits = Limits {
        max_idle: 4,
        idle_timeout: Duration::from_secs(30),
        connect_timeout: Duration::from_secs(2),
    };

    /// An agent on loopback that answers every request with `response` (raw HTTP/1.1) and, when
    /// `close_after_answer`, closes the connection after each answer; returns its address and a count of
    /// the connections it accepted.
    async fn agent(
        response: &'static str,
        close_after_answer: bool,
    ) -> (SocketAddr, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                count.fetch_add(1, SeqCst);
                tokio::spawn(async move {
                    let mut received = Vec::new();
                    let mut buffer = [0; 1024];
                    while let Ok(n @ 1..) = stream.read(&mut buffer).await {
                        received.extend_from_slice(&buffer[..n]);
                        while let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
                            received.drain(..end + 4);
                            stream.write_all(response.as_bytes()).await.unwrap();
                            if close_after_answer {
                                return;
                            }
                        }
                    }
                });
            }
        });
        (address, accepted)
    }

    fn get() -> Request<Empty<Bytes>> {
        Request::get("/")
            .header("host", "agent")
            .body(Empty::new())
            .unwrap()
    }

    /// Sends a request and reads the whole response, as the gateway does; returns the body.
    async fn exchange(pool: &Arc<Pool<Empty<Bytes>>>) -> String {
        let (response, mut lent) = pool.send(get()).await.unwrap();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        lent.response_read();
        drop(lent);
        String::from_utf8_lossy(&body).into_owned()
    }

    const OK: &str = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    #[tokio::test]
    async fn a_connection_read_to_the_end_serves_the_next_request() {
        let (address, accepted) = agent(OK, false).await;
        let pool = Pool::new(address, LIMITS);
        for _ in 0..5 {
            assert_eq!(exchange(&pool).await, "ok");
        }
        assert_eq!(accepted.load(SeqCst), 1);
        assert_eq!(pool.idle_count(), 1);
    }

    #[tokio::test]
    async fn a_response_not_read_to_the_end_closes_its_connection() {
        let (address, accepted) = agent(OK, false).await;
        let pool = Pool::new(address, LIMITS);
        let (_response, lent) = pool.send(get()).await.unwrap();
        drop(lent);
        assert_eq!(pool.idle_count(), 0);
        assert_eq!(exchange(&pool).await, "ok");
        assert_eq!(accepted.load(SeqCst), 2);
    }

    #[tokio::test]
    async fn when_the_agent_closes_connections_each_request_gets_a_new_one() {
        // One says so, the other just closes after answering: either way no request fails.
        for (response, close) in [
            (
                "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
                false,
            ),
            (OK, true),
        ] {
            let (address, accepted) = agent(response, close).await;
            let pool = Pool::new(address, LIMITS);
            for _ in 0..3 {
                assert_eq!(exchange(&pool).await, "ok");
                // Let the connection's task see the close, as it would between real requests.
                tokio::task::yield_now().await;
            }
            assert_eq!(accepted.load(SeqCst), 3, "{response:?}");
        }
    }

    #[tokio::test]
    async fn a_request_on_a_connection_closed_meanwhile_is_sent_on_a_new_one() {
        let (address, accepted) = agent(OK, true).await;
        let pool = Pool::new(address, LIMITS);
        assert_eq!(exchange(&pool).await, "ok");
        // The agent has closed it, but the pool may not know yet: the send must not fail either way.
        assert_eq!(exchange(&pool).await, "ok");
        assert_eq!(accepted.load(SeqCst), 2);
    }

    #[tokio::test]
    async fn concurrent_requests_each_get_a_connection_and_at_most_max_idle_stay() {
        let (address, accepted) = agent(OK, false).await;
        let pool = Pool::new(address, LIMITS);
        let mut lent = Vec::new();
        for _ in 0..6 {
            let (response, mut connection) = pool.send(get()).await.unwrap();
            response.into_body().collect().await.unwrap();
            connection.response_read();
            lent.push(connection);
        }
        assert_eq!(accepted.load(SeqCst), 6);
        drop(lent);
        assert_eq!(pool.idle_count(), LIMITS.max_idle);
    }

    #[tokio::test]
    async fn idle_connections_are_closed_after_the_idle_timeout() {
        let (address, _) = agent(OK, false).await;
        let pool = Pool::new(
            address,
            Limits {
                idle_timeout: Duration::from_millis(50),
                ..LIMITS
            },
        );
        exchange(&pool).await;
        pool.close_expired();
        assert_eq!(pool.idle_count(), 1);
        tokio::time::sleep(Duration::from_millis(80)).await;
        pool.close_expired();
        assert_eq!(pool.idle_count(), 0);
    }

    #[tokio::test]
    async fn a_connection_past_the_idle_timeout_is_not_lent_even_before_the_sweep() {
        let (address, accepted) = agent(OK, false).await;
        let pool = Pool::new(
            address,
            Limits {
                idle_timeout: Duration::from_millis(50),
                ..LIMITS
            },
        );
        exchange(&pool).await;
        tokio::time::sleep(Duration::from_millis(80)).await;
        exchange(&pool).await;
        assert_eq!(accepted.load(SeqCst), 2);
    }

    #[tokio::test]
    async fn nothing_listening_is_a_connect_error() {
        let address = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap()
            .local_addr()
            .unwrap();
        let pool: Arc<Pool<Empty<Bytes>>> = Pool::new(address, LIMITS);
        let error = pool.send(get()).await.err().unwrap();
        assert!(error.is_connect(), "{error}");
    }
}
