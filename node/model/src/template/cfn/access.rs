//! API keys, usage plans and the keys in them; custom domain names and
//! their base path mappings; `AWS::Lambda::Function`s with local code.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{token, Declared, TOKEN};
use crate::template::intrinsics::scalar_text;
use crate::template::settings::{quota, throttle};
use crate::template::{
    number, string_map, Severity, TemplateApiKey, TemplateDomain, TemplateError, TemplateFunction,
    TemplatePlan, Translator,
};

/// API keys, usage plans and the keys in them.
pub(super) fn keys_and_plans(
    t: &mut Translator<'_>,
    served: &mut BTreeSet<String>,
    keys: Declared,
    plans: Declared,
    plan_keys: Declared,
) -> Result<(), TemplateError> {
    let mut key_names = BTreeMap::new();
    for (id, p) in keys {
        let name = p
            .get("Name")
            .and_then(scalar_text)
            .unwrap_or_else(|| id.clone());
        let value = p
            .get("Value")
            .and_then(scalar_text)
            .unwrap_or_else(|| crate::template::settings::generated_key(&t.inputs.stack_name, &id));
        if value.len() < 20 {
            return Err(TemplateError::at(
                &format!("Resources.{id}.Properties.Value"),
                "an API key value needs at least 20 characters",
            ));
        }
        let enabled = p.get("Enabled").and_then(Value::as_bool).unwrap_or(false);
        if !enabled {
            t.finding(
                &id,
                "AWS::ApiGateway::ApiKey",
                Severity::Warning,
                "Enabled is false (CloudFormation's default): the key is refused",
            );
        }
        key_names.insert(id.clone(), name.clone());
        t.out.api_keys.push(TemplateApiKey {
            logical_id: id.clone(),
            name,
            value,
            enabled,
        });
        served.insert(id);
    }
    let mut plan_index = BTreeMap::new();
    for (id, p) in plans {
        let stages = p
            .get("ApiStages")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|s| {
                Some((
                    s.get("ApiId")?.as_str()?.to_string(),
                    s.get("Stage")?.as_str()?.to_string(),
                ))
            })
            .collect();
        plan_index.insert(id.clone(), t.out.usage_plans.len());
        t.out.usage_plans.push(TemplatePlan {
            logical_id: id.clone(),
            name: p
                .get("UsagePlanName")
                .and_then(scalar_text)
                .unwrap_or_else(|| id.clone()),
            throttle: throttle(p.get("Throttle")),
            quota: quota(p.get("Quota")),
            stages,
            keys: Vec::new(),
        });
        served.insert(id);
    }
    for (id, p) in plan_keys {
        let at = format!("Resources.{id}.Properties");
        let key = p
            .get("KeyId")
            .and_then(|v| token(v, TOKEN))
            .and_then(|k| key_names.get(k))
            .ok_or_else(|| {
                TemplateError::at(
                    &format!("{at}.KeyId"),
                    "give !Ref of an AWS::ApiGateway::ApiKey",
                )
            })?;
        let plan = p
            .get("UsagePlanId")
            .and_then(|v| token(v, TOKEN))
            .and_then(|k| plan_index.get(k))
            .ok_or_else(|| {
                TemplateError::at(
                    &format!("{at}.UsagePlanId"),
                    "give !Ref of an AWS::ApiGateway::UsagePlan",
                )
            })?;
        t.out.usage_plans[*plan].keys.push(key.clone());
        served.insert(id);
    }
    Ok(())
}

/// Custom domain names and their base path mappings.
pub(super) fn custom_domains(
    t: &mut Translator<'_>,
    served: &mut BTreeSet<String>,
    domains: Declared,
    mappings: Declared,
) {
    for (id, p) in domains {
        let Some(name) = p.get("DomainName").and_then(Value::as_str) else {
            t.finding(
                &id,
                "AWS::ApiGateway::DomainName",
                Severity::Unsupported,
                "no DomainName",
            );
            continue;
        };
        let certificate_arn = p
            .get("RegionalCertificateArn")
            .or_else(|| p.get("CertificateArn"))
            .and_then(scalar_text);
        let mine = mappings
            .iter()
            .filter(|(_, m)| m.get("DomainName").and_then(Value::as_str) == Some(name));
        let mapped = mine
            .map(|(mid, m)| {
                served.insert(mid.clone());
                (
                    m.get("BasePath")
                        .and_then(Value::as_str)
                        .filter(|b| !b.is_empty())
                        .unwrap_or("(none)")
                        .to_string(),
                    m.get("RestApiId")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    m.get("Stage").and_then(Value::as_str).map(str::to_string),
                )
            })
            .collect();
        t.out.domains.push(TemplateDomain {
            logical_id: id.clone(),
            name: name.to_string(),
            certificate_arn,
            mappings: mapped,
        });
        served.insert(id);
    }
}

/// An `AWS::Lambda::Function` whose code is on disk: a CDK asset folder
/// (`Metadata: aws:asset:path`), else unsupported (S3 code, inline code).
pub(super) fn lambda_function(
    t: &mut Translator<'_>,
    id: &str,
    resource: &Value,
) -> Result<(), TemplateError> {
    const KIND: &str = "AWS::Lambda::Function";
    let at = format!("Resources.{id}.Properties");
    let props = t.properties(id, resource)?;
    let text = |k: &str| props.get(k).and_then(scalar_text);
    let runtime = text("Runtime").unwrap_or_default();
    let asset = resource
        .pointer("/Metadata/aws:asset:path")
        .and_then(Value::as_str);
    let Some(code_dir) = asset.map(str::to_string) else {
        t.finding(id, KIND, Severity::Unsupported, "its Code is in S3 or inline: run it with a CDK asset folder (Metadata aws:asset:path) or a SAM CodeUri");
        return Ok(());
    };
    if !crate::template::settings::is_local_runtime(&runtime) {
        t.finding(
            id,
            KIND,
            Severity::Unsupported,
            format!("runtime `{runtime}` is not run locally (python3.x, nodejs*, provided*)"),
        );
        return Ok(());
    }
    t.out.functions.push(TemplateFunction {
        logical_id: id.to_string(),
        name: t.ctx.resources[id]
            .reference
            .as_str()
            .unwrap_or(id)
            .to_string(),
        code_dir,
        handler: text("Handler"),
        runtime,
        environment: string_map(
            props.get("Environment").and_then(|e| e.get("Variables")),
            &format!("{at}.Environment.Variables"),
        )?,
        timeout_s: props
            .get("Timeout")
            .and_then(number)
            .unwrap_or(3.0)
            .clamp(1.0, 900.0) as u64,
        memory_mb: props
            .get("MemorySize")
            .and_then(number)
            .unwrap_or(128.0)
            .clamp(128.0, 10_240.0) as u32,
    });
    Ok(())
}
