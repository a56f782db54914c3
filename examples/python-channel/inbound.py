"""Webhook deliveries: the JSON body your app sends, turned into one inbound message.

    {"id": "msg-1", "conversation_id": "ticket-42", "sender_id": "user-7", "text": "hi",
     "chat_type": "group", "sender_is_bot": false, "thread_id": "t-3"}

The first four fields are required; ``sender_name``, ``chat_type``,
``sender_is_bot`` and ``thread_id`` are optional. The host has already checked the
Standard Webhooks signature before this code runs, so everything here is about the
payload's shape.

Plain Python only (no generated bindings), so ``python3 -m unittest`` runs it natively.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import Enum
from itertools import accumulate
from typing import Any, Mapping, Optional, Sequence, Tuple

# The documented shape, for the error an app gets back when the body is not even a
# JSON object.
SHAPE = (
    "expected a JSON object with string fields id, conversation_id, sender_id and text "
    "(optional: sender_name, chat_type, sender_is_bot, thread_id)"
)

# Deepest nesting of arrays and objects accepted, as in most JSON parsers (serde_json's
# default). The interpreter's own parser recurses per level and runs out of wasm stack
# (a trap, so the delivery becomes a dead letter) somewhere between 1000 and 2000
# levels, long before Python's recursion limit could turn it into an error.
MAX_DEPTH = 128

# A JSON string, escapes included: brackets inside one are text, not nesting.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}

# `webhook-timestamp` is a u64 on the wire of the contract.
_MAX_U64 = 2**64 - 1


class ChatType(Enum):
    """Where the app says a message was written. Without ``chat_type`` the channel
    cannot tell, and says so: the host then treats it as a direct message."""

    UNKNOWN = "unknown"
    DIRECT = "direct"
    GROUP = "group"


@dataclass(frozen=True)
class Message:
    """A message ready to be emitted, in plain Python types."""

    # The app's message id: the deduplication key, so a retried delivery is stored once.
    external_id: str
    conversation_id: str
    sender_id: str
    sender_name: Optional[str]
    # True for a bot or an automation of the app: stored, never answered.
    sender_is_bot: bool
    text: str
    chat_type: ChatType
    # The thread inside the conversation; replies name it again.
    thread_id: Optional[str]
    # Unix seconds from the signed `webhook-timestamp` header (0 if absent).
    timestamp: int
    # JSON object stored with the message and handed back with replies.
    metadata: str


class Rejected(Exception):
    """Why a delivery carries no message; the app gets it back with a 400."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


Headers = Sequence[Tuple[str, str]]


def parse(headers: Headers, body: bytes) -> Message:
    """Parses a delivery. ``headers`` are the request's (lower-case names).

    Each field is checked by name, so the app's author reads which one is wrong
    instead of a parser position. Unknown fields are ignored so the app can send more
    than this channel reads; ``null`` counts as absent.
    """
    fields = _json_object(body)
    external_id = _required(fields, "id")
    conversation_id = _required(fields, "conversation_id")
    sender_id = _required(fields, "sender_id")
    text = _string(fields, "text")
    if text is None:
        raise Rejected("`text` is missing")
    chat_type = _chat_type(fields)
    sender_is_bot = _sender_is_bot(fields)
    return Message(
        external_id=external_id,
        conversation_id=conversation_id,
        sender_id=sender_id,
        sender_name=_string(fields, "sender_name"),
        sender_is_bot=sender_is_bot,
        text=text,
        chat_type=chat_type,
        # An empty thread is no thread: replies would otherwise name one that does not
        # exist.
        thread_id=_string(fields, "thread_id") or None,
        timestamp=_timestamp(_header(headers, "webhook-timestamp")),
        # The delivery id identifies this attempt's payload on the sender's side;
        # keeping it makes a stored message traceable to the app's own logs.
        metadata=compact_json({"webhook_id": _header(headers, "webhook-id")}),
    )


def compact_json(value: Any) -> str:
    """JSON without spaces, non-ASCII kept as is: what the host stores and the app
    reads."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _json_object(body: bytes) -> Mapping[str, Any]:
    # Strict JSON: UTF-8 only and no NaN/Infinity, which other JSON parsers (the
    # app's, the host's) would refuse when they read the stored message back.
    try:
        text = body.decode("utf-8")
        _check_depth(text)
        value = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as error:
        raise Rejected(f"{SHAPE}: {error}") from None
    if not isinstance(value, dict):
        raise Rejected(f"{SHAPE}: got {_json_type(value)}")
    return value


def _check_depth(text: str) -> None:
    # Fewer brackets than the limit cannot nest deeper than it: the usual case, at
    # the cost of two `count`s. Otherwise the nesting is measured with the regular
    # expression engine and `accumulate`, so a hostile megabyte of brackets costs
    # milliseconds, not a Python loop over every character.
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    if max(accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0) > MAX_DEPTH:
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels")


def _no_constant(name: str) -> Any:
    raise ValueError(f"`{name}` is not JSON")


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return "null"


def _string(fields: Mapping[str, Any], name: str) -> Optional[str]:
    """An optional string field: ``None`` when absent or ``null``."""
    value = fields.get(name)
    if value is None or isinstance(value, str):
        return value
    raise Rejected(f"`{name}` must be a string")


def _required(fields: Mapping[str, Any], name: str) -> str:
    """A string field that must be there and must not be empty: the ids."""
    value = _string(fields, name)
    if value is None:
        raise Rejected(f"`{name}` is missing")
    if not value:
        raise Rejected(f"`{name}` must not be empty")
    return value


def _chat_type(fields: Mapping[str, Any]) -> ChatType:
    # A value the channel does not know is the app's mistake, and a 400 naming it is
    # the quickest way for the app's author to see it; guessing would store a group
    # message as a direct one.
    value = _string(fields, "chat_type")
    if value is None:
        return ChatType.UNKNOWN
    if value == "direct":
        return ChatType.DIRECT
    if value == "group":
        return ChatType.GROUP
    raise Rejected(f"`chat_type` is `{value}`; expected `direct` or `group`")


def _sender_is_bot(fields: Mapping[str, Any]) -> bool:
    value = fields.get("sender_is_bot")
    if value is None:
        return False
    # `isinstance(1, bool)` is False, so a number is refused as it should be.
    if isinstance(value, bool):
        return value
    raise Rejected("`sender_is_bot` must be true or false")


def _header(headers: Headers, name: str) -> Optional[str]:
    return next((value for key, value in headers if key == name), None)


def _timestamp(value: Optional[str]) -> int:
    # Digits only: `int()` would also take spaces, underscores and signs.
    if value is None or not (value.isascii() and value.isdigit()):
        return 0
    seconds = int(value)
    return seconds if seconds <= _MAX_U64 else 0
