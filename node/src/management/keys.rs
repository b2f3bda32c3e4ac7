//! API keys and usage plans: `CreateApiKey`, `GetApiKey(s)`,
//! `UpdateApiKey`, `DeleteApiKey`, `CreateUsagePlan`, `GetUsagePlan(s)`,
//! `UpdateUsagePlan`, `DeleteUsagePlan`, a plan's keys one by one
//! (`CreateUsagePlanKey`, `GetUsagePlanKey(s)`, `DeleteUsagePlanKey`) and
//! `GetUsage`.

use std::collections::BTreeMap;
use std::time::SystemTime;

use http::StatusCode;
use serde_json::{json, Value};

use super::operations::Op;
use super::patch::{self, segments, PatchOp};
use super::{
    bad_request, check_name, err, internal, not_found, ApiError, Management, Reply, Request,
};
use crate::access::ApiKey;
use crate::access::{PlanStage, UsagePlan};
use crate::control::ControlCommand;
use crate::model::command::Record;
use crate::throttle::{Period, Quota, Rate};

impl Management {
    /// Serves the API key and usage plan family's operations.
    pub(super) async fn keys(&self, req: &Request<'_>) -> Reply {
        let key = req.param("api_Key");
        let plan = req.param("usageplanId");
        match req.op() {
            Op::CreateApiKey => self.create_api_key(req.body).await,
            Op::GetApiKeys => {
                let show = req.query("includeValues") == Some("true");
                let mut keys = self.store.list_api_keys().map_err(internal)?;
                // The newest first, as AWS lists them.
                keys.sort_by_key(|k| std::cmp::Reverse(k.created_micros));
                let query = req.query("name");
                let items = keys
                    .iter()
                    .filter(|k| name_matches(&k.name, query))
                    .map(|k| self.with_key_tags(key_json(k, show), &k.id))
                    .collect::<Result<_, _>>()?;
                Ok((StatusCode::OK, lenient_page(req, items)?))
            }
            Op::GetApiKey => {
                let show = req.query("includeValue") == Some("true");
                let out = key_json(&self.api_key(key)?, show);
                Ok((StatusCode::OK, self.with_key_tags(out, key)?))
            }
            Op::UpdateApiKey => self.update_api_key(key, req.body).await,
            Op::DeleteApiKey => {
                self.api_key(key)?;
                self.write(ControlCommand::DeleteApiKey(key.to_string()))
                    .await?;
                Ok((StatusCode::ACCEPTED, json!({})))
            }
            Op::CreateUsagePlan => self.create_usage_plan(req.body).await,
            Op::GetUsagePlans => {
                let plans = self.store.list_usage_plans().map_err(internal)?;
                let items = plans
                    .iter()
                    .map(|p| {
                        let tags = self.plan_tags(&p.id)?;
                        let mut out = plan_json(p);
                        if !tags.is_empty() {
                            out["tags"] = json!(tags);
                        }
                        Ok(out)
                    })
                    .collect::<Result<_, ApiError>>()?;
                Ok((StatusCode::OK, req.page(items)?))
            }
            Op::GetUsagePlan => {
                let mut out = plan_json(&self.usage_plan(plan)?);
                out["tags"] = json!(self.plan_tags(plan)?);
                Ok((StatusCode::OK, out))
            }
            Op::UpdateUsagePlan => self.update_usage_plan(plan, req.body).await,
            Op::DeleteUsagePlan => {
                self.usage_plan(plan)?;
                self.write(ControlCommand::DeleteUsagePlan(plan.to_string()))
                    .await?;
                Ok((StatusCode::ACCEPTED, json!({})))
            }
            Op::CreateUsagePlanKey => self.add_plan_key(plan, req.body).await,
            Op::GetUsagePlanKeys => {
                // AWS lists no keys (rather than refusing) for a plan
                // that does not exist.
                let Ok(p) = self.usage_plan(plan) else {
                    return Ok((StatusCode::OK, json!({"item": []})));
                };
                let mut keys = self.store.list_api_keys().map_err(internal)?;
                keys.sort_by_key(|k| std::cmp::Reverse(k.created_micros));
                let query = req.query("name");
                let items = keys
                    .iter()
                    .filter(|k| p.keys.contains(&k.id) && name_matches(&k.name, query))
                    .map(|k| json!({"id": k.id, "type": "API_KEY", "name": k.name, "value": k.value}))
                    .collect();
                Ok((StatusCode::OK, req.page(items)?))
            }
            Op::GetUsagePlanKey => self.plan_key(plan, req.param("keyId"), false).await,
            Op::DeleteUsagePlanKey => self.plan_key(plan, req.param("keyId"), true).await,
            Op::GetUsage => self.usage(plan, req.query),
            other => Err(req.not_served(other)),
        }
    }

