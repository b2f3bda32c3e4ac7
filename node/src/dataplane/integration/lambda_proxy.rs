//! The Lambda proxy (AWS_PROXY) wire format, payload version 1.0: the event
//! a request becomes, and the validation of the function's answer.
//!
//! Both follow what AWS records (see `shared/conformance/lambda_proxy_*`):
//! absent values are `null`, never omitted; a response object with a key
//! outside the five known ones, or an empty object, is refused (the caller
//! answers 502).
//!
//! Headers as AWS passes them: without the connection's own (`Connection`,
//! `Content-Length`, `Expect`, `TE`...), with `X-Amzn-Trace-Id` and
//! `X-Forwarded-For/Port/Proto` added. `requestContext.authorizer` is there
//! only when an authorizer ran.
//!
//! Header names keep the client's spelling on HTTP/1.1 (read back through
//! [`super::header_case`]), except standard ones AWS writes canonically
//! (`Authorization`, `User-Agent`); on HTTP/2, where names are lower case,
//! they are written in canonical Title-Case (`X-Amzn-Trace-Id`).

use std::collections::HashMap;

use base64::Engine;
use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use http::{Response, StatusCode};
use serde_json::{json, Map, Value};

use super::{accepts_binary, forwarded_port, is_binary, trace_id};
use crate::dataplane::body::{full, Body};
use crate::dataplane::context::{clf_time, title_case, RequestContext};
use crate::ids;

/// The payload 1.0 event for a request, header names in Title-Case.
pub(crate) fn event(ctx: &RequestContext, body: &[u8], binary_media_types: &[String]) -> Value {
    event_spelled(ctx, body, binary_media_types, &HashMap::new())
}

/// The payload 1.0 event for a request; `spelling` maps lower-case header
/// names to the client's spelling (Title-Case for names it lacks).
pub(crate) fn event_spelled(
    ctx: &RequestContext,
    body: &[u8],
    binary_media_types: &[String],
    spelling: &HashMap<String, String>,
) -> Value {
    let (headers, multi_headers) = header_maps(ctx, spelling);
    let (query, multi_query) = query_maps(ctx);
    let path_params = if ctx.raw_path_params.is_empty() {
        Value::Null
    } else {
        Value::Object(
            ctx.raw_path_params
                .iter()
                .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                .collect(),
        )
    };
    let stage = ctx.stage.as_deref();
    let stage_variables = match stage {
        Some(s) if !s.variables.is_empty() => Value::Object(
            s.variables
                .iter()
                .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                .collect(),
        ),
        _ => Value::Null,
    };
    let content_type = ctx.header("content-type").unwrap_or("");
    let (body, is_base64) = if body.is_empty() {
        (Value::Null, false)
    } else if is_binary(binary_media_types, content_type) {
        let encoded = base64::engine::general_purpose::STANDARD.encode(body);
        (Value::from(encoded), true)
    } else {
        (
            Value::from(String::from_utf8_lossy(body).into_owned()),
            false,
        )
    };
    let stage_name = stage.map_or("", |s| s.stage_name.as_str());
    let api_id = stage.map_or("", |s| s.api.api_id.as_str());
    let resource_path = ctx.resource_path.as_deref().unwrap_or("/");
    let started_ms = ctx
        .started_at
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let mut event = json!({
        "resource": resource_path,
        "path": event_path(&ctx.stage_path),
        "httpMethod": ctx.method.as_str(),
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": path_params,
        "stageVariables": stage_variables,
        "requestContext": {
            "resourceId": stage.map_or_else(
                || ids::resource_id(api_id, resource_path),
                |s| s.api.resource_id(resource_path),
            ),
            "resourcePath": resource_path,
            "httpMethod": ctx.method.as_str(),
            "extendedRequestId": ctx.extended_request_id,
            "requestTime": clf_time(ctx.started_at),
            "path": format!("/{stage_name}{}", ctx.stage_path),
            "accountId": crate::policy::account(),
            "protocol": ctx.protocol,
            "stage": stage_name,
            "domainPrefix": ctx.domain_name.split('.').next().unwrap_or_default(),
            "requestTimeEpoch": started_ms,
            "requestId": ctx.request_id,
            "identity": {
                "cognitoIdentityPoolId": null,
                "accountId": ctx.iam_caller.as_ref().map(|_| crate::policy::account()),
                "cognitoIdentityId": null,
                "caller": ctx.iam_caller.as_ref().map(|c| c.1.as_str()),
                "sourceIp": ctx.source_ip.to_string(),
                "principalOrgId": null,
                "accessKey": ctx.iam_caller.as_ref().map(|c| c.0.as_str()),
                "cognitoAuthenticationType": null,
                "cognitoAuthenticationProvider": null,
                "userArn": ctx.iam_caller.as_ref().map(|c| c.1.as_str()),
                "userAgent": ctx.header("user-agent"),
                "user": ctx.iam_caller.as_ref().map(|c| c.1.as_str()),
            },
            "domainName": ctx.domain_name,
            "deploymentId": stage.map_or("", |s| s.api.deployment_id.as_str()),
            "apiId": api_id,
        },
        "body": body,
        "isBase64Encoded": is_base64,
    });
    if let (Some(authorizer), Some(Value::Object(request_context))) =
        (authorizer(ctx), event.get_mut("requestContext"))
    {
        request_context.insert("authorizer".into(), authorizer);
    }
    // AWS's events name a client certificate only on a mutual-TLS domain.
    if ctx.client_cert().is_some() {
        event["requestContext"]["identity"]["clientCert"] = ctx.client_cert_json();
    }
    event
}

