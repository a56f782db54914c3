//! TODO(port): access
#![allow(unused_variables, unused_imports)]

use switchboard_types::*;

use super::Postgres;
use crate::*;

impl Postgres {
    pub(crate) async fn is_granted(
        &self,
        instance: &str,
        sender_id: &str,
    ) -> Result<bool, StoreError> {
        unimplemented!("postgres: is_granted")
    }

    pub(crate) async fn request_pairing(
        &self,
        instance: &str,
        sender_id: &str,
        sender_name: Option<&str>,
        code: &str,
        ttl_ms: i64,
        max_pending: u32,
    ) -> Result<PairingRequest, StoreError> {
        unimplemented!("postgres: request_pairing")
    }

    pub(crate) async fn pairings(
        &self,
        instance: Option<&str>,
    ) -> Result<Vec<Pairing>, StoreError> {
        unimplemented!("postgres: pairings")
    }

    pub(crate) async fn approve_pairing(
        &self,
        instance: &str,
        code: &str,
    ) -> Result<Option<Pairing>, StoreError> {
        unimplemented!("postgres: approve_pairing")
    }

    pub(crate) async fn deny_pairing(
        &self,
        instance: &str,
        code: &str,
    ) -> Result<Option<Pairing>, StoreError> {
        unimplemented!("postgres: deny_pairing")
    }

    pub(crate) async fn revoke_access(
        &self,
        instance: &str,
        sender_id: &str,
    ) -> Result<bool, StoreError> {
        unimplemented!("postgres: revoke_access")
    }

    pub(crate) async fn turns_since(
        &self,
        instance: &str,
        since_ms: i64,
    ) -> Result<u64, StoreError> {
        unimplemented!("postgres: turns_since")
    }
}
