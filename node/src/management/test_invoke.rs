//! `TestInvokeMethod`: runs one method as currently defined (not as
//! deployed) and answers AWS's {status, body, headers, multiValueHeaders,
//! log, latency}. The API's current definition is compiled into a
//! throwaway snapshot; the request is matched against the method's own
//! resource path only (no routing), then the data plane's integration
//! (`dataplane::integration`) answers it, on a stage named
//! `test-invoke-stage` with the call's `stageVariables`. The log is AWS's
//! execution log text, line for line; for a Lambda method its endpoint
//! lines are those of AWS's Invoke call (the function's ARN, the headers
//! AWS's call carries with their credentials masked, Lambda's response
//! headers), with apigw's real payloads, status and latency.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Map, Value};

use super::{bad_request, not_found, ApiError, Management, Reply};
use crate::dataplane::context::RequestContext;
use crate::dataplane::error::RequestError;
use crate::dataplane::integration;
use crate::functions::Functions;
use crate::model::{Deployment, RestApi};
use crate::snapshot::{
    compile, CompiledApi, CompiledIntegration, CompiledMethod, Router, StageView,
};

const NO_RESOURCE: &str = "Invalid Resource identifier specified";
const NO_METHOD: &str = "Invalid Method identifier specified";
/// Largest backend answer the test's HTTP client reads.
const MAX_BODY: usize = 10 * 1024 * 1024;

/// What the test call was asked to send.
struct Invocation {
    verb: Method,
    path: String,
    query: Option<String>,
    headers: HeaderMap,
    body: Bytes,
    /// `stageVariables`.
    variables: std::collections::BTreeMap<String, String>,
}

/// The method's answer, or the failure AWS logs instead.
struct Outcome {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
    failure: Option<String>,
}

impl Management {
    /// Serves `TestInvokeMethod`.
    pub(super) async fn test_invoke(
        &self,
        api_id: &str,
        resource_id: &str,
        verb: &str,
        body: &[u8],
    ) -> Reply {
        let api = self.api(api_id).map_err(|_| not_found(NO_RESOURCE))?;
        let resource_path = resource_path(&api, resource_id)?;
        let verb = verb.to_ascii_uppercase();
        // A verb the resource lacks runs its ANY method, as on AWS.
        let methods = &api.resources[&resource_path].methods;
        if !methods.contains_key(&verb) && !methods.contains_key("ANY") {
            return Err(not_found(NO_METHOD));
        }
        let input = parse_input(body)?;
        let invocation = invocation(&input, &verb, &resource_path)?;
        let (compiled, method) = compiled_method(api, &resource_path, &invocation.verb)?;
        let timeout = Duration::from_millis(self.max_integration_timeout_ms.max(1000));
        let run = Run {
            method: &method,
            resource_path: &resource_path,
            functions: self.functions.as_deref(),
            region: &self.region,
            timeout,
        };
        Ok((StatusCode::OK, run.answer(compiled, invocation).await))
    }
}

fn resource_path(api: &RestApi, resource_id: &str) -> Result<String, ApiError> {
    super::resources::path_of(api, resource_id)
}

fn parse_input(body: &[u8]) -> Result<Value, ApiError> {
    if body.is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_slice(body).map_err(|e| bad_request(format!("the body is not JSON: {e}")))
}

/// The request to run: the path (the resource's own when none is given),
/// query, headers (single- and multi-valued) and body.
fn invocation(input: &Value, verb: &str, resource_path: &str) -> Result<Invocation, ApiError> {
    let given = input
        .get("pathWithQueryString")
        .and_then(Value::as_str)
        .filter(|p| !p.is_empty())
        .unwrap_or(resource_path);
    if given.len() > 8192 || given.chars().any(char::is_control) {
        return Err(bad_request("Invalid pathWithQueryString"));
    }
    let (path, query) = match given.split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (given.to_string(), None),
    };
    let verb = Method::from_bytes(verb.as_bytes()).map_err(|_| not_found(NO_METHOD))?;
    let body = input
        .get("body")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let variables = match input.get("stageVariables") {
        None | Some(Value::Null) => Default::default(),
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|_| bad_request("stageVariables must map names to strings"))?,
    };
    Ok(Invocation {
        verb,
        path,
        query,
        headers: headers_of(input)?,
        body: Bytes::copy_from_slice(body.as_bytes()),
        variables,
    })
}

