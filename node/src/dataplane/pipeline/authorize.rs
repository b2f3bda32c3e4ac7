//! Phases `resource_policy` and `authorize`: whether the API lets the caller
//! in, and who the caller is, by the method's authorization type.

use std::borrow::Cow;

use super::exchange::{Exchange, Route, Via};
use super::Gateway;
use crate::dataplane::authorize::{authorize_iam, authorize_lambda, check_resource_policy};
use crate::dataplane::body::RequestBody;
use crate::dataplane::error::RequestError;
use crate::dataplane::{iam, jwt};
use crate::policy::Identity;
use crate::snapshot::{Authorization, LambdaAuthorizer};

impl Gateway {
    /// The API's resource policy for an anonymous caller; AWS_IAM methods'
    /// callers are judged with their identity in [`authorize`](Gateway::authorize).
    pub(super) fn resource_policy<B>(
        &self,
        ex: &Exchange<'_, B>,
        route: &Route,
    ) -> Result<(), RequestError> {
        if matches!(route.method.authorization, Authorization::Iam) {
            return Ok(());
        }
        check_resource_policy(&ex.ctx, &route.stage, &self.services.region)
    }

    /// Authorizes the caller by the method's authorization type; kinds this
    /// version does not enforce fail closed.
    pub(super) async fn authorize<'g, B: RequestBody>(
        &'g self,
        ex: &mut Exchange<'g, B>,
        route: &Route,
    ) -> Result<(), RequestError> {
        match &route.method.authorization {
            Authorization::None => Ok(()),
            Authorization::Lambda(authorizer) => self.by_lambda(ex, route, authorizer).await,
            Authorization::Jwt(method) => {
                ex.ctx.authorizer = Some(jwt::verify(&self.services.jwt, method, &ex.ctx)?);
                Ok(())
            }
            Authorization::Iam => self.by_signature(ex, route).await,
            Authorization::Unsupported(kind) => {
                Err(RequestError::AuthorizationUnsupported(kind.clone()))
            }
        }
    }

    /// A Lambda authorizer's verdict; keeps the usage plan key it named.
    async fn by_lambda<B>(
        &self,
        ex: &mut Exchange<'_, B>,
        route: &Route,
        authorizer: &LambdaAuthorizer,
    ) -> Result<(), RequestError> {
        let services = &self.services;
        ex.usage_key = authorize_lambda(
            authorizer,
            &services.functions,
            &services.authorizers,
            &services.region,
            &mut ex.ctx,
            &route.stage,
        )
        .await?;
        Ok(())
    }

    /// AWS_IAM: the SigV4 signature (over the body, so read first), then the
    /// signer's policies merged with the resource policy.
    async fn by_signature<'g, B: RequestBody>(
        &'g self,
        ex: &mut Exchange<'g, B>,
        route: &Route,
    ) -> Result<(), RequestError> {
        let bytes = self.body_bytes(ex).await?;
        let regions = self.signing_regions(ex.via);
        let regions: Vec<&str> = regions.iter().map(String::as_str).collect();
        let user = iam::verify(&self.services.iam, &ex.ctx, &bytes, &regions)?;
        ex.ctx.iam_caller = Some((user.access_key_id.clone(), user.arn()));
        let caller = match self.services.identities.get(&user.access_key_id) {
            Some(known) => Cow::Borrowed(known),
            None => Cow::Owned(Identity::invoke_only(&user.name)),
        };
        authorize_iam(&caller, &ex.ctx, &route.stage, &self.services.region)?;
        ex.caller = Some(caller);
        ex.body = super::exchange::Pending::Read(bytes);
        Ok(())
    }

    /// The regions an AWS_IAM signature may be scoped to: this node's; for
    /// a request an edge forwarded, also every cluster member's (the client
    /// signed for the edge it called, whose region this node cannot see).
    fn signing_regions(&self, via: Via) -> Vec<String> {
        let mut regions = vec![self.services.region.clone()];
        if let (Via::Edge, Some(cluster)) = (via, &self.services.cluster) {
            regions.extend(cluster.gossip.peers().into_iter().map(|p| p.region));
        }
        regions
    }
}
