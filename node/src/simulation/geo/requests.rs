//! What a client population sends when the scenario has APIs: its request
//! mix, prepared once (the API's host and stage, the key's header, the
//! body), taken in a smooth weighted round robin (exact shares, the same
//! order on every run), and one attempt of one request on one regional
//! node as the gateway's edge makes it: the forwarded head, the body, the
//! answer's head and body.

use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;

use super::scenario::{ClientSpec, Scenario};
use crate::dataplane::edge::{ForwardHead, ReplyHead, Target};
use crate::dataplane::edge_failover::{AttemptError, AttemptFuture, Retry};
use apigw_cluster::Transport;

/// How long a regional node may take to answer (more than a simulated
/// backend's 29 s timeout).
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(35);
/// The most of an answer's body an edge reads.
const MAX_ANSWER: usize = 1024 * 1024;

/// One kind of request of a mix, ready to send.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The API's name in the scenario.
    pub api: String,
    /// `GET /pets key=gold`: how the report names it.
    pub label: String,
    pub method: http::Method,
    uri: String,
    headers: Vec<(String, Vec<u8>)>,
    pub body: Bytes,
}

impl Prepared {
    fn new(scenario: &Scenario, r: &super::apis::RequestSpec) -> Prepared {
        let spec = r
            .api
            .as_ref()
            .and_then(|name| scenario.apis.iter().find(|a| &a.name == name))
            .or(scenario.apis.first());
        let (api, stage) = spec.map_or((String::new(), String::new()), |a| {
            (a.name.clone(), a.stage.clone())
        });
        let host = format!("{}.execute-api.sim.internal", super::apis::api_id(&api));
        let mut headers = vec![("host".to_string(), host.into_bytes())];
        if let Some(key) = r
            .key
            .as_ref()
            .and_then(|name| scenario.keys.iter().find(|k| &k.name == name))
        {
            headers.push(("x-api-key".into(), key.value().into_bytes()));
        }
        let body = Bytes::from(r.body.clone().unwrap_or_default());
        if !body.is_empty() {
            headers.push(("content-type".into(), b"application/json".to_vec()));
            headers.push(("content-length".into(), body.len().to_string().into_bytes()));
        }
        let method = http::Method::from_bytes(r.method.as_bytes()).unwrap_or(http::Method::GET);
        let key = r
            .key
            .as_ref()
            .map_or_else(String::new, |k| format!(" key={k}"));
        Prepared {
            label: format!("{method} {}{key}", r.path),
            api,
            uri: format!("/{stage}{}", r.path),
            method,
            headers,
            body,
        }
    }

    /// The forwarded head of this request, with its id.
    pub fn head(&self, client_ip: IpAddr, request_id: String) -> Result<Vec<u8>, String> {
        ForwardHead {
            method: self.method.as_str().to_string(),
            uri: self.uri.clone(),
            headers: self.headers.clone(),
            client_ip,
            request_id,
        }
        .encode()
    }

    /// What the edge's race may do with it (as the gateway's edge decides).
    pub fn retry(&self) -> Retry {
        Retry::of(&self.method, self.body.is_empty())
    }
}

/// A client population's mix, taken in a smooth weighted round robin.
pub struct Mix {
    entries: Vec<(Prepared, i64)>,
    /// Each entry's current credit, and how many were taken.
    state: Mutex<(Vec<i64>, u64)>,
}

impl Mix {
    /// The client's mix (`None`: it sends no API requests).
    pub fn of(scenario: &Scenario, client: &ClientSpec) -> Option<Mix> {
        if client.requests.is_empty() {
            return None;
        }
        let entries: Vec<(Prepared, i64)> = client
            .requests
            .iter()
            .map(|r| (Prepared::new(scenario, r), i64::from(r.weight)))
            .collect();
        let credits = vec![0; entries.len()];
        Some(Mix {
            entries,
            state: Mutex::new((credits, 0)),
        })
    }

    /// The next request, and its number (from 0).
    pub fn next(&self) -> (&Prepared, u64) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (credits, taken) = &mut *state;
        let total: i64 = self.entries.iter().map(|e| e.1).sum();
        let mut best = 0;
        for (i, (_, weight)) in self.entries.iter().enumerate() {
            credits[i] += weight;
            if credits[i] > credits[best] {
                best = i;
            }
        }
        credits[best] -= total;
        let n = *taken;
        *taken += 1;
        (&self.entries[best].0, n)
    }
}

/// One attempt of a request on one regional node: open the stream with
/// the head, send the body, read the answer's head and body; a transport
/// failure drops the node's connections.
pub fn attempt<'a>(
    transport: &'a Transport,
    target: &Target,
    head: &'a [u8],
    body: &'a Bytes,
    within: Duration,
) -> AttemptFuture<'a, (u16, http::HeaderMap)> {
    let Target { node, addr, .. } = target.clone();
    Box::pin(async move {
        let (mut send, mut recv) = transport
            .open_stream(node, addr, head.to_vec(), Duration::from_secs(1))
            .await
            .map_err(|e| {
                transport.disconnect(node);
                AttemptError::Unreachable(e.to_string())
            })?;
        let answer = async {
            if !body.is_empty() {
                send.write_all(body).await.map_err(|e| e.to_string())?;
            }
            send.finish().map_err(|e| e.to_string())?;
            let bytes = apigw_cluster::read_head(&mut recv)
                .await
                .map_err(|e| e.to_string())?;
            let reply = ReplyHead::decode(&bytes)?;
            recv.read_to_end(MAX_ANSWER)
                .await
                .map_err(|e| e.to_string())?;
            Ok::<_, String>((reply.status, header_map(reply.headers)))
        };
        match tokio::time::timeout(within, answer).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(e)) => {
                transport.disconnect(node);
                Err(AttemptError::Failed(e))
            }
            Err(_) => Err(AttemptError::Failed("timeout".into())),
        }
    })
}

/// A reply's headers as a map (ones that are not valid HTTP are left out).
pub fn header_map(list: Vec<(String, Vec<u8>)>) -> http::HeaderMap {
    let mut headers = http::HeaderMap::new();
    for (k, v) in list {
        if let (Ok(k), Ok(v)) = (
            http::HeaderName::from_bytes(k.as_bytes()),
            http::HeaderValue::from_bytes(&v),
        ) {
            headers.append(k, v);
        }
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mix_takes_exact_shares_interleaved() {
        let text = r#"
duration_s: 1
regions: [{name: a, lat: 0, lon: 0, nodes: 1}]
clients:
  - name: c
    lat: 0
    lon: 0
    rps: 1
    requests:
      - {weight: 3, path: /a}
      - {weight: 1, path: /b, method: POST, body: '{}'}
"#;
        let mut scenario: Scenario = crate::model::yaml::from_str(text).expect("a scenario");
        scenario.apis.push(super::super::apis::ApiSpec {
            name: "x".into(),
            openapi: "x.yaml".into(),
            stage: "prod".into(),
            cache: None,
            backend: Default::default(),
        });
        let mix = Mix::of(&scenario, &scenario.clients[0]).expect("a mix");
        let labels: Vec<String> = (0..8).map(|_| mix.next().0.label.clone()).collect();
        assert_eq!(
            labels,
            ["GET /a", "GET /a", "POST /b", "GET /a", "GET /a", "GET /a", "POST /b", "GET /a"]
        );
        // A POST with a body is never sent twice; a GET is hedged.
        let retries: Vec<Retry> = (0..4).map(|_| mix.next().0.retry()).collect();
        assert!(matches!(
            retries[..],
            [Retry::Hedge, Retry::Hedge, Retry::Never, Retry::Hedge]
        ));
    }
}
