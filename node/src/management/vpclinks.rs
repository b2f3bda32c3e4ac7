//! VPC links (`CreateVpcLink`, `GetVpcLink(s)`, `UpdateVpcLink`,
//! `DeleteVpcLink`), kept with the account's settings (they belong to the
//! account, not to an API). apigw makes a link at once: the create answer
//! says `PENDING` as AWS's does, reads after it `AVAILABLE`. Integrations
//! through a VPC link are not served yet (a deployment naming one says so).

use http::StatusCode;
use serde_json::{json, Value};

use super::operations::Op;
use super::patch::{self, PatchOp};
use super::{bad_request, internal, not_found, ApiError, Management, Reply, Request};
use crate::control::ControlCommand;
use crate::model::account::VpcLink;
use crate::model::command::Record;

/// What AWS answers for an id the account has no link with.
const NO_SUCH_LINK: &str = "Invalid Vpc Link identifier specified";

impl Management {
    /// Serves the VPC link operations.
    pub(super) async fn vpc_links(&self, req: &Request<'_>) -> Reply {
        let id = req.param("vpclink_id");
        match req.op() {
            Op::CreateVpcLink => self.create_vpc_link(req.body).await,
            Op::GetVpcLinks => {
                let links = self.store.get_account().map_err(internal)?.vpc_links;
                let items = links
                    .iter()
                    .map(|(id, l)| {
                        let tags = self.link_tags(id)?;
                        let mut out = link_json(id, l, "AVAILABLE");
                        if !tags.is_empty() {
                            out["tags"] = json!(tags);
                        }
                        Ok(out)
                    })
                    .collect::<Result<_, ApiError>>()?;
                Ok((StatusCode::OK, req.page(items)?))
            }
            Op::GetVpcLink => {
                let links = self.store.get_account().map_err(internal)?.vpc_links;
                let link = links.get(id).ok_or_else(|| not_found(NO_SUCH_LINK))?;
                let mut out = link_json(id, link, "AVAILABLE");
                out["tags"] = json!(self.link_tags(id)?);
                Ok((StatusCode::OK, out))
            }
            Op::UpdateVpcLink => self.update_vpc_link(id, req.body).await,
            Op::DeleteVpcLink => {
                self.edit_links(|links| {
                    links.remove(id).ok_or_else(|| not_found(NO_SUCH_LINK))?;
                    Ok(json!({}))
                })
                .await?;
                self.write(ControlCommand::PutTags(
                    format!("/vpclinks/{id}"),
                    Default::default(),
                ))
                .await?;
                Ok((StatusCode::ACCEPTED, json!({})))
            }
            other => Err(req.not_served(other)),
        }
    }

    async fn create_vpc_link(&self, body: &[u8]) -> Reply {
        let input: Value = serde_json::from_slice(body)
            .map_err(|e| bad_request(format!("the body is not JSON: {e}")))?;
        let link = new_link(&input)?;
        let tags = super::tags::tags_of(input.get("tags"))?;
        let id = crate::ids::new_deployment_id();
        let mut out = link_json(&id, &link, "PENDING");
        let key = id.clone();
        self.edit_links(move |links| {
            links.insert(key.clone(), link.clone());
            Ok(json!({}))
        })
        .await?;
        self.tag_new(format!("/vpclinks/{id}"), input.get("tags"))
            .await?;
        if !tags.is_empty() {
            out["tags"] = json!(tags);
        }
        Ok((StatusCode::ACCEPTED, out))
    }

    async fn update_vpc_link(&self, id: &str, body: &[u8]) -> Reply {
        let ops = patch::operations(body)?;
        let out = self
            .edit_links(|links| {
                let link = links.get_mut(id).ok_or_else(|| not_found(NO_SUCH_LINK))?;
                for op in &ops {
                    patch_link(link, op)?;
                }
                Ok(link_json(id, link, "AVAILABLE"))
            })
            .await?;
        let mut out = out;
        out["tags"] = json!(self.link_tags(id)?);
        Ok((StatusCode::OK, out))
    }

