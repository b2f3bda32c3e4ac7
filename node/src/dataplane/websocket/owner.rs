//! Which node holds a connection, and `@connections` calls sent to it.
//!
//! A connection lives on the node that accepted it; its id carries that
//! node's id (the four characters before the final `=`, base 62), so any
//! node of the cluster can send an `@connections` call for it to its owner
//! over the cluster's QUIC transport (the same forwarded-request streams
//! edges use), signature headers and body as the client sent them. The
//! owner answers as if the call had come to it (it never forwards again).
//! An owner that is down, unknown or silent past the deadline means the
//! connection is gone: 410, never a hang (3 s at most).

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Response, StatusCode};

use crate::dataplane::body::Body;
use crate::dataplane::cluster_view::ClusterView;
use crate::dataplane::context::RequestContext;
use crate::dataplane::edge::{ForwardHead, ReplyHead};
use crate::dataplane::quic_body::QuicBody;

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// Node ids that fit in four base-62 characters; others are not encoded
/// (their connections are reachable on their own node only).
const MAX_ENCODED: u64 = 62 * 62 * 62 * 62;

/// How long opening the stream may take, and the whole call.
const CONNECT: Duration = Duration::from_secs(1);
const WHOLE: Duration = Duration::from_secs(3);

/// `owner` as the four characters a connection id ends with (before `=`).
pub fn encode_owner(owner: u64) -> String {
    let mut n = if owner < MAX_ENCODED { owner } else { 0 };
    let mut out = [b'0'; 4];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[usize::try_from(n % 62).unwrap_or(0)];
        n /= 62;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The node that holds connection `id` (0: a single node, or not encoded).
pub fn owner_of(id: &str) -> u64 {
    let body = id.strip_suffix('=').unwrap_or(id);
    let Some(tail) = body.len().checked_sub(4).and_then(|at| body.get(at..)) else {
        return 0;
    };
    tail.bytes()
        .try_fold(0u64, |n, b| {
            let digit = BASE62.iter().position(|c| *c == b)?;
            Some(n * 62 + u64::try_from(digit).ok()?)
        })
        .unwrap_or(0)
}

/// Sends the call to node `owner`; `None` when it cannot answer (down,
/// unknown, unreachable, silent for [`WHOLE`], or seen going down), which
/// the caller answers 410.
pub async fn forward(
    view: &ClusterView,
    owner: u64,
    ctx: &RequestContext,
    body: Bytes,
) -> Option<Response<Body>> {
    tokio::select! {
        answer = tokio::time::timeout(WHOLE, call(view, owner, ctx, body)) => answer.ok().flatten(),
        () = view.gossip.until_down(owner) => None,
    }
}

async fn call(
    view: &ClusterView,
    owner: u64,
    ctx: &RequestContext,
    body: Bytes,
) -> Option<Response<Body>> {
    let peer = view
        .gossip
        .peers()
        .into_iter()
        .find(|p| p.id == owner && p.up)?;
    let head = ForwardHead {
        method: ctx.method.as_str().to_string(),
        uri: match &ctx.raw_query {
            Some(q) => format!("{}?{q}", ctx.raw_path),
            None => ctx.raw_path.clone(),
        },
        headers: header_list(&ctx.headers),
        client_ip: ctx.source_ip,
        request_id: ctx.request_id.clone(),
    };
    let head = bincode::serde::encode_to_vec(&head, bincode::config::standard()).ok()?;
    let (mut send, mut recv) = view
        .transport
        .open_stream(owner, peer.addr, head, CONNECT)
        .await
        .ok()?;
    send.write_all(&body).await.ok()?;
    send.finish().ok()?;
    let reply = apigw_cluster::read_head(&mut recv).await.ok()?;
    let (reply, _): (ReplyHead, _) =
        bincode::serde::decode_from_slice(&reply, bincode::config::standard()).ok()?;
    let mut response = Response::new(http_body_util::BodyExt::boxed(QuicBody::new(recv)));
    *response.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::GONE);
    for (name, value) in reply.headers {
        let name = http::HeaderName::from_bytes(name.as_bytes());
        let value = http::HeaderValue::from_bytes(&value);
        if let (Ok(name), Ok(value)) = (name, value) {
            response.headers_mut().append(name, value);
        }
    }
    Some(response)
}

/// The headers to send on, hop-by-hop ones left out.
fn header_list(headers: &HeaderMap) -> Vec<(String, Vec<u8>)> {
    const HOP: &[&str] = &[
        "connection",
        "keep-alive",
        "transfer-encoding",
        "upgrade",
        "te",
    ];
    headers
        .iter()
        .filter(|(k, _)| !HOP.contains(&k.as_str()))
        .map(|(k, v)| (k.as_str().to_string(), v.as_bytes().to_vec()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_round_trip_through_ids() {
        for owner in [0, 1, 2, 61, 62, 12_345, MAX_ENCODED - 1] {
            let id = format!("abcdefghijk{}=", encode_owner(owner));
            assert_eq!(owner_of(&id), owner, "{id}");
        }
        assert_eq!(encode_owner(MAX_ENCODED), "0000");
        assert_eq!(owner_of("x="), 0);
        assert_eq!(owner_of("abcdefg-~~~="), 0);
    }
}
