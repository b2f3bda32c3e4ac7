//! Evaluation: [`evaluate`] runs a compiled web ACL over one request in
//! AWS's order (Firewall Manager pre-process groups, the rules in ascending
//! priority, post-process groups, then the default action) and returns a
//! [`Verdict`]: the action, the response to send if any, the request
//! headers to insert, the labels, and the trace the log record and metrics
//! are made from.

pub(crate) mod inspect;
mod rate_eval;
pub(crate) mod statement;
mod verdict;

use crate::compile::types::{CAction, CGroupRef, CRule, CompiledWebAcl, HeaderPair, RuleBody};
use crate::geo::{GeoInfo, GeoLookup};
use crate::rate::RateCounters;
use crate::request::{Prepared, RequestView};
use crate::token::{self, TokenTimes};
use std::cell::OnceCell;
use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};
pub use verdict::*;

/// The state of one evaluation.
pub(crate) struct Eval<'a> {
    pub prep: &'a Prepared<'a>,
    pub counters: &'a dyn RateCounters,
    geo: &'a dyn GeoLookup,
    pub now: u64,
    token_key: Option<&'a token::TokenKey>,
    pub labels: Vec<String>,
    inserted: Vec<HeaderPair>,
    pub trace: Trace,
    geo_cache: HashMap<IpAddr, GeoInfo>,
    token: OnceCell<TokenState>,
}

/// What the request's token says.
#[derive(Debug, Clone, Copy)]
enum TokenState {
    Missing,
    Invalid,
    Valid(TokenTimes),
}

impl Eval<'_> {
    pub fn lookup(&mut self, ip: IpAddr) -> GeoInfo {
        let geo = self.geo;
        self.geo_cache
            .entry(ip)
            .or_insert_with(|| geo.lookup(ip))
            .clone()
    }

    fn add_labels(&mut self, labels: impl IntoIterator<Item = String>) {
        for l in labels {
            if !self.labels.contains(&l) {
                self.labels.push(l);
            }
        }
    }

    fn insert_headers(&mut self, headers: &[HeaderPair]) {
        for (n, v) in headers {
            match self
                .inserted
                .iter_mut()
                .find(|(k, _)| k.eq_ignore_ascii_case(n))
            {
                Some(slot) => slot.1 = v.clone(),
                None => self.inserted.push((n.clone(), v.clone())),
            }
        }
    }

    fn token(&self) -> TokenState {
        *self.token.get_or_init(|| {
            let req = self.prep.req;
            let cookie = self
                .prep
                .cookies
                .iter()
                .find(|(n, _)| *n == token::TOKEN_COOKIE.as_bytes())
                .map(|(_, v)| *v);
            let Some(raw) = cookie.or_else(|| req.header(token::TOKEN_HEADER)) else {
                return TokenState::Missing;
            };
            let text = String::from_utf8_lossy(raw);
            match self.token_key.and_then(|k| k.verify(req.client_ip, &text)) {
                Some(t) => TokenState::Valid(t),
                None => TokenState::Invalid,
            }
        })
    }

    /// Whether the token passes a CAPTCHA (`captcha`) or challenge check;
    /// the failure reason AWS logs otherwise.
    fn token_ok(&self, captcha: bool, immunity: u64) -> Result<(), &'static str> {
        match self.token() {
            TokenState::Missing => Err("TOKEN_MISSING"),
            TokenState::Invalid => Err("TOKEN_INVALID"),
            TokenState::Valid(t) => {
                let ts = if captcha {
                    t.captcha
                } else {
                    t.challenge.max(t.captcha)
                };
                if token::fresh(ts, immunity, self.now) {
                    Ok(())
                } else {
                    Err("TOKEN_EXPIRED")
                }
            }
        }
    }
}

/// Evaluates `acl` over `req`. Never panics on any request; the work is
/// bounded by the ACL's size and the inspection limits.
pub fn evaluate(
    acl: &CompiledWebAcl,
    req: &RequestView<'_>,
    counters: &dyn RateCounters,
    geo: &dyn GeoLookup,
    now: SystemTime,
) -> Verdict {
    let prep = Prepared::new(req, acl.body_limit);
    let mut e = Eval {
        prep: &prep,
        counters,
        geo,
        now: now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()),
        token_key: acl.token_key.as_ref(),
        labels: Vec::new(),
        inserted: Vec::new(),
        trace: Trace::default(),
        geo_cache: HashMap::new(),
        token: OnceCell::new(),
    };
    for rule in &acl.rules {
        if let Some(t) = eval_top_rule(&mut e, rule) {
            return finish(&mut e, acl, t);
        }
    }
    let t = Terminal {
        rule_id: "Default_Action".to_owned(),
        rule_type: RuleType::Regular,
        action: acl.default_action.clone(),
        metric: acl.metric_name.clone(),
        failure: None,
    };
    finish(&mut e, acl, t)
}

/// A terminating decision.
struct Terminal {
    rule_id: String,
    rule_type: RuleType,
    action: CAction,
    metric: String,
    failure: Option<&'static str>,
}

