//! The WebSocket connections open on this node, by connection id: what
//! `@connections` reads (connected at, last active, identity) and the
//! bounded queue a frame for the client goes into. A connection is in the
//! registry from its 101 until it closes; the cap on open connections is
//! checked before the 101.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use tokio::sync::mpsc;

/// A frame for the client, or the order to close.
#[derive(Debug)]
pub enum Outgoing {
    Text(String),
    Binary(Bytes),
    /// Close with this code and reason.
    Close(u16, String),
}

/// One open connection.
#[derive(Debug)]
pub struct Connection {
    pub id: String,
    pub api_id: String,
    pub stage: String,
    /// Milliseconds since the epoch.
    pub connected_at: u64,
    last_active: AtomicU64,
    pub source_ip: IpAddr,
    pub user_agent: Option<String>,
    outbox: mpsc::Sender<Outgoing>,
}

/// Why a frame could not be queued.
#[derive(Debug, PartialEq, Eq)]
pub enum SendRefused {
    /// The client reads too slowly: its queue is full.
    Full,
    /// The connection is closing or gone.
    Gone,
}

impl Connection {
    pub fn new(
        id: String,
        api_id: &str,
        stage: &str,
        source_ip: IpAddr,
        user_agent: Option<String>,
        outbox: mpsc::Sender<Outgoing>,
    ) -> Connection {
        let now = now_ms();
        Connection {
            id,
            api_id: api_id.to_string(),
            stage: stage.to_string(),
            connected_at: now,
            last_active: AtomicU64::new(now),
            source_ip,
            user_agent,
            outbox,
        }
    }

    /// Queues `frame` without waiting.
    pub fn send(&self, frame: Outgoing) -> Result<(), SendRefused> {
        self.outbox.try_send(frame).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => SendRefused::Full,
            mpsc::error::TrySendError::Closed(_) => SendRefused::Gone,
        })
    }

    /// Notes activity from the client.
    pub fn touch(&self) {
        self.last_active.store(now_ms(), Ordering::Relaxed);
    }

    /// When the client last sent something (ms since the epoch).
    pub fn last_active(&self) -> u64 {
        self.last_active.load(Ordering::Relaxed)
    }
}

/// The node's open connections.
#[derive(Debug)]
pub struct Registry {
    open: Mutex<HashMap<String, Arc<Connection>>>,
    cap: usize,
}

impl Registry {
    pub fn new(cap: usize) -> Registry {
        Registry {
            open: Mutex::new(HashMap::new()),
            cap,
        }
    }

    /// Whether another connection may open.
    pub fn has_room(&self) -> bool {
        self.len() < self.cap
    }

    /// Adds `connection`; `false` when the node is at its cap.
    pub fn insert(&self, connection: Arc<Connection>) -> bool {
        let Ok(mut open) = self.open.lock() else {
            return false;
        };
        if open.len() >= self.cap {
            return false;
        }
        open.insert(connection.id.clone(), connection);
        true
    }

    pub fn get(&self, id: &str) -> Option<Arc<Connection>> {
        self.open.lock().ok()?.get(id).cloned()
    }

    pub fn remove(&self, id: &str) {
        if let Ok(mut open) = self.open.lock() {
            open.remove(id);
        }
    }

    /// Open connections.
    pub fn len(&self) -> usize {
        self.open.lock().map_or(0, |o| o.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A fresh connection id as AWS's look (`L0SM9cOFvHcCIhw=`): fifteen
/// letters and digits and `=`, safe in a URL path unescaped; the last four
/// before `=` name the node that holds it (`owner`).
pub fn new_connection_id(owner: u64) -> String {
    let mut id = random_text(11);
    id.push_str(&super::owner::encode_owner(owner));
    id.push('=');
    id
}

/// `len` random letters and digits.
pub fn random_text(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..len)
        .map(|_| char::from(ALPHABET[rand::random_range(0..ALPHABET.len())]))
        .collect()
}

/// Whether `id` could be a connection id (what `@connections` accepts
/// before looking it up).
pub fn valid_connection_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"=-_+".contains(&b))
}

/// Milliseconds since the epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queue_is_bounded_and_the_cap_holds() {
        let (tx, _rx) = mpsc::channel(1);
        let ip = IpAddr::from([127, 0, 0, 1]);
        let c = Arc::new(Connection::new(
            new_connection_id(3),
            "a",
            "s",
            ip,
            None,
            tx,
        ));
        assert!(valid_connection_id(&c.id));
        assert_eq!(c.send(Outgoing::Text("1".into())), Ok(()));
        assert_eq!(c.send(Outgoing::Text("2".into())), Err(SendRefused::Full));
        let registry = Registry::new(1);
        assert!(registry.insert(c.clone()));
        let (tx2, _rx2) = mpsc::channel(1);
        let other = Arc::new(Connection::new(
            new_connection_id(3),
            "a",
            "s",
            ip,
            None,
            tx2,
        ));
        assert!(!registry.insert(other));
        registry.remove(&c.id);
        assert!(registry.is_empty());
        assert!(!valid_connection_id("a/b"));
    }
}
