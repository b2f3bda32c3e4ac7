//! What a finished request leaves behind: the node's structured access-log
//! event (target `apigw::access`; the binary's JSON subscriber turns each
//! into one JSON line), the stage's own access log in its `$context`
//! format, and the request metrics.

use std::fmt::Write;
use std::time::Duration;

use super::context::RequestContext;
use crate::observability::access_format::{Field, LogValues};
use crate::observability::metrics::Measured;
use crate::observability::Observability;

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

/// What the answer settled.
pub struct Answered {
    pub status: u16,
    /// Body bytes, when known before it is sent.
    pub length: Option<u64>,
}

/// The stage's access-log line (if it has one) and the request metrics.
pub fn observe(obs: &Observability, ctx: &RequestContext, answered: &Answered) {
    let latency = ctx.started.elapsed();
    let Some(stage) = ctx.stage.as_ref() else {
        return;
    };
    if let Some(log) = &stage.access_log {
        let line = log.format.render(&Values {
            ctx,
            answered,
            latency,
        });
        obs.access_logs.send(&log.destination_arn, line);
    }
    let measured = Measured {
        status: answered.status,
        duration: latency,
        integration: ctx
            .integration_latency_ms
            .map(|ms| Duration::from_millis(ms as u64)),
    };
    let key = match (&ctx.resource_path, stage.method_metrics.any()) {
        (Some(resource), true) => Some(format!("{resource}/{}", ctx.method)),
        _ => None,
    };
    let key = key.filter(|k| stage.method_metrics.enabled(k));
    obs.metrics.record(
        &stage.api.api_id,
        &stage.stage_name,
        key.as_deref(),
        &measured,
    );
}

/// A finished request as a format reads it.
struct Values<'a> {
    ctx: &'a RequestContext,
    answered: &'a Answered,
    latency: Duration,
}

impl LogValues for Values<'_> {
    fn append(&self, field: &Field, line: &mut String) {
        let ctx = self.ctx;
        let mut number = |n: Option<u64>| match n {
            Some(n) => {
                let _ = write!(line, "{n}");
            }
            None => line.push('-'),
        };
        match field {
            Field::Status => number(Some(u64::from(self.answered.status))),
            Field::ResponseLength => number(self.answered.length),
            Field::ResponseLatency => number(Some(self.latency.as_millis() as u64)),
            Field::IntegrationLatency => number(ctx.integration_latency_ms.map(|l| l as u64)),
            Field::IntegrationStatus => number(ctx.integration_status.map(u64::from)),
            Field::IntegrationError => line.push('-'),
            Field::XrayTraceId => text(line, ctx.context_value("xrayTraceId").as_deref()),
            Field::Context(name) => text(line, ctx.context_value(name).as_deref()),
        }
    }
}

fn text(line: &mut String, value: Option<&str>) {
    match value {
        Some(v) if !v.is_empty() => line.push_str(v),
        _ => line.push('-'),
    }
}
