//! Property shapes SAM and CloudFormation resources share: `MethodSettings`,
//! `Throttle` and `Quota` of usage plans, the runtimes run locally, and the
//! value of an API key the template leaves to AWS to generate.

use std::collections::BTreeMap;

use serde_json::Value;

use super::intrinsics::scalar_text;
use super::{number, TemplateError};

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

/// Runtimes that run as local processes through a runtime interface client.
pub fn is_local_runtime(runtime: &str) -> bool {
    runtime.starts_with("python3")
        || runtime.starts_with("nodejs")
        || runtime.starts_with("provided")
}

/// A stable value for an API key the template leaves to AWS to generate.
pub fn generated_key(stack: &str, logical_id: &str) -> String {
    let a = crate::ids::api_id_for_name(&format!("key-a:{stack}:{logical_id}"));
    let b = crate::ids::api_id_for_name(&format!("key-b:{stack}:{logical_id}"));
    let c = crate::ids::api_id_for_name(&format!("key-c:{stack}:{logical_id}"));
    let d = crate::ids::api_id_for_name(&format!("key-d:{stack}:{logical_id}"));
    format!("{a}{b}{c}{d}")
}
