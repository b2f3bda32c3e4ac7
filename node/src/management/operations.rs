//! The management API's operations as data: each row is an operation's
//! HTTP method, request URI template and name, as botocore's service model
//! lists them (`http.method`, `http.requestUri`), grouped by the resource
//! family the AWS API reference files it under. [`find`] matches a request
//! against the table and extracts the template's path parameters by name
//! (percent-decoded, non-empty); a path no row has, or a method no row of
//! that path has, is AWS's 404 `UnknownOperationException`.

use http::{Method, StatusCode};

use super::{err, ApiError};

/// The resource families, as AWS's API reference groups operations; each
/// has one file under `management/` that serves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Family {
    /// REST APIs: create, import, put, get, list, update, delete.
    RestApis,
    /// Resources, methods, integrations and their responses.
    Resources,
    /// Models, request validators, authorizers and gateway responses.
    Definitions,
    /// Documentation parts and versions.
    Documentation,
    /// Deployments and stages.
    Stages,
    /// Exports of a stage's API.
    Exports,
    /// API keys, usage plans, their keys and usage.
    Keys,
    /// Custom domain names and base path mappings.
    Domains,
    /// Tags on any taggable resource.
    Tags,
    /// The account's settings.
    Account,
    /// apigatewayv2 (`/v2/...`): WebSocket APIs and their tags.
    V2Apis,
    /// apigatewayv2: routes and route responses.
    V2Routes,
    /// apigatewayv2: integrations and integration responses.
    V2Integrations,
    /// apigatewayv2: authorizers.
    V2Authorizers,
    /// apigatewayv2: deployments and stages.
    V2Stages,
    /// VPC links.
    VpcLinks,
    /// Client certificates stages present to their backends.
    ClientCertificates,
}

impl Family {
    /// Whether the family is apigatewayv2's (bodies are members to set,
    /// not patch operations).
    pub fn is_v2(self) -> bool {
        matches!(
            self,
            Family::V2Apis
                | Family::V2Routes
                | Family::V2Integrations
                | Family::V2Authorizers
                | Family::V2Stages
        )
    }
}

macro_rules! operations {
    ($($family:ident { $($name:ident = $method:ident $uri:literal;)* })*) => {
        /// A management operation, named as botocore names it (apigw's own
        /// extensions end in `Definition`; apigatewayv2's operations whose
        /// names v1 also has carry `V2`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(super) enum Op { $($($name,)*)* }

        /// Every operation apigw serves: (method, request URI, operation).
        /// More specific rows (a required query parameter) come first.
        pub(super) static OPERATIONS: &[Operation] = &[
            $($(Operation {
                method: Method::$method,
                uri: $uri,
                op: Op::$name,
                family: Family::$family,
            },)*)*
        ];
    };
}

