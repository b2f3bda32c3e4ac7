//! One structured access-log event per request (target `apigw::access`);
//! the binary's JSON subscriber turns each into one JSON line.

use super::context::RequestContext;

/// Emits the access-log event for a finished request.
pub fn record(ctx: &RequestContext, status: u16) {
    let stage = ctx.stage.as_ref();
    tracing::info!(
        target: "apigw::access",
        requestId = %ctx.request_id,
        ip = %ctx.source_ip,
        method = %ctx.method,
        path = %ctx.raw_path,
        status,
        latency_ms = ctx.elapsed_ms(),
        protocol = ctx.protocol,
        apiId = stage.map(|s| s.api.api_id.as_str()),
        stage = stage.map(|s| s.stage_name.as_str()),
        resourcePath = ctx.resource_path.as_deref(),
        integrationStatus = ctx.integration_status,
        integrationLatency_ms = ctx.integration_latency_ms.map(|l| l as u64),
        errorType = ctx.error.as_ref().map(|e| e.0.as_str()),
        "request"
    );
}
