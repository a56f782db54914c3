//! The WebSocket session of an instance that receives over one (`mode = "socket"`):
//! ask the channel where to connect (`session.open`), connect through egress with the
//! instance's grants, hand every text frame to `session.on-frame` in order, commit what
//! it emitted with its cursor, and only then send the frames it wants sent after the
//! commit (the platform's acknowledgement). Ticks, reconnects, backoff and the frame
//! caps are the host's. One session per instance.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{SinkExt as _, StreamExt as _};
use switchboard_egress::{SessionGrant, Socket, SocketLimits};
use switchboard_runtime::{CallError, Framed, InstanceServices as _};
use switchboard_types::{DeliveryError, FrameOutcome, SessionContext, WebhookRequest};
use tokio_tungstenite::tungstenite::Message;

use crate::instance::Instance;
use crate::metrics::{Export, SessionEvent};
use crate::queue::backoff;
use crate::shared::Shared;
use crate::workers::received::commit;
use crate::workers::{Stop, lease};

/// The largest frame a platform may send; a larger one closes the connection. Slack
/// envelopes and Discord dispatches of a DM bot are a few KiB.
pub(crate) const MAX_FRAME_BYTES: usize = 1 << 20;

/// Frames per second a platform may send; a faster flood closes the connection (and
/// the platform redelivers what was not acknowledged after the reconnect).
pub(crate) const MAX_FRAMES_PER_SECOND: u32 = 200;

/// The longest wait before reconnecting after errors.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// A connection that lasted this long was healthy: the next failure starts the
/// backoff afresh.
const HEALTHY_AFTER: Duration = Duration::from_secs(30);

/// The least tick interval, whatever a channel asks.
const MIN_TICK: Duration = Duration::from_secs(1);

const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// Runs the session of instance `name` until the daemon stops. The instance is looked
/// up before every connection, so a reloaded component takes over at the next one.
pub(crate) async fn run(shared: Arc<Shared>, name: String, mut stop: Stop) {
    let max_backoff = shared.workers.retry_max.min(MAX_BACKOFF);
    let mut failures: u32 = 0;
    // Kept across reconnects, lost on restart, as the contract says.
    let mut memo: Option<String> = None;
    tracing::info!(instance = %name, "session started");
    loop {
        if *stop.borrow() {
            break;
        }
        let wait = match shared.instance(&name) {
            Some(_) if !lease::hold(&shared, &name, Duration::ZERO).await => {
                lease::standby(&shared)
            }
            Some(instance) => {
                let started = Instant::now();
                let ended = tokio::select! {
                    ended = connection(&shared, &instance, &mut memo) => ended,
                    // Another node receives now: this connection must not ack anything more.
                    () = lease::kept(&shared, &name) => Ended::Retry { asked: None },
                    // The connection is dropped: nothing acknowledged is lost, and what
                    // was not acknowledged the platform sends again.
                    _ = stop.changed() => break,
                };
                if started.elapsed() >= HEALTHY_AFTER {
                    failures = 0;
                }
                match ended {
                    Ended::Reconnect => {
                        failures = 0;
                        Duration::ZERO
                    }
                    Ended::Retry { asked } => {
                        failures = failures.saturating_add(1);
                        backoff::delay(failures, shared.workers.retry_base, max_backoff, asked)
                    }
                    Ended::NeedsOperator => max_backoff,
                }
            }
            None => max_backoff,
        };
        if !wait.is_zero() {
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = stop.changed() => break,
            }
        }
    }
    lease::release(&shared, &name).await;
    tracing::info!(instance = %name, "session stopped");
}

/// How a connection ended, for the loop's timing.
enum Ended {
    /// The channel or the platform asked for a new connection: at once.
    Reconnect,
    /// Something failed; try again with backoff (after `asked` if given).
    Retry { asked: Option<Duration> },
    /// Something only the operator can fix; try again at the longest backoff.
    NeedsOperator,
}

impl Ended {
    fn from_error(instance: &Instance, what: &str, error: &DeliveryError) -> Ended {
        instance.metrics.session(SessionEvent::Failed);
        if error.retryable {
            tracing::warn!(instance = %instance.name, error = %error.message, retry_after_secs = error.retry_after_secs, "session {what} failed; reconnecting with backoff");
            Ended::Retry {
                asked: error
                    .retry_after_secs
                    .map(|s| Duration::from_secs(u64::from(s))),
            }
        } else {
            tracing::error!(instance = %instance.name, error = %error.message, "session {what} refused; this needs the operator, retrying every minute at most");
            Ended::NeedsOperator
        }
    }

    fn from_call(instance: &Instance, what: &str, error: &CallError) -> Ended {
        instance.metrics.session(SessionEvent::Failed);
        if let CallError::NotExported(_) = error {
            tracing::error!(instance = %instance.name, "the installed component no longer exports session; set settings.mode = \"webhook\" or install a version that has it");
            return Ended::NeedsOperator;
        }
        tracing::warn!(instance = %instance.name, reason = error.label(), error = %error, "session {what} call failed; reconnecting with backoff");
        Ended::Retry { asked: None }
    }
}

