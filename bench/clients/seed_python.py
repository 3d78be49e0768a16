"""The seed's Python stack, written the way the seed app wrote it, for the benchmark harness.

produce: a loop over a range, produce() with a delivery callback, poll(0) after each send, flush() at the end;
  idempotent with acks=all, the settings kafka-fleet's producer runs with (the seed used acks=all alone).
consume: a batch consumer on consume(num_messages=BATCH), committing synchronously after each batch.
Reports to the harness with JSON lines on stdout: ready, first (first record consumed), done.
"""

import argparse
import json
import struct
import sys

from confluent_kafka import Consumer, Producer


def say(event, **fields):
    sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
    sys.stdout.flush()


def produce(args):
    producer = Producer({"bootstrap.servers": args.brokers, "acks": "all", "enable.idempotence": True})
    pad = b"\0" * (args.size - 8)
    delivered = 0
    failed = 0

    def delivery_report(err, msg):
        nonlocal delivered, failed
        if err is not None:
            failed += 1
        else:
            delivered += 1

    say("ready")
    for i in range(args.count):
        value = struct.pack(">q", i) + pad
        while True:
            try:
                producer.produce(args.topic, value=value, callback=delivery_report)
                break
            except BufferError:
                # The local queue is full: serve delivery reports to make room, as the seed did.
                producer.poll(0.1)
        producer.poll(0)
    producer.flush()
    say("done", count=delivered, failed=failed)


def consume(args):
    consumer = Consumer(
        {
            "bootstrap.servers": args.brokers,
            "group.id": args.group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([args.topic])
    say("ready")
    seen = 0
    while seen < args.count:
        messages = consumer.consume(num_messages=args.batch, timeout=1.0)
        batch = [m for m in messages if m.error() is None]
        if not batch:
            continue
        if seen == 0:
            say("first", count=len(batch))
        for message in batch:
            struct.unpack(">q", message.value()[:8])
        seen += len(batch)
        consumer.commit(asynchronous=False)
    say("done", count=seen)
    consumer.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["produce", "consume"], required=True)
    parser.add_argument("--brokers", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--size", type=int, default=8)
    parser.add_argument("--group", default="bench-python")
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    (produce if args.mode == "produce" else consume)(args)


if __name__ == "__main__":
    main()