fn finish(e: &mut Eval, acl: &CompiledWebAcl, t: Terminal) -> Verdict {
    if let CAction::Allow(h) = &t.action {
        e.insert_headers(h);
    }
    let (action, response) = verdict::response(&t.action);
    if t.rule_id == "Default_Action" {
        // Matched rules tallied themselves in `apply`; the default action
        // counts under the web ACL's metric name.
        e.trace.tallies.push((t.metric.clone(), action.into()));
    }
    e.trace.tallies.push(("ALL".to_owned(), action.into()));
    let client = e.prep.req.client_ip;
    let country = e.lookup(client).country;
    let trace = std::mem::take(&mut e.trace);
    Verdict {
        action,
        response,
        terminating_rule_id: t.rule_id,
        terminating_rule_type: t.rule_type,
        inserted_headers: if action == Action::Allow {
            std::mem::take(&mut e.inserted)
        } else {
            Vec::new()
        },
        labels: std::mem::take(&mut e.labels),
        challenge_failure: t.failure.map(|f| (verdict::status_of(&t.action), f)),
        country,
        web_acl_arn: acl.arn.clone(),
        trace,
    }
}

/// The outcome of applying a matched rule's action.
enum Applied {
    Continue(Option<RuleMatch>),
    Stop(CAction, Option<&'static str>, RuleMatch),
}

/// Applies a matched rule's effective action: labels, headers, tokens.
fn apply(
    e: &mut Eval,
    rule: &CRule,
    action: &CAction,
    overridden: Option<&'static str>,
) -> Applied {
    e.add_labels(rule.labels.iter().cloned());
    let m = RuleMatch {
        rule_id: rule.name.clone(),
        action: action.log_name(),
        overridden_action: overridden,
    };
    e.trace
        .tallies
        .push((rule.metric_name.clone(), Tally::from_action(action)));
    match action {
        CAction::Count(h) => {
            e.insert_headers(h);
            Applied::Continue(Some(m))
        }
        CAction::Captcha(h) | CAction::Challenge(h) => {
            let captcha = matches!(action, CAction::Captcha(_));
            let immunity = if captcha {
                rule.captcha_immunity
            } else {
                rule.challenge_immunity
            };
            match e.token_ok(captcha, immunity) {
                Ok(()) => {
                    e.insert_headers(h);
                    Applied::Continue(Some(m))
                }
                Err(reason) => Applied::Stop(action.clone(), Some(reason), m),
            }
        }
        CAction::Allow(_) | CAction::Block(_) => Applied::Stop(action.clone(), None, m),
    }
}

/// Whether a rule's own condition holds (regular or rate-based).
fn rule_matches(e: &mut Eval, rule: &CRule) -> bool {
    let mut pending = Vec::new();
    let hit = match &rule.body {
        RuleBody::Regular(s) => statement::matches(e, s, &mut pending),
        RuleBody::Rate(r) => rate_eval::matches(e, rule, r, &mut pending),
        RuleBody::Group(_) => false,
    };
    e.add_labels(pending);
    hit
}

fn eval_top_rule(e: &mut Eval, rule: &CRule) -> Option<Terminal> {
    if let RuleBody::Group(g) = &rule.body {
        return eval_group(e, rule, g);
    }
    if !rule_matches(e, rule) {
        return None;
    }
    let rule_type = if matches!(rule.body, RuleBody::Rate(_)) {
        RuleType::RateBased
    } else {
        RuleType::Regular
    };
    match apply(e, rule, &rule.action, None) {
        Applied::Continue(m) => {
            e.trace.non_terminating.extend(m);
            None
        }
        Applied::Stop(action, failure, _) => Some(Terminal {
            rule_id: rule.name.clone(),
            rule_type,
            action,
            metric: rule.metric_name.clone(),
            failure,
        }),
    }
}

fn eval_group(e: &mut Eval, outer: &CRule, g: &CGroupRef) -> Option<Terminal> {
    if let Some(s) = &g.scope_down {
        let mut pending = Vec::new();
        let hit = statement::matches(e, s, &mut pending);
        e.add_labels(pending);
        if !hit {
            return None;
        }
    }
    let mut trace = RuleGroupTrace {
        rule_group_id: g.id.clone(),
        excluded_rules: g.excluded.iter().cloned().collect(),
        ..RuleGroupTrace::default()
    };
    trace.excluded_rules.sort();
    let mut result = None;
    for rule in &g.group.rules {
        if !rule_matches(e, rule) {
            continue;
        }
        let mut action = g.overrides.get(&rule.name).unwrap_or(&rule.action).clone();
        if outer.override_count || g.excluded.contains(&rule.name) {
            action = CAction::Count(Vec::new());
        }
        let overridden =
            (action.log_name() != rule.action.log_name()).then(|| rule.action.log_name());
        match apply(e, rule, &action, overridden) {
            Applied::Continue(m) => trace.non_terminating.extend(m),
            Applied::Stop(action, failure, m) => {
                trace.terminating_rule = Some(m);
                let rule_type = if g.managed {
                    RuleType::ManagedRuleGroup
                } else {
                    RuleType::Group
                };
                result = Some(Terminal {
                    rule_id: outer.name.clone(),
                    rule_type,
                    action,
                    metric: rule.metric_name.clone(),
                    failure,
                });
                break;
            }
        }
    }
    if trace.terminating_rule.is_some() || !trace.non_terminating.is_empty() {
        e.trace.rule_groups.push(trace);
    }
    result
}
