//! The input members of each apigatewayv2 resource, as botocore's
//! `apigatewayv2` model lists them in its `Create*Request` shapes
//! (lowerCamel `locationName`s), with their JSON types, and the one check
//! every create and update body goes through: a member the model does not
//! list is dropped (as AWS's REST-JSON layer ignores it), a listed member of
//! the wrong type is AWS's 400 BadRequestException, and a create call
//! without a required member is refused. Also where each kind's items live
//! in the definition ([`Slot`]).

use serde_json::{Map, Value};

use super::super::{bad_request, ApiError};

/// A member's JSON type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ty {
    Str,
    Bool,
    Int,
    /// A list of strings.
    List,
    /// A map of strings to strings.
    StrMap,
    /// Any JSON object.
    Obj,
}

/// One apigatewayv2 resource kind.
pub(super) struct Kind {
    /// As error messages name it (`Route`).
    pub noun: &'static str,
    /// The member holding its id in answers (`routeId`).
    pub id_field: &'static str,
    pub members: &'static [(&'static str, Ty)],
    /// What a create call must carry.
    pub required: &'static [&'static str],
}

use Ty::*;

pub(super) const API: Kind = Kind {
    noun: "Api",
    id_field: "apiId",
    members: &[
        ("apiKeySelectionExpression", Str),
        ("corsConfiguration", Obj),
        ("credentialsArn", Str),
        ("description", Str),
        ("disableSchemaValidation", Bool),
        ("disableExecuteApiEndpoint", Bool),
        ("ipAddressType", Str),
        ("name", Str),
        ("protocolType", Str),
        ("routeKey", Str),
        ("routeSelectionExpression", Str),
        ("tags", StrMap),
        ("target", Str),
        ("version", Str),
    ],
    required: &["name", "protocolType"],
};

pub(super) const ROUTE: Kind = Kind {
    noun: "Route",
    id_field: "routeId",
    members: &[
        ("apiKeyRequired", Bool),
        ("authorizationScopes", List),
        ("authorizationType", Str),
        ("authorizerId", Str),
        ("modelSelectionExpression", Str),
        ("operationName", Str),
        ("requestModels", StrMap),
        ("requestParameters", Obj),
        ("routeKey", Str),
        ("routeResponseSelectionExpression", Str),
        ("target", Str),
    ],
    required: &["routeKey"],
};

pub(super) const ROUTE_RESPONSE: Kind = Kind {
    noun: "RouteResponse",
    id_field: "routeResponseId",
    members: &[
        ("modelSelectionExpression", Str),
        ("responseModels", StrMap),
        ("responseParameters", Obj),
        ("routeResponseKey", Str),
    ],
    required: &["routeResponseKey"],
};

pub(super) const INTEGRATION: Kind = Kind {
    noun: "Integration",
    id_field: "integrationId",
    members: &[
        ("connectionId", Str),
        ("connectionType", Str),
        ("contentHandlingStrategy", Str),
        ("credentialsArn", Str),
        ("description", Str),
        ("integrationMethod", Str),
        ("integrationSubtype", Str),
        ("integrationType", Str),
        ("integrationUri", Str),
        ("passthroughBehavior", Str),
        ("payloadFormatVersion", Str),
        ("requestParameters", StrMap),
        ("requestTemplates", StrMap),
        ("responseParameters", Obj),
        ("templateSelectionExpression", Str),
        ("timeoutInMillis", Int),
        ("tlsConfig", Obj),
    ],
    required: &["integrationType"],
};

pub(super) const INTEGRATION_RESPONSE: Kind = Kind {
    noun: "IntegrationResponse",
    id_field: "integrationResponseId",
    members: &[
        ("contentHandlingStrategy", Str),
        ("integrationResponseKey", Str),
        ("responseParameters", StrMap),
        ("responseTemplates", StrMap),
        ("templateSelectionExpression", Str),
    ],
    required: &["integrationResponseKey"],
};

pub(super) const AUTHORIZER: Kind = Kind {
    noun: "Authorizer",
    id_field: "authorizerId",
    members: &[
        ("authorizerCredentialsArn", Str),
        ("authorizerPayloadFormatVersion", Str),
        ("authorizerResultTtlInSeconds", Int),
        ("authorizerType", Str),
        ("authorizerUri", Str),
        ("enableSimpleResponses", Bool),
        ("identitySource", List),
        ("identityValidationExpression", Str),
        ("jwtConfiguration", Obj),
        ("name", Str),
    ],
    required: &["authorizerType", "identitySource", "name"],
};

