//! CloudFormation's own API Gateway resources (`AWS::ApiGateway::*`, as
//! `cdk synth` and hand-written stacks declare them) and
//! `AWS::Lambda::Function`. A `RestApi` with a `Body` (or a local
//! `BodyS3Location`) is that document; one without is built from its
//! `Resource` tree and `Method`s; `Authorizer`, `Model`,
//! `RequestValidator` and `GatewayResponse` join its document;
//! `Deployment`/`Stage` give its stages; `ApiKey`, `UsagePlan`,
//! `UsagePlanKey`, `DomainName`, `BasePathMapping` the rest.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

mod access;
mod document;

use super::intrinsics::scalar_text;
use super::openapi;
use super::{number, string_map, Severity, TemplateApi, TemplateError, TemplateStage, Translator};
use crate::template::documents::{include, read_document};
use crate::template::settings::method_settings;

/// What `Ref` gives for an `AWS::ApiGateway::*` resource without a name of
/// its own: this prefix and its logical id (no AWS id looks like it).
pub const TOKEN: &str = "@apigw:";
/// What `Fn::GetAtt Api.RootResourceId` gives.
pub const ROOT_TOKEN: &str = "@root:";

/// The logical id a token (`@apigw:Id`, `@root:Id`) stands for.
fn token<'v>(value: &'v Value, prefix: &str) -> Option<&'v str> {
    value.as_str()?.strip_prefix(prefix)
}

/// A REST API being assembled from its resources.
struct Api {
    logical_id: String,
    name: String,
    doc: Value,
    /// Built from Resource and Method resources (no Body).
    built: bool,
    stages: Vec<TemplateStage>,
}

/// Properties of resources of one type, resolved: (logical id, properties).
type Declared = Vec<(String, Map<String, Value>)>;

/// The kinds that attach to a RestApi, in the order they are applied
/// (paths before methods, authorizers and models before the methods that
/// name them, the document before its stages).
const PARTS: &[&str] = &[
    "AWS::ApiGateway::Resource",
    "AWS::ApiGateway::Authorizer",
    "AWS::ApiGateway::Model",
    "AWS::ApiGateway::RequestValidator",
    "AWS::ApiGateway::GatewayResponse",
    "AWS::ApiGateway::Method",
    "AWS::ApiGateway::Deployment",
    "AWS::ApiGateway::Stage",
];

/// What attaching a part needs beside its API: resource paths by logical
/// id, and the names authorizers, validators and models have in documents.
struct Lookup {
    paths: BTreeMap<String, String>,
    names: BTreeMap<String, String>,
}

/// Translates the CloudFormation resources; marks the ones it served.
pub fn translate(
    t: &mut Translator<'_>,
    served: &mut BTreeSet<String>,
) -> Result<(), TemplateError> {
    let mut apis: BTreeMap<String, Api> = BTreeMap::new();
    let mut by_kind: BTreeMap<&str, Declared> = BTreeMap::new();
    for (id, kind, resource) in t.resources() {
        match kind {
            "AWS::ApiGateway::RestApi" => {
                let api = rest_api(t, id, resource)?;
                apis.insert(t.api_id(id), api);
            }
            "AWS::Lambda::Function" => access::lambda_function(t, id, resource)?,
            k if k.starts_with("AWS::ApiGateway::") => {
                let props = t.properties(id, resource)?;
                by_kind.entry(k).or_default().push((id.to_string(), props));
                continue;
            }
            _ => continue,
        }
        served.insert(id.to_string());
    }
    let mut take = |k: &str| by_kind.remove(k).unwrap_or_default();
    let parts: Vec<(&str, Declared)> = PARTS.iter().map(|k| (*k, take(k))).collect();
    let (keys, plans, plan_keys) = (
        take("AWS::ApiGateway::ApiKey"),
        take("AWS::ApiGateway::UsagePlan"),
        take("AWS::ApiGateway::UsagePlanKey"),
    );
    let (domains, mappings) = (
        take("AWS::ApiGateway::DomainName"),
        take("AWS::ApiGateway::BasePathMapping"),
    );
    let lookup = Lookup {
        paths: resource_paths(&parts[0].1)?,
        names: names(parts.iter().skip(1).take(3).flat_map(|(_, d)| d)),
    };
    for (kind, declared) in &parts {
        for (id, props) in declared {
            let api_id = props
                .get("RestApiId")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let Some(api) = apis.get_mut(api_id) else {
                t.finding(
                    id,
                    kind,
                    Severity::Unsupported,
                    "its RestApiId names no AWS::ApiGateway::RestApi of this template",
                );
                continue;
            };
            attach(api, kind, id, props, &lookup)?;
            served.insert(id.clone());
        }
    }
    for (_, api) in apis {
        finish(t, api);
    }
    access::keys_and_plans(t, served, keys, plans, plan_keys)?;
    access::custom_domains(t, served, domains, mappings);
    Ok(())
}

