//! Phases `cache_lookup` and `cache_store`: the stage cache around the
//! integration (`dataplane::caching` holds the keys and the rules).

use http::Response;

use super::exchange::{Exchange, Pending, Route};
use super::Gateway;
use crate::cache::CachePolicy;
use crate::dataplane::authorize::may_invalidate_cache;
use crate::dataplane::body::{drain, Body, RequestBody};
use crate::dataplane::caching::{self, Lookup};
use crate::dataplane::error::RequestError;

/// What the lookup found.
pub(super) enum Cached {
    /// Serve this (the request body, unread, was drained).
    Hit(Response<Body>),
    /// Call the integration; offer its answer to the cache if `Some`.
    Miss(Option<Miss>),
}

/// Where a fresh answer goes: the method's policy, its key, and whether it
/// carries the unauthorized-invalidation warning.
pub(super) struct Miss {
    policy: CachePolicy,
    key: String,
    warn: bool,
}

impl Gateway {
    /// Looks the request up when the stage caches the method; a
    /// `max-age=0` asks the verified caller's rights to invalidate.
    pub(super) async fn cache_lookup<B: RequestBody>(
        &self,
        ex: &mut Exchange<'_, B>,
        route: &Route,
    ) -> Result<Cached, RequestError> {
        let stage = &route.stage;
        let Some(policy) = stage.cache_policy(&route.method_key, &ex.ctx.method) else {
            return Ok(Cached::Miss(None));
        };
        let ctx = &ex.ctx;
        let key = caching::key(ctx, &route.method, &stage.api.api_id, &stage.cache_scope);
        let region = &self.services.region;
        let caller = ex.caller.as_deref();
        let may_invalidate = || caller.is_some_and(|i| may_invalidate_cache(i, ctx, stage, region));
        match caching::lookup(
            self.services.cache.as_ref(),
            &policy,
            ctx,
            key,
            &may_invalidate,
        )? {
            Lookup::Hit(response) => {
                if let Pending::Unread(incoming) = ex.body.take() {
                    drain(incoming).await;
                }
                Ok(Cached::Hit(response))
            }
            Lookup::Miss { key, warn } => Ok(Cached::Miss(Some(Miss { policy, key, warn }))),
        }
    }

    /// Keeps a successful answer under the key the lookup chose.
    pub(super) async fn cache_store(
        &self,
        miss: Option<Miss>,
        response: Response<Body>,
    ) -> Result<Response<Body>, RequestError> {
        match miss {
            None => Ok(response),
            Some(Miss { policy, key, warn }) => {
                caching::store(self.services.cache.as_ref(), &policy, key, warn, response).await
            }
        }
    }
}