    pub(super) async fn create_api_key(&self, body: &[u8]) -> Reply {
        let input: Value = serde_json::from_slice(body)
            .map_err(|e| bad_request(format!("the body is not JSON: {e}")))?;
        check_key_input(&input)?;
        let value = match input.get("value").and_then(Value::as_str) {
            // An empty value is no value: AWS generates one.
            Some(v) if !v.is_empty() && v.len() < 20 => {
                return Err(bad_request(
                    "API Key value should be at least 20 characters",
                ))
            }
            Some(v) if !v.is_empty() => v.to_string(),
            _ => format!(
                "{}{}{}{}",
                crate::ids::new_api_id(),
                crate::ids::new_api_id(),
                crate::ids::new_api_id(),
                crate::ids::new_api_id()
            ),
        };
        if self
            .store
            .list_api_keys()
            .map_err(internal)?
            .iter()
            .any(|k| k.value == value)
        {
            return Err(err(
                StatusCode::CONFLICT,
                "ConflictException",
                "API Key already exists",
            ));
        }
        if let Some(name) = input.get("name").and_then(Value::as_str) {
            check_name(crate::names::free_text("name", name, 1024))?;
        }
        let description = description_of(&input)?;
        let now = crate::store::unix_now();
        let key = ApiKey {
            id: crate::ids::new_api_id(),
            name: input
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            value,
            enabled: input
                .get("enabled")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            from_config: false,
            description,
            customer_id: customer_id_of(&input)?,
            created_date: now,
            last_updated_date: now,
            created_micros: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX)),
        };
        super::tags::tags_of(input.get("tags"))?;
        self.write(ControlCommand::PutApiKey(Box::new(key.clone())))
            .await?;
        self.tag_new(format!("/apikeys/{}", key.id), input.get("tags"))
            .await?;
        let out = self.with_key_tags(key_json(&key, true), &key.id)?;
        Ok((StatusCode::CREATED, out))
    }

    pub(super) async fn create_usage_plan(&self, body: &[u8]) -> Reply {
        let input: Value = serde_json::from_slice(body)
            .map_err(|e| bad_request(format!("the body is not JSON: {e}")))?;
        let name = input
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| bad_request("name is required"))?;
        check_name(crate::names::free_text("name", name, 1024))?;
        let rate = |v: &Value| -> Option<crate::throttle::Rate> {
            Some(crate::throttle::Rate {
                per_second: v.get("rateLimit")?.as_f64()?,
                burst: u32::try_from(v.get("burstLimit")?.as_u64()?).ok()?,
            })
        };
        let quota = match input.get("quota") {
            None | Some(Value::Null) => None,
            Some(q) => Some(crate::throttle::Quota {
                limit: q
                    .get("limit")
                    .and_then(Value::as_u64)
                    .ok_or_else(|| bad_request("quota.limit is required"))?,
                period: {
                    let name = q.get("period").and_then(Value::as_str);
                    name.and_then(Period::from_aws).ok_or_else(|| {
                        bad_request(format!("quota.period {name:?} is not DAY, WEEK or MONTH"))
                    })?
                },
                offset: q
                    .get("offset")
                    .and_then(Value::as_u64)
                    .map_or(0, |o| o as u32),
            }),
        };
        let mut stages = Vec::new();
        for s in input
            .get("apiStages")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let api_id = s
                .get("apiId")
                .and_then(Value::as_str)
                .ok_or_else(|| bad_request("apiStages[].apiId is required"))?;
            let stage = s
                .get("stage")
                .and_then(Value::as_str)
                .ok_or_else(|| bad_request("apiStages[].stage is required"))?;
            self.stage(api_id, stage)?;
            let methods = s
                .get("throttle")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| Some((k.clone(), rate(v)?)))
                        .collect()
                })
                .unwrap_or_default();
            stages.push(crate::access::PlanStage {
                api_id: api_id.to_string(),
                stage: stage.to_string(),
                methods,
            });
        }
        let plan = UsagePlan {
            id: crate::ids::new_deployment_id(),
            name: name.to_string(),
            throttle: input.get("throttle").and_then(rate),
            quota,
            stages,
            keys: Vec::new(),
            from_config: false,
            description: description_of(&input)?,
        };
        self.write(ControlCommand::PutUsagePlan(Box::new(plan.clone())))
            .await?;
        let resource = format!("/usageplans/{}", plan.id);
        self.tag_new(resource, input.get("tags")).await?;
        let mut out = plan_json(&plan);
        let tags = self.plan_tags(&plan.id)?;
        if !tags.is_empty() {
            out["tags"] = json!(tags);
        }
        Ok((StatusCode::CREATED, out))
    }

    pub(super) async fn add_plan_key(&self, plan_id: &str, body: &[u8]) -> Reply {
        let input: Value = serde_json::from_slice(body)
            .map_err(|e| bad_request(format!("the body is not JSON: {e}")))?;
        let key_id = input
            .get("keyId")
            .and_then(Value::as_str)
            .ok_or_else(|| bad_request("keyId is required"))?;
        let key = self.api_key(key_id)?;
        self.edit_record(Record::UsagePlan(plan_id.to_string()), || {
            let mut plan = self.usage_plan(plan_id)?;
            if !plan.keys.contains(&key.id) {
                plan.keys.push(key.id.clone());
            }
            Ok((ControlCommand::PutUsagePlan(Box::new(plan)), ()))
        })
        .await?;
        Ok((
            StatusCode::CREATED,
            json!({"id": key.id, "type": "API_KEY", "name": key.name, "value": key.value}),
        ))
    }
}

