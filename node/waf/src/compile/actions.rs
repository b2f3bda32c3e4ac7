//! Compiling rule actions: Allow / Block / Count / CAPTCHA / Challenge,
//! custom request headers (`x-amzn-waf-` prefixed) and custom Block
//! responses with their bodies resolved, within AWS's quotas.

use super::types::*;
use super::Ctx;
use crate::error::CompileError;
use crate::model::*;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

pub(super) fn valid_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn insert_headers(ctx: &Ctx, h: &HandlingAction) -> Result<Vec<HeaderPair>, CompileError> {
    let Some(c) = &h.custom_request_handling else {
        return Ok(Vec::new());
    };
    if c.insert_headers.is_empty() || c.insert_headers.len() > 10 {
        return Err(ctx.invalid(
            "CUSTOM_REQUEST_HANDLING",
            "InsertHeaders",
            "Custom request handling inserts 1 to 10 headers.",
        ));
    }
    let mut seen = HashSet::new();
    c.insert_headers
        .iter()
        .map(|h| {
            header_ok(ctx, h, "CUSTOM_REQUEST_HANDLING")?;
            if !seen.insert(h.name.to_ascii_lowercase()) {
                return Err(ctx.invalid(
                    "CUSTOM_REQUEST_HANDLING",
                    h.name.clone(),
                    "Duplicate header names are not allowed.",
                ));
            }
            Ok((format!("x-amzn-waf-{}", h.name), h.value.clone()))
        })
        .collect()
}

fn header_ok(ctx: &Ctx, h: &CustomHttpHeader, field: &'static str) -> Result<(), CompileError> {
    let name_ok = (1..=64).contains(&h.name.len())
        && h.name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._$-".contains(&b));
    let value_ok =
        (1..=255).contains(&h.value.len()) && !h.value.bytes().any(|b| b == b'\r' || b == b'\n');
    if name_ok && value_ok {
        Ok(())
    } else {
        Err(ctx.invalid(
            field,
            h.name.clone(),
            "Header names match ^[a-zA-Z0-9._$-]+$ (1-64), values are 1-255 characters.",
        ))
    }
}

fn custom_response(ctx: &Ctx, r: &CustomResponse) -> Result<CustomResponseSpec, CompileError> {
    let status = u16::try_from(r.response_code)
        .ok()
        .filter(|s| (200..=599).contains(s))
        .ok_or_else(|| {
            ctx.invalid(
                "CUSTOM_RESPONSE",
                r.response_code.to_string(),
                "ResponseCode must be 200-599.",
            )
        })?;
    let list = r.response_headers.as_deref().unwrap_or_default();
    if list.len() > 10 {
        return Err(ctx.invalid(
            "CUSTOM_RESPONSE",
            "ResponseHeaders",
            "A custom response has at most 10 headers.",
        ));
    }
    let mut headers = Vec::with_capacity(list.len());
    for h in list {
        header_ok(ctx, h, "CUSTOM_RESPONSE")?;
        headers.push((h.name.clone(), h.value.clone()));
    }
    let body = match &r.custom_response_body_key {
        None => None,
        Some(key) => {
            let b = ctx.bodies.and_then(|m| m.get(key)).ok_or_else(|| {
                ctx.invalid(
                    "CUSTOM_RESPONSE_BODY",
                    key.clone(),
                    "The CustomResponseBodyKey is not defined in CustomResponseBodies.",
                )
            })?;
            Some((b.content.clone(), b.content_type.mime()))
        }
    };
    Ok(CustomResponseSpec {
        status,
        headers,
        body,
    })
}

pub(super) fn rule_action(ctx: &Ctx, a: &RuleAction) -> Result<CAction, CompileError> {
    let set = [
        a.block.is_some(),
        a.allow.is_some(),
        a.count.is_some(),
        a.captcha.is_some(),
        a.challenge.is_some(),
    ];
    if set.iter().filter(|s| **s).count() != 1 {
        return Err(ctx.invalid(
            "RULE_ACTION",
            "Action",
            "Set exactly one of Allow, Block, Count, Captcha or Challenge.",
        ));
    }
    Ok(if let Some(b) = &a.block {
        CAction::Block(
            b.custom_response
                .as_ref()
                .map(|r| custom_response(ctx, r).map(Arc::new))
                .transpose()?,
        )
    } else if let Some(h) = &a.allow {
        CAction::Allow(insert_headers(ctx, h)?)
    } else if let Some(h) = &a.count {
        CAction::Count(insert_headers(ctx, h)?)
    } else if let Some(h) = &a.captcha {
        CAction::Captcha(insert_headers(ctx, h)?)
    } else {
        CAction::Challenge(insert_headers(
            ctx,
            a.challenge.as_ref().unwrap_or(&HandlingAction::default()),
        )?)
    })
}

pub(super) fn default_action(ctx: &Ctx, d: &DefaultAction) -> Result<CAction, CompileError> {
    let a = RuleAction {
        block: d.block.clone(),
        allow: d.allow.clone(),
        ..RuleAction::default()
    };
    rule_action(ctx, &a).map_err(|mut e| {
        e.field = "DEFAULT_ACTION";
        e
    })
}

/// Checks an ACL's or group's custom response bodies against AWS's quotas.
pub(super) fn check_bodies(
    b: Option<&BTreeMap<String, CustomResponseBody>>,
) -> Result<(), CompileError> {
    let Some(b) = b else { return Ok(()) };
    let total: usize = b.values().map(|v| v.content.len()).sum();
    if b.len() > 50 || total > 50 * 1024 {
        return Err(CompileError::limits(
            None,
            "CustomResponseBodies",
            "At most 50 bodies and 50 KB of body content.",
        ));
    }
    match b
        .iter()
        .find(|(k, v)| !valid_name(k) || v.content.is_empty() || v.content.len() > 4096)
    {
        Some((k, _)) => Err(CompileError::invalid(
            None,
            "CUSTOM_RESPONSE_BODY",
            k.clone(),
            "Body keys match ^[\\w\\-]+$; content is 1 byte to 4 KB.",
        )),
        None => Ok(()),
    }
}
