//! The route table of one deployment: resource path templates compiled into
//! a tree, matched per request without allocation beyond the parameters.
//!
//! Precedence at each segment, as API Gateway does it: a literal segment,
//! then a `{param}`, then a greedy `{proxy+}` (which takes one or more
//! segments). A branch that ends without a resource is backtracked, and so
//! is one whose resource the caller refuses ([`Router::find_where`]: a
//! resource without the request's method falls through to a `{param}` or
//! `{proxy+}` sibling that has it, as on AWS).

use std::collections::HashMap;

/// A compiled route tree holding one `T` per resource.
#[derive(Debug)]
pub struct Router<T> {
    root: Node,
    entries: Vec<T>,
}

#[derive(Debug, Default)]
struct Node {
    literal: HashMap<Box<str>, Node>,
    param: Option<(Box<str>, Box<Node>)>,
    greedy: Option<(Box<str>, usize)>,
    entry: Option<usize>,
}

/// A match: the resource's value and its path parameters, raw.
#[derive(Debug)]
pub struct Matched<'r, 'p, T> {
    pub value: &'r T,
    pub params: Vec<(&'r str, &'p str)>,
}

impl<T> Default for Router<T> {
    fn default() -> Self {
        Router {
            root: Node::default(),
            entries: Vec::new(),
        }
    }
}

impl<T> Router<T> {
    /// Adds a resource path (`/pets/{petId}`, `/{proxy+}`, `/`).
    pub fn insert(&mut self, path: &str, value: T) {
        let index = self.entries.len();
        self.entries.push(value);
        let mut node = &mut self.root;
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            if let Some(inner) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                if let Some(name) = inner.strip_suffix('+') {
                    node.greedy = Some((name.into(), index));
                    return;
                }
                let (_, child) = node
                    .param
                    .get_or_insert_with(|| (inner.into(), Box::default()));
                node = child;
            } else {
                node = node.literal.entry(segment.into()).or_default();
            }
        }
        node.entry = Some(index);
    }

    /// Finds the resource for a request path (raw, still percent-encoded).
    /// Parameter values are returned raw; a greedy parameter takes the rest
    /// of the path as sent (inner `//` kept, a trailing `/` dropped).
    pub fn find<'p>(&self, path: &'p str) -> Option<Matched<'_, 'p, T>> {
        self.find_where(path, |_| true)
    }

    /// Like [`Router::find`], taking only resources `accept` agrees to: a
    /// refused one is backtracked like a dead branch.
    pub fn find_where<'p>(
        &self,
        path: &'p str,
        accept: impl Fn(&T) -> bool,
    ) -> Option<Matched<'_, 'p, T>> {
        let segments: Vec<(usize, &str)> = segments(path).collect();
        let mut params = Vec::new();
        let accept = |index: usize| accept(&self.entries[index]);
        let index = find_in(&self.root, path, &segments, &mut params, &accept)?;
        Some(Matched {
            value: &self.entries[index],
            params,
        })
    }

    /// The resource for a path with a method for `verb` when there is one
    /// (a sibling `{param}`/`{proxy+}` that has it wins over a literal
    /// that does not), else the resource [`Router::find`] gives.
    pub fn find_for<'p>(
        &self,
        path: &'p str,
        has_method: impl Fn(&T) -> bool,
    ) -> Option<Matched<'_, 'p, T>> {
        self.find_where(path, has_method)
            .or_else(|| self.find(path))
    }
}

/// Non-empty segments of a path with their byte offsets.
fn segments(path: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut offset = 0;
    path.split('/').filter_map(move |s| {
        let at = offset;
        offset += s.len() + 1;
        (!s.is_empty()).then_some((at, s))
    })
}

fn find_in<'r, 'p>(
    node: &'r Node,
    path: &'p str,
    segments: &[(usize, &'p str)],
    params: &mut Vec<(&'r str, &'p str)>,
    accept: &dyn Fn(usize) -> bool,
) -> Option<usize> {
    let Some(((_, first), rest)) = segments.split_first() else {
        return node.entry.filter(|i| accept(*i));
    };
    if let Some(child) = node.literal.get(*first) {
        if let Some(found) = find_in(child, path, rest, params, accept) {
            return Some(found);
        }
    }
    if let Some((name, child)) = &node.param {
        params.push((name, first));
        if let Some(found) = find_in(child, path, rest, params, accept) {
            return Some(found);
        }
        params.pop();
    }
    if let Some((name, index)) = node.greedy.as_ref().filter(|(_, i)| accept(*i)) {
        let start = segments[0].0;
        params.push((name, path[start..].trim_end_matches('/')));
        return Some(*index);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vtl::url::decode_path_component as decode;

    fn router() -> Router<&'static str> {
        let mut r = Router::default();
        for p in [
            "/",
            "/pets",
            "/pets/{petId}",
            "/pets/mine",
            "/files/{proxy+}",
            "/a/{x}/c",
            "/a/b/d",
        ] {
            r.insert(p, p);
        }
        r
    }

    fn hit(r: &Router<&'static str>, path: &str) -> Option<(&'static str, Vec<(String, String)>)> {
        r.find(path).map(|m| {
            (
                *m.value,
                m.params
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), decode(v)))
                    .collect(),
            )
        })
    }

    #[test]
    fn precedence_and_params() {
        let r = router();
        assert_eq!(hit(&r, "/").map(|h| h.0), Some("/"));
        assert_eq!(hit(&r, "/pets/").map(|h| h.0), Some("/pets"));
        assert_eq!(hit(&r, "/pets/mine").map(|h| h.0), Some("/pets/mine"));
        assert_eq!(
            hit(&r, "/pets/a%20b"),
            Some(("/pets/{petId}", vec![("petId".into(), "a b".into())]))
        );
        assert_eq!(
            hit(&r, "/files/x/y/z.txt"),
            Some((
                "/files/{proxy+}",
                vec![("proxy".into(), "x/y/z.txt".into())]
            ))
        );
        assert_eq!(hit(&r, "/files"), None, "greedy needs at least one segment");
        assert_eq!(
            hit(&r, "//files/a//b/"),
            Some(("/files/{proxy+}", vec![("proxy".into(), "a//b".into())]))
        );
        assert_eq!(hit(&r, "/nope"), None);
    }

    #[test]
    fn a_refused_resource_falls_through_to_a_sibling() {
        let mut r = Router::default();
        r.insert("/test", "POST only");
        r.insert("/{proxy+}", "OPTIONS");
        r.insert("/a/{x}", "GET");
        r.insert("/a/b", "POST only");
        let options = |v: &&str| *v == "OPTIONS";
        let get = |v: &&str| *v == "GET";
        assert_eq!(
            r.find_for("/test", options).map(|m| *m.value),
            Some("OPTIONS")
        );
        assert_eq!(r.find_for("/a/b", get).map(|m| *m.value), Some("GET"));
        let params = r.find_for("/a/b", get).map(|m| m.params);
        assert_eq!(params, Some(vec![("x", "b")]));
        // Nothing has the method: the literal resource still answers.
        assert_eq!(
            r.find_for("/test", |_| false).map(|m| *m.value),
            Some("POST only")
        );
        assert_eq!(r.find("/test").map(|m| *m.value), Some("POST only"));
    }

    #[test]
    fn backtracks_from_a_dead_literal_branch() {
        let r = router();
        assert_eq!(
            hit(&r, "/a/b/c"),
            Some(("/a/{x}/c", vec![("x".into(), "b".into())]))
        );
        assert_eq!(hit(&r, "/a/b/d").map(|h| h.0), Some("/a/b/d"));
    }
}
