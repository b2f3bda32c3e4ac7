//! The wafv2 operations, as botocore's `wafv2` model shapes them:
//! Create/Get/Update/Delete/List for WebACL, IPSet, RegexPatternSet and
//! RuleGroup (Scope REGIONAL only), CheckCapacity, AssociateWebACL,
//! DisassociateWebACL, GetWebACLForResource and ListResourcesForWebACL.
//!
//! Every create and update is checked by the engine before it is written
//! (a web ACL is compiled against the stored sets and groups; an IP set or
//! regex pattern set is compiled inside a probe ACL), so what the data plane
//! loads compiles. Updates and deletes must present the object's current
//! `LockToken`; the write is conditional on the record read, so two updates
//! with the same token cannot both succeed (WAFOptimisticLockException).

use http::Response;
use serde_json::{json, Map, Value};

use super::errors::{reply, WafError};
use super::TARGET_PREFIX;
use crate::control::{ControlCommand, STALE_API};
use crate::dataplane::body::Body;
use crate::dataplane::context::RequestContext;
use crate::management::Management;
use crate::model::command::{record_digest, Record};
use crate::model::waf::{parse_stage_arn, WafItem, WafKind};
use crate::policy::account;
use crate::web_acls as acls;

/// The largest page a List call returns.
const MAX_LIMIT: usize = 100;

/// How an object kind is named in operations and answers.
struct Names {
    /// `WebACL` (in `CreateWebACL`, and the `Get` answer's member).
    one: &'static str,
    /// `WebACLs` (the `List` answer's member).
    many: &'static str,
}

fn names(kind: WafKind) -> Names {
    match kind {
        WafKind::WebAcl => Names {
            one: "WebACL",
            many: "WebACLs",
        },
        WafKind::IpSet => Names {
            one: "IPSet",
            many: "IPSets",
        },
        WafKind::RegexPatternSet => Names {
            one: "RegexPatternSet",
            many: "RegexPatternSets",
        },
        WafKind::RuleGroup => Names {
            one: "RuleGroup",
            many: "RuleGroups",
        },
    }
}

const KINDS: [WafKind; 4] = [
    WafKind::WebAcl,
    WafKind::IpSet,
    WafKind::RegexPatternSet,
    WafKind::RuleGroup,
];

/// Answers one wafv2 call (signature already checked).
pub async fn handle(
    management: &Management,
    region: &str,
    ctx: &RequestContext,
    body: &[u8],
) -> Response<Body> {
    let target = ctx.header("x-amz-target").unwrap_or_default().to_string();
    let mut response = match call(management, region, &target, body).await {
        Ok(value) => reply(value),
        Err(e) => e.into_response(),
    };
    if let Ok(id) = http::HeaderValue::from_str(&ctx.request_id) {
        response.headers_mut().insert("x-amzn-requestid", id);
    }
    response
}

async fn call(
    management: &Management,
    region: &str,
    target: &str,
    body: &[u8],
) -> Result<Value, WafError> {
    let op = target
        .strip_prefix(TARGET_PREFIX)
        .ok_or_else(|| WafError::unknown_operation(target))?;
    let input: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        serde_json::from_slice(body).map_err(|e| WafError::serialization(e.to_string()))?
    };
    if !input.is_object() {
        return Err(WafError::serialization("the request body is not an object"));
    }
    let w = Wafv2 {
        m: management,
        region,
    };
    match op {
        "AssociateWebACL" => w.associate(&input).await,
        "DisassociateWebACL" => w.disassociate(&input).await,
        "GetWebACLForResource" => w.acl_for_resource(&input),
        "ListResourcesForWebACL" => w.resources_for_acl(&input),
        "CheckCapacity" => w.check_capacity(&input),
        _ => {
            for kind in KINDS {
                let n = names(kind);
                if op == format!("Create{}", n.one) {
                    return w.create(kind, &input).await;
                } else if op == format!("Get{}", n.one) {
                    return w.get(kind, &input);
                } else if op == format!("Update{}", n.one) {
                    return w.update(kind, &input).await;
                } else if op == format!("Delete{}", n.one) {
                    return w.delete(kind, &input).await;
                } else if op == format!("List{}", n.many) {
                    return w.list(kind, &input);
                }
            }
            Err(WafError::unknown_operation(target))
        }
    }
}

