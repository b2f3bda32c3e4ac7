//! Custom domain names and base path mappings (`CreateDomainName`,
//! `CreateBasePathMapping`, ...): kept as state, replicated like the rest,
//! served by the data plane (`crate::domains`). An uploaded certificate is
//! checked before it is stored; its key is never answered.

use http::{Method as Verb, StatusCode};
use serde_json::{json, Value};

use super::patch::{self, segments};
use super::{bad_request, err, internal, not_found, ApiError, Management, Reply};
use crate::control::ControlCommand;
use crate::model::{
    BasePathMapping, DomainName, EndpointType, MutualTls, SecretPem, UploadedCertificate,
};

/// The key AWS uses for the empty base path.
const NO_BASE_PATH: &str = "(none)";

impl Management {
    /// Answers `verb` on `/domainnames/{rest...}`.
    pub(super) async fn domain_call(&self, verb: &Verb, rest: &[&str], body: &[u8]) -> Reply {
        let input: Value = if body.is_empty() {
            json!({})
        } else {
            serde_json::from_slice(body)
                .map_err(|e| bad_request(format!("the body is not JSON: {e}")))?
        };
        match (verb, rest) {
            (&Verb::GET, []) => {
                let items: Vec<Value> = self
                    .store
                    .list_domains()
                    .map_err(internal)?
                    .iter()
                    .map(|d| self.domain_json(d))
                    .collect::<Result<_, _>>()?;
                Ok((StatusCode::OK, json!({ "item": items })))
            }
            (&Verb::POST, []) => {
                let domain = new_domain(&input)?;
                if self
                    .store
                    .get_domain(&domain.domain_name)
                    .map_err(internal)?
                    .is_some()
                {
                    return Err(err(
                        StatusCode::CONFLICT,
                        "ConflictException",
                        "The domain name you provided already exists.",
                    ));
                }
                super::tags::tags_of(input.get("tags"))?;
                self.write(ControlCommand::PutDomain(Box::new(domain.clone())))
                    .await?;
                self.tag_new(
                    format!("/domainnames/{}", domain.domain_name),
                    input.get("tags"),
                )
                .await?;
                Ok((StatusCode::CREATED, self.domain_json(&domain)?))
            }
            (verb, [name, tail @ ..]) => {
                let mut domain = self
                    .store
                    .get_domain(name)
                    .map_err(internal)?
                    .ok_or_else(|| not_found("Invalid domain name identifier specified"))?;
                let answer = match (verb, tail) {
                    (&Verb::GET, []) => return Ok((StatusCode::OK, self.domain_json(&domain)?)),
                    (&Verb::DELETE, []) => {
                        self.write(ControlCommand::DeleteDomain(name.to_string()))
                            .await?;
                        return Ok((StatusCode::ACCEPTED, json!({})));
                    }
                    (&Verb::PATCH, []) => {
                        update_domain(&mut domain, body)?;
                        (StatusCode::OK, None)
                    }
                    (verb, ["basepathmappings", base @ ..]) => {
                        self.mapping_call(&mut domain, verb, base, &input, body)?
                    }
                    _ => return Err(not_found("Invalid domain name operation")),
                };
                if answer.0 != StatusCode::OK || verb != Verb::GET {
                    self.write(ControlCommand::PutDomain(Box::new(domain.clone())))
                        .await?;
                }
                let body = match answer.1 {
                    Some(body) => body,
                    None => self.domain_json(&domain)?,
                };
                Ok((answer.0, body))
            }
            _ => Err(not_found("Invalid domain name operation")),
        }
    }

