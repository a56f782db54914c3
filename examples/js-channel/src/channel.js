/**
 * `webhook-js`: a Switchboard channel for any app that can send a signed webhook and
 * receive a JSON POST, in JavaScript. Contract `switchboard:channel@0.2.1`, world
 * `minimal`; the same behaviour as the Rust example `examples/webhook-channel`.
 *
 * - **In:** your app POSTs `{"id", "conversation_id", "sender_id", "text"}` (plus the
 *   optional `sender_name`, `chat_type`, `sender_is_bot`, `thread_id`) to
 *   `/webhooks/<instance>`, signed with Standard Webhooks. The host checks the
 *   signature with the `signing_secret` before this code runs; `id` is the
 *   deduplication key. A body that does not fit gets 400 with the field named, and
 *   nothing is stored: your app is the one to fix it, so this channel never needs
 *   `host.dead-letter`.
 * - **Out:** each reply is POSTed as `{"conversation_id", "text", "in_reply_to"}`
 *   (plus `"thread_id"` for a reply into a thread) to the `reply_url` setting, with an
 *   `idempotency-key` header. Replies are text only: one carrying files fails for good
 *   and is kept as a dead letter.
 *
 * This module is the WIT glue: it imports the host's functions and exports the
 * `channel` interface. `inbound.js` and `outbound.js` hold the logic in plain
 * JavaScript, so `node --test` runs them without a WebAssembly toolchain.
 *
 * How the bindings map WIT to JavaScript (see the README for the generated type
 * declarations): records are objects with camelCase fields, `option<T>` is
 * `T | undefined`, enums are their kebab-case names as strings, variants are
 * `{ tag, val }`, `list<u8>` is a `Uint8Array`, `u64` is a `bigint`. An exported
 * function returning `result<T, E>` returns `T` or throws `E`; an imported one returns
 * `T` or throws an error whose `payload` is `E`.
 *
 * @module
 */

import { emit, httpFetch, log, setting } from 'switchboard:channel/host@0.2.1';

import { parseDelivery, Rejected } from './inbound.js';
import { buildReply, Failure, judgeAnswer } from './outbound.js';

/** The exported `switchboard:channel/channel` interface. */
export const channel = {
  /**
   * Handles one verified webhook request.
   *
   * @param {import('switchboard:channel/types@0.2.1').HttpRequest} request
   * @returns {import('switchboard:channel/types@0.2.1').HttpResponse}
   */
  onHttpRequest(request) {
    if (request.method !== 'POST') {
      return jsonResponse(405, { error: 'use POST' });
    }
    let message;
    try {
      message = parseDelivery(request.headers, request.body);
    } catch (error) {
      if (error instanceof Rejected) {
        return jsonResponse(400, { error: error.message });
      }
      throw error;
    }
    try {
      emit(toWit(message));
    } catch (error) {
      const why = errorPayload(error);
      log('warn', `message ${message.externalId} refused: ${why}`);
      return jsonResponse(400, { error: String(why) });
    }
    // The host answers only once the message is durable, so a 200 here means "stored"
    // by the time the app reads it.
    return jsonResponse(200, { stored: message.externalId });
  },

  /**
   * Sends one reply: returns the receipt, or throws the `delivery-error`.
   *
   * @param {import('switchboard:channel/types@0.2.1').OutboundMessage} message
   * @returns {import('switchboard:channel/types@0.2.1').Receipt}
   */
  onRespond(message) {
    try {
      const post = buildReply(setting('reply_url'), setting('reply_auth'), {
        conversationId: message.conversationId,
        threadId: message.threadId,
        text: message.text,
        inReplyTo: message.inReplyTo?.externalId,
        idempotencyKey: message.idempotencyKey,
        attachments: message.attachments.length,
      });
      let answer;
      try {
        answer = httpFetch({
          method: 'POST',
          url: post.url,
          headers: post.headers,
          body: { tag: 'bytes', val: post.body },
          timeoutMs: 10_000,
        });
      } catch (error) {
        const why = /** @type {import('switchboard:channel/types@0.2.1').FetchError} */ (
          errorPayload(error)
        );
        throw fetchFailure(why) ?? error;
      }
      return { externalId: judgeAnswer(answer.status, answer.headers, answer.body) };
    } catch (error) {
      if (error instanceof Failure) {
        // A plain object is thrown as the `delivery-error` itself; an `Error` would
        // trap the call instead.
        throw {
          message: error.message,
          retryable: error.retryable,
          retryAfterSecs: error.retryAfterSecs,
        };
      }
      throw error;
    }
  },
};

/**
 * The WIT record for a parsed delivery. Every field of the contract is set here on
 * purpose, so a reader sees what this channel says about each.
 *
 * @param {import('./inbound.js').Message} message
 * @returns {import('switchboard:channel/types@0.2.1').InboundMessage}
 */
function toWit(message) {
  return {
    externalId: message.externalId,
    conversationId: message.conversationId,
    senderId: message.senderId,
    senderName: message.senderName,
    // One flag cannot tell this channel's own replies echoed back from another bot's
    // message; as `bot` both are stored and neither is answered.
    senderKind: message.senderIsBot ? 'bot' : 'user',
    text: message.text,
    timestamp: message.timestamp,
    replyTo: undefined,
    kind: 'text',
    chatType: message.chatType,
    // The app chose to send it to the agent.
    mentionsBot: true,
    threadId: message.threadId,
    isEdit: false,
    editedAtMs: undefined,
    attachments: [],
    reaction: undefined,
    button: undefined,
    metadata: message.metadata,
  };
}

/**
 * @param {number} status
 * @param {object} body
 * @returns {import('switchboard:channel/types@0.2.1').HttpResponse}
 */
function jsonResponse(status, body) {
  return {
    status,
    headers: [['content-type', 'application/json']],
    body: new TextEncoder().encode(JSON.stringify(body)),
  };
}

/**
 * The `E` of an imported function's `result<T, E>`, from what the call threw.
 *
 * @param {unknown} error
 * @returns {unknown}
 */
function errorPayload(error) {
  return error !== null && typeof error === 'object' && 'payload' in error
    ? error.payload
    : error;
}

/**
 * A refused request (origin not granted, bad URL) will not succeed on retry; the
 * network and a slow app may.
 *
 * @param {import('switchboard:channel/types@0.2.1').FetchError} error
 * @returns {Failure | undefined}
 */
function fetchFailure(error) {
  switch (error?.tag) {
    case 'denied':
      return new Failure(`the host refused the request: ${error.val}`);
    case 'invalid':
      return new Failure(`invalid reply request: ${error.val}`);
    case 'timeout':
      return new Failure('reply_url did not answer in time', { retryable: true });
    case 'network':
      return new Failure(`cannot reach reply_url: ${error.val}`, { retryable: true });
    case 'too-large':
      return new Failure('reply_url answered with an oversized body', { retryable: true });
    default:
      // Not a `fetch-error` at all but a bug in this code: let it trap the call.
      return undefined;
  }
}
