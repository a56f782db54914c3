//! The operator's access policy for one instance, as `[channels.<name>.access]`
//! says it. Every default is the safe one.

use std::collections::BTreeSet;
use std::time::Duration;

/// Who may write to the bot in a direct chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DmPolicy {
    /// Unknown senders get a one-time code to give the operator, and no turn.
    #[default]
    Pairing,
    /// Only `allow_from` and approved senders.
    Allowlist,
    /// Everyone.
    Open,
    /// Nobody.
    Disabled,
}

impl DmPolicy {
    pub fn parse(text: &str) -> Option<DmPolicy> {
        Some(match text {
            "pairing" => DmPolicy::Pairing,
            "allowlist" => DmPolicy::Allowlist,
            "open" => DmPolicy::Open,
            "disabled" => DmPolicy::Disabled,
            _ => return None,
        })
    }
}

/// Which groups the bot answers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupPolicy {
    /// Only the conversations in `allow_groups`.
    #[default]
    Allowlist,
    Open,
    Disabled,
}

impl GroupPolicy {
    pub fn parse(text: &str) -> Option<GroupPolicy> {
        Some(match text {
            "allowlist" => GroupPolicy::Allowlist,
            "open" => GroupPolicy::Open,
            "disabled" => GroupPolicy::Disabled,
            _ => return None,
        })
    }
}

/// At most `count` turns per sender every `per`, refilled evenly (a token bucket).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub count: u32,
    pub per: Duration,
}

/// Why a rate is not `N/unit`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    #[error("{0:?} is not N/unit (e.g. \"20/min\")")]
    Shape(String),
    #[error("{0:?}: the count must be a whole number from 1")]
    Count(String),
    #[error("{0:?}: the unit must be s, min, h or day, optionally after a count (30s, 2h)")]
    Unit(String),
}

impl Rate {
    /// Parses `N/unit`, e.g. `20/min`.
    pub fn parse(text: &str) -> Result<Rate, RateError> {
        let (count, unit) = text
            .split_once('/')
            .ok_or_else(|| RateError::Shape(text.to_owned()))?;
        let count: u32 = count
            .trim()
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| RateError::Count(text.to_owned()))?;
        // The unit may carry a count of its own: `10/30s`, `100/2h`.
        let unit = unit.trim();
        let digits = unit.len() - unit.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let (times, unit) = unit.split_at(digits);
        let times: u64 = if times.is_empty() {
            1
        } else {
            times
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| RateError::Unit(text.to_owned()))?
        };
        let secs: u64 = match unit {
            "s" | "sec" | "second" | "seconds" => 1,
            "min" | "minute" | "minutes" => 60,
            "h" | "hour" | "hours" => 3_600,
            "day" | "days" => 86_400,
            _ => return Err(RateError::Unit(text.to_owned())),
        };
        Ok(Rate {
            count,
            per: Duration::from_secs(secs.saturating_mul(times)),
        })
    }
}

/// The access policy of one instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessPolicy {
    pub dm: DmPolicy,
    /// Sender ids always admitted (as the channel reports them), also under pairing.
    pub allow_from: BTreeSet<String>,
    pub groups: GroupPolicy,
    /// Conversation ids of the groups admitted under `groups = "allowlist"`.
    pub allow_groups: BTreeSet<String>,
    /// In groups, answer only messages that mention or reply to the bot.
    pub require_mention: bool,
    /// Per sender; `None` for no limit.
    pub rate: Option<Rate>,
    /// Turns per instance per UTC day; `None` for no limit.
    pub max_turns_per_day: Option<u32>,
    pub pairing_ttl: Duration,
    /// Pending pairing codes per instance; further strangers get nothing.
    pub max_pending: u32,
    /// A conversation with this many replies within the rate's period is paused: a
    /// reply loop with another bot, most likely. `None` for no bound.
    pub reply_burst: Option<Rate>,
}

impl Default for AccessPolicy {
    fn default() -> Self {
        AccessPolicy {
            dm: DmPolicy::Pairing,
            allow_from: BTreeSet::new(),
            groups: GroupPolicy::Allowlist,
            allow_groups: BTreeSet::new(),
            require_mention: true,
            rate: Some(Rate {
                count: 20,
                per: Duration::from_secs(60),
            }),
            max_turns_per_day: Some(2_000),
            pairing_ttl: Duration::from_secs(60 * 60),
            max_pending: 10,
            reply_burst: Some(Rate {
                count: 10,
                per: Duration::from_secs(30),
            }),
        }
    }
}

impl AccessPolicy {
    /// Everyone may talk to the agent, without limits: what the daemon's own tests
    /// and benchmarks use, never a default.
    pub fn open() -> AccessPolicy {
        AccessPolicy {
            dm: DmPolicy::Open,
            groups: GroupPolicy::Open,
            require_mention: false,
            rate: None,
            max_turns_per_day: None,
            reply_burst: None,
            ..AccessPolicy::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_n_per_unit_and_anything_else_says_what_is_wrong() {
        assert_eq!(
            Rate::parse("20/min"),
            Ok(Rate {
                count: 20,
                per: Duration::from_secs(60)
            })
        );
        assert_eq!(
            Rate::parse("1/day").unwrap().per,
            Duration::from_secs(86_400)
        );
        assert!(matches!(
            Rate::parse("20/fortnight"),
            Err(RateError::Unit(_))
        ));
        assert!(matches!(Rate::parse("0/min"), Err(RateError::Count(_))));
        assert!(matches!(Rate::parse("many/min"), Err(RateError::Count(_))));
        assert!(matches!(Rate::parse("20"), Err(RateError::Shape(_))));
        assert_eq!(Rate::parse("10/30s").unwrap().per, Duration::from_secs(30));
        assert_eq!(
            Rate::parse("100/2h").unwrap().per,
            Duration::from_secs(7_200)
        );
        assert!(matches!(Rate::parse("10/0s"), Err(RateError::Unit(_))));
    }
}
