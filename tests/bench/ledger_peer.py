#!/usr/bin/python3
"""Peer of bench_ledger: the same offsets rows inserted with Python's sqlite3, one transaction per poll, into a plain
table (one row per observation, WAL, synchronous=NORMAL, an index for "a group's offsets at T").

Usage: ledger_peer.py OBSERVATIONS_CSV DATABASE
The CSV holds `poll,at_ms,group,topic,partition,committed,high,log_start` lines, grouped by poll.
Prints `rows=<n> seconds=<s> bytes=<database + WAL size>`."""
import csv
import os
import sqlite3
import sys
import time

source, database = sys.argv[1], sys.argv[2]
polls = []
with open(source, newline="") as f:
    current, rows = None, []
    for poll, at, group, topic, partition, committed, high, log_start in csv.reader(f):
        if poll != current and rows:
            polls.append(rows)
            rows = []
        current = poll
        rows.append(("kafka", "cluster", group, topic, int(partition), int(committed), int(high), int(log_start),
                     int(at)))
    if rows:
        polls.append(rows)

for suffix in ("", "-wal", "-shm"):
    if os.path.exists(database + suffix):
        os.remove(database + suffix)
db = sqlite3.connect(database, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=NORMAL")
db.execute("CREATE TABLE offsets(source_id TEXT, cluster_id TEXT, group_id TEXT, topic TEXT, partition INTEGER, "
           "committed INTEGER, high INTEGER, log_start INTEGER, at_ms INTEGER)")
db.execute("CREATE INDEX offsets_at ON offsets(source_id, group_id, topic, partition, at_ms)")
count = 0
start = time.perf_counter()
for rows in polls:
    db.execute("BEGIN")
    db.executemany("INSERT INTO offsets VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    db.execute("COMMIT")
    count += len(rows)
seconds = time.perf_counter() - start
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
db.close()
size = sum(os.path.getsize(database + s) for s in ("", "-wal") if os.path.exists(database + s))
print(f"rows={count} seconds={seconds:.6f} bytes={size}")
