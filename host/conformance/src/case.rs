//! The case file: one JSON object per file, read once and checked before anything
//! runs, so a typo in a key is an error naming the file and the key instead of a
//! case that silently asserts nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::Deserialize;
use serde_json::Value;
use switchboard_types::{Attachment, InboundMessage, OutboundMessage, SessionContext};

use crate::error::CaseError;

/// One recorded case: the call to make and what must come of it.
#[derive(Debug)]
pub struct Case {
    /// The file name without `.json`.
    pub name: String,
    pub path: PathBuf,
    pub spec: CaseSpec,
    pub call: Call,
}

/// The call a case makes, with its input decoded.
#[derive(Debug)]
pub enum Call {
    /// `channel.on-http-request`, after the host's verification.
    Webhook(WebhookInput),
    /// `channel.on-respond`.
    Respond(OutboundMessage),
    /// `persistence.on-message-persisted`.
    Persisted(InboundMessage),
    /// `media.download-request`.
    Download(Attachment),
    /// `polling.poll` with this cursor.
    Poll(Option<String>),
    /// `session.open`.
    Open(SessionContext),
    /// `session.on-frame` with this text frame.
    Frame(String, SessionContext),
    /// `session.on-tick`.
    Tick(SessionContext),
}

impl Call {
    /// The export a case calls, as the WIT names it.
    pub fn export(&self) -> &'static str {
        match self {
            Call::Webhook(_) => "channel.on-http-request",
            Call::Respond(_) => "channel.on-respond",
            Call::Persisted(_) => "persistence.on-message-persisted",
            Call::Download(_) => "media.download-request",
            Call::Poll(_) => "polling.poll",
            Call::Open(_) => "session.open",
            Call::Frame(..) => "session.on-frame",
            Call::Tick(_) => "session.on-tick",
        }
    }
}

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseSpec {
    /// What the case shows, printed next to a failure.
    #[serde(default)]
    pub description: Option<String>,
    /// The instance name the channel sees (`context.instance-name`).
    #[serde(default = "default_instance")]
    pub instance: String,
    /// The clock for signing and verification, in Unix seconds; the real time when
    /// absent. Recorded deliveries with a timestamped signature need it.
    #[serde(default)]
    pub now: Option<i64>,
    /// The instance's secrets, as an operator would configure them.
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
    /// Settings over the manifest's defaults.
    #[serde(default)]
    pub settings: BTreeMap<String, String>,
    /// Origins the operator grants (`allow` in the config), on top of the
    /// manifest's capabilities.
    #[serde(default)]
    pub allow: Vec<String>,
    /// The instance's key-value state before the call, as text.
    #[serde(default)]
    pub state: BTreeMap<String, String>,
    #[serde(default)]
    webhook: Option<WebhookSpec>,
    #[serde(default)]
    respond: Option<Value>,
    #[serde(default)]
    persisted: Option<Value>,
    #[serde(default)]
    download: Option<Attachment>,
    #[serde(default)]
    poll: Option<PollSpec>,
    #[serde(default)]
    open: Option<ContextSpec>,
    #[serde(default)]
    frame: Option<FrameSpec>,
    #[serde(default)]
    tick: Option<ContextSpec>,
    /// The answers to the channel's `http-fetch` calls, in order.
    #[serde(default)]
    pub fetch: Vec<FetchAnswer>,
    pub expect: Expect,
}

fn default_instance() -> String {
    "test".to_owned()
}

/// A poll as a case writes it: `{"cursor": "…"}`, or `{}` for the first poll.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PollSpec {
    #[serde(default)]
    cursor: Option<String>,
}

/// What the host keeps for a session, as a case writes it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContextSpec {
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    memo: Option<String>,
}

impl ContextSpec {
    fn context(self) -> SessionContext {
        SessionContext {
            cursor: self.cursor,
            memo: self.memo,
        }
    }
}

/// A text frame as a case writes it: JSON (sent compact), exact text, or a file
/// beside the case.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrameSpec {
    #[serde(default)]
    body: Option<Value>,
    #[serde(default)]
    body_text: Option<String>,
    #[serde(default)]
    body_file: Option<PathBuf>,
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    memo: Option<String>,
}

/// A webhook request as a case writes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WebhookSpec {
    #[serde(default = "default_method")]
    method: String,
    #[serde(default)]
    path: String,
    #[serde(default)]
    query: String,
    #[serde(default)]
    headers: Headers,
    #[serde(default)]
    body: Option<Value>,
    #[serde(default)]
    body_text: Option<String>,
    #[serde(default)]
    body_base64: Option<String>,
    #[serde(default)]
    body_file: Option<PathBuf>,
    /// Sign the request with the manifest's scheme and the case's secret at `now`,
    /// so a case need not carry a signature that goes stale.
    #[serde(default)]
    sign: bool,
}