fn headers_of(input: &Value) -> Result<HeaderMap, ApiError> {
    let mut headers = HeaderMap::new();
    let invalid = |_| bad_request("Invalid header in the test request");
    if let Some(Value::Object(map)) = input.get("headers") {
        for (name, value) in map {
            let value = value.as_str().unwrap_or_default();
            let name =
                HeaderName::from_bytes(name.as_bytes()).map_err(|e| invalid(e.to_string()))?;
            headers.insert(
                name,
                HeaderValue::from_str(value).map_err(|e| invalid(e.to_string()))?,
            );
        }
    }
    if let Some(Value::Object(map)) = input.get("multiValueHeaders") {
        for (name, values) in map {
            let name =
                HeaderName::from_bytes(name.as_bytes()).map_err(|e| invalid(e.to_string()))?;
            for value in values
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                let value = HeaderValue::from_str(value).map_err(|e| invalid(e.to_string()))?;
                headers.append(name.clone(), value);
            }
        }
    }
    Ok(headers)
}

/// Compiles the API's current definition and takes the method out of it.
fn compiled_method(
    api: RestApi,
    resource_path: &str,
    verb: &Method,
) -> Result<(std::sync::Arc<CompiledApi>, std::sync::Arc<CompiledMethod>), ApiError> {
    let deployment = Deployment {
        id: "test-invoke".into(),
        rest_api_id: api.id.clone(),
        description: None,
        created_date: crate::store::unix_now(),
        api,
    };
    let (compiled, _) = compile(&deployment);
    let matched = compiled
        .router
        .find(resource_path)
        .filter(|m| m.value.path == resource_path)
        .ok_or_else(|| not_found(NO_METHOD))?;
    let method = matched
        .value
        .method(verb)
        .cloned()
        .ok_or_else(|| not_found(NO_METHOD))?;
    Ok((std::sync::Arc::new(compiled), method))
}

/// One test call: the method and what running it needs.
struct Run<'a> {
    method: &'a CompiledMethod,
    resource_path: &'a str,
    functions: Option<&'a Functions>,
    region: &'a str,
    timeout: Duration,
}

impl Run<'_> {
    /// Runs the method and shapes AWS's answer.
    async fn answer(&self, api: std::sync::Arc<CompiledApi>, invocation: Invocation) -> Value {
        let mut ctx = context(&invocation, self.resource_path);
        let variables = invocation.variables.clone();
        ctx.stage = Some(std::sync::Arc::new(StageView::detached(
            "test-invoke-stage",
            api,
            variables,
        )));
        let mut log = vec![
            format!("Starting execution for request: {}", ctx.request_id),
            format!(
                "HTTP Method: {}, Resource Path: {}",
                invocation.verb, invocation.path
            ),
            format!("Method request path: {}", java_map(&ctx.path_params)),
            format!("Method request query string: {}", java_map(ctx.query())),
            format!(
                "Method request headers: {}",
                java_map(&header_pairs(&invocation.headers))
            ),
            format!(
                "Method request body before transformations: {}",
                String::from_utf8_lossy(&invocation.body)
            ),
        ];
        let outcome = self.integrate(&mut ctx, invocation.body, &mut log).await;
        match &outcome.failure {
            Some(reason) => log.push(reason.clone()),
            None => {
                log.push(format!(
                    "Method response body after transformations: {}",
                    outcome.body
                ));
                log.push(format!(
                    "Method response headers: {}",
                    java_map(&trace_first(&outcome.headers))
                ));
                log.push("Successfully completed execution".into());
            }
        }
        log.push(format!("Method completed with status: {}", outcome.status));
        answer(&ctx, &outcome, &log)
    }
}

/// The context of the test request, its path parameters read by matching
/// the path against the resource's own path template.
fn context(invocation: &Invocation, resource_path: &str) -> RequestContext {
    let uri = match &invocation.query {
        Some(q) => format!("{}?{q}", invocation.path),
        None => invocation.path.clone(),
    };
    let uri: http::Uri = uri.parse().unwrap_or_else(|_| http::Uri::from_static("/"));
    let mut ctx = RequestContext::new(
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        invocation.verb.clone(),
        &uri,
        invocation.headers.clone(),
        http::Version::HTTP_11,
    );
    ctx.stage_path = invocation.path.clone();
    ctx.resource_path = Some(resource_path.to_string());
    let mut router = Router::default();
    router.insert(resource_path, ());
    if let Some(matched) = router.find(&invocation.path) {
        ctx.raw_path_params = matched
            .params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ctx.path_params = matched
            .params
            .iter()
            .map(|(k, v)| (k.to_string(), crate::vtl::url::decode_path_component(v)))
            .collect();
    }
    ctx
}