pub(super) const STAGE: Kind = Kind {
    noun: "Stage",
    id_field: "stageName",
    members: &[
        ("accessLogSettings", Obj),
        ("autoDeploy", Bool),
        ("clientCertificateId", Str),
        ("defaultRouteSettings", Obj),
        ("deploymentId", Str),
        ("description", Str),
        ("routeSettings", Obj),
        ("stageName", Str),
        ("stageVariables", StrMap),
        ("tags", StrMap),
    ],
    required: &["stageName"],
};

pub(super) const DEPLOYMENT: Kind = Kind {
    noun: "Deployment",
    id_field: "deploymentId",
    members: &[("description", Str), ("stageName", Str)],
    required: &[],
};

/// Where a kind's items live in the definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Slot {
    Routes,
    RouteResponses,
    Integrations,
    IntegrationResponses,
    Authorizers,
}

impl Slot {
    pub(super) fn kind(self) -> &'static Kind {
        match self {
            Slot::Routes => &ROUTE,
            Slot::RouteResponses => &ROUTE_RESPONSE,
            Slot::Integrations => &INTEGRATION,
            Slot::IntegrationResponses => &INTEGRATION_RESPONSE,
            Slot::Authorizers => &AUTHORIZER,
        }
    }

    /// The path parameter naming an item of this slot.
    pub(super) fn id_param(self) -> &'static str {
        match self {
            Slot::Routes => "routeId",
            Slot::RouteResponses => "routeResponseId",
            Slot::Integrations => "integrationId",
            Slot::IntegrationResponses => "integrationResponseId",
            Slot::Authorizers => "authorizerId",
        }
    }
}

/// The members of `body` that `kind` lists, type-checked; `creating`
/// also asks for the required ones.
pub(super) fn input(
    kind: &Kind,
    body: &[u8],
    creating: bool,
) -> Result<Map<String, Value>, ApiError> {
    let value: Value = match body.is_empty() {
        true => Value::Object(Map::new()),
        false => serde_json::from_slice(body)
            .map_err(|_| bad_request("Invalid request body: the body is not JSON"))?,
    };
    input_value(kind, value, creating)
}

/// [`input`] of a body already parsed.
pub(super) fn input_value(
    kind: &Kind,
    value: Value,
    creating: bool,
) -> Result<Map<String, Value>, ApiError> {
    let Value::Object(given) = value else {
        return Err(bad_request("Invalid request body: expected a JSON object"));
    };
    let mut out = Map::new();
    for (name, ty) in kind.members {
        let Some(v) = given.get(*name) else { continue };
        if v.is_null() {
            continue;
        }
        if !fits(v, *ty) {
            return Err(bad_request(format!(
                "Invalid value for {name}: expected {}",
                describe(*ty)
            )));
        }
        out.insert((*name).to_string(), v.clone());
    }
    if creating {
        if let Some(missing) = kind.required.iter().find(|m| !out.contains_key(**m)) {
            return Err(bad_request(format!(
                "{missing} is required for a {}",
                kind.noun
            )));
        }
    }
    Ok(out)
}

fn fits(v: &Value, ty: Ty) -> bool {
    match ty {
        Str => v.as_str().is_some_and(|s| s.len() <= 32 * 1024),
        Bool => v.is_boolean(),
        Int => v.as_i64().is_some(),
        List => v
            .as_array()
            .is_some_and(|a| a.len() <= 100 && a.iter().all(Value::is_string)),
        StrMap => v
            .as_object()
            .is_some_and(|m| m.len() <= 100 && m.values().all(Value::is_string)),
        Obj => v.is_object(),
    }
}

fn describe(ty: Ty) -> &'static str {
    match ty {
        Str => "a string",
        Bool => "a boolean",
        Int => "an integer",
        List => "a list of strings",
        StrMap => "a map of strings",
        Obj => "an object",
    }
}

/// The string member `name` of `input`, if present.
pub(super) fn str_of<'a>(input: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    input.get(name).and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_members_are_kept_typed_and_others_dropped() {
        let got = input(&ROUTE, br#"{"routeKey": "$default", "extra": 1}"#, true)
            .map_err(|e| e.message)
            .unwrap_or_default();
        assert_eq!(got.get("routeKey"), Some(&Value::from("$default")));
        assert!(!got.contains_key("extra"));
        let wrong = input(&ROUTE, br#"{"routeKey": 5}"#, true).err();
        assert_eq!(wrong.map(|e| e.kind), Some("BadRequestException"));
        let missing = input(&ROUTE, b"{}", true).err();
        assert!(missing.is_some_and(|e| e.message.contains("routeKey")));
        assert!(input(&ROUTE, b"{}", false).is_ok());
        assert!(input(&ROUTE, b"[1]", false).is_err());
    }
}