/// `requestContext.authorizer`: the principal and context a Lambda
/// authorizer returned (absent without one).
fn authorizer(ctx: &RequestContext) -> Option<Value> {
    match &ctx.authorizer {
        None => None,
        Some(result) => {
            let mut fields = Map::new();
            fields.insert(
                "principalId".into(),
                Value::from(result.principal_id.as_str()),
            );
            for (k, v) in &result.context {
                fields.insert(k.clone(), Value::from(v.as_str()));
            }
            Some(Value::Object(fields))
        }
    }
}

/// Standard request headers AWS writes in their canonical spelling whatever
/// the client's (`aUThorization` becomes `Authorization`, `user-Agent`
/// `User-Agent`); other names keep the client's spelling.
const CANONICAL: &[&str] = &[
    "accept",
    "accept-charset",
    "accept-encoding",
    "accept-language",
    "age",
    "authorization",
    "cache-control",
    "content-encoding",
    "content-language",
    "content-type",
    "cookie",
    "date",
    "from",
    "host",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-range",
    "if-unmodified-since",
    "origin",
    "pragma",
    "range",
    "referer",
    "user-agent",
    "via",
    "warn",
];

/// Client headers AWS leaves out of the event: the connection's own.
const NOT_IN_EVENT: &[&str] = &[
    "connection",
    "keep-alive",
    "content-length",
    "expect",
    "max-forwards",
    "proxy-authenticate",
    "proxy-connection",
    "server",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "www-authenticate",
    "content-md5",
];

/// The event's `path`: the path inside the stage with leading slashes
/// collapsed to one (AWS keeps inner and trailing slashes).
fn event_path(stage_path: &str) -> String {
    format!("/{}", stage_path.trim_start_matches('/'))
}

/// `headers` (last value wins) and `multiValueHeaders`, with the
/// `X-Forwarded-*` headers AWS's front end adds when the client sent none.
fn header_maps(ctx: &RequestContext, spelling: &HashMap<String, String>) -> (Value, Value) {
    let mut single = Map::new();
    let mut multi: Map<String, Value> = Map::new();
    let mut add = |name: String, value: &str| {
        single.insert(name.clone(), Value::from(value));
        match multi.get_mut(&name) {
            Some(Value::Array(values)) => values.push(Value::from(value)),
            _ => {
                multi.insert(name, Value::Array(vec![Value::from(value)]));
            }
        }
    };
    for (name, value) in &ctx.headers {
        if NOT_IN_EVENT.contains(&name.as_str()) {
            continue;
        }
        let spelled = match spelling.get(name.as_str()) {
            Some(given) if !CANONICAL.contains(&name.as_str()) => given.clone(),
            _ => title_case(name.as_str()),
        };
        add(spelled, &String::from_utf8_lossy(value.as_bytes()));
    }
    if !ctx.headers.contains_key("x-amzn-trace-id") {
        add("X-Amzn-Trace-Id".into(), &trace_id(ctx));
    }
    if !ctx.headers.contains_key("x-forwarded-for") {
        add("X-Forwarded-For".into(), &ctx.source_ip.to_string());
    }
    if !ctx.headers.contains_key("x-forwarded-port") {
        add("X-Forwarded-Port".into(), forwarded_port(ctx));
    }
    if !ctx.headers.contains_key("x-forwarded-proto") {
        add("X-Forwarded-Proto".into(), "http");
    }
    if single.is_empty() {
        return (Value::Null, Value::Null);
    }
    (Value::Object(single), Value::Object(multi))
}

