//! apigatewayv2 (`/v2/...` on the admin listener) for WebSocket APIs, in
//! the REST-JSON shapes of botocore's `apigatewayv2` model: lowerCamel
//! members, ISO-8601 dates, lists as `{"items": [...]}`, updates as PATCH
//! bodies of the members to set, deletes answering 204.
//!
//! Each WebSocket API is one stored record ([`WsApi`]: definition,
//! deployments, stages), read, changed and written whole through
//! [`Management::edit_record`], so concurrent edits through two nodes
//! cannot lose one and a cluster replicates it over Raft like every other
//! change. What lives where: the API and its tags in [`apis`]; routes,
//! route responses, integrations, integration responses and authorizers in
//! [`parts`] (their checks in [`checks`]); deployments and stages, with
//! `autoDeploy`, in [`stages`]; the members each resource accepts in
//! [`shapes`]; APIs declared in apigw's config file are built with the
//! same checks in [`declared`]. HTTP APIs are refused with a
//! BadRequestException.

mod apis;
mod checks;
mod declared;
mod parts;
mod shapes;
mod stages;

use http::StatusCode;
use serde_json::{Map, Value};

use super::{err, internal, not_found, ApiError, Management, Reply, Request};
use crate::control::ControlCommand;
use crate::model::command::Record;
use crate::model::websocket::{valid_id, WsApi};
use crate::policy::account;

use super::operations::Family;
pub use declared::{declared_api, WsDeclaration};

impl Management {
    /// Serves an apigatewayv2 operation.
    pub(super) async fn v2(&self, req: &Request<'_>) -> Reply {
        match req.matched.family {
            Family::V2Apis => self.v2_apis(req).await,
            Family::V2Stages => self.v2_stages(req).await,
            _ => self.v2_parts(req).await,
        }
    }

    /// The WebSocket API `id` (a malformed id is not found, never looked up).
    fn ws_api(&self, id: &str) -> Result<WsApi, ApiError> {
        let missing = || {
            not_found(format!(
                "Invalid API identifier specified {}:{id}",
                account()
            ))
        };
        if !valid_id(id) {
            return Err(missing());
        }
        self.store
            .get_ws_api(id)
            .map_err(internal)?
            .ok_or_else(missing)
    }

    /// Runs `change` on a copy of WebSocket API `id` and writes the copy
    /// whole, conditional on the stored record being the one read (else
    /// `change` runs again on the new one). Stages with `autoDeploy` get a
    /// new deployment when the definition changed.
    async fn edit_ws<T>(
        &self,
        id: &str,
        mut change: impl FnMut(&mut WsApi) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        self.edit_record(Record::WsApi(id.to_string()), || {
            let mut api = self.ws_api(id)?;
            let before = api.definition.clone();
            let out = change(&mut api)?;
            if api.definition != before {
                stages::auto_deploy(&mut api);
            }
            Ok((ControlCommand::PutWsApi(Box::new(api)), out))
        })
        .await
    }
}

/// The current time as apigatewayv2 writes dates (`timestampFormat`
/// iso8601): `2026-12-04T02:55:00Z`.
fn now_iso() -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    time::OffsetDateTime::now_utc()
        .format(&format)
        .unwrap_or_default()
}

/// A fresh id for a route, integration, authorizer, deployment or
/// response: seven lowercase letters and digits, as AWS's.
fn new_id() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..7)
        .map(|_| char::from(ALPHABET[rand::random_range(0..ALPHABET.len())]))
        .collect()
}

/// AWS's ConflictException.
fn conflict(message: impl Into<String>) -> ApiError {
    err(StatusCode::CONFLICT, "ConflictException", message)
}

/// A list answer: `{"items": [...]}` (one page: apigw has no
/// `nextToken` yet; `maxResults` is honoured as a cap).
fn items(req: &Request<'_>, values: Vec<Value>) -> Reply {
    let cap = req
        .query("maxResults")
        .and_then(|m| m.parse::<usize>().ok())
        .unwrap_or(usize::MAX);
    let values: Vec<Value> = values.into_iter().take(cap).collect();
    Ok((StatusCode::OK, serde_json::json!({ "items": values })))
}

/// `input`'s members set on `target` (an object).
fn merge(target: &mut Value, input: &Map<String, Value>) {
    if let Value::Object(t) = target {
        for (k, v) in input {
            t.insert(k.clone(), v.clone());
        }
    }
}
