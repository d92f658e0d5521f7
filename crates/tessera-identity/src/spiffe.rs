//! SPIFFE ids as the SPIFFE-ID standard defines them: `spiffe://<trust domain>/<path>`.

/// The scheme prefix; the standard requires it in lowercase.
const SCHEME: &str = "spiffe://";
/// The standard's limit on a whole id, in bytes.
const MAX_LEN: usize = 2048;

/// Whether `name` is a valid trust domain name: lowercase letters, digits, `.`, `-`, `_`.
pub(crate) fn is_trust_domain(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

/// A valid SPIFFE id of a workload (its path is never empty).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SpiffeId<'a> {
    trust_domain: &'a str,
    /// `/`-separated, with its leading `/`.
    path: &'a str,
}

impl<'a> SpiffeId<'a> {
    /// Parses and validates `uri`; the error says which rule it breaks.
    pub(crate) fn parse(uri: &'a str) -> Result<Self, &'static str> {
        if uri.len() > MAX_LEN {
            return Err("longer than 2048 bytes");
        }
        let rest = uri
            .strip_prefix(SCHEME)
            .ok_or("scheme is not `spiffe://`")?;
        let (trust_domain, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if !is_trust_domain(trust_domain) {
            return Err("trust domain is not lowercase letters, digits, `.`, `-` and `_`");
        }
        if path.is_empty() {
            return Err("no workload path");
        }
        for segment in path.split('/').skip(1) {
            if segment.is_empty() {
                return Err("empty path segment");
            }
            if segment == "." || segment == ".." {
                return Err("`.` or `..` path segment");
            }
            if !segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
            {
                return Err("path is not letters, digits, `.`, `-` and `_` between `/`");
            }
        }
        Ok(Self { trust_domain, path })
    }

    /// The trust domain, e.g. `example.org`.
    pub(crate) fn trust_domain(&self) -> &'a str {
        self.trust_domain
    }

    /// The workload path without its leading `/`, e.g. `ns/prod/sa/api`.
    pub(crate) fn path(&self) -> &'a str {
        self.path.trim_start_matches('/')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_ids_split_into_trust_domain_and_path() {
        let id = SpiffeId::parse("spiffe://prod.example.org/ns/web/sa/api-v2.1").unwrap();
        assert_eq!(id.trust_domain(), "prod.example.org");
        assert_eq!(id.path(), "ns/web/sa/api-v2.1");
    }

    #[test]
    fn ids_breaking_the_standard_are_refused() {
        let long = format!("spiffe://td/{}", "a".repeat(MAX_LEN));
        for uri in [
            "https://example.org/ns/web",
            "SPIFFE://example.org/web",
            "spiffe:///web",
            "spiffe://Example.org/web",
            "spiffe://example.org:443/web",
            "spiffe://user@example.org/web",
            "spiffe://example.org",
            "spiffe://example.org/",
            "spiffe://example.org/web/",
            "spiffe://example.org//web",
            "spiffe://example.org/ns/../admin",
            "spiffe://example.org/web?x=1",
            "spiffe://example.org/web#frag",
            "spiffe://example.org/w%20b",
            long.as_str(),
        ] {
            assert!(SpiffeId::parse(uri).is_err(), "{uri}");
        }
    }
}
