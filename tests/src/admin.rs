//! A client of a node's admin listener that signs every request with SigV4
//! (service `apigateway`, the node's region, its admin credentials), as the
//! listener requires for everything but `/health` and `/ready`.

use anyhow::{Context, Result};
use apigw::sigv4::{signed_request, SigningKey};
use bytes::Bytes;
use http::Method;

use crate::{Client, Reply};

/// Admin credentials: an access key id and its secret.
#[derive(Debug, Clone)]
pub struct AdminKeys {
    pub access_key_id: String,
    pub secret_access_key: String,
}

/// A signing client of one node's admin listener.
#[derive(Clone)]
pub struct AdminClient {
    pub base: String,
    pub keys: AdminKeys,
    pub region: String,
    client: Client,
}

impl AdminClient {
    pub fn new(base: String, keys: AdminKeys, region: String) -> AdminClient {
        AdminClient {
            base,
            keys,
            region,
            client: Client::default(),
        }
    }

    /// A signed GET of `path` (`/metrics`, `/cluster`...).
    pub async fn get(&self, path: &str) -> Result<Reply> {
        self.send(Method::GET, path, Bytes::new()).await
    }

    /// A signed request.
    pub async fn send(&self, method: Method, path: &str, body: impl Into<Bytes>) -> Result<Reply> {
        let body = body.into();
        let url = format!("{}{path}", self.base);
        let request = signed_request(
            method.as_str(),
            &url,
            &[("content-type", "application/json")],
            body.clone(),
            &self.key(),
        )
        .map_err(anyhow::Error::msg)?;
        let headers: Vec<(String, String)> = request
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.to_string(), v.to_str().ok()?.to_string())))
            .collect();
        let refs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.client
            .send(method, &url, &refs, body)
            .await
            .with_context(|| url.clone())
    }

    /// How requests are signed (for tests that sign by hand).
    pub fn key(&self) -> SigningKey<'_> {
        SigningKey {
            access_key_id: &self.keys.access_key_id,
            secret_access_key: &self.keys.secret_access_key,
            session_token: None,
            region: &self.region,
            service: "apigateway",
        }
    }
}
