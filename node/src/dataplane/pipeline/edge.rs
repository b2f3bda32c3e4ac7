//! Phase `edge`: what the API's endpoint type says about serving it here.

use std::sync::Arc;

use http::Response;

use super::exchange::{Exchange, Pending, Via};
use super::Gateway;
use crate::dataplane::body::{Body, RequestBody};
use crate::dataplane::context::RequestContext;
use crate::dataplane::edge::Edge;
use crate::dataplane::error::RequestError;
use crate::model::EndpointType;
use crate::snapshot::StageView;

impl Gateway {
    /// On an edge node, forwards an EDGE API's request to the nearest healthy
    /// region and returns its answer (with no region healthy, the request is
    /// served here: an edge has the configuration too). Refuses what this
    /// node may not serve; `None`: serve it here.
    pub(super) async fn edge<B: RequestBody>(
        &self,
        ex: &mut Exchange<'_, B>,
        stage: &StageView,
    ) -> Result<Option<Response<Body>>, RequestError> {
        let Some(edge) = self.endpoint(&ex.ctx, stage, ex.via)? else {
            return Ok(None);
        };
        let Pending::Unread(body) = ex.body.take() else {
            return Err(RequestError::IntegrationUnavailable(
                "body already read".into(),
            ));
        };
        match edge.forward(&ex.ctx, body).await? {
            Ok(response) => Ok(Some(response)),
            Err(body) => {
                ex.body = Pending::Unread(body);
                Ok(None)
            }
        }
    }

    /// The endpoint type's verdict: serve here (`None`), forward through the
    /// edge (an EDGE API on an edge node with a healthy region), or refuse.
    fn endpoint(
        &self,
        ctx: &RequestContext,
        stage: &StageView,
        via: Via,
    ) -> Result<Option<&Arc<Edge>>, RequestError> {
        let edge = self.services.edge.as_ref();
        let api = &stage.api;
        match api.endpoint_type {
            EndpointType::Edge => Ok(edge.filter(|_| via == Via::Client)),
            EndpointType::Regional | EndpointType::Private => {
                if edge.is_some() {
                    return Err(RequestError::EndpointRefused(format!(
                        "{:?} API {} is not served by edge nodes",
                        api.endpoint_type, api.api_id
                    )));
                }
                if let Some(region) = api.region.as_deref() {
                    if region != self.services.region {
                        return Err(RequestError::EndpointRefused(format!(
                            "API {} is served in {region}, this node is in {}",
                            api.api_id, self.services.region
                        )));
                    }
                }
                if api.endpoint_type == EndpointType::Private
                    && !self.services.networks.is_private(ctx.source_ip)
                {
                    return Err(RequestError::EndpointRefused(format!(
                        "PRIVATE API {} called from {}, outside the private networks",
                        api.api_id, ctx.source_ip
                    )));
                }
                Ok(None)
            }
        }
    }
}
