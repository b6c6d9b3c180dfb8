//! Where a tenant's webhook may connect. A URL is the tenant's choice, so it must not reach
//! the server's own network: loopback, private, link-local, multicast and the other
//! special ranges are refused, when the URL is saved and again at every connection (the
//! name may resolve elsewhere by then). `--allow-private-webhook-urls` lifts this for
//! local development and tests.

use crate::error::Error;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

/// How long resolving a host may take when a URL is saved.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// Whether the operator lets webhooks reach any address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Destinations {
    pub allow_private: bool,
}

/// Whether `ip` is an ordinary public unicast address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // shared address space (carrier NAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || first == 0x2001 && ip.segments()[1] == 0x0db8 // documentation
        || first == 0x0064 && ip.segments()[1] == 0xff9b) // NAT64, which reaches IPv4 inside
}

impl Destinations {
    /// Checks a URL when it is saved: an address in it must be public, and a name must
    /// resolve to public addresses only.
    pub async fn check(&self, url: &url::Url) -> Result<(), Error> {
        if self.allow_private {
            return Ok(());
        }
        let refused = |what: String| {
            Error::invalid(format!(
                "url: {what}; webhooks reach public addresses only (the operator can allow \
                 others with --allow-private-webhook-urls)"
            ))
        };
        let host = match url.host() {
            Some(url::Host::Ipv4(ip)) => return check_ip(IpAddr::V4(ip)).map_err(refused),
            Some(url::Host::Ipv6(ip)) => return check_ip(IpAddr::V6(ip)).map_err(refused),
            Some(url::Host::Domain(name)) => name.to_string(),
            None => return Err(Error::invalid("url: must name a host")),
        };
        let port = url.port_or_known_default().unwrap_or(443);
        let addrs = tokio::time::timeout(
            RESOLVE_TIMEOUT,
            tokio::net::lookup_host((host.as_str(), port)),
        )
        .await
        .map_err(|_| Error::invalid(format!("url: {host} did not resolve in time")))?
        .map_err(|e| Error::invalid(format!("url: {host} does not resolve: {e}")))?
        .collect::<Vec<SocketAddr>>();
        if addrs.is_empty() {
            return Err(Error::invalid(format!("url: {host} has no address")));
        }
        match addrs.iter().find(|a| !is_public(a.ip())) {
            Some(private) => Err(refused(format!("{host} resolves to {}", private.ip()))),
            None => Ok(()),
        }
    }

    /// Checks the host of a URL about to be requested: an address must be public (names are
    /// checked by [`Resolver`], which reqwest never asks about an address).
    pub fn check_literal(&self, url: &url::Url) -> Result<(), String> {
        if self.allow_private {
            return Ok(());
        }
        match url.host() {
            Some(url::Host::Ipv4(ip)) => check_ip(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => check_ip(IpAddr::V6(ip)),
            _ => Ok(()),
        }
    }
}

fn check_ip(ip: IpAddr) -> Result<(), String> {
    if is_public(ip) {
        Ok(())
    } else {
        Err(format!("{ip} is not a public address"))
    }
}

/// Resolves names for webhook requests and drops every address that is not public, so a
/// name that resolves only to private addresses cannot be connected to, whenever it is
/// asked.
pub struct Resolver;

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| is_public(a.ip()))
                .collect();
            if addrs.is_empty() {
                let why = format!("{host} resolves to no public address");
                return Err(why.into());
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_unicast_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[tokio::test]
    async fn saved_urls_on_private_addresses_are_refused_unless_allowed() {
        let strict = Destinations::default();
        for url in [
            "http://127.0.0.1:9000/hook",
            "http://[::1]/hook",
            "http://localhost/hook",
            "http://169.254.169.254/latest",
        ] {
            let url = url::Url::parse(url).unwrap();
            let err = strict.check(&url).await.unwrap_err();
            assert!(err.message.starts_with("url:"), "{}", err.message);
        }
        let url = url::Url::parse("http://127.0.0.1:9000/hook").unwrap();
        assert!(strict.check_literal(&url).is_err());
        let open = Destinations {
            allow_private: true,
        };
        assert!(open.check(&url).await.is_ok());
        assert!(open.check_literal(&url).is_ok());
    }
}
