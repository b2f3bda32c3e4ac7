//! Tags on REST APIs, stages and domain names: `TagResource`, `GetTags`,
//! `UntagResource` (`/tags/{resource_arn}`), and the `tags` a create call
//! carries.

use std::collections::BTreeMap;

use http::StatusCode;
use serde_json::{json, Value};

use super::{bad_request, internal, not_found, ApiError, Management, Reply};
use crate::control::ControlCommand;
use crate::model::command::Record;

impl Management {
    /// `/tags/{arn}`: GET lists, PUT adds (`{"tags": {...}}`), DELETE
    /// removes (`?tagKeys=a&tagKeys=b`).
    pub(super) async fn tags(
        &self,
        method: &http::Method,
        arn: &str,
        body: &[u8],
        query: &[(String, String)],
    ) -> Reply {
        let arn = percent_encoding::percent_decode_str(arn).decode_utf8_lossy();
        let path = arn
            .split_once("::")
            .map(|(_, p)| p)
            .filter(|_| arn.starts_with("arn:aws:apigateway:"))
            .ok_or_else(|| bad_request(format!("Invalid resource ARN {arn}")))?;
        let target: Vec<&str> = path.trim_matches('/').split('/').collect();
        match target.as_slice() {
            ["restapis", api] => drop(self.api(api)?),
            ["restapis", api, "stages", stage] => drop(self.stage(api, stage)?),
            ["domainnames", name] => drop(self.domain(name)?),
            ["apikeys", id] => drop(self.api_key(id)?),
            ["usageplans", id] => drop(self.usage_plan(id)?),
            ["vpclinks", id] => {
                let account = self.store.get_account().map_err(internal)?;
                if !account.vpc_links.contains_key(*id) {
                    return Err(not_found("Invalid Vpc Link identifier specified"));
                }
            }
            ["clientcertificates", id] => self.client_certificate_found(id)?,
            _ => {
                return Err(bad_request(format!(
                    "Tags are kept on REST APIs, stages, domain names, API keys, usage plans, VPC links and client certificates, not {path}"
                )))
            }
        }
        let resource = format!("/{}", target.join("/"));
        if *method == http::Method::GET {
            let tags = self.store.get_tags(&resource).map_err(internal)?;
            return Ok((StatusCode::OK, json!({ "tags": tags })));
        }
        let input: Value = match *method {
            http::Method::PUT => serde_json::from_slice(body)
                .map_err(|e| bad_request(format!("the body is not JSON: {e}")))?,
            http::Method::DELETE => Value::Null,
            _ => return Err(not_found("Invalid tags operation")),
        };
        let added = tags_of(input.get("tags"))?;
        self.edit_record(Record::Tags(resource.clone()), || {
            let mut tags = self.store.get_tags(&resource).map_err(internal)?;
            tags.extend(added.clone());
            if tags.len() > 50 {
                return Err(bad_request("A resource has at most 50 tags"));
            }
            for (_, key) in query.iter().filter(|(k, _)| k == "tagKeys") {
                if *method == http::Method::DELETE {
                    tags.remove(key);
                }
            }
            Ok((ControlCommand::PutTags(resource.clone(), tags), ()))
        })
        .await?;
        Ok((StatusCode::NO_CONTENT, json!({})))
    }
}

/// A `tags` map from a request body (absent: none).
pub(super) fn tags_of(v: Option<&Value>) -> Result<BTreeMap<String, String>, ApiError> {
    match v {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(v) => {
            let tags: BTreeMap<String, String> = serde_json::from_value(v.clone())
                .map_err(|_| bad_request("tags must map names to strings"))?;
            for (key, value) in &tags {
                crate::names::tag_key(key)
                    .and_then(|_| crate::names::tag_value(value))
                    .map_err(|e| bad_request(e.to_string()))?;
            }
            Ok(tags)
        }
    }
}
