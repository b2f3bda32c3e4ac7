//! WebSocket APIs declared in apigw's config file, built into the record
//! the management API would have made: the same members, defaults and
//! checks as CreateApi, CreateIntegration (+ IntegrationResponse),
//! CreateAuthorizer, CreateRoute (+ a `$default` RouteResponse for
//! `twoWay` routes) and CreateStage. Parts are named in the file and get
//! ids derived from their names, so the same file builds the same record;
//! a definition that did not change keeps its deployment (and stage dates),
//! one that did gets a new deployment every declared stage points at.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::parts::{create, Place};
use super::shapes::{self, Slot};
use super::{merge, now_iso};
use crate::model::websocket::{valid_stage_name, WsApi, WsDefinition, WsDeployment};

/// A WebSocket API as the config file declares it: apigatewayv2's
/// lowerCamel members, parts named.
#[derive(Debug, Clone, Default)]
pub struct WsDeclaration {
    pub id: String,
    /// CreateApi's members (`name`, `routeSelectionExpression`...);
    /// `protocolType` is WEBSOCKET.
    pub api: Map<String, Value>,
    /// Name -> CreateIntegration's members, plus `responses`: a list of
    /// CreateIntegrationResponse members.
    pub integrations: BTreeMap<String, Value>,
    /// Name -> CreateAuthorizer's members.
    pub authorizers: BTreeMap<String, Value>,
    /// CreateRoute's members, with `integration` and `authorizer` naming
    /// parts above and `twoWay: true` for a `$default` route response.
    pub routes: Vec<Value>,
    /// CreateStage's members (`stageName`, `stageVariables`,
    /// `defaultRouteSettings`, `routeSettings`...).
    pub stages: Vec<Value>,
}

/// Builds the record for `decl`; `previous` is what the store has under
/// its id. The error says which part is wrong and why.
pub fn declared_api(
    decl: &WsDeclaration,
    region: &str,
    previous: Option<&WsApi>,
) -> Result<WsApi, String> {
    let mut def = definition(decl, region, previous).map_err(|e| e.message)?;
    if let Some(old) = previous {
        def.api["createdDate"] = old.definition.api["createdDate"].clone();
    }
    let mut api = WsApi {
        id: decl.id.clone(),
        definition: def,
        deployments: BTreeMap::new(),
        stages: BTreeMap::new(),
    };
    let same = previous.filter(|old| old.definition == api.definition);
    let deployment_id = match same.and_then(current_deployment) {
        Some(id) => id,
        None => super::new_id(),
    };
    let frozen = same
        .and_then(|old| old.deployments.get(&deployment_id).cloned())
        .unwrap_or_else(|| WsDeployment {
            info: json!({"autoDeployed": false, "createdDate": now_iso(), "deploymentId": deployment_id,
                         "deploymentStatus": "DEPLOYED", "description": "deployed from the config file"}),
            definition: api.definition.clone(),
        });
    api.deployments.insert(deployment_id.clone(), frozen);
    for stage in &decl.stages {
        let (name, value) = declared_stage(stage, &deployment_id, same)?;
        api.stages.insert(name, value);
    }
    Ok(api)
}

/// The definition: the API, then its integrations, authorizers and routes.
fn definition(
    decl: &WsDeclaration,
    region: &str,
    previous: Option<&WsApi>,
) -> Result<WsDefinition, super::ApiError> {
    let mut input = shapes::input_value(&shapes::API, Value::Object(decl.api.clone()), false)?;
    input.insert("protocolType".into(), json!("WEBSOCKET"));
    input.remove("tags");
    super::apis::check_api(&input)?;
    let id = &decl.id;
    let mut api = json!({
        "apiEndpoint": format!("wss://{id}.execute-api.{region}.amazonaws.com"),
        "apiId": id,
        "apiKeySelectionExpression": "$request.header.x-api-key",
        "createdDate": previous.map_or_else(|| json!(now_iso()), |p| p.definition.api["createdDate"].clone()),
        "disableExecuteApiEndpoint": false,
    });
    merge(&mut api, &input);
    let mut def = WsDefinition {
        api,
        ..WsDefinition::default()
    };
    for (name, value) in &decl.integrations {
        integration(&mut def, name, value)?;
    }
    for (name, value) in &decl.authorizers {
        let place = Place {
            slot: Slot::Authorizers,
            parent: "",
        };
        let input = shapes::input_value(&shapes::AUTHORIZER, value.clone(), true)?;
        create(&mut def, &place, &stable_id("authorizer", name), &input)?;
    }
    for value in &decl.routes {
        route(&mut def, value)?;
    }
    Ok(def)
}

fn integration(def: &mut WsDefinition, name: &str, value: &Value) -> Result<(), super::ApiError> {
    let mut value = value.clone();
    let responses = value.as_object_mut().and_then(|m| m.remove("responses"));
    let id = stable_id("integration", name);
    let place = Place {
        slot: Slot::Integrations,
        parent: "",
    };
    let input = shapes::input_value(&shapes::INTEGRATION, value, true)?;
    create(def, &place, &id, &input)?;
    let place = Place {
        slot: Slot::IntegrationResponses,
        parent: &id,
    };
    for (i, response) in responses.into_iter().flat_map(list).enumerate() {
        let input = shapes::input_value(&shapes::INTEGRATION_RESPONSE, response, true)?;
        create(
            def,
            &place,
            &stable_id("response", &format!("{name}/{i}")),
            &input,
        )?;
    }
    Ok(())
}

