//! Canary releases on stages (`canarySettings`), in AWS's shapes and with
//! AWS's messages: reading them from `CreateStage` and `CreateDeployment`,
//! the `UpdateStage` paths under `/canarySettings`, promotion by `copy`
//! (`/canarySettings/deploymentId` to `/deploymentId`,
//! `/canarySettings/stageVariableOverrides` to `/variables`), and the
//! answer's `canarySettings` member. The data plane's split lives in
//! `snapshot` and `dataplane::canary`.

use serde_json::{json, Value};

use super::patch::PatchOp;
use super::{bad_request, internal, ApiError, Management};
use crate::control::ControlCommand;
use crate::model::{CanarySettings, Deployment, Stage};

/// What AWS answers for a canary deployment id that names no deployment.
const NO_DEPLOYMENT: &str = "Deployment id does not exist";

/// The prefix of AWS's `CreateDeployment` refusals.
const INVALID_DEPLOYMENT: &str = "Invalid deployment content specified.";

/// `canarySettings` in AWS's shape (`stageVariableOverrides` only when
/// there are some).
pub(super) fn canary_json(c: &CanarySettings) -> Value {
    let mut out = json!({
        "deploymentId": c.deployment_id,
        "percentTraffic": c.percent_traffic,
        "useStageCache": c.use_stage_cache,
    });
    if !c.stage_variable_overrides.is_empty() {
        out["stageVariableOverrides"] = json!(c.stage_variable_overrides);
    }
    out
}

/// A `percentTraffic` value: a number from 0 to 100.
fn percent(value: f64) -> Result<f64, ApiError> {
    match value.is_finite() && (0.0..=100.0).contains(&value) {
        true => Ok(value),
        false => Err(bad_request(format!(
            "Invalid percentTraffic {value}: must be between 0.0 and 100.0"
        ))),
    }
}

/// A stage variable name and value as AWS takes them (names
/// `[A-Za-z0-9_]+`, values `[A-Za-z0-9-._~:/?#&=,]+`, at most 2048).
fn variable(name: &str, value: &str) -> Result<(), ApiError> {
    let name_ok = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !name_ok {
        return Err(bad_request(format!(
            "Invalid stage variable name {name:.64}: letters, digits and _ only"
        )));
    }
    let value_ok = value.len() <= 2048
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~:/?#&=,".contains(&b));
    match value_ok {
        true => Ok(()),
        false => Err(bad_request(format!(
            "Invalid stage variable value for {name}: [A-Za-z0-9-._~:/?#&=,]+ of at most 2048 characters"
        ))),
    }
}

/// `canarySettings` of a `CreateStage` or `CreateDeployment` body; the
/// canary serves `deployment` unless the input names one.
pub(super) fn from_input(input: &Value, deployment: &str) -> Result<CanarySettings, ApiError> {
    let mut canary = CanarySettings {
        deployment_id: deployment.to_string(),
        ..CanarySettings::default()
    };
    if let Some(id) = input.get("deploymentId").and_then(Value::as_str) {
        canary.deployment_id = id.to_string();
    }
    if let Some(p) = input.get("percentTraffic").filter(|v| !v.is_null()) {
        let p = p
            .as_f64()
            .ok_or_else(|| bad_request("percentTraffic must be a number"))?;
        canary.percent_traffic = percent(p)?;
    }
    if let Some(Value::Object(vars)) = input.get("stageVariableOverrides") {
        for (k, v) in vars {
            let v = v.as_str().ok_or_else(|| {
                bad_request(format!("stage variable override {k:.64} must be a string"))
            })?;
            variable(k, v)?;
            canary
                .stage_variable_overrides
                .insert(k.clone(), v.to_string());
        }
    }
    canary.use_stage_cache = input
        .get("useStageCache")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Ok(canary)
}

/// The stage name a canary `CreateDeployment` needs, with AWS's messages
/// when it is missing or empty.
pub(super) fn canary_stage_name(input: &Value) -> Result<&str, ApiError> {
    let refuse = |given: &str| {
        bad_request(format!(
            "{INVALID_DEPLOYMENT}Non null and non empty stageName must be provided for canary deployment. Provided value is {given}"
        ))
    };
    match input.get("stageName").and_then(Value::as_str) {
        None => Err(refuse("null")),
        Some("") => Err(refuse("")),
        Some(name) => Ok(name),
    }
}

