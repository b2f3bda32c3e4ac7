//! Deployments and stages: `CreateDeployment` (with or without a stage),
//! `GetDeployment(s)`, `DeleteDeployment`, `CreateStage`, `GetStage(s)`,
//! `UpdateStage` (variables, cache, method settings), `DeleteStage`, and
//! apigw's own whole-stage read and write (`?apigwDefinition=true`).

use std::collections::BTreeMap;

use http::StatusCode;
use serde_json::{json, Value};

use super::operations::Op;
use super::{
    bad_request, check_name, err, internal, not_found, patch, ApiError, Management, Reply, Request,
};
use crate::control::ControlCommand;
use crate::model::command::Record;
use crate::model::{Deployment, Stage};

impl Management {
    /// Serves the deployment and stage family's operations.
    pub(super) async fn stages(&self, req: &Request<'_>) -> Reply {
        let id = req.param("restapi_id");
        let name = req.param("stage_name");
        match req.op() {
            Op::CreateDeployment => self.create_deployment(id, req.body).await,
            Op::GetDeployments => {
                self.api(id)?;
                let mut deployments = self.store.list_deployments(id).map_err(internal)?;
                deployments.sort_by_key(|d| d.created_date);
                let items = deployments.iter().map(deployment_json).collect();
                Ok((StatusCode::OK, req.page(items)?))
            }
            Op::GetDeployment => {
                let d = self.deployment(id, req.param("deployment_id"))?;
                Ok((StatusCode::OK, deployment_json(&d)))
            }
            Op::UpdateDeployment => {
                let d = self.update_deployment(id, req.param("deployment_id"), req.body);
                Ok((StatusCode::OK, deployment_json(&d.await?)))
            }
            Op::DeleteDeployment => self.delete_deployment(id, req.param("deployment_id")).await,
            Op::CreateStage => self.create_stage(id, req.body).await,
            Op::GetStages => {
                self.api(id)?;
                let stages = self.store.list_stages(id).map_err(internal)?;
                let deployment = req.query("deploymentId");
                let items = stages
                    .iter()
                    .filter(|s| deployment.is_none_or(|d| s.deployment_id == d))
                    .map(|s| self.stage_answer(s))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((StatusCode::OK, json!({ "item": items })))
            }
            Op::GetStageDefinition => Ok((StatusCode::OK, json!(self.stage(id, name)?))),
            Op::PutStageDefinition => self.put_stage_definition(id, name, req.body).await,
            Op::GetStage => Ok((StatusCode::OK, self.stage_answer(&self.stage(id, name)?)?)),
            Op::UpdateStage => self.update_stage(id, name, req.body).await,
            Op::DeleteStage => {
                self.stage(id, name)?;
                self.write(ControlCommand::DeleteStage(
                    id.to_string(),
                    name.to_string(),
                ))
                .await?;
                Ok((StatusCode::ACCEPTED, json!({})))
            }
            other => Err(req.not_served(other)),
        }
    }

    /// Deployment `dep` of API `id`.
    pub(super) fn deployment(&self, id: &str, dep: &str) -> Result<Deployment, ApiError> {
        self.store
            .get_deployment(id, dep)
            .map_err(internal)?
            .ok_or_else(|| not_found("Invalid Deployment identifier specified"))
    }

    /// `UpdateDeployment`: `replace`/`remove` of `/description`, as AWS
    /// takes them.
    async fn update_deployment(
        &self,
        id: &str,
        dep: &str,
        body: &[u8],
    ) -> Result<Deployment, ApiError> {
        let ops = patch::operations(body)?;
        self.api(id)?;
        let mut d = self.deployment(id, dep)?;
        for op in &ops {
            match (op.op.as_str(), op.path.as_str()) {
                ("replace", "/description") => {
                    d.description = op.value.clone().filter(|v| !v.is_empty())
                }
                ("remove", "/description") => d.description = None,
                ("replace" | "remove", _) => return Err(op.path_not_one_of("/description")),
                _ => return Err(op.not_supported()),
            }
        }
        self.write(ControlCommand::PutDeployment(Box::new(d.clone())))
            .await?;
        Ok(d)
    }

