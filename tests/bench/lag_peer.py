"""What most lag exporters do, with kafka-python: list the groups, then per group its committed offsets and the
end offsets of those partitions. Prints {"seconds": <one full cycle>, "groups": n, "partitions": n}; the clients'
connection set-up is done before the clock starts (a warm-up cycle)."""

import json
import sys
import time

from kafka import KafkaAdminClient, KafkaConsumer


def cycle(admin, consumer):
    partitions = 0
    total_lag = 0
    for group, _ in admin.list_consumer_groups():
        committed = admin.list_consumer_group_offsets(group)
        ends = consumer.end_offsets(list(committed.keys()))
        for tp, meta in committed.items():
            total_lag += max(0, ends[tp] - meta.offset)
            partitions += 1
    return partitions, total_lag


def main():
    bootstrap = sys.argv[1]
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="bench-peer")
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, client_id="bench-peer")
    cycle(admin, consumer)  # warm-up: connections and metadata
    print(json.dumps({"warm": True}), flush=True)
    sys.stdin.readline()  # the benchmark reads the broker's request count, then lets the measured cycle start
    start = time.monotonic()
    partitions, total_lag = cycle(admin, consumer)
    seconds = time.monotonic() - start
    print(json.dumps({"seconds": seconds, "partitions": partitions, "lag": total_lag}), flush=True)


if __name__ == "__main__":
    main()
