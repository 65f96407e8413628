//! The bound on client connections (`ORCH_GATEWAY_MAX_CONNECTIONS`). At the bound the gateway stops
//! accepting: the next client waits accepted, the ones after it in the kernel's accept queue (refused once
//! that is full), and room is made for the waiting one by closing one idle keep-alive connection at a time.
//!
//! Only a truly idle connection is closed: one that has answered a request (a client that has just
//! connected is about to send its first, and no HTTP client retries a request its fresh connection lost),
//! is answering none (its response body finished), and has no byte of a next request waiting in its socket
//! (on a starved CPU a request can arrive well before the connection's task runs again; closing then would
//! lose it). Of those, the one idle longest goes first: clients reuse their most recently used connection,
//! so it is the least likely to be taken at that moment. What remains is the race HTTP/1.1 allows for, a
//! client sending on the connection as it closes, which clients retry for idempotent requests on reused
//! connections. A connection that never sends a request holds its slot until hyper's header read timeout
//! (30 s), which is also how long an idle keep-alive connection stays open when nobody waits.

use std::collections::HashMap;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

/// While a client waits and no connection is truly idle, how often to look again.
const LOOK_AGAIN: Duration = Duration::from_millis(10);

/// Orders the ends of answers across all connections; a connection's latest end is its place in the queue
/// for closing. A count instead of a clock: nothing per request needs the time.
static ANSWERS_ENDED: AtomicU64 = AtomicU64::new(0);

pub struct Bound {
    slots: Arc<Semaphore>,
    open: Mutex<HashMap<u64, Arc<Activity>>>,
    next_id: AtomicU64,
}

/// What the bound knows of one client connection; the connection's own task keeps it current.
pub struct Activity {
    /// Answers whose response body is not finished yet.
    answering: AtomicUsize,
    /// When the latest answer ended, in [`ANSWERS_ENDED`] order; 0 before the first.
    last_answer_ended: AtomicU64,
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
        })
    }

    /// A slot for a client just accepted; at the bound, waits until closing an idle connection freed one.
    pub async fn admit(self: &Arc<Self>) -> Admitted {
        let slot = match self.slots.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => self.make_room().await,
        };
        let id = self.next_id.fetch_add(1, Relaxed);
        let activity = Arc::new(Activity {
            answering: AtomicUsize::new(0),
            last_answer_ended: AtomicU64::new(0),
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

    /// The connection decides itself, since only its task may look at its socket; one that turns out
    /// not to be idle moves to the back of the queue.
    fn ask_longest_idle_to_close(&self) {
        let open = self.lock_open();
        let longest_idle = open
            .values()
            .filter(|activity| activity.seems_idle())
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
    /// unread. If not, it goes to the back of the queue for closing.
    pub fn may_close(&self, socket: RawFd) -> bool {
        if self.seems_idle() && !bytes_waiting(socket) {
            return true;
        }
        self.last_answer_ended
            .store(ANSWERS_ENDED.fetch_add(1, Relaxed) + 1, Relaxed);
        false
    }

    fn seems_idle(&self) -> bool {
        self.answering.load(Relaxed) == 0 && self.last_answer_ended.load(Relaxed) > 0
    }
}

impl Drop for Answering {
    fn drop(&mut self) {
        let activity = &self.0;
        activity
            .last_answer_ended
            .store(ANSWERS_ENDED.fetch_add(1, Relaxed) + 1, Relaxed);
        activity.answering.fetch_sub(1, Relaxed);
    }
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

    #[tokio::test]
    async fn at_the_bound_the_connection_idle_longest_makes_room_and_never_a_fresh_or_busy_one() {
        let bound = Bound::new(3);
        let fresh = bound.admit().await;
        let older = bound.admit().await;
        let newer = bound.admit().await;
        drop(older.activity.start_answer());
        drop(newer.activity.start_answer());
        let _busy = newer.activity.start_answer();

        let waiting = tokio::spawn({
            let bound = bound.clone();
            async move { bound.admit().await }
        });
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
        drop(newer.activity.start_answer());
        bound.ask_longest_idle_to_close();
        assert!(asked(&older).await);
        assert!(!older.activity.may_close(server.as_raw_fd()));
        bound.ask_longest_idle_to_close();
        assert!(asked(&newer).await);
        assert!(!asked(&older).await);
    }
}