impl Run<'_> {
    /// Calls the integration (MOCK, HTTP, HTTP_PROXY, Lambda) within the
    /// timeout; a Lambda call adds its endpoint lines to `log`.
    async fn integrate(
        &self,
        ctx: &mut RequestContext,
        body: Bytes,
        log: &mut Vec<String>,
    ) -> Outcome {
        let (method, timeout) = (self.method, self.timeout);
        let called = match &method.integration {
            CompiledIntegration::Mock(mock) => integration::mock::answer(mock, ctx, &body),
            CompiledIntegration::Http(http) => {
                match crate::outbound::HttpClient::new(timeout, MAX_BODY) {
                    Ok(client) => match tokio::time::timeout(
                        timeout,
                        integration::http::call(http, &client, ctx, body),
                    )
                    .await
                    {
                        Ok(result) => result,
                        Err(_) => Err(RequestError::IntegrationUnavailable("timeout".into())),
                    },
                    Err(e) => Err(RequestError::IntegrationUnavailable(e.to_string())),
                }
            }
            CompiledIntegration::Lambda(lambda) => match self.functions {
                Some(functions) => {
                    let sent = endpoint_body(lambda, ctx, &body);
                    let called = integration::lambda::call(lambda, functions, ctx, body).await;
                    if let Ok(name) = integration::lambda::resolve_function(&lambda.function, ctx) {
                        self.endpoint_lines(&name, ctx, &sent, &called, log);
                    }
                    called
                }
                None => Err(RequestError::IntegrationUnavailable(
                    "this node runs no functions".into(),
                )),
            },
            CompiledIntegration::AwsService(_) => Err(RequestError::IntegrationUnavailable(
                "AWS service integrations are not run by TestInvokeMethod yet".into(),
            )),
            CompiledIntegration::Unavailable(reason) => {
                Err(RequestError::IntegrationUnavailable(reason.clone()))
            }
        };
        match called {
            Ok(response) => read_response(response, timeout).await,
            Err(e) => failure(method, &e),
        }
    }

    /// AWS's lines for the Invoke call of function `name`.
    fn endpoint_lines(
        &self,
        name: &str,
        ctx: &RequestContext,
        sent: &str,
        called: &Result<http::Response<crate::dataplane::body::Body>, RequestError>,
        log: &mut Vec<String>,
    ) {
        let arn = format!(
            "arn:aws:lambda:{}:{}:function:{name}",
            self.region,
            crate::policy::account()
        );
        let url = format!(
            "https://lambda.{}.amazonaws.com/2015-03-31/functions/{arn}/invocations",
            self.region
        );
        let api_id = ctx.stage.as_ref().map_or("", |s| s.api.api_id.as_str());
        let now = time::OffsetDateTime::now_utc();
        let amz_date = now
            .format(time::macros::format_description!(
                "[year][month][day]T[hour][minute][second]Z"
            ))
            .unwrap_or_default();
        log.push(format!("Endpoint request URI: {url}"));
        log.push(format!(
        "Endpoint request headers: {{x-amzn-lambda-integration-tag={}, Authorization=****, X-Amz-Date={amz_date}, x-amzn-apigateway-api-id={api_id}, Accept=application/json, User-Agent=AmazonAPIGateway_{api_id}, X-Amz-Security-Token=**** [TRUNCATED]",
        ctx.request_id
    ));
        log.push(format!(
            "Endpoint request body after transformations: {sent}"
        ));
        log.push(format!("Sending request to {url}"));
        let Some(payload) = &ctx.function_payload else {
            return;
        };
        log.push(format!(
            "Received response. Status: 200, Integration latency: {} ms",
            ctx.integration_latency_ms.unwrap_or(0)
        ));
        let trace = called
            .as_ref()
            .ok()
            .and_then(|r| r.headers().get("x-amzn-trace-id"))
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .unwrap_or_else(|| ctx.trace_header());
        let date = now
            .format(time::macros::format_description!(
            "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
        ))
            .unwrap_or_default();
        log.push(format!(
        "Endpoint response headers: {{Date={date}, Content-Type=application/json, Content-Length={}, Connection=keep-alive, x-amzn-RequestId={}, x-amzn-Remapped-Content-Length=0, X-Amz-Executed-Version=$LATEST, X-Amzn-Trace-Id={trace}}}",
        payload.len(),
        // Local functions take the API request's id as theirs.
        ctx.request_id
    ));
        log.push(format!(
            "Endpoint response body before transformations: {}",
            String::from_utf8_lossy(payload)
        ));
    }
}

