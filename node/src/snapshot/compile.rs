//! Compiling a deployment: route tree, parameter mappings, selection
//! patterns, templates. Done once per deployment; what cannot be compiled
//! makes only its own method unavailable, and is reported.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderName, Method, StatusCode};
use regex::Regex;

use super::compiled::*;
use crate::import::Finding;
use crate::model::{
    Deployment, GatewayResponse, Integration, IntegrationResponse, IntegrationType,
    Method as ModelMethod, PassthroughBehavior, RestApi,
};
use crate::params;
use crate::vtl::Template;

/// Compiles a deployment; the findings name what could not be compiled.
pub fn compile(deployment: &Deployment) -> (CompiledApi, Vec<Finding>) {
    let api = &deployment.api;
    let mut findings = Vec::new();
    let mut router = Router::default();
    for resource in api.resources.values() {
        if resource.methods.is_empty() {
            continue;
        }
        let mut compiled = CompiledResource {
            path: resource.path.clone(),
            methods: HashMap::new(),
            any: None,
        };
        for (verb, method) in &resource.methods {
            let at = format!("{} {}", verb, resource.path);
            let m = Arc::new(compile_method(
                api,
                &resource.path,
                method,
                &at,
                &mut findings,
            ));
            if verb == "ANY" {
                compiled.any = Some(m);
            } else if let Ok(v) = Method::from_bytes(verb.as_bytes()) {
                compiled.methods.insert(v, m);
            }
        }
        router.insert(&resource.path, compiled);
    }
    // `$context.resourceId` of every routable resource, derived once here
    // rather than hashed per request.
    let mut resource_ids: HashMap<String, String> = api.resource_ids.clone().into_iter().collect();
    for resource in api.resources.values().filter(|r| !r.methods.is_empty()) {
        resource_ids
            .entry(resource.path.clone())
            .or_insert_with(|| crate::ids::resource_id(&api.id, &resource.path));
    }
    let mut gateway_responses = HashMap::new();
    for (kind, response) in &api.gateway_responses {
        let at = format!("gateway response {kind}");
        gateway_responses.insert(
            *kind,
            compile_gateway_response(response, &at, &mut findings),
        );
    }
    let policy = api.policy.as_ref().map(|doc| {
        crate::policy::Policy::parse(doc).map_err(|message| {
            findings.push(Finding {
                at: "x-amazon-apigateway-policy".into(),
                message: format!("{message} (every call answers 500)"),
            });
            message
        })
    });
    let compiled = CompiledApi {
        api_id: api.id.clone(),
        deployment_id: deployment.id.clone(),
        endpoint_type: api.endpoint_type,
        region: api.region.clone(),
        binary_media_types: api.binary_media_types.clone(),
        minimum_compression_size: api.minimum_compression_size,
        api_key_from_authorizer: api
            .api_key_source
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("AUTHORIZER")),
        policy,
        router,
        gateway_responses,
        resource_ids,
    };
    (compiled, findings)
}

use super::router::Router;