    /// `DeleteDeployment`: refused while a stage points at it, as AWS.
    async fn delete_deployment(&self, id: &str, dep: &str) -> Reply {
        self.api(id)?;
        self.deployment(id, dep)?;
        let pointing: Vec<String> = self
            .store
            .list_stages(id)
            .map_err(internal)?
            .into_iter()
            .filter(|s| {
                s.deployment_id == *dep
                    || s.canary_settings
                        .as_ref()
                        .is_some_and(|c| c.deployment_id == *dep)
            })
            .map(|s| s.stage_name)
            .collect();
        if !pointing.is_empty() {
            return Err(bad_request(
                "Active stages pointing to this deployment must be moved or deleted",
            ));
        }
        self.write(ControlCommand::DeleteDeployment(
            id.to_string(),
            dep.to_string(),
        ))
        .await?;
        Ok((StatusCode::ACCEPTED, json!({})))
    }

    /// apigw's own `PUT ...?apigwDefinition=true`: a whole stored stage.
    async fn put_stage_definition(&self, id: &str, name: &str, body: &[u8]) -> Reply {
        let stage: Stage = serde_json::from_slice(body)
            .map_err(|e| bad_request(format!("not an apigw stage: {e}")))?;
        check_name(crate::names::stage_name(&stage.stage_name))?;
        if stage.rest_api_id != *id || stage.stage_name != *name {
            return Err(bad_request(
                "the stage's API id and name must match the URL",
            ));
        }
        self.api(id)?;
        self.store
            .get_deployment(id, &stage.deployment_id)
            .map_err(internal)?
            .ok_or_else(|| bad_request("the stage's deployment does not exist"))?;
        self.write(ControlCommand::PutStage(Box::new(stage.clone())))
            .await?;
        Ok((StatusCode::OK, stage_json(&stage)))
    }

