"""Broker round trip and throughput: the embedded tacitfs:// against kombu's filesystem and Redis.

Usage::

    .venv/bin/python bench/broker.py                     # all transports that are reachable
    .venv/bin/python bench/broker.py --messages 2000 --transports tacitfs filesystem

For each transport, with the polling interval the product uses (0.05 s for the embedded ones):

- round trip: a consumer process waits on a queue; this process sends ``--pings`` messages,
  one every 20 ms, each carrying the time it was sent; the consumer notes when it got it.
  Prints p50/p95 in milliseconds.
- throughput: this process publishes ``--messages`` small messages as fast as it can, then a
  consumer process drains them. Prints messages per second for each side.

kombu's own filesystem transport may crash its consumer here (the race of kombu issue 1551
that tacitfs removes); that shows as an error in its row. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import shutil
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))


def _connection(transport: str, folder: Path):  # noqa: ANN202
    from kombu import Connection

    from core.broker import TRANSPORT_PATH

    if transport == "redis":
        return Connection("redis://127.0.0.1:6379/14")
    options = {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "control_folder": str(folder / "control"),
        "polling_interval": 0.05,
    }
    if transport == "tacitfs":
        return Connection(transport=TRANSPORT_PATH, transport_options=options)
    for sub in ("queue", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return Connection("filesystem://", transport_options=options)


def _consume(transport: str, folder: Path, queue: str, count: int, out) -> None:  # noqa: ANN001
    """Take ``count`` messages; send back (arrival times, sent times, drain seconds)."""
    try:
        with _connection(transport, folder) as connection:
            simple = connection.SimpleQueue(queue)
            out.send("ready")
            sent, arrived, first = [], [], None
            while len(arrived) < count:
                message = simple.get(block=True, timeout=60)
                now = time.time()
                first = first or now
                arrived.append(now)
                sent.append(message.payload["t"])
                message.ack()
            out.send((arrived, sent, arrived[-1] - first))
    except Exception as error:  # noqa: BLE001 - reported in the row, not raised
        out.send(f"error: {type(error).__name__}: {error}")


def _round_trip(transport: str, pings: int) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="tacit-broker-"))
    try:
        parent, child = multiprocessing.Pipe()
        consumer = multiprocessing.Process(
            target=_consume, args=(transport, folder, "rt", pings, child)
        )
        consumer.start()
        if parent.recv() != "ready":
            return {"error": "consumer did not start"}
        with _connection(transport, folder) as connection:
            simple = connection.SimpleQueue("rt")
            for _ in range(pings):
                simple.put({"t": time.time()})
                time.sleep(0.02)
        result = parent.recv() if parent.poll(120) else "error: timed out"
        consumer.join(10)
        if isinstance(result, str):
            return {"error": result}
        arrived, sent, _ = result
        latencies = sorted((a - s) * 1000 for a, s in zip(arrived, sent, strict=True))
        return {
            "round_trip_p50_ms": round(statistics.median(latencies), 1),
            "round_trip_p95_ms": round(latencies[int(len(latencies) * 0.95) - 1], 1),
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _throughput(transport: str, messages: int) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="tacit-broker-"))
    try:
        with _connection(transport, folder) as connection:
            simple = connection.SimpleQueue("tp")
            simple.clear()
            start = time.perf_counter()
            for number in range(messages):
                simple.put({"t": time.time(), "n": number})
            published = time.perf_counter() - start
        parent, child = multiprocessing.Pipe()
        consumer = multiprocessing.Process(
            target=_consume, args=(transport, folder, "tp", messages, child)
        )
        consumer.start()
        parent.recv()
        result = parent.recv() if parent.poll(600) else "error: timed out"
        consumer.join(10)
        row = {"publish_per_s": round(messages / published)}
        if isinstance(result, str):
            return {**row, "error": result}
        return {**row, "consume_per_s": round(messages / max(result[2], 1e-9))}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pings", type=int, default=200)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument(
        "--transports", nargs="+", default=["tacitfs", "filesystem", "redis"], metavar="NAME"
    )
    args = parser.parse_args()
    results = {}
    for transport in args.transports:
        if transport == "redis" and not _redis_up():
            print("redis: nothing answers on 127.0.0.1:6379, skipped", file=sys.stderr)
            continue
        row = {**_round_trip(transport, args.pings), **_throughput(transport, args.messages)}
        results[transport] = row
        print(f"{transport:>10}: {row}", file=sys.stderr)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