    /// A base path mapping call, applied to `domain` (the caller stores it
    /// unless it was a read); the answer's body, `None` for the domain.
    fn mapping_call(
        &self,
        domain: &mut DomainName,
        verb: &Verb,
        base: &[&str],
        input: &Value,
        body: &[u8],
    ) -> Result<(StatusCode, Option<Value>), ApiError> {
        let missing = || not_found("Invalid base path mapping identifier specified");
        match (verb, base) {
            (&Verb::GET, []) => {
                let items: Vec<Value> = domain
                    .mappings
                    .iter()
                    .map(|(b, m)| mapping_json(b, m))
                    .collect();
                Ok((StatusCode::OK, Some(json!({ "item": items }))))
            }
            (&Verb::POST, []) => {
                let base = match input.get("basePath").and_then(Value::as_str) {
                    None | Some("") => NO_BASE_PATH.to_string(),
                    Some(b) => check_base_path(b)?,
                };
                if domain.mappings.contains_key(&base) {
                    return Err(err(
                        StatusCode::CONFLICT,
                        "ConflictException",
                        "Base path already exists for this domain name",
                    ));
                }
                let mapping = self.mapping_from(
                    input.get("restApiId").and_then(Value::as_str),
                    input.get("stage").and_then(Value::as_str),
                )?;
                let out = mapping_json(&base, &mapping);
                domain.mappings.insert(base, mapping);
                Ok((StatusCode::CREATED, Some(out)))
            }
            (verb, [base]) => {
                let current = domain.mappings.get(*base).cloned().ok_or_else(missing)?;
                match *verb {
                    Verb::GET => Ok((StatusCode::OK, Some(mapping_json(base, &current)))),
                    Verb::DELETE => {
                        domain.mappings.remove(*base);
                        Ok((StatusCode::ACCEPTED, Some(json!({}))))
                    }
                    Verb::PATCH => {
                        let (mut api, mut stage) = (current.rest_api_id, current.stage);
                        let mut new_base = base.to_string();
                        for op in patch::operations(body)? {
                            match (op.sets(), segments(&op.path).as_slice()) {
                                (true, [f]) if f == "restapiId" => api = op.value()?.to_string(),
                                (true, [f]) if f == "stage" => {
                                    stage = Some(op.value()?.to_string())
                                }
                                (true, [f]) if f == "basePath" => {
                                    new_base = check_base_path(op.value()?)?
                                }
                                _ => return Err(op.unsupported()),
                            }
                        }
                        let mapping = self.mapping_from(Some(&api), stage.as_deref())?;
                        domain.mappings.remove(*base);
                        let out = mapping_json(&new_base, &mapping);
                        domain.mappings.insert(new_base, mapping);
                        Ok((StatusCode::OK, Some(out)))
                    }
                    _ => Err(missing()),
                }
            }
            _ => Err(missing()),
        }
    }

    /// A mapping to an existing API (and stage, when one is named).
    fn mapping_from(
        &self,
        api: Option<&str>,
        stage: Option<&str>,
    ) -> Result<BasePathMapping, ApiError> {
        let api = api.ok_or_else(|| bad_request("restApiId is required"))?;
        self.api(api)
            .map_err(|_| bad_request(format!("Invalid REST API identifier specified: {api}")))?;
        if let Some(stage) = stage {
            self.stage(api, stage)
                .map_err(|_| bad_request(format!("Invalid stage identifier specified: {stage}")))?;
        }
        Ok(BasePathMapping {
            rest_api_id: api.to_string(),
            stage: stage.map(str::to_string),
        })
    }
}

fn new_domain(input: &Value) -> Result<DomainName, ApiError> {
    let text = |key: &str| input.get(key).and_then(Value::as_str).map(str::to_string);
    let name = text("domainName").ok_or_else(|| bad_request("domainName is required"))?;
    crate::names::domain_name(&name).map_err(|e| bad_request(e.to_string()))?;
    let endpoint_type = match input
        .pointer("/endpointConfiguration/types/0")
        .and_then(Value::as_str)
    {
        None | Some("EDGE") => EndpointType::Edge,
        Some("REGIONAL") => EndpointType::Regional,
        Some("PRIVATE") => EndpointType::Private,
        Some(other) => return Err(bad_request(format!("Invalid endpoint type {other}"))),
    };
    let security_policy = text("securityPolicy")
        .map(|p| security_policy(&p))
        .transpose()?;
    let now = crate::store::unix_now();
    let certificate = match (text("certificateBody"), text("certificatePrivateKey")) {
        (Some(body), Some(key)) => Some(UploadedCertificate {
            name: text("certificateName"),
            body,
            private_key: SecretPem(key),
            chain: text("certificateChain"),
            uploaded: now,
        }),
        (None, None) => None,
        _ => {
            return Err(bad_request(
                "certificateBody and certificatePrivateKey are needed together",
            ))
        }
    };
    let mutual_tls = input
        .pointer("/mutualTlsAuthentication/truststoreUri")
        .and_then(Value::as_str)
        .map(|uri| MutualTls {
            truststore_uri: uri.to_string(),
            truststore_version: input
                .pointer("/mutualTlsAuthentication/truststoreVersion")
                .and_then(Value::as_str)
                .map(str::to_string),
        });
    let domain = DomainName {
        domain_name: name.to_ascii_lowercase(),
        certificate_arn: text("certificateArn"),
        regional_certificate_arn: text("regionalCertificateArn"),
        regional_certificate_name: text("regionalCertificateName"),
        endpoint_type,
        security_policy,
        created_date: now,
        mappings: Default::default(),
        certificate,
        mutual_tls,
    };
    check_certificate(&domain)?;
    Ok(domain)
}

