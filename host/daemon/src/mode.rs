//! How an instance receives: the instance setting `mode` (contract 0.2.2).

use std::collections::BTreeMap;

use switchboard_registry::Manifest;

/// How an instance receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The platform posts to `/webhooks/<instance>` (the default).
    Webhook,
    /// The host calls the channel's `polling.poll` in a loop.
    Polling,
    /// The host holds a WebSocket session for the channel's `session` export.
    Socket,
}

impl Mode {
    /// The setting that chooses the mode.
    pub const SETTING: &'static str = "mode";
    /// The contract version from which the setting is the host's; before it, a
    /// component may use a setting of that name for its own purposes.
    pub const SINCE: semver::Version = semver::Version::new(0, 2, 2);
    const VALUES: &'static str = "\"webhook\", \"polling\" or \"socket\"";

    /// The mode of an instance of a component with `manifest` configured with
    /// `settings` (the manifest's default applies when they do not set it); the error
    /// says why the value is not one this host runs.
    pub fn of(manifest: &Manifest, settings: &BTreeMap<String, String>) -> Result<Mode, String> {
        if manifest.wit < Mode::SINCE {
            return Ok(Mode::Webhook);
        }
        let default = manifest
            .settings
            .iter()
            .find(|s| s.name == Mode::SETTING)
            .and_then(|s| s.default.as_ref());
        match settings.get(Mode::SETTING).or(default).map(String::as_str) {
            None | Some("webhook") => Ok(Mode::Webhook),
            Some("polling") => Ok(Mode::Polling),
            Some("socket") => Ok(Mode::Socket),
            Some(other) => Err(format!(
                "{other:?} is not a mode this host runs (it runs {})",
                Mode::VALUES
            )),
        }
    }

    /// The word an operator writes for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Webhook => "webhook",
            Mode::Polling => "polling",
            Mode::Socket => "socket",
        }
    }
}