fn compile_method(
    api: &RestApi,
    path: &str,
    method: &ModelMethod,
    at: &str,
    findings: &mut Vec<Finding>,
) -> CompiledMethod {
    let validation = compile_validation(api, method).unwrap_or_else(|message| {
        findings.push(Finding {
            at: at.to_string(),
            message: format!("{message} (the method validates nothing)"),
        });
        Validation::default()
    });
    let authorization = match method.authorization_type.as_str() {
        "NONE" => Authorization::None,
        "AWS_IAM" => Authorization::Iam,
        "CUSTOM" => match compile_authorizer(api, method.authorizer.as_deref()) {
            Ok(a) => Authorization::Lambda(Arc::new(a)),
            Err(message) => {
                findings.push(Finding {
                    at: at.to_string(),
                    message: format!("{message} (calls answer 500)"),
                });
                Authorization::Unsupported(format!("CUSTOM: {message}"))
            }
        },
        "COGNITO_USER_POOLS" => {
            let name = method.authorizer.clone().unwrap_or_default();
            let header = api
                .authorizers
                .get(&name)
                .and_then(|a| a.get("identitySource"))
                .and_then(serde_json::Value::as_str)
                .and_then(|s| s.trim().strip_prefix("method.request.header."))
                .unwrap_or("Authorization")
                .to_string();
            Authorization::Jwt(Arc::new(JwtMethod {
                authorizer: name,
                header,
                scopes: method.authorization_scopes.clone(),
            }))
        }
        other => Authorization::Unsupported(other.to_string()),
    };
    let integration = match &method.integration {
        None => CompiledIntegration::Unavailable("the method has no integration".into()),
        Some(i) => compile_integration(i, at).unwrap_or_else(|reason| {
            findings.push(Finding {
                at: at.to_string(),
                message: reason.clone(),
            });
            CompiledIntegration::Unavailable(reason)
        }),
    };
    let mut cache_key = Vec::new();
    for key in method
        .integration
        .iter()
        .flat_map(|i| &i.cache_key_parameters)
    {
        match params::parse_request_source(key) {
            Ok(source) => cache_key.push(source),
            Err(e) => findings.push(Finding {
                at: at.to_string(),
                message: format!("cache key parameter: {e} (ignored)"),
            }),
        }
    }
    CompiledMethod {
        cache_key,
        http_method: method.http_method.clone(),
        resource_path: path.to_string(),
        authorization,
        api_key_required: method.api_key_required,
        validation,
        integration,
    }
}

