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

use super::intrinsics::scalar_text;
use super::openapi;
use super::{
    number, string_map, Severity, TemplateApi, TemplateApiKey, TemplateDomain, TemplateError,
    TemplateFunction, TemplatePlan, TemplateStage, Translator,
};

/// What `Ref` gives for an `AWS::ApiGateway::*` resource without a name of
/// its own: this prefix and its logical id (no AWS id looks like it).
pub const TOKEN: &str = "@apigw:";
/// What `Fn::GetAtt Api.RootResourceId` gives.
pub const ROOT_TOKEN: &str = "@root:";

/// Replaces `{"Fn::Transform": {"Name": "AWS::Include", "Parameters":
/// {"Location": file}}}` with the file's contents (a local path).
pub fn include(t: &Translator<'_>, value: &Value, at: &str) -> Result<Value, TemplateError> {
    let Some(transform) = value
        .get("Fn::Transform")
        .filter(|_| value.as_object().is_some_and(|m| m.len() == 1))
    else {
        return Ok(value.clone());
    };
    let at = format!("{at}.Fn::Transform");
    if transform.get("Name").and_then(Value::as_str) != Some("AWS::Include") {
        return Err(TemplateError::at(
            &at,
            "only the AWS::Include transform is supported",
        ));
    }
    let location = transform
        .pointer("/Parameters/Location")
        .map(|l| t.ctx.resolve(l, &at))
        .transpose()?
        .and_then(|l| l.as_str().map(str::to_string))
        .ok_or_else(|| TemplateError::at(&at, "Parameters.Location names a file"))?;
    let text = t
        .files
        .read(&local_path(&location))
        .map_err(|e| TemplateError::at(&at, e))?;
    super::load::parse(&text)
        .map_err(|e| TemplateError::at(&format!("{at} ({location})"), e.to_string()))
}

/// `s3://bucket/key` or a path: the local file it stands for.
fn local_path(location: &str) -> String {
    location
        .strip_prefix("s3://")
        .map_or_else(|| location.to_string(), str::to_string)
}

/// An OpenAPI document named by a path, `s3://` URI, or `{Bucket, Key}`:
/// `Key` relative to the template, else `Bucket/Key`.
pub fn read_document(
    t: &Translator<'_>,
    location: &Value,
    at: &str,
) -> Result<Value, TemplateError> {
    let candidates: Vec<String> = match location {
        Value::String(s) => vec![local_path(s)],
        Value::Object(m) => {
            let bucket = m.get("Bucket").and_then(Value::as_str).unwrap_or_default();
            let key = m
                .get("Key")
                .and_then(Value::as_str)
                .ok_or_else(|| TemplateError::at(at, "give Bucket and Key"))?;
            vec![key.to_string(), format!("{bucket}/{key}")]
        }
        _ => return Err(TemplateError::at(at, "a file path or {Bucket, Key}")),
    };
    let mut why = String::new();
    for path in &candidates {
        match t.files.read(path) {
            Ok(text) => {
                return crate::import::parse_document(&text)
                    .map_err(|e| TemplateError::at(&format!("{at} ({path})"), e.to_string()))
            }
            Err(e) => why = e,
        }
    }
    Err(TemplateError::at(
        at,
        format!("no local file {}: {why}", candidates.join(" or ")),
    ))
}

/// `MethodSettings` (SAM's and CloudFormation's shape) by method key.
pub fn method_settings(
    value: Option<&Value>,
    at: &str,
) -> Result<BTreeMap<String, crate::MethodSetting>, TemplateError> {
    let mut out = BTreeMap::new();
    let Some(value) = value else { return Ok(out) };
    let list = value
        .as_array()
        .ok_or_else(|| TemplateError::at(at, "a list of method settings"))?;
    for (i, s) in list.iter().enumerate() {
        let path = s
            .get("ResourcePath")
            .and_then(Value::as_str)
            .unwrap_or("/*")
            .replace("~1", "/");
        let verb = s.get("HttpMethod").and_then(Value::as_str).unwrap_or("*");
        let key = if path == "/*" && verb == "*" {
            "*/*".to_string()
        } else {
            format!("{path}/{}", verb.to_ascii_uppercase())
        };
        let setting = crate::MethodSetting {
            throttling_rate_limit: s.get("ThrottlingRateLimit").and_then(number),
            throttling_burst_limit: s
                .get("ThrottlingBurstLimit")
                .and_then(number)
                .map(|n| n as u32),
            caching_enabled: s.get("CachingEnabled").and_then(Value::as_bool),
            cache_ttl_in_seconds: s
                .get("CacheTtlInSeconds")
                .and_then(number)
                .map(|n| n as u32),
            metrics_enabled: s.get("MetricsEnabled").and_then(Value::as_bool),
            logging_level: s.get("LoggingLevel").and_then(scalar_text),
            data_trace_enabled: s.get("DataTraceEnabled").and_then(Value::as_bool),
            ..crate::MethodSetting::default()
        };
        if out.insert(key.clone(), setting).is_some() {
            return Err(TemplateError::at(
                &format!("{at}[{i}]"),
                format!("{key} is set twice"),
            ));
        }
    }
    Ok(out)
}

