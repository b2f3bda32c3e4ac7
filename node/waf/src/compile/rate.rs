//! Compiling rate-based statements: limit, evaluation window, forwarded
//! IP, aggregation (IP, FORWARDED_IP, CONSTANT, CUSTOM_KEYS with every key
//! type) and the scope-down.

use super::statement::{self, chain, compile as compile_stmt};
use super::types::*;
use super::Ctx;
use crate::error::CompileError;
use crate::model::*;
use std::sync::Arc;

pub(super) fn compile(ctx: &Ctx, rb: &RateBasedStatement) -> Result<CRate, CompileError> {
    let f = "RATE_BASED_STATEMENT";
    let limit = u64::try_from(rb.limit)
        .ok()
        .filter(|l| (10..=2_000_000_000).contains(l))
        .ok_or_else(|| {
            ctx.invalid(
                f,
                rb.limit.to_string(),
                "Limit must be between 10 and 2000000000.",
            )
        })?;
    let window_sec = rb.evaluation_window_sec.unwrap_or(300);
    if ![60, 120, 300, 600].contains(&window_sec) {
        return Err(ctx.invalid(
            f,
            window_sec.to_string(),
            "EvaluationWindowSec must be 60, 120, 300 or 600.",
        ));
    }
    let fwd = rb
        .forwarded_ip_config
        .as_ref()
        .map(|c| statement::fwd(ctx, c))
        .transpose()?;
    let keys = rb.custom_keys.as_deref().unwrap_or_default();
    let aggregate = match rb.aggregate_key_type {
        AggregateKeyType::Ip => CAggregate::Ip,
        AggregateKeyType::ForwardedIp if fwd.is_some() => CAggregate::ForwardedIp,
        AggregateKeyType::ForwardedIp => {
            return Err(ctx.invalid(
                "FORWARDED_IP_CONFIG",
                "ForwardedIPConfig",
                "FORWARDED_IP needs a ForwardedIPConfig.",
            ))
        }
        AggregateKeyType::Constant if rb.scope_down_statement.is_some() => CAggregate::Constant,
        AggregateKeyType::Constant => {
            return Err(ctx.invalid(
                "SCOPE_DOWN",
                "ScopeDownStatement",
                "CONSTANT needs a ScopeDownStatement.",
            ))
        }
        AggregateKeyType::CustomKeys => CAggregate::Custom(custom_keys(ctx, keys, fwd.is_some())?),
    };
    if !matches!(aggregate, CAggregate::Custom(_)) && !keys.is_empty() {
        return Err(ctx.invalid(
            "CUSTOM_KEYS",
            "CustomKeys",
            "CustomKeys is only allowed with AggregateKeyType CUSTOM_KEYS.",
        ));
    }
    let scope_down = rb
        .scope_down_statement
        .as_ref()
        .map(|s| compile_stmt(ctx, s, 1))
        .transpose()?;
    Ok(CRate {
        instance: Arc::from(format!("{}|{}", ctx.instance, ctx.rule.unwrap_or_default())),
        limit,
        window_sec: window_sec as u64,
        aggregate,
        scope_down,
        fwd,
    })
}

fn custom_keys(
    ctx: &Ctx,
    keys: &[RateBasedStatementCustomKey],
    has_fwd: bool,
) -> Result<Vec<CKey>, CompileError> {
    if keys.is_empty() || keys.len() > 5 {
        return Err(ctx.invalid(
            "CUSTOM_KEYS",
            "CustomKeys",
            "CUSTOM_KEYS takes 1 to 5 keys.",
        ));
    }
    let mut out = Vec::with_capacity(keys.len());
    for k in keys {
        let mut one: Vec<CKey> = Vec::new();
        let named = |n: &RateLimitNamed,
                     mk: fn(String, Vec<TextTransformationType>) -> CKey|
         -> Result<CKey, CompileError> {
            Ok(mk(
                n.name.to_ascii_lowercase(),
                chain(ctx, &n.text_transformations)?,
            ))
        };
        if let Some(n) = &k.header {
            one.push(named(n, CKey::Header)?);
        }
        if let Some(n) = &k.cookie {
            one.push(CKey::Cookie(
                n.name.clone(),
                chain(ctx, &n.text_transformations)?,
            ));
        }
        if let Some(n) = &k.query_argument {
            one.push(named(n, CKey::QueryArgument)?);
        }
        if let Some(t) = &k.query_string {
            one.push(CKey::QueryString(chain(ctx, &t.text_transformations)?));
        }
        if let Some(t) = &k.uri_path {
            one.push(CKey::UriPath(chain(ctx, &t.text_transformations)?));
        }
        if k.http_method.is_some() {
            one.push(CKey::Method);
        }
        if k.ip.is_some() {
            one.push(CKey::Ip);
        }
        if k.forwarded_ip.is_some() {
            if !has_fwd {
                return Err(ctx.invalid(
                    "FORWARDED_IP_CONFIG",
                    "ForwardedIPConfig",
                    "A ForwardedIP key needs the statement's ForwardedIPConfig.",
                ));
            }
            one.push(CKey::ForwardedIp);
        }
        if let Some(l) = &k.label_namespace {
            if !l.namespace.ends_with(':') {
                return Err(ctx.invalid(
                    "CUSTOM_KEYS",
                    l.namespace.clone(),
                    "A label namespace ends with ':'.",
                ));
            }
            one.push(CKey::LabelNamespace(ctx.qualify(&l.namespace)));
        }
        if let Some(j) = &k.ja3_fingerprint {
            one.push(CKey::Ja3(j.fallback_behavior));
        }
        if let Some(j) = &k.ja4_fingerprint {
            one.push(CKey::Ja4(j.fallback_behavior));
        }
        if k.asn.is_some() {
            one.push(CKey::Asn);
        }
        if one.len() != 1 {
            return Err(ctx.invalid(
                "CUSTOM_KEYS",
                "CustomKeys",
                "Each custom key sets exactly one key type.",
            ));
        }
        out.append(&mut one);
    }
    let only_ip = out.len() == 1 && matches!(out[0], CKey::Ip | CKey::ForwardedIp);
    if only_ip {
        return Err(ctx.invalid("CUSTOM_KEYS", "CustomKeys", "An IP or ForwardedIP custom key needs at least one other key; use AggregateKeyType IP or FORWARDED_IP instead."));
    }
    Ok(out)
}
