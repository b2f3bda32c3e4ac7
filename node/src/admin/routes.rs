//! The admin listener's routes as data: (method, path template, operation,
//! access). Every route is signed (SigV4 with the admin credentials, service
//! `apigateway`) unless the table says otherwise, and so is everything the
//! table does not list: an unsigned request to an unknown path gets AWS's
//! 403 "Missing Authentication Token", never a hint of what exists.
//!
//! Only `GET /health` and `GET /ready` are open: load balancers and
//! supervisors probe them without credentials, and they tell nothing but
//! "up" and a count of stages. `GET /metrics` also takes a bearer token
//! (`admin.metrics_token`) so Prometheus can scrape it.

use http::Method;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (health and readiness probes only).
    Open,
    /// A valid SigV4 signature with the admin credentials.
    Signed,
    /// A valid signature, or `Authorization: Bearer <admin.metrics_token>`
    /// when the config sets one.
    SignedOrMetricsToken,
}

/// What a route does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Health,
    Ready,
    Metrics,
    Functions,
    ClusterView,
    PromoteMember,
    RemoveMember,
    /// AWS's FlushStageCache.
    FlushStageCache,
    /// apigw's own: a consistent copy of the store (`apigw store backup`).
    StoreBackup,
    /// apigw's own: make the store a backup's (`apigw store restore`).
    StoreRestore,
    /// The AWS-compatible management API (`crate::management`), which
    /// routes its own paths further.
    Management,
    /// The wafv2 JSON 1.1 API (`crate::wafv2`), signed for service `wafv2`.
    Wafv2,
    /// Nothing here: 404 once the caller has proven who it is.
    NotFound,
}

/// One route: `method` (`*`: any) and `template`, whose `{name}` segments
/// match one path segment and whose last `{name+}` matches the rest.
#[derive(Debug)]
pub struct Route {
    pub method: &'static str,
    pub template: &'static str,
    pub operation: Operation,
    pub access: Access,
}

impl Route {
    /// A route that needs a signature (the default: use this one).
    const fn signed(method: &'static str, template: &'static str, operation: Operation) -> Route {
        Route {
            method,
            template,
            operation,
            access: Access::Signed,
        }
    }

    /// A route anyone may call. Keep this list to probes that reveal
    /// nothing and change nothing.
    const fn open(method: &'static str, template: &'static str, operation: Operation) -> Route {
        Route {
            method,
            template,
            operation,
            access: Access::Open,
        }
    }
}

use Operation as Op;

/// The routes, first match wins.
pub static ROUTES: &[Route] = &[
    Route::open("GET", "/health", Op::Health),
    Route::open("GET", "/ready", Op::Ready),
    Route {
        method: "GET",
        template: "/metrics",
        operation: Op::Metrics,
        access: Access::SignedOrMetricsToken,
    },
    Route::signed("GET", "/functions", Op::Functions),
    Route::signed("GET", "/cluster", Op::ClusterView),
    Route::signed("POST", "/cluster/members/{id}/promote", Op::PromoteMember),
    Route::signed("DELETE", "/cluster/members/{id}", Op::RemoveMember),
    Route::signed(
        "DELETE",
        "/restapis/{restapi_id}/stages/{stage_name}/cache/data",
        Op::FlushStageCache,
    ),
    // Routes of apigw's own go here, above the management API's families;
    // with `Route::signed` they need the admin signature like everything else.
    Route::signed("GET", "/store/backup", Op::StoreBackup),
    Route::signed("POST", "/store/restore", Op::StoreRestore),
    Route::signed("*", "/restapis", Op::Management),
    Route::signed("*", "/restapis/{path+}", Op::Management),
    Route::signed("*", "/apikeys", Op::Management),
    Route::signed("*", "/apikeys/{path+}", Op::Management),
    Route::signed("*", "/usageplans", Op::Management),
    Route::signed("*", "/usageplans/{path+}", Op::Management),
    Route::signed("*", "/domainnames", Op::Management),
    Route::signed("*", "/domainnames/{path+}", Op::Management),
    Route::signed("*", "/tags/{path+}", Op::Management),
    Route::signed("*", "/account", Op::Management),
    Route::signed("*", "/v2/{path+}", Op::Management),
    Route::signed("*", "/vpclinks", Op::Management),
    Route::signed("*", "/vpclinks/{path+}", Op::Management),
    Route::signed("*", "/clientcertificates", Op::Management),
    Route::signed("*", "/clientcertificates/{path+}", Op::Management),
    Route::signed("POST", "/", Op::Wafv2),
];

