//! TODO(port): kv
#![allow(unused_variables, unused_imports)]

use switchboard_types::*;

use super::Postgres;
use crate::*;

impl Postgres {
    pub(crate) async fn state_get(
        &self,
        instance: &str,
        key: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        unimplemented!("postgres: state_get")
    }

    pub(crate) async fn state_set(
        &self,
        instance: &str,
        key: &str,
        value: Vec<u8>,
        quota: StateQuota,
    ) -> Result<(), StoreError> {
        unimplemented!("postgres: state_set")
    }

    pub(crate) async fn state_usage(&self) -> Result<Vec<(String, StateUsage)>, StoreError> {
        unimplemented!("postgres: state_usage")
    }

    pub(crate) async fn state_clear(&self, instance: &str) -> Result<usize, StoreError> {
        unimplemented!("postgres: state_clear")
    }

    pub(crate) async fn state_delete(&self, instance: &str, key: &str) -> Result<(), StoreError> {
        unimplemented!("postgres: state_delete")
    }
}
