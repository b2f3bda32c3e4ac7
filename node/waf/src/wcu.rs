//! Web ACL capacity units, computed as the AWS WAF developer guide lists
//! them per statement type ("Rule statements list", current edition):
//!
//! | statement | base WCUs |
//! | --- | --- |
//! | ByteMatch EXACTLY / STARTS_WITH / ENDS_WITH | 2 |
//! | ByteMatch CONTAINS / CONTAINS_WORD | 10 |
//! | RegexMatch | 3 |
//! | RegexPatternSetReference | 25 |
//! | SizeConstraint | 1 |
//! | SqliMatch LOW / HIGH | 20 / 30 |
//! | XssMatch | 40 |
//! | GeoMatch, LabelMatch, AsnMatch | 1 |
//! | IPSetReference | 1; 5 with a forwarded IP at position ANY |
//! | RateBased | 2, + 30 per custom aggregation key, + the scope-down |
//! | And / Or / Not | the sum of the nested statements |
//! | RuleGroupReference | the rule group's `Capacity` |
//! | ManagedRuleGroup | the group's published capacity, + the scope-down |
//!
//! For the request-component statements: All query arguments adds 10, JSON
//! body doubles the base, each text transformation other than NONE adds
//! 10 (also on rate-based custom keys, which take transformations too).

use crate::compile::Ctx;
use crate::error::CompileError;
use crate::managed;
use crate::model::*;

fn component(base: u64, field: &FieldToMatch, tt: &[TextTransformation]) -> u64 {
    let base = if field.json_body.is_some() {
        base * 2
    } else {
        base
    };
    let all_args = if field.all_query_arguments.is_some() {
        10
    } else {
        0
    };
    base + all_args + transformations(tt)
}

fn transformations(tt: &[TextTransformation]) -> u64 {
    10 * tt
        .iter()
        .filter(|t| t.kind != TextTransformationType::None)
        .count() as u64
}

/// The WCUs of one statement.
pub(crate) fn statement(ctx: &Ctx, s: &Statement) -> Result<u64, CompileError> {
    use PositionalConstraint as P;
    if let Some(b) = &s.byte_match {
        let base = match b.positional_constraint {
            P::Exactly | P::StartsWith | P::EndsWith => 2,
            P::Contains | P::ContainsWord => 10,
        };
        return Ok(component(base, &b.field_to_match, &b.text_transformations));
    }
    if let Some(q) = &s.sqli_match {
        let base = if q.sensitivity_level == Some(SensitivityLevel::High) {
            30
        } else {
            20
        };
        return Ok(component(base, &q.field_to_match, &q.text_transformations));
    }
    if let Some(x) = &s.xss_match {
        return Ok(component(40, &x.field_to_match, &x.text_transformations));
    }
    if let Some(z) = &s.size_constraint {
        return Ok(component(1, &z.field_to_match, &z.text_transformations));
    }
    if let Some(r) = &s.regex_match {
        return Ok(component(3, &r.field_to_match, &r.text_transformations));
    }
    if let Some(r) = &s.regex_pattern_set_reference {
        return Ok(component(25, &r.field_to_match, &r.text_transformations));
    }
    if s.geo_match.is_some() || s.label_match.is_some() || s.asn_match.is_some() {
        return Ok(1);
    }
    if let Some(i) = &s.ip_set_reference {
        let any = i
            .ip_set_forwarded_ip_config
            .as_ref()
            .is_some_and(|c| c.position == ForwardedIpPosition::Any);
        return Ok(if any { 5 } else { 1 });
    }
    if let Some(a) = &s.and {
        return sum(ctx, &a.statements);
    }
    if let Some(o) = &s.or {
        return sum(ctx, &o.statements);
    }
    if let Some(n) = &s.not {
        return statement(ctx, &n.statement);
    }
    if let Some(r) = &s.rate_based {
        return rate_based(ctx, r);
    }
    if let Some(m) = &s.managed_rule_group {
        let scope = m
            .scope_down_statement
            .as_ref()
            .map(|s| statement(ctx, s))
            .transpose()?
            .unwrap_or(0);
        return Ok(managed::capacity(ctx, m)? + scope);
    }
    if let Some(g) = &s.rule_group_reference {
        let rg = ctx
            .resources
            .rule_groups
            .get(&g.arn)
            .ok_or_else(|| CompileError::nonexistent(ctx.rule, "RULE_GROUP", &g.arn))?;
        return Ok(u64::try_from(rg.capacity).unwrap_or(0));
    }
    Ok(0)
}

fn sum(ctx: &Ctx, list: &[Statement]) -> Result<u64, CompileError> {
    list.iter()
        .try_fold(0, |acc, s| Ok(acc + statement(ctx, s)?))
}

fn rate_based(ctx: &Ctx, r: &RateBasedStatement) -> Result<u64, CompileError> {
    let keys = r.custom_keys.as_deref().unwrap_or_default();
    let key_tt: u64 = keys
        .iter()
        .map(|k| {
            let tt = k
                .header
                .as_ref()
                .or(k.cookie.as_ref())
                .or(k.query_argument.as_ref())
                .map(|n| n.text_transformations.as_slice())
                .or(k
                    .query_string
                    .as_ref()
                    .map(|t| t.text_transformations.as_slice()))
                .or(k
                    .uri_path
                    .as_ref()
                    .map(|t| t.text_transformations.as_slice()))
                .unwrap_or_default();
            30 + transformations(tt)
        })
        .sum();
    let scope = r
        .scope_down_statement
        .as_ref()
        .map(|s| statement(ctx, s))
        .transpose()?
        .unwrap_or(0);
    Ok(2 + key_tt + scope)
}

/// The WCUs of a rule (its statement's).
pub(crate) fn rule(ctx: &Ctx, r: &Rule) -> Result<u64, CompileError> {
    statement(ctx, &r.statement)
}
