"""Consumer-group scenario against a Kafka-protocol broker, driven by kafka-python (Debian's python3-kafka).

Subcommands (each prints one JSON object on its last stdout line and exits non-zero with a message on failure):
  scenario  produce, run a group of three consumers, let one leave, check the rebalance, commits and the admin
            views (list/describe groups, list group offsets), stop the group, reset its offsets while empty
  hold      join the group with one consumer, print {"joined": ...} once it owns partitions, and stay a member
            until stdin closes; then leave the group
  lagging   produce --count records, consume all of them as a group member, commit each partition p at
            (end offset - p - 2) so the group has a known lag, and leave
"""

import argparse
import json
import sys
import threading
import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.structs import OffsetAndMetadata


def fail(message):
    print(json.dumps({"error": message}), flush=True)
    sys.exit(1)


def wait_until(what, predicate, timeout_s):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    fail("timed out waiting for " + what)


class Member(threading.Thread):
    """One consumer of the group on its own thread (kafka-python blocks in poll() while joining)."""

    def __init__(self, name, args):
        super().__init__(daemon=True)
        self.name = name
        self.args = args
        self.stop_flag = threading.Event()
        self.lock = threading.Lock()
        self.seen = set()
        self.assignment = set()
        self.error = None
        self.closed = threading.Event()

    def run(self):
        try:
            consumer = KafkaConsumer(
                self.args.topic,
                bootstrap_servers=self.args.bootstrap,
                group_id=self.args.group,
                client_id=self.name,
                auto_offset_reset="earliest",
                enable_auto_commit=False,
                session_timeout_ms=6000,
                heartbeat_interval_ms=300,
                max_poll_interval_ms=15000,
                request_timeout_ms=20000,
            )
            while not self.stop_flag.is_set():
                batches = consumer.poll(timeout_ms=200)
                with self.lock:
                    for tp, records in batches.items():
                        for r in records:
                            self.seen.add((tp.partition, r.offset))
                    self.assignment = {tp.partition for tp in consumer.assignment()}
                if batches:
                    consumer.commit()
            consumer.close()  # sends LeaveGroup
        except Exception as e:  # reported by the main thread
            self.error = repr(e)
        finally:
            self.closed.set()

    def snapshot(self):
        with self.lock:
            return set(self.seen), set(self.assignment)


def produce(args, count, start):
    producer = KafkaProducer(bootstrap_servers=args.bootstrap, request_timeout_ms=20000)
    for i in range(start, start + count):
        producer.send(args.topic, key=b"k%d" % i, value=b"v%d" % i, partition=i % args.partitions)
    producer.flush(timeout=30)
    producer.close()


