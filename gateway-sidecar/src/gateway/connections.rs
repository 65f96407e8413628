//! The bound on client connections (`ORCH_GATEWAY_MAX_CONNECTIONS`). At the bound the gateway stops
//! accepting: the next client waits accepted, the ones after it in the kernel's accept queue (refused once
//! that is full), and room is made for the waiting one without failing a request:
//!
//! - A connection idle for a while is closed: it has answered a request (a client that has just connected
//!   is about to send its first, and no HTTP client retries a request its fresh connection lost), answers
//!   none (its last response body has been sent), has been idle for [`IDLE_LONG_ENOUGH`] (a client with
//!   more requests reuses a connection within milliseconds), and no byte of a next request waits in its
//!   socket (on a starved CPU a request can arrive long before the connection's task runs again). The one
//!   idle longest goes first. What remains is the race HTTP/1.1 allows for, a client sending just as the
//!   connection closes, which clients retry for idempotent requests on reused connections.
//! - And while a client waits, every response carries `Connection: close`, so its client sends nothing more
//!   on that connection, which closes once the response is sent. Clients that keep every connection busy (a
//!   load generator with requests queued) never leave one idle; without this, the requests they wrote on
//!   connections waiting in the accept queue would wait there until they time out. Under a flood this
//!   turns keep-alive off until the queue is drained: each waiting client gets in after about one response.
//!
//! A connection that never sends a request holds its slot until hyper's header read timeout (30 s), which is
//! also how long an idle keep-alive connection stays open when nobody waits.

use std::collections::HashMap;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

/// How long a connection must have been idle before it is closed to make room.
const IDLE_LONG_ENOUGH: Duration = Duration::from_millis(500);
/// While a client waits, how often to look for an idle connection again.
const LOOK_AGAIN: Duration = Duration::from_millis(10);

pub struct Bound {
    slots: Arc<Semaphore>,
    open: Mutex<HashMap<u64, Arc<Activity>>>,
    next_id: AtomicU64,
    started: Instant,
    /// A client waits for a slot: responses end their connections.
    client_waiting: Arc<AtomicBool>,
}

/// What the bound knows of one client connection; the connection's own task keeps it current.
pub struct Activity {
    /// Answers whose response body is not finished yet.
    answering: AtomicUsize,
    /// When the latest answer ended, in microseconds since `started` plus one; 0 before the first.
    last_answer_ended: AtomicU64,
    started: Instant,
    client_waiting: Arc<AtomicBool>,
    close_if_idle: Notify,
}

/// A connection's slot and its place among the open connections, both given up when it is dropped.
pub struct Admitted {
    pub activity: Arc<Activity>,
    id: u64,
    bound: Arc<Bound>,
    _slot: OwnedSemaphorePermit,
}

/// One answer being given on a connection; the connection counts as busy until this is dropped, which the
/// response body does when it has been sent (or abandoned).
pub struct Answering(Arc<Activity>);

impl Bound {
    pub fn new(max_connections: usize) -> Arc<Bound> {
        Arc::new(Bound {
            slots: Arc::new(Semaphore::new(max_connections)),
            open: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
            started: Instant::now(),
            client_waiting: Arc::new(AtomicBool::new(false)),
        })
    }

    /// A slot for a client just accepted; at the bound, waits until a connection made room.
    pub async fn admit(self: &Arc<Self>) -> Admitted {
        let slot = match self.slots.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => self.make_room().await,
        };
        let id = self.next_id.fetch_add(1, Relaxed);
        let activity = Arc::new(Activity {
            answering: AtomicUsize::new(0),
            last_answer_ended: AtomicU64::new(0),
            started: self.started,
            client_waiting: self.client_waiting.clone(),
            close_if_idle: Notify::new(),
        });
        self.lock_open().insert(id, activity.clone());
        Admitted {
            activity,
            id,
            bound: self.clone(),
            _slot: slot,
        }
    }

    async fn make_room(&self) -> OwnedSemaphorePermit {
        let _waiting = Waiting::flag(&self.client_waiting);
        loop {
            self.ask_longest_idle_to_close();
            tokio::select! {
                slot = self.slots.clone().acquire_owned() => {
                    return slot.expect("the bound's semaphore is never closed");
                }
                () = tokio::time::sleep(LOOK_AGAIN) => {}
            }
        }
    }

    /// Asks the connection idle longest, if one has been idle long enough; it decides itself, since only
    /// its task may look at its socket, and one that turns out not to be idle moves to the back.
    fn ask_longest_idle_to_close(&self) {
        let now = micros_since(self.started);
        let long_enough = u64::try_from(IDLE_LONG_ENOUGH.as_micros()).unwrap_or(u64::MAX);
        let open = self.lock_open();
        let longest_idle = open
            .values()
            .filter(|activity| {
                activity
                    .idle_since()
                    .is_some_and(|since| now.saturating_sub(since) >= long_enough)
            })
            .min_by_key(|activity| activity.last_answer_ended.load(Relaxed));
        if let Some(activity) = longest_idle {
            activity.close_if_idle.notify_one();
        }
    }

    fn lock_open(&self) -> MutexGuard<'_, HashMap<u64, Arc<Activity>>> {
        self.open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Raises a flag for as long as it lives, also when the waiting is cancelled (the gateway stops accepting).
struct Waiting<'a>(&'a AtomicBool);

impl<'a> Waiting<'a> {
    fn flag(flag: &'a AtomicBool) -> Waiting<'a> {
        flag.store(true, Relaxed);
        Waiting(flag)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.store(false, Relaxed);
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        self.bound.lock_open().remove(&self.id);
    }
}

impl Activity {
    pub fn start_answer(self: &Arc<Self>) -> Answering {
        self.answering.fetch_add(1, Relaxed);
        Answering(self.clone())
    }

