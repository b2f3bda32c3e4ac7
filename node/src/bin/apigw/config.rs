//! The YAML configuration file, and how flags and `APIGW_*` variables
//! override it. Only the binary reads files and environment; the library gets
//! the typed values built here.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// The configuration file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConfigFile {
    pub node: NodeSection,
    /// Access to the admin listener beyond the admin credentials.
    pub admin: AdminSection,
    pub limits: LimitsSection,
    /// Limits of WebSocket API connections.
    pub websocket: WebSocketSection,
    pub log: LogSection,
    pub apis: Vec<ApiSection>,
    /// WebSocket APIs, in apigatewayv2's members.
    pub websocket_apis: Vec<WsApiSection>,
    pub functions: Vec<FunctionSection>,
    pub api_keys: Vec<ApiKeySection>,
    pub usage_plans: Vec<UsagePlanSection>,
    /// IAM users whose SigV4 signatures AWS_IAM methods accept.
    pub iam_users: Vec<IamUserSection>,
    /// More management API users beside the node's admin pair, each
    /// scoped by its policies (`apigateway:GET` ... on path ARNs).
    pub admin_users: Vec<IamUserSection>,
    /// Issuers and keys of Cognito user pool (JWT) authorizers.
    pub jwt_authorizers: Vec<JwtAuthorizerSection>,
    /// This node's place in a cluster (absent: a single node).
    pub cluster: Option<ClusterSection>,
    /// Regions and the geo database edge nodes route by.
    pub geo: Option<GeoSection>,
    /// Custom domain names served over TLS with PEM files from here.
    pub domains: Vec<DomainSection>,
    /// TLS material the management API's domains name: certificates by
    /// ARN, `s3://` truststores.
    pub tls: TlsSection,
    /// AWS service integrations: endpoints and credentials (`aws.rs`).
    pub aws: crate::aws::AwsSection,
    /// VPC links' upstream groups by target ARN (`upstreams.rs`).
    pub upstreams: Vec<crate::upstreams::UpstreamSection>,
}

/// A custom domain declared in the config (paths relative to the file).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainSection {
    pub domain_name: String,
    /// The certificate (leaf), PEM.
    pub certificate: PathBuf,
    /// Its private key, PEM (kept out of logs).
    pub private_key: PathBuf,
    /// Intermediates, PEM, the leaf's issuer first.
    #[serde(default)]
    pub chain: Option<PathBuf>,
    /// An AWS security policy name [default: TLS_1_2].
    #[serde(default)]
    pub security_policy: Option<String>,
    /// Mutual TLS: the PEM bundle of trusted client CAs.
    #[serde(default)]
    pub truststore: Option<PathBuf>,
    #[serde(default)]
    pub base_path_mappings: Vec<BasePathSection>,
}

/// A base path mapping of a config domain.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasePathSection {
    /// `v1/orders`; absent or `(none)`: the root.
    #[serde(default)]
    pub base_path: Option<String>,
    /// The API's name (from `apis:`) or id.
    pub api: String,
    /// Absent: the first path segment after the base path names the stage.
    #[serde(default)]
    pub stage: Option<String>,
}

/// Certificates and truststores named by the management API's domains.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsSection {
    /// `certificateArn` / `regionalCertificateArn` -> PEM files.
    pub certificates: BTreeMap<String, CertificateFilesSection>,
    /// `s3://bucket/key` truststore URI -> a local PEM bundle.
    pub truststores: BTreeMap<String, PathBuf>,
}

/// A certificate's PEM files.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateFilesSection {
    pub certificate: PathBuf,
    pub private_key: PathBuf,
    #[serde(default)]
    pub chain: Option<PathBuf>,
}

/// The admin listener's access: every route but `/health` and `/ready`
/// needs a SigV4 signature with the admin credentials.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminSection {
    /// A bearer token `GET /metrics` also accepts
    /// (`Authorization: Bearer <token>`), for Prometheus.
    pub metrics_token: Option<String>,
}

impl std::fmt::Debug for AdminSection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminSection")
            .field(
                "metrics_token",
                &self.metrics_token.as_ref().map(|_| "<set>"),
            )
            .finish()
    }
}

