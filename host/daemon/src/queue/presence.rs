//! "Typing…" while an agent turn runs: the channel's optional `presence` hook, called
//! when the turn starts and again every [`INTERVAL`] until it ends.
//!
//! The hook is best effort (an error is logged, never retried), but its timing is
//! not: it is never called once the turn has ended, so the platform never shows
//! "typing" after the reply. [`Presence::stop`] waits for a call in flight to return
//! before the turn's replies are queued.

use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard_runtime::CallError;
use switchboard_types::InboundMessage;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::instance::Instance;
use crate::metrics::Export;

/// How often the hook runs while a turn lasts. Telegram shows a chat action for up
/// to five seconds, so a shorter interval keeps it on without a gap.
pub(crate) const INTERVAL: Duration = Duration::from_secs(4);

/// A presence call may take at most this long (or the instance's call deadline, if
/// shorter), so that stopping never holds a reply back for long.
const CALL_DEADLINE: Duration = Duration::from_secs(5);

/// The running hook loop of one turn; nothing when the channel has no hook.
pub(crate) struct Presence {
    running: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
}

impl Presence {
    /// Starts the loop for `message` on `instance`, if its channel has the hook.
    pub(crate) fn start(instance: Option<Arc<Instance>>, message: &InboundMessage) -> Presence {
        let Some(instance) = instance.filter(|i| i.channel.has_presence_hook()) else {
            return Presence { running: None };
        };
        let (stop, mut stopped) = oneshot::channel();
        let message = message.clone();
        let task = tokio::spawn(async move {
            let mut limits = instance.limits.clone();
            limits.deadline = limits.deadline.min(CALL_DEADLINE);
            loop {
                let started = Instant::now();
                let result = instance
                    .channel
                    .on_agent_working(instance.services.clone(), &limits, &message)
                    .await;
                instance.metrics.guest_call(
                    Export::AgentWorking,
                    started.elapsed(),
                    result.as_ref().err(),
                );
                match result {
                    Ok(Ok(())) => {}
                    Ok(Err(error)) => {
                        tracing::debug!(instance = %instance.name, conversation = %message.conversation_id, %error, "on-agent-working failed");
                    }
                    Err(CallError::NotExported(_)) => return,
                    Err(error) => {
                        tracing::debug!(instance = %instance.name, conversation = %message.conversation_id, %error, "on-agent-working failed");
                    }
                }
                tokio::select! {
                    _ = &mut stopped => return,
                    () = tokio::time::sleep(INTERVAL) => {}
                }
            }
        });
        Presence {
            running: Some((stop, task)),
        }
    }

    /// Ends the loop and waits for a call in flight to return.
    pub(crate) async fn stop(self) {
        if let Some((stop, task)) = self.running {
            // The loop may already be gone (the hook was missing after all).
            let _ = stop.send(());
            if let Err(error) = task.await
                && error.is_panic()
            {
                tracing::error!(%error, "the presence loop panicked");
            }
        }
    }
}