    /// Read-modify-write of the account's links.
    async fn edit_links(
        &self,
        change: impl Fn(&mut std::collections::BTreeMap<String, VpcLink>) -> Result<Value, ApiError>,
    ) -> Result<Value, ApiError> {
        self.edit_record(Record::Account, || {
            let mut settings = self.store.get_account().map_err(internal)?;
            let out = change(&mut settings.vpc_links)?;
            Ok((ControlCommand::PutAccount(Box::new(settings)), out))
        })
        .await
    }
}

/// A link from `CreateVpcLink`'s input, checked as AWS checks it.
fn new_link(input: &Value) -> Result<VpcLink, ApiError> {
    let name = input.get("name").and_then(Value::as_str).unwrap_or("");
    if name.is_empty() {
        return Err(bad_request("Name cannot be empty"));
    }
    crate::names::free_text("name", name, 255).map_err(|e| bad_request(e.0))?;
    let arns: Vec<String> = input
        .get("targetArns")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    if let Some(bad) = arns.iter().find(|a| !well_formed_arn(a)) {
        return Err(bad_request(format!(
            "Invalid ARN. ARN is not well formed {bad}"
        )));
    }
    Ok(VpcLink {
        name: name.to_string(),
        description: input
            .get("description")
            .and_then(Value::as_str)
            .filter(|d| !d.is_empty())
            .map(str::to_string),
        target_arns: arns,
    })
}

/// `arn:partition:service:region:account:resource`.
fn well_formed_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    parts.len() == 6 && parts[0] == "arn" && !parts[2].is_empty() && !parts[5].is_empty()
}

/// `UpdateVpcLink`: `replace` of `/name` and `/description`.
fn patch_link(link: &mut VpcLink, op: &PatchOp) -> Result<(), ApiError> {
    match (op.op.as_str(), op.path.as_str()) {
        ("replace", "/name") => {
            let name = op.value()?;
            if name.is_empty() {
                return Err(bad_request("Name cannot be empty"));
            }
            crate::names::free_text("name", name, 255).map_err(|e| bad_request(e.0))?;
            link.name = name.to_string();
        }
        ("replace", "/description") => {
            link.description = op.value.clone().filter(|d| !d.is_empty())
        }
        ("replace", _) => return Err(op.path_not_one_of("/name, /description")),
        _ => return Err(op.not_supported()),
    }
    Ok(())
}

fn link_json(id: &str, link: &VpcLink, status: &str) -> Value {
    let mut out = json!({
        "id": id,
        "name": link.name,
        "targetArns": link.target_arns,
        "status": status,
    });
    if status == "AVAILABLE" {
        out["statusMessage"] = json!("Your vpc link is ready for use");
    }
    if let Some(d) = &link.description {
        out["description"] = json!(d);
    }
    out
}

impl Management {
    /// The tags on link `id` (AWS's single-link answers carry them, empty
    /// or not).
    fn link_tags(&self, id: &str) -> Result<std::collections::BTreeMap<String, String>, ApiError> {
        self.store
            .get_tags(&format!("/vpclinks/{id}"))
            .map_err(internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_need_a_name_and_well_formed_arns() {
        let e = new_link(&json!({"name": "", "targetArns": []})).err();
        assert_eq!(
            e.map(|e| e.message),
            Some("Name cannot be empty".to_string())
        );
        let e = new_link(&json!({"name": "l", "targetArns": ["invalid-arn"]})).err();
        assert!(e.is_some_and(|e| e.message.ends_with("not well formed invalid-arn")));
        let arn = "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/net/x/1";
        let link = new_link(&json!({"name": "l", "targetArns": [arn]})).expect("link");
        assert_eq!(
            link_json("abc", &link, "PENDING")["targetArns"],
            json!([arn])
        );
    }
}
