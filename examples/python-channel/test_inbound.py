"""The delivery body → one message: what an app's author sees when a body is right or
wrong. Standard library only: ``python3 -m unittest discover`` in this folder."""

import json
import unittest

from inbound import ChatType, Rejected, parse

HEADERS = [
    ("webhook-id", "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"),
    ("webhook-timestamp", "1674087231"),
]


def body(**fields):
    return json.dumps(fields).encode("utf-8")


def rejection(raw, headers=HEADERS):
    with unittest.TestCase().assertRaises(Rejected) as caught:
        parse(headers, raw)
    return caught.exception.reason


class ParseTest(unittest.TestCase):
    def test_a_delivery_becomes_one_message_keyed_by_the_app_id(self):
        message = parse(
            HEADERS,
            body(id="m1", conversation_id="c1", sender_id="u1", text="hello", extra=True),
        )
        self.assertEqual(message.external_id, "m1")
        self.assertEqual(message.conversation_id, "c1")
        self.assertEqual(message.sender_id, "u1")
        self.assertEqual(message.text, "hello")
        self.assertEqual(message.timestamp, 1_674_087_231)
        self.assertEqual(
            json.loads(message.metadata), {"webhook_id": "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"}
        )

    def test_without_the_optional_fields_a_person_wrote_it_somewhere_unknown_outside_a_thread(
        self,
    ):
        message = parse(HEADERS, body(id="m1", conversation_id="c1", sender_id="u1", text="hi"))
        self.assertIs(message.chat_type, ChatType.UNKNOWN)
        self.assertFalse(message.sender_is_bot)
        self.assertIsNone(message.thread_id)
        self.assertIsNone(message.sender_name)

    def test_null_counts_as_absent(self):
        message = parse(
            HEADERS,
            body(
                id="m1",
                conversation_id="c1",
                sender_id="u1",
                text="hi",
                sender_name=None,
                chat_type=None,
                sender_is_bot=None,
                thread_id=None,
            ),
        )
        self.assertIs(message.chat_type, ChatType.UNKNOWN)
        self.assertFalse(message.sender_is_bot)
        self.assertIsNone(message.thread_id)
        self.assertIsNone(message.sender_name)

    def test_the_optional_fields_say_where_it_was_written_by_whom_and_in_which_thread(self):
        message = parse(
            HEADERS,
            body(
                id="m2",
                conversation_id="c1",
                sender_id="ci-bot",
                text="build 7 passed",
                sender_name="CI",
                chat_type="group",
                sender_is_bot=True,
                thread_id="t-3",
            ),
        )
        self.assertIs(message.chat_type, ChatType.GROUP)
        self.assertTrue(message.sender_is_bot)
        self.assertEqual(message.thread_id, "t-3")
        self.assertEqual(message.sender_name, "CI")

        direct = parse(
            HEADERS,
            body(
                id="m3",
                conversation_id="c1",
                sender_id="u1",
                text="x",
                chat_type="direct",
                sender_is_bot=False,
                thread_id="",
            ),
        )
        self.assertIs(direct.chat_type, ChatType.DIRECT)
        self.assertFalse(direct.sender_is_bot)
        self.assertIsNone(direct.thread_id, "an empty thread is no thread")

    def test_an_empty_text_is_a_message_but_a_missing_one_is_not(self):
        message = parse(HEADERS, body(id="m1", conversation_id="c1", sender_id="u1", text=""))
        self.assertEqual(message.text, "")
        self.assertEqual(
            rejection(body(id="m1", conversation_id="c1", sender_id="u1")), "`text` is missing"
        )

    def test_an_unknown_chat_type_or_a_non_boolean_bot_flag_is_rejected_by_name(self):
        base = dict(id="m1", conversation_id="c1", sender_id="u1", text="x")
        self.assertEqual(
            rejection(body(**base, chat_type="channel")),
            "`chat_type` is `channel`; expected `direct` or `group`",
        )
        for flag in ("yes", 1, 0):
            self.assertEqual(
                rejection(body(**base, sender_is_bot=flag)),
                "`sender_is_bot` must be true or false",
                flag,
            )
        self.assertEqual(
            rejection(body(id=7, conversation_id="c1", sender_id="u1", text="x")),
            "`id` must be a string",
        )
        self.assertEqual(rejection(body(**base, thread_id=3)), "`thread_id` must be a string")

    def test_missing_or_empty_fields_are_rejected_with_the_field_named(self):
        self.assertEqual(
            rejection(body(id="m1", conversation_id="c1", text="x")), "`sender_id` is missing"
        )
        self.assertEqual(
            rejection(body(id="", conversation_id="c1", sender_id="u1", text="x")),
            "`id` must not be empty",
        )
        self.assertTrue(rejection(b"not json").startswith("expected a JSON object"))
        self.assertTrue(rejection(b"[1, 2]").startswith("expected a JSON object"))

    def test_bodies_other_json_readers_would_refuse_are_rejected_not_stored(self):
        # Invalid UTF-8, NaN and nesting deeper than the interpreter's recursion limit
        # are each a 400, never a trap (which would keep the delivery as a dead letter).
        for raw in (
            b'{"id":"m1","conversation_id":"c1","sender_id":"u1","text":"\xff"}',
            b'{"id":"m1","conversation_id":"c1","sender_id":"u1","text":"x","n":NaN}',
            b"[" * 100_000 + b"]" * 100_000,
        ):
            self.assertTrue(rejection(raw).startswith("expected a JSON object"), raw[:40])

    def test_nesting_is_bounded_so_a_hostile_body_cannot_exhaust_the_stack(self):
        def nested(depth):
            inner = b"[" * (depth - 1) + b"]" * (depth - 1)
            return b'{"id":"m1","conversation_id":"c1","sender_id":"u1","text":"x","n":' + inner + b"}"

        self.assertEqual(parse(HEADERS, nested(128)).external_id, "m1")
        self.assertIn("nested deeper than 128 levels", rejection(nested(129)))
        # Brackets inside strings are text, not nesting.
        text = json.dumps("[" * 1000 + '\\"{')
        raw = b'{"id":"m1","conversation_id":"c1","sender_id":"u1","text":' + text.encode() + b"}"
        self.assertEqual(parse(HEADERS, raw).text, "[" * 1000 + '\\"{')

    def test_the_timestamp_is_the_signed_header_or_zero(self):
        raw = body(id="m1", conversation_id="c1", sender_id="u1", text="x")
        self.assertEqual(parse([], raw).timestamp, 0)
        self.assertEqual(parse([("webhook-timestamp", "soon")], raw).timestamp, 0)
        self.assertEqual(parse([("webhook-timestamp", "-5")], raw).timestamp, 0)
        self.assertEqual(json.loads(parse([], raw).metadata), {"webhook_id": None})


if __name__ == "__main__":
    unittest.main()
