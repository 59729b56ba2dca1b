#!/usr/bin/env python3
"""Publishes one Bloodbank envelope the way the Python Bloodbank producer does, with pika.

The envelope is built like the Python model serialises it (pydantic `model_dump_json`: compact, keys in
model order, `Z` timestamps with microseconds) and published with the brief §1 properties and publisher
confirms. Prints the event id.
usage: pika_publish.py AMQP_URL EXCHANGE EVENT_TYPE PAYLOAD_JSON [PARENT_ID ...]
"""
import datetime
import json
import socket
import sys
import uuid

import pika


def main() -> int:
    url, exchange, event_type, payload = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
    parents = sys.argv[5:]
    event_id = str(uuid.uuid4())
    now = datetime.datetime.now(datetime.timezone.utc)
    envelope = {
        "event_id": event_id,
        "event_type": event_type,
        "timestamp": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "version": "1.0.0",
        "source": {"host": socket.gethostname(), "type": "agent", "app": "python-bloodbank", "meta": None},
        "correlation_ids": parents,
        "agent_context": None,
        "payload": payload,
    }
    body = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    channel.confirm_delivery()
    channel.basic_publish(
        exchange=exchange,
        routing_key=event_type,
        body=body,
        properties=pika.BasicProperties(
            content_type="application/json",
            content_encoding="utf-8",
            delivery_mode=2,
            message_id=event_id,
        ),
        mandatory=True,
    )
    connection.close()
    print(event_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
