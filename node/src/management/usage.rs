//! Updates of API keys and usage plans (`UpdateApiKey`, `UpdateUsagePlan`),
//! a plan's keys one by one, `GetUsage`, and tags on APIs, stages and
//! domain names (`TagResource`, `GetTags`, `UntagResource`).

use std::collections::BTreeMap;
use std::time::SystemTime;

use http::StatusCode;
use serde_json::{json, Value};

use super::patch::{self, segments, PatchOp};
use super::{bad_request, internal, not_found, plan_json, ApiError, Management, Reply};
use crate::access::{PlanStage, UsagePlan};
use crate::control::ControlCommand;
use crate::throttle::{Period, Quota, Rate};

impl Management {
    pub(super) async fn update_api_key(&self, id: &str, body: &[u8]) -> Reply {
        let mut key = self.api_key(id)?;
        for op in patch::operations(body)? {
            match (op.sets(), op.path.as_str()) {
                (true, "/name") => key.name = op.value()?.to_string(),
                (true, "/enabled") => key.enabled = op.bool()?,
                (_, "/description" | "/customerId") => {}
                _ => return Err(op.unsupported()),
            }
        }
        self.write(ControlCommand::PutApiKey(Box::new(key.clone())))
            .await?;
        Ok((StatusCode::OK, super::key_json(&key, false)))
    }

    pub(super) async fn update_usage_plan(&self, id: &str, body: &[u8]) -> Reply {
        let mut plan = self.usage_plan(id)?;
        for op in patch::operations(body)? {
            self.patch_plan(&mut plan, &op)?;
        }
        self.write(ControlCommand::PutUsagePlan(Box::new(plan.clone())))
            .await?;
        Ok((StatusCode::OK, plan_json(&plan)))
    }

    fn patch_plan(&self, plan: &mut UsagePlan, op: &PatchOp) -> Result<(), ApiError> {
        let parts = segments(&op.path);
        let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
        let rate = |plan: &mut UsagePlan| -> Rate {
            plan.throttle.unwrap_or(Rate {
                per_second: 0.0,
                burst: 0,
            })
        };
        let quota = |plan: &mut UsagePlan| -> Quota {
            plan.quota.unwrap_or(Quota {
                limit: 0,
                period: Period::Day,
                offset: 0,
            })
        };
        match (op.op.as_str(), parts.as_slice()) {
            ("replace" | "add", ["name"]) => plan.name = op.value()?.to_string(),
            (_, ["description" | "productCode"]) => {}
            ("replace" | "add", ["throttle", "rateLimit"]) => {
                let mut r = rate(plan);
                r.per_second = op.number()?;
                plan.throttle = Some(r);
            }
            ("replace" | "add", ["throttle", "burstLimit"]) => {
                let mut r = rate(plan);
                r.burst = op.number()?;
                plan.throttle = Some(r);
            }
            ("remove", ["throttle"]) => plan.throttle = None,
            ("replace" | "add", ["quota", "limit"]) => {
                let mut q = quota(plan);
                q.limit = op.number()?;
                plan.quota = Some(q);
            }
            ("replace" | "add", ["quota", "offset"]) => {
                let mut q = quota(plan);
                q.offset = op.number()?;
                plan.quota = Some(q);
            }
            ("replace" | "add", ["quota", "period"]) => {
                let mut q = quota(plan);
                q.period = match op.value()? {
                    "DAY" => Period::Day,
                    "WEEK" => Period::Week,
                    "MONTH" => Period::Month,
                    other => return Err(bad_request(format!("Invalid quota period {other}"))),
                };
                plan.quota = Some(q);
            }
            ("remove", ["quota"]) => plan.quota = None,
            ("add" | "remove", ["apiStages"]) => {
                // The value is `apiId:stage`.
                let value = op.value()?;
                let (api, stage) = value
                    .split_once(':')
                    .ok_or_else(|| bad_request("apiStages values are apiId:stage"))?;
                plan.stages
                    .retain(|s| !(s.api_id == api && s.stage == stage));
                if op.op == "add" {
                    self.stage(api, stage)?;
                    plan.stages.push(PlanStage {
                        api_id: api.to_string(),
                        stage: stage.to_string(),
                        methods: Default::default(),
                    });
                }
            }
            _ => return Err(op.unsupported()),
        }
        Ok(())
    }

    /// `GET` / `DELETE /usageplans/{plan}/keys/{key}`.
    pub(super) async fn plan_key(&self, plan_id: &str, key_id: &str, delete: bool) -> Reply {
        let mut plan = self.usage_plan(plan_id)?;
        if !plan.keys.iter().any(|k| k == key_id) {
            return Err(not_found("Invalid Usage Plan Key identifier specified"));
        }
        if delete {
            plan.keys.retain(|k| k != key_id);
            self.write(ControlCommand::PutUsagePlan(Box::new(plan.clone())))
                .await?;
            return Ok((StatusCode::ACCEPTED, json!({})));
        }
        let key = self.api_key(key_id)?;
        Ok((
            StatusCode::OK,
            json!({"id": key.id, "type": "API_KEY", "name": key.name, "value": key.value}),
        ))
    }

