//! Edge routing: an edge node sends requests for EDGE APIs to a regional
//! node of the nearest healthy region, over the cluster's QUIC link, bodies
//! streamed both ways and the client's address kept; and the regional side
//! that serves what edges forward.
//!
//! A region is healthy while one of its regional nodes is heard by gossip
//! and was not seen failing since (the breaker of [`super::edge_failover`],
//! which also races, retries and hedges the attempts of one request).
//! Regions come from gossip (every node tells its region, role, load and,
//! by its round trips, RTT); coordinates from the catalog; the client's
//! location from the geo database, else this edge's own region. A regional
//! node tells how long it served a request (`x-apigw-served-us`, taken off
//! by the edge), so the edge learns the network RTT from forwards too.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apigw_cluster::PeerStatus;
use tokio::time::Instant;

use apigw_geo::{Chooser, GeoDb, RegionState};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Response, StatusCode};
use serde::{Deserialize, Serialize};

use super::body::{Body, RequestBody};
use super::cluster_view::ClusterView;
use super::context::RequestContext;
pub use super::edge_failover::Target;
use super::edge_failover::{AttemptError, AttemptFuture, Failover, FailoverOptions, Retry};
use super::error::RequestError;
use super::quic_body::{pump, QuicBody};

/// The reply header a regional node tells its serving time in (µs).
pub const SERVED_HEADER: &str = "x-apigw-served-us";

/// The head of a forwarded request.
#[derive(Debug, Serialize, Deserialize)]
pub struct ForwardHead {
    pub method: String,
    /// Path and query, as the client sent them.
    pub uri: String,
    pub headers: Vec<(String, Vec<u8>)>,
    pub client_ip: IpAddr,
    /// The edge's request id, kept so logs on both nodes match.
    pub request_id: String,
}

impl ForwardHead {
    /// The head as it goes on the stream (bincode).
    pub fn encode(&self) -> Result<Vec<u8>, String> {
        encode(self)
    }
}

/// The head of a forwarded request's answer.
#[derive(Debug, Serialize, Deserialize)]
pub struct ReplyHead {
    pub status: u16,
    pub headers: Vec<(String, Vec<u8>)>,
}

impl ReplyHead {
    /// The head as it goes on the stream (bincode).
    pub fn encode(&self) -> Result<Vec<u8>, String> {
        encode(self)
    }

    /// Reads a head written by [`ReplyHead::encode`].
    pub fn decode(bytes: &[u8]) -> Result<ReplyHead, String> {
        decode(bytes)
    }
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, String> {
    bincode::serde::encode_to_vec(value, bincode::config::standard()).map_err(|e| e.to_string())
}

fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, String> {
    bincode::serde::decode_from_slice(bytes, bincode::config::standard())
        .map(|(v, _)| v)
        .map_err(|e| e.to_string())
}

fn header_list(headers: &HeaderMap) -> Vec<(String, Vec<u8>)> {
    headers
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.as_bytes().to_vec()))
        .collect()
}

fn header_map(list: Vec<(String, Vec<u8>)>) -> HeaderMap {
    let mut map = HeaderMap::with_capacity(list.len());
    for (k, v) in list {
        if let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_bytes(&v),
        ) {
            map.append(k, v);
        }
    }
    map
}

/// The serving-time header of a reply, for [`take_served`].
pub fn served_header(took: Duration) -> (String, Vec<u8>) {
    (
        SERVED_HEADER.to_string(),
        took.as_micros().to_string().into_bytes(),
    )
}

/// Hop-by-hop headers are not forwarded.
fn is_hop_by_hop(name: &str) -> bool {
    matches!(
        name,
        "connection" | "keep-alive" | "transfer-encoding" | "upgrade" | "te" | "trailer"
    )
}