/// Adds one part to its API's document or stages.
fn attach(
    api: &mut Api,
    kind: &str,
    id: &str,
    p: &Map<String, Value>,
    lookup: &Lookup,
) -> Result<(), TemplateError> {
    let at = format!("Resources.{id}.Properties");
    let names = &lookup.names;
    match kind {
        "AWS::ApiGateway::Resource" => {
            if api.built {
                let path = lookup.paths.get(id).cloned().unwrap_or_default();
                if let Some(paths) = openapi::paths(&mut api.doc) {
                    paths.entry(path).or_insert_with(|| json!({}));
                }
            }
            Ok(())
        }
        "AWS::ApiGateway::Authorizer" => document::authorizer(api, id, p, names, &at),
        "AWS::ApiGateway::Model" => document::model(api, id, p, names, &at),
        "AWS::ApiGateway::RequestValidator" => document::validator(api, id, p, names),
        "AWS::ApiGateway::GatewayResponse" => document::gateway_response(api, p, &at),
        "AWS::ApiGateway::Method" => document::method(api, p, &lookup.paths, names, &at),
        "AWS::ApiGateway::Deployment" => deployment(api, p, &at),
        _ => stage(api, p, &at),
    }
}

/// The finished API joins the output (with a warning when nothing deploys it).
fn finish(t: &mut Translator<'_>, api: Api) {
    if api.stages.is_empty() {
        t.finding(
            &api.logical_id,
            "AWS::ApiGateway::RestApi",
            Severity::Warning,
            "no Stage or Deployment with a StageName: imported, not deployed",
        );
    }
    let id = t.api_id(&api.logical_id);
    t.out.apis.push(TemplateApi {
        logical_id: api.logical_id,
        id,
        name: api.name,
        document: api.doc,
        stages: api.stages,
    });
}

fn rest_api(t: &Translator<'_>, id: &str, resource: &Value) -> Result<Api, TemplateError> {
    let at = format!("Resources.{id}.Properties");
    let mut raw = resource
        .get("Properties")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let body = raw.as_object_mut().and_then(|p| p.remove("Body"));
    let props = match t.ctx.resolve(&raw, &at)? {
        Value::Object(m) => m,
        _ => return Err(TemplateError::at(&at, "Properties is a mapping")),
    };
    let name = props.get("Name").and_then(scalar_text);
    let (mut doc, built) = match (body, props.get("BodyS3Location")) {
        (Some(body), _) => {
            let body = include(t, &body, &format!("{at}.Body"))?;
            (t.ctx.resolve(&body, &format!("{at}.Body"))?, false)
        }
        (None, Some(location)) => (
            read_document(t, location, &format!("{at}.BodyS3Location"))?,
            false,
        ),
        (None, None) => (openapi::document(name.as_deref().unwrap_or(id)), true),
    };
    let root = doc.as_object_mut().ok_or_else(|| {
        TemplateError::at(&format!("{at}.Body"), "an OpenAPI document is a mapping")
    })?;
    if let (Some(name), Some(info)) = (&name, root.get_mut("info").and_then(Value::as_object_mut)) {
        info.insert("title".into(), Value::String(name.clone()));
    }
    let extension = |k: &str| format!("x-amazon-apigateway-{k}");
    if let Some(types) = props.get("BinaryMediaTypes") {
        root.insert(
            extension("binary-media-types"),
            openapi::binary_media_types(types),
        );
    }
    if let Some(size) = props.get("MinimumCompressionSize") {
        root.insert(extension("minimum-compression-size"), size.clone());
    }
    if let Some(source) = props.get("ApiKeySourceType") {
        root.insert(extension("api-key-source"), source.clone());
    }
    if let Some(types) = props
        .get("EndpointConfiguration")
        .and_then(|e| e.get("Types"))
    {
        root.insert(extension("endpoint-configuration"), json!({"types": types}));
    }
    if let Some(policy) = props.get("Policy") {
        root.insert(extension("policy"), policy.clone());
    }
    let name = name.unwrap_or_else(|| {
        root.get("info")
            .and_then(|i| i.get("title"))
            .and_then(Value::as_str)
            .unwrap_or(id)
            .to_string()
    });
    Ok(Api {
        logical_id: id.to_string(),
        name,
        doc,
        built,
        stages: Vec::new(),
    })
}

