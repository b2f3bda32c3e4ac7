//! The parts of a WebSocket API's definition, served alike: routes, route
//! responses, integrations, integration responses and authorizers. Each
//! operation is (verb, kind, where the items live, the item's id); create
//! checks the body ([`shapes::input`]) and the kind's rules
//! ([`checks::check`]), fills AWS's defaults and answers 201 with the item;
//! update sets the given members and checks the result; delete answers 204.

use std::collections::BTreeMap;

use http::StatusCode;
use serde_json::{Map, Value};

use super::super::operations::Op;
use super::super::{not_found, ApiError, Management, Reply, Request};
use super::shapes::{self, Slot};
use super::{checks, items, merge, new_id};
use crate::model::websocket::WsDefinition;

/// What an operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verb {
    Create,
    List,
    Get,
    Update,
    Delete,
}

fn operation(op: Op) -> Option<(Verb, Slot)> {
    use Op::*;
    use Slot::*;
    use Verb::*;
    Some(match op {
        CreateRoute => (Create, Routes),
        GetRoutes => (List, Routes),
        GetRoute => (Get, Routes),
        UpdateRoute => (Update, Routes),
        DeleteRoute => (Delete, Routes),
        CreateRouteResponse => (Create, RouteResponses),
        GetRouteResponses => (List, RouteResponses),
        GetRouteResponse => (Get, RouteResponses),
        UpdateRouteResponse => (Update, RouteResponses),
        DeleteRouteResponse => (Delete, RouteResponses),
        CreateV2Integration => (Create, Integrations),
        GetV2Integrations => (List, Integrations),
        GetV2Integration => (Get, Integrations),
        UpdateV2Integration => (Update, Integrations),
        DeleteV2Integration => (Delete, Integrations),
        CreateV2IntegrationResponse => (Create, IntegrationResponses),
        GetV2IntegrationResponses => (List, IntegrationResponses),
        GetV2IntegrationResponse => (Get, IntegrationResponses),
        UpdateV2IntegrationResponse => (Update, IntegrationResponses),
        DeleteV2IntegrationResponse => (Delete, IntegrationResponses),
        CreateV2Authorizer => (Create, Authorizers),
        GetV2Authorizers => (List, Authorizers),
        GetV2Authorizer => (Get, Authorizers),
        UpdateV2Authorizer => (Update, Authorizers),
        DeleteV2Authorizer => (Delete, Authorizers),
        _ => return None,
    })
}

/// Where the addressed items are: the slot and, for responses, the parent.
pub(super) struct Place<'r> {
    pub slot: Slot,
    /// The route or integration of a response ("" for the others).
    pub parent: &'r str,
}

impl Place<'_> {
    /// The slot's items in `def` (a response's parent must exist).
    fn items<'d>(
        &self,
        def: &'d mut WsDefinition,
    ) -> Result<&'d mut BTreeMap<String, Value>, ApiError> {
        let parent = |map: &BTreeMap<String, Value>, noun: &str| match map.contains_key(self.parent)
        {
            true => Ok(()),
            false => Err(missing(noun, self.parent)),
        };
        Ok(match self.slot {
            Slot::Routes => &mut def.routes,
            Slot::Integrations => &mut def.integrations,
            Slot::Authorizers => &mut def.authorizers,
            Slot::RouteResponses => {
                parent(&def.routes, "Route")?;
                def.route_responses
                    .entry(self.parent.to_string())
                    .or_default()
            }
            Slot::IntegrationResponses => {
                parent(&def.integrations, "Integration")?;
                def.integration_responses
                    .entry(self.parent.to_string())
                    .or_default()
            }
        })
    }
}

fn missing(noun: &str, id: &str) -> ApiError {
    not_found(format!("Invalid {noun} identifier specified {id}"))
}

impl Management {
    /// Serves routes, integrations, authorizers and their responses.
    pub(super) async fn v2_parts(&self, req: &Request<'_>) -> Reply {
        let (verb, slot) = operation(req.op()).ok_or_else(|| req.not_served(req.op()))?;
        let parent = match slot {
            Slot::RouteResponses => req.param("routeId"),
            Slot::IntegrationResponses => req.param("integrationId"),
            _ => "",
        };
        let place = Place { slot, parent };
        let api_id = req.param("apiId");
        let item_id = req.param(slot.id_param());
        match verb {
            Verb::List | Verb::Get => {
                let mut api = self.ws_api(api_id)?;
                let items_of = place.items(&mut api.definition)?;
                match verb {
                    Verb::List => items(req, items_of.values().cloned().collect()),
                    _ => items_of
                        .get(item_id)
                        .cloned()
                        .map(|v| (StatusCode::OK, v))
                        .ok_or_else(|| missing(slot.kind().noun, item_id)),
                }
            }
            Verb::Create => {
                let input = shapes::input(slot.kind(), req.body, true)?;
                let id = new_id();
                let made = self
                    .edit_ws(api_id, |api| {
                        create(&mut api.definition, &place, &id, &input)
                    })
                    .await?;
                Ok((StatusCode::CREATED, made))
            }
            Verb::Update => {
                let input = shapes::input(slot.kind(), req.body, false)?;
                let made = self
                    .edit_ws(api_id, |api| {
                        update(&mut api.definition, &place, item_id, &input)
                    })
                    .await?;
                Ok((StatusCode::OK, made))
            }
            Verb::Delete => {
                self.edit_ws(api_id, |api| delete(&mut api.definition, &place, item_id))
                    .await?;
                Ok((StatusCode::NO_CONTENT, Value::Null))
            }
        }
    }
}

/// Adds a new item with id `id` made of `input` (defaults first), checked.
pub(super) fn create(
    def: &mut WsDefinition,
    place: &Place<'_>,
    id: &str,
    input: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let mut item = checks::defaults(place.slot);
    merge(&mut item, input);
    item[place.slot.kind().id_field] = Value::from(id);
    checks::check(place.slot, def, &item, None)?;
    place.items(def)?.insert(id.to_string(), item.clone());
    Ok(item)
}

fn update(
    def: &mut WsDefinition,
    place: &Place<'_>,
    id: &str,
    input: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let noun = place.slot.kind().noun;
    let mut item = place
        .items(def)?
        .get(id)
        .cloned()
        .ok_or_else(|| missing(noun, id))?;
    merge(&mut item, input);
    checks::check(place.slot, def, &item, Some(id))?;
    place.items(def)?.insert(id.to_string(), item.clone());
    Ok(item)
}

fn delete(def: &mut WsDefinition, place: &Place<'_>, id: &str) -> Result<(), ApiError> {
    let noun = place.slot.kind().noun;
    place
        .items(def)?
        .remove(id)
        .ok_or_else(|| missing(noun, id))?;
    match place.slot {
        Slot::Routes => drop(def.route_responses.remove(id)),
        Slot::Integrations => drop(def.integration_responses.remove(id)),
        _ => {}
    }
    Ok(())
}