/// The payload a Lambda method sends: the proxy event is logged as AWS
/// logs it (the body), a non-proxy method's body as mapped.
fn endpoint_body(
    lambda: &crate::snapshot::LambdaIntegration,
    ctx: &RequestContext,
    body: &Bytes,
) -> String {
    if lambda.proxy {
        return String::from_utf8_lossy(body).into_owned();
    }
    match integration::map_request_body(
        &lambda.passthrough,
        lambda.content_handling,
        ctx,
        body.clone(),
    ) {
        Ok(mapped) => String::from_utf8_lossy(&mapped.body).into_owned(),
        Err(_) => String::new(),
    }
}

/// Headers with `X-Amzn-Trace-Id` first, as AWS's log lists them.
fn trace_first(headers: &[(String, String)]) -> Vec<(String, String)> {
    let (mut out, rest): (Vec<_>, Vec<_>) = headers
        .iter()
        .cloned()
        .partition(|(k, _)| k.eq_ignore_ascii_case("x-amzn-trace-id"));
    out.extend(rest);
    out
}

async fn read_response(
    response: http::Response<crate::dataplane::body::Body>,
    timeout: Duration,
) -> Outcome {
    let (parts, body) = response.into_parts();
    let headers = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                aws_name(k.as_str()),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let bytes = match tokio::time::timeout(timeout, body.collect()).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        _ => Bytes::new(),
    };
    Outcome {
        status: parts.status.as_u16(),
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        failure: None,
    }
}

/// A failed integration: AWS's 500 and the line it logs.
fn failure(method: &CompiledMethod, error: &RequestError) -> Outcome {
    let reason = match (&method.integration, error) {
        (CompiledIntegration::Http(_), RequestError::IntegrationUnavailable(_)) => {
            "Execution failed due to configuration error: Invalid endpoint address".to_string()
        }
        _ => format!("Execution failed due to configuration error: {error}"),
    };
    Outcome {
        status: 500,
        headers: vec![(
            "x-amzn-ErrorType".into(),
            "InternalServerErrorException".into(),
        )],
        body: json!({"message": "Internal server error"}).to_string(),
        failure: Some(reason),
    }
}

/// Header names as AWS writes them in the answer (`Content-Type`).
fn aws_name(name: &str) -> String {
    match name {
        "x-amzn-errortype" => "x-amzn-ErrorType".into(),
        _ => crate::dataplane::context::title_case(name),
    }
}

fn header_pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// `{a=1, b=2}`, as AWS's (Java) log writes maps.
fn java_map(pairs: &[(String, String)]) -> String {
    let inner: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", inner.join(", "))
}

/// `Fri Dec 04 04:31:15 UTC 2026`, as the log's lines start.
fn log_time(t: SystemTime) -> String {
    let format = time::macros::format_description!(
        "[weekday repr:short] [month repr:short] [day] [hour]:[minute]:[second] UTC [year]"
    );
    time::OffsetDateTime::from(t)
        .format(&format)
        .unwrap_or_default()
}

/// TestInvokeMethod's answer.
fn answer(ctx: &RequestContext, outcome: &Outcome, log: &[String]) -> Value {
    let stamp = log_time(SystemTime::now());
    let mut text = format!("Execution log for request {}\n", ctx.request_id);
    for line in log {
        text.push_str(&format!("{stamp} : {line}\n"));
    }
    let mut headers = Map::new();
    let mut multi: Map<String, Value> = Map::new();
    for (k, v) in &outcome.headers {
        headers.insert(k.clone(), Value::String(v.clone()));
        let entry = multi.entry(k.clone()).or_insert_with(|| json!([]));
        if let Value::Array(values) = entry {
            values.push(Value::String(v.clone()));
        }
    }
    json!({
        "status": outcome.status,
        "body": outcome.body,
        "headers": headers,
        "multiValueHeaders": multi,
        "log": text,
        "latency": ctx.started.elapsed().as_millis() as u64,
    })
}