    pub(super) async fn create_deployment(&self, id: &str, body: &[u8]) -> Reply {
        let api = self.api(id)?;
        let input: Value = if body.is_empty() {
            json!({})
        } else {
            serde_json::from_slice(body)
                .map_err(|e| bad_request(format!("the body is not JSON: {e}")))?
        };
        // An empty stage name is no stage (the deployment alone), as AWS.
        let stage_name = input
            .get("stageName")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty());
        if let Some(name) = stage_name {
            check_name(crate::names::stage_name(name))?;
            super::tags::tags_of(input.get("tags"))?;
        }
        if let Some(description) = input.get("description").and_then(Value::as_str) {
            check_name(crate::names::free_text("description", description, 1024))?;
        }
        let canary = self.canary_request(id, &input)?;
        let now = crate::store::unix_now();
        let deployment = Deployment {
            id: crate::ids::new_deployment_id(),
            rest_api_id: id.to_string(),
            description: input
                .get("description")
                .and_then(Value::as_str)
                .filter(|d| !d.is_empty())
                .map(str::to_string),
            created_date: now,
            api,
        };
        self.write(ControlCommand::PutDeployment(Box::new(deployment.clone())))
            .await?;
        if let Some((stage, settings)) = canary {
            self.deploy_canary(stage, settings, &deployment).await?;
            return Ok((StatusCode::CREATED, deployment_json(&deployment)));
        }
        if let Some(stage_name) = stage_name {
            let mut stage = match self.store.get_stage(id, stage_name).map_err(internal)? {
                Some(mut s) => {
                    s.deployment_id = deployment.id.clone();
                    s.last_updated_date = now;
                    s
                }
                None => {
                    let mut s = Stage::new(id, stage_name, &deployment.id, now);
                    s.description = input
                        .get("stageDescription")
                        .and_then(Value::as_str)
                        .filter(|d| !d.is_empty())
                        .map(str::to_string);
                    s
                }
            };
            if let Some(on) = input.get("cacheClusterEnabled").and_then(Value::as_bool) {
                stage.cache_cluster_enabled = on;
            }
            if let Some(size) = input.get("cacheClusterSize").and_then(Value::as_str) {
                stage.cache_cluster_size = Some(cache_size(size)?);
            }
            if let Some(on) = input.get("tracingEnabled").and_then(Value::as_bool) {
                stage.tracing_enabled = on;
            }
            if let Some(Value::Object(vars)) = input.get("variables") {
                for (k, v) in vars {
                    stage
                        .variables
                        .insert(k.clone(), v.as_str().unwrap_or_default().to_string());
                }
            }
            self.write(ControlCommand::PutStage(Box::new(stage.clone())))
                .await?;
        }
        Ok((StatusCode::CREATED, deployment_json(&deployment)))
    }

    /// `CreateStage`: a new stage pointing at an existing deployment.
    pub(super) async fn create_stage(&self, id: &str, body: &[u8]) -> Reply {
        self.api(id)?;
        let input: Value = serde_json::from_slice(body)
            .map_err(|e| bad_request(format!("the body is not JSON: {e}")))?;
        let text = |key: &str| input.get(key).and_then(Value::as_str);
        let name = text("stageName").ok_or_else(|| bad_request("stageName is required"))?;
        check_name(crate::names::stage_name(name))?;
        let deployment =
            text("deploymentId").ok_or_else(|| bad_request("deploymentId is required"))?;
        if self.store.get_stage(id, name).map_err(internal)?.is_some() {
            return Err(err(
                StatusCode::CONFLICT,
                "ConflictException",
                "Stage already exists",
            ));
        }
        self.store
            .get_deployment(id, deployment)
            .map_err(internal)?
            .ok_or_else(|| bad_request(format!("Deployment id {deployment} does not exist")))?;
        let mut stage = Stage::new(id, name, deployment, crate::store::unix_now());
        stage.description = text("description")
            .filter(|d| !d.is_empty())
            .map(str::to_string);
        stage.cache_cluster_enabled = input
            .get("cacheClusterEnabled")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        stage.cache_cluster_size = text("cacheClusterSize").map(cache_size).transpose()?;
        stage.tracing_enabled = input
            .get("tracingEnabled")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        stage.documentation_version = text("documentationVersion").map(str::to_string);
        if let Some(cert) = text("clientCertificateId").filter(|c| !c.is_empty()) {
            self.client_certificate_exists(cert)?;
            stage.client_certificate_id = Some(cert.to_string());
        }
        if let Some(canary) = input.get("canarySettings").filter(|c| c.is_object()) {
            let canary = super::canary::from_input(canary, deployment)?;
            self.canary_deployment_exists(id, &canary.deployment_id)?;
            stage.canary_settings = Some(canary);
        }
        super::tags::tags_of(input.get("tags"))?;
        if let Some(Value::Object(vars)) = input.get("variables") {
            for (k, v) in vars {
                let v = v
                    .as_str()
                    .ok_or_else(|| bad_request(format!("variable {k} must be a string")))?;
                stage.variables.insert(k.clone(), v.to_string());
            }
        }
        self.write(ControlCommand::PutStage(Box::new(stage.clone())))
            .await?;
        self.tag_new(format!("/restapis/{id}/stages/{name}"), input.get("tags"))
            .await?;
        Ok((StatusCode::CREATED, self.stage_answer(&stage)?))
    }

    /// `UpdateStage`: the patch applied to the stage as stored when it is
    /// written (a concurrent update is not lost, on any node).
    pub(super) async fn update_stage(&self, id: &str, name: &str, body: &[u8]) -> Reply {
        let ops = patch::operations(body)?;
        let stage = self
            .edit_record(Record::Stage(id.to_string(), name.to_string()), || {
                let stage = self.patched_stage(id, name, &ops)?;
                Ok((ControlCommand::PutStage(Box::new(stage.clone())), stage))
            })
            .await?;
        Ok((StatusCode::OK, self.stage_answer(&stage)?))
    }

    /// Stage `name` of API `id` as stored, with `ops` applied.
    fn patched_stage(
        &self,
        id: &str,
        name: &str,
        ops: &[patch::PatchOp],
    ) -> Result<Stage, ApiError> {
        let mut stage = self.stage(id, name)?;
        for op in ops {
            let parts = patch::segments(&op.path);
            let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
            if op.op == "copy" {
                super::canary::copy(&mut stage, op)?;
                continue;
            }
            if parts.first() == Some(&"canarySettings") {
                if !self.patch_canary(&mut stage, op, &parts)? {
                    return Err(bad_request(unknown_stage_path(&op.path)));
                }
                continue;
            }
            match (op.sets(), parts.as_slice()) {
                (true, ["deploymentId"]) => {
                    let target = op.value()?.to_string();
                    self.store
                        .get_deployment(id, &target)
                        .map_err(internal)?
                        .ok_or_else(|| {
                            bad_request(format!("Deployment {target} does not exist"))
                        })?;
                    stage.deployment_id = target;
                }
                (true, ["description"]) => stage.description = op.value.clone(),
                (false, ["description"]) => stage.description = None,
                (true, ["tracingEnabled"]) => stage.tracing_enabled = op.bool()?,
                (true, ["clientCertificateId"]) => {
                    let cert = op.value.as_deref().filter(|c| !c.is_empty());
                    if let Some(cert) = cert {
                        self.client_certificate_exists(cert)?;
                    }
                    stage.client_certificate_id = cert.map(str::to_string);
                }
                (false, ["clientCertificateId"]) => stage.client_certificate_id = None,
                (true, ["variables", key]) => {
                    stage
                        .variables
                        .insert(key.to_string(), op.value()?.to_string());
                }
                (false, ["variables", key]) => {
                    stage.variables.remove(*key);
                }
                (_, ["accessLogSettings", ..]) => patch_access_log(&mut stage, op, &parts)?,
                (true, ["documentationVersion"]) => {
                    stage.documentation_version = Some(op.value()?.to_string())
                }
                (false, ["documentationVersion"]) => stage.documentation_version = None,
                (true, ["cacheClusterEnabled"]) => stage.cache_cluster_enabled = op.bool()?,
                (true, ["cacheClusterSize"]) => {
                    stage.cache_cluster_size = Some(cache_size(op.value()?)?)
                }
                (false, [resource, verb]) => {
                    // Removes one method's settings (`/*/*`, `/~1pets/GET`).
                    let key = format!("{resource}/{verb}");
                    if stage.method_settings.remove(&key).is_none() {
                        return Err(bad_request(format!(
                            "Cannot remove method setting {key} because there is no method setting for this method "
                        )));
                    }
                }
                (sets, [resource, verb, rest @ ..]) if !rest.is_empty() => {
                    // `/{resourcePath}/{method}/throttling/rateLimit`; the
                    // resource path is escaped (`~1pets`), `*` means all.
                    // A method's first setting starts from what `*/*` has
                    // then, as AWS copies it.
                    let all = stage.method_settings.get("*/*").cloned();
                    let setting = stage
                        .method_settings
                        .entry(format!("{resource}/{verb}"))
                        .or_insert_with(|| all.unwrap_or_default());
                    patch_method_setting(setting, sets, rest, op)?;
                }
                _ if op.sets() => return Err(bad_request(unknown_stage_path(&op.path))),
                _ => return Err(op.unsupported()),
            }
        }
        stage.last_updated_date = crate::store::unix_now();
        Ok(stage)
    }
}

