//! Request validation, as a method's request validator asks: required
//! parameters (400 `Missing required request parameters: [a, b]`) and the
//! body against the model for its content type (400 `Invalid request body`).

use super::context::RequestContext;
use super::error::RequestError;
use super::integration::request_content_type;
use crate::params::Location;
use crate::snapshot::Validation;

/// Checks a request against its method's validation.
pub fn validate(
    validation: &Validation,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<(), RequestError> {
    let missing: Vec<String> = validation
        .required
        .iter()
        .filter(|(location, name)| !present(ctx, *location, name))
        .map(|(_, name)| name.clone())
        .collect();
    if !missing.is_empty() {
        return Err(RequestError::MissingParameters(missing));
    }
    if validation.models.is_empty() {
        return Ok(());
    }
    let content_type = request_content_type(ctx);
    let Some(model) = validation
        .models
        .get(&content_type)
        .or_else(|| validation.models.get("$default"))
    else {
        return Ok(());
    };
    let document: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        RequestError::InvalidBody(format!("model {}: the body is not JSON: {e}", model.name))
    })?;
    let problems: Vec<String> = model
        .validator
        .iter_errors(&document)
        .take(5)
        .map(|e| e.to_string())
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(RequestError::InvalidBody(format!(
            "model {}: [{}]",
            model.name,
            problems.join(", ")
        )))
    }
}

fn present(ctx: &RequestContext, location: Location, name: &str) -> bool {
    match location {
        Location::Path => ctx.path_param(name).is_some_and(|v| !v.is_empty()),
        Location::QueryString | Location::MultiValueQueryString => ctx.query_param(name).is_some(),
        Location::Header | Location::MultiValueHeader => ctx.headers.contains_key(name),
    }
}
