//! The routing table of custom domain names: for each domain its base path
//! mappings, longest first, and the APIs whose default endpoint
//! (`{api}.execute-api.*`, `/restapis/...`) is closed
//! (`disableExecuteApiEndpoint`). Built from the store on every change and
//! swapped in whole; the data plane reads it without a lock.

use std::collections::{HashMap, HashSet};

/// The key AWS uses for the empty base path.
pub const NO_BASE_PATH: &str = "(none)";

/// One base path mapping as served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// The base path without slashes (`v1/orders`); empty for `(none)`.
    pub base: String,
    /// How AWS names it in `$context.customDomain.basePathMatched`
    /// (`v1/orders`, or `(none)`).
    pub matched: String,
    pub api_id: String,
    /// `None`: the first path segment after the base path names the stage.
    pub stage: Option<String>,
}

impl Mapping {
    /// A mapping from its stored key (`(none)` or `v1/orders`).
    pub fn new(key: &str, api_id: &str, stage: Option<&str>) -> Mapping {
        let base = match key.trim_matches('/') {
            NO_BASE_PATH => String::new(),
            other => other.to_string(),
        };
        Mapping {
            matched: if base.is_empty() {
                NO_BASE_PATH.to_string()
            } else {
                base.clone()
            },
            base,
            api_id: api_id.to_string(),
            stage: stage.map(str::to_string),
        }
    }

    /// The rest of `path` (starting with `/`, or empty) when the mapping's
    /// base path is `path`'s first whole segments.
    fn strip<'p>(&self, path: &'p str) -> Option<&'p str> {
        if self.base.is_empty() {
            return Some(path);
        }
        let rest = path.strip_prefix('/')?.strip_prefix(self.base.as_str())?;
        (rest.is_empty() || rest.starts_with('/')).then_some(rest)
    }

    fn depth(&self) -> usize {
        if self.base.is_empty() {
            0
        } else {
            self.base.split('/').count()
        }
    }
}

/// Where a request to a custom domain leads.
#[derive(Debug, PartialEq, Eq)]
pub struct Routed<'a> {
    pub api_id: &'a str,
    pub stage: &'a str,
    /// The path inside the stage (`/` for its root).
    pub path: &'a str,
    /// `$context.customDomain.basePathMatched`.
    pub base_path_matched: &'a str,
}

/// Every domain's mappings, and the APIs with a closed default endpoint.
#[derive(Debug, Default)]
pub struct DomainTable {
    domains: HashMap<String, Vec<Mapping>>,
    closed_apis: HashSet<String>,
}

impl DomainTable {
    /// Adds a domain (lower case) and its mappings.
    pub fn insert(&mut self, domain: &str, mut mappings: Vec<Mapping>) {
        // Longest base path first: the first that fits is the longest match.
        mappings.sort_by(|a, b| b.depth().cmp(&a.depth()).then(a.base.cmp(&b.base)));
        self.domains.insert(domain.to_ascii_lowercase(), mappings);
    }

    /// Closes an API's default endpoint.
    pub fn close_default_endpoint(&mut self, api_id: &str) {
        self.closed_apis.insert(api_id.to_string());
    }

    /// Whether `{api}.execute-api.*` and `/restapis/{api}/...` are closed.
    pub fn default_endpoint_closed(&self, api_id: &str) -> bool {
        self.closed_apis.contains(api_id)
    }

    /// Whether `host` (lower case, no port) is a custom domain here, exactly
    /// or under a wildcard domain (`*.example.com`).
    pub fn is_domain(&self, host: &str) -> bool {
        self.mappings_of(host).is_some()
    }

    fn mappings_of(&self, host: &str) -> Option<&Vec<Mapping>> {
        self.domains.get(host).or_else(|| {
            let (_, parent) = host.split_once('.')?;
            self.domains.get(&format!("*.{parent}"))
        })
    }

    /// Routes `path` on custom domain `host`: `None` when `host` is not a
    /// custom domain, `Some(None)` when it is but no mapping takes the path
    /// (AWS answers 403 `Forbidden`).
    pub fn route<'a>(&'a self, host: &str, path: &'a str) -> Option<Option<Routed<'a>>> {
        let mappings = self.mappings_of(host)?;
        Some(mappings.iter().find_map(|m| {
            let rest = m.strip(path)?;
            let (stage, inner) = match &m.stage {
                Some(stage) => (stage.as_str(), rest),
                None => {
                    let rest = rest.strip_prefix('/')?;
                    let (stage, inner) = match rest.find('/') {
                        Some(i) => (&rest[..i], &rest[i..]),
                        None => (rest, ""),
                    };
                    if stage.is_empty() {
                        return None;
                    }
                    (stage, inner)
                }
            };
            Some(Routed {
                api_id: &m.api_id,
                stage,
                path: if inner.is_empty() { "/" } else { inner },
                base_path_matched: &m.matched,
            })
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> DomainTable {
        let mut t = DomainTable::default();
        t.insert(
            "api.example.test",
            vec![
                Mapping::new("v1", "one", Some("prod")),
                Mapping::new("v1/orders", "orders", Some("live")),
                Mapping::new("(none)", "root", Some("prod")),
            ],
        );
        t.insert("*.wild.test", vec![Mapping::new("(none)", "w", None)]);
        t.insert("empty.test", vec![]);
        t
    }

    fn r<'a>(api_id: &'a str, stage: &'a str, path: &'a str, m: &'a str) -> Option<Routed<'a>> {
        Some(Routed {
            api_id,
            stage,
            path,
            base_path_matched: m,
        })
    }

    #[test]
    fn longest_base_path_wins_on_whole_segments() {
        let t = table();
        let host = "api.example.test";
        assert_eq!(
            t.route(host, "/v1/orders/big"),
            Some(r("orders", "live", "/big", "v1/orders"))
        );
        assert_eq!(
            t.route(host, "/v1/orders"),
            Some(r("orders", "live", "/", "v1/orders"))
        );
        assert_eq!(
            t.route(host, "/v1/ordersx"),
            Some(r("one", "prod", "/ordersx", "v1"))
        );
        assert_eq!(t.route(host, "/v1"), Some(r("one", "prod", "/", "v1")));
        assert_eq!(
            t.route(host, "/v2/x"),
            Some(r("root", "prod", "/v2/x", "(none)"))
        );
        assert_eq!(t.route("other.test", "/v1"), None);
    }

    #[test]
    fn no_stage_in_the_mapping_takes_it_from_the_path_and_wildcards_match_one_label() {
        let t = table();
        assert_eq!(
            t.route("a.wild.test", "/prod/pets"),
            Some(r("w", "prod", "/pets", "(none)"))
        );
        assert_eq!(t.route("a.wild.test", "/"), Some(None));
        assert_eq!(t.route("a.b.wild.test", "/prod"), None);
        assert_eq!(t.route("empty.test", "/anything"), Some(None));
        assert!(t.is_domain("empty.test"));
    }
}