/// What a request matched, with the template's parameters.
#[derive(Debug)]
pub struct Matched<'p> {
    pub operation: Operation,
    pub access: Access,
    pub params: Vec<(&'static str, &'p str)>,
}

impl Matched<'_> {
    /// A path parameter by name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| *v)
    }
}

/// The route for `method` and `path`; unknown ones are `NotFound`, signed.
pub fn find<'p>(method: &Method, path: &'p str) -> Matched<'p> {
    for route in ROUTES {
        if route.method != "*" && route.method != method.as_str() {
            continue;
        }
        if let Some(params) = match_template(route.template, path) {
            return Matched {
                operation: route.operation,
                access: route.access,
                params,
            };
        }
    }
    Matched {
        operation: Operation::NotFound,
        access: Access::Signed,
        params: Vec::new(),
    }
}

fn match_template<'p>(
    template: &'static str,
    path: &'p str,
) -> Option<Vec<(&'static str, &'p str)>> {
    let mut params = Vec::new();
    let mut rest = path.strip_prefix('/')?;
    let mut parts = template.trim_start_matches('/').split('/').peekable();
    while let Some(part) = parts.next() {
        if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix("+}")) {
            // Greedy: the rest of the path, at least one character.
            if rest.is_empty() || parts.peek().is_some() {
                return None;
            }
            params.push((name, rest));
            return Some(params);
        }
        let (segment, tail) = match rest.split_once('/') {
            Some((segment, tail)) => (segment, Some(tail)),
            None => (rest, None),
        };
        match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(name) if !segment.is_empty() => params.push((name, segment)),
            Some(_) => return None,
            None if part == segment => {}
            None => return None,
        }
        match (tail, parts.peek()) {
            (Some(tail), Some(_)) => rest = tail,
            (None, None) => return Some(params),
            _ => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_health_and_ready_are_open() {
        let open: Vec<&str> = ROUTES
            .iter()
            .filter(|r| r.access == Access::Open)
            .map(|r| r.template)
            .collect();
        assert_eq!(open, ["/health", "/ready"]);
        for (method, path) in [
            (Method::POST, "/health"),
            (Method::GET, "/health/x"),
            (Method::GET, "/nothing"),
            (Method::GET, "/"),
            (Method::PUT, "/cluster/members/2/promote"),
        ] {
            let found = find(&method, path);
            assert_eq!(found.access, Access::Signed, "{method} {path}");
            assert_eq!(found.operation, Operation::NotFound, "{method} {path}");
        }
    }

    #[test]
    fn templates_match_segments_and_greedy_tails() {
        let m = find(&Method::DELETE, "/restapis/a1/stages/prod/cache/data");
        assert_eq!(m.operation, Operation::FlushStageCache);
        assert_eq!(
            (m.param("restapi_id"), m.param("stage_name")),
            (Some("a1"), Some("prod"))
        );
        assert_eq!(
            find(&Method::DELETE, "/restapis/a1/stages/prod").operation,
            Operation::Management
        );
        let m = find(&Method::POST, "/cluster/members/3/promote");
        assert_eq!(
            (m.operation, m.param("id")),
            (Operation::PromoteMember, Some("3"))
        );
        assert_eq!(
            find(&Method::DELETE, "/cluster/members/3").operation,
            Operation::RemoveMember
        );
        assert_eq!(
            find(&Method::DELETE, "/cluster/members/").operation,
            Operation::NotFound
        );
        assert_eq!(
            find(&Method::DELETE, "/cluster/members//x").operation,
            Operation::NotFound
        );
        assert_eq!(
            find(&Method::GET, "/restapis").operation,
            Operation::Management
        );
        assert_eq!(
            find(&Method::GET, "/restapis/").operation,
            Operation::NotFound
        );
        assert_eq!(
            find(&Method::GET, "/tags/arn:aws:x").operation,
            Operation::Management
        );
        assert_eq!(
            find(&Method::GET, "/metrics").access,
            Access::SignedOrMetricsToken
        );
    }
}