impl Management {
    pub(super) async fn update_api_key(&self, id: &str, body: &[u8]) -> Reply {
        let mut key = self.api_key(id)?;
        for op in patch::operations(body)? {
            patch_key(&mut key, &op)?;
        }
        key.last_updated_date = crate::store::unix_now();
        self.write(ControlCommand::PutApiKey(Box::new(key.clone())))
            .await?;
        let mut out = key_json(&key, false);
        out["tags"] = json!(self
            .store
            .get_tags(&format!("/apikeys/{id}"))
            .map_err(internal)?);
        Ok((StatusCode::OK, out))
    }

    /// `out` with API key `id`'s tags, when it has any.
    fn with_key_tags(&self, mut out: Value, id: &str) -> Result<Value, ApiError> {
        let tags = self
            .store
            .get_tags(&format!("/apikeys/{id}"))
            .map_err(internal)?;
        if !tags.is_empty() {
            out["tags"] = json!(tags);
        }
        Ok(out)
    }

    /// The tags on usage plan `id`.
    fn plan_tags(&self, id: &str) -> Result<BTreeMap<String, String>, ApiError> {
        self.store
            .get_tags(&format!("/usageplans/{id}"))
            .map_err(internal)
    }

    pub(super) async fn update_usage_plan(&self, id: &str, body: &[u8]) -> Reply {
        let ops = patch::operations(body)?;
        let plan = self
            .edit_record(Record::UsagePlan(id.to_string()), || {
                let mut plan = self.usage_plan(id)?;
                for op in &ops {
                    self.patch_plan(&mut plan, op)?;
                }
                Ok((ControlCommand::PutUsagePlan(Box::new(plan.clone())), plan))
            })
            .await?;
        let mut out = plan_json(&plan);
        out["tags"] = json!(self.plan_tags(id)?);
        Ok((StatusCode::OK, out))
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
            ("replace" | "add", ["description"]) => plan.description = op.value.clone(),
            ("remove", ["description"]) => plan.description = None,
            (_, ["productCode"]) => {}
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
                let name = op.value()?;
                q.period = Period::from_aws(name)
                    .ok_or_else(|| bad_request(format!("Invalid quota period {name}")))?;
                plan.quota = Some(q);
            }
            ("remove", ["quota"]) => plan.quota = None,
            ("add" | "remove", ["apiStages"]) => {
                // The value is `apiId:stage`.
                let value = op.value.as_deref().unwrap_or("");
                let (api, stage) = value
                    .split_once(':')
                    .filter(|(a, s)| !a.is_empty() && !s.is_empty())
                    .ok_or_else(|| bad_request("Invalid API Stage specified"))?;
                let listed = plan
                    .stages
                    .iter()
                    .any(|s| s.api_id == api && s.stage == stage);
                if op.op == "remove" && !listed {
                    return Err(not_found(format!(
                        "Invalid API Stage {{api: {api}, stage: {stage}}} specified for usageplan {}",
                        plan.id
                    )));
                }
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
        let plan = self.usage_plan(plan_id)?;
        if !plan.keys.iter().any(|k| k == key_id) {
            return Err(not_found("Invalid Usage Plan Key identifier specified"));
        }
        if delete {
            self.edit_record(Record::UsagePlan(plan_id.to_string()), || {
                let mut plan = self.usage_plan(plan_id)?;
                plan.keys.retain(|k| k != key_id);
                Ok((ControlCommand::PutUsagePlan(Box::new(plan)), ()))
            })
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
}

/// A create call's `description` (absent or empty: none).
/// `nameQuery` of the key listings: a case-sensitive prefix of the name.
fn name_matches(name: &str, query: Option<&str>) -> bool {
    query.is_none_or(|q| name.starts_with(q))
}

/// A page of keys; a `limit` that is not a positive number gives an empty
/// page, as AWS answers it.
fn lenient_page(req: &Request<'_>, items: Vec<Value>) -> Result<Value, ApiError> {
    match req.query("limit").map(str::parse::<i64>) {
        Some(Ok(n)) if n < 1 => Ok(json!({"item": []})),
        _ => req.page(items),
    }
}

/// `CreateApiKey`'s limits, in AWS's words.
fn check_key_input(input: &Value) -> Result<(), ApiError> {
    let text = |k: &str| input.get(k).and_then(Value::as_str);
    if text("name").is_some_and(|n| n.chars().count() > 1024) {
        return Err(bad_request(
            "Invalid API Key name, can be at most 1024 characters.",
        ));
    }
    if text("value").is_some_and(|v| v.len() > 128) {
        return Err(bad_request(
            "API Key value exceeds maximum size of 128 characters",
        ));
    }
    if text("description").is_some_and(|d| d.chars().count() > 1024) {
        return Err(bad_request("Invalid API Key description specified."));
    }
    Ok(())
}

/// One `UpdateApiKey` operation: `replace` of the listed paths; `enabled`
/// is true only for `"true"`.
fn patch_key(key: &mut ApiKey, op: &PatchOp) -> Result<(), ApiError> {
    const PATHS: &str = "/description, /enabled, /name, /customerId";
    match (op.op.as_str(), op.path.as_str()) {
        ("replace", "/name") => key.name = op.value()?.to_string(),
        ("replace", "/enabled") => key.enabled = op.value.as_deref() == Some("true"),
        ("replace", "/description") => {
            let d = op.value.clone().filter(|d| !d.is_empty());
            if d.as_ref().is_some_and(|d| d.chars().count() > 1024) {
                return Err(bad_request("Invalid API Key description specified."));
            }
            key.description = d;
        }
        ("remove", "/description") => key.description = None,
        ("replace", "/customerId") => {
            key.customer_id = customer_id_of(&json!({"customerId": op.value}))?
        }
        ("remove", "/customerId") => key.customer_id = None,
        ("replace", _) => return Err(op.path_not_one_of(PATHS)),
        _ => return Err(op.unsupported()),
    }
    Ok(())
}

/// `customerId` as given (empty: none); free text up to 1,024 characters.
fn customer_id_of(input: &Value) -> Result<Option<String>, ApiError> {
    match input.get("customerId") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(c)) if c.is_empty() => Ok(None),
        Some(Value::String(c)) => {
            check_name(crate::names::free_text("customerId", c, 1024))?;
            Ok(Some(c.clone()))
        }
        Some(_) => Err(bad_request("customerId must be a string")),
    }
}