/// A Lambda authorizer from its OpenAPI definition.
fn compile_authorizer(api: &RestApi, name: Option<&str>) -> Result<LambdaAuthorizer, String> {
    let name = name.ok_or("the method names no authorizer")?;
    let def = api
        .authorizers
        .get(name)
        .ok_or_else(|| format!("authorizer `{name}` is not defined"))?;
    let field = |key: &str| def.get(key).and_then(serde_json::Value::as_str);
    let token = match field("type").map(str::to_ascii_lowercase).as_deref() {
        Some("token") => true,
        Some("request") => false,
        other => {
            return Err(format!(
                "authorizer `{name}`: type {other:?} is not token or request"
            ))
        }
    };
    let uri = field("authorizerUri")
        .ok_or_else(|| format!("authorizer `{name}` has no authorizerUri"))?;
    let function = function_ref(uri).map_err(|e| format!("authorizer `{name}`: {e}"))?;
    let identity_sources = field("identitySource")
        .unwrap_or(if token {
            "method.request.header.Authorization"
        } else {
            ""
        })
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            params::parse_request_source(s)
                .map_err(|e| format!("authorizer `{name}` identitySource: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let ttl = def
        .get("authorizerResultTtlInSeconds")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(300);
    if ttl > 3600 {
        return Err(format!(
            "authorizer `{name}`: authorizerResultTtlInSeconds {ttl} is above 3600"
        ));
    }
    if !token && identity_sources.is_empty() && ttl > 0 {
        return Err(format!(
            "authorizer `{name}`: a cached REQUEST authorizer needs an identitySource"
        ));
    }
    let validation = match field("identityValidationExpression") {
        Some(p) if token => Some(RegexHolder(
            Regex::new(&format!("^(?:{p})$"))
                .map_err(|e| format!("authorizer `{name}` identityValidationExpression: {e}"))?,
        )),
        _ => None,
    };
    Ok(LambdaAuthorizer {
        name: name.to_string(),
        id: crate::ids::resource_id(&api.id, &format!("authorizer:{name}")),
        token,
        function,
        identity_sources,
        validation,
        ttl: Duration::from_secs(ttl),
    })
}

/// The method's validator (its own, else the API's default), compiled.
fn compile_validation(api: &RestApi, method: &ModelMethod) -> Result<Validation, String> {
    let Some(name) = method
        .request_validator
        .as_ref()
        .or(api.default_request_validator.as_ref())
    else {
        return Ok(Validation::default());
    };
    let validator = api
        .request_validators
        .get(name)
        .ok_or_else(|| format!("request validator `{name}` is not defined"))?;
    let mut validation = Validation::default();
    if validator.validate_request_parameters {
        for (key, required) in &method.request_parameters {
            if !required {
                continue;
            }
            match params::parse_request_source(key) {
                Ok(params::Source::MethodRequest(location, param)) => {
                    validation.required.push((location, param))
                }
                _ => return Err(format!("`{key}` is not a method request parameter")),
            }
        }
    }
    if validator.validate_request_body {
        for (content_type, model) in &method.request_models {
            let schema = model_schema(api, model)?;
            let compiled = jsonschema::draft4::new(&schema)
                .map_err(|e| format!("model `{model}` is not a valid JSON schema: {e}"))?;
            validation.models.insert(
                content_type.to_ascii_lowercase(),
                BodyModel {
                    name: model.clone(),
                    validator: Arc::new(compiled),
                },
            );
        }
    }
    Ok(validation)
}

/// A model as a standalone schema: references to other models
/// (`#/definitions/X`, `#/components/schemas/X`, `.../models/X`) point into
/// a `definitions` section holding every model of the API.
fn model_schema(api: &RestApi, name: &str) -> Result<serde_json::Value, String> {
    // `Empty` (AWS's default model) takes any body unless redefined with
    // properties.
    let redefined = api
        .models
        .get(name)
        .is_some_and(|m| m.get("properties").is_some());
    if name == "Empty" && !redefined {
        return Ok(serde_json::json!({}));
    }
    let model = api
        .models
        .get(name)
        .ok_or_else(|| format!("model `{name}` is not defined"))?;
    let mut root = model.clone();
    let definitions: serde_json::Map<String, serde_json::Value> = api
        .models
        .iter()
        .map(|(n, m)| (n.clone(), m.clone()))
        .collect();
    if let serde_json::Value::Object(fields) = &mut root {
        fields.insert("definitions".into(), serde_json::Value::Object(definitions));
    }
    rewrite_refs(&mut root);
    Ok(root)
}

fn rewrite_refs(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(fields) => {
            for (key, v) in fields.iter_mut() {
                match v {
                    serde_json::Value::String(target) if key == "$ref" => {
                        if let Some(model) = target.rsplit('/').next().filter(|_| {
                            target.starts_with("#/components/schemas/")
                                || target.starts_with("#/definitions/")
                                || target.contains("/models/")
                        }) {
                            *target = format!("#/definitions/{model}");
                        }
                    }
                    other => rewrite_refs(other),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(rewrite_refs),
        _ => {}
    }
}

fn compile_integration(i: &Integration, at: &str) -> Result<CompiledIntegration, String> {
    let vpc_link = i.connection_type.as_deref() == Some("VPC_LINK");
    if vpc_link && !matches!(i.kind, IntegrationType::Http | IntegrationType::HttpProxy) {
        return Err("VPC links carry HTTP and HTTP_PROXY integrations only".into());
    }
    match i.kind {
        IntegrationType::Http | IntegrationType::HttpProxy => {
            let uri = i.uri.as_deref().ok_or("the integration has no uri")?;
            let mut http = compile_http(i, uri, at)?;
            if vpc_link {
                let id = i
                    .connection_id
                    .as_deref()
                    .filter(|id| !id.is_empty())
                    .ok_or("a VPC_LINK integration needs a connectionId")?;
                http.vpc_link = Some(parse_uri(id)?);
            }
            Ok(CompiledIntegration::Http(http))
        }
        IntegrationType::Mock => Ok(CompiledIntegration::Mock(MockIntegration {
            request_templates: templates(&i.request_templates, &format!("{at} request template"))?,
            responses: compile_responses(&i.integration_responses, at)?,
        })),
        IntegrationType::Aws | IntegrationType::AwsProxy if !names_lambda(i) => {
            compile_aws_service(i, at).map(CompiledIntegration::AwsService)
        }
        IntegrationType::Aws | IntegrationType::AwsProxy => {
            compile_lambda(i, at).map(CompiledIntegration::Lambda)
        }
    }
}

/// Whether an AWS / AWS_PROXY integration calls a Lambda function (an
/// integration without a URI is reported by the Lambda compiler).
fn names_lambda(i: &Integration) -> bool {
    i.uri.as_deref().is_none_or(|uri| {
        uri.contains(":lambda:path/")
            || uri.starts_with("arn:aws:lambda:")
            || !uri.starts_with("arn:")
    })
}

/// Compiles `type: AWS` for a service other than Lambda (AWS_PROXY serves
/// Lambda only, as on AWS).
fn compile_aws_service(i: &Integration, at: &str) -> Result<AwsServiceIntegration, String> {
    let uri = i.uri.as_deref().ok_or("the integration has no uri")?;
    if i.kind == IntegrationType::AwsProxy {
        return Err(format!(
            "AWS_PROXY integrations call Lambda functions only; `{uri}` names another service"
        ));
    }
    let target = super::aws_service::AwsTarget::parse(uri)?;
    let method = i.http_method.as_deref().unwrap_or("");
    if method.is_empty() || method == "ANY" {
        return Err(format!(
            "an AWS service integration needs an httpMethod (`{uri}` has {})",
            if method.is_empty() { "none" } else { "ANY" }
        ));
    }
    let http = compile_http(i, &target.path, at)?;
    Ok(AwsServiceIntegration {
        target,
        http,
        credentials: i.credentials.clone().filter(|c| !c.is_empty()),
    })
}

/// An HTTP (or HTTP_PROXY) integration to `uri`; AWS service integrations
/// are compiled through it with their request path as `uri`.
pub(super) fn compile_http(
    i: &Integration,
    uri: &str,
    at: &str,
) -> Result<HttpIntegration, String> {
    let method = match i.http_method.as_deref() {
        None | Some("ANY") => None,
        Some(m) => Some(
            Method::from_bytes(m.as_bytes()).map_err(|_| format!("`{m}` is not an HTTP method"))?,
        ),
    };
    let mut request_parameters = Vec::new();
    for (key, value) in &i.request_parameters {
        let (location, name) =
            params::parse_integration_request_target(key).map_err(|e| e.to_string())?;
        let source = params::parse_request_source(value).map_err(|e| e.to_string())?;
        request_parameters.push(RequestParameter {
            location,
            name,
            source,
        });
    }
    let proxy = i.kind == IntegrationType::HttpProxy;
    let passthrough = passthrough(i, proxy, at)?;
    Ok(HttpIntegration {
        proxy,
        method,
        uri: parse_uri(uri)?,
        request_parameters,
        passthrough,
        content_handling: ContentHandling::parse(i.content_handling.as_deref())?,
        timeout: Duration::from_millis(i.timeout_in_millis),
        responses: if proxy {
            IntegrationResponses::default()
        } else {
            compile_responses(&i.integration_responses, at)?
        },
        insecure_skip_verification: i.tls_config.is_some_and(|t| t.insecure_skip_verification),
        vpc_link: None,
    })
}

/// Request headers a Lambda (AWS, AWS_PROXY) integration may not map: AWS
/// answers every request to such a method with a 500.
const LAMBDA_REFUSED_HEADERS: &[&str] = &[
    "authorization",
    "connection",
    "content-length",
    "expect",
    "proxy-authenticate",
    "te",
    "transfer-encoding",
];

fn compile_lambda(i: &Integration, at: &str) -> Result<LambdaIntegration, String> {
    let uri = i.uri.as_deref().ok_or("the integration has no uri")?;
    let is_lambda = uri.contains(":lambda:path/") || uri.starts_with("arn:aws:lambda:");
    if !is_lambda {
        return Err(format!("AWS service integrations (`{uri}`) are not supported by this version; only Lambda functions"));
    }
    // Lambda is invoked with POST; AWS accepts another method on the
    // integration and fails each request (500).
    if let Some(method) = i.http_method.as_deref().filter(|m| *m != "POST") {
        return Err(format!(
            "Lambda functions are invoked with POST; the integration uses {method}"
        ));
    }
    if let Some(header) = i.request_parameters.keys().find_map(|k| {
        k.strip_prefix("integration.request.header.")
            .filter(|h| LAMBDA_REFUSED_HEADERS.contains(&h.to_ascii_lowercase().as_str()))
    }) {
        return Err(format!(
            "the integration maps the request header `{header}`, which Lambda integrations may not set"
        ));
    }
    let function = function_ref(uri)?;
    let proxy = i.kind == IntegrationType::AwsProxy;
    Ok(LambdaIntegration {
        proxy,
        function,
        timeout: Duration::from_millis(i.timeout_in_millis),
        passthrough: passthrough(i, proxy, at)?,
        content_handling: ContentHandling::parse(i.content_handling.as_deref())?,
        responses: if proxy {
            IntegrationResponses::default()
        } else {
            compile_responses(&i.integration_responses, at)?
        },
    })
}

/// The function a Lambda URI names, or the URI template that names it
/// through stage variables.
fn function_ref(uri: &str) -> Result<FunctionRef, String> {
    let template = parse_uri(uri)?;
    if template
        .pieces
        .iter()
        .any(|p| matches!(p, UriPiece::StageVariable(_)))
    {
        return Ok(FunctionRef::FromStageVariables(template));
    }
    crate::model::function::function_name_from_uri(uri)
        .map(|n| FunctionRef::Named(n.to_string()))
        .ok_or_else(|| format!("no function name in `{uri}`"))
}

/// How a non-proxy integration treats request bodies (proxies pass them).
fn passthrough(i: &Integration, proxy: bool, at: &str) -> Result<Passthrough, String> {
    if proxy {
        return Ok(Passthrough::Body);
    }
    if i.request_templates.is_empty() {
        return Ok(if i.passthrough_behavior == PassthroughBehavior::Never {
            Passthrough::Templates {
                templates: HashMap::new(),
                others_pass: false,
            }
        } else {
            Passthrough::Body
        });
    }
    Ok(Passthrough::Templates {
        templates: templates(&i.request_templates, &format!("{at} request template"))?,
        others_pass: i.passthrough_behavior == PassthroughBehavior::WhenNoMatch,
    })
}

/// Splits an integration URI into text, `{param}` and `${stageVariables.x}`.
pub fn parse_uri(uri: &str) -> Result<UriTemplate, String> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut rest = uri;
    while let Some(pos) = rest.find(['{', '$']) {
        text.push_str(&rest[..pos]);
        let at = &rest[pos..];
        if let Some(after) = at.strip_prefix("${stageVariables.") {
            let end = after
                .find('}')
                .ok_or_else(|| format!("unclosed stage variable in `{uri}`"))?;
            flush(&mut text, &mut pieces);
            pieces.push(UriPiece::StageVariable(after[..end].to_string()));
            rest = &after[end + 1..];
        } else if let Some(after) = at.strip_prefix('{') {
            let end = after
                .find('}')
                .ok_or_else(|| format!("unclosed `{{` in `{uri}`"))?;
            let inner = &after[..end];
            flush(&mut text, &mut pieces);
            let (name, greedy) = match inner.strip_suffix('+') {
                Some(n) => (n, true),
                None => (inner, false),
            };
            pieces.push(UriPiece::Path {
                name: name.to_string(),
                greedy,
            });
            rest = &after[end + 1..];
        } else {
            text.push('$');
            rest = &at[1..];
        }
    }
    text.push_str(rest);
    flush(&mut text, &mut pieces);
    Ok(UriTemplate { pieces })
}

fn flush(text: &mut String, pieces: &mut Vec<UriPiece>) {
    if !text.is_empty() {
        pieces.push(UriPiece::Text(std::mem::take(text)));
    }
}

fn compile_responses(
    responses: &BTreeMap<String, IntegrationResponse>,
    at: &str,
) -> Result<IntegrationResponses, String> {
    let mut out = IntegrationResponses::default();
    for response in responses.values() {
        let compiled = Arc::new(CompiledIntegrationResponse {
            status: status(&response.status_code)?,
            headers: response
                .response_parameters
                .iter()
                .map(|(k, v)| {
                    let name =
                        params::parse_method_response_target(k).map_err(|e| e.to_string())?;
                    Ok((
                        header(&name)?,
                        params::parse_response_source(v).map_err(|e| e.to_string())?,
                    ))
                })
                .collect::<Result<_, String>>()?,
            templates: templates(
                &response.response_templates,
                &format!("{at} response {}", response.status_code),
            )?,
            header_spellings: response
                .response_parameters
                .keys()
                .filter_map(|k| params::parse_method_response_target(k).ok())
                .collect(),
            content_handling: ContentHandling::parse(response.content_handling.as_deref())?,
        });
        // An empty pattern marks the default response too, as on AWS.
        match response.selection_pattern.as_deref() {
            None | Some("") => out.default = Some(compiled),
            Some(p) => {
                let re = Regex::new(&format!("^(?:{p})$"))
                    .map_err(|e| format!("selection pattern `{p}`: {e}"))?;
                out.patterns.push((re, compiled));
            }
        }
    }
    Ok(out)
}

fn compile_gateway_response(
    r: &GatewayResponse,
    at: &str,
    findings: &mut Vec<Finding>,
) -> CompiledGatewayResponse {
    let mut headers = Vec::new();
    for (k, v) in &r.response_parameters {
        let parsed = params::parse_gateway_response_target(k)
            .map_err(|e| e.to_string())
            .and_then(|name| header(&name))
            .and_then(|name| {
                Ok((
                    name,
                    params::parse_gateway_response_source(v).map_err(|e| e.to_string())?,
                ))
            });
        match parsed {
            Ok(h) => headers.push(h),
            Err(message) => findings.push(Finding {
                at: at.to_string(),
                message,
            }),
        }
    }
    let templates = templates(&r.response_templates, at).unwrap_or_else(|message| {
        findings.push(Finding {
            at: at.to_string(),
            message,
        });
        HashMap::new()
    });
    CompiledGatewayResponse {
        status: r.status_code.and_then(|s| StatusCode::from_u16(s).ok()),
        headers,
        templates,
    }
}

fn templates(
    source: &BTreeMap<String, String>,
    at: &str,
) -> Result<HashMap<String, Template>, String> {
    source
        .iter()
        .map(|(content_type, text)| {
            Template::compile(text)
                .map(|t| (content_type.to_ascii_lowercase(), t))
                .map_err(|e| format!("{at} for {content_type}: {e}"))
        })
        .collect()
}

fn status(code: &str) -> Result<StatusCode, String> {
    code.parse::<u16>()
        .ok()
        .and_then(|c| StatusCode::from_u16(c).ok())
        .ok_or_else(|| format!("`{code}` is not a status code"))
}

fn header(name: &str) -> Result<HeaderName, String> {
    HeaderName::from_bytes(name.as_bytes()).map_err(|_| format!("`{name}` is not a header name"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_templates() {
        let t = parse_uri("http://${stageVariables.host}:8080/pets/{petId}/{proxy+}?a=$x")
            .expect("parses");
        assert_eq!(
            t.pieces,
            vec![
                UriPiece::Text("http://".into()),
                UriPiece::StageVariable("host".into()),
                UriPiece::Text(":8080/pets/".into()),
                UriPiece::Path {
                    name: "petId".into(),
                    greedy: false
                },
                UriPiece::Text("/".into()),
                UriPiece::Path {
                    name: "proxy".into(),
                    greedy: true
                },
                UriPiece::Text("?a=$x".into()),
            ]
        );
        assert!(parse_uri("http://x/{oops").is_err());
    }
}