/// `queryStringParameters` (last value wins) and
/// `multiValueQueryStringParameters`, both `null` without a query.
fn query_maps(ctx: &RequestContext) -> (Value, Value) {
    let pairs = ctx.query();
    if pairs.is_empty() {
        return (Value::Null, Value::Null);
    }
    let mut single = Map::new();
    let mut multi: Map<String, Value> = Map::new();
    for (name, value) in pairs {
        single.insert(name.clone(), Value::from(value.as_str()));
        match multi.get_mut(name) {
            Some(Value::Array(values)) => values.push(Value::from(value.as_str())),
            _ => {
                multi.insert(
                    name.clone(),
                    Value::Array(vec![Value::from(value.as_str())]),
                );
            }
        }
    }
    (Value::Object(single), Value::Object(multi))
}

/// The keys a proxy response may carry.
const RESPONSE_KEYS: [&str; 5] = [
    "statusCode",
    "headers",
    "multiValueHeaders",
    "body",
    "isBase64Encoded",
];

/// Turns the function's answer into the method response, or says why it is
/// not a valid proxy response.
pub(crate) fn response(
    payload: &[u8],
    accept: Option<&str>,
    binary_media_types: &[String],
) -> Result<Response<Body>, String> {
    let value: Value = serde_json::from_slice(payload)
        .map_err(|e| format!("the function's answer is not JSON: {e}"))?;
    let Value::Object(fields) = value else {
        return Err("the function's answer is not a JSON object".into());
    };
    if fields.is_empty() {
        return Err("the function's answer is an empty object".into());
    }
    if let Some(unknown) = fields.keys().find(|k| !RESPONSE_KEYS.contains(&k.as_str())) {
        return Err(format!(
            "the function's answer has an unknown key `{unknown}`"
        ));
    }
    let status = status_code(fields.get("statusCode"))?;
    let mut builder = Response::builder().status(status);
    let headers = builder.headers_mut().ok_or("response builder failed")?;
    // The function's spelling of its header names, in the order added.
    let mut spellings: Vec<String> = Vec::new();
    match fields.get("multiValueHeaders") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (name, values) in map {
                let Value::Array(values) = values else {
                    return Err(format!("multiValueHeaders `{name}` is not a list"));
                };
                for value in values {
                    append_header(headers, name, value)?;
                    spellings.push(name.clone());
                }
            }
        }
        Some(_) => return Err("multiValueHeaders is not an object".into()),
    }
    match fields.get("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (name, value) in map {
                append_header(headers, name, value)?;
                spellings.push(name.clone());
            }
        }
        Some(_) => return Err("headers is not an object".into()),
    }
    if !headers.contains_key(CONTENT_TYPE) {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    let body = match fields.get("body") {
        None | Some(Value::Null) => Bytes::new(),
        Some(Value::String(text)) => Bytes::from(text.clone()),
        Some(_) => return Err("body is not a string".into()),
    };
    let base64_encoded = match fields.get("isBase64Encoded") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s))
            if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") =>
        {
            s.eq_ignore_ascii_case("true")
        }
        Some(_) => return Err("isBase64Encoded is not a boolean".into()),
    };
    let body = if base64_encoded && accepts_binary(accept, binary_media_types) {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(&body)
            .map_err(|e| format!("body is not valid base64: {e}"))?;
        Bytes::from(decoded)
    } else {
        body
    };
    let mut response = builder.body(full(body)).map_err(|e| e.to_string())?;
    super::header_case::spell(&mut response, &spellings);
    Ok(response)
}

