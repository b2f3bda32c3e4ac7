//! The stage cache in a cluster: entries are filled where they are used and
//! sent to the peers of this node's region; invalidations and flushes reach
//! every peer of the region too (best effort, like gossip: a peer that misses
//! a fill just misses a hit; a missed invalidation is bounded by the TTL).

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use apigw_cluster::Gossip;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use serde::{Deserialize, Serialize};

use crate::cache::{CachedResponse, LocalCache, ResponseCache};

/// What a node tells its region's peers.
#[derive(Debug, Serialize, Deserialize)]
enum CacheMessage {
    Put {
        key: String,
        status: u16,
        headers: Vec<(String, Vec<u8>)>,
        body: Vec<u8>,
        ttl_ms: u64,
    },
    Invalidate {
        key: String,
    },
    Flush {
        api: String,
        stage: String,
    },
}

/// A local cache whose changes are replicated to the region's peers.
pub struct ReplicatedCache {
    local: Arc<LocalCache>,
    gossip: Arc<Gossip>,
}

impl ReplicatedCache {
    /// Wraps `local` and starts applying what peers send.
    pub fn new(local: Arc<LocalCache>, gossip: Arc<Gossip>) -> ReplicatedCache {
        let receiver = local.clone();
        gossip.set_app_handler(Arc::new(move |from, bytes| {
            match bincode::serde::decode_from_slice::<CacheMessage, _>(&bytes, bincode::config::standard()) {
                Ok((message, _)) => apply(&receiver, message),
                Err(e) => tracing::warn!(target: "apigw::cluster", peer = from, error = %e, "unreadable cache message"),
            }
        }));
        ReplicatedCache { local, gossip }
    }

    fn send(&self, message: &CacheMessage) {
        if let Ok(bytes) = bincode::serde::encode_to_vec(message, bincode::config::standard()) {
            self.gossip.broadcast_to_region(bytes);
        }
    }
}

fn apply(local: &LocalCache, message: CacheMessage) {
    match message {
        CacheMessage::Put {
            key,
            status,
            headers,
            body,
            ttl_ms,
        } => {
            let mut map = HeaderMap::new();
            for (name, value) in headers {
                if let (Ok(n), Ok(v)) = (
                    HeaderName::from_bytes(name.as_bytes()),
                    HeaderValue::from_bytes(&value),
                ) {
                    map.append(n, v);
                }
            }
            local.put(
                key,
                CachedResponse {
                    status: StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
                    headers: map,
                    body: Bytes::from(body),
                    expires: Instant::now() + Duration::from_millis(ttl_ms),
                },
            );
        }
        CacheMessage::Invalidate { key } => local.invalidate(&key),
        CacheMessage::Flush { api, stage } => local.flush_stage(&api, &stage),
    }
}

impl ResponseCache for ReplicatedCache {
    fn get(&self, key: &str) -> Option<Arc<CachedResponse>> {
        self.local.get(key)
    }

    fn put(&self, key: String, response: CachedResponse) {
        let message = CacheMessage::Put {
            key: key.clone(),
            status: response.status.as_u16(),
            headers: response
                .headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
                .collect(),
            body: response.body.to_vec(),
            ttl_ms: response
                .expires
                .saturating_duration_since(Instant::now())
                .as_millis() as u64,
        };
        self.local.put(key, response);
        self.send(&message);
    }

    fn invalidate(&self, key: &str) {
        self.local.invalidate(key);
        self.send(&CacheMessage::Invalidate {
            key: key.to_string(),
        });
    }

    fn flush_stage(&self, api_id: &str, stage: &str) {
        self.local.flush_stage(api_id, stage);
        self.send(&CacheMessage::Flush {
            api: api_id.to_string(),
            stage: stage.to_string(),
        });
    }

    fn prometheus(&self) -> String {
        self.local.prometheus()
    }
}
