//! Which IP addresses a manifest capability may not reach.
//!
//! A channel's manifest names public APIs. Anything that lands on the host itself, the
//! local network, the cloud metadata service or a non-unicast range is off limits unless
//! the operator granted that origin explicitly.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The kind of non-public range an address falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Restricted {
    Unspecified,
    Loopback,
    Private,
    /// Includes 169.254.169.254, the cloud metadata service.
    LinkLocal,
    /// Carrier-grade NAT (100.64.0.0/10), which is a provider's private network.
    SharedAddressSpace,
    Broadcast,
    Multicast,
    Documentation,
    Reserved,
}

impl fmt::Display for Restricted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Restricted::Unspecified => "unspecified",
            Restricted::Loopback => "loopback",
            Restricted::Private => "private",
            Restricted::LinkLocal => "link-local",
            Restricted::SharedAddressSpace => "shared (carrier-grade NAT)",
            Restricted::Broadcast => "broadcast",
            Restricted::Multicast => "multicast",
            Restricted::Documentation => "documentation",
            Restricted::Reserved => "reserved",
        })
    }
}

/// `None` for a public unicast address, else the range that rules it out.
pub(crate) fn classify(ip: IpAddr) -> Option<Restricted> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<Restricted> {
    let [a, b, c, _] = ip.octets();
    let class = match (a, b, c) {
        // 0.0.0.0/8 means "this host" to most stacks, so it reaches local services.
        (0, _, _) => Restricted::Unspecified,
        (127, _, _) => Restricted::Loopback,
        (10, _, _) | (172, 16..=31, _) | (192, 168, _) => Restricted::Private,
        (169, 254, _) => Restricted::LinkLocal,
        (100, 64..=127, _) => Restricted::SharedAddressSpace,
        (255, 255, 255) if ip == Ipv4Addr::BROADCAST => Restricted::Broadcast,
        (224..=239, _, _) => Restricted::Multicast,
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => Restricted::Documentation,
        // IETF protocol assignments, benchmarking, and the former class E.
        (192, 0, 0) | (198, 18..=19, _) | (240..=255, _, _) => Restricted::Reserved,
        _ => return None,
    };
    Some(class)
}

fn classify_v6(ip: Ipv6Addr) -> Option<Restricted> {
    if ip.is_unspecified() {
        return Some(Restricted::Unspecified);
    }
    if ip.is_loopback() {
        return Some(Restricted::Loopback);
    }
    // An IPv4-mapped address is the IPv4 address as far as the socket is concerned.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    let s = ip.segments();
    let class = match s[0] {
        // NAT64 (64:ff9b::/96) reaches the embedded IPv4 address, so judge that one.
        0x0064 if s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] => {
            return classify_v4(embedded_v4(s[6], s[7]));
        }
        // Local-use NAT64 (64:ff9b:1::/48) translates into a private network.
        0x0064 if s[1] == 0xff9b && s[2] == 1 => Restricted::Private,
        // 6to4 (2002::/16) tunnels to the IPv4 address in bits 16..48.
        0x2002 => return classify_v4(embedded_v4(s[1], s[2])),
        // The rest of ::/96 is the deprecated IPv4-compatible form; nothing public uses it.
        0 if s[1..6] == [0, 0, 0, 0, 0] => Restricted::Reserved,
        0x0100 if s[1..4] == [0, 0, 0] => Restricted::Reserved,
        0x2001 if s[1] == 0x0db8 => Restricted::Documentation,
        x if x & 0xfe00 == 0xfc00 => Restricted::Private,
        // fec0::/10 is the deprecated site-local range, private in practice.
        x if x & 0xffc0 == 0xfec0 => Restricted::Private,
        x if x & 0xffc0 == 0xfe80 => Restricted::LinkLocal,
        x if x & 0xff00 == 0xff00 => Restricted::Multicast,
        _ => return None,
    };
    Some(class)
}

fn embedded_v4(high: u16, low: u16) -> Ipv4Addr {
    let [a, b] = high.to_be_bytes();
    let [c, d] = low.to_be_bytes();
    Ipv4Addr::new(a, b, c, d)
}

/// A destination a manifest capability may not reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RestrictedAddress {
    /// The host as written in the URL.
    pub(crate) host: String,
    pub(crate) addr: IpAddr,
    pub(crate) class: Restricted,
}

