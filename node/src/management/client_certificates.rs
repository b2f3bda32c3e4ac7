//! Client certificates (`GenerateClientCertificate`,
//! `GetClientCertificate(s)`, `UpdateClientCertificate`,
//! `DeleteClientCertificate`), kept with the account's settings as AWS keeps
//! them per account. Each is a real self-signed X.509 certificate (ECDSA
//! P-256, valid 365 days) made here; its private key stays in the store and
//! is never answered or logged. A stage that names one
//! (`clientCertificateId`) presents it to its HTTP and HTTP_PROXY backends
//! (`outbound::ClientIdentity`). Tags live in the tag table under
//! `/clientcertificates/{id}`, as on usage plans.

use std::collections::BTreeMap;

use http::StatusCode;
use serde_json::{json, Value};

use super::operations::Op;
use super::patch::{self, PatchOp};
use super::{bad_request, internal, not_found, ApiError, Management, Reply, Request};
use crate::control::ControlCommand;
use crate::model::account::ClientCertificate;
use crate::model::command::Record;

/// What AWS answers for an id the account has no certificate with.
const NO_SUCH_CERTIFICATE: &str = "Invalid Client Certificate identifier specified";

/// How long a generated certificate is valid, as AWS's are.
const VALIDITY_DAYS: u64 = 365;

impl Management {
    /// Finds certificate `id` as an operation on it does: AWS's 404 when
    /// the account has none.
    pub(super) fn client_certificate_found(&self, id: &str) -> Result<(), ApiError> {
        let account = self.store.get_account().map_err(internal)?;
        if account.client_certificates.contains_key(id) {
            Ok(())
        } else {
            Err(not_found(NO_SUCH_CERTIFICATE))
        }
    }

    /// Serves the client certificate operations.
    pub(super) async fn client_certificates(&self, req: &Request<'_>) -> Reply {
        let id = req.param("clientcertificate_id");
        match req.op() {
            Op::GenerateClientCertificate => self.generate_certificate(req.body).await,
            Op::GetClientCertificates => {
                let certs = self
                    .store
                    .get_account()
                    .map_err(internal)?
                    .client_certificates;
                let items = certs
                    .iter()
                    .map(|(id, c)| self.certificate_answer(id, c))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((StatusCode::OK, req.page(items)?))
            }
            Op::GetClientCertificate => {
                let certs = self
                    .store
                    .get_account()
                    .map_err(internal)?
                    .client_certificates;
                let cert = certs
                    .get(id)
                    .ok_or_else(|| not_found(NO_SUCH_CERTIFICATE))?;
                Ok((StatusCode::OK, self.certificate_answer(id, cert)?))
            }
            Op::UpdateClientCertificate => self.update_certificate(id, req.body).await,
            Op::DeleteClientCertificate => {
                self.edit_certificates(|certs| {
                    certs
                        .remove(id)
                        .ok_or_else(|| not_found(NO_SUCH_CERTIFICATE))?;
                    Ok(())
                })
                .await?;
                self.write(ControlCommand::PutTags(
                    format!("/clientcertificates/{id}"),
                    BTreeMap::new(),
                ))
                .await?;
                Ok((StatusCode::ACCEPTED, json!({})))
            }
            other => Err(req.not_served(other)),
        }
    }

    /// Refuses a `clientCertificateId` the account does not have.
    pub(super) fn client_certificate_exists(&self, id: &str) -> Result<(), ApiError> {
        let certs = self
            .store
            .get_account()
            .map_err(internal)?
            .client_certificates;
        match certs.contains_key(id) {
            true => Ok(()),
            false => Err(bad_request(NO_SUCH_CERTIFICATE)),
        }
    }

    async fn generate_certificate(&self, body: &[u8]) -> Reply {
        let input: Value = match body.iter().all(u8::is_ascii_whitespace) {
            true => json!({}),
            false => serde_json::from_slice(body)
                .map_err(|e| bad_request(format!("the body is not JSON: {e}")))?,
        };
        let description = description_of(input.get("description"))?;
        let tags = super::tags::tags_of(input.get("tags"))?;
        let id = crate::ids::new_deployment_id();
        let now = crate::store::unix_now();
        let cert = generate(&id, description, now).map_err(|e| {
            tracing::error!(error = %e, "cannot generate a client certificate");
            internal("cannot generate a client certificate")
        })?;
        let stored = cert.clone();
        let key = id.clone();
        self.edit_certificates(move |certs| {
            certs.insert(key.clone(), stored.clone());
            Ok(())
        })
        .await?;
        if !tags.is_empty() {
            self.tag_new(format!("/clientcertificates/{id}"), input.get("tags"))
                .await?;
        }
        Ok((StatusCode::CREATED, self.certificate_answer(&id, &cert)?))
    }

