//! WAF log records in AWS WAF's JSON log format (format version 1), one per
//! inspected request, with the fields of AWS's "Log fields" reference.

use crate::eval::{RuleMatch, Verdict};
use crate::request::RequestView;
use serde_json::{json, Value};

/// What the log needs that the request view does not carry.
#[derive(Debug, Clone)]
pub struct LogContext<'a> {
    /// Milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// The request id the gateway assigned.
    pub request_id: &'a str,
    /// `httpSourceId`: for API Gateway `{api-id}:{stage}` form is what AWS
    /// shows; pass what identifies the protected resource.
    pub http_source_id: &'a str,
}

/// Most labels AWS logs per request.
const MAX_LABELS: usize = 100;

fn rule_match(m: &RuleMatch) -> Value {
    let mut v = json!({ "ruleId": m.rule_id, "action": m.action, "ruleMatchDetails": [] });
    if let Some(o) = m.overridden_action {
        v["overriddenAction"] = json!(o);
    }
    v
}

fn headers(req: &RequestView) -> Value {
    let list: Vec<Value> = req
        .headers
        .iter()
        .map(|(n, v)| json!({ "name": n, "value": String::from_utf8_lossy(v) }))
        .collect();
    Value::Array(list)
}

/// The log record for one evaluated request.
pub fn record(req: &RequestView, verdict: &Verdict, ctx: &LogContext) -> Value {
    let t = &verdict.trace;
    let groups: Vec<Value> = t
        .rule_groups
        .iter()
        .map(|g| {
            json!({
                "ruleGroupId": g.rule_group_id,
                "terminatingRule": g.terminating_rule.as_ref().map(rule_match),
                "nonTerminatingMatchingRules": g.non_terminating.iter().map(rule_match).collect::<Vec<_>>(),
                "excludedRules": if g.excluded_rules.is_empty() { Value::Null } else {
                    Value::Array(g.excluded_rules.iter().map(|r| json!({"exclusionType": "EXCLUDED_AS_COUNT", "ruleId": r})).collect())
                },
            })
        })
        .collect();
    let rates: Vec<Value> = t
        .rate_based
        .iter()
        .map(|r| {
            json!({
                "rateBasedRuleId": r.rule_name,
                "rateBasedRuleName": r.rule_name,
                "limitKey": r.limit_key,
                "maxRateAllowed": r.max_rate_allowed,
                "evaluationWindowSec": r.evaluation_window_sec.to_string(),
                "limitValue": r.limit_value,
            })
        })
        .collect();
    let inserted: Vec<Value> = verdict
        .inserted_headers
        .iter()
        .map(|(n, v)| json!({"name": n, "value": v}))
        .collect();
    let labels: Vec<Value> = verdict
        .labels
        .iter()
        .take(MAX_LABELS)
        .map(|l| json!({ "name": l }))
        .collect();
    let mut rec = json!({
        "timestamp": ctx.timestamp_ms,
        "formatVersion": 1,
        "webaclId": verdict.web_acl_arn,
        "terminatingRuleId": verdict.terminating_rule_id,
        "terminatingRuleType": verdict.terminating_rule_type.log_name(),
        "action": verdict.action.log_name(),
        "terminatingRuleMatchDetails": [],
        "httpSourceName": "APIGW",
        "httpSourceId": ctx.http_source_id,
        "ruleGroupList": groups,
        "rateBasedRuleList": rates,
        "nonTerminatingMatchingRules": t.non_terminating.iter().map(rule_match).collect::<Vec<_>>(),
        "requestHeadersInserted": if inserted.is_empty() { Value::Null } else { Value::Array(inserted) },
        "responseCodeSent": verdict.response.as_ref().filter(|_| verdict.action == crate::eval::Action::Block).map(|r| r.status),
        "httpRequest": {
            "clientIp": req.client_ip.to_string(),
            "country": verdict.country.as_deref().unwrap_or("-"),
            "headers": headers(req),
            "uri": req.uri_path,
            "args": req.query_string,
            "httpVersion": req.http_version,
            "httpMethod": req.method,
            "requestId": ctx.request_id,
        },
    });
    if !labels.is_empty() {
        rec["labels"] = Value::Array(labels);
    }
    if !t.oversize_fields.is_empty() {
        rec["oversizeFields"] = json!(t.oversize_fields);
    }
    if let Some((code, reason)) = verdict.challenge_failure {
        let key = if code == 405 {
            "captchaResponse"
        } else {
            "challengeResponse"
        };
        rec[key] = json!({ "responseCode": code, "failureReason": reason });
    }
    rec
}
