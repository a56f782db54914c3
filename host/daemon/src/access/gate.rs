//! The access decision for one stored message.

use std::collections::HashSet;
use std::sync::Mutex;

use rand::Rng as _;
use switchboard_store::{PairingRequest, Store, StoreError};
use switchboard_types::{ChatType, NoTurn, StoredMessage};

use super::rate::{Buckets, Taken, Windows};
use super::{AccessPolicy, DmPolicy, GroupPolicy};

/// Letters and digits that cannot be mistaken for one another (no 0/O, 1/I/L).
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const CODE_LEN: usize = 8;
const DAY_MS: i64 = 86_400_000;

/// What happens to a stored message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Ask the agent.
    Turn,
    /// No turn, for `reason`; `notice` (if any) goes to the sender instead.
    Skip {
        reason: NoTurn,
        notice: Option<String>,
    },
    /// A stranger under pairing found the instance's pending codes full: no turn,
    /// no reply, counted on its own.
    PairingFull,
}

/// One instance's policy with the counters it needs.
pub(crate) struct Gate {
    policy: AccessPolicy,
    rates: Mutex<Buckets>,
    replies: Mutex<Windows>,
    day: Mutex<Day>,
}

/// Turns counted in the current UTC day, and who was told about the cap.
#[derive(Debug, Default)]
struct Day {
    start_ms: Option<i64>,
    turns: u64,
    noticed: HashSet<String>,
}

impl Gate {
    pub(crate) fn new(policy: AccessPolicy) -> Gate {
        Gate {
            policy,
            rates: Mutex::new(Buckets::default()),
            replies: Mutex::new(Windows::default()),
            day: Mutex::new(Day::default()),
        }
    }

    /// Decides about `message`. Runs in the conversation's order, before its turn.
    pub(crate) async fn admit(
        &self,
        store: &Store,
        stored: &StoredMessage,
        now_ms: i64,
    ) -> Result<Admission, StoreError> {
        let policy = &self.policy;
        let message = &stored.message;
        let instance = &stored.instance;
        let conversation = &message.conversation_id;
        if let Some(reason) = message.intrinsic_no_turn() {
            return Ok(skip(reason));
        }
        if let Some(burst) = policy.reply_burst {
            let replies = lock(&self.replies).count(
                &conversation_key(instance, conversation),
                burst.per,
                now_ms,
            );
            if replies >= burst.count as usize {
                tracing::warn!(%instance, conversation = %mask(conversation), replies, window_s = burst.per.as_secs(), "replies came faster than a person writes; conversation paused");
                return Ok(skip(NoTurn::LoopPaused));
            }
        }

        let group = matches!(message.chat_type, ChatType::Group | ChatType::Broadcast);
        if group {
            let admitted = match policy.groups {
                GroupPolicy::Open => true,
                GroupPolicy::Allowlist => policy.allow_groups.contains(conversation),
                GroupPolicy::Disabled => false,
            };
            if !admitted {
                return Ok(skip(NoTurn::NotAllowed));
            }
            if policy.require_mention && !message.mentions_bot {
                return Ok(skip(NoTurn::NoMention));
            }
        } else {
            if policy.dm == DmPolicy::Disabled {
                return Ok(skip(NoTurn::NotAllowed));
            }
            let admitted = policy.dm == DmPolicy::Open
                || policy.allow_from.contains(&message.sender_id)
                || store.is_granted(instance, &message.sender_id).await?;
            if !admitted {
                return match policy.dm {
                    DmPolicy::Pairing => self.pair(store, stored).await,
                    DmPolicy::Allowlist | DmPolicy::Disabled | DmPolicy::Open => {
                        Ok(skip(NoTurn::NotAllowed))
                    }
                };
            }
        }

        if let Some(rate) = policy.rate {
            let key = format!("{instance}\u{0}{}", message.sender_id);
            if let Taken::Over { notice } = lock(&self.rates).take(&key, rate, now_ms) {
                return Ok(Admission::Skip {
                    reason: NoTurn::RateLimited,
                    notice: notice.then(|| {
                        "You are writing faster than I can answer; some messages will go \
                         unanswered for a little while."
                            .to_owned()
                    }),
                });
            }
        }
        if let Some(max) = policy.max_turns_per_day {
            let start = now_ms - now_ms.rem_euclid(DAY_MS);
            let counted = {
                let day = lock(&self.day);
                (day.start_ms == Some(start)).then_some(day.turns)
            };
            let turns = match counted {
                Some(turns) => turns,
                // A new day (or a restart): count what the store already answered.
                None => store.turns_since(instance, start).await?,
            };
            let mut day = lock(&self.day);
            if day.start_ms != Some(start) {
                *day = Day {
                    start_ms: Some(start),
                    turns,
                    noticed: HashSet::new(),
                };
            }
            if day.turns >= u64::from(max) {
                let first = day.noticed.insert(message.sender_id.clone());
                return Ok(Admission::Skip {
                    reason: NoTurn::DailyCap,
                    notice: first.then(|| {
                        "I have answered as many messages as I may today; please write again \
                         tomorrow."
                            .to_owned()
                    }),
                });
            }
            day.turns += 1;
        }
        Ok(Admission::Turn)
    }

