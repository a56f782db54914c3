import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { buildReply, Failure, judgeAnswer } from '../src/outbound.js';

const reply = (overrides = {}) => ({
  conversationId: 'c1',
  threadId: undefined,
  text: 'hi',
  inReplyTo: 'm1',
  idempotencyKey: 'key-1',
  attachments: 0,
  ...overrides,
});

const json = (bytes) => JSON.parse(new TextDecoder().decode(bytes));
const bytes = (text) => new TextEncoder().encode(text);

describe('a reply', () => {
  it('is a JSON post with an idempotency key', () => {
    const post = buildReply('https://app.example/replies', undefined, reply());
    assert.equal(post.url, 'https://app.example/replies');
    assert.deepEqual(post.headers, [
      ['content-type', 'application/json'],
      ['idempotency-key', 'key-1'],
    ]);
    assert.deepEqual(json(post.body), { conversation_id: 'c1', text: 'hi', in_reply_to: 'm1' });
  });

  it('authenticates with a placeholder for the token, never the token', () => {
    const post = buildReply('https://a.example/r', 'bearer', reply({ inReplyTo: undefined }));
    assert.ok(
      post.headers.some(([n, v]) => n === 'authorization' && v === 'Bearer {{secret:reply_token}}'),
      JSON.stringify(post.headers),
    );
    assert.equal(json(post.body).in_reply_to, null, 'the agent wrote first');
  });

  it('into a thread names it', () => {
    const post = buildReply('https://a.example/r', 'none', reply({ threadId: 't-3' }));
    assert.deepEqual(json(post.body), {
      conversation_id: 'c1',
      text: 'hi',
      in_reply_to: 'm1',
      thread_id: 't-3',
    });
  });

  it('fails for good on a configuration mistake', () => {
    for (const url of [undefined, '']) {
      assert.throws(
        () => buildReply(url, undefined, reply()),
        (error) => error instanceof Failure && !error.retryable && /reply_url/.test(error.message),
      );
    }
    assert.throws(
      () => buildReply('https://a.example', 'basic', reply()),
      (error) => error instanceof Failure && !error.retryable && error.message.includes('basic'),
    );
  });

  it('with files fails for good instead of losing them', () => {
    assert.throws(
      () => buildReply('https://a.example/r', undefined, reply({ attachments: 2 })),
      (error) =>
        error instanceof Failure &&
        !error.retryable &&
        error.message.includes('2 attachment(s)'),
    );
  });
});

describe("the app's answer", () => {
  it('is delivered on any 2xx, with the id of a JSON answer as the receipt', () => {
    assert.equal(judgeAnswer(200, [], bytes('{"id":"r-9"}')), 'r-9');
    assert.equal(judgeAnswer(204, [], bytes('')), undefined);
    assert.equal(judgeAnswer(201, [], bytes('{"id":7}')), undefined);
    assert.equal(judgeAnswer(200, [], bytes('ok')), undefined);
  });

  it('is retried on 408, 429 (honouring Retry-After) and 5xx', () => {
    assert.throws(
      () => judgeAnswer(429, [['Retry-After', ' 7 ']], bytes('slow down')),
      (error) =>
        error instanceof Failure &&
        error.retryable &&
        error.retryAfterSecs === 7 &&
        error.message === 'reply_url answered 429: slow down',
    );
    for (const status of [408, 500, 503]) {
      assert.throws(
        () => judgeAnswer(status, [['retry-after', 'Wed, 21 Oct 2015 07:28:00 GMT']], bytes('')),
        (error) => error.retryable && error.retryAfterSecs === undefined,
        String(status),
      );
    }
  });

  it('fails for good on any other status, quoting at most 200 characters', () => {
    assert.throws(
      () => judgeAnswer(404, [], bytes('no such conversation')),
      (error) => error instanceof Failure && !error.retryable,
    );
    assert.throws(
      () => judgeAnswer(400, [], bytes('é'.repeat(300))),
      (error) => error.message === `reply_url answered 400: ${'é'.repeat(200)}`,
    );
  });
});
