"""`webhook-py`: a Switchboard channel for any app that can send a signed webhook and
receive a JSON POST, in Python. Contract ``switchboard:channel@0.2.1``, world
``minimal``.

- **In:** your app POSTs ``{"id", "conversation_id", "sender_id", "text"}`` to
  ``/webhooks/<instance>``, signed with Standard Webhooks. The host checks the
  signature with the ``signing_secret`` before this code runs; ``id`` is the
  deduplication key. ``sender_name``, ``chat_type``, ``sender_is_bot`` and
  ``thread_id`` are optional (see ``inbound.py``). A body that does not fit gets 400
  with the field named and nothing is stored: your app is the one to fix it, so this
  channel never needs ``host.dead_letter``.
- **Out:** each reply is POSTed as ``{"conversation_id", "text", "in_reply_to"}``
  (plus ``"thread_id"`` in a thread) to the ``reply_url`` setting, with an
  ``idempotency-key`` header (see ``outbound.py``). Replies are text only.

This module is the WIT glue: it is the only one that imports the bindings
componentize-py generates while it builds the component. ``inbound`` and
``outbound`` hold the logic in plain Python, so the unit tests run without them.
"""

from typing import List, Tuple

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import host
from wit_world.imports.types import (
    ChatType,
    DeliveryError,
    FetchError,
    FetchError_Denied,
    FetchError_Invalid,
    FetchError_Network,
    FetchError_Timeout,
    FetchError_TooLarge,
    HttpRequest,
    HttpResponse,
    InboundMessage,
    LogLevel,
    MessageKind,
    OutboundMessage,
    OutgoingRequest,
    Receipt,
    RequestBody_Bytes,
    SenderKind,
)

import inbound
import outbound
from inbound import compact_json

# How long the app may take to answer a reply; the host caps it at the call's deadline.
REPLY_TIMEOUT_MS = 10_000


class Channel(exports.Channel):
    """The exported ``channel`` interface; componentize-py finds it by its name. The
    host runs every call on a fresh instance of the component, so nothing survives
    from one call to the next (``host.state_set`` keeps what must)."""

    def on_http_request(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return _json_response(405, {"error": "use POST"})
        try:
            message = inbound.parse(request.headers, request.body)
        except inbound.Rejected as rejected:
            return _json_response(400, {"error": rejected.reason})
        try:
            host.emit(_to_wit(message))
        except Err as refused:
            host.log(LogLevel.WARN, f"message {message.external_id} refused: {refused.value}")
            return _json_response(400, {"error": refused.value})
        # The host answers only once the message is durable, so a 200 here means
        # "stored" by the time the app reads it.
        return _json_response(200, {"stored": message.external_id})

    def on_respond(self, message: OutboundMessage) -> Receipt:
        reply = outbound.Reply(
            conversation_id=message.conversation_id,
            thread_id=message.thread_id,
            text=message.text,
            in_reply_to=message.in_reply_to.external_id if message.in_reply_to else None,
            idempotency_key=message.idempotency_key,
            attachments=len(message.attachments),
        )
        try:
            post = outbound.build(host.setting("reply_url"), host.setting("reply_auth"), reply)
        except outbound.Failure as failure:
            raise _delivery_error(failure) from None
        try:
            answer = host.http_fetch(
                OutgoingRequest(
                    method="POST",
                    url=post.url,
                    headers=post.headers,
                    body=RequestBody_Bytes(post.body),
                    timeout_ms=REPLY_TIMEOUT_MS,
                )
            )
        except Err as error:
            raise _fetch_failure(error.value) from None
        try:
            return Receipt(external_id=outbound.judge(answer.status, answer.headers, answer.body))
        except outbound.Failure as failure:
            raise _delivery_error(failure) from None


def _to_wit(message: inbound.Message) -> InboundMessage:
    """The WIT record for a parsed delivery. Every field of the contract is set here on
    purpose, so a reader sees what this channel says about each."""
    return InboundMessage(
        external_id=message.external_id,
        conversation_id=message.conversation_id,
        sender_id=message.sender_id,
        sender_name=message.sender_name,
        # One flag cannot tell this channel's own replies echoed back from another
        # bot's message; as `BOT` both are stored and neither is answered.
        sender_kind=SenderKind.BOT if message.sender_is_bot else SenderKind.USER,
        text=message.text,
        timestamp=message.timestamp,
        reply_to=None,
        kind=MessageKind.TEXT,
        chat_type=_CHAT_TYPES[message.chat_type],
        # The app chose to send it to the agent.
        mentions_bot=True,
        thread_id=message.thread_id,
        is_edit=False,
        edited_at_ms=None,
        attachments=[],
        reaction=None,
        button=None,
        metadata=message.metadata,
    )


_CHAT_TYPES = {
    inbound.ChatType.UNKNOWN: ChatType.UNKNOWN,
    inbound.ChatType.DIRECT: ChatType.DIRECT,
    inbound.ChatType.GROUP: ChatType.GROUP,
}


def _json_response(status: int, body: dict) -> HttpResponse:
    headers: List[Tuple[str, str]] = [("content-type", "application/json")]
    return HttpResponse(status=status, headers=headers, body=compact_json(body).encode("utf-8"))


def _delivery_error(failure: outbound.Failure) -> Err:
    """A failure as the ``Err`` the bindings turn into ``on-respond``'s error result."""
    return Err(
        DeliveryError(
            message=failure.message,
            retryable=failure.retryable,
            retry_after_secs=failure.retry_after_secs,
        )
    )


def _fetch_failure(error: FetchError) -> Err:
    """A refused request (origin not granted, bad URL) will not succeed on retry; the
    network and a slow app may."""
    if isinstance(error, FetchError_Denied):
        reason, retryable = f"the host refused the request: {error.value}", False
    elif isinstance(error, FetchError_Invalid):
        reason, retryable = f"invalid reply request: {error.value}", False
    elif isinstance(error, FetchError_Timeout):
        reason, retryable = "reply_url did not answer in time", True
    elif isinstance(error, FetchError_Network):
        reason, retryable = f"cannot reach reply_url: {error.value}", True
    elif isinstance(error, FetchError_TooLarge):
        reason, retryable = "reply_url answered with an oversized body", True
    else:
        reason, retryable = f"the reply request failed: {error!r}", True
    return _delivery_error(outbound.Failure(reason, retryable=retryable))
