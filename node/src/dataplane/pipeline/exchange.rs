//! What the phases pass on: one [`Exchange`] per request (the request
//! context plus the pipeline's own state), the [`Route`] the route phase
//! found, and the in-flight count a request holds while it lives.

use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;
use http::Request;

use crate::dataplane::cluster_view::ClusterView;
use crate::dataplane::context::RequestContext;
use crate::policy::Identity;
use crate::snapshot::{CompiledMethod, StageView};

/// How a request reached this node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Via {
    Client,
    /// From an edge node: served here, never forwarded again.
    Edge,
}

/// The request body: still on the wire, already read (AWS_IAM reads it to
/// check the signature), or handed to a phase that took it.
pub(super) enum Pending<B> {
    Unread(B),
    Read(Bytes),
    Taken,
}

impl<B> Pending<B> {
    /// The body, leaving [`Pending::Taken`] in its place.
    pub(super) fn take(&mut self) -> Pending<B> {
        std::mem::replace(self, Pending::Taken)
    }
}

/// One request as the phases pass it on.
pub(super) struct Exchange<'g, B> {
    /// What mapping templates, gateway responses and the access log read.
    pub(super) ctx: RequestContext,
    pub(super) via: Via,
    pub(super) body: Pending<B>,
    /// The verified AWS_IAM caller's rights (asked again by the cache for
    /// `max-age=0`).
    pub(super) caller: Option<Cow<'g, Identity>>,
    /// The usage plan key a Lambda authorizer named.
    pub(super) usage_key: Option<String>,
}

impl<B> Exchange<'_, B> {
    /// The exchange of a request that has just arrived.
    pub(super) fn new(
        request: Request<B>,
        client: IpAddr,
        via: Via,
        request_id: Option<String>,
    ) -> Self {
        let (parts, body) = request.into_parts();
        let mut ctx = RequestContext::new(
            client,
            parts.method,
            &parts.uri,
            parts.headers,
            parts.version,
        );
        ctx.tls = parts
            .extensions
            .get::<Arc<apigw_tls::ConnectionInfo>>()
            .cloned();
        ctx.extensions = parts.extensions;
        if let Some(id) = request_id {
            ctx.request_id = id;
        }
        Exchange {
            ctx,
            via,
            body: Pending::Unread(body),
            caller: None,
            usage_key: None,
        }
    }
}

/// What the route phase found: the stage, the method, and the method's key
/// (`{resource}/{VERB}`) for throttles and the cache.
pub(super) struct Route {
    pub(super) stage: Arc<StageView>,
    pub(super) method: Arc<CompiledMethod>,
    pub(super) method_key: String,
}

/// Counts a request in flight on this node while it lives (gossiped as
/// the node's load).
pub(super) struct InFlight<'a>(Option<&'a apigw_cluster::Gossip>);

impl<'a> InFlight<'a> {
    pub(super) fn enter(cluster: Option<&'a Arc<ClusterView>>) -> InFlight<'a> {
        let gossip = cluster.map(|c| c.gossip.as_ref());
        if let Some(g) = gossip {
            g.load.fetch_add(1, Ordering::Relaxed);
        }
        InFlight(gossip)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if let Some(g) = self.0 {
            g.load.fetch_sub(1, Ordering::Relaxed);
        }
    }
}