operations! {
    RestApis {
        ImportRestApi = POST "/restapis?mode=import";
        CreateRestApi = POST "/restapis";
        GetRestApis = GET "/restapis";
        GetRestApiDefinition = GET "/restapis/{restapi_id}?apigwDefinition=true";
        PutRestApiDefinition = PUT "/restapis/{restapi_id}?apigwDefinition=true";
        GetRestApi = GET "/restapis/{restapi_id}";
        PutRestApi = PUT "/restapis/{restapi_id}";
        UpdateRestApi = PATCH "/restapis/{restapi_id}";
        DeleteRestApi = DELETE "/restapis/{restapi_id}";
    }
    Resources {
        GetResources = GET "/restapis/{restapi_id}/resources";
        GetResource = GET "/restapis/{restapi_id}/resources/{resource_id}";
        CreateResource = POST "/restapis/{restapi_id}/resources/{parent_id}";
        UpdateResource = PATCH "/restapis/{restapi_id}/resources/{resource_id}";
        DeleteResource = DELETE "/restapis/{restapi_id}/resources/{resource_id}";
        GetMethod = GET "/restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}";
        PutMethod = PUT "/restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}";
        UpdateMethod = PATCH "/restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}";
        DeleteMethod = DELETE "/restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}";
        TestInvokeMethod = POST "/restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}";
        GetMethodResponse = GET "/restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}/responses/{status_code}";
        PutMethodResponse = PUT "/restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}/responses/{status_code}";
        UpdateMethodResponse = PATCH "/restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}/responses/{status_code}";
        DeleteMethodResponse = DELETE "/restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}/responses/{status_code}";
        GetIntegration = GET "/restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}/integration";
        PutIntegration = PUT "/restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}/integration";
        UpdateIntegration = PATCH "/restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}/integration";
        DeleteIntegration = DELETE "/restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}/integration";
        GetIntegrationResponse = GET "/restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}/integration/responses/{status_code}";
        PutIntegrationResponse = PUT "/restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}/integration/responses/{status_code}";
        UpdateIntegrationResponse = PATCH "/restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}/integration/responses/{status_code}";
        DeleteIntegrationResponse = DELETE "/restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}/integration/responses/{status_code}";
    }
    Definitions {
        GetModels = GET "/restapis/{restapi_id}/models";
        CreateModel = POST "/restapis/{restapi_id}/models";
        GetModel = GET "/restapis/{restapi_id}/models/{model_name}";
        UpdateModel = PATCH "/restapis/{restapi_id}/models/{model_name}";
        DeleteModel = DELETE "/restapis/{restapi_id}/models/{model_name}";
        GetRequestValidators = GET "/restapis/{restapi_id}/requestvalidators";
        CreateRequestValidator = POST "/restapis/{restapi_id}/requestvalidators";
        GetRequestValidator = GET "/restapis/{restapi_id}/requestvalidators/{requestvalidator_id}";
        UpdateRequestValidator = PATCH "/restapis/{restapi_id}/requestvalidators/{requestvalidator_id}";
        DeleteRequestValidator = DELETE "/restapis/{restapi_id}/requestvalidators/{requestvalidator_id}";
        GetAuthorizers = GET "/restapis/{restapi_id}/authorizers";
        CreateAuthorizer = POST "/restapis/{restapi_id}/authorizers";
        GetAuthorizer = GET "/restapis/{restapi_id}/authorizers/{authorizer_id}";
        UpdateAuthorizer = PATCH "/restapis/{restapi_id}/authorizers/{authorizer_id}";
        DeleteAuthorizer = DELETE "/restapis/{restapi_id}/authorizers/{authorizer_id}";
        GetGatewayResponses = GET "/restapis/{restapi_id}/gatewayresponses";
        GetGatewayResponse = GET "/restapis/{restapi_id}/gatewayresponses/{response_type}";
        PutGatewayResponse = PUT "/restapis/{restapi_id}/gatewayresponses/{response_type}";
        UpdateGatewayResponse = PATCH "/restapis/{restapi_id}/gatewayresponses/{response_type}";
        DeleteGatewayResponse = DELETE "/restapis/{restapi_id}/gatewayresponses/{response_type}";
    }
    Documentation {
        CreateDocumentationPart = POST "/restapis/{restapi_id}/documentation/parts";
        GetDocumentationParts = GET "/restapis/{restapi_id}/documentation/parts";
        ImportDocumentationParts = PUT "/restapis/{restapi_id}/documentation/parts";
        GetDocumentationPart = GET "/restapis/{restapi_id}/documentation/parts/{part_id}";
        UpdateDocumentationPart = PATCH "/restapis/{restapi_id}/documentation/parts/{part_id}";
        DeleteDocumentationPart = DELETE "/restapis/{restapi_id}/documentation/parts/{part_id}";
        CreateDocumentationVersion = POST "/restapis/{restapi_id}/documentation/versions";
        GetDocumentationVersions = GET "/restapis/{restapi_id}/documentation/versions";
        GetDocumentationVersion = GET "/restapis/{restapi_id}/documentation/versions/{doc_version}";
        UpdateDocumentationVersion = PATCH "/restapis/{restapi_id}/documentation/versions/{doc_version}";
        DeleteDocumentationVersion = DELETE "/restapis/{restapi_id}/documentation/versions/{doc_version}";
    }
    Stages {
        CreateDeployment = POST "/restapis/{restapi_id}/deployments";
        GetDeployments = GET "/restapis/{restapi_id}/deployments";
        GetDeployment = GET "/restapis/{restapi_id}/deployments/{deployment_id}";
        UpdateDeployment = PATCH "/restapis/{restapi_id}/deployments/{deployment_id}";
        DeleteDeployment = DELETE "/restapis/{restapi_id}/deployments/{deployment_id}";
        CreateStage = POST "/restapis/{restapi_id}/stages";
        GetStages = GET "/restapis/{restapi_id}/stages";
        GetStageDefinition = GET "/restapis/{restapi_id}/stages/{stage_name}?apigwDefinition=true";
        PutStageDefinition = PUT "/restapis/{restapi_id}/stages/{stage_name}?apigwDefinition=true";
        GetStage = GET "/restapis/{restapi_id}/stages/{stage_name}";
        UpdateStage = PATCH "/restapis/{restapi_id}/stages/{stage_name}";
        DeleteStage = DELETE "/restapis/{restapi_id}/stages/{stage_name}";
    }
    Exports {
        GetExport = GET "/restapis/{restapi_id}/stages/{stage_name}/exports/{export_type}";
    }
    Keys {
        CreateApiKey = POST "/apikeys";
        GetApiKeys = GET "/apikeys";
        GetApiKey = GET "/apikeys/{api_Key}";
        UpdateApiKey = PATCH "/apikeys/{api_Key}";
        DeleteApiKey = DELETE "/apikeys/{api_Key}";
        CreateUsagePlan = POST "/usageplans";
        GetUsagePlans = GET "/usageplans";
        GetUsagePlan = GET "/usageplans/{usageplanId}";
        UpdateUsagePlan = PATCH "/usageplans/{usageplanId}";
        DeleteUsagePlan = DELETE "/usageplans/{usageplanId}";
        CreateUsagePlanKey = POST "/usageplans/{usageplanId}/keys";
        GetUsagePlanKeys = GET "/usageplans/{usageplanId}/keys";
        GetUsagePlanKey = GET "/usageplans/{usageplanId}/keys/{keyId}";
        DeleteUsagePlanKey = DELETE "/usageplans/{usageplanId}/keys/{keyId}";
        GetUsage = GET "/usageplans/{usageplanId}/usage";
    }
    Domains {
        CreateDomainName = POST "/domainnames";
        GetDomainNames = GET "/domainnames";
        GetDomainName = GET "/domainnames/{domain_name}";
        UpdateDomainName = PATCH "/domainnames/{domain_name}";
        DeleteDomainName = DELETE "/domainnames/{domain_name}";
        CreateBasePathMapping = POST "/domainnames/{domain_name}/basepathmappings";
        GetBasePathMappings = GET "/domainnames/{domain_name}/basepathmappings";
        GetBasePathMapping = GET "/domainnames/{domain_name}/basepathmappings/{base_path}";
        UpdateBasePathMapping = PATCH "/domainnames/{domain_name}/basepathmappings/{base_path}";
        DeleteBasePathMapping = DELETE "/domainnames/{domain_name}/basepathmappings/{base_path}";
    }
    Tags {
        GetTags = GET "/tags/{resource_arn}";
        TagResource = PUT "/tags/{resource_arn}";
        UntagResource = DELETE "/tags/{resource_arn}";
    }
    Account {
        GetAccount = GET "/account";
        UpdateAccount = PATCH "/account";
    }
    V2Apis {
        CreateApi = POST "/v2/apis";
        GetApis = GET "/v2/apis";
        GetApi = GET "/v2/apis/{apiId}";
        UpdateApi = PATCH "/v2/apis/{apiId}";
        DeleteApi = DELETE "/v2/apis/{apiId}";
        ImportApi = PUT "/v2/apis";
        ReimportApi = PUT "/v2/apis/{apiId}";
        GetV2Tags = GET "/v2/tags/{resource-arn}";
        TagV2Resource = POST "/v2/tags/{resource-arn}";
        UntagV2Resource = DELETE "/v2/tags/{resource-arn}";
    }
    V2Routes {
        CreateRoute = POST "/v2/apis/{apiId}/routes";
        GetRoutes = GET "/v2/apis/{apiId}/routes";
        GetRoute = GET "/v2/apis/{apiId}/routes/{routeId}";
        UpdateRoute = PATCH "/v2/apis/{apiId}/routes/{routeId}";
        DeleteRoute = DELETE "/v2/apis/{apiId}/routes/{routeId}";
        CreateRouteResponse = POST "/v2/apis/{apiId}/routes/{routeId}/routeresponses";
        GetRouteResponses = GET "/v2/apis/{apiId}/routes/{routeId}/routeresponses";
        GetRouteResponse = GET "/v2/apis/{apiId}/routes/{routeId}/routeresponses/{routeResponseId}";
        UpdateRouteResponse = PATCH "/v2/apis/{apiId}/routes/{routeId}/routeresponses/{routeResponseId}";
        DeleteRouteResponse = DELETE "/v2/apis/{apiId}/routes/{routeId}/routeresponses/{routeResponseId}";
    }
    V2Integrations {
        CreateV2Integration = POST "/v2/apis/{apiId}/integrations";
        GetV2Integrations = GET "/v2/apis/{apiId}/integrations";
        GetV2Integration = GET "/v2/apis/{apiId}/integrations/{integrationId}";
        UpdateV2Integration = PATCH "/v2/apis/{apiId}/integrations/{integrationId}";
        DeleteV2Integration = DELETE "/v2/apis/{apiId}/integrations/{integrationId}";
        CreateV2IntegrationResponse = POST "/v2/apis/{apiId}/integrations/{integrationId}/integrationresponses";
        GetV2IntegrationResponses = GET "/v2/apis/{apiId}/integrations/{integrationId}/integrationresponses";
        GetV2IntegrationResponse = GET "/v2/apis/{apiId}/integrations/{integrationId}/integrationresponses/{integrationResponseId}";
        UpdateV2IntegrationResponse = PATCH "/v2/apis/{apiId}/integrations/{integrationId}/integrationresponses/{integrationResponseId}";
        DeleteV2IntegrationResponse = DELETE "/v2/apis/{apiId}/integrations/{integrationId}/integrationresponses/{integrationResponseId}";
    }
    V2Authorizers {
        CreateV2Authorizer = POST "/v2/apis/{apiId}/authorizers";
        GetV2Authorizers = GET "/v2/apis/{apiId}/authorizers";
        GetV2Authorizer = GET "/v2/apis/{apiId}/authorizers/{authorizerId}";
        UpdateV2Authorizer = PATCH "/v2/apis/{apiId}/authorizers/{authorizerId}";
        DeleteV2Authorizer = DELETE "/v2/apis/{apiId}/authorizers/{authorizerId}";
    }
    V2Stages {
        CreateV2Deployment = POST "/v2/apis/{apiId}/deployments";
        GetV2Deployments = GET "/v2/apis/{apiId}/deployments";
        GetV2Deployment = GET "/v2/apis/{apiId}/deployments/{deploymentId}";
        UpdateV2Deployment = PATCH "/v2/apis/{apiId}/deployments/{deploymentId}";
        DeleteV2Deployment = DELETE "/v2/apis/{apiId}/deployments/{deploymentId}";
        CreateV2Stage = POST "/v2/apis/{apiId}/stages";
        GetV2Stages = GET "/v2/apis/{apiId}/stages";
        GetV2Stage = GET "/v2/apis/{apiId}/stages/{stageName}";
        UpdateV2Stage = PATCH "/v2/apis/{apiId}/stages/{stageName}";
        DeleteV2Stage = DELETE "/v2/apis/{apiId}/stages/{stageName}";
    }
    VpcLinks {
        CreateVpcLink = POST "/vpclinks";
        GetVpcLinks = GET "/vpclinks";
        GetVpcLink = GET "/vpclinks/{vpclink_id}";
        UpdateVpcLink = PATCH "/vpclinks/{vpclink_id}";
        DeleteVpcLink = DELETE "/vpclinks/{vpclink_id}";
    }
    ClientCertificates {
        GenerateClientCertificate = POST "/clientcertificates";
        GetClientCertificates = GET "/clientcertificates";
        GetClientCertificate = GET "/clientcertificates/{clientcertificate_id}";
        UpdateClientCertificate = PATCH "/clientcertificates/{clientcertificate_id}";
        DeleteClientCertificate = DELETE "/clientcertificates/{clientcertificate_id}";
    }
}

