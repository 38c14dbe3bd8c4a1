//! The ResponseURL allow-list and its redaction.

use std::fmt;
use std::net::IpAddr;

use http::Uri;

use crate::error::Error;

/// Environment variable adding hosts (`host` or `host:port`, comma-separated) to the allow-list.
pub const ALLOWED_HOSTS_ENV: &str = "CR_ALLOWED_RESPONSE_HOSTS";

const AWS_DOMAINS: [&str; 2] = ["amazonaws.com", "amazonaws.com.cn"];

/// Which ResponseURLs may receive a response.
///
/// By default only `https` URLs under `amazonaws.com` or `amazonaws.com.cn`.
/// Extra hosts come from [`ALLOWED_HOSTS_ENV`]; plain `http` only for loopback hosts listed there.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AllowList {
    extra: Vec<HostRule>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct HostRule {
    host: String,
    port: Option<u16>,
}

impl AllowList {
    /// The default list plus the hosts in [`ALLOWED_HOSTS_ENV`].
    pub fn from_env() -> Self {
        Self::with_extra_hosts(&std::env::var(ALLOWED_HOSTS_ENV).unwrap_or_default())
    }

    /// The default list plus `hosts` (comma-separated `host` or `host:port`).
    pub fn with_extra_hosts(hosts: &str) -> Self {
        let extra = hosts
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| match entry.rsplit_once(':') {
                Some((host, port)) if !host.contains(':') || host.ends_with(']') => {
                    match port.parse() {
                        Ok(port) => HostRule {
                            host: normalize_host(host),
                            port: Some(port),
                        },
                        Err(_) => HostRule {
                            host: normalize_host(entry),
                            port: None,
                        },
                    }
                }
                _ => HostRule {
                    host: normalize_host(entry),
                    port: None,
                },
            })
            .collect();
        Self { extra }
    }

    fn lists(&self, host: &str, port: Option<u16>) -> bool {
        self.extra
            .iter()
            .any(|rule| rule.host == host && (rule.port.is_none() || rule.port == port))
    }
}

fn normalize_host(host: &str) -> String {
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase()
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn is_aws_host(host: &str) -> bool {
    AWS_DOMAINS
        .iter()
        .any(|domain| host == *domain || host.ends_with(&format!(".{domain}")))
}

/// A ResponseURL that passed the allow-list. Its query string is a credential:
/// `Display` and `Debug` show only scheme, host, port and path.
#[derive(Clone)]
pub struct ResponseUrl {
    uri: Uri,
    shown: String,
}

impl ResponseUrl {
    /// Parses and checks `raw` against `allow`.
    pub fn parse(raw: &str, allow: &AllowList) -> Result<Self, Error> {
        let uri: Uri = raw
            .parse()
            .map_err(|error| Error::UnusableResponseUrl(format!("not a URL ({error})")))?;
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            return Err(Error::UnusableResponseUrl(
                "not an absolute URL with a host".into(),
            ));
        };
        let host = normalize_host(authority.host());
        if host.is_empty() {
            return Err(Error::UnusableResponseUrl("the URL has no host".into()));
        }
        let port = authority.port_u16().or(match scheme {
            "https" => Some(443),
            "http" => Some(80),
            _ => None,
        });
        // The authority without any user info; the path without query or fragment.
        let host_port = authority.as_str().rsplit('@').next().unwrap_or_default();
        let shown = format!("{scheme}://{host_port}{}", uri.path());
        if authority.as_str().contains('@') {
            return Err(Error::UnusableResponseUrl(format!(
                "{shown} carries credentials"
            )));
        }
        let allowed = match scheme {
            "https" => is_aws_host(&host) || allow.lists(&host, port),
            "http" => is_loopback(&host) && allow.lists(&host, port),
            _ => false,
        };
        if allowed {
            Ok(Self { uri, shown })
        } else {
            Err(Error::UnusableResponseUrl(format!(
                "{shown} is not allowed (https under amazonaws.com, or a host listed in {ALLOWED_HOSTS_ENV})"
            )))
        }
    }

    /// The URL without its query string or fragment, safe to log.
    pub fn redacted(&self) -> String {
        self.shown.clone()
    }

    /// The full URL, for the PUT only.
    pub(crate) fn uri(&self) -> &Uri {
        &self.uri
    }
}