/// One connection, from `open` to its end.
async fn connection(shared: &Shared, instance: &Arc<Instance>, memo: &mut Option<String>) -> Ended {
    let name = &instance.name;
    let cursor = match shared.store.receive_cursor(name).await {
        Ok(cursor) => cursor,
        Err(e) => {
            tracing::warn!(instance = %name, error = %crate::pipeline::error_chain(&e), "cannot read the session cursor; trying again");
            return Ended::Retry { asked: None };
        }
    };
    let mut context = SessionContext {
        cursor,
        memo: memo.clone(),
    };
    let started = Instant::now();
    let opened = instance
        .channel
        .session_open(instance.services.clone(), &instance.limits, &context)
        .await;
    instance
        .metrics
        .guest_call(Export::Session, started.elapsed(), opened.as_ref().err());
    let target = match opened {
        Ok(Ok(target)) => target,
        Ok(Err(error)) => return Ended::from_error(instance, "open", &error),
        Err(error) => return Ended::from_call(instance, "open", &error),
    };
    let services = &instance.services;
    let limits = SocketLimits {
        max_frame_bytes: MAX_FRAME_BYTES,
        connect_timeout: CONNECT_TIMEOUT,
    };
    let (mut socket, grant) = match services
        .egress
        .connect_socket(&services.policy, &target.url, target.headers, limits)
        .await
    {
        Ok(connected) => connected,
        Err(error) => {
            instance.metrics.session(SessionEvent::Failed);
            tracing::warn!(instance = %name, url = %services.redact(&target.url), error = %error, "cannot connect the session; retrying with backoff");
            return Ended::Retry { asked: None };
        }
    };
    instance.metrics.session(SessionEvent::Connected);
    tracing::info!(instance = %name, "session connected");

    let mut tick: Option<tokio::time::Interval> = None;
    let mut window = (Instant::now(), 0u32);
    loop {
        let next_tick = async {
            match tick.as_mut() {
                Some(interval) => {
                    interval.tick().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        let framed = tokio::select! {
            message = socket.next() => {
                let text = match message {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Close(close))) => {
                        instance.metrics.session(SessionEvent::Dropped);
                        tracing::info!(instance = %name, close = ?close, "the platform closed the session; reconnecting");
                        return Ended::Retry { asked: None };
                    }
                    // Pings are answered by the protocol layer; binary frames are not
                    // part of the contract.
                    Some(Ok(Message::Binary(_))) => {
                        tracing::debug!(instance = %name, "binary frame ignored");
                        continue;
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(error)) => {
                        let refused = matches!(error, tokio_tungstenite::tungstenite::Error::Capacity(_));
                        instance.metrics.session(if refused { SessionEvent::Refused } else { SessionEvent::Dropped });
                        if refused {
                            tracing::warn!(instance = %name, error = %error, max_frame_bytes = MAX_FRAME_BYTES, "frame over the size cap; connection closed, reconnecting");
                        } else {
                            tracing::warn!(instance = %name, error = %error, "session connection failed; reconnecting");
                        }
                        return Ended::Retry { asked: None };
                    }
                    None => {
                        instance.metrics.session(SessionEvent::Dropped);
                        tracing::info!(instance = %name, "session connection ended; reconnecting");
                        return Ended::Retry { asked: None };
                    }
                };
                if !within_rate(&mut window) {
                    instance.metrics.session(SessionEvent::Refused);
                    tracing::warn!(instance = %name, max_frames_per_second = MAX_FRAMES_PER_SECOND, "frame flood; connection closed, reconnecting after backoff");
                    close(&mut socket).await;
                    return Ended::Retry { asked: None };
                }
                instance.metrics.session(SessionEvent::Frame);
                let text = services.redact(text.as_str());
                match call(instance, Some(&text), &context).await {
                    Ok(framed) => framed,
                    Err(CallError::Busy) => {
                        tracing::warn!(instance = %name, "no free sandbox slot for a frame; reconnecting with backoff");
                        return Ended::Retry { asked: None };
                    }
                    Err(error) => {
                        // A frame the channel cannot handle is kept for replay and the
                        // session goes on; it is not acknowledged.
                        keep_frame(shared, instance, &text, &error).await;
                        continue;
                    }
                }
            }
            () = next_tick => {
                match call(instance, None, &context).await {
                    Ok(framed) => framed,
                    Err(error) => return Ended::from_call(instance, "tick", &error),
                }
            }
        };
        let Framed { outcome, messages } = framed;
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(error) => {
                close(&mut socket).await;
                return Ended::from_error(instance, "frame", &error);
            }
        };
        let mut link = Link {
            socket: &mut socket,
            grant: &grant,
        };
        match apply(
            shared,
            instance,
            &mut link,
            messages,
            outcome,
            &mut context,
            &mut tick,
        )
        .await
        {
            Ok(false) => {}
            Ok(true) => {
                *memo = context.memo.clone();
                instance.metrics.session(SessionEvent::ReconnectAsked);
                tracing::info!(instance = %name, "the channel asked for a new connection");
                close(&mut socket).await;
                return Ended::Reconnect;
            }
            Err(ended) => {
                *memo = context.memo.clone();
                close(&mut socket).await;
                return ended;
            }
        }
        *memo = context.memo.clone();
    }
}