/// The paths `UpdateStage` takes, as AWS lists them when refusing one.
const STAGE_PATHS: &str = "/deploymentId, /description, /cacheClusterEnabled, /cacheClusterSize, /clientCertificateId, /accessLogSettings, /accessLogSettings/destinationArn, /accessLogSettings/format, /{resourcePath}/{httpMethod}/metrics/enabled, /{resourcePath}/{httpMethod}/logging/dataTrace, /{resourcePath}/{httpMethod}/logging/loglevel, /{resourcePath}/{httpMethod}/throttling/burstLimit/{resourcePath}/{httpMethod}/throttling/rateLimit/{resourcePath}/{httpMethod}/caching/ttlInSeconds, /{resourcePath}/{httpMethod}/caching/enabled, /{resourcePath}/{httpMethod}/caching/dataEncrypted, /{resourcePath}/{httpMethod}/caching/requireAuthorizationForCacheControl, /{resourcePath}/{httpMethod}/caching/unauthorizedCacheControlHeaderStrategy, /*/*/metrics/enabled, /*/*/logging/dataTrace, /*/*/logging/loglevel, /*/*/throttling/burstLimit /*/*/throttling/rateLimit /*/*/caching/ttlInSeconds, /*/*/caching/enabled, /*/*/caching/dataEncrypted, /*/*/caching/requireAuthorizationForCacheControl, /*/*/caching/unauthorizedCacheControlHeaderStrategy, /variables/{variable_name}, /tracingEnabled";

/// AWS's message for an `UpdateStage` add/replace on a path it does not take.
fn unknown_stage_path(path: &str) -> String {
    format!("Invalid method setting path: {path}. Must be one of: [{STAGE_PATHS}]")
}

