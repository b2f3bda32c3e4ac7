//! The stage cache: integration responses kept for a TTL, keyed by stage,
//! method, path and the method's cache key parameters, behind the
//! [`ResponseCache`] interface a cluster replicates.
//!
//! The local implementation is a size-bounded cache (quick_cache) weighed in
//! bytes; entries past their TTL are treated as absent. Expiry reads tokio's
//! clock (the system's, except under a simulation, which drives it).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};

/// Responses larger than this are not cached (AWS: 1 MB).
pub const MAX_CACHED_BODY: usize = 1024 * 1024;

/// A cached method response.
#[derive(Debug, Clone)]
pub struct CachedResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub expires: Instant,
}

/// Where cached responses live: this node, or shared by a cluster.
pub trait ResponseCache: Send + Sync {
    fn get(&self, key: &str) -> Option<Arc<CachedResponse>>;
    fn put(&self, key: String, response: CachedResponse);
    fn invalidate(&self, key: &str);
    /// Drops every entry of a stage (keys start with `{api}/{stage}/`).
    fn flush_stage(&self, api_id: &str, stage: &str);
    /// Prometheus text for the cache's counters.
    fn prometheus(&self) -> String {
        String::new()
    }
}

#[derive(Clone)]
struct BytesWeighter;

impl quick_cache::Weighter<String, Arc<CachedResponse>> for BytesWeighter {
    fn weight(&self, key: &String, value: &Arc<CachedResponse>) -> u64 {
        (key.len() + value.body.len() + 64 * value.headers.len() + 64) as u64
    }
}

/// A cache in this process, bounded in bytes.
pub struct LocalCache {
    entries: quick_cache::sync::Cache<String, Arc<CachedResponse>, BytesWeighter>,
    pub hits: AtomicU64,
    pub misses: AtomicU64,
}

impl LocalCache {
    pub fn new(capacity_bytes: u64) -> LocalCache {
        LocalCache {
            entries: quick_cache::sync::Cache::with_weighter(
                1024,
                capacity_bytes.max(1),
                BytesWeighter,
            ),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    fn metrics_text(&self) -> String {
        format!(
            "# HELP apigw_cache_hits_total Stage cache hits.\n# TYPE apigw_cache_hits_total counter\napigw_cache_hits_total {}\n\
             # HELP apigw_cache_misses_total Stage cache misses.\n# TYPE apigw_cache_misses_total counter\napigw_cache_misses_total {}\n\
             # HELP apigw_cache_bytes Bytes held by the stage cache.\n# TYPE apigw_cache_bytes gauge\napigw_cache_bytes {}\n",
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
            self.entries.weight()
        )
    }
}

impl ResponseCache for LocalCache {
    fn get(&self, key: &str) -> Option<Arc<CachedResponse>> {
        let found = self.entries.get(key).filter(|e| e.expires > Instant::now());
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    fn put(&self, key: String, response: CachedResponse) {
        if response.body.len() <= MAX_CACHED_BODY {
            self.entries.insert(key, Arc::new(response));
        }
    }

    fn invalidate(&self, key: &str) {
        self.entries.remove(key);
    }

    fn flush_stage(&self, api_id: &str, stage: &str) {
        let prefix = format!("{api_id}/{stage}/");
        self.entries.retain(|k, _| !k.starts_with(&prefix));
    }

    fn prometheus(&self) -> String {
        self.metrics_text()
    }
}

/// How a stage caches one method.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CachePolicy {
    pub ttl: Duration,
    /// `Cache-Control: max-age=0` needs authorization to refresh the entry.
    pub require_authorization: bool,
    pub unauthorized: UnauthorizedStrategy,
}

/// What to do with an unauthorized `Cache-Control: max-age=0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnauthorizedStrategy {
    FailWith403,
    #[default]
    SucceedWithResponseHeader,
    SucceedWithoutResponseHeader,
}

impl UnauthorizedStrategy {
    pub fn parse(value: &str) -> Option<UnauthorizedStrategy> {
        match value {
            "FAIL_WITH_403" => Some(UnauthorizedStrategy::FailWith403),
            "SUCCEED_WITH_RESPONSE_HEADER" => Some(UnauthorizedStrategy::SucceedWithResponseHeader),
            "SUCCEED_WITHOUT_RESPONSE_HEADER" => {
                Some(UnauthorizedStrategy::SucceedWithoutResponseHeader)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(body: &'static [u8], ttl: Duration) -> CachedResponse {
        CachedResponse {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: Bytes::from_static(body),
            expires: Instant::now() + ttl,
        }
    }

    #[test]
    fn entries_expire_flush_and_respect_the_size_bound() {
        let cache = LocalCache::new(10_000);
        cache.put(
            "a/prod/GET /x".into(),
            response(b"x", Duration::from_secs(60)),
        );
        cache.put(
            "a/dev/GET /x".into(),
            response(b"y", Duration::from_secs(60)),
        );
        cache.put("a/prod/GET /old".into(), response(b"z", Duration::ZERO));
        assert!(cache.get("a/prod/GET /x").is_some());
        assert!(cache.get("a/prod/GET /old").is_none(), "expired");
        cache.flush_stage("a", "prod");
        assert!(cache.get("a/prod/GET /x").is_none());
        assert!(
            cache.get("a/dev/GET /x").is_some(),
            "other stages keep theirs"
        );
        let big = vec![0u8; MAX_CACHED_BODY + 1];
        cache.put(
            "a/dev/GET /big".into(),
            CachedResponse {
                body: Bytes::from(big),
                ..response(b"", Duration::from_secs(60))
            },
        );
        assert!(
            cache.get("a/dev/GET /big").is_none(),
            "over 1 MB is not cached"
        );
        for i in 0..1000 {
            cache.put(
                format!("a/dev/GET /{i}"),
                response(b"0123456789", Duration::from_secs(60)),
            );
        }
        assert!(cache.entries.weight() <= 10_000, "bounded in bytes");
    }
}