struct Wafv2<'a> {
    m: &'a Management,
    region: &'a str,
}

fn text<'v>(input: &'v Value, member: &str) -> Option<&'v str> {
    input.get(member).and_then(Value::as_str)
}

fn required<'v>(input: &'v Value, member: &'static str) -> Result<&'v str, WafError> {
    text(input, member)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| WafError::invalid(field_of(member), member, "must be given"))
}

/// AWS's `ParameterExceptionField` for a top-level member.
fn field_of(member: &str) -> &'static str {
    match member {
        "Name" => "ENTITY_NAME",
        "Id" => "ENTITY_ID",
        "LockToken" => "LOCK_TOKEN",
        "Scope" => "SCOPE_VALUE",
        "ResourceArn" => "RESOURCE_ARN",
        "WebACLArn" => "ENTITY_ARN",
        "Limit" => "LIMIT",
        _ => "RULE",
    }
}

fn check_scope(input: &Value) -> Result<(), WafError> {
    match text(input, "Scope") {
        Some("REGIONAL") => Ok(()),
        Some(other) => Err(WafError::invalid(
            "SCOPE_VALUE",
            other,
            "only REGIONAL is served (API Gateway stages)",
        )),
        None => Err(WafError::invalid("SCOPE_VALUE", "Scope", "must be given")),
    }
}

fn check_name(name: &str) -> Result<(), WafError> {
    let ok = (1..=128).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match ok {
        true => Ok(()),
        false => Err(WafError::invalid(
            "ENTITY_NAME",
            name,
            "names are 1 to 128 characters of A-Z, a-z, 0-9, - and _",
        )),
    }
}

fn summary(item: &WafItem) -> Value {
    let mut s = json!({
        "Name": item.name,
        "Id": item.id,
        "LockToken": item.lock_token,
        "ARN": item.arn,
    });
    if let Some(d) = item.body.get("Description") {
        s["Description"] = d.clone();
    }
    s
}

