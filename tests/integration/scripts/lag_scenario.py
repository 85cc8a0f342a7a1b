"""A consumer group in one of the behaviours consumer-lag verdicts must tell apart, driven by kafka-python.

  keepup   consume and commit after every batch, until stdin closes
  stall    consume once and commit, then keep committing that same offset every 300 ms without reading further,
           until stdin closes
  stop     consume what is there, commit, print, and leave the group (its members are gone; its offsets stay)
Each prints {"ready": true, "committed": {partition: offset}} once it has committed for the first time.
"""

import argparse
import json
import sys
import threading
import time

from kafka import KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["keepup", "stall", "stop"])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--group", required=True)
    args = parser.parse_args()

    stdin_closed = threading.Event()

    def watch_stdin():
        sys.stdin.read()
        stdin_closed.set()

    threading.Thread(target=watch_stdin, daemon=True).start()

    consumer = KafkaConsumer(
        args.topic,
        bootstrap_servers=args.bootstrap,
        group_id=args.group,
        client_id=args.role,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        session_timeout_ms=6000,
        heartbeat_interval_ms=300,
        fetch_max_wait_ms=100,
    )
    deadline = time.monotonic() + 30
    while not consumer.assignment() and time.monotonic() < deadline:
        consumer.poll(timeout_ms=200)
    if not consumer.assignment():
        print(json.dumps({"error": "no assignment within 30 s"}), flush=True)
        sys.exit(1)
    # Read what is there now.
    idle_polls = 0
    while idle_polls < 3:
        batch = consumer.poll(timeout_ms=200)
        idle_polls = 0 if batch else idle_polls + 1
    consumer.commit()
    committed = {tp.partition: consumer.committed(tp) for tp in consumer.assignment()}
    print(json.dumps({"ready": True, "committed": committed}), flush=True)

    if args.role == "stop":
        consumer.close()
        return
    fixed = {tp: OffsetAndMetadata(consumer.position(tp), "") for tp in consumer.assignment()}
    while not stdin_closed.is_set():
        if args.role == "keepup":
            consumer.poll(timeout_ms=200)
            consumer.commit()
        else:
            consumer.commit(fixed)
            time.sleep(0.3)
    consumer.close()


if __name__ == "__main__":
    main()