impl fmt::Display for ResponseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl fmt::Debug for ResponseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResponseUrl({})", self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S3: &str = "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/path?X-Amz-Signature=secret";

    fn ok(url: &str, extra: &str) -> bool {
        ResponseUrl::parse(url, &AllowList::with_extra_hosts(extra)).is_ok()
    }

    #[test]
    fn https_under_amazonaws_is_allowed_by_default() {
        assert!(ok(S3, ""));
        assert!(ok(
            "https://bucket.s3.cn-north-1.amazonaws.com.cn/p?x=1",
            ""
        ));
    }

    #[test]
    fn other_hosts_and_lookalikes_are_refused_by_default() {
        assert!(!ok("https://example.com/p", ""));
        assert!(!ok("https://amazonaws.com.evil.example/p", ""));
        assert!(!ok("https://evilamazonaws.com/p", ""));
        assert!(!ok("http://bucket.s3.amazonaws.com/p", ""));
        assert!(!ok("ftp://bucket.s3.amazonaws.com/p", ""));
        assert!(!ok("https://user:pw@bucket.s3.amazonaws.com/p", ""));
        assert!(!ok("not a url", ""));
    }

    #[test]
    fn plain_http_only_for_listed_loopback_hosts() {
        assert!(!ok("http://127.0.0.1:8080/p", ""));
        assert!(ok("http://127.0.0.1:8080/p", "127.0.0.1:8080"));
        assert!(ok("http://127.0.0.1:9999/p", "127.0.0.1"));
        assert!(!ok("http://127.0.0.1:9999/p", "127.0.0.1:8080"));
        assert!(ok("http://localhost:1/p", "localhost"));
        assert!(ok("http://[::1]:8080/p", "[::1]:8080"));
        assert!(!ok("http://10.0.0.5:8080/p", "10.0.0.5:8080"));
    }

    #[test]
    fn listed_hosts_are_allowed_over_https() {
        assert!(ok(
            "https://responses.example.internal/p",
            "responses.example.internal"
        ));
        assert!(ok(
            "https://responses.example.internal:8443/p",
            " other , responses.example.internal:8443"
        ));
    }

    #[test]
    fn ports_default_by_scheme() {
        assert!(ok("http://localhost/p", "localhost:80"));
        assert!(!ok("http://localhost:8080/p", "localhost:80"));
        assert!(ok("https://responses.internal/p", "responses.internal:443"));
        assert!(ok("https://bucket.s3.amazonaws.com:443/p?x=1", ""));
    }

    #[test]
    fn relative_or_hostless_urls_are_refused() {
        assert!(!ok("/bucket/key?X-Amz-Signature=secret", ""));
        assert!(!ok("https:///p", ""));
        assert!(!ok("", ""));
    }

    #[test]
    fn redaction_drops_the_query_string() {
        let url = ResponseUrl::parse(S3, &AllowList::default()).unwrap();
        for shown in [url.redacted(), url.to_string(), format!("{url:?}")] {
            assert!(!shown.contains("secret"), "{shown}");
            assert!(shown.contains("s3.amazonaws.com/path"), "{shown}");
        }
    }

    #[test]
    fn refusals_never_echo_user_info() {
        let error = ResponseUrl::parse(
            "https://user:pw@bucket.s3.amazonaws.com/p",
            &AllowList::default(),
        )
        .err()
        .unwrap();
        assert!(!error.to_string().contains("pw"), "{error}");
    }

    #[test]
    fn refusals_never_echo_the_query_string() {
        let error = ResponseUrl::parse(
            "https://example.com/p?X-Amz-Signature=secret",
            &AllowList::default(),
        )
        .err()
        .unwrap();
        assert!(!error.to_string().contains("secret"), "{error}");
    }
}
