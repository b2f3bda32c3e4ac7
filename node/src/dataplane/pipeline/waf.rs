//! Phase `waf`: the stage's web ACL (`crate::web_acls::WebAcls`), before any
//! resource policy, authorizer, API key or throttle sees the request, as on
//! AWS. Allow goes on (with the `x-amzn-waf-` headers Count rules inserted);
//! Block answers the rule's CustomResponse if it has one, else the API's
//! `WAF_FILTERED` gateway response (403 `{"message":"Forbidden"}`);
//! CAPTCHA and Challenge answer what the engine gives (405 / 202 with
//! `x-amzn-waf-action`). Each inspected request writes one AWS WAF log
//! record to the log, target `apigw::waf`.
//!
//! The body is read (within the payload limit, at the client's pace) only
//! when the request has one; the engine inspects at most the ACL's body
//! limit of it (16 KB unless `AssociationConfig` raises it) and judges
//! oversize by the full length.

use std::time::{SystemTime, UNIX_EPOCH};

use http::header::{HeaderName, HeaderValue, CONTENT_LENGTH, TRANSFER_ENCODING};
use http::{Response, StatusCode};

use super::exchange::{Exchange, Pending};
use super::Gateway;
use crate::dataplane::body::{full, Body, RequestBody};
use crate::dataplane::error::RequestError;
use crate::snapshot::StageView;
use apigw_waf::{Action, RequestView, Verdict, WafResponse};

impl Gateway {
    /// Evaluates the stage's web ACL: `Some(answer)` when the WAF answers
    /// itself (a custom Block response, CAPTCHA, Challenge), an error for a
    /// plain Block, `None` to go on.
    pub(super) async fn waf<B: RequestBody>(
        &self,
        ex: &mut Exchange<'_, B>,
        stage: &StageView,
    ) -> Result<Option<Response<Body>>, RequestError> {
        let Some(protection) = self
            .services
            .waf
            .for_stage(&stage.api.api_id, &stage.stage_name)
        else {
            return Ok(None);
        };
        let has_body = ex
            .ctx
            .header(CONTENT_LENGTH.as_str())
            .is_some_and(|l| l.trim() != "0")
            || ex.ctx.header(TRANSFER_ENCODING.as_str()).is_some();
        let body = if has_body {
            let bytes = self.body_bytes(ex).await?;
            ex.body = Pending::Read(bytes.clone());
            bytes
        } else {
            bytes::Bytes::new()
        };
        let verdict = {
            let ctx = &ex.ctx;
            let limit = protection.acl.body_limit().min(body.len());
            let view = RequestView {
                method: ctx.method.as_str(),
                uri_path: &ctx.raw_path,
                query_string: ctx.raw_query.as_deref().unwrap_or(""),
                fragment: None,
                headers: ctx
                    .headers
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.as_bytes()))
                    .collect(),
                body: &body[..limit],
                body_len: body.len(),
                client_ip: ctx.source_ip,
                http_version: ctx.protocol,
                ja3: None,
                ja4: None,
            };
            let now = SystemTime::now();
            let verdict = apigw_waf::evaluate(
                &protection.acl,
                &view,
                self.services.waf.counters(),
                &apigw_waf::NoGeo,
                now,
            );
            let source = format!("{}:{}", stage.api.api_id, stage.stage_name);
            let record = apigw_waf::log::record(
                &view,
                &verdict,
                &apigw_waf::LogContext {
                    timestamp_ms: now
                        .duration_since(UNIX_EPOCH)
                        .map(|d| d.as_millis() as u64)
                        .unwrap_or(0),
                    request_id: &ctx.request_id,
                    http_source_id: &source,
                },
            );
            tracing::info!(target: "apigw::waf", "{record}");
            verdict
        };
        self.services.waf.tally(&verdict);
        match verdict.action {
            Action::Allow => {
                for (name, value) in &verdict.inserted_headers {
                    if let (Ok(n), Ok(v)) = (
                        HeaderName::from_bytes(name.as_bytes()),
                        HeaderValue::from_str(value),
                    ) {
                        ex.ctx.headers.insert(n, v);
                    }
                }
                Ok(None)
            }
            _ => match &verdict.response {
                Some(response) => Ok(Some(waf_response(response))),
                None => Err(RequestError::WafFiltered(blocked_by(&verdict))),
            },
        }
    }
}

fn blocked_by(verdict: &Verdict) -> String {
    format!(
        "{} ({})",
        verdict.terminating_rule_id,
        verdict.terminating_rule_type.log_name()
    )
}

/// The WAF's own answer (custom response, CAPTCHA, Challenge).
fn waf_response(w: &WafResponse) -> Response<Body> {
    let (text, kind) = match &w.body {
        Some((text, kind)) => (text.clone(), Some(*kind)),
        None => (String::new(), None),
    };
    let mut r = Response::new(full(text));
    *r.status_mut() = StatusCode::from_u16(w.status).unwrap_or(StatusCode::FORBIDDEN);
    if let Some(kind) = kind.and_then(|k| HeaderValue::from_str(k).ok()) {
        r.headers_mut().insert(http::header::CONTENT_TYPE, kind);
    }
    for (name, value) in &w.headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            r.headers_mut().append(n, v);
        }
    }
    r
}
