"""A reply → one POST to reply_url, and the app's answer → receipt or retryable or
permanent failure. Standard library only: ``python3 -m unittest discover`` here."""

import json
import unittest

from outbound import BEARER_PLACEHOLDER, Failure, Reply, build, judge

URL = "https://app.example/replies"


def reply(text="hi", in_reply_to=None, **more):
    return Reply(
        conversation_id="c1", text=text, in_reply_to=in_reply_to, idempotency_key="key-1", **more
    )


def failure_of(call, *args):
    with unittest.TestCase().assertRaises(Failure) as caught:
        call(*args)
    return caught.exception


class BuildTest(unittest.TestCase):
    def test_a_reply_is_a_json_post_with_an_idempotency_key(self):
        post = build(URL, None, reply("hi", "m1"))
        self.assertEqual(post.url, URL)
        self.assertIn(("content-type", "application/json"), post.headers)
        self.assertIn(("idempotency-key", "key-1"), post.headers)
        self.assertEqual(
            json.loads(post.body), {"conversation_id": "c1", "text": "hi", "in_reply_to": "m1"}
        )
        self.assertFalse(any(name == "authorization" for name, _ in post.headers))

    def test_bearer_auth_uses_a_placeholder_never_a_token(self):
        post = build(URL, "bearer", reply("t"))
        self.assertIn(("authorization", "Bearer {{secret:reply_token}}"), post.headers)
        self.assertEqual(BEARER_PLACEHOLDER, "Bearer {{secret:reply_token}}")
        self.assertIsNone(json.loads(post.body)["in_reply_to"])
        self.assertEqual(build(URL, "none", reply("t")).headers, build(URL, None, reply("t")).headers)

    def test_configuration_mistakes_are_permanent_failures(self):
        for url in (None, ""):
            missing = failure_of(build, url, None, reply("t"))
            self.assertFalse(missing.retryable)
            self.assertIn("reply_url", missing.message)
        odd = failure_of(build, URL, "basic", reply("t"))
        self.assertFalse(odd.retryable)
        self.assertIn("basic", odd.message)

    def test_a_reply_into_a_thread_names_it(self):
        post = build(URL, None, reply("hi", "m1", thread_id="t-3"))
        self.assertEqual(
            json.loads(post.body),
            {"conversation_id": "c1", "text": "hi", "in_reply_to": "m1", "thread_id": "t-3"},
        )

    def test_a_reply_with_files_fails_for_good_instead_of_losing_them(self):
        failure = failure_of(build, URL, None, reply("see attached", "m1", attachments=2))
        self.assertFalse(failure.retryable)
        self.assertIn("2 attachment(s)", failure.message)

    def test_the_text_is_sent_as_utf8_json(self):
        post = build(URL, None, reply("grüße 👋"))
        self.assertEqual(json.loads(post.body.decode("utf-8"))["text"], "grüße 👋")


class JudgeTest(unittest.TestCase):
    def test_any_2xx_is_delivered_with_the_answer_id_as_receipt(self):
        self.assertEqual(judge(200, [], b'{"id":"r-9"}'), "r-9")
        self.assertIsNone(judge(204, [], b""))
        self.assertIsNone(judge(200, [], b"ok"), "a non-JSON answer is still delivered")
        self.assertIsNone(judge(201, [], b'{"id":9}'), "only a string id is a receipt")

    def test_408_429_and_5xx_are_retried_honouring_retry_after(self):
        limited = failure_of(judge, 429, [("Retry-After", "7")], b"slow down")
        self.assertTrue(limited.retryable)
        self.assertEqual(limited.retry_after_secs, 7)
        self.assertIn("429", limited.message)
        self.assertIn("slow down", limited.message)
        self.assertTrue(failure_of(judge, 503, [], b"").retryable)
        self.assertTrue(failure_of(judge, 408, [], b"").retryable)
        dated = failure_of(judge, 503, [("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")], b"")
        self.assertIsNone(dated.retry_after_secs)

    def test_other_statuses_are_permanent(self):
        for status in (301, 400, 404, 410):
            failure = failure_of(judge, status, [], b"no such conversation")
            self.assertFalse(failure.retryable, status)

    def test_the_answer_quoted_in_the_error_is_short(self):
        failure = failure_of(judge, 500, [], b"x" * 10_000)
        self.assertLess(len(failure.message), 300)


if __name__ == "__main__":
    unittest.main()