    async fn update_certificate(&self, id: &str, body: &[u8]) -> Reply {
        let ops = patch::operations(body)?;
        let cert = self
            .edit_certificates(|certs| {
                let cert = certs
                    .get_mut(id)
                    .ok_or_else(|| not_found(NO_SUCH_CERTIFICATE))?;
                for op in &ops {
                    patch_certificate(cert, op)?;
                }
                Ok(cert.clone())
            })
            .await?;
        Ok((StatusCode::OK, self.certificate_answer(id, &cert)?))
    }

    /// Read-modify-write of the account's certificates.
    async fn edit_certificates<T>(
        &self,
        change: impl Fn(&mut BTreeMap<String, ClientCertificate>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        self.edit_record(Record::Account, || {
            let mut settings = self.store.get_account().map_err(internal)?;
            let out = change(&mut settings.client_certificates)?;
            Ok((ControlCommand::PutAccount(Box::new(settings)), out))
        })
        .await
    }

    /// A certificate in AWS's `ClientCertificate` shape, with its tags.
    fn certificate_answer(&self, id: &str, cert: &ClientCertificate) -> Result<Value, ApiError> {
        let mut out = certificate_json(id, cert);
        let tags = self
            .store
            .get_tags(&format!("/clientcertificates/{id}"))
            .map_err(internal)?;
        if !tags.is_empty() {
            out["tags"] = json!(tags);
        }
        Ok(out)
    }
}

/// `description`: a string, empty meaning none.
fn description_of(v: Option<&Value>) -> Result<Option<String>, ApiError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => {
            crate::names::free_text("description", s, 1024).map_err(|e| bad_request(e.0))?;
            Ok(Some(s.clone()))
        }
        Some(_) => Err(bad_request("description must be a string")),
    }
}

/// `UpdateClientCertificate`: `replace /description`, as AWS takes it.
fn patch_certificate(cert: &mut ClientCertificate, op: &PatchOp) -> Result<(), ApiError> {
    match (op.op.as_str(), op.path.as_str()) {
        ("replace", "/description") => {
            cert.description = description_of(op.value.as_ref().map(|v| json!(v)).as_ref())?
        }
        ("replace", _) => return Err(op.path_not_one_of("/description")),
        _ => return Err(op.not_supported()),
    }
    Ok(())
}

/// The answer: every member but the key (never answered).
fn certificate_json(id: &str, cert: &ClientCertificate) -> Value {
    let mut out = json!({
        "clientCertificateId": id,
        "pemEncodedCertificate": cert.pem_encoded_certificate,
        "createdDate": cert.created_date,
        "expirationDate": cert.expiration_date,
    });
    if let Some(d) = &cert.description {
        out["description"] = json!(d);
    }
    out
}

/// A new self-signed certificate for id `id`, valid from `now` for
/// [`VALIDITY_DAYS`], with its key.
fn generate(
    id: &str,
    description: Option<String>,
    now: u64,
) -> Result<ClientCertificate, rcgen::Error> {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, format!("ApiGateway_{id}"));
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let expires = now + VALIDITY_DAYS * 86_400;
    let at = |secs: u64| {
        time::OffsetDateTime::from_unix_timestamp(i64::try_from(secs).unwrap_or(i64::MAX))
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
    };
    params.not_before = at(now);
    params.not_after = at(expires);
    let cert = params.self_signed(&key)?;
    Ok(ClientCertificate {
        description,
        pem_encoded_certificate: cert.pem(),
        private_key_pem: key.serialize_pem(),
        created_date: now,
        expiration_date: expires,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_certificate_is_x509_and_keeps_its_key_out_of_the_answer() {
        let cert = generate("abc123", Some("d".into()), 1_700_000_000).expect("generated");
        assert!(cert
            .pem_encoded_certificate
            .starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(cert.private_key_pem.contains("PRIVATE KEY"));
        assert_eq!(cert.expiration_date - cert.created_date, 365 * 86_400);
        let out = certificate_json("abc123", &cert);
        assert!(!out.to_string().contains("PRIVATE KEY"));
        assert_eq!(out["description"], json!("d"));
        assert!(!format!("{cert:?}").contains("PRIVATE"));
    }
}