/// The regional nodes to try for a client at `(lat, lon)`, best first:
/// the chooser's regions in order, each region's nodes least loaded first.
/// A node is left out while down, or when it failed a forward (`failed_ago`:
/// how long ago) and has not been heard from since. The flag tells whether
/// the client's group moved region.
pub fn plan(
    peers: Vec<PeerStatus>,
    failed_ago: impl Fn(u64) -> Option<Duration>,
    chooser: &Chooser,
    lat: f64,
    lon: f64,
) -> (Vec<Target>, bool) {
    // Ordered maps: the chooser sees the regions in the same order on
    // every run, so a simulation with one seed replays exactly.
    let mut by_region: BTreeMap<String, Vec<(u64, SocketAddr, u64)>> = BTreeMap::new();
    let mut rtts: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for peer in peers {
        let heard_since_failure = match (failed_ago(peer.id), peer.last_seen_ms) {
            (Some(ago), Some(seen)) => ago > Duration::from_millis(seen),
            (Some(_), None) => false,
            (None, _) => true,
        };
        if peer.up && heard_since_failure && peer.role.as_deref() == Some("regional") {
            if let Some(rtt) = peer.rtt_ms {
                rtts.entry(peer.region.clone()).or_default().push(rtt);
            }
            by_region
                .entry(peer.region)
                .or_default()
                .push((peer.id, peer.addr, peer.load));
        }
    }
    let states: Vec<RegionState> = by_region
        .iter()
        .map(|(name, nodes)| RegionState {
            name: name.clone(),
            healthy: true,
            load: nodes.iter().map(|n| n.2 as f64).sum::<f64>() / nodes.len() as f64,
            // The region's best node: it is the one tried first.
            rtt_ms: rtts
                .get(name)
                .and_then(|r| r.iter().copied().reduce(f64::min)),
        })
        .collect();
    let Some(choice) = chooser.choose(lat, lon, &states) else {
        return (Vec::new(), false);
    };
    let mut targets = Vec::new();
    for region in choice.order {
        let mut nodes = by_region.remove(&region).unwrap_or_default();
        nodes.sort_by_key(|n| (n.2, n.0));
        targets.extend(nodes.into_iter().map(|(node, addr, _)| Target {
            node,
            addr,
            region: region.clone(),
        }));
    }
    (targets, choice.switched)
}

/// Counters of the edge, for `/metrics`.
#[derive(Default)]
pub struct EdgeMetrics {
    pub forwarded: AtomicU64,
    pub retried: AtomicU64,
    pub failed: AtomicU64,
    pub switched: AtomicU64,
    pub served_locally: AtomicU64,
}

/// An edge node's router.
pub struct Edge {
    view: Arc<ClusterView>,
    chooser: Chooser,
    geo: Option<Arc<GeoDb>>,
    /// This edge's coordinates: where clients the database does not know are.
    home: (f64, f64),
    /// The breaker, answer times and hedging.
    pub failover: Failover,
    /// How long opening a stream to a regional node may take.
    pub connect_timeout: Duration,
    /// How long a regional node may take to start answering.
    pub answer_timeout: Duration,
    pub metrics: EdgeMetrics,
}

/// The head an edge sends before the body: the request as the client sent
/// it, hop-by-hop headers left out, with the client's address and request id.
fn forward_head(ctx: &RequestContext) -> ForwardHead {
    let uri = match &ctx.raw_query {
        Some(q) => format!("{}?{q}", ctx.raw_path),
        None => ctx.raw_path.clone(),
    };
    ForwardHead {
        method: ctx.method.as_str().to_string(),
        uri,
        headers: header_list(&ctx.headers)
            .into_iter()
            .filter(|(k, _)| !is_hop_by_hop(k))
            .collect(),
        client_ip: ctx.source_ip,
        request_id: ctx.request_id.clone(),
    }
}

impl Edge {
    pub fn new(view: Arc<ClusterView>, chooser: Chooser, geo: Option<Arc<GeoDb>>) -> Edge {
        let home = chooser
            .catalog()
            .get(&view.region)
            .or(chooser.catalog().regions.first())
            .map_or((0.0, 0.0), |r| (r.lat, r.lon));
        Edge {
            view,
            chooser,
            geo,
            home,
            failover: Failover::new(FailoverOptions::default()),
            connect_timeout: Duration::from_secs(1),
            answer_timeout: Duration::from_secs(120),
            metrics: EdgeMetrics::default(),
        }
    }

