import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseDelivery, Rejected } from '../src/inbound.js';

const headers = [
  ['webhook-id', 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W'],
  ['webhook-timestamp', '1674087231'],
];

const bytes = (text) => new TextEncoder().encode(text);
const parse = (body) => parseDelivery(headers, bytes(JSON.stringify(body)));
const rejection = (message) => (error) => error instanceof Rejected && error.message === message;

describe('a delivery', () => {
  it('becomes one message keyed by the app id', () => {
    const message = parse({
      id: 'm1',
      conversation_id: 'c1',
      sender_id: 'u1',
      text: 'hello',
      extra: true,
    });
    assert.equal(message.externalId, 'm1');
    assert.equal(message.conversationId, 'c1');
    assert.equal(message.senderId, 'u1');
    assert.equal(message.text, 'hello');
    assert.equal(message.timestamp, 1_674_087_231n);
    assert.deepEqual(JSON.parse(message.metadata), {
      webhook_id: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
    });
  });

  it('without the optional fields comes from a person, somewhere unknown, outside a thread', () => {
    const message = parse({ id: 'm1', conversation_id: 'c1', sender_id: 'u1', text: 'hi' });
    assert.equal(message.chatType, 'unknown');
    assert.equal(message.senderIsBot, false);
    assert.equal(message.threadId, undefined);
    assert.equal(message.senderName, undefined);
  });

  it('says with the optional fields where it was written, by whom and in which thread', () => {
    const message = parse({
      id: 'm2',
      conversation_id: 'c1',
      sender_id: 'ci-bot',
      text: 'build 7 passed',
      sender_name: 'CI',
      chat_type: 'group',
      sender_is_bot: true,
      thread_id: 't-3',
    });
    assert.equal(message.chatType, 'group');
    assert.equal(message.senderIsBot, true);
    assert.equal(message.threadId, 't-3');
    assert.equal(message.senderName, 'CI');

    const direct = parse({
      id: 'm3',
      conversation_id: 'c1',
      sender_id: 'u1',
      text: 'x',
      chat_type: 'direct',
      sender_is_bot: false,
      thread_id: '',
    });
    assert.equal(direct.chatType, 'direct');
    assert.equal(direct.senderIsBot, false);
    assert.equal(direct.threadId, undefined, 'an empty thread is no thread');
  });

  it('treats null as absent', () => {
    const message = parse({
      id: 'm4',
      conversation_id: 'c1',
      sender_id: 'u1',
      text: 'x',
      sender_name: null,
      chat_type: null,
      sender_is_bot: null,
      thread_id: null,
    });
    assert.equal(message.chatType, 'unknown');
    assert.equal(message.senderIsBot, false);
    assert.equal(message.senderName, undefined);
    assert.equal(message.threadId, undefined);
  });

  it('keeps an empty text: only the ids must not be empty', () => {
    assert.equal(parse({ id: 'm5', conversation_id: 'c1', sender_id: 'u1', text: '' }).text, '');
  });

  it('without signature headers has no timestamp and no delivery id', () => {
    const message = parseDelivery(
      [['webhook-timestamp', 'soon']],
      bytes('{"id":"m1","conversation_id":"c1","sender_id":"u1","text":"x"}'),
    );
    assert.equal(message.timestamp, 0n);
    assert.deepEqual(JSON.parse(message.metadata), { webhook_id: null });
  });
});

describe('a delivery that does not fit', () => {
  it('is rejected by name for an unknown chat type or a non-boolean bot flag', () => {
    const base = { id: 'm1', conversation_id: 'c1', sender_id: 'u1', text: 'x' };
    assert.throws(
      () => parse({ ...base, chat_type: 'channel' }),
      rejection('`chat_type` is `channel`; expected `direct` or `group`'),
    );
    assert.throws(
      () => parse({ ...base, sender_is_bot: 'yes' }),
      rejection('`sender_is_bot` must be true or false'),
    );
    assert.throws(() => parse({ ...base, id: 7 }), rejection('`id` must be a string'));
  });

  it('is rejected with the missing or empty field named', () => {
    assert.throws(
      () => parse({ id: 'm1', conversation_id: 'c1', text: 'x' }),
      rejection('`sender_id` is missing'),
    );
    assert.throws(
      () => parse({ id: '', conversation_id: 'c1', sender_id: 'u1', text: 'x' }),
      rejection('`id` must not be empty'),
    );
    assert.throws(
      () => parse({ id: 'm1', conversation_id: 'c1', sender_id: 'u1' }),
      rejection('`text` is missing'),
    );
  });

  it('is rejected with the documented shape when it is not a JSON object', () => {
    for (const body of ['not json', '[1, 2]', 'null', '"text"', '']) {
      assert.throws(
        () => parseDelivery(headers, bytes(body)),
        (error) =>
          error instanceof Rejected && error.message.startsWith('expected a JSON object'),
        body,
      );
    }
    assert.throws(
      () => parseDelivery(headers, Uint8Array.of(0x7b, 0xff, 0x7d)),
      (error) => error instanceof Rejected,
      'a body that is not UTF-8 is not JSON',
    );
  });
});
