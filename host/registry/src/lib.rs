//! Component manifests, the JSON registry index, and installation.

mod manifest;

pub use manifest::{Capabilities, LimitDefaults, Manifest, SecretSpec, SettingSpec};
