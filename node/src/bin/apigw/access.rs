//! Builds the node's API keys, usage plans and JWT authorizer key sets from
//! the config.

use std::sync::Arc;

use anyhow::Result;
use apigw::access::{Access, ApiKey, PlanStage, UsagePlan};
use apigw::throttle::{Counters, Period, Quota, Rate};

use crate::config::{Loaded, ThrottleSection};

fn rate(t: &ThrottleSection) -> Rate {
    Rate {
        per_second: t.rate,
        burst: t.burst,
    }
}

/// The config's API keys and usage plans (ids derived from their names, so
/// every node and every restart agrees on them).
pub fn keys_and_plans(loaded: &Loaded) -> (Vec<ApiKey>, Vec<UsagePlan>) {
    let file = &loaded.file;
    let keys = file
        .api_keys
        .iter()
        .map(|k| ApiKey {
            id: apigw::ids::api_id_for_name(&format!("key:{}", k.name)),
            name: k.name.clone(),
            value: k.value.clone(),
            enabled: k.enabled,
            from_config: true,
            description: None,
            customer_id: None,
            created_date: 0,
            last_updated_date: 0,
            created_micros: 0,
        })
        .collect::<Vec<_>>();
    let key_id = |name: &str| keys.iter().find(|k| k.name == name).map(|k| k.id.clone());
    let plans = file
        .usage_plans
        .iter()
        .map(|p| UsagePlan {
            id: apigw::ids::api_id_for_name(&format!("plan:{}", p.name)),
            name: p.name.clone(),
            throttle: p.throttle.as_ref().map(rate),
            quota: p.quota.as_ref().map(|q| Quota {
                limit: q.limit,
                period: Period::from_aws(&q.period).unwrap_or(Period::Day),
                offset: q.offset,
            }),
            stages: p
                .stages
                .iter()
                .map(|s| PlanStage {
                    api_id: s.api.clone(),
                    stage: s.stage.clone(),
                    methods: s
                        .methods
                        .iter()
                        .map(|(k, t)| (k.clone(), rate(t)))
                        .collect(),
                })
                .collect(),
            keys: p.keys.iter().filter_map(|k| key_id(k)).collect(),
            from_config: true,
            description: None,
        })
        .collect();
    (keys, plans)
}

/// Admission with the account throttle over `counters` (this node's, or the
/// cluster's); keys and plans are loaded from the store by the control plane.
pub fn build(loaded: &Loaded, counters: Arc<dyn Counters>) -> Result<Access> {
    let file = &loaded.file;
    Ok(Access::new(
        Rate {
            per_second: file.limits.account_rate_limit,
            burst: file.limits.account_burst_limit,
        },
        Vec::new(),
        Vec::new(),
        counters,
    ))
}

/// The key sets of the config's JWT authorizers (files read, URLs fetched
/// now, on `runtime`).
pub fn build_jwt(
    loaded: &Loaded,
    runtime: &tokio::runtime::Handle,
) -> Result<apigw::dataplane::jwt::JwtAuthorizers> {
    use anyhow::Context;
    let mut by_name = std::collections::HashMap::new();
    for section in &loaded.file.jwt_authorizers {
        let text = match &section.jwks_file {
            Some(file) => {
                let path = loaded.resolve(file);
                std::fs::read_to_string(&path).with_context(|| {
                    format!(
                        "JWT authorizer `{}`: cannot read {}",
                        section.name,
                        path.display()
                    )
                })?
            }
            None => {
                let url = section.jwks_url.clone().unwrap_or_else(|| {
                    format!(
                        "{}/.well-known/jwks.json",
                        section.issuer.trim_end_matches('/')
                    )
                });
                runtime.block_on(fetch(&url)).with_context(|| {
                    format!("JWT authorizer `{}`: cannot fetch {url}", section.name)
                })?
            }
        };
        let keys: jsonwebtoken::jwk::JwkSet = serde_json::from_str(&text).with_context(|| {
            format!(
                "JWT authorizer `{}`: the key set is not a JWKS",
                section.name
            )
        })?;
        by_name.insert(
            section.name.clone(),
            apigw::dataplane::jwt::JwtVerifier {
                issuer: section.issuer.clone(),
                audiences: section.audience.clone(),
                keys,
            },
        );
    }
    Ok(apigw::dataplane::jwt::JwtAuthorizers::new(by_name))
}

async fn fetch(url: &str) -> Result<String> {
    use http_body_util::BodyExt;
    let client = apigw::outbound::HttpClient::new(std::time::Duration::from_secs(5), 1024 * 1024)?;
    let request = http::Request::get(url).body(http_body_util::Full::new(bytes::Bytes::new()))?;
    let response = tokio::time::timeout(std::time::Duration::from_secs(10), client.send(request))
        .await
        .map_err(|_| anyhow::anyhow!("timed out"))?
        .map_err(anyhow::Error::msg)?;
    if !response.status().is_success() {
        anyhow::bail!("HTTP {}", response.status());
    }
    let body = response.into_body().collect().await?.to_bytes();
    Ok(String::from_utf8_lossy(&body).into_owned())
}
