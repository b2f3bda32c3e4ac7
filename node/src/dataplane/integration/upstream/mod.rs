//! Upstream groups: the private backends behind VPC links.
//!
//! A VPC link (`CreateVpcLink`, stored with the account) names network load
//! balancers by ARN (`targetArns`); the node's config maps each such ARN to
//! a group of `host:port` targets with a balancing rule, an active health
//! check and passive ejection ([`UpstreamConfig`]). An integration with
//! `connectionType: VPC_LINK` and `connectionId` (a link id, or
//! `${stageVariables.x}`) is sent to a target of its link's group; its
//! URI's host only names the request (`Host`).
//!
//! - this module: the registry ([`Upstreams`]): groups by target ARN, links
//!   by id (reloaded by the control plane when links change);
//! - [`group`]: targets, their health, picking one, passive ejection;
//! - [`health`]: the active health checks, one task per group;
//! - [`call`]: a VPC link integration's request, sent to a picked target.

pub(crate) mod call;
mod group;
mod health;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;

pub use group::{Group, TargetHealth};

/// How a group picks the target of the next request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Balance {
    /// Each healthy target in turn.
    #[default]
    RoundRobin,
    /// The healthy target with the fewest requests in flight
    /// (least outstanding requests).
    LeastConnections,
}

/// The active health check of a group's targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheck {
    pub interval: Duration,
    /// An answer slower than this counts as a failure.
    pub timeout: Duration,
    /// `GET` this path (`/health`).
    pub path: String,
    /// Consecutive successes that make an unhealthy target healthy.
    pub healthy_threshold: u32,
    /// Consecutive failures that make a healthy target unhealthy.
    pub unhealthy_threshold: u32,
    /// Statuses that count as healthy (inclusive ranges; AWS NLB: 200-399).
    pub expected: Vec<(u16, u16)>,
}

impl Default for HealthCheck {
    fn default() -> Self {
        HealthCheck {
            interval: Duration::from_secs(10),
            timeout: Duration::from_secs(2),
            path: "/".into(),
            healthy_threshold: 3,
            unhealthy_threshold: 3,
            expected: vec![(200, 399)],
        }
    }
}

/// Passive health: targets ejected for failing requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passive {
    /// Consecutive connection failures or timeouts that eject a target
    /// (0: never ejected).
    pub consecutive_failures: u32,
    /// How long an ejected target gets no requests.
    pub ejection: Duration,
    /// At most this share of the group is ejected at once (percent).
    pub max_ejected_percent: u32,
}

impl Default for Passive {
    fn default() -> Self {
        Passive {
            consecutive_failures: 3,
            ejection: Duration::from_secs(30),
            max_ejected_percent: 50,
        }
    }
}

/// One target ARN's group, as the config gives it.
#[derive(Debug, Clone, Default)]
pub struct UpstreamConfig {
    /// The load balancer ARN a VPC link's `targetArns` names.
    pub target_arn: String,
    /// `host:port` of each target.
    pub targets: Vec<String>,
    pub balance: Balance,
    /// `None`: no active check (targets are healthy unless ejected).
    pub health_check: Option<HealthCheck>,
    pub passive: Passive,
}

/// The node's upstream groups and the VPC links that lead to them.
#[derive(Default)]
pub struct Upstreams {
    groups: HashMap<String, Arc<Group>>,
    /// VPC link id -> its target ARNs.
    links: ArcSwap<HashMap<String, Vec<String>>>,
}

impl Upstreams {
    pub fn new(configs: Vec<UpstreamConfig>) -> Upstreams {
        let groups = configs
            .into_iter()
            .map(|c| (c.target_arn.clone(), Arc::new(Group::new(c))))
            .collect();
        Upstreams {
            groups,
            links: ArcSwap::default(),
        }
    }

    /// Replaces the known VPC links (id, target ARNs).
    pub fn set_links(&self, links: impl IntoIterator<Item = (String, Vec<String>)>) {
        self.links.store(Arc::new(links.into_iter().collect()));
    }

    /// Starts every group's active health check on `runtime`.
    pub fn start_health_checks(&self, runtime: &tokio::runtime::Handle) {
        for group in self.groups.values() {
            if group.config().health_check.is_some() {
                runtime.spawn(health::run(group.clone()));
            }
        }
    }

    /// Every group's targets and their health (for `/metrics`).
    pub fn health(&self) -> Vec<(String, Vec<TargetHealth>)> {
        let mut out: Vec<_> = self
            .groups
            .iter()
            .map(|(arn, g)| (arn.clone(), g.health()))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// `apigw_upstream_target_healthy` and `apigw_upstream_target_ejected`
    /// (1 or 0) and `apigw_upstream_target_in_flight`, per target.
    pub fn prometheus(&self) -> String {
        let groups = self.health();
        if groups.is_empty() {
            return String::new();
        }
        let mut out = String::from(
            "# HELP apigw_upstream_target_healthy Whether the active health check finds the target healthy.\n\
             # TYPE apigw_upstream_target_healthy gauge\n",
        );
        let mut ejected = String::from(
            "# HELP apigw_upstream_target_ejected Whether the target is ejected for failed requests.\n\
             # TYPE apigw_upstream_target_ejected gauge\n",
        );
        let mut in_flight = String::from(
            "# HELP apigw_upstream_target_in_flight Requests in flight to the target.\n\
             # TYPE apigw_upstream_target_in_flight gauge\n",
        );
        for (arn, targets) in &groups {
            for t in targets {
                let labels = format!("target_arn=\"{arn}\",target=\"{}\"", t.addr);
                out.push_str(&format!(
                    "apigw_upstream_target_healthy{{{labels}}} {}\n",
                    u8::from(t.healthy)
                ));
                ejected.push_str(&format!(
                    "apigw_upstream_target_ejected{{{labels}}} {}\n",
                    u8::from(t.ejected)
                ));
                in_flight.push_str(&format!(
                    "apigw_upstream_target_in_flight{{{labels}}} {}\n",
                    t.in_flight
                ));
            }
        }
        out + &ejected + &in_flight
    }

    /// The group a VPC link leads to: the first of its target ARNs that the
    /// config gives targets.
    pub(crate) fn group_of_link(&self, link_id: &str) -> Result<Arc<Group>, String> {
        let links = self.links.load();
        let arns = links
            .get(link_id)
            .ok_or_else(|| format!("VPC link `{link_id}` does not exist"))?;
        arns.iter()
            .find_map(|arn| self.groups.get(arn).cloned())
            .ok_or_else(|| {
                format!(
                    "no upstream group in the config for VPC link `{link_id}`'s targets ({})",
                    arns.join(", ")
                )
            })
    }
}
