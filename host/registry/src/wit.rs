//! Which `switchboard:channel` WIT versions the caller's runtime can run.
//!
//! The registry does not link against the runtime, so the caller passes the runtime's
//! list in. The rule matches the runtime's: a component built against `wit` runs on a
//! host supporting `host` when both are on the same release line (same major; for 0.x,
//! same major and minor) and `wit` is no newer than `host`, because a newer patch may
//! import functions the host does not provide.

use std::fmt;

use semver::Version;

/// The WIT versions a host supports: the newest supported version of each release line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitSupport {
    /// One entry per supported release line, e.g. `[0.1.0]`.
    pub supported: Vec<Version>,
}

impl WitSupport {
    /// Whether a component built against `wit` can run on this host.
    pub fn is_compatible(&self, wit: &Version) -> bool {
        self.supported
            .iter()
            .any(|host| same_line(host, wit) && wit <= host)
    }
}

fn same_line(host: &Version, wit: &Version) -> bool {
    if host.major == 0 {
        wit.major == 0 && wit.minor == host.minor
    } else {
        wit.major == host.major
    }
}

/// The supported range as an operator reads it, e.g. `0.1.x (up to 0.1.2)`.
impl fmt::Display for WitSupport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.supported.is_empty() {
            return f.write_str("no switchboard:channel version");
        }
        for (i, host) in self.supported.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            if host.major == 0 {
                write!(f, "0.{}.x (up to {host})", host.minor)?;
            } else {
                write!(f, "{}.x (up to {host})", host.major)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        Version::parse(text).expect("test version")
    }

    #[test]
    fn zero_x_lines_are_split_by_minor_and_capped_by_patch() {
        let host = WitSupport {
            supported: vec![v("0.1.2")],
        };
        assert!(host.is_compatible(&v("0.1.0")));
        assert!(host.is_compatible(&v("0.1.2")));
        assert!(
            !host.is_compatible(&v("0.1.3")),
            "newer patch may import more"
        );
        assert!(!host.is_compatible(&v("0.2.0")));
        assert!(!host.is_compatible(&v("0.0.9")));
    }

    #[test]
    fn stable_lines_are_split_by_major() {
        let host = WitSupport {
            supported: vec![v("1.4.0"), v("2.0.1")],
        };
        assert!(host.is_compatible(&v("1.0.0")));
        assert!(host.is_compatible(&v("1.4.0")));
        assert!(!host.is_compatible(&v("1.5.0")));
        assert!(host.is_compatible(&v("2.0.0")));
        assert!(!host.is_compatible(&v("3.0.0")));
        assert_eq!(host.to_string(), "1.x (up to 1.4.0), 2.x (up to 2.0.1)");
    }
}
