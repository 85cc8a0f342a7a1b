"""Real consumer groups for the replay tests and benchmark, driven by kafka-python (Debian's python3-kafka).

Subcommands (each prints one JSON object on its last stdout line; exits non-zero with {"error": ...} on failure):
  commit  subscribe to --topic as a member of --group, wait for every partition, commit --offsets (p=o,p=o...)
          and leave: the group is then Empty with the offsets committed, as a stopped consumer leaves it
  hold    subscribe as --client-id, print {"joined": [...]} once partitions are assigned, and stay a member until
          stdin closes
  bench   the peer of the replay benchmark, for --groups (comma separated) on --topic-prefix topics: describe each
          group, read its committed offsets, commit every partition's offset minus --shift in one commit, read them
          back and check them; prints {"seconds": ...}
"""

import argparse
import json
import sys
import time

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata


def fail(message):
    print(json.dumps({"error": message}), flush=True)
    sys.exit(1)


def commit(args):
    offsets = {}
    for item in args.offsets.split(","):
        p, o = item.split("=")
        offsets[int(p)] = int(o)
    consumer = KafkaConsumer(
        args.topic,
        bootstrap_servers=args.bootstrap,
        group_id=args.group,
        client_id=args.client_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=6000,
        heartbeat_interval_ms=300,
    )
    deadline = time.monotonic() + 60
    while {tp.partition for tp in consumer.assignment()} != set(offsets) and time.monotonic() < deadline:
        consumer.poll(timeout_ms=200)
    if {tp.partition for tp in consumer.assignment()} != set(offsets):
        fail("not assigned %s within 60 s" % sorted(offsets))
    consumer.commit({TopicPartition(args.topic, p): OffsetAndMetadata(o, None) for p, o in offsets.items()})
    consumer.close()  # leaves the group
    print(json.dumps({"committed": offsets}), flush=True)


def hold(args):
    consumer = KafkaConsumer(
        args.topic,
        bootstrap_servers=args.bootstrap,
        group_id=args.group,
        client_id=args.client_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=6000,
        heartbeat_interval_ms=300,
    )
    deadline = time.monotonic() + 60
    while not consumer.assignment() and time.monotonic() < deadline:
        consumer.poll(timeout_ms=200)
    if not consumer.assignment():
        fail("no partitions assigned within 60 s")
    print(json.dumps({"joined": sorted(tp.partition for tp in consumer.assignment())}), flush=True)
    import select

    while True:
        ready, _, _ = select.select([sys.stdin], [], [], 0.2)
        if ready and not sys.stdin.read(1):
            break
        consumer.poll(timeout_ms=100)
    consumer.close()


def bench(args):
    admin = KafkaAdminClient(bootstrap_servers=args.bootstrap, request_timeout_ms=60000)
    groups = args.groups.split(",")
    started = time.monotonic()
    for group in groups:
        described = admin.describe_consumer_groups([group])[0]
        if described.state not in ("Empty", "Dead"):
            fail("group %s is %s" % (group, described.state))
        current = admin.list_consumer_group_offsets(group)
        target = {tp: OffsetAndMetadata(max(0, om.offset - args.shift), None) for tp, om in current.items()}
        # kafka-python has no alter_consumer_group_offsets: a consumer of the empty group commits them.
        consumer = KafkaConsumer(bootstrap_servers=args.bootstrap, group_id=group, enable_auto_commit=False,
                                 request_timeout_ms=60000)
        consumer.commit(target)
        consumer.close(autocommit=False)
        back = admin.list_consumer_group_offsets(group)
        for tp, om in target.items():
            if back[tp].offset != om.offset:
                fail("%s %s read back %d, not %d" % (group, tp, back[tp].offset, om.offset))
    print(json.dumps({"seconds": time.monotonic() - started, "groups": len(groups)}), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["commit", "hold", "bench"])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic")
    parser.add_argument("--group")
    parser.add_argument("--groups")
    parser.add_argument("--client-id", default="replay-test")
    parser.add_argument("--offsets")
    parser.add_argument("--shift", type=int, default=1)
    args = parser.parse_args()
    try:
        {"commit": commit, "hold": hold, "bench": bench}[args.command](args)
    except SystemExit:
        raise
    except Exception as e:  # noqa: BLE001 - reported to the test as JSON
        fail(repr(e))


if __name__ == "__main__":
    main()