fn route(def: &mut WsDefinition, value: &Value) -> Result<(), super::ApiError> {
    let mut value = value.clone();
    let fields = value.as_object_mut();
    let named = |fields: &mut Option<&mut Map<String, Value>>, key: &str| {
        fields
            .as_mut()
            .and_then(|m| m.remove(key))
            .and_then(|v| v.as_str().map(str::to_string))
    };
    let mut fields = fields;
    let integration = named(&mut fields, "integration");
    let authorizer = named(&mut fields, "authorizer");
    let two_way = fields
        .as_mut()
        .and_then(|m| m.remove("twoWay"))
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    let mut input = shapes::input_value(&shapes::ROUTE, value, true)?;
    if let Some(name) = integration {
        let target = format!("integrations/{}", stable_id("integration", &name));
        input.insert("target".into(), json!(target));
    }
    if let Some(name) = authorizer {
        input.insert("authorizerId".into(), json!(stable_id("authorizer", &name)));
        input.entry("authorizationType").or_insert(json!("CUSTOM"));
    }
    let key = shapes::str_of(&input, "routeKey").unwrap_or("").to_string();
    let id = stable_id("route", &key);
    create(
        def,
        &Place {
            slot: Slot::Routes,
            parent: "",
        },
        &id,
        &input,
    )?;
    if two_way {
        let place = Place {
            slot: Slot::RouteResponses,
            parent: &id,
        };
        let input = shapes::input_value(
            &shapes::ROUTE_RESPONSE,
            json!({"routeResponseKey": "$default"}),
            true,
        )?;
        create(def, &place, &stable_id("routeresponse", &key), &input)?;
    }
    Ok(())
}

fn declared_stage(
    stage: &Value,
    deployment: &str,
    same: Option<&WsApi>,
) -> Result<(String, Value), String> {
    let mut input =
        shapes::input_value(&shapes::STAGE, stage.clone(), true).map_err(|e| e.message)?;
    input.remove("tags");
    input.remove("deploymentId");
    input.remove("autoDeploy");
    let name = shapes::str_of(&input, "stageName")
        .unwrap_or("")
        .to_string();
    if !valid_stage_name(&name) {
        return Err(format!(
            "Invalid stageName {name}: 1 to 128 letters, digits, '-', '_' or '$'"
        ));
    }
    let now = now_iso();
    let mut value = json!({
        "createdDate": now, "lastUpdatedDate": now,
        "defaultRouteSettings": {"dataTraceEnabled": false, "detailedMetricsEnabled": false},
        "routeSettings": {}, "stageVariables": {},
    });
    merge(&mut value, &input);
    value["deploymentId"] = json!(deployment);
    if let Some(old) = same.and_then(|a| a.stages.get(&name)) {
        let mut kept = value.clone();
        kept["createdDate"] = old["createdDate"].clone();
        kept["lastUpdatedDate"] = old["lastUpdatedDate"].clone();
        if kept == *old {
            return Ok((name, kept));
        }
        value["createdDate"] = old["createdDate"].clone();
    }
    Ok((name, value))
}

/// The deployment the stages of an unchanged record point at.
fn current_deployment(api: &WsApi) -> Option<String> {
    let id = api.stages.values().next()?.get("deploymentId")?.as_str()?;
    api.deployments.contains_key(id).then(|| id.to_string())
}

fn list(v: Value) -> Vec<Value> {
    match v {
        Value::Array(items) => items,
        other => vec![other],
    }
}

/// A seven-character id derived from what it names.
fn stable_id(kind: &str, name: &str) -> String {
    use sha2::{Digest, Sha256};
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let digest = Sha256::digest(format!("{kind}:{name}").as_bytes());
    digest
        .iter()
        .take(7)
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decl() -> WsDeclaration {
        let api = json!({"name": "chat", "routeSelectionExpression": "$request.body.action"});
        WsDeclaration {
            id: "chat".into(),
            api: api.as_object().cloned().unwrap_or_default(),
            integrations: [(
                "echo".to_string(),
                json!({"integrationType": "MOCK", "requestTemplates": {"$default": "{\"statusCode\": 200}"},
                       "responses": [{"integrationResponseKey": "$default", "responseTemplates": {"$default": "$input.body"}}]}),
            )]
            .into(),
            authorizers: BTreeMap::new(),
            routes: vec![json!({"routeKey": "$default", "integration": "echo", "twoWay": true})],
            stages: vec![json!({"stageName": "prod", "stageVariables": {"a": "1"}})],
        }
    }

    #[test]
    fn the_same_declaration_builds_the_same_record() {
        let first = declared_api(&decl(), "us-east-1", None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(first.definition.routes.len(), 1);
        assert_eq!(first.definition.route_responses.len(), 1);
        assert_eq!(first.stages["prod"]["stageVariables"]["a"], "1");
        let again =
            declared_api(&decl(), "us-east-1", Some(&first)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again, first);
        let mut changed = decl();
        changed.routes[0]["twoWay"] = json!(false);
        let next =
            declared_api(&changed, "us-east-1", Some(&first)).unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(
            next.stages["prod"]["deploymentId"],
            first.stages["prod"]["deploymentId"]
        );
    }

    #[test]
    fn declarations_are_checked_as_create_calls_are() {
        let mut bad = decl();
        bad.routes.push(json!({"routeKey": "$default"}));
        let e = declared_api(&bad, "us-east-1", None)
            .err()
            .unwrap_or_default();
        assert!(e.contains("already exists"), "{e}");
        let mut bad = decl();
        bad.integrations
            .insert("x".into(), json!({"integrationType": "VPC"}));
        assert!(declared_api(&bad, "us-east-1", None).is_err());
    }
}
