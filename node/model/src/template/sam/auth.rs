//! SAM's `Auth` of an API: Lambda (TOKEN, REQUEST) and Cognito
//! authorizers and `AWS_IAM` as security definitions, `DefaultAuthorizer`
//! and `ApiKeyRequired` on every operation (with the CORS preflight
//! switches), and `UsagePlan` with the API key SAM generates.

use serde_json::{json, Value};

use crate::template::intrinsics::scalar_text;
use crate::template::settings::generated_key;
use crate::template::{
    number, openapi, Severity, TemplateApiKey, TemplateError, TemplatePlan, TemplateStage,
    Translator,
};

/// `Auth.Authorizers` (Lambda TOKEN/REQUEST, Cognito), `AWS_IAM`, API keys
/// as security definitions.
pub(super) fn authorizers(
    t: &mut Translator<'_>,
    id: &str,
    doc: &mut Value,
    auth: &Value,
) -> Result<(), TemplateError> {
    let region = t.inputs.region.clone();
    let defs = openapi::section(doc, "securityDefinitions").expect("a mapping");
    defs.insert(
        "api_key".into(),
        json!({"type": "apiKey", "name": "x-api-key", "in": "header"}),
    );
    defs.insert("AWS_IAM".into(), json!({"type": "apiKey", "name": "Authorization", "in": "header", "x-amazon-apigateway-authtype": "awsSigv4"}));
    let Some(list) = auth.get("Authorizers").and_then(Value::as_object) else {
        return Ok(());
    };
    for (name, spec) in list {
        let identity = spec.get("Identity").cloned().unwrap_or_else(|| json!({}));
        let ttl = identity
            .get("ReauthorizeEvery")
            .and_then(number)
            .unwrap_or(300.0) as u64;
        if let Some(pool) = spec.get("UserPoolArn") {
            let header = identity
                .get("Header")
                .and_then(Value::as_str)
                .unwrap_or("Authorization");
            let pools = if pool.is_array() {
                pool.clone()
            } else {
                json!([pool])
            };
            defs.insert(name.clone(), json!({
                "type": "apiKey", "name": header, "in": "header",
                "x-amazon-apigateway-authtype": "cognito_user_pools",
                "x-amazon-apigateway-authorizer": {"type": "cognito_user_pools", "providerARNs": pools},
            }));
            continue;
        }
        let Some(arn) = spec.get("FunctionArn").and_then(Value::as_str) else {
            t.finding(
                id,
                "AWS::Serverless::Api",
                Severity::Unsupported,
                format!("authorizer {name} has neither FunctionArn nor UserPoolArn"),
            );
            continue;
        };
        let request = spec.get("FunctionPayloadType").and_then(Value::as_str) == Some("REQUEST");
        let mut authorizer = json!({
            "type": if request { "request" } else { "token" },
            "authorizerUri": openapi::lambda_uri(&region, arn),
            "authorizerResultTtlInSeconds": ttl,
        });
        let header = identity
            .get("Header")
            .and_then(Value::as_str)
            .unwrap_or("Authorization");
        if request {
            let mut sources = Vec::new();
            for (group, prefix) in [
                ("Headers", "method.request.header"),
                ("QueryStrings", "method.request.querystring"),
                ("StageVariables", "stageVariables"),
                ("Context", "context"),
            ] {
                for item in identity
                    .get(group)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    sources.push(format!("{prefix}.{item}"));
                }
            }
            authorizer["identitySource"] = Value::String(sources.join(", "));
        } else {
            authorizer["identitySource"] = Value::String(format!("method.request.header.{header}"));
            if let Some(v) = identity.get("ValidationExpression") {
                authorizer["identityValidationExpression"] = v.clone();
            }
        }
        defs.insert(
            name.clone(),
            json!({
                "type": "apiKey", "name": header, "in": "header",
                "x-amazon-apigateway-authtype": "custom",
                "x-amazon-apigateway-authorizer": authorizer,
            }),
        );
    }
    Ok(())
}

/// `Auth.DefaultAuthorizer` and `Auth.ApiKeyRequired` on every operation
/// the events made (not on ones they opt out of).
pub(super) fn default_auth(doc: &mut Value, auth: &Value) {
    let default = auth.get("DefaultAuthorizer").and_then(Value::as_str);
    let key_required = auth.get("ApiKeyRequired").and_then(Value::as_bool) == Some(true);
    let preflight_auth = auth
        .get("AddDefaultAuthorizerToCorsPreflight")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let preflight_key = auth
        .get("AddApiKeyRequiredToCorsPreflight")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    openapi::for_each_operation(doc, |verb, op| {
        let Some(map) = op.as_object_mut() else {
            return;
        };
        let no_auth = map.remove("x-apigw-no-default-auth").is_some();
        let no_key = map.remove("x-apigw-no-default-key").is_some();
        let has_authorizer = map
            .get("security")
            .and_then(Value::as_array)
            .is_some_and(|l| {
                l.iter().any(|r| {
                    r.as_object()
                        .is_some_and(|o| o.keys().any(|k| k != "api_key"))
                })
            });
        let options = verb == "options";
        let mut add = Vec::new();
        if let Some(name) = default {
            if !no_auth && !has_authorizer && (!options || preflight_auth) {
                add.push(json!({ name: [] }));
            }
        }
        if key_required && !no_key && (!options || preflight_key) {
            add.push(json!({"api_key": []}));
        }
        if add.is_empty() {
            return;
        }
        let list = map.entry("security").or_insert_with(|| json!([]));
        if let Some(list) = list.as_array_mut() {
            for r in add {
                if !list.contains(&r) {
                    list.push(r);
                }
            }
        }
    });
}

/// `Auth.UsagePlan` with `CreateUsagePlan: PER_API` (or `SHARED`): a plan
/// over the API's stages and an API key, as SAM generates them.
pub(super) fn usage_plan(
    t: &mut Translator<'_>,
    id: &str,
    api_id: &str,
    auth: &Value,
    stages: &[TemplateStage],
) -> Result<(), TemplateError> {
    let Some(plan) = auth.get("UsagePlan") else {
        return Ok(());
    };
    let create = plan
        .get("CreateUsagePlan")
        .and_then(Value::as_str)
        .unwrap_or("NONE");
    if create == "NONE" {
        return Ok(());
    }
    let plan_id = if create == "SHARED" {
        "ServerlessUsagePlan".to_string()
    } else {
        format!("{id}UsagePlan")
    };
    let key_name = if create == "SHARED" {
        "ServerlessApiKey".to_string()
    } else {
        format!("{id}ApiKey")
    };
    let api_stages: Vec<(String, String)> = stages
        .iter()
        .take(1)
        .map(|s| (api_id.to_string(), s.name.clone()))
        .collect();
    if let Some(existing) = t
        .out
        .usage_plans
        .iter_mut()
        .find(|p| p.logical_id == plan_id)
    {
        existing.stages.extend(api_stages);
        return Ok(());
    }
    let value = generated_key(&t.inputs.stack_name, &key_name);
    t.out.api_keys.push(TemplateApiKey {
        logical_id: key_name.clone(),
        name: key_name.clone(),
        value,
        enabled: true,
    });
    t.out.usage_plans.push(TemplatePlan {
        logical_id: plan_id.clone(),
        name: plan
            .get("UsagePlanName")
            .and_then(scalar_text)
            .unwrap_or(plan_id),
        throttle: crate::template::settings::throttle(plan.get("Throttle")),
        quota: crate::template::settings::quota(plan.get("Quota")),
        stages: api_stages,
        keys: vec![key_name],
    });
    Ok(())
}