fn default_method() -> String {
    "POST".to_owned()
}

/// A decoded webhook request.
#[derive(Debug)]
pub struct WebhookInput {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub sign: bool,
}

/// Headers as an object (`{"name": "value"}`) or, where a name repeats, as pairs.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Headers {
    Map(BTreeMap<String, String>),
    Pairs(Vec<(String, String)>),
}

impl Default for Headers {
    fn default() -> Self {
        Headers::Pairs(Vec::new())
    }
}

impl Headers {
    /// Lower-case names, as the host hands them to channels.
    pub fn pairs(&self) -> Vec<(String, String)> {
        let pairs: Vec<(String, String)> = match self {
            Headers::Map(map) => map.clone().into_iter().collect(),
            Headers::Pairs(pairs) => pairs.clone(),
        };
        pairs
            .into_iter()
            .map(|(name, value)| (name.to_ascii_lowercase(), value))
            .collect()
    }
}

/// A body as a case writes it (JSON sent compact, text, base64 bytes, or a file
/// beside the case); at most one of them.
struct BodySpec<'a> {
    json: Option<&'a Value>,
    text: Option<&'a String>,
    base64: Option<&'a String>,
    file: Option<&'a PathBuf>,
}

macro_rules! body_spec {
    ($s:expr) => {
        BodySpec {
            json: $s.body.as_ref(),
            text: $s.body_text.as_ref(),
            base64: $s.body_base64.as_ref(),
            file: $s.body_file.as_ref(),
        }
    };
}

impl BodySpec<'_> {
    fn bytes(&self, dir: &Path, key: &str) -> Result<Vec<u8>, String> {
        let given = [
            self.json.is_some(),
            self.text.is_some(),
            self.base64.is_some(),
            self.file.is_some(),
        ];
        if given.iter().filter(|g| **g).count() > 1 {
            return Err(format!(
                "{key}: give one of body, body_text, body_base64, body_file"
            ));
        }
        if let Some(json) = self.json {
            return serde_json::to_vec(json).map_err(|e| format!("{key}.body: {e}"));
        }
        if let Some(text) = self.text {
            return Ok(text.as_bytes().to_vec());
        }
        if let Some(b64) = self.base64 {
            return base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|e| format!("{key}.body_base64: {e}"));
        }
        if let Some(file) = self.file {
            let path = dir.join(file);
            return std::fs::read(&path)
                .map_err(|e| format!("{key}.body_file: cannot read {}: {e}", path.display()));
        }
        Ok(Vec::new())
    }
}

/// One answer to an `http-fetch`: a response, or an error the host would give.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FetchAnswer {
    #[serde(default = "default_status")]
    pub status: u16,
    #[serde(default)]
    pub headers: Headers,
    #[serde(default)]
    body: Option<Value>,
    #[serde(default)]
    body_text: Option<String>,
    #[serde(default)]
    body_base64: Option<String>,
    #[serde(default)]
    body_file: Option<PathBuf>,
    /// `timeout` or `network`: the fetch fails instead of answering.
    #[serde(default)]
    pub error: Option<FetchFailure>,
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

fn default_status() -> u16 {
    200
}

/// A failed fetch a case can script.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FetchFailure {
    Timeout,
    Network,
}

/// What must come of the call. Every key is optional; a case must give at least one.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The webhook response's status.
    #[serde(default)]
    pub status: Option<u16>,
    /// Headers the webhook response must carry (others may be there too).
    #[serde(default)]
    pub headers: Option<Value>,
    /// The webhook response's body: JSON where it parses, else text.
    #[serde(default)]
    pub body: Option<Value>,
    /// The webhook response's body as exact text (a challenge echo, say, that
    /// would otherwise read as a JSON number).
    #[serde(default)]
    pub body_text: Option<String>,
    /// The messages emitted, in order, each given by the fields that matter (for a
    /// poll that fails, none: the host stores nothing of it).
    #[serde(default)]
    pub messages: Option<Value>,
    /// The reason of `host.dead-letter`, or `null` for none.
    #[serde(default, deserialize_with = "present")]
    pub dead_letter: Option<Value>,
    /// The outbound requests made, in order.
    #[serde(default)]
    pub requests: Option<Value>,
    /// The export's return value: `{"ok": …}` or `{"error": …}`.
    #[serde(default)]
    pub result: Option<Value>,
    /// State keys after the call (text), `null` for a key that must be gone.
    #[serde(default)]
    pub state: Option<Value>,
    /// A part of the trap message, for a case that shows the call trapping.
    #[serde(default)]
    pub trap: Option<String>,
}

/// Tells `"dead_letter": null` (assert none) apart from an absent key.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