/// `statusCode`: an integer or a numeric string, 200 when absent.
fn status_code(value: Option<&Value>) -> Result<StatusCode, String> {
    let code = match value {
        None | Some(Value::Null) => return Ok(StatusCode::OK),
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse::<u64>().ok(),
        Some(_) => None,
    };
    code.and_then(|c| u16::try_from(c).ok())
        .filter(|c| (100..=599).contains(c))
        .and_then(|c| StatusCode::from_u16(c).ok())
        .ok_or_else(|| {
            format!(
                "statusCode {} is not a valid status code",
                value.map_or(String::new(), Value::to_string)
            )
        })
}

/// Adds one header value, written as AWS writes scalars (`true`, `12`).
fn append_header(headers: &mut http::HeaderMap, name: &str, value: &Value) -> Result<(), String> {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Bool(_) | Value::Number(_) => value.to_string(),
        Value::Null => String::new(),
        _ => return Err(format!("header `{name}` has a value that is not a string")),
    };
    let name = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| format!("`{name}` is not a valid header name"))?;
    let value = HeaderValue::from_str(&text)
        .map_err(|_| format!("header `{name}` has an invalid value"))?;
    headers.append(name, value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Status, headers and body of a proxy response.
    type Answer = (u16, Vec<(String, String)>, Bytes);

    fn answer(value: Value) -> Result<Answer, String> {
        let response = response(value.to_string().as_bytes(), None, &[])?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
            .collect();
        let body = futures_body(response);
        Ok((status, headers, body))
    }

    fn futures_body(response: Response<Body>) -> Bytes {
        use http_body_util::BodyExt;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        runtime
            .block_on(response.into_body().collect())
            .map(|c| c.to_bytes())
            .unwrap_or_default()
    }

    /// Every case AWS recorded (shared/conformance), with its Lambda return
    /// value and expected status, content and custom headers.
    #[test]
    fn recorded_response_validation_cases() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/conformance/lambda_proxy_response_validation.localstack.json"
        );
        let Ok(text) = std::fs::read_to_string(path) else {
            // The hand-written cases below cover the same rules without it.
            eprintln!("conformance data not beside the checkout; skipping");
            return;
        };
        let recorded: Value = serde_json::from_str(&text).expect("conformance JSON");
        let cases = recorded["cases"].as_array().expect("cases");
        assert!(cases.len() >= 10);
        for case in cases {
            let name = case["name"].as_str().unwrap_or_default();
            let expected_status = case["expected_status"].as_u64().unwrap_or_default() as u16;
            match answer(case["lambda_return_value"].clone()) {
                Err(reason) => assert_eq!(expected_status, 502, "{name}: refused ({reason})"),
                Ok((status, headers, body)) => {
                    assert_eq!(status, expected_status, "{name}");
                    if let Some(content) = case["expected"]["content"].as_str() {
                        assert_eq!(body, content.as_bytes(), "{name}");
                    }
                    let expected_headers = case["expected"]["headers"]
                        .as_object()
                        .cloned()
                        .unwrap_or_default();
                    for (key, value) in expected_headers {
                        let custom = key.starts_with("test")
                            || key.starts_with("header")
                            || key == "Content-Type";
                        if !custom {
                            continue;
                        }
                        let got: Vec<&str> = headers
                            .iter()
                            .filter(|(k, _)| k.eq_ignore_ascii_case(&key))
                            .map(|(_, v)| v.as_str())
                            .collect();
                        assert_eq!(
                            got.join(", "),
                            value.as_str().unwrap_or_default(),
                            "{name}: {key}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn response_rules() {
        assert!(answer(json!({})).is_err());
        assert!(answer(json!("justAString")).is_err());
        assert!(answer(json!({"statusCode": 200, "wrongValue": 1})).is_err());
        assert!(answer(json!({"statusCode": "test"})).is_err());
        assert!(answer(json!({"multiValueHeaders": {"a": "b"}})).is_err());
        assert_eq!(answer(json!({"statusCode": "201"})).expect("ok").0, 201);
        let (status, headers, _) = answer(json!({"headers": {"x": true, "n": 3}})).expect("ok");
        assert_eq!(status, 200);
        assert!(headers.contains(&("x".into(), "true".into())));
        assert!(headers.contains(&("n".into(), "3".into())));
        assert!(headers.contains(&("content-type".into(), "application/json".into())));
        let (_, headers, _) = answer(json!({
            "multiValueHeaders": {"tesT-Multi": ["m"]},
            "headers": {"test-multi": "s"}
        }))
        .expect("ok");
        let multi: Vec<&str> = headers
            .iter()
            .filter(|(k, _)| k == "test-multi")
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(multi, vec!["m", "s"]);
    }

    #[test]
    fn base64_bodies_decode_only_for_binary_accept() {
        let payload =
            json!({"statusCode": 200, "body": "dGVzdC1kYXRh", "isBase64Encoded": true}).to_string();
        let types = vec!["image/png".to_string()];
        let text = response(payload.as_bytes(), Some("application/json"), &types).expect("ok");
        assert_eq!(futures_body(text), "dGVzdC1kYXRh");
        let binary = response(payload.as_bytes(), Some("image/png"), &types).expect("ok");
        assert_eq!(futures_body(binary), "test-data");
        let broken = json!({"body": "***", "isBase64Encoded": true}).to_string();
        assert!(response(broken.as_bytes(), Some("image/png"), &types).is_err());
    }

    #[test]
    fn event_shape() {
        let uri: http::Uri = "/prod//items/a%2Bb/?x=1&x=2&y=a+b".parse().expect("uri");
        let mut headers = http::HeaderMap::new();
        headers.insert("user-agent", HeaderValue::from_static("test/1"));
        headers.append("x-multi", HeaderValue::from_static("1"));
        headers.append("x-multi", HeaderValue::from_static("2"));
        let mut ctx = RequestContext::new(
            [10, 0, 0, 1].into(),
            http::Method::POST,
            &uri,
            headers,
            http::Version::HTTP_11,
        );
        ctx.stage_path = "//items/a%2Bb/".into();
        ctx.resource_path = Some("/items/{proxy+}".into());
        ctx.raw_path_params = vec![("proxy".into(), "a%2Bb".into())];
        let event = event(&ctx, b"hello", &[]);
        assert_eq!(event["path"], "/items/a%2Bb/");
        assert_eq!(event["requestContext"]["path"], "///items/a%2Bb/");
        assert_eq!(event["pathParameters"]["proxy"], "a%2Bb");
        assert_eq!(
            event["queryStringParameters"],
            json!({"x": "2", "y": "a b"})
        );
        assert_eq!(
            event["multiValueQueryStringParameters"]["x"],
            json!(["1", "2"])
        );
        assert_eq!(event["headers"]["X-Multi"], "2");
        assert_eq!(event["multiValueHeaders"]["X-Multi"], json!(["1", "2"]));
        assert_eq!(event["headers"]["X-Forwarded-For"], "10.0.0.1");
        assert_eq!(event["requestContext"]["identity"]["sourceIp"], "10.0.0.1");
        assert_eq!(event["requestContext"]["identity"]["userAgent"], "test/1");
        assert_eq!(event["requestContext"]["identity"]["user"], Value::Null);
        assert_eq!(event["stageVariables"], Value::Null);
        assert_eq!(event["body"], "hello");
        assert_eq!(event["isBase64Encoded"], false);
        assert!(event["requestContext"]["requestTimeEpoch"].is_u64());

        let binary = super::event(&ctx, &[0xff, 0x00], &["*/*".to_string()]);
        assert_eq!(
            binary["isBase64Encoded"], false,
            "no content type, not binary"
        );
    }

    #[test]
    fn title_cases_header_names() {
        assert_eq!(title_case("x-amzn-trace-id"), "X-Amzn-Trace-Id");
        assert_eq!(title_case("accept"), "Accept");
    }
}