impl Management {
    /// Fails with AWS's message unless deployment `dep` of API `id` exists.
    pub(super) fn canary_deployment_exists(&self, id: &str, dep: &str) -> Result<(), ApiError> {
        if crate::names::id("deployment", dep).is_err() {
            return Err(bad_request(NO_DEPLOYMENT));
        }
        match self.store.get_deployment(id, dep).map_err(internal)? {
            Some(_) => Ok(()),
            None => Err(bad_request(NO_DEPLOYMENT)),
        }
    }

    /// The stage a canary `CreateDeployment` goes to, which must exist
    /// before the deployment is made (checked first, as AWS).
    pub(super) fn canary_stage(&self, id: &str, input: &Value) -> Result<Stage, ApiError> {
        let name = canary_stage_name(input)?;
        crate::names::stage_name(name)
            .ok()
            .and_then(|_| self.store.get_stage(id, name).ok().flatten())
            .ok_or_else(|| {
                bad_request(format!(
                    "{INVALID_DEPLOYMENT}Stage {name:.128} must already be created before making a canary release deployment"
                ))
            })
    }

    /// A `CreateDeployment` with `canarySettings`: the stage it goes to
    /// and the settings (their deployment filled in once it exists);
    /// `None` for an ordinary deployment.
    pub(super) fn canary_request(
        &self,
        id: &str,
        input: &Value,
    ) -> Result<Option<(Stage, CanarySettings)>, ApiError> {
        let Some(canary) = input.get("canarySettings").filter(|c| !c.is_null()) else {
            return Ok(None);
        };
        let stage = self.canary_stage(id, input)?;
        Ok(Some((stage, from_input(canary, "")?)))
    }

    /// Points the canary of `stage` at the new `deployment`; the stage
    /// keeps serving its own deployment.
    pub(super) async fn deploy_canary(
        &self,
        mut stage: Stage,
        mut settings: CanarySettings,
        deployment: &Deployment,
    ) -> Result<(), ApiError> {
        settings.deployment_id = deployment.id.clone();
        stage.canary_settings = Some(settings);
        stage.last_updated_date = crate::store::unix_now();
        self.write(ControlCommand::PutStage(Box::new(stage)))
            .await?;
        Ok(())
    }

    /// One `UpdateStage` operation whose path starts `/canarySettings`;
    /// `Ok(false)` for a `replace` of a path the canary does not have
    /// (the caller refuses it with the list of stage paths, as AWS).
    pub(super) fn patch_canary(
        &self,
        stage: &mut Stage,
        op: &PatchOp,
        parts: &[&str],
    ) -> Result<bool, ApiError> {
        match op.op.as_str() {
            "replace" => self.replace_canary(stage, op, parts),
            "remove" => remove_canary(stage, op, parts).map(|()| true),
            _ => Err(bad_request(format!(
                "Invalid {} operation with path: {}",
                op.op, op.path
            ))),
        }
    }

