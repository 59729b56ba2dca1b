#!/usr/bin/env python3
"""Consumes N messages from a queue with pika and prints each as one JSON line (properties + body).

Used by the interoperability tests: a message published by Swift (`bb publish`) must arrive in a Python
consumer with exactly the properties of the design brief §1.
usage: pika_consume.py AMQP_URL QUEUE COUNT [TIMEOUT_SECONDS]
"""
import json
import sys
import time

import pika


def main() -> int:
    url, queue, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 20.0
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    deadline = time.monotonic() + timeout
    received = 0
    while received < count and time.monotonic() < deadline:
        method, properties, body = channel.basic_get(queue=queue, auto_ack=False)
        if method is None:
            time.sleep(0.05)
            continue
        print(json.dumps({
            "routing_key": method.routing_key,
            "exchange": method.exchange,
            "content_type": properties.content_type,
            "content_encoding": properties.content_encoding,
            "delivery_mode": properties.delivery_mode,
            "message_id": properties.message_id,
            "headers": properties.headers,
            "body": body.decode("utf-8"),
        }), flush=True)
        channel.basic_ack(method.delivery_tag)
        received += 1
    connection.close()
    return 0 if received == count else 1


if __name__ == "__main__":
    sys.exit(main())
