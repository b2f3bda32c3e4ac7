//! What AWS checks in a `CreateRestApi` input before it makes the API, in
//! AWS's order and words: the request layer's enum checks first (all of
//! them in one `ValidationException`), then the service's own rules
//! (`BadRequestException`, the first one that fails).

use serde_json::Value;

use super::super::{bad_request, patch, ApiError};

/// The endpoint types AWS knows, in the order its messages list them.
const TYPES: &str = "PRIVATE, EDGE, REGIONAL";

/// Checks `input` of `CreateRestApi`.
pub(super) fn create(input: &Value) -> Result<(), ApiError> {
    request_layer(input)?;
    if input.get("description").and_then(Value::as_str) == Some("") {
        return Err(bad_request("Description cannot be an empty string"));
    }
    let config = input.get("endpointConfiguration");
    if let Some(Value::Array(types)) = config.and_then(|c| c.get("types")) {
        match types.len() {
            0 => {
                return Err(bad_request(
                    "REGIONAL Configuration and EDGE Configuration cannot be both DISABLED.",
                ))
            }
            1 => {}
            _ => {
                return Err(bad_request(
                    "Cannot create an api with multiple Endpoint Types.",
                ))
            }
        }
        let private = types[0].as_str() == Some("PRIVATE");
        let ip = config
            .and_then(|c| c.get("ipAddressType"))
            .and_then(Value::as_str);
        if private && ip == Some("ipv4") {
            return Err(private_ipv4());
        }
    }
    Ok(())
}

/// AWS's answer to an IPv4-only private API.
pub(super) fn private_ipv4() -> ApiError {
    bad_request("Only dualstack ipAddressType is supported for Private APIs.")
}

/// The enum checks of AWS's request layer on `endpointConfiguration`.
fn request_layer(input: &Value) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    let config = input.get("endpointConfiguration");
    if let Some(Value::Array(types)) = config.and_then(|c| c.get("types")) {
        let names: Vec<&str> = types.iter().map(|t| t.as_str().unwrap_or("")).collect();
        if names.iter().any(|n| !TYPES.split(", ").any(|t| t == *n)) {
            errors.push(format!(
                "Value '[{}]' at 'createRestApiInput.endpointConfiguration.types' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [{TYPES}]]",
                names.join(", ")
            ));
        }
    }
    if let Some(ip) = config
        .and_then(|c| c.get("ipAddressType"))
        .and_then(Value::as_str)
    {
        if !matches!(ip, "ipv4" | "dualstack") {
            errors.push(format!(
                "Value '{ip}' at 'createRestApiInput.endpointConfiguration.ipAddressType' failed to satisfy constraint: Member must satisfy enum value set: [ipv4, dualstack]"
            ));
        }
    }
    patch::validation_errors(errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kind(input: Value) -> Option<(&'static str, String)> {
        create(&input).err().map(|e| (e.kind, e.message))
    }

    #[test]
    fn enum_errors_come_together_before_the_service_rules() {
        let (code, message) = kind(json!({"description": "", "endpointConfiguration":
            {"types": ["wrong"], "ipAddressType": "wrong"}}))
        .expect("refused");
        assert_eq!(code, "ValidationException");
        assert!(message.starts_with("2 validation errors detected: Value '[wrong]'"));
        let (code, message) = kind(json!({"description": "",
            "endpointConfiguration": {"types": ["PRIVATE"], "ipAddressType": "ipv4"}}))
        .expect("refused");
        assert_eq!(code, "BadRequestException");
        assert_eq!(message, "Description cannot be an empty string");
        assert!(kind(
            json!({"endpointConfiguration": {"types": ["PRIVATE"], "ipAddressType": "ipv4"}})
        )
        .is_some_and(|(_, m)| m.contains("dualstack")));
        assert!(
            kind(json!({"endpointConfiguration": {"types": ["EDGE", "REGIONAL"]}}))
                .is_some_and(|(_, m)| m.contains("multiple"))
        );
        assert!(kind(
            json!({"endpointConfiguration": {"types": ["EDGE"], "ipAddressType": "dualstack"}})
        )
        .is_none());
    }
}
