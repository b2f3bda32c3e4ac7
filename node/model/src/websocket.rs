//! WebSocket APIs (apigatewayv2, `protocolType` WEBSOCKET) as the control
//! plane stores them: one [`WsApi`] record per API, kept whole, holding the
//! working definition (routes, route responses, integrations, integration
//! responses, authorizers, each in the apigatewayv2 API's lowerCamel JSON
//! shape, as `Get*` answers it), the deployments (each a frozen copy of the
//! definition) and the stages. The management API (`management::v2`)
//! writes it; the data plane compiles a stage's deployment at reload.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The parts of a WebSocket API that a deployment freezes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WsDefinition {
    /// The API itself as `GetApi` answers it (`apiId`, `name`,
    /// `routeSelectionExpression`, `tags`...).
    pub api: Value,
    /// Route id -> route.
    #[serde(default)]
    pub routes: BTreeMap<String, Value>,
    /// Route id -> route response id -> route response.
    #[serde(default)]
    pub route_responses: BTreeMap<String, BTreeMap<String, Value>>,
    /// Integration id -> integration.
    #[serde(default)]
    pub integrations: BTreeMap<String, Value>,
    /// Integration id -> integration response id -> integration response.
    #[serde(default)]
    pub integration_responses: BTreeMap<String, BTreeMap<String, Value>>,
    /// Authorizer id -> authorizer.
    #[serde(default)]
    pub authorizers: BTreeMap<String, Value>,
}

/// One deployment: what `GetDeployment` answers and the definition frozen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WsDeployment {
    pub info: Value,
    pub definition: WsDefinition,
}

/// A WebSocket API with its deployments and stages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WsApi {
    pub id: String,
    pub definition: WsDefinition,
    /// Deployment id -> deployment.
    #[serde(default)]
    pub deployments: BTreeMap<String, WsDeployment>,
    /// Stage name -> stage as `GetStage` answers it.
    #[serde(default)]
    pub stages: BTreeMap<String, Value>,
}

/// Whether `id` is a well-formed apigatewayv2 identifier (what the store
/// keys, URLs and log lines may carry): 1 to 64 ASCII letters and digits.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Whether `name` is a stage name AWS accepts: 1 to 128 of letters,
/// digits, `-`, `_` and `$` (for `$default`).
pub fn valid_stage_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_$".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_stage_names() {
        assert!(valid_id("a1b2c3d4e5"));
        assert!(!valid_id(""));
        assert!(!valid_id("a/b"));
        assert!(!valid_id("../x"));
        assert!(valid_stage_name("Prod"));
        assert!(valid_stage_name("$default"));
        assert!(!valid_stage_name("a b"));
        assert!(!valid_stage_name("a/b"));
    }

    #[test]
    fn records_round_trip_as_json() {
        let api = WsApi {
            id: "abc".into(),
            definition: WsDefinition {
                api: serde_json::json!({"apiId": "abc"}),
                ..WsDefinition::default()
            },
            deployments: BTreeMap::new(),
            stages: BTreeMap::new(),
        };
        let text = serde_json::to_string(&api).unwrap_or_default();
        let back: Option<WsApi> = serde_json::from_str(&text).ok();
        assert_eq!(back, Some(api));
    }
}
