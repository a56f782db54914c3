//! The Gateway session against the fake host: opening a connection, every opcode
//! the channel handles, and heartbeats, with the recorded payloads (see the
//! fixtures' README).

use serde_json::{Value, json};
use switchboard_channel_sdk::fake::{FakeHost, answer, ok};
use switchboard_channel_sdk::{
    ChatType, FetchFailure, FrameOutcome, Inbound, Kind, Level, Response, SenderKind,
    SessionContext, header,
};

use super::state::{BOT_ID_KEY, SESSION_KEY, WAIT_KEY};
use super::*;
use crate::tests::{BOT_ID, fixture_text, metadata};

const SESSION_ID: &str = "d3f5b1c2e7a94c0f8b6a2e1d9c4f7a30";

fn context(cursor: Option<&str>, memo: Option<&Memo>) -> SessionContext {
    SessionContext {
        cursor: cursor.map(str::to_owned),
        memo: memo.map(Memo::encode),
    }
}

/// The memo of a session READY started on this daemon run.
fn ready_memo() -> Memo {
    Memo {
        session_id: Some(SESSION_ID.to_owned()),
        resume_gateway_url: Some("wss://gateway-us-east1-b.discord.gg".to_owned()),
        bot_id: Some(BOT_ID.to_owned()),
        acked: true,
    }
}

fn frame_text(name: &str) -> String {
    fixture_text(&format!("gateway/{name}"))
}

/// Runs one frame; it must be accepted.
fn frame(host: &FakeHost, text: &str, context: &SessionContext) -> FrameOutcome {
    on_frame(host, text, context).expect("frame accepted")
}

fn memo_of(outcome: &FrameOutcome) -> Memo {
    serde_json::from_str(outcome.memo.as_deref().expect("a memo")).expect("memo is JSON")
}

fn sent(outcome: &FrameOutcome) -> Vec<Value> {
    outcome
        .send
        .iter()
        .map(|f| serde_json::from_str(f).expect("frames are JSON"))
        .collect()
}

fn emitted(host: &FakeHost) -> Vec<Inbound> {
    host.emitted.borrow().clone()
}

/// A host whose instance state holds what READY stored before a restart.
fn restarted_host() -> FakeHost {
    let host = FakeHost::default();
    host.state.borrow_mut().insert(
        SESSION_KEY.to_owned(),
        json!({"session_id": SESSION_ID}).to_string().into_bytes(),
    );
    host.state
        .borrow_mut()
        .insert(BOT_ID_KEY.to_owned(), BOT_ID.as_bytes().to_vec());
    host
}

mod control;
mod dispatch;
mod heartbeat;
mod hello;
mod opening;