impl Wafv2<'_> {
    fn arn(&self, kind: WafKind, name: &str, id: &str) -> String {
        format!(
            "arn:aws:wafv2:{}:{}:regional/{}/{name}/{id}",
            self.region,
            account(),
            kind.arn_segment()
        )
    }

    fn items(&self) -> Result<Vec<WafItem>, WafError> {
        self.m.store().list_waf().map_err(WafError::internal)
    }

    /// The object a call names by `Id` (and `Name`), or by `ARN`.
    fn find(&self, kind: WafKind, input: &Value) -> Result<WafItem, WafError> {
        check_scope(input)?;
        let id = text(input, "Id");
        let arn = text(input, "ARN");
        if id.is_none() && arn.is_none() {
            return Err(WafError::invalid("ENTITY_ID", "Id", "must be given"));
        }
        let name = text(input, "Name");
        self.items()?
            .into_iter()
            .find(|i| {
                i.kind == kind
                    && id.is_none_or(|id| i.id == id)
                    && arn.is_none_or(|arn| i.arn == arn)
                    && name.is_none_or(|n| i.name == n)
            })
            .ok_or_else(WafError::nonexistent)
    }

    /// The object as stored: the input without the call's own members,
    /// with `Id` and `ARN` (and, for ACLs and groups, the label namespace).
    fn body_of(&self, kind: WafKind, input: &Value, name: &str, id: &str, arn: &str) -> Value {
        let mut body: Map<String, Value> = input.as_object().cloned().unwrap_or_default();
        for member in ["Scope", "Tags", "LockToken", "ARN"] {
            body.remove(member);
        }
        body.insert("Name".into(), json!(name));
        body.insert("Id".into(), json!(id));
        body.insert("ARN".into(), json!(arn));
        match kind {
            WafKind::WebAcl => {
                body.insert(
                    "LabelNamespace".into(),
                    json!(format!("awswaf:{}:webacl:{name}:", account())),
                );
                body.insert("ManagedByFirewallManager".into(), json!(false));
            }
            WafKind::RuleGroup => {
                body.insert(
                    "LabelNamespace".into(),
                    json!(format!("awswaf:{}:rulegroup:{name}:", account())),
                );
            }
            WafKind::IpSet | WafKind::RegexPatternSet => {}
        }
        Value::Object(body)
    }

    /// The engine's checks of `body` (the stored shape), with the other
    /// stored objects as its resources; the body with its computed
    /// capacity for a web ACL.
    fn validate(&self, kind: WafKind, mut body: Value) -> Result<Value, WafError> {
        let others: Vec<WafItem> = self
            .items()?
            .into_iter()
            .filter(|i| Some(i.arn.as_str()) != body.get("ARN").and_then(Value::as_str))
            .collect();
        let (resources, _) = acls::resources(&others);
        let opts = acls::options();
        let text = body.to_string();
        let shape = |e: apigw_waf::ParseError| WafError::invalid("RULE", "-", e.to_string());
        match kind {
            WafKind::WebAcl => {
                let (acl, _) = apigw_waf::parse_web_acl(&text).map_err(shape)?;
                let compiled = apigw_waf::compile(&acl, &resources, &opts)
                    .map_err(|e| WafError::from_compile(&e))?;
                body["Capacity"] = json!(compiled.capacity());
            }
            WafKind::RuleGroup => {
                let (group, _) = apigw_waf::parse_rule_group(&text).map_err(shape)?;
                apigw_waf::check_rule_group(&group, &resources, &opts)
                    .map_err(|e| WafError::from_compile(&e))?;
            }
            WafKind::IpSet | WafKind::RegexPatternSet => {
                // Compiled inside a probe ACL that references it, so the
                // engine's own reasons refuse bad addresses and patterns.
                let mut resources = resources;
                let arn = body["ARN"].as_str().unwrap_or_default().to_string();
                let statement = match kind {
                    WafKind::IpSet => {
                        let set = apigw_waf::parse_ip_set(&text).map_err(shape)?;
                        resources.add_ip_set(&arn, set);
                        json!({"IPSetReferenceStatement": {"ARN": arn}})
                    }
                    _ => {
                        let set = apigw_waf::parse_regex_pattern_set(&text).map_err(shape)?;
                        resources.add_regex_pattern_set(&arn, set);
                        json!({"RegexPatternSetReferenceStatement": {
                            "ARN": arn, "FieldToMatch": {"UriPath": {}},
                            "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}})
                    }
                };
                let probe = json!({
                    "Name": "probe", "DefaultAction": {"Allow": {}},
                    "VisibilityConfig": {"SampledRequestsEnabled": false,
                        "CloudWatchMetricsEnabled": false, "MetricName": "probe"},
                    "Rules": [{"Name": body["Name"], "Priority": 0, "Action": {"Block": {}},
                        "Statement": statement,
                        "VisibilityConfig": {"SampledRequestsEnabled": false,
                            "CloudWatchMetricsEnabled": false, "MetricName": "probe"}}]
                });
                let (acl, _) = apigw_waf::parse_web_acl(&probe.to_string()).map_err(shape)?;
                apigw_waf::compile(&acl, &resources, &opts)
                    .map_err(|e| WafError::from_compile(&e))?;
            }
        }
        Ok(body)
    }

    async fn write(&self, command: ControlCommand) -> Result<(), WafError> {
        self.m
            .write_command(command)
            .await
            .map_err(|(status, message)| match message.as_str() {
                STALE_API => WafError::optimistic_lock(),
                _ => {
                    let mut e = WafError::internal(message);
                    e.status = status;
                    e
                }
            })
    }

    /// Writes `command` only if the object at `arn` is still `read`.
    async fn write_if(
        &self,
        arn: &str,
        read: Option<&WafItem>,
        command: ControlCommand,
    ) -> Result<(), WafError> {
        self.write(ControlCommand::PutIf {
            record: Record::Waf(arn.to_string()),
            base: record_digest(read),
            command: Box::new(command),
        })
        .await
    }

    async fn create(&self, kind: WafKind, input: &Value) -> Result<Value, WafError> {
        check_scope(input)?;
        let name = required(input, "Name")?;
        check_name(name)?;
        if self
            .items()?
            .iter()
            .any(|i| i.kind == kind && i.name == name)
        {
            return Err(WafError::duplicate());
        }
        let id = crate::ids::new_request_id();
        let arn = self.arn(kind, name, &id);
        let body = self.validate(kind, self.body_of(kind, input, name, &id, &arn))?;
        let tags = input
            .get("Tags")
            .and_then(Value::as_array)
            .map(|tags| {
                tags.iter()
                    .filter_map(|t| {
                        Some((text(t, "Key")?.to_string(), text(t, "Value")?.to_string()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let item = WafItem {
            kind,
            id,
            name: name.to_string(),
            arn: arn.clone(),
            lock_token: crate::ids::new_request_id(),
            body,
            tags,
        };
        let answer = json!({ "Summary": summary(&item) });
        self.write_if(&arn, None, ControlCommand::PutWaf(Box::new(item)))
            .await
            .map_err(|e| match e.kind {
                "WAFOptimisticLockException" => WafError::duplicate(),
                _ => e,
            })?;
        Ok(answer)
    }

    fn get(&self, kind: WafKind, input: &Value) -> Result<Value, WafError> {
        let item = self.find(kind, input)?;
        let mut answer = Map::new();
        answer.insert(names(kind).one.into(), item.body.clone());
        answer.insert("LockToken".into(), json!(item.lock_token));
        Ok(Value::Object(answer))
    }

    async fn update(&self, kind: WafKind, input: &Value) -> Result<Value, WafError> {
        let item = self.find(kind, input)?;
        let token = required(input, "LockToken")?;
        if token != item.lock_token {
            return Err(WafError::optimistic_lock());
        }
        let body = self.validate(
            kind,
            self.body_of(kind, input, &item.name, &item.id, &item.arn),
        )?;
        let next = crate::ids::new_request_id();
        let updated = WafItem {
            body,
            lock_token: next.clone(),
            ..item.clone()
        };
        self.write_if(
            &item.arn,
            Some(&item),
            ControlCommand::PutWaf(Box::new(updated)),
        )
        .await?;
        Ok(json!({ "NextLockToken": next }))
    }

    async fn delete(&self, kind: WafKind, input: &Value) -> Result<Value, WafError> {
        let item = self.find(kind, input)?;
        let token = required(input, "LockToken")?;
        if token != item.lock_token {
            return Err(WafError::optimistic_lock());
        }
        let associated = self
            .m
            .store()
            .list_waf_associations()
            .map_err(WafError::internal)?
            .iter()
            .any(|(_, acl)| *acl == item.arn);
        // A set or group still referenced by an ACL or group stays.
        let quoted = format!("\"{}\"", item.arn);
        let referenced = self
            .items()?
            .iter()
            .any(|i| i.arn != item.arn && i.body.to_string().contains(&quoted));
        if associated || referenced {
            return Err(WafError::associated());
        }
        self.write_if(
            &item.arn,
            Some(&item),
            ControlCommand::DeleteWaf(item.arn.clone()),
        )
        .await?;
        Ok(json!({}))
    }

    fn list(&self, kind: WafKind, input: &Value) -> Result<Value, WafError> {
        check_scope(input)?;
        let limit = match input.get("Limit") {
            None => MAX_LIMIT,
            Some(v) => match v.as_u64() {
                Some(n @ 1..=100) => n as usize,
                _ => return Err(WafError::invalid("LIMIT", &v.to_string(), "1 to 100")),
            },
        };
        let mut items: Vec<WafItem> = self
            .items()?
            .into_iter()
            .filter(|i| i.kind == kind)
            .collect();
        items.sort_by(|a, b| (&a.name, &a.arn).cmp(&(&b.name, &b.arn)));
        let start = match text(input, "NextMarker") {
            None => 0,
            Some(marker) => items.iter().position(|i| i.arn == marker).ok_or_else(|| {
                WafError::invalid("NEXT_MARKER", marker, "not a marker this list gave")
            })?,
        };
        let page: Vec<Value> = items.iter().skip(start).take(limit).map(summary).collect();
        let mut answer = Map::new();
        answer.insert(names(kind).many.into(), Value::Array(page));
        if let Some(next) = items.get(start + limit) {
            answer.insert("NextMarker".into(), json!(next.arn));
        }
        Ok(Value::Object(answer))
    }

    fn check_capacity(&self, input: &Value) -> Result<Value, WafError> {
        check_scope(input)?;
        let probe = json!({
            "Name": "capacity", "DefaultAction": {"Allow": {}},
            "VisibilityConfig": {"SampledRequestsEnabled": false,
                "CloudWatchMetricsEnabled": false, "MetricName": "capacity"},
            "Rules": input.get("Rules").cloned().unwrap_or(json!([])),
        });
        let (acl, _) = apigw_waf::parse_web_acl(&probe.to_string())
            .map_err(|e| WafError::invalid("RULE", "-", e.to_string()))?;
        let (resources, _) = acls::resources(&self.items()?);
        let mut opts = acls::options();
        opts.max_capacity = u64::MAX;
        let compiled =
            apigw_waf::compile(&acl, &resources, &opts).map_err(|e| WafError::from_compile(&e))?;
        Ok(json!({ "Capacity": compiled.capacity() }))
    }

    /// The stage a `ResourceArn` names, if it exists.
    fn stage_of<'v>(&self, input: &'v Value) -> Result<&'v str, WafError> {
        let arn = required(input, "ResourceArn")?;
        let Some((api, stage)) = parse_stage_arn(arn) else {
            return Err(WafError::invalid(
                "RESOURCE_ARN",
                arn,
                "not an API Gateway stage ARN (arn:aws:apigateway:{region}::/restapis/{api}/stages/{stage})",
            ));
        };
        if !arn.starts_with(&format!("arn:aws:apigateway:{}::", self.region)) {
            return Err(WafError::invalid(
                "RESOURCE_ARN",
                arn,
                "the stage is in another region",
            ));
        }
        match self.m.store().get_stage(api, stage) {
            Ok(Some(_)) => Ok(arn),
            Ok(None) => Err(WafError::nonexistent()),
            Err(e) => Err(WafError::internal(e)),
        }
    }

    async fn associate(&self, input: &Value) -> Result<Value, WafError> {
        let acl = required(input, "WebACLArn")?;
        let resource = self.stage_of(input)?;
        let found = self
            .items()?
            .into_iter()
            .any(|i| i.kind == WafKind::WebAcl && i.arn == acl);
        if !found {
            return Err(WafError::nonexistent());
        }
        self.write(ControlCommand::PutWafAssociation(
            resource.to_string(),
            Some(acl.to_string()),
        ))
        .await?;
        Ok(json!({}))
    }

    async fn disassociate(&self, input: &Value) -> Result<Value, WafError> {
        let resource = required(input, "ResourceArn")?;
        if parse_stage_arn(resource).is_none() {
            return Err(WafError::invalid(
                "RESOURCE_ARN",
                resource,
                "not an API Gateway stage ARN",
            ));
        }
        self.write(ControlCommand::PutWafAssociation(
            resource.to_string(),
            None,
        ))
        .await?;
        Ok(json!({}))
    }

    fn acl_for_resource(&self, input: &Value) -> Result<Value, WafError> {
        let resource = self.stage_of(input)?;
        let acl = self
            .m
            .store()
            .list_waf_associations()
            .map_err(WafError::internal)?
            .into_iter()
            .find(|(r, _)| r == resource)
            .map(|(_, acl)| acl);
        let item = match acl {
            Some(acl) => self.m.store().get_waf(&acl).map_err(WafError::internal)?,
            None => None,
        };
        Ok(match item {
            Some(item) => json!({ "WebACL": item.body }),
            None => json!({}),
        })
    }

    fn resources_for_acl(&self, input: &Value) -> Result<Value, WafError> {
        let acl = required(input, "WebACLArn")?;
        if let Some(t) = text(input, "ResourceType").filter(|t| *t != "API_GATEWAY") {
            return Err(WafError::invalid(
                "RESOURCE_TYPE",
                t,
                "only API_GATEWAY resources are served",
            ));
        }
        let arns: Vec<String> = self
            .m
            .store()
            .list_waf_associations()
            .map_err(WafError::internal)?
            .into_iter()
            .filter(|(_, a)| a == acl)
            .map(|(r, _)| r)
            .collect();
        Ok(json!({ "ResourceArns": arns }))
    }
}