/// UpdateDomainName's operations on `domain`, then its certificate checked.
fn update_domain(domain: &mut DomainName, body: &[u8]) -> Result<(), ApiError> {
    for op in patch::operations(body)? {
        let value = op.value.clone();
        match (op.sets(), op.path.as_str()) {
            (_, "/certificateArn") => domain.certificate_arn = value,
            (_, "/regionalCertificateArn") => domain.regional_certificate_arn = value,
            (_, "/regionalCertificateName") => domain.regional_certificate_name = value,
            (true, "/securityPolicy") => {
                domain.security_policy = Some(security_policy(op.value()?)?)
            }
            (
                true,
                "/certificateBody"
                | "/certificatePrivateKey"
                | "/certificateChain"
                | "/certificateName",
            ) => replace_certificate_field(domain, &op.path, op.value()?)?,
            (true, "/mutualTlsAuthentication/truststoreUri") => {
                domain.mutual_tls = Some(MutualTls {
                    truststore_uri: op.value()?.to_string(),
                    truststore_version: None,
                })
            }
            (true, "/mutualTlsAuthentication/truststoreVersion") => {
                if let Some(m) = &mut domain.mutual_tls {
                    m.truststore_version = Some(op.value()?.to_string());
                }
            }
            (false, "/mutualTlsAuthentication") => domain.mutual_tls = None,
            _ => return Err(op.unsupported()),
        }
    }
    check_certificate(domain)
}

fn security_policy(p: &str) -> Result<String, ApiError> {
    apigw_tls::SecurityPolicy::parse(p)
        .map(|policy| policy.name().to_string())
        .map_err(|e| bad_request(e.to_string()))
}

/// An uploaded certificate must be one the domain can serve (the key its,
/// the chain a chain, the names covering the domain); the message says why
/// not and never quotes the key.
fn check_certificate(domain: &DomainName) -> Result<(), ApiError> {
    let Some(c) = &domain.certificate else {
        return Ok(());
    };
    let input = apigw_tls::CertificateInput {
        body: c.body.clone(),
        private_key: c.private_key.0.clone().into(),
        chain: c.chain.clone(),
    };
    apigw_tls::ServerCertificate::validate(
        &domain.domain_name,
        &input,
        std::time::SystemTime::now(),
    )
    .map(drop)
    .map_err(|e| bad_request(e.to_string()))
}

/// UpdateDomainName on an uploaded certificate's fields (checked together
/// once every operation is applied).
fn replace_certificate_field(
    domain: &mut DomainName,
    path: &str,
    value: &str,
) -> Result<(), ApiError> {
    let c = domain
        .certificate
        .get_or_insert_with(|| UploadedCertificate {
            name: None,
            body: String::new(),
            private_key: SecretPem(String::new()),
            chain: None,
            uploaded: 0,
        });
    match path {
        "/certificateBody" => c.body = value.to_string(),
        "/certificatePrivateKey" => c.private_key = SecretPem(value.to_string()),
        "/certificateChain" => c.chain = Some(value.to_string()).filter(|v| !v.is_empty()),
        _ => c.name = Some(value.to_string()),
    }
    c.uploaded = crate::store::unix_now();
    Ok(())
}

fn check_base_path(b: &str) -> Result<String, ApiError> {
    let b = b.trim_matches('/');
    if b.is_empty() {
        return Ok(NO_BASE_PATH.to_string());
    }
    crate::names::base_path(b).map_err(|e| bad_request(e.to_string()))?;
    Ok(b.to_string())
}

impl Management {
    /// A domain in `GetDomainName`'s shape, with its tags.
    fn domain_json(&self, d: &DomainName) -> Result<Value, ApiError> {
        let tags = self
            .store
            .get_tags(&format!("/domainnames/{}", d.domain_name))
            .map_err(internal)?;
        let mut out = domain_shape(d);
        out["tags"] = json!(tags);
        Ok(out)
    }
}

fn domain_shape(d: &DomainName) -> Value {
    let endpoint = serde_json::to_value(d.endpoint_type).unwrap_or(json!("EDGE"));
    let mut out = json!({
        "domainName": d.domain_name,
        "domainNameStatus": "AVAILABLE",
        "endpointConfiguration": {"types": [endpoint]},
        "regionalDomainName": d.domain_name,
        "distributionDomainName": d.domain_name,
    });
    for (key, v) in [
        ("certificateArn", &d.certificate_arn),
        ("regionalCertificateArn", &d.regional_certificate_arn),
        ("regionalCertificateName", &d.regional_certificate_name),
        ("securityPolicy", &d.security_policy),
    ] {
        if let Some(v) = v {
            out[key] = json!(v);
        }
    }
    // The private key is never answered; the body and chain neither, as AWS.
    if let Some(c) = &d.certificate {
        out["certificateUploadDate"] = json!(c.uploaded);
        if let Some(name) = &c.name {
            out["certificateName"] = json!(name);
        }
    }
    if let Some(m) = &d.mutual_tls {
        let mut mtls = json!({"truststoreUri": m.truststore_uri});
        if let Some(v) = &m.truststore_version {
            mtls["truststoreVersion"] = json!(v);
        }
        out["mutualTlsAuthentication"] = mtls;
    }
    out
}

fn mapping_json(base: &str, m: &BasePathMapping) -> Value {
    let mut out = json!({"basePath": base, "restApiId": m.rest_api_id});
    if let Some(s) = &m.stage {
        out["stage"] = json!(s);
    }
    out
}