/// Each `AWS::ApiGateway::Resource`'s full path, from its `ParentId` chain.
fn resource_paths(resources: &Declared) -> Result<BTreeMap<String, String>, TemplateError> {
    let by_id: BTreeMap<&str, &Map<String, Value>> =
        resources.iter().map(|(id, p)| (id.as_str(), p)).collect();
    let mut out = BTreeMap::new();
    for (id, _) in resources {
        let mut parts = Vec::new();
        let mut current = id.as_str();
        loop {
            let at = format!("Resources.{current}.Properties");
            let props = by_id.get(current).ok_or_else(|| {
                TemplateError::at(&at, "ParentId names no AWS::ApiGateway::Resource")
            })?;
            let part = props
                .get("PathPart")
                .and_then(Value::as_str)
                .ok_or_else(|| TemplateError::at(&format!("{at}.PathPart"), "is required"))?;
            parts.push(part.to_string());
            if parts.len() > 64 {
                return Err(TemplateError::at(&at, "ParentId chain is a cycle"));
            }
            let parent = props.get("ParentId").unwrap_or(&Value::Null);
            if token(parent, ROOT_TOKEN).is_some() {
                break;
            }
            current = token(parent, TOKEN).ok_or_else(|| {
                TemplateError::at(
                    &format!("{at}.ParentId"),
                    "give !GetAtt Api.RootResourceId or !Ref of a Resource",
                )
            })?;
        }
        parts.reverse();
        out.insert(id.clone(), format!("/{}", parts.join("/")));
    }
    Ok(out)
}

/// The names the document uses for authorizers, validators and models.
fn names<'d>(
    declared: impl Iterator<Item = &'d (String, Map<String, Value>)>,
) -> BTreeMap<String, String> {
    declared
        .map(|(id, p)| {
            let name = p.get("Name").and_then(Value::as_str).unwrap_or(id);
            (id.clone(), name.to_string())
        })
        .collect()
}

fn deployment(api: &mut Api, p: &Map<String, Value>, at: &str) -> Result<(), TemplateError> {
    let Some(name) = p.get("StageName").and_then(Value::as_str) else {
        return Ok(());
    };
    let d = p
        .get("StageDescription")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let mut settings = method_settings(
        d.get("MethodSettings"),
        &format!("{at}.StageDescription.MethodSettings"),
    )?;
    if let Some(rate) = d.get("ThrottlingRateLimit").and_then(number) {
        let all = settings.entry("*/*".into()).or_default();
        all.throttling_rate_limit = Some(rate);
        all.throttling_burst_limit = d
            .get("ThrottlingBurstLimit")
            .and_then(number)
            .map(|n| n as u32);
    }
    add_stage(
        api,
        TemplateStage {
            name: name.to_string(),
            description: d.get("Description").and_then(scalar_text),
            variables: string_map(
                d.get("Variables"),
                &format!("{at}.StageDescription.Variables"),
            )?,
            cache_cluster_enabled: d.get("CacheClusterEnabled").and_then(Value::as_bool)
                == Some(true),
            method_settings: settings,
        },
    );
    Ok(())
}

fn stage(api: &mut Api, p: &Map<String, Value>, at: &str) -> Result<(), TemplateError> {
    let name = p
        .get("StageName")
        .and_then(Value::as_str)
        .ok_or_else(|| TemplateError::at(&format!("{at}.StageName"), "is required"))?;
    add_stage(
        api,
        TemplateStage {
            name: name.to_string(),
            description: p.get("Description").and_then(scalar_text),
            variables: string_map(p.get("Variables"), &format!("{at}.Variables"))?,
            cache_cluster_enabled: p.get("CacheClusterEnabled").and_then(Value::as_bool)
                == Some(true),
            method_settings: method_settings(
                p.get("MethodSettings"),
                &format!("{at}.MethodSettings"),
            )?,
        },
    );
    Ok(())
}

/// A Stage resource wins over a Deployment's `StageName` of the same name.
fn add_stage(api: &mut Api, stage: TemplateStage) {
    api.stages.retain(|s| s.name != stage.name);
    api.stages.push(stage);
}
