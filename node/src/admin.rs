//! The admin listener (default 127.0.0.1:9090). For now it answers health
//! and readiness, Prometheus metrics (`/metrics`), function state
//! (`/functions`) and stage cache flushes (`DELETE
//! /restapis/{api}/stages/{stage}/cache/data`, as AWS's FlushStageCache);
//! the AWS-compatible management API is built on this listener.

use std::net::SocketAddr;
use std::sync::Arc;

use http::header::{HeaderValue, CONTENT_TYPE};
use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;

use crate::dataplane::body::read_limited;
use crate::dataplane::body::{full, Body};
use crate::dataplane::context::RequestContext;
use crate::dataplane::respond::plain;
use crate::dataplane::Handler;
use crate::dataplane::Services;
use crate::functions::metrics;
use crate::management::Management;
use crate::snapshot::Deployed;
use apigw_cluster::raft::MemberChange;

/// The admin request handler.
pub struct Admin {
    deployed: Arc<Deployed>,
    services: Arc<Services>,
    management: Option<Management>,
}

impl Admin {
    pub fn new(
        deployed: Arc<Deployed>,
        services: Arc<Services>,
        management: Option<Management>,
    ) -> Admin {
        Admin {
            deployed,
            services,
            management,
        }
    }

    fn answer(&self, method: &Method, path: &str) -> Response<Body> {
        match (method, path) {
            (&Method::GET, "/health") => json(StatusCode::OK, serde_json::json!({"status": "ok"})),
            (&Method::GET, "/ready") => {
                let stages = self.deployed.load().stage_count();
                json(
                    StatusCode::OK,
                    serde_json::json!({"status": "ready", "stages": stages}),
                )
            }
            (&Method::GET, "/metrics") => {
                let mut text = metrics::prometheus(&self.services.functions.metrics());
                text.push_str(&self.services.authorizers.prometheus());
                text.push_str(&self.services.cache.prometheus());
                text.push_str(&self.services.access.prometheus());
                text.push_str(&self.services.capacity.prometheus());
                if let Some(edge) = &self.services.edge {
                    text.push_str(&edge.prometheus());
                }
                if let Some(cluster) = &self.services.cluster {
                    text.push_str(&cluster.gossip.prometheus());
                    let (term, applied, leader) = cluster.raft.status();
                    text.push_str(&format!(
                        "# HELP apigw_raft_term Current Raft term.\n# TYPE apigw_raft_term gauge\napigw_raft_term {term}\n\
                         # HELP apigw_raft_applied_index Last applied log index.\n# TYPE apigw_raft_applied_index gauge\napigw_raft_applied_index {}\n\
                         # HELP apigw_raft_is_leader Whether this node leads.\n# TYPE apigw_raft_is_leader gauge\napigw_raft_is_leader {}\n",
                        applied.unwrap_or(0),
                        u8::from(leader == Some(cluster.node_id))
                    ));
                }
                let mut response = Response::new(full(text));
                response.headers_mut().insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; version=0.0.4"),
                );
                response
            }
            (&Method::GET, "/functions") => {
                let functions: serde_json::Map<String, serde_json::Value> = self
                    .services
                    .functions
                    .metrics()
                    .into_iter()
                    .map(|(name, m)| (name, serde_json::to_value(m).unwrap_or_default()))
                    .collect();
                json(
                    StatusCode::OK,
                    serde_json::json!({ "functions": functions }),
                )
            }
            (&Method::GET, "/cluster") => match &self.services.cluster {
                None => json(StatusCode::OK, serde_json::json!({"cluster": null})),
                Some(c) => {
                    let (term, applied, leader) = c.raft.status();
                    let (voters, learners) = c.raft.members();
                    json(
                        StatusCode::OK,
                        serde_json::json!({
                            "node": c.node_id,
                            "region": c.region,
                            "role": c.role,
                            "peers": c.gossip.peers(),
                            "raft": {"leader": leader, "term": term, "applied_index": applied, "voters": voters, "learners": learners},
                        }),
                    )
                }
            },
            (&Method::DELETE, path) if flush_target(path).is_some() => {
                let (api, stage) = flush_target(path).unwrap_or_default();
                self.services.cache.flush_stage(api, stage);
                tracing::info!(api, stage, "stage cache flushed");
                json(StatusCode::ACCEPTED, serde_json::json!({}))
            }
            (_, "/health" | "/ready" | "/metrics" | "/functions" | "/cluster") => {
                plain(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
            }
            _ => plain(StatusCode::NOT_FOUND, "Not Found"),
        }
    }
}

/// `/restapis/{api}/stages/{stage}/cache/data` (AWS's FlushStageCache).
fn flush_target(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("/restapis/")?;
    let (api, rest) = rest.split_once("/stages/")?;
    let stage = rest.strip_suffix("/cache/data")?;
    (!api.is_empty() && !stage.is_empty() && !stage.contains('/')).then_some((api, stage))
}

fn json(status: StatusCode, value: serde_json::Value) -> Response<Body> {
    let mut response = Response::new(full(value.to_string()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

impl Admin {
    /// `POST /cluster/members/{id}/promote`, `DELETE /cluster/members/{id}`.
    async fn membership(&self, method: &Method, path: &str) -> Option<Response<Body>> {
        let rest = path.strip_prefix("/cluster/members/")?;
        let (id, action) = match rest.split_once('/') {
            Some((id, action)) => (id, Some(action)),
            None => (rest, None),
        };
        let change = match (method, id.parse::<u64>(), action) {
            (&Method::POST, Ok(id), Some("promote")) => MemberChange::Promote { id },
            (&Method::DELETE, Ok(id), None) => MemberChange::Remove { id },
            _ => {
                return Some(json(
                    StatusCode::NOT_FOUND,
                    serde_json::json!({"message": "use POST /cluster/members/{id}/promote or DELETE /cluster/members/{id}"}),
                ))
            }
        };
        let Some(cluster) = &self.services.cluster else {
            return Some(json(
                StatusCode::CONFLICT,
                serde_json::json!({"message": "this node is not in a cluster"}),
            ));
        };
        let outcome = cluster
            .raft
            .change_members(change.clone(), None, std::time::Duration::from_secs(10))
            .await;
        Some(match outcome {
            Ok(()) => {
                tracing::info!(?change, "cluster membership changed");
                let (voters, learners) = cluster.raft.members();
                json(
                    StatusCode::OK,
                    serde_json::json!({"voters": voters, "learners": learners}),
                )
            }
            Err(e) => json(
                StatusCode::CONFLICT,
                serde_json::json!({"message": e.to_string()}),
            ),
        })
    }
}

impl Handler for Admin {
    async fn call(&self, request: Request<Incoming>, remote: SocketAddr) -> Response<Body> {
        if let Some(response) = self
            .membership(request.method(), request.uri().path())
            .await
        {
            return response;
        }
        if let Some(management) = &self.management {
            if Management::owns(request.uri().path()) {
                let (parts, body) = request.into_parts();
                let body = match read_limited(body, 10 * 1024 * 1024).await {
                    Ok(b) => b,
                    Err(_) => {
                        return plain(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large")
                    }
                };
                let ctx = RequestContext::new(
                    remote.ip(),
                    parts.method,
                    &parts.uri,
                    parts.headers,
                    parts.version,
                );
                return management.handle(&ctx, body).await;
            }
        }
        self.answer(request.method(), request.uri().path())
    }
}
