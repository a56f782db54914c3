//! TODO(port): history
#![allow(unused_variables, unused_imports)]

use switchboard_types::*;

use super::Postgres;
use crate::*;

impl Postgres {
    pub(crate) async fn history(
        &self,
        instance: &str,
        conversation_id: &str,
        before_id: i64,
        limit: usize,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        unimplemented!("postgres: history")
    }
}
