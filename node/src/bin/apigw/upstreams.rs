//! The config's `upstreams:` section: for each load balancer ARN a VPC
//! link's `targetArns` may name, its targets, balancing and health checks
//! (`apigw::dataplane::integration::upstream::UpstreamConfig`).

use std::time::Duration;

use anyhow::{bail, Result};
use apigw::dataplane::integration::upstream::{Balance, HealthCheck, Passive, UpstreamConfig};
use serde::Deserialize;

/// One upstream group.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamSection {
    /// `arn:aws:elasticloadbalancing:…:loadbalancer/net/…`, as in the link.
    pub target_arn: String,
    /// `host:port` of each target.
    pub targets: Vec<String>,
    /// `round_robin` (default) or `least_connections`.
    #[serde(default)]
    pub balance: Option<String>,
    #[serde(default)]
    pub health_check: Option<HealthCheckSection>,
    #[serde(default)]
    pub passive: Option<PassiveSection>,
}

/// The active check; absent fields take AWS NLB's defaults.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HealthCheckSection {
    pub interval_ms: Option<u64>,
    pub timeout_ms: Option<u64>,
    pub path: Option<String>,
    pub healthy_threshold: Option<u32>,
    pub unhealthy_threshold: Option<u32>,
    /// `200-399`, `200,204`.
    pub expected_statuses: Option<String>,
}

/// Passive ejection.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PassiveSection {
    pub consecutive_failures: Option<u32>,
    pub ejection_ms: Option<u64>,
    pub max_ejected_percent: Option<u32>,
}

/// The groups, checked.
pub fn configs(sections: &[UpstreamSection]) -> Result<Vec<UpstreamConfig>> {
    sections.iter().map(config).collect()
}

fn config(s: &UpstreamSection) -> Result<UpstreamConfig> {
    let at = &s.target_arn;
    if s.targets.is_empty() {
        bail!("upstream {at}: no targets");
    }
    for target in &s.targets {
        let port = target.rsplit_once(':').map(|(_, p)| p.parse::<u16>());
        if !matches!(port, Some(Ok(_))) {
            bail!("upstream {at}: target `{target}` is not host:port");
        }
    }
    let balance = match s.balance.as_deref() {
        None | Some("round_robin") => Balance::RoundRobin,
        Some("least_connections") => Balance::LeastConnections,
        Some(other) => {
            bail!("upstream {at}: balance `{other}` is not round_robin or least_connections")
        }
    };
    let health_check = s.health_check.as_ref().map(health_check).transpose()?;
    let defaults = Passive::default();
    let passive = s.passive.clone().unwrap_or_default();
    Ok(UpstreamConfig {
        target_arn: at.clone(),
        targets: s.targets.clone(),
        balance,
        health_check,
        passive: Passive {
            consecutive_failures: passive
                .consecutive_failures
                .unwrap_or(defaults.consecutive_failures),
            ejection: passive
                .ejection_ms
                .map_or(defaults.ejection, Duration::from_millis),
            max_ejected_percent: passive
                .max_ejected_percent
                .unwrap_or(defaults.max_ejected_percent)
                .min(100),
        },
    })
}

fn health_check(h: &HealthCheckSection) -> Result<HealthCheck> {
    let d = HealthCheck::default();
    let path = h.path.clone().unwrap_or(d.path);
    if !path.starts_with('/') || path.contains(['\r', '\n', ' ']) {
        bail!("health check path `{path}` must start with / and hold no spaces");
    }
    Ok(HealthCheck {
        interval: h.interval_ms.map_or(d.interval, Duration::from_millis),
        timeout: h.timeout_ms.map_or(d.timeout, Duration::from_millis),
        path,
        healthy_threshold: h.healthy_threshold.unwrap_or(d.healthy_threshold),
        unhealthy_threshold: h.unhealthy_threshold.unwrap_or(d.unhealthy_threshold),
        expected: match &h.expected_statuses {
            Some(text) => statuses(text)?,
            None => d.expected,
        },
    })
}

/// `200-399,404` -> [(200, 399), (404, 404)].
fn statuses(text: &str) -> Result<Vec<(u16, u16)>> {
    text.split(',')
        .map(|part| {
            let part = part.trim();
            let (low, high) = part.split_once('-').unwrap_or((part, part));
            match (low.trim().parse::<u16>(), high.trim().parse::<u16>()) {
                (Ok(l), Ok(h)) if l <= h => Ok((l, h)),
                _ => bail!("expected status `{part}` is not a code or a range"),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_ranges() {
        assert_eq!(
            statuses("200-399, 404").ok(),
            Some(vec![(200, 399), (404, 404)])
        );
        assert!(statuses("300-200").is_err());
        assert!(statuses("ok").is_err());
    }
}
