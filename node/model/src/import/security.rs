//! Security schemes: API keys, Lambda/Cognito authorizers and SigV4, and how
//! a method's `security` requirement turns into its authorization settings.

use std::collections::BTreeMap;

use serde_json::Value;

use super::walker::{join, Walker};
use super::Dialect;
use crate::{Method, RestApi};

/// What a named security scheme means to API Gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Scheme {
    /// `type: apiKey` without an authorizer: the method needs an API key.
    ApiKey,
    /// `x-amazon-apigateway-authtype: awsSigv4`.
    Iam,
    /// `x-amazon-apigateway-authorizer` of type token/request (Lambda).
    Custom,
    /// `x-amazon-apigateway-authorizer` of type cognito_user_pools.
    Cognito,
}

const SCHEME_EXTENSIONS: &[&str] = &[
    "x-amazon-apigateway-authorizer",
    "x-amazon-apigateway-authtype",
];

/// Reads the document's security schemes; authorizers are kept on the API.
pub(super) fn read_schemes(
    w: &mut Walker,
    doc: &Value,
    api: &mut RestApi,
) -> BTreeMap<String, Scheme> {
    let (at, schemes) = match w.dialect {
        Dialect::Swagger2 => ("securityDefinitions", doc.get("securityDefinitions")),
        Dialect::OpenApi3 => (
            "components.securitySchemes",
            doc.pointer("/components/securitySchemes"),
        ),
    };
    let mut out = BTreeMap::new();
    let Some(schemes) = schemes.and_then(Value::as_object) else {
        return out;
    };
    for (name, scheme) in schemes {
        let at = join(at, name);
        w.check_extensions(&at, scheme, SCHEME_EXTENSIONS);
        if let Some(authorizer) = scheme.get("x-amazon-apigateway-authorizer") {
            let kind = authorizer
                .get("type")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase);
            let definition = scheme;
            let scheme = match kind.as_deref() {
                Some("token" | "request") => Scheme::Custom,
                Some("cognito_user_pools") => Scheme::Cognito,
                _ => {
                    w.problem(
                        join(&at, "x-amazon-apigateway-authorizer.type"),
                        "must be token, request or cognito_user_pools",
                    );
                    continue;
                }
            };
            let authorizer = stored_authorizer(definition, authorizer, kind.as_deref());
            api.authorizers.insert(name.clone(), authorizer);
            out.insert(name.clone(), scheme);
            continue;
        }
        let authtype = scheme
            .get("x-amazon-apigateway-authtype")
            .and_then(Value::as_str);
        if authtype.is_some_and(|t| t.eq_ignore_ascii_case("awsSigv4")) {
            out.insert(name.clone(), Scheme::Iam);
        } else if scheme.get("type").and_then(Value::as_str) == Some("apiKey") {
            out.insert(name.clone(), Scheme::ApiKey);
        } else {
            w.warn(&at, "security scheme is neither an API key, SigV4 nor an API Gateway authorizer; ignored");
        }
    }
    out
}

/// An authorizer as the API keeps it: the extension's fields, the scheme's
/// `x-amazon-apigateway-authtype` as `authType`, and for TOKEN and Cognito
/// authorizers without an `identitySource` the header the scheme names (as
/// AWS fills it in).
fn stored_authorizer(scheme: &Value, authorizer: &Value, kind: Option<&str>) -> Value {
    let mut stored = authorizer.clone();
    let Some(fields) = stored.as_object_mut() else {
        return stored;
    };
    if let Some(auth_type) = scheme.get("x-amazon-apigateway-authtype") {
        fields.insert("authType".into(), auth_type.clone());
    }
    let header = scheme.get("name").and_then(Value::as_str);
    if let (Some("token" | "cognito_user_pools"), Some(header), None) =
        (kind, header, fields.get("identitySource"))
    {
        fields.insert(
            "identitySource".into(),
            Value::String(format!("method.request.header.{header}")),
        );
    }
    stored
}

/// Applies a method's (or the document's) `security` requirement to `method`.
pub(super) fn apply_requirement(
    w: &mut Walker,
    at: &str,
    requirement: &Value,
    schemes: &BTreeMap<String, Scheme>,
    method: &mut Method,
) {
    let Some(alternatives) = requirement.as_array() else {
        w.problem(at, "must be a list of security requirements");
        return;
    };
    for alternative in alternatives {
        let Some(map) = alternative.as_object() else {
            w.problem(at, "each security requirement must be a mapping");
            continue;
        };
        for (name, scopes) in map {
            let Some(scheme) = schemes.get(name) else {
                w.problem(
                    join(at, name),
                    format!("security scheme `{name}` is not defined"),
                );
                continue;
            };
            match scheme {
                Scheme::ApiKey => method.api_key_required = true,
                Scheme::Iam => method.authorization_type = "AWS_IAM".into(),
                Scheme::Custom | Scheme::Cognito => {
                    method.authorization_type = if *scheme == Scheme::Custom {
                        "CUSTOM".into()
                    } else {
                        "COGNITO_USER_POOLS".into()
                    };
                    method.authorizer = Some(name.clone());
                    method.authorization_scopes = scopes
                        .as_array()
                        .map(|s| {
                            s.iter()
                                .filter_map(|v| v.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default();
                }
            }
        }
    }
}
