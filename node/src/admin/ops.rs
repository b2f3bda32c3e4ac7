//! What the admin listener's own routes answer: health, readiness,
//! Prometheus metrics, function state, the cluster view, membership
//! changes and stage cache flushes. The management API answers the rest.

use http::header::{HeaderValue, CONTENT_TYPE};
use http::{Response, StatusCode};

use super::{json, Admin};
use crate::dataplane::body::{full, Body};
use crate::functions::metrics;
use apigw_cluster::raft::MemberChange;

impl Admin {
    pub(super) fn ready(&self) -> Response<Body> {
        let stages = self.deployed.load().stage_count();
        json(
            StatusCode::OK,
            serde_json::json!({"status": "ready", "stages": stages}),
        )
    }

    pub(super) fn metrics(&self) -> Response<Body> {
        let services = &self.services;
        let mut text = metrics::prometheus(&services.functions.metrics());
        text.push_str(&services.authorizers.prometheus());
        text.push_str(&services.cache.prometheus());
        text.push_str(&services.access.prometheus());
        text.push_str(&services.capacity.prometheus());
        text.push_str(&services.waf.prometheus());
        text.push_str(&services.domains.metrics());
        let ws = &services.websocket;
        text.push_str(&ws.metrics.prometheus(ws.registry.len()));
        text.push_str(&services.observability.prometheus());
        text.push_str(&services.upstreams.prometheus());
        if let Some(edge) = &services.edge {
            text.push_str(&edge.prometheus());
        }
        if let Some(cluster) = &services.cluster {
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

    pub(super) fn functions(&self) -> Response<Body> {
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

    pub(super) fn cluster_view(&self) -> Response<Body> {
        let Some(c) = &self.services.cluster else {
            return json(StatusCode::OK, serde_json::json!({"cluster": null}));
        };
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

    /// `POST /cluster/members/{id}/promote`, `DELETE /cluster/members/{id}`.
    pub(super) async fn membership(&self, id: &str, promote: bool) -> Response<Body> {
        let Ok(id) = id.parse::<u64>() else {
            return super::error(
                StatusCode::BAD_REQUEST,
                "BadRequestException",
                "the member id must be a number",
            );
        };
        let change = match promote {
            true => MemberChange::Promote { id },
            false => MemberChange::Remove { id },
        };
        let Some(cluster) = &self.services.cluster else {
            return super::error(
                StatusCode::CONFLICT,
                "ConflictException",
                "this node is not in a cluster",
            );
        };
        let outcome = cluster
            .raft
            .change_members(change.clone(), None, std::time::Duration::from_secs(10))
            .await;
        match outcome {
            Ok(()) => {
                tracing::info!(?change, "cluster membership changed");
                let (voters, learners) = cluster.raft.members();
                json(
                    StatusCode::OK,
                    serde_json::json!({"voters": voters, "learners": learners}),
                )
            }
            Err(e) => super::error(StatusCode::CONFLICT, "ConflictException", &e.to_string()),
        }
    }

    /// AWS's FlushStageCache (202, empty body).
    pub(super) fn flush_stage_cache(&self, api: &str, stage: &str) -> Response<Body> {
        if let Err(e) = crate::names::api_id(api).and_then(|_| crate::names::stage_name(stage)) {
            return super::error(
                StatusCode::BAD_REQUEST,
                "BadRequestException",
                &e.to_string(),
            );
        }
        self.services.cache.flush_stage(api, stage);
        tracing::info!(api, stage, "stage cache flushed");
        json(StatusCode::ACCEPTED, serde_json::json!({}))
    }
}
