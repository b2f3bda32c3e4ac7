//! IAM users from the config (`iam_users`, `admin_users`): their keys for
//! SigV4, and their policies read (inline, JSON text or a file) and parsed
//! into the identities the library judges requests by.

use std::path::Path;

use anyhow::{bail, Context, Result};
use apigw::dataplane::iam::IamUser;
use apigw::policy::{Grant, Identities, Identity, Policy};

use crate::config::{IamUserSection, Loaded};

/// The keys and identities of a list of users; `without_policies` is the
/// grant of a user configured without any.
pub fn load(
    loaded: &Loaded,
    field: &str,
    users: &[IamUserSection],
    without_policies: Grant,
) -> Result<(Vec<IamUser>, Identities)> {
    let mut keys = Vec::new();
    let mut identities = Vec::new();
    for (i, user) in users.iter().enumerate() {
        let grant = match &user.policies {
            None => without_policies.clone(),
            Some(documents) => Grant::Policies(
                documents
                    .iter()
                    .enumerate()
                    .map(|(j, doc)| {
                        policy(loaded, doc)
                            .with_context(|| format!("at `{field}[{i}].policies[{j}]`"))
                    })
                    .collect::<Result<_>>()?,
            ),
        };
        keys.push(IamUser {
            name: user.name.clone(),
            access_key_id: user.access_key_id.clone(),
            secret_access_key: user.secret_access_key.clone(),
        });
        let identity = Identity {
            name: user.name.clone(),
            tags: user.tags.clone().into_iter().collect(),
            grant,
        };
        identities.push((user.access_key_id.clone(), identity));
    }
    Ok((keys, Identities::new(identities)))
}

/// One policy: a mapping inline, JSON text, or the path of a JSON or YAML file.
fn policy(loaded: &Loaded, doc: &apigw::model::yaml::Value) -> Result<Policy> {
    let value: serde_json::Value = match doc {
        apigw::model::yaml::Value::String(text) if text.trim_start().starts_with('{') => {
            serde_json::from_str(text).context("the policy is not JSON")?
        }
        apigw::model::yaml::Value::String(file) => read(&loaded.resolve(Path::new(file)))?,
        apigw::model::yaml::Value::Mapping(_) => {
            serde_json::to_value(doc).context("the policy cannot be read as JSON")?
        }
        _ => bail!("a policy is a document, JSON text or a file path"),
    };
    Policy::parse(&value).map_err(|e| anyhow::anyhow!(e))
}

fn read(path: &Path) -> Result<serde_json::Value> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the policy file {}", path.display()))?;
    let yaml: apigw::model::yaml::Value = apigw::model::yaml::from_str(&text)
        .with_context(|| format!("{} is not JSON or YAML", path.display()))?;
    serde_json::to_value(yaml).with_context(|| format!("{} is not a policy", path.display()))
}