    /// Records that `count` replies to `conversation` were queued: what the loop
    /// protection counts.
    pub(crate) fn replied(&self, instance: &str, conversation: &str, count: usize, now_ms: i64) {
        if let Some(burst) = self.policy.reply_burst
            && count > 0
        {
            lock(&self.replies).record(
                &conversation_key(instance, conversation),
                count,
                burst.per,
                now_ms,
            );
        }
    }

    async fn pair(&self, store: &Store, stored: &StoredMessage) -> Result<Admission, StoreError> {
        let message = &stored.message;
        let ttl_ms = i64::try_from(self.policy.pairing_ttl.as_millis()).unwrap_or(i64::MAX);
        let requested = store
            .request_pairing(
                &stored.instance,
                &message.sender_id,
                message.sender_name.as_deref(),
                &new_code(),
                ttl_ms,
                self.policy.max_pending,
            )
            .await?;
        Ok(match requested {
            PairingRequest::Created(_) | PairingRequest::Pending => {
                let notice = match requested {
                    PairingRequest::Created(pairing) => Some(format!(
                        "This bot answers only people its operator has let in. Your pairing \
                         code is {}: send it to the operator. It is valid for {} minutes.",
                        pairing.code,
                        self.policy.pairing_ttl.as_secs().div_ceil(60)
                    )),
                    _ => None,
                };
                tracing::info!(instance = %stored.instance, sender = %mask(&message.sender_id), new_code = notice.is_some(), "unknown sender: pairing pending");
                Admission::Skip {
                    reason: NoTurn::PairingPending,
                    notice,
                }
            }
            PairingRequest::Full => {
                tracing::warn!(instance = %stored.instance, sender = %mask(&message.sender_id), max_pending = self.policy.max_pending, "unknown sender: no pairing code, as many are pending as allowed");
                Admission::PairingFull
            }
        })
    }
}

fn skip(reason: NoTurn) -> Admission {
    Admission::Skip {
        reason,
        notice: None,
    }
}

fn conversation_key(instance: &str, conversation: &str) -> String {
    format!("{instance}\u{0}{conversation}")
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A new pairing code: [`CODE_LEN`] characters of [`CODE_ALPHABET`].
pub(crate) fn new_code() -> String {
    let mut rng = rand::rng();
    (0..CODE_LEN)
        .map(|_| char::from(CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())]))
        .collect()
}

/// A sender or conversation id as the log shows it: its last four characters.
pub(crate) fn mask(id: &str) -> String {
    let tail: String = id
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    if tail.chars().count() == id.chars().count() {
        "…".to_owned()
    } else {
        format!("…{tail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_long_enough_and_unambiguous() {
        let code = new_code();
        assert_eq!(code.len(), CODE_LEN);
        assert!(code.bytes().all(|b| CODE_ALPHABET.contains(&b)));
        assert!(!code.contains(['0', 'O', '1', 'I', 'L']));
        assert_ne!(new_code(), new_code(), "random, not fixed");
    }

    #[test]
    fn logs_see_only_the_end_of_an_id() {
        assert_eq!(mask("16505551234"), "…1234");
        assert_eq!(mask("1234"), "…");
    }
}