    /// Regional nodes to try for a client at `ip`, best first.
    fn targets(&self, ip: IpAddr) -> (Vec<Target>, bool) {
        let (lat, lon) = self
            .geo
            .as_ref()
            .and_then(|db| db.lookup(ip))
            .map_or(self.home, |l| (l.lat, l.lon));
        plan(
            self.view.gossip.peers(),
            self.failover.failed_ago(),
            &self.chooser,
            lat,
            lon,
        )
    }

    /// Forwards the request to the best region. `Ok(Err(body))` gives the
    /// body back when no region is healthy (the caller serves it itself).
    pub async fn forward<B: RequestBody>(
        &self,
        ctx: &RequestContext,
        body: B,
    ) -> Result<Result<Response<Body>, B>, RequestError> {
        let (targets, switched) = self.targets(ctx.source_ip);
        if targets.is_empty() {
            self.metrics.served_locally.fetch_add(1, Ordering::Relaxed);
            return Ok(Err(body));
        }
        if switched {
            self.metrics.switched.fetch_add(1, Ordering::Relaxed);
        }
        let head = encode(&forward_head(ctx)).map_err(RequestError::NoRegion)?;
        let empty = body.is_end_stream()
            || ctx
                .headers
                .get(http::header::CONTENT_LENGTH)
                .is_some_and(|v| v.as_bytes() == b"0");
        let retry = Retry::of(&ctx.method, empty);
        let body = Mutex::new(Some(body));
        let won = self
            .failover
            .race(&self.view.gossip, &targets, retry, |target| {
                self.attempt(target, &head, empty, &body)
            })
            .await;
        match won {
            Ok(won) => {
                if won.attempts > 1 {
                    self.metrics
                        .retried
                        .fetch_add(won.attempts as u64 - 1, Ordering::Relaxed);
                }
                self.metrics.forwarded.fetch_add(1, Ordering::Relaxed);
                let mut response = won.value;
                if let Some(served) = take_served(response.headers_mut()) {
                    let node = targets[won.target].node;
                    let network = won.took.saturating_sub(served);
                    self.view.gossip.observe_rtt(node, network);
                }
                Ok(Ok(response))
            }
            Err(e) => {
                self.metrics.failed.fetch_add(1, Ordering::Relaxed);
                Err(RequestError::NoRegion(e))
            }
        }
    }

    /// One attempt as the race runs it; a transport failure also drops the
    /// node's connections (the next call dials again).
    fn attempt<'a, B: RequestBody>(
        &'a self,
        target: &Target,
        head: &'a [u8],
        empty: bool,
        body: &'a Mutex<Option<B>>,
    ) -> AttemptFuture<'a, Response<Body>> {
        let target = target.clone();
        Box::pin(async move {
            let result = self.try_node(&target, head, empty, body).await;
            if let Err(e) = &result {
                let (AttemptError::Unreachable(why) | AttemptError::Failed(why)) = e;
                tracing::warn!(target: "apigw::edge", node = target.node, region = %target.region, error = %why, "forward to a regional node failed");
                self.view.transport.disconnect(target.node);
            }
            result
        })
    }

    /// One attempt on one regional node: open a stream, send the body (taken
    /// from `body` by the first attempt that gets this far), read the answer's
    /// head; the answer's body streams on from the node.
    async fn try_node<B: RequestBody>(
        &self,
        target: &Target,
        head: &[u8],
        empty: bool,
        body: &Mutex<Option<B>>,
    ) -> Result<Response<Body>, AttemptError> {
        let (mut send, mut recv) = self
            .view
            .transport
            .open_stream(
                target.node,
                target.addr,
                head.to_vec(),
                self.connect_timeout,
            )
            .await
            .map_err(|e| AttemptError::Unreachable(e.to_string()))?;
        let taken = body.lock().unwrap_or_else(|e| e.into_inner()).take();
        if empty {
            let _ = send.finish();
        } else if let Some(body) = taken {
            tokio::spawn(async move {
                if let Err(e) = pump(body, &mut send).await {
                    tracing::debug!(target: "apigw::edge", error = %e, "request body not forwarded whole");
                    let _ = send.reset(1u32.into());
                }
            });
        }
        let reply =
            match tokio::time::timeout(self.answer_timeout, apigw_cluster::read_head(&mut recv))
                .await
            {
                Ok(Ok(bytes)) => decode::<ReplyHead>(&bytes),
                Ok(Err(e)) => Err(e.to_string()),
                Err(_) => Err("no answer in time".to_string()),
            };
        let reply = reply.map_err(AttemptError::Failed)?;
        let mut response = Response::new(http_body_util::BodyExt::boxed(QuicBody::new(recv)));
        *response.status_mut() =
            StatusCode::from_u16(reply.status).unwrap_or(StatusCode::BAD_GATEWAY);
        *response.headers_mut() = header_map(reply.headers);
        Ok(response)
    }

    /// Prometheus text of the edge's counters.
    pub fn prometheus(&self) -> String {
        let m = &self.metrics;
        let mut out = String::new();
        for (name, help, v) in [
            (
                "apigw_edge_forwarded_total",
                "Requests an edge forwarded and got an answer for.",
                &m.forwarded,
            ),
            (
                "apigw_edge_retries_total",
                "Forwards tried again on another node.",
                &m.retried,
            ),
            (
                "apigw_edge_failed_total",
                "Requests no region answered.",
                &m.failed,
            ),
            (
                "apigw_edge_region_switches_total",
                "Times a client group moved region.",
                &m.switched,
            ),
            (
                "apigw_edge_served_locally_total",
                "Requests an edge served itself (no healthy region).",
                &m.served_locally,
            ),
        ] {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}\n",
                v.load(Ordering::Relaxed)
            ));
        }
        out.push_str(&self.failover.prometheus());
        out
    }
}

