//! Finding the API and stage a request is for:
//! - `Host: {api-id}.execute-api.{anything}` with path `/{stage}/{path}`;
//! - path `/restapis/{api-id}/{stage}/_user_request_/{path}` on any host.

/// The API, stage and the path inside the stage.
#[derive(Debug, PartialEq, Eq)]
pub struct Located<'a> {
    pub api_id: &'a str,
    pub stage: &'a str,
    /// Starts with `/`; `/` for the stage root.
    pub path: &'a str,
}

/// Locates a request; `None` if neither form matches.
pub fn locate<'a>(host: Option<&'a str>, path: &'a str) -> Option<Located<'a>> {
    if let Some(rest) = path.strip_prefix("/restapis/") {
        let (api_id, rest) = rest.split_once('/')?;
        let (stage, rest) = rest.split_once('/')?;
        let inner = rest.strip_prefix("_user_request_")?;
        if !(inner.is_empty() || inner.starts_with('/')) {
            return None;
        }
        return nonempty(api_id, stage, inner);
    }
    let host = host?;
    let host = host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    let (api_id, domain) = host.split_once('.')?;
    if !domain.starts_with("execute-api.") && domain != "execute-api" {
        return None;
    }
    if !path.starts_with('/') {
        return None;
    }
    // AWS tolerates extra slashes before the stage (`//prod/pets`).
    let rest = path.trim_start_matches('/');
    let (stage, inner) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    nonempty(api_id, stage, inner)
}

fn nonempty<'a>(api_id: &'a str, stage: &'a str, inner: &'a str) -> Option<Located<'a>> {
    if api_id.is_empty() || stage.is_empty() {
        return None;
    }
    Some(Located {
        api_id,
        stage,
        path: if inner.is_empty() { "/" } else { inner },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l<'a>(api_id: &'a str, stage: &'a str, path: &'a str) -> Option<Located<'a>> {
        Some(Located {
            api_id,
            stage,
            path,
        })
    }

    #[test]
    fn host_form() {
        assert_eq!(
            locate(Some("abc.execute-api.localhost:8080"), "/prod/pets/1"),
            l("abc", "prod", "/pets/1")
        );
        assert_eq!(
            locate(Some("abc.execute-api.us-east-1.amazonaws.com"), "/prod"),
            l("abc", "prod", "/")
        );
        assert_eq!(
            locate(Some("abc.execute-api.x"), "/prod/"),
            l("abc", "prod", "/")
        );
        assert_eq!(
            locate(Some("abc.execute-api.x"), "//prod/pets"),
            l("abc", "prod", "/pets")
        );
        assert_eq!(locate(Some("example.com"), "/prod/pets"), None);
        assert_eq!(locate(Some("abc.execute-api.x"), "/"), None);
    }

    #[test]
    fn path_form() {
        assert_eq!(
            locate(
                Some("localhost:8080"),
                "/restapis/abc/prod/_user_request_/pets"
            ),
            l("abc", "prod", "/pets")
        );
        assert_eq!(
            locate(None, "/restapis/abc/prod/_user_request_"),
            l("abc", "prod", "/")
        );
        assert_eq!(locate(None, "/restapis/abc/prod/_user_request_x"), None);
        assert_eq!(locate(None, "/restapis/abc/prod/pets"), None);
        assert_eq!(locate(None, "/restapis//prod/_user_request_/"), None);
    }
}
