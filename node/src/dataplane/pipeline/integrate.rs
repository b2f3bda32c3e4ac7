//! Phase `integrate`: the method's integration, by kind. Each kind maps
//! the request in and the backend's answer out to the method response
//! (`dataplane::integration`).

use bytes::Bytes;
use http::Response;

use super::exchange::{Exchange, Route};
use super::Gateway;
use crate::dataplane::body::Body;
use crate::dataplane::error::RequestError;
use crate::dataplane::integration;
use crate::snapshot::CompiledIntegration;

impl Gateway {
    /// Calls the backend (HTTP, HTTP_PROXY, Lambda, an AWS service) or
    /// answers a MOCK (after the simulated backend, in a simulation).
    pub(super) async fn integrate<B>(
        &self,
        ex: &mut Exchange<'_, B>,
        route: &Route,
        body: Bytes,
    ) -> Result<Response<Body>, RequestError> {
        let ctx = &mut ex.ctx;
        match &route.method.integration {
            CompiledIntegration::Http(http) if http.vpc_link.is_some() => {
                let upstreams = &self.services.upstreams;
                integration::upstream::call::call(http, upstreams, &self.client, ctx, body).await
            }
            CompiledIntegration::Http(http) => {
                integration::http::call(http, &self.client, ctx, body).await
            }
            CompiledIntegration::Lambda(lambda) => {
                integration::lambda::call(lambda, &self.services.functions, ctx, body).await
            }
            CompiledIntegration::AwsService(aws) => {
                integration::aws::call(aws, &self.services.aws, &self.client, ctx, body).await
            }
            CompiledIntegration::Mock(mock) => {
                if let Some(backend) = &self.services.simulated_backend {
                    let api_id = ctx.stage.as_ref().map_or("", |s| s.api.api_id.as_str());
                    backend.call(api_id).await?;
                }
                integration::mock::answer(mock, ctx, &body)
            }
            CompiledIntegration::Unavailable(reason) => {
                Err(RequestError::IntegrationUnavailable(reason.clone()))
            }
        }
    }
}