/// An `UpdateStage` operation on `/accessLogSettings[/...]`, with AWS's
/// messages: a setting is set with add/replace and a non-empty value;
/// only the whole `/accessLogSettings` is removed.
fn patch_access_log(
    stage: &mut Stage,
    op: &patch::PatchOp,
    parts: &[&str],
) -> Result<(), ApiError> {
    let no_such = || {
        bad_request(format!(
            "Cannot remove method setting {} because there is no method setting for this method ",
            op.path.trim_start_matches('/')
        ))
    };
    match (op.sets(), parts) {
        (false, ["accessLogSettings"]) if op.op == "remove" => {
            stage.access_log_settings = None;
            Ok(())
        }
        (false, _) if op.op == "remove" => Err(no_such()),
        (true, ["accessLogSettings", field @ ("destinationArn" | "format")]) => {
            let value = op.value.clone().unwrap_or_default();
            if value.is_empty() {
                return Err(bad_request("Access Log value must not be empty"));
            }
            if *field == "format" {
                crate::observability::access_format::validate(&value)
                    .map_err(|e| bad_request(e.to_string()))?;
            }
            let settings = stage.access_log_settings.get_or_insert_with(Default::default);
            match *field {
                "destinationArn" => settings.destination_arn = Some(value),
                _ => settings.format = Some(value),
            }
            Ok(())
        }
        (true, _) => Err(bad_request(
            "Invalid accessLogSettings path. Must be one of : [/accessLogSettings/destinationArn, /accessLogSettings/format]",
        )),
        _ => Err(op.unsupported()),
    }
}

/// One `UpdateStage` method-setting path (after `/{resource}/{method}/`).
pub(super) fn patch_method_setting(
    setting: &mut crate::model::MethodSetting,
    sets: bool,
    rest: &[&str],
    op: &patch::PatchOp,
) -> Result<(), ApiError> {
    if !sets {
        return Err(op.unsupported());
    }
    // -1 is "no override" (what Terraform sends for an unset limit).
    let minus_one = op
        .value
        .as_deref()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .is_some_and(|v| v == -1.0);
    match rest {
        ["throttling", member @ ("rateLimit" | "burstLimit")] if minus_one => {
            let name = match *member {
                "rateLimit" => {
                    setting.throttling_rate_limit = None;
                    "throttlingRateLimit"
                }
                _ => {
                    setting.throttling_burst_limit = None;
                    "throttlingBurstLimit"
                }
            };
            setting.inherited.insert(name.to_string());
        }
        ["throttling", "rateLimit"] => {
            let rate: f64 = op.number()?;
            if !(0.0..=1e9).contains(&rate) {
                return Err(bad_request(format!("Invalid rate limit {rate}")));
            }
            setting.throttling_rate_limit = Some(rate);
            setting.inherited.remove("throttlingRateLimit");
        }
        ["throttling", "burstLimit"] => {
            setting.throttling_burst_limit = Some(op.number()?);
            setting.inherited.remove("throttlingBurstLimit");
        }
        ["metrics", "enabled"] => setting.metrics_enabled = Some(op.bool()?),
        ["logging", "dataTrace"] => setting.data_trace_enabled = Some(op.bool()?),
        ["logging", "loglevel"] => {
            let level = op.value()?.to_ascii_uppercase();
            if !matches!(level.as_str(), "OFF" | "ERROR" | "INFO") {
                return Err(bad_request(format!(
                    "Invalid logging level {level}: OFF, ERROR or INFO"
                )));
            }
            setting.logging_level = Some(level);
        }
        ["caching", "dataEncrypted"] => setting.cache_data_encrypted = Some(op.bool()?),
        ["caching", "enabled"] => setting.caching_enabled = Some(op.bool()?),
        ["caching", "ttlInSeconds"] => {
            let ttl: u32 = op.number()?;
            if ttl > 3600 {
                return Err(bad_request("ttlInSeconds must be between 0 and 3600"));
            }
            setting.cache_ttl_in_seconds = Some(ttl);
        }
        ["caching", "requireAuthorizationForCacheControl"] => {
            setting.require_authorization_for_cache_control = Some(op.bool()?)
        }
        ["caching", "unauthorizedCacheControlHeaderStrategy"] => {
            let strategy = op.value()?;
            if !matches!(
                strategy,
                "FAIL_WITH_403"
                    | "SUCCEED_WITH_RESPONSE_HEADER"
                    | "SUCCEED_WITHOUT_RESPONSE_HEADER"
            ) {
                return Err(bad_request(format!("Invalid strategy {strategy}")));
            }
            setting.unauthorized_cache_control_header_strategy = Some(strategy.to_string());
        }
        ["logging" | "metrics" | "caching", _] => {}
        _ => return Err(op.unsupported()),
    }
    Ok(())
}

/// A Deployment in AWS's shape.
pub(super) fn deployment_json(d: &Deployment) -> Value {
    let mut out = json!({"id": d.id, "createdDate": d.created_date});
    if let Some(desc) = &d.description {
        out["description"] = json!(desc);
    }
    out
}