/// Takes the serving time a regional node told off the answer's headers.
pub fn take_served(headers: &mut HeaderMap) -> Option<Duration> {
    let value = headers.remove(SERVED_HEADER)?;
    let us: u64 = value.to_str().ok()?.parse().ok()?;
    Some(Duration::from_micros(us))
}

/// What serves forwarded requests on a regional node.
pub trait ForwardedHandler: Send + Sync + 'static {
    fn serve(
        &self,
        request: http::Request<QuicBody>,
        client_ip: IpAddr,
        request_id: String,
    ) -> impl std::future::Future<Output = Response<Body>> + Send;
}

/// Serves one forwarded stream with `handler`.
pub async fn serve_stream<H: ForwardedHandler>(
    handler: Arc<H>,
    from: u64,
    head: Vec<u8>,
    mut send: quinn::SendStream,
    recv: quinn::RecvStream,
) {
    let head: ForwardHead = match decode(&head) {
        Ok(h) => h,
        Err(e) => {
            tracing::warn!(target: "apigw::edge", from, error = %e, "unreadable forwarded request");
            let _ = send.reset(1u32.into());
            return;
        }
    };
    let mut request = http::Request::new(QuicBody::new(recv));
    *request.method_mut() = Method::from_bytes(head.method.as_bytes()).unwrap_or(Method::GET);
    *request.uri_mut() = head
        .uri
        .parse()
        .unwrap_or_else(|_| http::Uri::from_static("/"));
    *request.headers_mut() = header_map(head.headers);
    let began = Instant::now();
    let response = handler
        .serve(request, head.client_ip, head.request_id)
        .await;
    let (parts, body) = response.into_parts();
    let mut headers: Vec<(String, Vec<u8>)> = header_list(&parts.headers)
        .into_iter()
        .filter(|(k, _)| !is_hop_by_hop(k) && k != SERVED_HEADER)
        .collect();
    headers.push(served_header(began.elapsed()));
    let reply = ReplyHead {
        status: parts.status.as_u16(),
        headers,
    };
    let Ok(reply) = encode(&reply) else {
        let _ = send.reset(1u32.into());
        return;
    };
    if apigw_cluster::write_head(&mut send, &reply).await.is_err() {
        return;
    }
    if let Err(e) = pump(body, &mut send).await {
        tracing::debug!(target: "apigw::edge", from, error = %e, "forwarded answer cut short");
        let _ = send.reset(1u32.into());
    }
}