/// `{RateLimit, BurstLimit}` as (rate, burst).
pub fn throttle(value: Option<&Value>) -> Option<(f64, u32)> {
    let v = value?;
    Some((
        v.get("RateLimit").and_then(number)?,
        v.get("BurstLimit").and_then(number).unwrap_or(0.0) as u32,
    ))
}

/// `{Limit, Period, Offset}` as (limit, period, offset).
pub fn quota(value: Option<&Value>) -> Option<(u64, String, u32)> {
    let v = value?;
    Some((
        v.get("Limit").and_then(number)? as u64,
        v.get("Period")
            .and_then(scalar_text)
            .unwrap_or_else(|| "DAY".into())
            .to_ascii_uppercase(),
        v.get("Offset").and_then(number).unwrap_or(0.0) as u32,
    ))
}

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

/// Translates the CloudFormation resources; marks the ones it served.
pub fn translate(
    t: &mut Translator<'_>,
    served: &mut BTreeSet<String>,
) -> Result<(), TemplateError> {
    let mut apis: BTreeMap<String, Api> = BTreeMap::new();
    let mut by_kind: BTreeMap<&str, Vec<(String, Map<String, Value>)>> = BTreeMap::new();
    for (id, kind, resource) in t.resources() {
        match kind {
            "AWS::ApiGateway::RestApi" => {
                let api = rest_api(t, id, resource)?;
                apis.insert(t.api_id(id), api);
            }
            "AWS::Lambda::Function" => lambda_function(t, id, resource)?,
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
    let resources = take("AWS::ApiGateway::Resource");
    let (methods, authorizers, models) = (
        take("AWS::ApiGateway::Method"),
        take("AWS::ApiGateway::Authorizer"),
        take("AWS::ApiGateway::Model"),
    );
    let (validators, responses) = (
        take("AWS::ApiGateway::RequestValidator"),
        take("AWS::ApiGateway::GatewayResponse"),
    );
    let (deployments, stages) = (
        take("AWS::ApiGateway::Deployment"),
        take("AWS::ApiGateway::Stage"),
    );
    let (keys, plans, plan_keys) = (
        take("AWS::ApiGateway::ApiKey"),
        take("AWS::ApiGateway::UsagePlan"),
        take("AWS::ApiGateway::UsagePlanKey"),
    );
    let (domains, mappings) = (
        take("AWS::ApiGateway::DomainName"),
        take("AWS::ApiGateway::BasePathMapping"),
    );
    let paths = resource_paths(&resources)?;
    let names = names(&authorizers, &validators, &models);
    let mut attach =
        |t: &mut Translator<'_>,
         id: &str,
         props: &Map<String, Value>,
         kind: &str,
         f: &mut dyn FnMut(&mut Api, &Map<String, Value>) -> Result<(), TemplateError>|
         -> Result<bool, TemplateError> {
            let api_id = props
                .get("RestApiId")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            match apis.get_mut(&api_id) {
                Some(api) => {
                    f(api, props)?;
                    Ok(true)
                }
                None => {
                    t.finding(
                        id,
                        kind,
                        Severity::Unsupported,
                        "its RestApiId names no AWS::ApiGateway::RestApi of this template",
                    );
                    Ok(false)
                }
            }
        };
    let region = t.inputs.region.clone();
    let mut groups: Vec<(&str, Vec<(String, Map<String, Value>)>)> = vec![
        ("AWS::ApiGateway::Resource", resources.clone()),
        ("AWS::ApiGateway::Authorizer", authorizers),
        ("AWS::ApiGateway::Model", models),
        ("AWS::ApiGateway::RequestValidator", validators),
        ("AWS::ApiGateway::GatewayResponse", responses),
        ("AWS::ApiGateway::Method", methods),
        ("AWS::ApiGateway::Deployment", deployments),
        ("AWS::ApiGateway::Stage", stages),
    ];
    for (kind, items) in groups.iter_mut() {
        for (id, props) in items.iter() {
            let at = format!("Resources.{id}.Properties");
            let ok = attach(t, id, props, kind, &mut |api, p| match *kind {
                "AWS::ApiGateway::Resource" => {
                    if api.built {
                        let path = paths.get(id.as_str()).cloned().unwrap_or_default();
                        openapi::paths(&mut api.doc)
                            .map(|m| m.entry(path).or_insert_with(|| json!({})));
                    }
                    Ok(())
                }
                "AWS::ApiGateway::Authorizer" => authorizer(api, id, p, &names, &at),
                "AWS::ApiGateway::Model" => model(api, id, p, &names, &at),
                "AWS::ApiGateway::RequestValidator" => validator(api, id, p, &names),
                "AWS::ApiGateway::GatewayResponse" => gateway_response(api, p, &at),
                "AWS::ApiGateway::Method" => method(api, p, &paths, &names, &region, &at),
                "AWS::ApiGateway::Deployment" => deployment(api, p, &at),
                _ => stage(api, p, &at),
            })?;
            if ok {
                served.insert(id.clone());
            }
        }
    }
    for (_, api) in apis {
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
    access(t, served, keys, plans, plan_keys)?;
    custom_domains(t, served, domains, mappings);
    Ok(())
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
fn resource_paths(
    resources: &[(String, Map<String, Value>)],
) -> Result<BTreeMap<String, String>, TemplateError> {
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
fn names(
    groups: &[(String, Map<String, Value>)],
    validators: &[(String, Map<String, Value>)],
    models: &[(String, Map<String, Value>)],
) -> BTreeMap<String, String> {
    groups
        .iter()
        .chain(validators)
        .chain(models)
        .map(|(id, p)| {
            (
                id.clone(),
                p.get("Name")
                    .and_then(Value::as_str)
                    .unwrap_or(id)
                    .to_string(),
            )
        })
        .collect()
}

fn authorizer(
    api: &mut Api,
    id: &str,
    p: &Map<String, Value>,
    names: &BTreeMap<String, String>,
    at: &str,
) -> Result<(), TemplateError> {
    let kind = p
        .get("Type")
        .and_then(Value::as_str)
        .ok_or_else(|| TemplateError::at(&format!("{at}.Type"), "is required"))?
        .to_ascii_lowercase();
    let mut authorizer = json!({"type": kind});
    for (from, to) in [
        ("AuthorizerUri", "authorizerUri"),
        ("IdentitySource", "identitySource"),
        (
            "IdentityValidationExpression",
            "identityValidationExpression",
        ),
        (
            "AuthorizerResultTtlInSeconds",
            "authorizerResultTtlInSeconds",
        ),
        ("ProviderARNs", "providerARNs"),
        ("AuthorizerCredentials", "authorizerCredentials"),
    ] {
        if let Some(v) = p.get(from) {
            authorizer[to] = if to == "authorizerResultTtlInSeconds" {
                json!(number(v).unwrap_or(300.0) as u64)
            } else {
                v.clone()
            };
        }
    }
    let header = p
        .get("IdentitySource")
        .and_then(Value::as_str)
        .and_then(|s| s.strip_prefix("method.request.header."))
        .unwrap_or("Authorization")
        .to_string();
    let authtype = if kind == "cognito_user_pools" {
        "cognito_user_pools"
    } else {
        "custom"
    };
    let defs = openapi::section(&mut api.doc, "securityDefinitions").expect("a mapping");
    defs.insert(names[id].clone(), json!({"type": "apiKey", "name": header, "in": "header", "x-amazon-apigateway-authtype": authtype, "x-amazon-apigateway-authorizer": authorizer}));
    Ok(())
}

fn model(
    api: &mut Api,
    id: &str,
    p: &Map<String, Value>,
    names: &BTreeMap<String, String>,
    at: &str,
) -> Result<(), TemplateError> {
    let schema = match p.get("Schema") {
        Some(Value::String(s)) => serde_json::from_str(s)
            .map_err(|e| TemplateError::at(&format!("{at}.Schema"), format!("not JSON: {e}")))?,
        Some(v) => v.clone(),
        None => json!({}),
    };
    openapi::section(&mut api.doc, "definitions")
        .expect("a mapping")
        .insert(names[id].clone(), schema);
    Ok(())
}

fn validator(
    api: &mut Api,
    id: &str,
    p: &Map<String, Value>,
    names: &BTreeMap<String, String>,
) -> Result<(), TemplateError> {
    let flag = |k: &str| p.get(k).and_then(Value::as_bool).unwrap_or(false);
    openapi::section(&mut api.doc, "x-amazon-apigateway-request-validators").expect("a mapping").insert(
        names[id].clone(),
        json!({"validateRequestBody": flag("ValidateRequestBody"), "validateRequestParameters": flag("ValidateRequestParameters")}),
    );
    Ok(())
}

fn gateway_response(api: &mut Api, p: &Map<String, Value>, at: &str) -> Result<(), TemplateError> {
    let kind = p
        .get("ResponseType")
        .and_then(Value::as_str)
        .ok_or_else(|| TemplateError::at(&format!("{at}.ResponseType"), "is required"))?;
    let mut response = json!({});
    if let Some(code) = p.get("StatusCode").and_then(scalar_text) {
        response["statusCode"] = json!(code);
    }
    for (from, to) in [
        ("ResponseParameters", "responseParameters"),
        ("ResponseTemplates", "responseTemplates"),
    ] {
        if let Some(v) = p.get(from) {
            response[to] = v.clone();
        }
    }
    openapi::section(&mut api.doc, "x-amazon-apigateway-gateway-responses")
        .expect("a mapping")
        .insert(kind.to_string(), response);
    Ok(())
}

/// An `AWS::ApiGateway::Method` as an operation of the built document.
fn method(
    api: &mut Api,
    p: &Map<String, Value>,
    paths: &BTreeMap<String, String>,
    names: &BTreeMap<String, String>,
    region: &str,
    at: &str,
) -> Result<(), TemplateError> {
    if !api.built {
        return Err(TemplateError::at(
            at,
            "a Method of a RestApi that has a Body: declare it in the Body",
        ));
    }
    let resource = p.get("ResourceId").unwrap_or(&Value::Null);
    let path = if token(resource, ROOT_TOKEN).is_some() {
        "/".to_string()
    } else {
        let id = token(resource, TOKEN).ok_or_else(|| {
            TemplateError::at(
                &format!("{at}.ResourceId"),
                "give !GetAtt Api.RootResourceId or !Ref of a Resource",
            )
        })?;
        paths.get(id).cloned().ok_or_else(|| {
            TemplateError::at(
                &format!("{at}.ResourceId"),
                format!("`{id}` is no AWS::ApiGateway::Resource"),
            )
        })?
    };
    let verb = p
        .get("HttpMethod")
        .and_then(Value::as_str)
        .ok_or_else(|| TemplateError::at(&format!("{at}.HttpMethod"), "is required"))?;
    let mut op = json!({"responses": {}});
    if let Some(integration) = p.get("Integration") {
        op["x-amazon-apigateway-integration"] = integration_of(integration);
    }
    for r in p
        .get("MethodResponses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let code = r
            .get("StatusCode")
            .and_then(scalar_text)
            .unwrap_or_else(|| "200".into());
        let mut response = json!({"description": format!("{code} response")});
        let headers: Map<String, Value> = r
            .get("ResponseParameters")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(k, _)| {
                k.strip_prefix("method.response.header.")
                    .map(|h| (h.to_string(), json!({"type": "string"})))
            })
            .collect();
        if !headers.is_empty() {
            response["headers"] = Value::Object(headers);
        }
        if let Some(model) = r
            .get("ResponseModels")
            .and_then(Value::as_object)
            .and_then(|m| m.values().next())
            .and_then(Value::as_str)
        {
            response["schema"] = json!({"$ref": format!("#/definitions/{model}")});
        }
        op["responses"][code] = response;
    }
    let mut parameters: Vec<Value> = Vec::new();
    for (name, required) in p
        .get("RequestParameters")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if let Some((place, param)) = name
            .strip_prefix("method.request.")
            .and_then(|r| r.split_once('.'))
        {
            let place = match place {
                "querystring" => "query",
                "header" => "header",
                _ => "path",
            };
            parameters.push(json!({"name": param, "in": place, "required": place == "path" || required.as_bool() == Some(true), "type": "string"}));
        }
    }
    if let Some(model) = p
        .get("RequestModels")
        .and_then(Value::as_object)
        .and_then(|m| m.values().next())
        .and_then(Value::as_str)
    {
        parameters.push(json!({"in": "body", "name": model, "required": true, "schema": {"$ref": format!("#/definitions/{model}")}}));
    }
    if !parameters.is_empty() {
        op["parameters"] = Value::Array(parameters);
    }
    let mut security = Vec::new();
    match p
        .get("AuthorizationType")
        .and_then(Value::as_str)
        .unwrap_or("NONE")
    {
        "AWS_IAM" => {
            openapi::section(&mut api.doc, "securityDefinitions").expect("a mapping").insert("AWS_IAM".into(), json!({"type": "apiKey", "name": "Authorization", "in": "header", "x-amazon-apigateway-authtype": "awsSigv4"}));
            security.push(json!({"AWS_IAM": []}));
        }
        "CUSTOM" | "COGNITO_USER_POOLS" => {
            let id = p
                .get("AuthorizerId")
                .and_then(|v| token(v, TOKEN))
                .ok_or_else(|| {
                    TemplateError::at(
                        &format!("{at}.AuthorizerId"),
                        "give !Ref of an AWS::ApiGateway::Authorizer",
                    )
                })?;
            let scopes = p
                .get("AuthorizationScopes")
                .cloned()
                .unwrap_or_else(|| json!([]));
            security
                .push(json!({ names.get(id).cloned().unwrap_or_else(|| id.to_string()): scopes }));
        }
        _ => {}
    }
    if p.get("ApiKeyRequired").and_then(Value::as_bool) == Some(true) {
        openapi::section(&mut api.doc, "securityDefinitions")
            .expect("a mapping")
            .insert(
                "api_key".into(),
                json!({"type": "apiKey", "name": "x-api-key", "in": "header"}),
            );
        security.push(json!({"api_key": []}));
    }
    if !security.is_empty() {
        op["security"] = Value::Array(security);
    }
    if let Some(v) = p.get("RequestValidatorId").and_then(|v| token(v, TOKEN)) {
        op["x-amazon-apigateway-request-validator"] =
            json!(names.get(v).cloned().unwrap_or_else(|| v.to_string()));
    }
    if let Some(name) = p.get("OperationName") {
        op["operationId"] = name.clone();
    }
    let _ = region;
    let paths = openapi::paths(&mut api.doc).expect("a mapping");
    let item = paths.entry(path).or_insert_with(|| json!({}));
    item[openapi::method_key(verb)] = op;
    Ok(())
}

/// A Method's `Integration` as `x-amazon-apigateway-integration`.
fn integration_of(i: &Value) -> Value {
    let mut out = json!({"type": i.get("Type").and_then(Value::as_str).unwrap_or("MOCK").to_ascii_lowercase()});
    for (from, to) in [
        ("IntegrationHttpMethod", "httpMethod"),
        ("Uri", "uri"),
        ("RequestTemplates", "requestTemplates"),
        ("RequestParameters", "requestParameters"),
        ("TimeoutInMillis", "timeoutInMillis"),
        ("ContentHandling", "contentHandling"),
        ("CacheKeyParameters", "cacheKeyParameters"),
        ("CacheNamespace", "cacheNamespace"),
        ("ConnectionType", "connectionType"),
        ("ConnectionId", "connectionId"),
        ("Credentials", "credentials"),
    ] {
        if let Some(v) = i.get(from) {
            out[to] = v.clone();
        }
    }
    if let Some(p) = i.get("PassthroughBehavior").and_then(Value::as_str) {
        out["passthroughBehavior"] = json!(p.to_ascii_lowercase());
    }
    let mut responses = Map::new();
    for r in i
        .get("IntegrationResponses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = r
            .get("SelectionPattern")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .unwrap_or("default")
            .to_string();
        let mut response = json!({"statusCode": r.get("StatusCode").and_then(scalar_text).unwrap_or_else(|| "200".into())});
        for (from, to) in [
            ("ResponseParameters", "responseParameters"),
            ("ResponseTemplates", "responseTemplates"),
            ("ContentHandling", "contentHandling"),
        ] {
            if let Some(v) = r.get(from) {
                response[to] = v.clone();
            }
        }
        responses.insert(key, response);
    }
    if !responses.is_empty() {
        out["responses"] = Value::Object(responses);
    }
    out
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

/// API keys, usage plans and the keys in them.
fn access(
    t: &mut Translator<'_>,
    served: &mut BTreeSet<String>,
    keys: Vec<(String, Map<String, Value>)>,
    plans: Vec<(String, Map<String, Value>)>,
    plan_keys: Vec<(String, Map<String, Value>)>,
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
            .unwrap_or_else(|| super::sam::generated_key(&t.inputs.stack_name, &id));
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
fn custom_domains(
    t: &mut Translator<'_>,
    served: &mut BTreeSet<String>,
    domains: Vec<(String, Map<String, Value>)>,
    mappings: Vec<(String, Map<String, Value>)>,
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
fn lambda_function(
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
    if !super::sam::is_local_runtime(&runtime) {
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