/// How edge nodes choose a region: the catalog, the client-IP database.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeoSection {
    /// A MaxMind-format database (GeoIP2/GeoLite2-City or DB-IP Lite
    /// city), relative to the config file; re-read when the file changes.
    #[serde(default)]
    pub database: Option<PathBuf>,
    /// Every region with its coordinates.
    pub regions: Vec<apigw_geo::Region>,
    /// A client group moves region only for a score this much better
    /// [default: 0.2].
    #[serde(default)]
    pub hysteresis: Option<f64>,
    /// Kilometres added per request in flight on a region's nodes
    /// [default: 50].
    #[serde(default)]
    pub load_km_per_request: Option<f64>,
    /// How often the database file is checked for a new version [default: 60].
    #[serde(default)]
    pub reload_secs: Option<u64>,
}

/// Cluster membership: identity, QUIC address, peers, gossip.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterSection {
    /// The name certificates were made for (`apigw cluster init --name`).
    pub name: String,
    pub node_id: u64,
    /// `edge` or `regional` [default: regional].
    #[serde(default)]
    pub role: Option<String>,
    /// The QUIC address peers reach this node on.
    pub listen: String,
    /// The folder `apigw cluster init` wrote (relative to the config).
    pub certs: PathBuf,
    #[serde(default)]
    pub peers: Vec<PeerSection>,
    #[serde(default = "default_gossip_ms")]
    pub gossip_interval_ms: u64,
}

fn default_gossip_ms() -> u64 {
    100
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerSection {
    pub id: u64,
    pub addr: String,
    #[serde(default)]
    pub region: Option<String>,
}

/// A Cognito user pool authorizer's token issuer and keys.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtAuthorizerSection {
    /// The authorizer's name in the OpenAPI document.
    pub name: String,
    pub issuer: String,
    /// Accepted audiences (`aud` or `client_id`); empty: any.
    #[serde(default)]
    pub audience: Vec<String>,
    /// The JWKS as a file (relative to the config)...
    #[serde(default)]
    pub jwks_file: Option<PathBuf>,
    /// ...or a URL [default: `{issuer}/.well-known/jwks.json`].
    #[serde(default)]
    pub jwks_url: Option<String>,
}

/// An IAM user (`arn:aws:iam::{account}:user/{name}`) and its key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IamUserSection {
    pub name: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// IAM policy documents (inline, JSON text, or a JSON/YAML file path
    /// relative to the config). Absent: an IAM user may invoke every
    /// AWS_IAM method, an admin user may do everything.
    #[serde(default)]
    pub policies: Option<Vec<apigw::model::yaml::Value>>,
    /// Tags, for `aws:PrincipalTag/{key}` conditions.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// A throttle: steady rate (requests per second) and burst.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThrottleSection {
    pub rate: f64,
    pub burst: u32,
}

/// An API key (AWS requires at least 20 characters).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeySection {
    pub name: String,
    pub value: String,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

