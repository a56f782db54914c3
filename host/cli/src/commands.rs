//! One module per subcommand.

pub(crate) mod answer;
pub(crate) mod blob;
pub(crate) mod channel;
pub(crate) mod check;
pub(crate) mod dead_letters;
pub(crate) mod inspect;
pub(crate) mod install;
pub(crate) mod list;
pub(crate) mod messages;
pub(crate) mod migrate;
pub(crate) mod pairing;
pub(crate) mod registry;
pub(crate) mod send;
pub(crate) mod send_test;
pub(crate) mod serve;
pub(crate) mod state;
pub(crate) mod uninstall;

use switchboard_registry::WitSupport;

/// The WIT versions this build runs, as the registry crate wants them.
pub(crate) fn wit_support() -> WitSupport {
    WitSupport {
        supported: switchboard_runtime::SUPPORTED_WIT.to_vec(),
    }
}