    /// `GetUsage`: what each key of the plan used of its quota and what
    /// remains. Counters are kept per quota period, not per day, so each
    /// key gets one `[used, remaining]` pair for the current period.
    pub(super) fn usage(&self, plan_id: &str, query: &[(String, String)]) -> Reply {
        let plan = self.usage_plan(plan_id)?;
        let param = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let start = param("startDate").ok_or_else(|| bad_request("startDate is required"))?;
        let end = param("endDate").ok_or_else(|| bad_request("endDate is required"))?;
        for date in [start, end] {
            let parts: Vec<&str> = date.split('-').collect();
            let valid = parts.len() == 3
                && parts.iter().all(|p| p.chars().all(|c| c.is_ascii_digit()))
                && parts[0].len() == 4
                && parts[1].len() == 2
                && parts[2].len() == 2;
            if !valid {
                return Err(bad_request(format!("Invalid date {date}: use YYYY-MM-DD")));
            }
        }
        if start > end {
            return Err(bad_request("startDate is after endDate"));
        }
        let counters = self
            .counters
            .as_ref()
            .ok_or_else(|| internal("usage counters are not available on this node"))?;
        let mut items = BTreeMap::new();
        for key in plan
            .keys
            .iter()
            .filter(|k| param("keyId").is_none_or(|want| want == k.as_str()))
        {
            let pair = match plan.quota {
                Some(quota) => {
                    let used = counters.used(
                        &format!("quota:{}:{key}", plan.id),
                        quota.window(SystemTime::now()),
                    );
                    json!([used, quota.limit.saturating_sub(used)])
                }
                None => json!([0, 0]),
            };
            items.insert(key.clone(), json!([pair]));
        }
        Ok((
            StatusCode::OK,
            // `items` travels as `values` on the wire.
            json!({"usagePlanId": plan.id, "startDate": start, "endDate": end, "values": items}),
        ))
    }

    /// `/tags/{arn}`: GET lists, PUT adds (`{"tags": {...}}`), DELETE
    /// removes (`?tagKeys=a&tagKeys=b`).
    pub(super) async fn tags(
        &self,
        method: &http::Method,
        arn: &str,
        body: &[u8],
        query: &[(String, String)],
    ) -> Reply {
        let arn = percent_encoding::percent_decode_str(arn).decode_utf8_lossy();
        let path = arn
            .split_once("::")
            .map(|(_, p)| p)
            .filter(|_| arn.starts_with("arn:aws:apigateway:"))
            .ok_or_else(|| bad_request(format!("Invalid resource ARN {arn}")))?;
        let target: Vec<&str> = path.trim_matches('/').split('/').collect();
        match target.as_slice() {
            ["restapis", api] => drop(self.api(api)?),
            ["restapis", api, "stages", stage] => drop(self.stage(api, stage)?),
            ["domainnames", name] => drop(self.domain(name)?),
            _ => {
                return Err(bad_request(format!(
                    "Tags are kept on REST APIs, stages and domain names, not {path}"
                )))
            }
        }
        let resource = format!("/{}", target.join("/"));
        let mut tags = self.store.get_tags(&resource).map_err(internal)?;
        match *method {
            http::Method::GET => return Ok((StatusCode::OK, json!({ "tags": tags }))),
            http::Method::PUT => {
                let input: Value = serde_json::from_slice(body)
                    .map_err(|e| bad_request(format!("the body is not JSON: {e}")))?;
                tags.extend(tags_of(input.get("tags"))?);
                if tags.len() > 50 {
                    return Err(bad_request("A resource has at most 50 tags"));
                }
            }
            http::Method::DELETE => {
                for (_, key) in query.iter().filter(|(k, _)| k == "tagKeys") {
                    tags.remove(key);
                }
            }
            _ => return Err(not_found("Invalid tags operation")),
        }
        self.write(ControlCommand::PutTags(resource, tags)).await?;
        Ok((StatusCode::NO_CONTENT, json!({})))
    }

    pub(super) fn domain(&self, name: &str) -> Result<crate::model::DomainName, ApiError> {
        self.store
            .get_domain(name)
            .map_err(internal)?
            .ok_or_else(|| not_found("Invalid domain name identifier specified"))
    }
}

/// A `tags` map from a request body (absent: none).
pub(super) fn tags_of(v: Option<&Value>) -> Result<BTreeMap<String, String>, ApiError> {
    match v {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(v) => {
            let tags: BTreeMap<String, String> = serde_json::from_value(v.clone())
                .map_err(|_| bad_request("tags must map names to strings"))?;
            for (key, value) in &tags {
                crate::names::tag_key(key)
                    .and_then(|_| crate::names::tag_value(value))
                    .map_err(|e| bad_request(e.to_string()))?;
            }
            Ok(tags)
        }
    }
}
