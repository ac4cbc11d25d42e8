//! Outbound webhooks: each delivery is a POST of the event's JSON, signed
//! like Stripe's (`Slotwise-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of
//! "<t>.<body>" under the endpoint's secret>`), answered 2xx within the
//! timeout or tried again later.
//!
//! Server-side request forgery: an endpoint may not point at loopback,
//! private, link-local or other non-public addresses (unless
//! `WEBHOOK_ALLOW_PRIVATE_URLS`, for development). The URL is checked when
//! registered, and every connection resolves the host again through a
//! resolver that drops such addresses, so a name that later points inside
//! (DNS rebinding) reaches nothing; redirects are not followed.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// The header a receiver verifies.
pub const SIGNATURE_HEADER: &str = "Slotwise-Signature";

/// `t=<timestamp>,v1=<signature>` for `body` sent at `timestamp`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// Whether an address is one the public internet can route to us from
/// outside: not loopback, private, link-local, shared (CGNAT), unspecified,
/// multicast, broadcast or documentation space. An IPv6 address that carries
/// an IPv4 one (mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`, NAT64
/// `64:ff9b::/96`, 6to4 `2002::/16`) is judged by the IPv4 address it
/// reaches; Teredo, NAT64 local-use and the old site-local space are refused.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if v6.is_loopback() || v6.is_unspecified() {
                return false;
            }
            let s = v6.segments();
            let o = v6.octets();
            let embedded = |at: usize| Ipv4Addr::new(o[at], o[at + 1], o[at + 2], o[at + 3]);
            // ::ffff:a.b.c.d and ::a.b.c.d
            if let Some(v4) = v6.to_ipv4() {
                return is_public(IpAddr::V4(v4));
            }
            // NAT64 (64:ff9b::/96): the IPv4 address is the last 32 bits.
            if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                return is_public(IpAddr::V4(embedded(12)));
            }
            // 6to4 (2002::/16): the IPv4 address follows the prefix.
            if s[0] == 0x2002 {
                return is_public(IpAddr::V4(embedded(2)));
            }
            !(v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] & 0xffc0) == 0xfec0
                || (s[0] == 0x64 && s[1] == 0xff9b)
                || (s[0] == 0x2001 && s[1] == 0)
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                || (s[0] == 0x0100 && s[1..4] == [0, 0, 0]))
        }
    }
}

/// Why an endpoint URL is refused, if it is.
pub async fn check_url(url: &str, allow_private: bool) -> Result<reqwest::Url, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("not a valid URL: {e}"))?;
    if !matches!(parsed.scheme(), "https" | "http") {
        return Err("the URL must be http or https".to_owned());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(
            "the URL must not carry credentials; use the signature to authenticate us".to_owned(),
        );
    }
    let host = parsed.host_str().ok_or("the URL has no host")?.to_owned();
    if url.len() > 2048 {
        return Err("the URL is longer than 2048 characters".to_owned());
    }
    if allow_private {
        return Ok(parsed);
    }
    let port = parsed.port_or_known_default().unwrap_or(443);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((host, port))
            .await
            .map_err(|_| format!("the host {host} does not resolve"))?
            .collect(),
    };
    if addrs.is_empty() || addrs.iter().any(|a| !is_public(a.ip())) {
        return Err(format!(
            "the host {host} is a loopback, private or otherwise internal address; webhook endpoints must be reachable on the public internet"
        ));
    }
    Ok(parsed)
}

/// Resolves names to their public addresses only (see the module docs).
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let found = tokio::net::lookup_host((name.as_str(), 0)).await?;
            let public: Vec<SocketAddr> = found.filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                let refused: Box<dyn std::error::Error + Send + Sync> =
                    format!("{} has no public address", name.as_str()).into();
                return Err(refused);
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The client deliveries go through.
pub fn client(timeout: Duration, allow_private: bool) -> anyhow::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        // Never through HTTP(S)_PROXY: a proxy would resolve the name itself,
        // past the public-only resolver.
        .no_proxy()
        .user_agent("Slotwise-Webhooks/1");
    if !allow_private {
        builder = builder.dns_resolver(Arc::new(PublicOnly));
    }
    Ok(builder.build()?)
}

/// What one delivery attempt got: the status code if any answer came.
pub struct Attempted {
    pub status: Option<u16>,
    pub error: Option<String>,
}

/// Where one delivery goes and what it is.
pub struct Target<'a> {
    pub url: &'a str,
    pub secret: &'a str,
    pub event_id: uuid::Uuid,
    pub topic: &'a str,
    pub attempt: i32,
}

/// POSTs `body` to the target, signed now with its secret.
pub async fn post(
    http: &reqwest::Client,
    target: Target<'_>,
    body: String,
    allow_private: bool,
) -> Attempted {
    let Target {
        url,
        secret,
        event_id,
        topic,
        attempt,
    } = target;
    // A literal IP in the URL skips the resolver: check it here, every time.
    if !allow_private && let Err(refused) = literal_ip_allowed(url) {
        return Attempted {
            status: None,
            error: Some(refused),
        };
    }
    let timestamp = chrono::Utc::now().timestamp();
    let mut traced = reqwest::header::HeaderMap::new();
    slotwise_web::otel::inject(&mut traced);
    let sent = http
        .post(url)
        .headers(traced)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, signature(secret, timestamp, &body))
        .header("Slotwise-Event-Id", event_id.to_string())
        .header("Slotwise-Event-Type", topic)
        .header("Slotwise-Delivery-Attempt", attempt.to_string())
        .body(body)
        .send()
        .await;
    match sent {
        Ok(res) if res.status().is_success() => Attempted {
            status: Some(res.status().as_u16()),
            error: None,
        },
        Ok(res) => Attempted {
            status: Some(res.status().as_u16()),
            error: Some(format!("answered {}", res.status())),
        },
        Err(e) => Attempted {
            status: None,
            error: Some(if e.is_timeout() {
                "timed out".to_owned()
            } else if e.is_connect() {
                "could not connect".to_owned()
            } else {
                "request failed".to_owned()
            }),
        },
    }
}

fn literal_ip_allowed(url: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| e.to_string())?;
    let host = parsed.host_str().unwrap_or_default();
    let Ok(ip) = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    else {
        return Ok(());
    };
    if is_public(ip) {
        Ok(())
    } else {
        Err("internal address refused".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_dot_body_as_stripe_does() {
        // Reference value: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
        let sig = signature("whsec_test", 1_700_000_000, r#"{"a":1}"#);
        let mut mac = Hmac::<Sha256>::new_from_slice(b"whsec_test").expect("key");
        mac.update(br#"1700000000.{"a":1}"#);
        let expected = hex::encode(mac.finalize().into_bytes());
        assert_eq!(sig, format!("t=1700000000,v1={expected}"));
    }

    #[test]
    fn internal_addresses_are_not_public() {
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "255.255.255.255",
            "::127.0.0.1",
            "::10.0.0.1",
            "64:ff9b::7f00:1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::1",
            "2002:7f00:1::1",
            "2002:a9fe:a9fe::1",
            "fec0::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "2001:db8::1",
            "100::1",
        ] {
            assert!(!is_public(internal.parse().expect("ip")), "{internal}");
        }
        for public in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700::1111",
            "64:ff9b::5db8:d822",
            "2002:5db8:d822::1",
        ] {
            assert!(is_public(public.parse().expect("ip")), "{public}");
        }
    }
}
