"""Unit tests of the model stub's pure logic: python3 -m unittest discover -s tools/model-stub"""

import base64
import json
import math
import struct
import unittest

import model_stub as stub

SEND_MESSAGE = {
    "type": "function",
    "function": {
        "name": "send_message",
        "parameters": {
            "type": "object",
            "properties": {"thinking": {"type": "string"}, "message": {"type": "string"}},
            "required": ["thinking", "message"],
        },
    },
}


class ChatCompletionTests(unittest.TestCase):
    def test_answers_with_a_send_message_call_naming_the_task(self):
        request = {
            "model": "stub-model",
            "messages": [
                {"role": "system", "content": "You are Letta"},
                {"role": "user", "content": '{"type": "login", "last_login": "Never"}'},
                {"role": "user", "content": "Design the event schema"},
            ],
            "tools": [SEND_MESSAGE],
            "tool_choice": "required",
        }
        completion = stub.chat_completion(request, now=0)
        choice = completion["choices"][0]
        self.assertEqual(choice["finish_reason"], "tool_calls")
        call = choice["message"]["tool_calls"][0]
        self.assertEqual(call["function"]["name"], "send_message")
        arguments = json.loads(call["function"]["arguments"])
        self.assertEqual(arguments["message"], "Task accepted by the stub model: Design the event schema")
        self.assertIn("thinking", arguments)
        self.assertEqual(completion, stub.chat_completion(request, now=0), "deterministic")

    def test_letta_wrapped_user_message_is_unwrapped(self):
        wrapped = json.dumps({"type": "user_message", "message": "Write the ADR", "time": "now"})
        request = {"messages": [{"role": "user", "content": [{"type": "text", "text": wrapped}]}]}
        completion = stub.chat_completion(request)
        self.assertEqual(completion["choices"][0]["message"]["content"], "Task accepted by the stub model: Write the ADR")
        self.assertEqual(completion["choices"][0]["finish_reason"], "stop")

    def test_fail_marker_raises(self):
        with self.assertRaises(stub.ModelFailure):
            stub.chat_completion({"messages": [{"role": "user", "content": "please FAIL_MODEL"}], "tools": [SEND_MESSAGE]})

    def test_delay_marker_is_parsed_from_the_latest_user_message(self):
        def request(*texts):
            return {"messages": [{"role": "user", "content": text} for text in texts]}

        self.assertEqual(stub.requested_delay(request("work DELAY_MODEL=2.5 please")), 2.5)
        self.assertEqual(stub.requested_delay(request("DELAY_MODEL=3", "no marker here")), 0.0)
        self.assertEqual(stub.requested_delay(request("plain")), 0.0)
        self.assertEqual(stub.requested_delay(request("DELAY_MODEL=99999")), stub.MAX_DELAY_SECONDS)

    def test_fail_marker_in_an_older_message_does_not_fail(self):
        request = {
            "messages": [
                {"role": "user", "content": "FAIL_MODEL"},
                {"role": "assistant", "content": None},
                {"role": "user", "content": "Try again"},
            ]
        }
        self.assertIn("Try again", stub.chat_completion(request)["choices"][0]["message"]["content"])

    def test_stream_chunks_carry_the_tool_call_and_finish(self):
        completion = stub.chat_completion({"messages": [{"role": "user", "content": "x"}], "tools": [SEND_MESSAGE]})
        chunks = stub.stream_chunks(completion)
        self.assertEqual(chunks[0]["choices"][0]["delta"]["tool_calls"][0]["index"], 0)
        self.assertEqual(chunks[1]["choices"][0]["finish_reason"], "tool_calls")
        self.assertEqual(chunks[2]["usage"], completion["usage"])


class EmbeddingTests(unittest.TestCase):
    def test_vectors_are_deterministic_unit_vectors_of_the_requested_dimension(self):
        response = stub.embeddings({"input": ["a", "b", "a"], "dimensions": 8})
        vectors = [item["embedding"] for item in response["data"]]
        self.assertEqual([len(v) for v in vectors], [8, 8, 8])
        self.assertEqual(vectors[0], vectors[2])
        self.assertNotEqual(vectors[0], vectors[1])
        self.assertAlmostEqual(math.sqrt(sum(x * x for x in vectors[0])), 1.0, places=9)

    def test_base64_encoding_is_little_endian_float32(self):
        response = stub.embeddings({"input": "a", "dimensions": 4, "encoding_format": "base64"})
        raw = base64.b64decode(response["data"][0]["embedding"])
        decoded = struct.unpack("<4f", raw)
        expected = stub.embedding_vector("a", 4)
        for got, want in zip(decoded, expected):
            self.assertAlmostEqual(got, want, places=6)

    def test_bad_dimension_is_rejected(self):
        with self.assertRaises(ValueError):
            stub.embeddings({"input": "a", "dimensions": 0})


if __name__ == "__main__":
    unittest.main()
