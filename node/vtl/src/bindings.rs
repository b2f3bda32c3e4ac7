//! What a render reads: the [`Bindings`] the caller gives (body, parameters,
//! `$context`, `$stageVariables`) and the body parsed as JSON once per render.

use super::ast::Offset;
use super::budget::Meter;
use super::jsonpath;
use super::value::Value;
use super::RenderError;

/// The values a template renders with.
pub struct Bindings<'a> {
    /// `$input.body`: the request body (request templates) or the
    /// integration's response body (response templates).
    pub body: &'a [u8],
    /// `$input.params()`: method request parameters by location.
    pub path: Vec<(String, String)>,
    pub querystring: Vec<(String, String)>,
    pub header: Vec<(String, String)>,
    /// `$context`, a map (the caller adds `responseOverride` and
    /// `requestOverride` maps the template may write to).
    pub context: Value,
    /// `$stageVariables`, a map.
    pub stage_variables: Value,
    /// Whether the body is the client's (a request template): an unparsable
    /// JSON body is then the client's fault.
    pub body_from_client: bool,
}

/// The body parsed as JSON, once per render, and its node count (for
/// [`jsonpath::select`]).
#[derive(Default)]
pub(super) struct InputState {
    parsed: Option<(serde_json::Value, usize)>,
}

/// Bytes a parsed JSON value takes per node beyond its text, about (a
/// `serde_json::Value` is 80 bytes; an object entry adds its key and hash).
pub(super) const JSON_NODE_BYTES: usize = 128;

/// An upper estimate of the memory `serde_json` takes to parse `text`:
/// every node starts at a `[`, `{` or `,`, or is the only one.
pub(super) fn parse_estimate(text: &[u8]) -> usize {
    let nodes = text
        .iter()
        .filter(|b| matches!(b, b'[' | b'{' | b','))
        .count()
        + 1;
    text.len()
        .saturating_add(nodes.saturating_mul(JSON_NODE_BYTES))
}

impl InputState {
    pub(super) fn document(
        &mut self,
        bindings: &Bindings<'_>,
        meter: &mut Meter,
        at: Offset,
    ) -> Result<(&serde_json::Value, usize), RenderError> {
        if self.parsed.is_none() {
            let body = bindings.body;
            let parsed = if body.iter().all(u8::is_ascii_whitespace) {
                // An empty body reads as an empty object, as on AWS.
                serde_json::Value::Object(serde_json::Map::new())
            } else {
                meter.charge(parse_estimate(body)).map_err(|f| f.at(at))?;
                serde_json::from_slice(body).map_err(|e| {
                    let message = format!("Could not parse request body into json: {e}");
                    if bindings.body_from_client {
                        RenderError::BadBody(message)
                    } else {
                        RenderError::eval(at, message)
                    }
                })?
            };
            let nodes = jsonpath::count_nodes(&parsed);
            self.parsed = Some((parsed, nodes));
        }
        match &self.parsed {
            Some((doc, nodes)) => Ok((doc, *nodes)),
            None => Err(RenderError::eval(at, "the body was not parsed")),
        }
    }
}