/// A usage plan.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsagePlanSection {
    pub name: String,
    #[serde(default)]
    pub throttle: Option<ThrottleSection>,
    #[serde(default)]
    pub quota: Option<QuotaSection>,
    #[serde(default)]
    pub stages: Vec<PlanStageSection>,
    /// Names of API keys.
    #[serde(default)]
    pub keys: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaSection {
    pub limit: u64,
    /// DAY, WEEK or MONTH.
    pub period: String,
    #[serde(default)]
    pub offset: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanStageSection {
    /// The API's id.
    pub api: String,
    pub stage: String,
    /// Per-method throttles keyed `/pets/GET`.
    #[serde(default)]
    pub methods: BTreeMap<String, ThrottleSection>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeSection {
    pub data_dir: Option<PathBuf>,
    pub listen: Option<String>,
    /// The TLS data-plane address (custom domains by SNI) [default: off].
    pub tls_listen: Option<String>,
    pub admin_listen: Option<String>,
    /// Data-plane worker threads, each with its own listener (SO_REUSEPORT),
    /// runtime and backend connection pool [default: one per core].
    pub workers: Option<usize>,
    /// The region this node serves, given to functions as `AWS_REGION`
    /// [default: us-east-1].
    pub region: Option<String>,
    /// The AWS account id (12 digits) this node puts in its ARNs,
    /// `$context.accountId` and Lambda events [default: 000000000000].
    pub account_id: Option<String>,
    /// Threads of the runtime that hosts local functions' Runtime APIs and
    /// remote invocations [default: 2].
    pub function_threads: Option<usize>,
    /// Memory for the stage cache, shared by all stages [default: 64 MiB].
    pub cache_mb: Option<u64>,
    /// Credentials the management API checks SigV4 signatures against
    /// (else APIGW_ADMIN_ACCESS_KEY_ID / APIGW_ADMIN_SECRET_ACCESS_KEY, else
    /// generated on first start into the data directory).
    pub admin_access_key_id: Option<String>,
    pub admin_secret_access_key: Option<String>,
    /// Proxies (CIDRs) whose `X-Forwarded-For` is believed: the client is
    /// the right-most address in it that is not a trusted proxy
    /// [default: none, the TCP peer is the client].
    pub trusted_proxies: Vec<String>,
    /// Source networks (CIDRs) PRIVATE APIs answer [default: loopback and
    /// the private ranges 10/8, 172.16/12, 192.168/16, fc00::/7].
    pub private_networks: Option<Vec<String>>,
}

/// Limits of WebSocket API connections [defaults: AWS's].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebSocketSection {
    /// Largest frame (AWS: 32 KB); larger closes the connection with 1009.
    pub frame_bytes: usize,
    /// Largest message (AWS: 128 KB); larger closes with 1009.
    pub message_bytes: usize,
    /// A connection idle this long is closed (AWS: 10 minutes).
    pub idle_timeout_ms: u64,
    /// The longest a connection stays open (AWS: 2 hours).
    pub max_duration_ms: u64,
    /// Frames queued for one client before `@connections` posts get 429.
    pub send_queue: usize,
    /// Messages of one connection handled at once.
    pub in_flight: usize,
    /// Open WebSocket connections on this node.
    pub max_connections: usize,
}

impl Default for WebSocketSection {
    fn default() -> Self {
        let d = apigw::dataplane::websocket::WsLimits::default();
        WebSocketSection {
            frame_bytes: d.frame_bytes,
            message_bytes: d.message_bytes,
            idle_timeout_ms: u64::try_from(d.idle_timeout.as_millis()).unwrap_or(u64::MAX),
            max_duration_ms: u64::try_from(d.max_duration.as_millis()).unwrap_or(u64::MAX),
            send_queue: d.send_queue,
            in_flight: d.in_flight,
            max_connections: d.max_connections,
        }
    }
}

impl WebSocketSection {
    /// The typed limits the data plane takes.
    pub fn limits(&self) -> apigw::dataplane::websocket::WsLimits {
        apigw::dataplane::websocket::WsLimits {
            frame_bytes: self.frame_bytes.max(125),
            message_bytes: self.message_bytes.max(125),
            idle_timeout: std::time::Duration::from_millis(self.idle_timeout_ms.max(1)),
            max_duration: std::time::Duration::from_millis(self.max_duration_ms.max(1)),
            send_queue: self.send_queue.max(1),
            in_flight: self.in_flight.max(1),
            max_connections: self.max_connections,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsSection {
    pub max_body_bytes: usize,
    pub max_header_bytes: usize,
    /// Ceiling for integrations' `timeoutInMillis` (AWS: 29,000).
    pub max_integration_timeout_ms: u64,
    /// Data-plane client connections, all workers together.
    pub max_connections: usize,
    pub drain_timeout_ms: u64,
    /// The account-level throttle every request passes (AWS: 10,000 rps).
    pub account_rate_limit: f64,
    pub account_burst_limit: u32,
    /// Data-plane connections from one source address (IPv6: one /64);
    /// 0: no cap. Behind a load balancer every client has its address:
    /// raise it or set 0.
    pub max_connections_per_ip: usize,
    /// The admin listener's own connection cap.
    pub admin_max_connections: usize,
    /// From accept to a complete request head, the first bytes included.
    pub header_timeout_ms: u64,
    /// A connection with no request in flight is closed after this
    /// (HTTP/1.1 keep-alive and HTTP/2 alike).
    pub idle_timeout_ms: u64,
    /// A write to a client that reads nothing fails after this.
    pub send_timeout_ms: u64,
    /// A request body must arrive within this...
    pub body_timeout_ms: u64,
    /// ...plus one second per this many bytes received (0: no extension).
    pub min_body_rate: u64,
    /// HTTP/2 PING interval, and how long its answer may take.
    pub h2_keepalive_interval_ms: u64,
    pub h2_keepalive_timeout_ms: u64,
    /// HTTP/2 streams open at once per connection.
    pub h2_max_streams: u32,
    /// Integration requests in flight per backend (`scheme://host:port`),
    /// all workers together; 0: no cap.
    pub backend_max_connections: usize,
    /// The longest a request waits for one of them [default: its
    /// integration's timeout].
    pub backend_queue_timeout_ms: Option<u64>,
}

impl Default for LimitsSection {
    fn default() -> Self {
        LimitsSection {
            max_body_bytes: 10 * 1024 * 1024,
            max_header_bytes: 10_240,
            max_integration_timeout_ms: 29_000,
            max_connections: 10_000,
            drain_timeout_ms: 30_000,
            account_rate_limit: 10_000.0,
            account_burst_limit: 5_000,
            max_connections_per_ip: 1_000,
            admin_max_connections: 256,
            header_timeout_ms: 30_000,
            idle_timeout_ms: 60_000,
            send_timeout_ms: 60_000,
            body_timeout_ms: 30_000,
            min_body_rate: 1_024,
            h2_keepalive_interval_ms: 20_000,
            h2_keepalive_timeout_ms: 20_000,
            h2_max_streams: 128,
            backend_max_connections: 512,
            backend_queue_timeout_ms: None,
        }
    }
}

impl LimitsSection {
    /// The settings that must be above zero, by name.
    fn positive(&self) -> [(&'static str, u64); 9] {
        [
            ("max_connections", self.max_connections as u64),
            ("admin_max_connections", self.admin_max_connections as u64),
            ("header_timeout_ms", self.header_timeout_ms),
            ("idle_timeout_ms", self.idle_timeout_ms),
            ("send_timeout_ms", self.send_timeout_ms),
            ("body_timeout_ms", self.body_timeout_ms),
            ("h2_keepalive_interval_ms", self.h2_keepalive_interval_ms),
            ("h2_keepalive_timeout_ms", self.h2_keepalive_timeout_ms),
            ("h2_max_streams", u64::from(self.h2_max_streams)),
        ]
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSection {
    /// `json` (default) or `text`.
    pub format: Option<String>,
    /// A tracing filter (`info`, `apigw=debug`).
    pub level: Option<String>,
    /// How long data-plane workers may hold log lines before writing them.
    pub flush_ms: u64,
    /// Stage access logs: destination ARN -> `stdout` or a file path
    /// (relative to the config file). Log group ARNs not named here go to
    /// `{data-dir}/logs/{name}.log`.
    pub access_sinks: BTreeMap<String, String>,
    /// Access-log lines waiting for the writer, at most (then dropped and
    /// counted) [default: 8192].
    pub access_queue: usize,
}

impl Default for LogSection {
    fn default() -> Self {
        LogSection {
            format: None,
            level: None,
            flush_ms: 100,
            access_sinks: BTreeMap::new(),
            access_queue: 8192,
        }
    }
}

/// An API declared in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiSection {
    /// The API's id in URLs; derived from `name` (or the document title) if absent.
    pub id: Option<String>,
    /// Overrides the document's `info.title`.
    pub name: Option<String>,
    /// The OpenAPI/Swagger document, relative to the config file.
    pub openapi: PathBuf,
    /// The region whose regional nodes serve it when its endpoint type is
    /// REGIONAL or PRIVATE [default: every region].
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub stages: Vec<StageSection>,
    /// The document itself, when it came from a template (`--template`)
    /// rather than from the file `openapi` names.
    #[serde(skip)]
    pub document: Option<serde_json::Value>,
}

/// A WebSocket API declared in the file: apigatewayv2's lowerCamel members
/// (as CreateApi, CreateIntegration, CreateRoute... take them), its parts
/// named so routes can name their integration and authorizer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WsApiSection {
    /// The API's id in URLs (letters and digits); derived from `name` if absent.
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    #[serde(rename = "routeSelectionExpression")]
    pub route_selection_expression: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Name -> CreateIntegration's members, plus `responses` (a list of
    /// CreateIntegrationResponse's).
    #[serde(default)]
    pub integrations: BTreeMap<String, serde_json::Value>,
    /// Name -> CreateAuthorizer's members.
    #[serde(default)]
    pub authorizers: BTreeMap<String, serde_json::Value>,
    /// CreateRoute's members; `integration` and `authorizer` name parts
    /// above; `twoWay: true` adds the `$default` route response.
    #[serde(default)]
    pub routes: Vec<serde_json::Value>,
    /// CreateStage's members.
    #[serde(default)]
    pub stages: Vec<serde_json::Value>,
}

impl WsApiSection {
    /// The declaration the library builds the record from.
    pub fn declaration(&self) -> Result<apigw::management::WsDeclaration> {
        let id = match &self.id {
            Some(id) if apigw::model::websocket::valid_id(id) => id.clone(),
            Some(id) => bail!("websocket API id `{id}`: 1 to 64 letters and digits"),
            None => apigw::ids::api_id_for_name(&self.name),
        };
        let mut api = serde_json::Map::new();
        api.insert("name".into(), self.name.clone().into());
        api.insert(
            "routeSelectionExpression".into(),
            self.route_selection_expression.clone().into(),
        );
        if let Some(d) = &self.description {
            api.insert("description".into(), d.clone().into());
        }
        Ok(apigw::management::WsDeclaration {
            id,
            api,
            integrations: self.integrations.clone(),
            authorizers: self.authorizers.clone(),
            routes: self.routes.clone(),
            stages: self.stages.clone(),
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageSection {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// The stage's default method throttle (method settings `*/*`).
    #[serde(default)]
    pub throttle: Option<ThrottleSection>,
    /// The stage cache.
    #[serde(default)]
    pub cache: Option<StageCacheSection>,
    /// Per-method settings keyed `/pets/GET`.
    #[serde(default)]
    pub methods: BTreeMap<String, MethodSection>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MethodSection {
    #[serde(default)]
    pub throttle: Option<ThrottleSection>,
    #[serde(default)]
    pub cache: Option<MethodCacheSection>,
}

/// The stage cache: on or off, and its defaults for every method.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageCacheSection {
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub ttl_seconds: Option<u32>,
    /// `Cache-Control: max-age=0` needs authorization [default: true].
    #[serde(default)]
    pub require_authorization: Option<bool>,
    /// FAIL_WITH_403, SUCCEED_WITH_RESPONSE_HEADER (default) or
    /// SUCCEED_WITHOUT_RESPONSE_HEADER.
    #[serde(default)]
    pub unauthorized: Option<String>,
}

/// One method's cache settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MethodCacheSection {
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub ttl_seconds: Option<u32>,
}

/// A serverless function: local (`command`) or remote (`remote`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionSection {
    /// The name integration URIs use (`...:function:{name}/invocations`).
    pub name: String,
    /// Program and arguments of a local function.
    #[serde(default)]
    pub command: Option<Vec<String>>,
    /// `_HANDLER` for runtimes that read it.
    #[serde(default)]
    pub handler: Option<String>,
    /// Working directory, relative to the config file.
    #[serde(default)]
    pub cwd: Option<PathBuf>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    #[serde(default = "default_memory_mb")]
    pub memory_mb: u32,
    /// Lambda's function timeout (default 3 s, as on AWS).
    #[serde(default = "default_function_timeout_ms")]
    pub timeout_ms: u64,
    /// Instances running at once; more invocations are refused with 429.
    #[serde(default = "default_max_concurrency")]
    pub max_concurrency: usize,
    /// Instances started ahead of traffic and kept up.
    #[serde(default)]
    pub min_warm: usize,
    /// How long a new instance may take to ask for its first event.
    #[serde(default = "default_init_timeout_ms")]
    pub init_timeout_ms: u64,
    #[serde(default)]
    pub region: Option<String>,
    /// A function behind the Lambda Invoke API instead of a local command.
    #[serde(default)]
    pub remote: Option<RemoteSection>,
}

fn default_memory_mb() -> u32 {
    128
}
fn default_function_timeout_ms() -> u64 {
    3_000
}
fn default_max_concurrency() -> usize {
    10
}
fn default_init_timeout_ms() -> u64 {
    10_000
}

/// Where a remote function is invoked.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteSection {
    /// `https://lambda.us-east-1.amazonaws.com`, `http://127.0.0.1:3001`.
    pub endpoint: String,
    /// The name at the endpoint [default: the function's name].
    #[serde(default)]
    pub function_name: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    /// Credentials; absent ones come from `AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`.
    #[serde(default)]
    pub access_key_id: Option<String>,
    #[serde(default)]
    pub secret_access_key: Option<String>,
    #[serde(default)]
    pub session_token: Option<String>,
}

/// A loaded config file and the folder its relative paths start from.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub file: ConfigFile,
    pub base: PathBuf,
}

impl Loaded {
    /// Reads and checks a config file; errors name the line or field.
    pub fn read(path: &Path) -> Result<Loaded> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let file = parse(&text)
            .with_context(|| format!("{} is not a valid apigw config", path.display()))?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(Loaded { file, base })
    }

    /// A path from the config, relative to the config file's folder.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.base.join(path)
        }
    }

    /// The custom domains' TLS sources, paths resolved.
    pub fn domain_sources(&self) -> apigw::domains::Sources {
        use apigw::domains::{CertificateFiles, ConfigDomain, ConfigMapping};
        let files = |c: &Path, k: &Path, chain: Option<&Path>| CertificateFiles {
            certificate: self.resolve(c),
            private_key: self.resolve(k),
            chain: chain.map(|p| self.resolve(p)),
        };
        apigw::domains::Sources {
            domains: self
                .file
                .domains
                .iter()
                .map(|d| ConfigDomain {
                    name: d.domain_name.to_ascii_lowercase(),
                    certificate: files(&d.certificate, &d.private_key, d.chain.as_deref()),
                    security_policy: d.security_policy.clone(),
                    truststore: d.truststore.as_deref().map(|p| self.resolve(p)),
                    mappings: d
                        .base_path_mappings
                        .iter()
                        .map(|m| ConfigMapping {
                            base_path: m
                                .base_path
                                .clone()
                                .unwrap_or_else(|| apigw::domains::NO_BASE_PATH.into()),
                            api: m.api.clone(),
                            stage: m.stage.clone(),
                        })
                        .collect(),
                })
                .collect(),
            certificates: self
                .file
                .tls
                .certificates
                .iter()
                .map(|(arn, c)| {
                    let f = files(&c.certificate, &c.private_key, c.chain.as_deref());
                    (arn.clone(), f)
                })
                .collect(),
            truststores: self
                .file
                .tls
                .truststores
                .iter()
                .map(|(uri, p)| (uri.clone(), self.resolve(p)))
                .collect(),
        }
    }

    /// Where an API's document is.
    pub fn document_path(&self, api: &ApiSection) -> PathBuf {
        if api.openapi.is_absolute() || api.document.is_some() {
            api.openapi.clone()
        } else {
            self.base.join(&api.openapi)
        }
    }
}

/// Parses config text, reporting the field path and line of a mistake.
pub fn parse(text: &str) -> Result<ConfigFile> {
    let deserializer = apigw::model::yaml::Deserializer::from_str(text);
    let file: ConfigFile = serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let line = inner
            .location()
            .map(|l| format!("line {}, column {}: ", l.line(), l.column()))
            .unwrap_or_default();
        anyhow::anyhow!("{line}at `{path}`: {inner}")
    })?;
    for (name, value) in file.limits.positive() {
        if value == 0 {
            bail!("at `limits.{name}`: must be above 0");
        }
    }
    if let Some(id) = &file.node.account_id {
        apigw::policy::check_account(id).context("at `node.account_id`")?;
    }
    if file.limits.backend_queue_timeout_ms == Some(0) {
        bail!("at `limits.backend_queue_timeout_ms`: must be above 0");
    }
    if let Some(cluster) = &file.cluster {
        if let Some(role) = &cluster.role {
            if role != "edge" && role != "regional" {
                bail!("at `cluster.role`: `{role}` is not edge or regional");
            }
        }
        if cluster.gossip_interval_ms == 0 {
            bail!("at `cluster.gossip_interval_ms`: must be above 0");
        }
        for (i, peer) in cluster.peers.iter().enumerate() {
            if peer.id == cluster.node_id {
                bail!(
                    "at `cluster.peers[{i}].id`: {} is this node's own id",
                    peer.id
                );
            }
        }
    }
    let mut names = std::collections::BTreeSet::new();
    for (i, f) in file.functions.iter().enumerate() {
        if apigw::functions::function_name_from_uri(&f.name) != Some(f.name.as_str())
            || apigw::names::function_name(&f.name).is_err()
        {
            bail!("at `functions[{i}].name`: `{}` is not a valid function name (letters, digits, - and _)", f.name);
        }
        if !names.insert(f.name.clone()) {
            bail!("at `functions[{i}].name`: `{}` is declared twice", f.name);
        }
        match (&f.command, &f.remote) {
            (Some(command), None) if command.is_empty() => {
                bail!("at `functions[{i}].command`: the command is empty")
            }
            (Some(_), None) | (None, Some(_)) => {}
            (None, None) => bail!("at `functions[{i}]`: give a `command` (local) or `remote`"),
            (Some(_), Some(_)) => {
                bail!("at `functions[{i}]`: `command` and `remote` exclude each other")
            }
        }
        if f.timeout_ms == 0 || f.max_concurrency == 0 {
            bail!("at `functions[{i}]`: timeout_ms and max_concurrency must be above 0");
        }
    }
    let mut key_names = std::collections::BTreeSet::new();
    for (i, key) in file.api_keys.iter().enumerate() {
        if key.value.len() < 20 {
            bail!("at `api_keys[{i}].value`: an API key value needs at least 20 characters");
        }
        if !key_names.insert(key.name.as_str()) {
            bail!("at `api_keys[{i}].name`: `{}` is declared twice", key.name);
        }
    }
    for (i, plan) in file.usage_plans.iter().enumerate() {
        for (j, key) in plan.keys.iter().enumerate() {
            if !key_names.contains(key.as_str()) {
                bail!("at `usage_plans[{i}].keys[{j}]`: no API key is named `{key}`");
            }
        }
        if let Some(q) = &plan.quota {
            if !matches!(q.period.as_str(), "DAY" | "WEEK" | "MONTH") {
                bail!(
                    "at `usage_plans[{i}].quota.period`: `{}` is not DAY, WEEK or MONTH",
                    q.period
                );
            }
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for (i, api) in file.apis.iter().enumerate() {
        for (j, stage) in api.stages.iter().enumerate() {
            if let Some(cache) = &stage.cache {
                if cache.ttl_seconds.is_some_and(|t| t > 3600) {
                    bail!("at `apis[{i}].stages[{j}].cache.ttl_seconds`: at most 3600");
                }
                if let Some(u) = &cache.unauthorized {
                    if apigw::cache::UnauthorizedStrategy::parse(u).is_none() {
                        bail!("at `apis[{i}].stages[{j}].cache.unauthorized`: `{u}` is not FAIL_WITH_403, SUCCEED_WITH_RESPONSE_HEADER or SUCCEED_WITHOUT_RESPONSE_HEADER");
                    }
                }
            }
            if let Err(e) = apigw::names::stage_name(&stage.name) {
                bail!("at `apis[{i}].stages[{j}].name`: {e}: {:?}", stage.name);
            }
        }
        if let Some(id) = &api.id {
            if let Err(e) = apigw::names::api_id(id) {
                bail!("at `apis[{i}].id`: {e} (letters, digits, - and _)");
            }
            if !seen.insert(id.clone()) {
                bail!("at `apis[{i}].id`: `{id}` is declared twice");
            }
        }
    }
    Ok(file)
}

/// Parses a listen address (`127.0.0.1:8080`, `[::1]:0`).
pub fn socket_addr(what: &str, value: &str) -> Result<SocketAddr> {
    value
        .parse()
        .with_context(|| format!("{what} `{value}` is not an address like 127.0.0.1:8080"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_config() {
        let file = parse(
            "node: {listen: '127.0.0.1:0'}\nlimits: {max_integration_timeout_ms: 60000}\napis:\n  - openapi: a.yaml\n    stages: [{name: prod, variables: {x: '1'}}]\n",
        )
        .expect("parses");
        assert_eq!(file.limits.max_integration_timeout_ms, 60_000);
        assert_eq!(file.limits.max_body_bytes, 10 * 1024 * 1024);
        assert_eq!(file.apis[0].stages[0].variables["x"], "1");
    }

    #[test]
    fn mistakes_name_the_field_and_line() {
        let err = parse("apis:\n  - openapi: a.yaml\n    stagez: []\n").expect_err("unknown field");
        let text = err.to_string();
        assert!(text.contains("apis[0]"), "{text}");
        assert!(text.contains("stagez"), "{text}");
        assert!(text.contains("line 3"), "{text}");
        let err = parse("functions:\n  - name: f\n").expect_err("no command");
        assert!(err.to_string().contains("functions[0]"), "{err}");
        let err = parse("functions:\n  - {name: f, command: [x]}\n  - {name: f, command: [y]}\n")
            .expect_err("twice");
        assert!(err.to_string().contains("declared twice"), "{err}");
        let err = parse("apis:\n  - openapi: a.yaml\n    stages: [{name: 'bad name'}]\n")
            .expect_err("bad stage");
        assert!(err.to_string().contains("apis[0].stages[0].name"));
    }
}
