//! Who is on the other end of a request: the client's address and whether it came over
//! HTTPS. Forwarded headers (`X-Forwarded-For`, `X-Forwarded-Proto`) are believed only
//! from the operator's trusted proxies (`--trusted-proxy CIDR`); anyone else could write
//! them. Pure.

use std::net::IpAddr;

/// A network in CIDR form: `10.0.0.0/8`, `::1/128`, or one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn parse(raw: &str) -> Result<Cidr, String> {
        let raw = raw.trim();
        let (addr, prefix) = match raw.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (raw, None),
        };
        let network: IpAddr = addr
            .parse()
            .map_err(|_| format!("{raw:?}: not an IP address or CIDR network"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{raw:?}: the prefix must be 0 to {max}"))?,
        };
        Ok(Cidr { network, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                same_prefix(u32::from(net).into(), u32::from(ip).into(), 32, self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                same_prefix(u128::from(net), u128::from(ip), 128, self.prefix)
            }
            _ => false,
        }
    }
}

/// An IPv4 address written in IPv6 (`::ffff:10.0.0.1`) is the IPv4 one.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn same_prefix(a: u128, b: u128, bits: u32, prefix: u8) -> bool {
    let shift = bits - u32::from(prefix);
    shift >= bits || (a >> shift) == (b >> shift)
}

/// The operator's reverse proxies, and what their headers may tell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Edge {
    pub trusted_proxies: Vec<Cidr>,
    /// Mark the session cookie `Secure` always (the server is reached over HTTPS only).
    pub secure_cookies: bool,
}

impl Edge {
    fn trusts(&self, ip: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|c| c.contains(ip))
    }

    /// The client's address: the peer's, unless the peer is a trusted proxy; then the
    /// last address in `X-Forwarded-For` that is not a trusted proxy (the ones before it
    /// were written by the client and prove nothing).
    pub fn client(&self, peer: Option<IpAddr>, forwarded_for: Option<&str>) -> Option<IpAddr> {
        let peer = peer.map(canonical)?;
        if !self.trusts(peer) {
            return Some(peer);
        }
        let hops = forwarded_for.unwrap_or_default().rsplit(',');
        let mut client = peer;
        for hop in hops {
            match hop.trim().parse::<IpAddr>() {
                Ok(ip) => {
                    client = canonical(ip);
                    if !self.trusts(client) {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        Some(client)
    }

    /// Whether the session cookie is `Secure`: always with `--secure-cookies`, else when a
    /// trusted proxy says the client came over HTTPS.
    pub fn https(&self, peer: Option<IpAddr>, forwarded_proto: Option<&str>) -> bool {
        self.secure_cookies
            || (peer.is_some_and(|p| self.trusts(canonical(p)))
                && forwarded_proto.is_some_and(|p| p.trim().eq_ignore_ascii_case("https")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn networks_contain_their_addresses() {
        let net = Cidr::parse("10.1.0.0/16").unwrap();
        assert!(net.contains(ip("10.1.200.3")));
        assert!(!net.contains(ip("10.2.0.1")));
        assert!(net.contains(ip("::ffff:10.1.0.9")), "IPv4 written in IPv6");
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        assert!(Cidr::parse("::1").unwrap().contains(ip("::1")));
        assert!(!Cidr::parse("::1").unwrap().contains(ip("127.0.0.1")));
        assert!(Cidr::parse("fd00::/8").unwrap().contains(ip("fd12::1")));
        for bad in ["10.0.0.0/33", "nonsense", "10.0.0.0/x", "::/129"] {
            assert!(Cidr::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn forwarded_headers_count_only_from_trusted_proxies() {
        let open = Edge::default();
        let proxied = Edge {
            trusted_proxies: vec![
                Cidr::parse("127.0.0.1").unwrap(),
                Cidr::parse("10.0.0.0/8").unwrap(),
            ],
            secure_cookies: false,
        };
        let local = Some(ip("127.0.0.1"));
        assert_eq!(
            open.client(local, Some("203.0.113.5")),
            local,
            "anyone can write it"
        );
        assert_eq!(
            proxied.client(local, Some("203.0.113.5")),
            Some(ip("203.0.113.5"))
        );
        // The client wrote the first entry itself; our proxies appended the others.
        assert_eq!(
            proxied.client(local, Some("1.2.3.4, 203.0.113.5, 10.0.0.7")),
            Some(ip("203.0.113.5"))
        );
        assert_eq!(proxied.client(local, None), local);
        assert_eq!(proxied.client(local, Some("garbage")), local);
        assert_eq!(
            proxied.client(Some(ip("198.51.100.1")), Some("203.0.113.5")),
            Some(ip("198.51.100.1")),
            "an untrusted peer's header is ignored"
        );
        assert!(!open.https(local, Some("https")));
        assert!(proxied.https(local, Some("HTTPS")));
        assert!(!proxied.https(Some(ip("198.51.100.1")), Some("https")));
        let always = Edge {
            secure_cookies: true,
            ..Edge::default()
        };
        assert!(always.https(local, None));
    }
}