def scenario(args):
    parts = list(range(args.partitions))
    produce(args, args.count, 0)
    members = [Member("member-%d" % i, args) for i in range(3)]
    for m in members:
        m.start()

    def check_errors():
        for m in members:
            if m.error:
                fail("%s failed: %s" % (m.name, m.error))

    def all_seen():
        seen = set()
        for m in members:
            seen |= m.snapshot()[0]
        return seen

    def assignments(group):
        return [m.snapshot()[1] for m in group]

    def three_way():
        check_errors()
        a = assignments(members)
        return all(len(x) == 1 for x in a) and set().union(*a) == set(parts) and len(all_seen()) >= args.count

    wait_until("three members sharing %d partitions and consuming everything" % len(parts), three_way, 60)

    admin = KafkaAdminClient(bootstrap_servers=args.bootstrap, request_timeout_ms=20000)

    def committed():
        offsets = admin.list_consumer_group_offsets(args.group)
        return {tp.partition: om.offset for tp, om in offsets.items() if tp.topic == args.topic}

    wait_until("commits of the first %d records" % args.count, lambda: sum(committed().values()) == args.count, 30)

    # One member leaves: the other two must take over its partition.
    leaver = members[2]
    leaver.stop_flag.set()
    leaver.closed.wait(30)
    rest = members[:2]

    def two_way():
        check_errors()
        a = assignments(rest)
        return set().union(*a) == set(parts) and sorted(len(x) for x in a) == [1, 2] and not (a[0] & a[1])

    wait_until("the two remaining members to take over every partition", two_way, 60)
    after_leave = [sorted(x) for x in assignments(rest)]

    produce(args, args.extra, args.count)
    total = args.count + args.extra
    wait_until("the remaining members to commit all %d records" % total, lambda: sum(committed().values()) == total,
               60)

    listed = admin.list_consumer_groups()
    described = admin.describe_consumer_groups([args.group])[0]
    active = {
        "listed": [[g, p] for g, p in listed],
        "state": described.state,
        "protocol_type": described.protocol_type,
        "protocol": described.protocol,
        "members": sorted(m.client_id for m in described.members),
        "committed": committed(),
    }
    if args.group not in [g for g, _ in listed]:
        fail("list_consumer_groups does not show %s: %r" % (args.group, listed))
    if described.state != "Stable" or len(described.members) != 2:
        fail("describe_consumer_groups: expected Stable with 2 members, got %r" % (described,))

    for m in rest:
        m.stop_flag.set()
    for m in rest:
        m.closed.wait(30)
    check_errors()
    wait_until("the group to become Empty",
               lambda: admin.describe_consumer_groups([args.group])[0].state == "Empty", 30)

    # Offset reset of the now empty group: a commit outside the group (generation -1), as reset tools do.
    resetter = KafkaConsumer(bootstrap_servers=args.bootstrap, group_id=args.group, enable_auto_commit=False,
                             request_timeout_ms=20000)
    tps = [TopicPartition(args.topic, p) for p in parts]
    resetter.assign(tps)
    resetter.commit({tp: OffsetAndMetadata(args.reset_to, "reset") for tp in tps})
    resetter.close(autocommit=False)
    after_reset = committed()
    if any(after_reset.get(p) != args.reset_to for p in parts):
        fail("offsets after the reset: %r" % (after_reset,))
    empty = admin.describe_consumer_groups([args.group])[0]
    admin.close()
    print(json.dumps({
        "active": active,
        "after_leave": after_leave,
        "consumed_unique": len(all_seen()),
        "empty_state": empty.state,
        "empty_members": len(empty.members),
        "after_reset": after_reset,
    }), flush=True)


def hold(args):
    consumer = KafkaConsumer(args.topic, bootstrap_servers=args.bootstrap, group_id=args.group, client_id="holder",
                             auto_offset_reset="earliest", enable_auto_commit=False, session_timeout_ms=6000,
                             heartbeat_interval_ms=300, max_poll_interval_ms=15000, request_timeout_ms=20000)
    done = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    announced = False
    deadline = time.monotonic() + 120
    while not done.is_set() and time.monotonic() < deadline:
        consumer.poll(timeout_ms=200)
        if not announced and consumer.assignment():
            print(json.dumps({"joined": sorted(tp.partition for tp in consumer.assignment())}), flush=True)
            announced = True
    consumer.close()
    print(json.dumps({"left": True}), flush=True)


def lagging(args):
    produce(args, args.count, 0)
    consumer = KafkaConsumer(args.topic, bootstrap_servers=args.bootstrap, group_id=args.group, client_id="lagging",
                             auto_offset_reset="earliest", enable_auto_commit=False, session_timeout_ms=6000,
                             heartbeat_interval_ms=300, max_poll_interval_ms=15000, request_timeout_ms=20000)
    ends = {}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and sum(ends.values()) < args.count:
        for tp, records in consumer.poll(timeout_ms=200).items():
            for r in records:
                ends[tp.partition] = max(ends.get(tp.partition, 0), r.offset + 1)
    if sum(ends.values()) < args.count:
        fail("consumed only %d of %d records" % (sum(ends.values()), args.count))
    offsets = {p: max(0, end - p - 2) for p, end in ends.items()}
    consumer.commit({TopicPartition(args.topic, p): OffsetAndMetadata(o, "") for p, o in offsets.items()})
    consumer.close(autocommit=False)
    print(json.dumps({"ends": ends, "committed": offsets}), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["scenario", "hold", "lagging"])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument("--extra", type=int, default=12)
    parser.add_argument("--reset-to", type=int, default=5)
    args = parser.parse_args()
    if args.command == "scenario":
        scenario(args)
    elif args.command == "hold":
        hold(args)
    else:
        lagging(args)


if __name__ == "__main__":
    main()
