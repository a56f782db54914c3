//! Leases on lanes of work, so that several nodes sharing the database never run the
//! same conversation (or item, or receiver) at once; and the wake-ups that tell idle
//! nodes to look for work another node let go of.

use std::time::Duration;

use futures::StreamExt as _;
use tokio::sync::watch;
use tokio_postgres::{AsyncMessage, NoTls};

use super::Postgres;
use crate::{LaneLease, StoreError};

/// The channel `NOTIFY` wakes nodes on.
const CHANNEL: &str = "switchboard_work";

/// The database's clock in Unix milliseconds: every node compares leases against the
/// same clock, whatever its own says.
macro_rules! db_now_ms {
    () => {
        "(floor(extract(epoch FROM clock_timestamp()) * 1000))::bigint"
    };
}

impl Postgres {
    pub(crate) async fn claim_lane(
        &self,
        lease: &LaneLease<'_>,
        owner: &str,
        hold: Duration,
    ) -> Result<bool, StoreError> {
        let client = self.lease_client().await?;
        let hold_ms = i64::try_from(hold.as_millis()).unwrap_or(i64::MAX);
        let stmt = client
            .prepare_cached(concat!(
                "INSERT INTO leases AS l (queue, instance, lane, owner, until_ms)
                 VALUES ($1, $2, $3, $4, ",
                db_now_ms!(),
                " + $5)
                 ON CONFLICT (queue, instance, lane) DO UPDATE SET
                     owner = CASE WHEN l.owner = $4 OR l.until_ms < ",
                db_now_ms!(),
                " THEN $4 ELSE l.owner END,
                     until_ms = CASE WHEN l.owner = $4 OR l.until_ms < ",
                db_now_ms!(),
                " THEN EXCLUDED.until_ms ELSE l.until_ms END,
                     wanted = NOT (l.owner = $4 OR l.until_ms < ",
                db_now_ms!(),
                ")
                 RETURNING l.owner = $4"
            ))
            .await?;
        let row = client
            .query_one(
                &stmt,
                &[&lease.queue, &lease.instance, &lease.lane, &owner, &hold_ms],
            )
            .await?;
        Ok(row.try_get(0)?)
    }

    pub(crate) async fn renew_leases(
        &self,
        owner: &str,
        hold: Duration,
    ) -> Result<u64, StoreError> {
        let client = self.lease_client().await?;
        let hold_ms = i64::try_from(hold.as_millis()).unwrap_or(i64::MAX);
        let stmt = client
            .prepare_cached(concat!(
                "UPDATE leases SET until_ms = ",
                db_now_ms!(),
                " + $2 WHERE owner = $1"
            ))
            .await?;
        Ok(client.execute(&stmt, &[&owner, &hold_ms]).await?)
    }

    pub(crate) async fn release_lane(
        &self,
        lease: &LaneLease<'_>,
        owner: &str,
    ) -> Result<(), StoreError> {
        let client = self.lease_client().await?;
        let stmt = client
            .prepare_cached(
                "WITH gone AS (
                     DELETE FROM leases
                     WHERE queue = $1 AND instance = $2 AND lane = $3 AND owner = $4
                     RETURNING wanted
                 )
                 SELECT pg_notify('switchboard_work', $1) FROM gone WHERE wanted",
            )
            .await?;
        client
            .query(&stmt, &[&lease.queue, &lease.instance, &lease.lane, &owner])
            .await?;
        Ok(())
    }

    /// Starts listening for wake-ups; the value counts them. The listening connection
    /// is re-made after it drops, and a wake-up is sent then, since notifications may
    /// have been missed meanwhile.
    pub(crate) fn work_notices(&self) -> watch::Receiver<u64> {
        let (tx, rx) = watch::channel(0);
        let config = self.inner.config.clone();
        tokio::spawn(async move {
            let mut backoff = Duration::from_millis(100);
            loop {
                match config.connect(NoTls).await {
                    Ok((client, mut connection)) => {
                        backoff = Duration::from_millis(100);
                        let mut messages =
                            futures::stream::poll_fn(move |cx| connection.poll_message(cx));
                        let listen_sql = format!("LISTEN {CHANNEL}");
                        let listen = client.batch_execute(&listen_sql);
                        // The LISTEN only completes while the connection is polled.
                        let mut listen = std::pin::pin!(listen);
                        let mut listening = false;
                        loop {
                            tokio::select! {
                                result = &mut listen, if !listening => {
                                    if let Err(error) = result {
                                        tracing::warn!(error = %error, "cannot LISTEN for work");
                                        break;
                                    }
                                    listening = true;
                                    // Anything released while not listening was missed.
                                    tx.send_modify(|n| *n += 1);
                                }
                                message = messages.next() => match message {
                                    Some(Ok(AsyncMessage::Notification(_))) => {
                                        tx.send_modify(|n| *n += 1);
                                    }
                                    Some(Ok(_)) => {}
                                    Some(Err(error)) => {
                                        tracing::warn!(error = %error, "the connection listening for work ended");
                                        break;
                                    }
                                    None => break,
                                },
                                () = tx.closed() => return,
                            }
                        }
                    }
                    Err(error) => {
                        tracing::warn!(error = %error, "cannot connect to listen for work");
                    }
                }
                tokio::select! {
                    () = tokio::time::sleep(backoff) => {}
                    () = tx.closed() => return,
                }
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        });
        rx
    }
}
