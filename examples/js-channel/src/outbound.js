/**
 * Replies: one JSON POST to the `reply_url` setting per agent answer.
 *
 * ```json
 * { "conversation_id": "ticket-42", "text": "hello!", "in_reply_to": "msg-1" }
 * ```
 *
 * A reply into a thread also carries `"thread_id"`; without one the field is left out,
 * so an app that never sends threads never sees it.
 *
 * Plain JavaScript with no WIT imports, so `node --test` runs it as it is.
 *
 * @module
 */

/**
 * One reply of the agent, in plain JavaScript values (the glue in `channel.js`
 * converts the contract's `outbound-message`).
 *
 * @typedef {object} Reply
 * @property {string} conversationId
 * @property {string} [threadId] The thread of the message answered, if it had one.
 * @property {string} text
 * @property {string} [inReplyTo] The app's id of the message answered; absent when the
 *   agent writes first.
 * @property {string} idempotencyKey Stable across every retry of this reply.
 * @property {number} attachments How many files the reply carries; a JSON POST has no
 *   room for them.
 */

/**
 * A reply request.
 *
 * @typedef {object} Post
 * @property {string} url
 * @property {Array<[string, string]>} headers
 * @property {Uint8Array} body
 */

/** Why a reply failed; `retryable` tells the host whether to try again. */
export class Failure extends Error {
  name = 'Failure';

  /**
   * @param {string} message
   * @param {{ retryable?: boolean, retryAfterSecs?: number }} [options]
   */
  constructor(message, { retryable = false, retryAfterSecs } = {}) {
    super(message);
    this.retryable = retryable;
    this.retryAfterSecs = retryAfterSecs;
  }
}

/** The largest value a WIT `u32` holds: a longer `Retry-After` is not honoured. */
const U32_MAX = 2 ** 32 - 1;

/**
 * Builds the POST for one reply.
 *
 * @param {string | undefined} replyUrl The `reply_url` setting.
 * @param {string | undefined} replyAuth The `reply_auth` setting.
 * @param {Reply} reply
 * @returns {Post}
 * @throws {Failure} (permanent) for a reply this channel cannot send or a
 *   configuration mistake.
 */
export function buildReply(replyUrl, replyAuth, reply) {
  // Sending the text without its files would look delivered while losing part of the
  // answer; a permanent failure keeps the whole reply as a dead letter.
  if (reply.attachments > 0) {
    throw new Failure(
      `this channel sends text only; the reply carries ${reply.attachments} attachment(s)`,
    );
  }
  if (!replyUrl) {
    throw new Failure('the reply_url setting is not configured');
  }
  /** @type {Array<[string, string]>} */
  const headers = [
    ['content-type', 'application/json'],
    // Stable across retries, so the app can drop a reply it already has.
    ['idempotency-key', reply.idempotencyKey],
  ];
  const auth = replyAuth ?? 'none';
  switch (auth) {
    case 'none':
      break;
    case 'bearer':
      // The host replaces the placeholder with the secret on the way out; this
      // component never sees the token.
      headers.push(['authorization', 'Bearer {{secret:reply_token}}']);
      break;
    default:
      throw new Failure(`reply_auth is \`${auth}\`; expected \`none\` or \`bearer\``);
  }
  /** @type {Record<string, string | null>} */
  const body = {
    conversation_id: reply.conversationId,
    text: reply.text,
    in_reply_to: reply.inReplyTo ?? null,
  };
  if (reply.threadId !== undefined) {
    body.thread_id = reply.threadId;
  }
  return { url: replyUrl, headers, body: new TextEncoder().encode(JSON.stringify(body)) };
}

/**
 * Judges the app's answer: any 2xx is delivered (with the `id` of a JSON answer as the
 * receipt), 408, 429 and 5xx are worth retrying, other statuses are not.
 *
 * @param {number} status
 * @param {ReadonlyArray<readonly [string, string]>} headers
 * @param {Uint8Array} body
 * @returns {string | undefined} The app's id for the reply, when it sent one.
 * @throws {Failure} for any other status.
 */
export function judgeAnswer(status, headers, body) {
  const text = new TextDecoder().decode(body);
  if (status >= 200 && status < 300) {
    return receiptId(text);
  }
  const retryAfter = headers.find(([name]) => name.toLowerCase() === 'retry-after')?.[1];
  // At most 200 characters of the answer: enough to tell why, small enough for a log.
  const snippet = Array.from(text).slice(0, 200).join('');
  throw new Failure(`reply_url answered ${status}: ${snippet}`, {
    retryable: status === 408 || status === 429 || status >= 500,
    retryAfterSecs: seconds(retryAfter),
  });
}

/**
 * The `id` of a JSON object answer; anything else is a receipt without one.
 *
 * @param {string} text
 */
function receiptId(text) {
  try {
    const id = JSON.parse(text)?.id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A `Retry-After` in seconds; the HTTP-date form is not honoured.
 *
 * @param {string | undefined} value
 */
function seconds(value) {
  const trimmed = value?.trim();
  if (trimmed === undefined || !/^[0-9]+$/.test(trimmed)) {
    return undefined;
  }
  const secs = Number(trimmed);
  return secs <= U32_MAX ? secs : undefined;
}