impl fmt::Display for RestrictedAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let addr = self.addr.to_string();
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        if host == addr {
            write!(f, "{addr} is a {} address", self.class)?;
        } else {
            write!(
                f,
                "{} resolves to {addr}, a {} address",
                self.host, self.class
            )?;
        }
        f.write_str(" that only an operator grant may reach")
    }
}

impl std::error::Error for RestrictedAddress {}

/// Checks one address for `host`.
pub(crate) fn check(host: &str, addr: IpAddr) -> Result<(), RestrictedAddress> {
    match classify(addr) {
        None => Ok(()),
        Some(class) => Err(RestrictedAddress {
            host: host.to_owned(),
            addr,
            class,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(text: &str) -> Option<Restricted> {
        classify(text.parse().expect("test address"))
    }

    #[test]
    fn public_addresses_pass() {
        for ok in [
            "8.8.8.8",
            "149.154.167.220",
            "172.32.0.1",
            "100.128.0.1",
            "192.169.1.1",
            "2606:4700:4700::1111",
            "2a00:1450:4001:82b::200e",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert_eq!(class(ok), None, "{ok}");
        }
    }

    #[test]
    fn ipv4_restricted_ranges() {
        use Restricted::*;
        let cases = [
            ("0.0.0.0", Unspecified),
            ("0.1.2.3", Unspecified),
            ("127.0.0.1", Loopback),
            ("127.255.255.254", Loopback),
            ("10.0.0.1", Private),
            ("172.16.0.1", Private),
            ("172.31.255.255", Private),
            ("192.168.1.1", Private),
            ("169.254.169.254", LinkLocal),
            ("169.254.0.1", LinkLocal),
            ("100.64.0.1", SharedAddressSpace),
            ("100.127.255.255", SharedAddressSpace),
            ("255.255.255.255", Broadcast),
            ("224.0.0.1", Multicast),
            ("239.255.255.250", Multicast),
            ("192.0.2.1", Documentation),
            ("198.18.0.1", Reserved),
            ("240.0.0.1", Reserved),
        ];
        for (text, expected) in cases {
            assert_eq!(class(text), Some(expected), "{text}");
        }
    }

    #[test]
    fn ipv6_restricted_ranges() {
        use Restricted::*;
        let cases = [
            ("::", Unspecified),
            ("::1", Loopback),
            ("fc00::1", Private),
            ("fd12:3456::1", Private),
            ("fe80::1", LinkLocal),
            ("febf::1", LinkLocal),
            ("fec0::1", Private),
            ("ff02::1", Multicast),
            ("2001:db8::1", Documentation),
            ("::7f00:1", Reserved),
            ("64:ff9b:1::1", Private),
        ];
        for (text, expected) in cases {
            assert_eq!(class(text), Some(expected), "{text}");
        }
    }

    #[test]
    fn ipv4_mapped_and_embedded_forms_are_judged_by_their_ipv4_address() {
        use Restricted::*;
        let cases = [
            ("::ffff:127.0.0.1", Loopback),
            ("::ffff:7f00:1", Loopback),
            ("::ffff:169.254.169.254", LinkLocal),
            ("::ffff:10.1.2.3", Private),
            ("::ffff:0.0.0.0", Unspecified),
            ("64:ff9b::a9fe:a9fe", LinkLocal),
            ("64:ff9b::127.0.0.1", Loopback),
            ("2002:c0a8:0101::1", Private),
        ];
        for (text, expected) in cases {
            assert_eq!(class(text), Some(expected), "{text}");
        }
        assert_eq!(class("::ffff:8.8.8.8"), None);
    }

    #[test]
    fn refusal_names_the_host_and_the_range() {
        let metadata: IpAddr = "169.254.169.254".parse().expect("address");
        let literal = check("169.254.169.254", metadata).expect_err("metadata is restricted");
        assert_eq!(
            literal.to_string(),
            "169.254.169.254 is a link-local address that only an operator grant may reach"
        );
        let loopback: IpAddr = "::1".parse().expect("address");
        let named = check("localhost", loopback).expect_err("loopback is restricted");
        assert_eq!(
            named.to_string(),
            "localhost resolves to ::1, a loopback address that only an operator grant may reach"
        );
        assert!(
            check("[::1]", loopback)
                .expect_err("restricted")
                .to_string()
                .starts_with("::1 is")
        );
    }
}
