//! `[channels.<name>.access]`: who may talk to the agent through an instance.

use std::collections::BTreeSet;
use std::time::Duration;

use serde::Deserialize;
use switchboard_daemon::{AccessPolicy, DmPolicy, GroupPolicy, Rate};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAccess {
    dm: Option<String>,
    #[serde(default)]
    allow_from: Vec<String>,
    groups: Option<String>,
    #[serde(default)]
    allow_groups: Vec<String>,
    require_mention: Option<bool>,
    /// `N/unit`, or `"none"` for no limit.
    rate: Option<String>,
    /// 0 for no limit.
    max_turns_per_day: Option<u32>,
    /// `N/period` of replies to one conversation that pauses it, or `"none"`.
    reply_burst: Option<String>,
    pairing_ttl_minutes: Option<u64>,
    max_pending: Option<u32>,
}

/// Lowers the table, naming the key of every value that is wrong.
pub(crate) fn lower(name: &str, raw: &RawAccess) -> Result<AccessPolicy, Vec<String>> {
    let key = |k: &str| format!("channels.{name}.access.{k}");
    let mut errs = Vec::new();
    let mut policy = AccessPolicy::default();
    if let Some(dm) = &raw.dm {
        match DmPolicy::parse(dm) {
            Some(dm) => policy.dm = dm,
            None => errs.push(format!(
                "{}: {dm:?} is not one of pairing, allowlist, open, disabled",
                key("dm")
            )),
        }
    }
    if let Some(groups) = &raw.groups {
        match GroupPolicy::parse(groups) {
            Some(groups) => policy.groups = groups,
            None => errs.push(format!(
                "{}: {groups:?} is not one of allowlist, open, disabled",
                key("groups")
            )),
        }
    }
    policy.allow_from = ids(&key("allow_from"), &raw.allow_from, &mut errs);
    policy.allow_groups = ids(&key("allow_groups"), &raw.allow_groups, &mut errs);
    if let Some(require) = raw.require_mention {
        policy.require_mention = require;
    }
    match raw.rate.as_deref() {
        None => {}
        Some("none") => policy.rate = None,
        Some(rate) => match Rate::parse(rate) {
            Ok(rate) => policy.rate = Some(rate),
            Err(e) => errs.push(format!("{}: {e}", key("rate"))),
        },
    }
    match raw.reply_burst.as_deref() {
        None => {}
        Some("none") => policy.reply_burst = None,
        Some(burst) => match Rate::parse(burst) {
            Ok(burst) => policy.reply_burst = Some(burst),
            Err(e) => errs.push(format!("{}: {e}", key("reply_burst"))),
        },
    }
    if let Some(max) = raw.max_turns_per_day {
        policy.max_turns_per_day = (max > 0).then_some(max);
    }
    if let Some(minutes) = raw.pairing_ttl_minutes {
        if (1..=7 * 24 * 60).contains(&minutes) {
            policy.pairing_ttl = Duration::from_secs(minutes * 60);
        } else {
            errs.push(format!(
                "{}: {minutes} is outside 1 to 10080 (a week)",
                key("pairing_ttl_minutes")
            ));
        }
    }
    if let Some(max) = raw.max_pending {
        if (1..=10_000).contains(&max) {
            policy.max_pending = max;
        } else {
            errs.push(format!(
                "{}: {max} is outside 1 to 10000",
                key("max_pending")
            ));
        }
    }
    if errs.is_empty() {
        Ok(policy)
    } else {
        Err(errs)
    }
}

/// Ids as channels report them: not empty, no spaces or control characters.
fn ids(key: &str, raw: &[String], errs: &mut Vec<String>) -> BTreeSet<String> {
    for (n, id) in raw.iter().enumerate() {
        if id.is_empty()
            || id.len() > 512
            || id.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            errs.push(format!(
                "{key}[{n}]: {id:?} is not an id as channels report them (1 to 512 bytes, no spaces)"
            ));
        }
    }
    raw.iter().cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(toml_text: &str) -> RawAccess {
        toml::from_str(toml_text).expect("access table")
    }

    #[test]
    fn an_empty_table_is_the_safe_default() {
        assert_eq!(lower("tg", &raw("")), Ok(AccessPolicy::default()));
        let default = AccessPolicy::default();
        assert_eq!(default.dm, DmPolicy::Pairing);
        assert_eq!(default.groups, GroupPolicy::Allowlist);
        assert!(default.require_mention);
    }

    #[test]
    fn every_bad_value_is_named_by_its_key() {
        let errs = lower(
            "tg",
            &raw(r#"
dm = "everyone"
groups = "some"
rate = "20/fortnight"
allow_from = ["123", "has space"]
pairing_ttl_minutes = 0
"#),
        )
        .expect_err("refused");
        for key in [
            "channels.tg.access.dm:",
            "channels.tg.access.groups:",
            "channels.tg.access.rate: \"20/fortnight\"",
            "channels.tg.access.allow_from[1]:",
            "channels.tg.access.pairing_ttl_minutes:",
        ] {
            assert!(errs.iter().any(|e| e.starts_with(key)), "{key} in {errs:?}");
        }
        assert!(
            toml::from_str::<RawAccess>("dms = \"open\"").is_err(),
            "unknown key"
        );
    }

    #[test]
    fn limits_can_be_lifted_explicitly() {
        let policy = lower(
            "tg",
            &raw("rate = \"none\"\nmax_turns_per_day = 0\ndm = \"open\""),
        )
        .unwrap();
        assert_eq!((policy.rate, policy.max_turns_per_day), (None, None));
        assert_eq!(policy.dm, DmPolicy::Open);
    }
}