/// A cache size AWS offers (GB).
fn cache_size(size: &str) -> Result<String, ApiError> {
    const SIZES: [&str; 8] = ["0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237"];
    match SIZES.contains(&size) {
        true => Ok(size.to_string()),
        false => Err(bad_request(format!(
            "Invalid cache cluster size {size}: one of {}",
            SIZES.join(", ")
        ))),
    }
}

/// The limits a method gets when neither it nor the stage sets one
/// (AWS's account defaults).
const DEFAULT_RATE_LIMIT: f64 = 10000.0;
const DEFAULT_BURST_LIMIT: u32 = 5000;

/// A MethodSetting in AWS's shape: every member, AWS's defaults where unset.
fn method_setting_json(m: &crate::model::MethodSetting) -> Value {
    let inherited = |name: &str| m.inherited.contains(name);
    let mut out = json!({
        "metricsEnabled": m.metrics_enabled.unwrap_or(false),
        "dataTraceEnabled": m.data_trace_enabled.unwrap_or(false),
        "throttlingBurstLimit": match inherited("throttlingBurstLimit") {
            true => json!(-1),
            false => json!(m.throttling_burst_limit.unwrap_or(DEFAULT_BURST_LIMIT)),
        },
        "throttlingRateLimit": match inherited("throttlingRateLimit") {
            true => json!(-1.0),
            false => json!(m.throttling_rate_limit.unwrap_or(DEFAULT_RATE_LIMIT)),
        },
        "cachingEnabled": m.caching_enabled.unwrap_or(false),
        "cacheTtlInSeconds": m.cache_ttl_in_seconds.unwrap_or(300),
        "cacheDataEncrypted": m.cache_data_encrypted.unwrap_or(false),
        "requireAuthorizationForCacheControl": m.require_authorization_for_cache_control.unwrap_or(true),
        "unauthorizedCacheControlHeaderStrategy": m
            .unauthorized_cache_control_header_strategy
            .clone()
            .unwrap_or_else(|| "SUCCEED_WITH_RESPONSE_HEADER".into()),
    });
    if let Some(level) = &m.logging_level {
        out["loggingLevel"] = json!(level);
    }
    out
}

/// A Stage in AWS's shape (without `tags`: [`Management::stage_answer`]
/// adds them).
pub(super) fn stage_json(s: &Stage) -> Value {
    let settings: serde_json::Map<String, Value> = s
        .method_settings
        .iter()
        .map(|(k, m)| (k.clone(), method_setting_json(m)))
        .collect();
    let mut out = json!({
        "stageName": s.stage_name,
        "deploymentId": s.deployment_id,
        "cacheClusterEnabled": s.cache_cluster_enabled,
        "cacheClusterStatus": match s.cache_cluster_enabled {
            // apigw's stage cache exists as soon as it is asked for.
            true => "AVAILABLE",
            false => "NOT_AVAILABLE",
        },
        "methodSettings": settings,
        "tracingEnabled": s.tracing_enabled,
        "createdDate": s.created_date,
        "lastUpdatedDate": s.last_updated_date,
    });
    if let Some(d) = &s.description {
        out["description"] = json!(d);
    }
    if let Some(size) = &s.cache_cluster_size {
        out["cacheClusterSize"] = json!(size);
    }
    if !s.variables.is_empty() {
        let variables: BTreeMap<&String, &String> = s.variables.iter().collect();
        out["variables"] = json!(variables);
    }
    if let Some(settings) = &s.access_log_settings {
        out["accessLogSettings"] = json!(settings);
    }
    if let Some(v) = &s.documentation_version {
        out["documentationVersion"] = json!(v);
    }
    if let Some(canary) = &s.canary_settings {
        out["canarySettings"] = super::canary::canary_json(canary);
    }
    if let Some(cert) = &s.client_certificate_id {
        out["clientCertificateId"] = json!(cert);
    }
    out
}

impl Management {
    /// A stage's answer: its shape and, when it has any, its tags.
    pub(super) fn stage_answer(&self, s: &Stage) -> Result<Value, ApiError> {
        let mut out = stage_json(s);
        let resource = format!("/restapis/{}/stages/{}", s.rest_api_id, s.stage_name);
        let tags = self.store.get_tags(&resource).map_err(internal)?;
        if !tags.is_empty() {
            out["tags"] = json!(tags);
        }
        if let Some(arn) = crate::web_acls::web_acl_arn(&self.store, &s.rest_api_id, &s.stage_name)
        {
            out["webAclArn"] = json!(arn);
        }
        Ok(out)
    }
}
