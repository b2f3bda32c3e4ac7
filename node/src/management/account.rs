//! The account (`GetAccount`, `UpdateAccount` on `/account`): the CloudWatch
//! role and features a user set, kept in the store, and the account
//! throttle this node admits with (its configuration's, read-only here as
//! on AWS, where only a quota request changes it).

use http::StatusCode;
use serde_json::{json, Value};

use super::operations::Op;
use super::patch::{self, PatchOp};
use super::{bad_request, internal, ApiError, Management, Reply, Request};
use crate::control::ControlCommand;
use crate::model::account::AccountSettings;
use crate::model::command::Record;

/// The API key version AWS reports for accounts made since 2016.
const API_KEY_VERSION: &str = "4";

impl Management {
    /// Serves `GetAccount` and `UpdateAccount`.
    pub(super) async fn account(&self, req: &Request<'_>) -> Reply {
        match req.op() {
            Op::GetAccount => {
                let settings = self.store.get_account().map_err(internal)?;
                Ok((StatusCode::OK, self.account_json(&settings)))
            }
            Op::UpdateAccount => {
                let ops = patch::operations(req.body)?;
                let settings = self
                    .edit_record(Record::Account, || {
                        let mut settings = self.store.get_account().map_err(internal)?;
                        for op in &ops {
                            patch_account(&mut settings, op)?;
                        }
                        let command = ControlCommand::PutAccount(Box::new(settings.clone()));
                        Ok((command, settings))
                    })
                    .await?;
                Ok((StatusCode::OK, self.account_json(&settings)))
            }
            other => Err(req.not_served(other)),
        }
    }

    /// An Account in AWS's shape.
    fn account_json(&self, settings: &AccountSettings) -> Value {
        let mut out = json!({
            "throttleSettings": {
                "burstLimit": self.account_throttle.burst,
                "rateLimit": self.account_throttle.per_second,
            },
            "features": settings.features,
            "apiKeyVersion": API_KEY_VERSION,
        });
        if let Some(arn) = &settings.cloudwatch_role_arn {
            out["cloudwatchRoleArn"] = json!(arn);
        }
        out
    }
}

/// One `UpdateAccount` operation: `/cloudwatchRoleArn` (replace; empty
/// clears it) and `/features` (add or remove `UsagePlans`).
fn patch_account(settings: &mut AccountSettings, op: &PatchOp) -> Result<(), ApiError> {
    match (op.op.as_str(), op.path.as_str()) {
        ("replace", "/cloudwatchRoleArn") => {
            let arn = op.value.clone().unwrap_or_default();
            if !arn.is_empty() && !arn.starts_with("arn:") {
                return Err(bad_request(format!(
                    "The role ARN is not well formed: {arn}"
                )));
            }
            settings.cloudwatch_role_arn = Some(arn).filter(|a| !a.is_empty());
        }
        ("add", "/features") => {
            let feature = op.value()?.to_string();
            if feature != "UsagePlans" {
                return Err(bad_request(format!("Invalid feature {feature}")));
            }
            if !settings.features.contains(&feature) {
                settings.features.push(feature);
            }
        }
        ("remove", "/features") => {
            let feature = op.value()?;
            settings.features.retain(|f| f != feature);
        }
        _ => return Err(op.unsupported()),
    }
    Ok(())
}
