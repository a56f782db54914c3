"""Replies: one JSON POST to the ``reply_url`` setting per agent answer.

    {"conversation_id": "ticket-42", "text": "hello!", "in_reply_to": "msg-1"}

A reply into a thread also carries ``"thread_id"``; without one the field is left
out, so an app that never sends threads never sees it.

Plain Python only (no generated bindings), so ``python3 -m unittest`` runs it natively.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from inbound import compact_json

Headers = List[Tuple[str, str]]

# The placeholder the host replaces with the `reply_token` secret on the way out:
# this component never sees the token.
BEARER_PLACEHOLDER = "Bearer {{secret:reply_token}}"

# `retry-after-secs` is a u32 in the contract.
_MAX_U32 = 2**32 - 1


@dataclass(frozen=True)
class Reply:
    """One reply of the agent, in plain Python types (``app.py`` converts it)."""

    conversation_id: str
    text: str
    # Stable across every retry of this reply.
    idempotency_key: str
    # The thread of the message answered, if it had one.
    thread_id: Optional[str] = None
    # The app's id of the message answered; ``None`` when the agent writes first.
    in_reply_to: Optional[str] = None
    # How many files the reply carries; a JSON POST has no room for them.
    attachments: int = 0


@dataclass(frozen=True)
class Post:
    """A reply request, in plain Python types (``app.py`` converts it)."""

    url: str
    headers: Headers
    body: bytes


class Failure(Exception):
    """Why a reply failed; ``retryable`` tells the host whether to try again."""

    def __init__(
        self, message: str, retryable: bool = False, retry_after_secs: Optional[int] = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after_secs = retry_after_secs


def build(reply_url: Optional[str], reply_auth: Optional[str], reply: Reply) -> Post:
    """Builds the POST for one reply. ``reply_url`` and ``reply_auth`` are the settings
    of the same names. Raises a permanent :class:`Failure` for what no retry fixes."""
    # Sending the text without its files would look delivered while losing part of
    # the answer; a permanent failure keeps the whole reply as a dead letter.
    if reply.attachments > 0:
        raise Failure(
            "this channel sends text only; "
            f"the reply carries {reply.attachments} attachment(s)"
        )
    if not reply_url:
        raise Failure("the reply_url setting is not configured")
    headers: Headers = [
        ("content-type", "application/json"),
        # Stable across retries, so the app can drop a reply it already has.
        ("idempotency-key", reply.idempotency_key),
    ]
    auth = "none" if reply_auth is None else reply_auth
    if auth == "bearer":
        headers.append(("authorization", BEARER_PLACEHOLDER))
    elif auth != "none":
        raise Failure(f"reply_auth is `{auth}`; expected `none` or `bearer`")
    body = {
        "conversation_id": reply.conversation_id,
        "text": reply.text,
        "in_reply_to": reply.in_reply_to,
    }
    if reply.thread_id is not None:
        body["thread_id"] = reply.thread_id
    return Post(url=reply_url, headers=headers, body=compact_json(body).encode("utf-8"))


def judge(status: int, headers: Sequence[Tuple[str, str]], body: bytes) -> Optional[str]:
    """Judges the app's answer: any 2xx is delivered (returning the ``id`` of a JSON
    answer as the receipt), 408, 429 and 5xx are worth retrying, other statuses are
    not. Raises :class:`Failure` for anything but 2xx."""
    if 200 <= status < 300:
        return _answer_id(body)
    snippet = body.decode("utf-8", errors="replace")[:200]
    raise Failure(
        f"reply_url answered {status}: {snippet}",
        retryable=status in (408, 429) or status >= 500,
        retry_after_secs=_retry_after(headers),
    )


def _answer_id(body: bytes) -> Optional[str]:
    # The receipt is a courtesy: an answer that is not JSON still means delivered.
    try:
        answer = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):
        return None
    if isinstance(answer, dict) and isinstance(answer.get("id"), str):
        return answer["id"]
    return None


def _retry_after(headers: Sequence[Tuple[str, str]]) -> Optional[int]:
    # Only the delay-seconds form; an HTTP date leaves the host's own backoff.
    value = next((v for k, v in headers if k.lower() == "retry-after"), None)
    if value is None:
        return None
    value = value.strip()
    if not (value.isascii() and value.isdigit()):
        return None
    seconds = int(value)
    return seconds if seconds <= _MAX_U32 else None
