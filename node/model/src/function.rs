//! Functions as the model declares them: local (a command run as child
//! processes speaking the Lambda Runtime API) or remote (the Lambda Invoke
//! API), and how a Lambda integration's URI names one. The control plane
//! stores and replicates these; the functions registry runs them.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// A function's declaration, as the control plane stores and replicates it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FunctionDecl {
    pub name: String,
    pub spec: FunctionSpec,
    /// Declared by a config file (and removed when the file drops it).
    #[serde(default)]
    pub from_config: bool,
}

/// Local or remote.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum FunctionSpec {
    Local(LocalSpec),
    Remote(RemoteSpec),
}

/// How a local function is run.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LocalSpec {
    pub name: String,
    /// Program and arguments (`["python3", "-m", "awslambdaric", "app.handler"]`).
    pub command: Vec<String>,
    /// `_HANDLER`, for runtimes that read it.
    pub handler: Option<String>,
    pub cwd: Option<PathBuf>,
    pub env: BTreeMap<String, String>,
    pub memory_mb: u32,
    /// Lambda's function timeout (default 3 s).
    pub timeout: Duration,
    pub max_concurrency: usize,
    pub min_warm: usize,
    pub region: String,
    /// How long a new instance may take to ask for its first event.
    pub init_timeout: Duration,
}

/// Where and how a remote function is called.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RemoteSpec {
    /// The name the gateway knows it by.
    pub name: String,
    /// The name (or ARN) at the endpoint.
    pub function_name: String,
    /// `https://lambda.us-east-1.amazonaws.com`, `http://127.0.0.1:3001`...
    pub endpoint: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

/// The function name in a Lambda integration URI:
/// `arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/arn:aws:lambda:{region}:{account}:function:{name}[:{qualifier}]/invocations`,
/// or a bare function ARN or name.
pub fn function_name_from_uri(uri: &str) -> Option<&str> {
    let arn = match uri.split_once("/functions/") {
        Some((_, rest)) => rest.strip_suffix("/invocations").unwrap_or(rest),
        None => uri,
    };
    let name = match arn.split_once(":function:") {
        Some((_, rest)) => rest.split(':').next().unwrap_or(rest),
        None if arn.starts_with("arn:") => return None,
        None => arn,
    };
    (!name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    .then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_integration_uris() {
        let uri = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:hello/invocations";
        assert_eq!(function_name_from_uri(uri), Some("hello"));
        let qualified = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:1:function:my-fn:live/invocations";
        assert_eq!(function_name_from_uri(qualified), Some("my-fn"));
        assert_eq!(
            function_name_from_uri("arn:aws:lambda:us-east-1:1:function:x"),
            Some("x")
        );
        assert_eq!(function_name_from_uri("plain_name"), Some("plain_name"));
        assert_eq!(
            function_name_from_uri("arn:aws:apigateway:us-east-1:s3:path/bucket/key"),
            None
        );
        assert_eq!(function_name_from_uri("arn:aws:apigateway:r:lambda:path/2015-03-31/functions/arn:aws:lambda:r:1:function:/invocations"), None);
    }
}
