/**
 * Webhook deliveries: the JSON body your app sends, turned into one inbound message.
 *
 * ```json
 * { "id": "msg-1", "conversation_id": "ticket-42", "sender_id": "user-7", "text": "hi",
 *   "chat_type": "group", "sender_is_bot": false, "thread_id": "t-3" }
 * ```
 *
 * The first four fields are required; `sender_name`, `chat_type`, `sender_is_bot` and
 * `thread_id` are optional. The host has already checked the Standard Webhooks
 * signature before this code runs, so everything here is about the payload's shape.
 *
 * Plain JavaScript with no WIT imports, so `node --test` runs it as it is.
 *
 * @module
 */

/** The documented shape, for the error an app gets when the body is not even a JSON object. */
const SHAPE =
  'expected a JSON object with string fields id, conversation_id, sender_id and text ' +
  '(optional: sender_name, chat_type, sender_is_bot, thread_id)';

/** The largest value a WIT `u64` holds; a bigger timestamp is no timestamp. */
const U64_MAX = 2n ** 64n - 1n;

/**
 * Where the app says a message was written. Without `chat_type` the channel cannot
 * tell, and says so: the host then treats it as a direct message. The values are the
 * WIT `chat-type` cases this channel uses.
 *
 * @typedef {'unknown' | 'direct' | 'group'} ChatType
 */

/**
 * A message ready to be emitted, in plain JavaScript values.
 *
 * @typedef {object} Message
 * @property {string} externalId The app's message id: the deduplication key, so a
 *   retried delivery is stored once.
 * @property {string} conversationId
 * @property {string} senderId
 * @property {string | undefined} senderName
 * @property {boolean} senderIsBot True for a bot or an automation of the app: stored,
 *   never answered.
 * @property {string} text
 * @property {ChatType} chatType
 * @property {string | undefined} threadId The thread inside the conversation; replies
 *   name it again.
 * @property {bigint} timestamp Unix seconds from the signed `webhook-timestamp`
 *   header (0 if absent). A `bigint` because the contract's field is a `u64`.
 * @property {string} metadata JSON object stored with the message and handed back
 *   with replies.
 */

/** Why a delivery carries no message; the app gets the message back with a 400. */
export class Rejected extends Error {
  name = 'Rejected';
}

/**
 * Parses a delivery.
 *
 * Each field is checked by name, so the app's author reads which one is wrong instead
 * of a parser position. Unknown fields are ignored so the app can send more than this
 * channel reads; `null` counts as absent.
 *
 * @param {ReadonlyArray<readonly [string, string]>} headers The request's headers
 *   (lower-case names).
 * @param {Uint8Array} body The raw body.
 * @returns {Message}
 * @throws {Rejected} when the body does not fit the documented shape.
 */
export function parseDelivery(headers, body) {
  const delivery = decodeObject(body);
  const externalId = required(delivery, 'id');
  const conversationId = required(delivery, 'conversation_id');
  const senderId = required(delivery, 'sender_id');
  const text = optionalString(delivery, 'text');
  if (text === undefined) {
    throw new Rejected('`text` is missing');
  }
  // Checked in the order the Rust example checks them, so a body with several
  // mistakes gets the same answer from both.
  const kind = chatType(delivery);
  const isBot = senderIsBot(delivery);
  return {
    externalId,
    conversationId,
    senderId,
    senderName: optionalString(delivery, 'sender_name'),
    senderIsBot: isBot,
    text,
    chatType: kind,
    // An empty thread is no thread: replies would otherwise name one that does not
    // exist.
    threadId: optionalString(delivery, 'thread_id') || undefined,
    timestamp: timestamp(header(headers, 'webhook-timestamp')),
    // The delivery id identifies this attempt's payload on the sender's side; keeping
    // it makes a stored message traceable to the app's own logs.
    metadata: JSON.stringify({ webhook_id: header(headers, 'webhook-id') ?? null }),
  };
}

/**
 * @param {Uint8Array} body
 * @returns {Record<string, unknown>}
 */
function decodeObject(body) {
  let value;
  try {
    // `fatal`: a body that is not UTF-8 is not JSON, as the Rust channel says too.
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch (error) {
    throw new Rejected(`${SHAPE}: ${error instanceof Error ? error.message : error}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const got = Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`;
    throw new Rejected(`${SHAPE}: got ${got}`);
  }
  return value;
}

// A value the channel does not know is the app's mistake, and a 400 naming it is the
// quickest way for the app's author to see it; guessing would store a group message
// as a direct one.
/**
 * @param {Record<string, unknown>} delivery
 * @returns {ChatType}
 */
function chatType(delivery) {
  const value = optionalString(delivery, 'chat_type');
  switch (value) {
    case undefined:
      return 'unknown';
    case 'direct':
    case 'group':
      return value;
    default:
      throw new Rejected(`\`chat_type\` is \`${value}\`; expected \`direct\` or \`group\``);
  }
}

/** @param {Record<string, unknown>} delivery */
function senderIsBot(delivery) {
  const value = delivery.sender_is_bot ?? false;
  if (typeof value !== 'boolean') {
    throw new Rejected('`sender_is_bot` must be true or false');
  }
  return value;
}

/**
 * An optional string field: `undefined` when absent or `null`.
 *
 * @param {Record<string, unknown>} delivery
 * @param {string} field
 * @returns {string | undefined}
 */
function optionalString(delivery, field) {
  const value = delivery[field] ?? undefined;
  if (value !== undefined && typeof value !== 'string') {
    throw new Rejected(`\`${field}\` must be a string`);
  }
  return value;
}

/**
 * A string field that must be there and must not be empty: the ids.
 *
 * @param {Record<string, unknown>} delivery
 * @param {string} field
 */
function required(delivery, field) {
  const value = optionalString(delivery, field);
  if (value === undefined) {
    throw new Rejected(`\`${field}\` is missing`);
  }
  if (value === '') {
    throw new Rejected(`\`${field}\` must not be empty`);
  }
  return value;
}

/**
 * @param {ReadonlyArray<readonly [string, string]>} headers
 * @param {string} name
 */
function header(headers, name) {
  return headers.find(([n]) => n === name)?.[1];
}

/**
 * Unix seconds, or 0 for a header that is absent or not a `u64`.
 *
 * @param {string | undefined} value
 */
function timestamp(value) {
  if (value === undefined || !/^[0-9]+$/.test(value)) {
    return 0n;
  }
  const seconds = BigInt(value);
  return seconds <= U64_MAX ? seconds : 0n;
}