/// Runs `on-frame` (or `on-tick` without a frame) and counts it.
async fn call(
    instance: &Instance,
    frame: Option<&str>,
    context: &SessionContext,
) -> Result<Framed, CallError> {
    let started = Instant::now();
    let framed = instance
        .channel
        .session_call(instance.services.clone(), &instance.limits, frame, context)
        .await;
    instance
        .metrics
        .guest_call(Export::Session, started.elapsed(), framed.as_ref().err());
    framed
}

/// The open connection and what its frames may carry.
struct Link<'a> {
    socket: &'a mut Socket,
    grant: &'a SessionGrant,
}

/// Carries out an outcome: frames now, the commit, frames after the commit, the
/// memo, the cursor and the ticks. `Ok(true)` when the channel asked to reconnect.
async fn apply(
    shared: &Shared,
    instance: &Arc<Instance>,
    link: &mut Link<'_>,
    messages: Vec<switchboard_types::InboundMessage>,
    outcome: FrameOutcome,
    context: &mut SessionContext,
    tick: &mut Option<tokio::time::Interval>,
) -> Result<bool, Ended> {
    let name = &instance.name;
    send(instance, link, outcome.send).await?;
    let cursor = outcome.cursor.clone();
    if !messages.is_empty() || !outcome.unmapped.is_empty() || cursor.is_some() {
        if let Err(why) = commit(shared, instance, messages, outcome.unmapped, cursor.clone()).await
        {
            // Nothing is acknowledged, so the platform sends it again.
            tracing::warn!(instance = %name, error = %why, "frame not stored; reconnecting so the platform sends it again");
            return Err(Ended::Retry { asked: None });
        }
        if cursor.is_some() {
            context.cursor = cursor;
        }
    }
    send(instance, link, outcome.send_after_commit).await?;
    if outcome.memo.is_some() {
        context.memo = outcome.memo;
    }
    match outcome.tick_ms {
        Some(0) => *tick = None,
        Some(ms) => {
            let every = Duration::from_millis(u64::from(ms)).max(MIN_TICK);
            let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            *tick = Some(interval);
        }
        None => {}
    }
    Ok(outcome.reconnect)
}

/// Sends frames in order, with secrets filled in where the manifest places them. A
/// frame the policy refuses is not sent and ends the connection.
async fn send(instance: &Instance, link: &mut Link<'_>, frames: Vec<String>) -> Result<(), Ended> {
    let policy = &instance.services.policy;
    for frame in frames {
        let frame = match policy.fill_frame(&frame, link.grant) {
            Ok(frame) => frame,
            Err(error) => {
                instance.metrics.session(SessionEvent::Failed);
                tracing::error!(instance = %instance.name, error = %error, "a frame the channel wrote was refused and not sent");
                return Err(Ended::NeedsOperator);
            }
        };
        if let Err(error) = link.socket.send(Message::text(frame)).await {
            instance.metrics.session(SessionEvent::Dropped);
            tracing::warn!(instance = %instance.name, error = %error, "cannot send a frame; reconnecting");
            return Err(Ended::Retry { asked: None });
        }
    }
    Ok(())
}

/// Counts a frame into the current one-second window; false once over the cap.
fn within_rate(window: &mut (Instant, u32)) -> bool {
    let now = Instant::now();
    if now.duration_since(window.0) >= Duration::from_secs(1) {
        *window = (now, 0);
    }
    window.1 += 1;
    window.1 <= MAX_FRAMES_PER_SECOND
}

async fn close(socket: &mut Socket) {
    // silent-ok: the connection is being abandoned; a failed close changes nothing.
    let _ = tokio::time::timeout(Duration::from_secs(2), socket.close(None)).await;
}

/// A frame whose call trapped (or hit a limit or its deadline) is kept as a delivery
/// dead letter, body and all, so it can be replayed once the channel is fixed.
async fn keep_frame(shared: &Shared, instance: &Instance, frame: &str, error: &CallError) {
    let request = WebhookRequest {
        method: "POST".to_owned(),
        path: String::new(),
        query: String::new(),
        headers: vec![("content-type".to_owned(), "application/json".to_owned())],
        body: frame.as_bytes().to_vec().into(),
    };
    let letter = switchboard_store::NewDeadLetter {
        kind: switchboard_store::DeadLetterKind::Delivery,
        instance: instance.name.clone(),
        error: format!("session frame: {error}"),
        // Serialising plain strings and bytes cannot fail.
        payload: serde_json::to_vec(&request).unwrap_or_default(),
    };
    match shared.store.dead_letter(letter).await {
        Ok(id) => {
            instance
                .metrics
                .dead_letter(crate::metrics::DeadLetter::Delivery);
            tracing::warn!(instance = %instance.name, dead_letter = id, reason = error.label(), error = %error, "a session frame failed in the channel; kept as a dead letter, not acknowledged");
        }
        Err(e) => {
            tracing::error!(instance = %instance.name, error = %crate::pipeline::error_chain(&e), call_error = %error, "a session frame failed in the channel and could not be kept");
        }
    }
}