    /// `replace /canarySettings/...`: a stage without a canary gets one
    /// (serving the stage's deployment, 0 %), then the member is set.
    fn replace_canary(
        &self,
        stage: &mut Stage,
        op: &PatchOp,
        parts: &[&str],
    ) -> Result<bool, ApiError> {
        match parts {
            ["canarySettings", "deploymentId"] => {
                let target = op.value()?;
                self.canary_deployment_exists(&stage.rest_api_id, target)?;
                canary(stage).deployment_id = target.to_string();
            }
            ["canarySettings", "percentTraffic"] => {
                canary(stage).percent_traffic = percent(op.number()?)?;
            }
            ["canarySettings", "useStageCache"] => canary(stage).use_stage_cache = op.bool()?,
            ["canarySettings", "stageVariableOverrides", name] => {
                let value = op.value()?;
                variable(name, value)?;
                let overrides = &mut canary(stage).stage_variable_overrides;
                overrides.insert(name.to_string(), value.to_string());
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// The canary of `stage`, made (serving the stage's deployment, 0 %) if
/// it has none.
fn canary(stage: &mut Stage) -> &mut CanarySettings {
    let deployment = &stage.deployment_id;
    stage.canary_settings.get_or_insert_with(|| CanarySettings {
        deployment_id: deployment.clone(),
        ..CanarySettings::default()
    })
}

/// `remove /canarySettings` (the canary goes) or
/// `remove /canarySettings/stageVariableOverrides/{name}`; anything else
/// is refused as AWS refuses it.
fn remove_canary(stage: &mut Stage, op: &PatchOp, parts: &[&str]) -> Result<(), ApiError> {
    match parts {
        ["canarySettings"] => stage.canary_settings = None,
        ["canarySettings", "stageVariableOverrides", name] => {
            if let Some(canary) = stage.canary_settings.as_mut() {
                canary.stage_variable_overrides.remove(*name);
            }
        }
        _ => {
            return Err(bad_request(format!(
            "Cannot remove method setting {} because there is no method setting for this method ",
            op.path.trim_start_matches('/')
        )))
        }
    }
    Ok(())
}

/// The promotions `copy` takes: (path, from).
const COPIES: [(&str, &str); 2] = [
    ("/deploymentId", "/canarySettings/deploymentId"),
    ("/variables", "/canarySettings/stageVariableOverrides"),
];

/// `copy` in `UpdateStage`: promotes the canary's deployment or its stage
/// variable overrides to the stage (the overrides are merged into the
/// variables); the canary itself stays.
pub(super) fn copy(stage: &mut Stage, op: &PatchOp) -> Result<(), ApiError> {
    let from = op.from.as_deref().unwrap_or_default();
    if !COPIES.contains(&(op.path.as_str(), from)) {
        return Err(bad_request(format!(
            "Invalid copy operation with path: {} and from {from}. Valid copy:path are [/deploymentId, /variables] and valid copy:from are [/canarySettings/deploymentId, /canarySettings/stageVariableOverrides]",
            op.path
        )));
    }
    let canary = stage
        .canary_settings
        .clone()
        .ok_or_else(|| bad_request("Promotion not available. Canary does not exist."))?;
    match op.path.as_str() {
        "/deploymentId" => stage.deployment_id = canary.deployment_id,
        _ => stage.variables.extend(canary.stage_variable_overrides),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(kind: &str, path: &str, from: Option<&str>) -> PatchOp {
        PatchOp {
            op: kind.into(),
            path: path.into(),
            value: None,
            from: from.map(str::to_string),
        }
    }

    #[test]
    fn promotion_copies_the_canary_onto_the_stage() {
        let mut stage = Stage::new("a", "prod", "d1", 0);
        stage.variables.insert("keep".into(), "1".into());
        stage.variables.insert("v".into(), "old".into());
        let no_canary = copy(
            &mut stage,
            &op(
                "copy",
                "/deploymentId",
                Some("/canarySettings/deploymentId"),
            ),
        );
        assert!(no_canary.is_err());
        stage.canary_settings = Some(CanarySettings {
            deployment_id: "d2".into(),
            stage_variable_overrides: [("v".to_string(), "new".to_string())].into(),
            ..CanarySettings::default()
        });
        let crossed = op(
            "copy",
            "/deploymentId",
            Some("/canarySettings/stageVariableOverrides"),
        );
        assert!(copy(&mut stage, &crossed).is_err());
        copy(
            &mut stage,
            &op(
                "copy",
                "/deploymentId",
                Some("/canarySettings/deploymentId"),
            ),
        )
        .expect("test");
        copy(
            &mut stage,
            &op(
                "copy",
                "/variables",
                Some("/canarySettings/stageVariableOverrides"),
            ),
        )
        .expect("test");
        assert_eq!(stage.deployment_id, "d2");
        assert_eq!(stage.variables["v"], "new");
        assert_eq!(stage.variables["keep"], "1");
        assert!(stage.canary_settings.is_some());
    }

    #[test]
    fn input_defaults_and_limits() {
        let c = from_input(&json!({"percentTraffic": 12.5}), "d1").expect("test");
        assert_eq!((c.deployment_id.as_str(), c.percent_traffic), ("d1", 12.5));
        assert!(from_input(&json!({"percentTraffic": 100.5}), "d1").is_err());
        assert!(from_input(&json!({"stageVariableOverrides": {"a b": "x"}}), "d1").is_err());
        assert_eq!(
            canary_json(&c),
            json!({"deploymentId": "d1", "percentTraffic": 12.5, "useStageCache": false})
        );
    }
}