    /// The bound asked this connection to close; resolves at once if asked meanwhile.
    pub async fn asked_to_close(&self) {
        self.close_if_idle.notified().await;
    }

    /// Whether the connection on `socket` may be closed now: idle by its counts, and no request waiting
    /// unread. If not, it counts as just used.
    pub fn may_close(&self, socket: RawFd) -> bool {
        if self.idle_since().is_some() && !bytes_waiting(socket) {
            return true;
        }
        self.mark_used();
        false
    }

    /// Since when (microseconds after the bound started) the connection has been idle; None while it is
    /// answering or before its first answer.
    fn idle_since(&self) -> Option<u64> {
        let since = self.last_answer_ended.load(Relaxed);
        (self.answering.load(Relaxed) == 0 && since > 0).then_some(since)
    }

    fn mark_used(&self) {
        let now = micros_since(self.started);
        self.last_answer_ended.store(now.saturating_add(1), Relaxed);
    }
}

impl Answering {
    /// Whether the response being made should say `Connection: close`.
    pub fn connection_ending(&self) -> bool {
        self.0.client_waiting.load(Relaxed)
    }
}

impl Drop for Answering {
    fn drop(&mut self) {
        self.0.mark_used();
        self.0.answering.fetch_sub(1, Relaxed);
    }
}

fn micros_since(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// Whether the client has sent bytes the gateway has not read yet (a closed socket counts as none).
fn bytes_waiting(socket: RawFd) -> bool {
    let mut byte = 0u8;
    // SAFETY: a non-blocking peek of one byte into a local; the caller owns the open socket.
    let peeked = unsafe {
        libc::recv(
            socket,
            (&raw mut byte).cast(),
            1,
            libc::MSG_PEEK | libc::MSG_DONTWAIT,
        )
    };
    peeked > 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsRawFd;

    #[test]
    fn a_socket_with_unread_bytes_is_not_idle() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        assert!(!bytes_waiting(server.as_raw_fd()));
        client.write_all(b"GET / HTTP/1.1\r\n").unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while !bytes_waiting(server.as_raw_fd()) {
            assert!(
                std::time::Instant::now() < deadline,
                "the bytes never arrived"
            );
            std::thread::yield_now();
        }
    }

    /// Whether the bound asked this connection to close, within a moment.
    async fn asked(admitted: &Admitted) -> bool {
        tokio::time::timeout(
            Duration::from_millis(50),
            admitted.activity.asked_to_close(),
        )
        .await
        .is_ok()
    }

    /// Lets the connections answered so far count as idle long enough.
    async fn wait_idle_long_enough() {
        tokio::time::sleep(IDLE_LONG_ENOUGH + Duration::from_millis(50)).await;
    }

    fn waiting_client(bound: &Arc<Bound>) -> tokio::task::JoinHandle<Admitted> {
        let bound = bound.clone();
        tokio::spawn(async move { bound.admit().await })
    }

    #[tokio::test]
    async fn at_the_bound_the_connection_idle_longest_makes_room_and_never_a_fresh_or_busy_one() {
        let bound = Bound::new(3);
        let fresh = bound.admit().await;
        let older = bound.admit().await;
        let newer = bound.admit().await;
        drop(older.activity.start_answer());
        drop(newer.activity.start_answer());
        wait_idle_long_enough().await;
        let _busy = newer.activity.start_answer();

        let waiting = waiting_client(&bound);
        assert!(asked(&older).await);
        assert!(
            !asked(&fresh).await,
            "a connection before its first request"
        );
        assert!(!asked(&newer).await, "a connection answering");
        drop(older);
        tokio::time::timeout(Duration::from_secs(1), waiting)
            .await
            .expect("the waiting client gets the freed slot")
            .unwrap();
    }

    #[tokio::test]
    async fn a_connection_with_a_request_waiting_declines_and_the_next_idle_one_is_asked() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        client.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
        while !bytes_waiting(server.as_raw_fd()) {
            tokio::task::yield_now().await;
        }

        let bound = Bound::new(2);
        let older = bound.admit().await;
        let newer = bound.admit().await;
        drop(older.activity.start_answer());
        tokio::time::sleep(Duration::from_millis(2)).await;
        drop(newer.activity.start_answer());
        wait_idle_long_enough().await;
        bound.ask_longest_idle_to_close();
        assert!(asked(&older).await);
        assert!(!older.activity.may_close(server.as_raw_fd()));
        bound.ask_longest_idle_to_close();
        assert!(asked(&newer).await);
        assert!(!asked(&older).await);
    }

    #[tokio::test]
    async fn while_a_client_waits_every_response_ends_its_connection() {
        let bound = Bound::new(2);
        let answering = bound.admit().await;
        let just_idle = bound.admit().await;
        let answer = answering.activity.start_answer();
        drop(just_idle.activity.start_answer());
        let before = just_idle.activity.start_answer();
        assert!(!before.connection_ending());
        drop(before);

        let waiting = waiting_client(&bound);
        tokio::task::yield_now().await;
        assert!(answer.connection_ending());
        assert!(just_idle.activity.start_answer().connection_ending());
        assert!(
            !asked(&answering).await && !asked(&just_idle).await,
            "neither is idle long enough to be closed"
        );
        drop((answer, answering));
        tokio::time::timeout(Duration::from_secs(1), waiting)
            .await
            .expect("the waiting client gets the freed slot")
            .unwrap();
        assert!(!just_idle.activity.start_answer().connection_ending());
    }
}
