//! What differs between two definitions of an API, in lines a person reads
//! (`apigw diff`, `apigw apply`): resources and methods added, removed or
//! changed (and in which part), models, authorizers, validators, gateway
//! responses and the API's own settings.

use std::collections::BTreeMap;
use std::fmt::Debug;

use super::{Method, RestApi};

/// One difference: `+` added, `-` removed, `~` changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub sign: char,
    pub what: String,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.sign, self.what)
    }
}

/// The changes that turn `old` (`None`: no API yet) into `new`.
pub fn diff(old: Option<&RestApi>, new: &RestApi) -> Vec<Change> {
    let Some(old) = old else {
        return vec![Change {
            sign: '+',
            what: format!(
                "API {} ({} resources, {} methods)",
                new.name,
                new.resources.len(),
                new.methods().count()
            ),
        }];
    };
    let mut out = Vec::new();
    let mut push = |sign, what: String| out.push(Change { sign, what });
    for (label, a, b) in [
        ("name", Some(old.name.clone()), Some(new.name.clone())),
        (
            "description",
            old.description.clone(),
            new.description.clone(),
        ),
        ("version", old.version.clone(), new.version.clone()),
        ("region", old.region.clone(), new.region.clone()),
        (
            "API key source",
            old.api_key_source.clone(),
            new.api_key_source.clone(),
        ),
    ] {
        if a != b {
            push('~', format!("{label}: {} -> {}", shown(&a), shown(&b)));
        }
    }
    if old.endpoint_type != new.endpoint_type {
        push(
            '~',
            format!(
                "endpoint type: {:?} -> {:?}",
                old.endpoint_type, new.endpoint_type
            ),
        );
    }
    if old.binary_media_types != new.binary_media_types {
        push(
            '~',
            format!(
                "binary media types: {:?} -> {:?}",
                old.binary_media_types, new.binary_media_types
            ),
        );
    }
    if old.policy != new.policy {
        push('~', "resource policy".into());
    }
    if old.minimum_compression_size != new.minimum_compression_size
        || old.default_request_validator != new.default_request_validator
    {
        push('~', "API settings".into());
    }
    for path in keys(&old.resources, &new.resources) {
        match (old.resources.get(path), new.resources.get(path)) {
            (None, Some(r)) => {
                push('+', format!("resource {path}"));
                for m in r.methods.keys() {
                    push('+', format!("method {m} {path}"));
                }
            }
            (Some(r), None) => {
                for m in r.methods.keys() {
                    push('-', format!("method {m} {path}"));
                }
                push('-', format!("resource {path}"));
            }
            (Some(a), Some(b)) => {
                for verb in keys(&a.methods, &b.methods) {
                    match (a.methods.get(verb), b.methods.get(verb)) {
                        (None, Some(_)) => push('+', format!("method {verb} {path}")),
                        (Some(_), None) => push('-', format!("method {verb} {path}")),
                        (Some(x), Some(y)) if x != y => push(
                            '~',
                            format!("method {verb} {path} ({})", method_parts(x, y)),
                        ),
                        _ => {}
                    }
                }
            }
            (None, None) => {}
        }
    }
    named(&mut push, "model", &old.models, &new.models);
    named(&mut push, "authorizer", &old.authorizers, &new.authorizers);
    named(
        &mut push,
        "request validator",
        &old.request_validators,
        &new.request_validators,
    );
    let kinds = |m: &BTreeMap<super::GatewayResponseType, super::GatewayResponse>| {
        m.iter()
            .map(|(k, v)| (k.as_str().to_string(), v.clone()))
            .collect::<BTreeMap<_, _>>()
    };
    named(
        &mut push,
        "gateway response",
        &kinds(&old.gateway_responses),
        &kinds(&new.gateway_responses),
    );
    out
}

fn shown(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "(none)".into())
}

fn keys<'a, V>(a: &'a BTreeMap<String, V>, b: &'a BTreeMap<String, V>) -> Vec<&'a String> {
    let mut all: Vec<&String> = a.keys().chain(b.keys()).collect();
    all.sort();
    all.dedup();
    all
}

fn named<V: PartialEq + Debug>(
    push: &mut impl FnMut(char, String),
    label: &str,
    old: &BTreeMap<String, V>,
    new: &BTreeMap<String, V>,
) {
    for name in keys(old, new) {
        match (old.get(name), new.get(name)) {
            (None, Some(_)) => push('+', format!("{label} {name}")),
            (Some(_), None) => push('-', format!("{label} {name}")),
            (Some(a), Some(b)) if a != b => push('~', format!("{label} {name}")),
            _ => {}
        }
    }
}

/// Which parts of a method differ.
fn method_parts(a: &Method, b: &Method) -> String {
    let mut parts = Vec::new();
    if a.authorization_type != b.authorization_type
        || a.authorizer != b.authorizer
        || a.authorization_scopes != b.authorization_scopes
        || a.api_key_required != b.api_key_required
    {
        parts.push("authorization");
    }
    if a.request_parameters != b.request_parameters
        || a.request_models != b.request_models
        || a.request_validator != b.request_validator
    {
        parts.push("request");
    }
    if a.method_responses != b.method_responses {
        parts.push("responses");
    }
    match (&a.integration, &b.integration) {
        (Some(x), Some(y)) if x.integration_responses != y.integration_responses => {
            let mut x = x.clone();
            x.integration_responses = y.integration_responses.clone();
            if &x != y {
                parts.push("integration");
            }
            parts.push("integration responses");
        }
        (x, y) if x != y => parts.push("integration"),
        _ => {}
    }
    if a.operation_name != b.operation_name {
        parts.push("operation name");
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::test_api as api;

    const OLD: &str = r#"
openapi: "3.0.1"
info: {title: t}
paths:
  /pets:
    get:
      x-amazon-apigateway-integration: {type: mock, requestTemplates: {application/json: '{"statusCode": 200}'}}
    delete:
      x-amazon-apigateway-integration: {type: mock}
"#;

    #[test]
    fn changes_are_named_by_what_they_touch() {
        let old = api(OLD);
        assert!(diff(Some(&old), &old).is_empty(), "no change, no lines");
        let new = api(&(OLD
            .replace(
                "    delete:\n      x-amazon-apigateway-integration: {type: mock}\n",
                "",
            )
            .replace("'{\"statusCode\": 200}'", "'{\"statusCode\": 201}'")
            + "  /pets/{id}:\n    get:\n      x-amazon-apigateway-integration: {type: mock}\n"));
        let lines: Vec<String> = diff(Some(&old), &new)
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(
            lines,
            [
                "- method DELETE /pets",
                "~ method GET /pets (integration)",
                "+ resource /pets/{id}",
                "+ method GET /pets/{id}",
            ]
        );
        assert_eq!(diff(None, &new)[0].sign, '+');
    }
}
