#!/usr/bin/env python3
"""The same benchmark with Python pika: persistent publishes with confirms, then consume with acks.

pika's BlockingConnection confirms each publish synchronously (its documented mode), so the window is 1.
Prints one JSON line. usage: pika_bench.py AMQP_URL [COUNT] [BODY_BYTES]
"""
import json
import sys
import time
import uuid

import pika


def main() -> None:
    url = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
    body = b"x" * (int(sys.argv[3]) if len(sys.argv) > 3 else 1024)
    queue = "bench_pika_" + uuid.uuid4().hex[:8]
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    channel.queue_declare(queue=queue, durable=True)
    channel.confirm_delivery()
    properties = pika.BasicProperties(content_type="application/json", delivery_mode=2)
    start = time.monotonic()
    for _ in range(count):
        channel.basic_publish(exchange="", routing_key=queue, body=body, properties=properties)
    publish_seconds = time.monotonic() - start

    channel.basic_qos(prefetch_count=500)
    received = 0
    start = time.monotonic()
    for method, _, _ in channel.consume(queue, inactivity_timeout=30):
        if method is None:
            break
        received += 1
        if received % 100 == 0 or received == count:
            channel.basic_ack(method.delivery_tag, multiple=True)
        if received == count:
            break
    consume_seconds = time.monotonic() - start
    channel.cancel()
    channel.queue_delete(queue)
    connection.close()
    print(json.dumps({
        "client": "pika-" + pika.__version__,
        "messages": count,
        "window": 1,
        "body_bytes": len(body),
        "publish_confirmed_per_s": int(count / publish_seconds),
        "consume_acked_per_s": int(received / consume_seconds),
    }))


if __name__ == "__main__":
    main()
