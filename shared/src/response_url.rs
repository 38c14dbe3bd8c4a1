//! The ResponseURL allow-list and its redaction.

use std::fmt;
use std::net::IpAddr;

use http::Uri;

use crate::error::Error;

/// Environment variable adding hosts (`host` or `host:port`, comma-separated) to the allow-list.
pub(crate) const ALLOWED_HOSTS_ENV: &str = "CR_ALLOWED_RESPONSE_HOSTS";

/// The DNS suffixes of S3 in the partitions the template supports: `aws` and
/// `aws-us-gov` (`amazonaws.com`), `aws-cn` (`amazonaws.com.cn`).
const S3_DOMAINS: [&str; 2] = [".amazonaws.com.cn", ".amazonaws.com"];

/// Which ResponseURLs may receive a response.
///
/// "Custom resources must send responses to a presigned Amazon S3 URL"
/// (AWS::CloudFormation::CustomResource): CloudFormation's ResponseURL is one (bucket
/// `cloudformation-custom-resource-response-<region>`, virtual-hosted on the global,
/// the dot-regional or the legacy dash-regional endpoint). By default only `https` on
/// port 443 to an S3 endpoint host is accepted: any other `*.amazonaws.com` host (an API
/// Gateway, a Lambda function URL) could be someone's collector.
/// Extra hosts come from [`ALLOWED_HOSTS_ENV`]; plain `http` only for loopback hosts listed there.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct AllowList {
    extra: Vec<HostRule>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct HostRule {
    host: String,
    port: Option<u16>,
}

impl AllowList {
    /// The default list plus the hosts in [`ALLOWED_HOSTS_ENV`].
    pub(crate) fn from_env() -> Self {
        Self::with_extra_hosts(&std::env::var(ALLOWED_HOSTS_ENV).unwrap_or_default())
    }

    /// The default list plus `hosts` (comma-separated `host` or `host:port`).
    pub(crate) fn with_extra_hosts(hosts: &str) -> Self {
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

/// Whether `host` is an S3 endpoint, virtual-hosted (`<bucket>.s3…`) or path-style
/// (`s3…`): `s3`, `s3.<region>`, `s3-<region>` (the legacy dash form), `s3-external-1`,
/// `s3.dualstack.<region>`, `s3-fips.<region>` or `s3-fips.dualstack.<region>`, under
/// [`S3_DOMAINS`]. (S3 User Guide, "Virtual hosting of buckets": "some older Amazon S3
/// Regions also support S3 dash Region endpoints s3-Region".)
fn is_s3_host(host: &str) -> bool {
    let Some(name) = S3_DOMAINS
        .iter()
        .find_map(|domain| host.strip_suffix(domain))
    else {
        return false;
    };
    let labels: Vec<&str> = name.split('.').collect();
    let endpoint_len = match labels.as_slice() {
        [.., "s3" | "s3-fips", "dualstack", region] if is_region(region) => 3,
        [.., "s3" | "s3-fips", region] if is_region(region) => 2,
        [.., "s3" | "s3-external-1"] => 1,
        [.., label] if label.strip_prefix("s3-").is_some_and(is_region) => 1,
        _ => return false,
    };
    let bucket = &labels[..labels.len() - endpoint_len];
    bucket.iter().all(|label| {
        !label.is_empty()
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    })
}

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-northwest-1`, `ap-southeast-5`…
fn is_region(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    match parts.as_slice() {
        [country, middle @ .., number] => {
            country.len() == 2
                && country.bytes().all(|b| b.is_ascii_lowercase())
                && !middle.is_empty()
                && middle
                    .iter()
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
                && !number.is_empty()
                && number.bytes().all(|b| b.is_ascii_digit())
        }
        _ => false,
    }
}

/// A ResponseURL that passed the allow-list. Its query string is a credential:
/// `Display` and `Debug` show only scheme, host, port and path.
#[derive(Clone)]
pub(crate) struct ResponseUrl {
    uri: Uri,
    shown: String,
}

impl ResponseUrl {
    /// Parses and checks `raw` against `allow`.
    pub(crate) fn parse(raw: &str, allow: &AllowList) -> Result<Self, Error> {
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
            "https" => (is_s3_host(&host) && port == Some(443)) || allow.lists(&host, port),
            "http" => is_loopback(&host) && allow.lists(&host, port),
            _ => false,
        };
        if allowed {
            Ok(Self { uri, shown })
        } else {
            Err(Error::UnusableResponseUrl(format!(
                "{shown} is not allowed (https on port 443 to an S3 endpoint, or a host listed in {ALLOWED_HOSTS_ENV})"
            )))
        }
    }

    /// The URL without its query string or fragment, safe to log.
    pub(crate) fn redacted(&self) -> String {
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
    fn https_to_s3_in_every_supported_partition_is_allowed_by_default() {
        for url in [
            S3,
            "https://cloudformation-custom-resource-response-uswest2.s3-us-west-2.amazonaws.com/p?x=1",
            "https://cloudformation-custom-resource-response-useast2.s3.us-east-2.amazonaws.com/p",
            "https://cloudformation-custom-resource-response-cnnorth1.s3.cn-north-1.amazonaws.com.cn/p",
            "https://cloudformation-custom-resource-response-usgovwest1.s3-us-gov-west-1.amazonaws.com/p",
            "https://cloudformation-custom-resource-response-usgoveast1.s3.us-gov-east-1.amazonaws.com/p",
            "https://bucket.s3-fips.us-gov-west-1.amazonaws.com/p",
            "https://bucket.s3.dualstack.eu-central-1.amazonaws.com/p",
            "https://s3.us-east-1.amazonaws.com/bucket/p",
            "https://s3.amazonaws.com/bucket/p",
            "https://bucket.s3.amazonaws.com:443/p",
        ] {
            assert!(ok(url, ""), "{url}");
        }
    }

    #[test]
    fn other_amazonaws_hosts_and_other_ports_are_refused_by_default() {
        for url in [
            // Anyone can own one of these: an API Gateway, a function URL, a website.
            "https://abc123.execute-api.us-east-1.amazonaws.com/p",
            "https://abc123.lambda-url.us-east-1.on.aws/p",
            "https://x.lambda-url.us-east-1.amazonaws.com/p",
            "https://bucket.s3-website-us-east-1.amazonaws.com/p",
            "https://bucket.s3-website.us-east-1.amazonaws.com/p",
            "https://sqs.us-east-1.amazonaws.com/p",
            "https://amazonaws.com/p",
            "https://s3.amazonaws.com.evil.example/p",
            "https://bucket.s3.amazonaws.com:8443/p",
            "https://bucket.s3.us-east-1.amazonaws.com:80/p",
            "https://bucket.s3.not-a-region.amazonaws.com/p",
            "https://bucket.s3-accesspoint.us-east-1.amazonaws.com/p",
        ] {
            assert!(!ok(url, ""), "{url}");
        }
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
        assert!(!ok("https://bucket.s3.amazonaws.com:444/p?x=1", ""));
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