/// One row of [`OPERATIONS`].
pub(super) struct Operation {
    pub method: Method,
    /// botocore's `requestUri`: literal segments, `{name}` parameters and
    /// at most one required `?key=value`.
    pub uri: &'static str,
    pub op: Op,
    pub family: Family,
}

/// A request matched to its operation.
pub(super) struct Matched {
    pub op: Op,
    pub family: Family,
    /// The template's path parameters by name, percent-decoded.
    params: Vec<(&'static str, String)>,
}

impl Matched {
    /// Whether the operation's request URI has path parameter `name`.
    pub fn uri_has(&self, name: &str) -> bool {
        self.params.iter().any(|(n, _)| *n == name)
    }

    /// The path parameter `name` (every template parameter is present).
    pub fn param(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

/// The operation a request names, with its path parameters.
pub(super) fn find(
    method: &Method,
    path: &str,
    query: &[(String, String)],
) -> Result<Matched, ApiError> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let mut path_known = false;
    for row in OPERATIONS {
        let Some(params) = row.matches(&segments, query) else {
            continue;
        };
        if row.method != *method {
            path_known = true;
            continue;
        }
        return Ok(Matched {
            op: row.op,
            family: row.family,
            params: params?,
        });
    }
    Err(err(
        StatusCode::NOT_FOUND,
        "UnknownOperationException",
        match path_known {
            true => format!("Unknown operation: method {method} is not allowed on {path}"),
            false => format!("Unknown operation: no such path {path}"),
        },
    ))
}

impl Operation {
    /// The template's parameters when `segments` and `query` fit the row
    /// (an error when a parameter does not decode).
    #[allow(clippy::type_complexity)]
    fn matches(
        &self,
        segments: &[&str],
        query: &[(String, String)],
    ) -> Option<Result<Vec<(&'static str, String)>, ApiError>> {
        let (path, required) = match self.uri.split_once('?') {
            Some((p, q)) => (p, q.split_once('=')),
            None => (self.uri, None),
        };
        if let Some((key, value)) = required {
            if !query.iter().any(|(k, v)| k == key && v == value) {
                return None;
            }
        }
        let template: Vec<&'static str> = path.trim_matches('/').split('/').collect();
        if template.len() != segments.len() {
            return None;
        }
        let mut params = Vec::new();
        for (t, s) in template.iter().zip(segments) {
            match t.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
                Some(name) if !s.is_empty() => params.push((name, *s)),
                Some(_) => return None,
                None if t == s => {}
                None => return None,
            }
        }
        Some(
            params
                .into_iter()
                .map(|(name, raw)| Ok((name, decode(name, raw)?)))
                .collect(),
        )
    }
}

/// A path parameter as the client meant it (`%28none%29` is `(none)`).
fn decode(name: &str, raw: &str) -> Result<String, ApiError> {
    percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| {
            err(
                StatusCode::BAD_REQUEST,
                "BadRequestException",
                format!("Invalid {name}: not UTF-8 once decoded"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn requests_find_their_operation_and_parameters() {
        let m = find(
            &Method::PUT,
            "/restapis/a1/resources/r2/methods/GET/integration/responses/200",
            &[],
        )
        .map_err(|e| e.message)
        .expect("matches");
        assert_eq!(m.op, Op::PutIntegrationResponse);
        assert_eq!(m.family, Family::Resources);
        assert_eq!(m.param("restapi_id"), "a1");
        assert_eq!(m.param("status_code"), "200");
        let import = find(&Method::POST, "/restapis", &q(&[("mode", "import")]));
        assert_eq!(import.map(|m| m.op).ok(), Some(Op::ImportRestApi));
        let create = find(&Method::POST, "/restapis", &[]);
        assert_eq!(create.map(|m| m.op).ok(), Some(Op::CreateRestApi));
        let none = find(
            &Method::GET,
            "/domainnames/d.example/basepathmappings/%28none%29",
            &[],
        )
        .map_err(|e| e.message)
        .expect("matches");
        assert_eq!(none.param("base_path"), "(none)");
    }

    #[test]
    fn unknown_paths_and_wrong_methods_are_unknown_operations() {
        for (method, path) in [
            (Method::GET, "/nothing"),
            (Method::POST, "/restapis/a1"),
            (Method::GET, "/restapis//stages"),
        ] {
            let e = find(&method, path, &[]).err().map(|e| (e.status, e.kind));
            assert_eq!(
                e,
                Some((StatusCode::NOT_FOUND, "UnknownOperationException")),
                "{method} {path}"
            );
        }
    }

    #[test]
    fn every_row_is_reachable_and_parameters_are_named() {
        for row in OPERATIONS {
            let path = row.uri.split('?').next().unwrap_or_default();
            let concrete: String = path
                .split('/')
                .map(|s| if s.starts_with('{') { "x" } else { s })
                .collect::<Vec<_>>()
                .join("/");
            let query: Vec<(String, String)> = row
                .uri
                .split_once('?')
                .and_then(|(_, q)| q.split_once('='))
                .map(|(k, v)| vec![(k.to_string(), v.to_string())])
                .unwrap_or_default();
            let found = find(&row.method, &concrete, &query).map(|m| m.op).ok();
            assert_eq!(found, Some(row.op), "{} {}", row.method, row.uri);
        }
    }
}