fn description_of(input: &Value) -> Result<Option<String>, ApiError> {
    match input.get("description") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(d)) if d.is_empty() => Ok(None),
        Some(Value::String(d)) => {
            check_name(crate::names::free_text("description", d, 1024))?;
            Ok(Some(d.clone()))
        }
        Some(_) => Err(bad_request("description must be a string")),
    }
}

/// An ApiKey in AWS's shape (the value only when asked for).
pub(super) fn key_json(k: &ApiKey, with_value: bool) -> Value {
    let mut v = json!({
        "id": k.id,
        "enabled": k.enabled,
        "createdDate": k.created_date,
        "lastUpdatedDate": k.last_updated_date,
        "stageKeys": [],
    });
    if let Some(d) = &k.description {
        v["description"] = json!(d);
    }
    if let Some(c) = &k.customer_id {
        v["customerId"] = json!(c);
    }
    // AWS leaves out a name that is empty.
    if !k.name.is_empty() {
        v["name"] = json!(k.name);
    }
    if with_value {
        v["value"] = json!(k.value);
    }
    v
}

pub(super) fn rate_json(r: &crate::throttle::Rate) -> Value {
    json!({"rateLimit": r.per_second, "burstLimit": r.burst})
}

/// A UsagePlan in AWS's shape: `throttle`, `quota`, `description` and a
/// stage's `throttle` only when set.
pub(super) fn plan_json(p: &UsagePlan) -> Value {
    let stages: Vec<Value> = p
        .stages
        .iter()
        .map(|s| {
            let mut stage = json!({"apiId": s.api_id, "stage": s.stage});
            if !s.methods.is_empty() {
                let throttle: serde_json::Map<String, Value> = s
                    .methods
                    .iter()
                    .map(|(k, r)| (k.clone(), rate_json(r)))
                    .collect();
                stage["throttle"] = Value::Object(throttle);
            }
            stage
        })
        .collect();
    let mut out = json!({"id": p.id, "name": p.name, "apiStages": stages});
    if let Some(d) = &p.description {
        out["description"] = json!(d);
    }
    if let Some(t) = &p.throttle {
        out["throttle"] = rate_json(t);
    }
    if let Some(q) = &p.quota {
        out["quota"] = json!({
            "limit": q.limit,
            "offset": q.offset,
            "period": match q.period {
                crate::throttle::Period::Day => "DAY",
                crate::throttle::Period::Week => "WEEK",
                crate::throttle::Period::Month => "MONTH",
            },
        });
    }
    out
}