impl Expect {
    fn is_empty(&self) -> bool {
        self.status.is_none()
            && self.headers.is_none()
            && self.body.is_none()
            && self.body_text.is_none()
            && self.messages.is_none()
            && self.dead_letter.is_none()
            && self.requests.is_none()
            && self.result.is_none()
            && self.state.is_none()
            && self.trap.is_none()
    }
}

/// Reads every `*.json` file of `dir` (not recursing), sorted by name.
pub fn load_cases(dir: &Path) -> Result<Vec<Case>, CaseError> {
    let entries = std::fs::read_dir(dir).map_err(|source| CaseError::Dir {
        dir: dir.to_owned(),
        source,
    })?;
    let mut paths = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|source| CaseError::Dir {
                dir: dir.to_owned(),
                source,
            })?
            .path();
        if path.extension().is_some_and(|e| e == "json") && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    if paths.is_empty() {
        return Err(CaseError::NoCases {
            dir: dir.to_owned(),
        });
    }
    paths.iter().map(|p| load_case(p)).collect()
}

/// Reads and checks one case file.
pub fn load_case(path: &Path) -> Result<Case, CaseError> {
    let invalid = |reason: String| CaseError::Invalid {
        path: path.to_owned(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|source| CaseError::Read {
        path: path.to_owned(),
        source,
    })?;
    let mut spec: CaseSpec = serde_json::from_slice(&bytes).map_err(|e| invalid(format!("{e}")))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    if spec.expect.is_empty() {
        return Err(invalid(
            "`expect` asserts nothing; give at least one key".to_owned(),
        ));
    }
    for (i, answer) in spec.fetch.iter_mut().enumerate() {
        answer.bytes = body_spec!(answer)
            .bytes(dir, &format!("fetch[{i}]"))
            .map_err(&invalid)?;
    }
    let call = take_call(&mut spec, dir).map_err(invalid)?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Case {
        name,
        path: path.to_owned(),
        spec,
        call,
    })
}

fn take_call(spec: &mut CaseSpec, dir: &Path) -> Result<Call, String> {
    let given = [
        spec.webhook.is_some(),
        spec.respond.is_some(),
        spec.persisted.is_some(),
        spec.download.is_some(),
        spec.poll.is_some(),
        spec.open.is_some(),
        spec.frame.is_some(),
        spec.tick.is_some(),
    ];
    const CALLS: &str = "webhook, respond, persisted, download, poll, open, frame or tick";
    match given.iter().filter(|g| **g).count() {
        1 => {}
        0 => return Err(format!("give the call to make: {CALLS}")),
        _ => return Err(format!("give only one call: {CALLS}")),
    }
    if let Some(open) = spec.open.take() {
        return Ok(Call::Open(open.context()));
    }
    if let Some(tick) = spec.tick.take() {
        return Ok(Call::Tick(tick.context()));
    }
    if let Some(frame) = spec.frame.take() {
        let text = match (frame.body, frame.body_text, frame.body_file) {
            (Some(json), None, None) => json.to_string(),
            (None, Some(text), None) => text,
            (None, None, Some(file)) => {
                let path = dir.join(file);
                std::fs::read_to_string(&path)
                    .map_err(|e| format!("frame.body_file: cannot read {}: {e}", path.display()))?
            }
            _ => return Err("frame: give one of body, body_text, body_file".into()),
        };
        let context = SessionContext {
            cursor: frame.cursor,
            memo: frame.memo,
        };
        return Ok(Call::Frame(text, context));
    }
    if let Some(poll) = spec.poll.take() {
        return Ok(Call::Poll(poll.cursor));
    }
    if let Some(webhook) = spec.webhook.take() {
        let body = body_spec!(webhook).bytes(dir, "webhook")?;
        return Ok(Call::Webhook(WebhookInput {
            method: webhook.method.to_ascii_uppercase(),
            path: webhook.path,
            query: webhook.query,
            headers: webhook.headers.pairs(),
            body,
            sign: webhook.sign,
        }));
    }
    if let Some(mut respond) = spec.respond.take() {
        if let Some(original) = respond.get_mut("in_reply_to") {
            metadata_as_text(original);
        }
        return serde_json::from_value(respond)
            .map(Call::Respond)
            .map_err(|e| format!("respond: {e}"));
    }
    if let Some(mut message) = spec.persisted.take() {
        metadata_as_text(&mut message);
        return serde_json::from_value(message)
            .map(Call::Persisted)
            .map_err(|e| format!("persisted: {e}"));
    }
    match spec.download.take() {
        Some(attachment) => Ok(Call::Download(attachment)),
        None => unreachable!("one call was counted above"),
    }
}

/// Lets a case write a message's `metadata` as the JSON object it is; the contract
/// carries it as text.
fn metadata_as_text(message: &mut Value) {
    if let Some(metadata) = message.get_mut("metadata")
        && !metadata.is_string()
    {
        *metadata = Value::String(metadata.to_string());
    }
}
