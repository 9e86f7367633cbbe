"""The embedded broker (core/broker.py) hands out whole messages, each exactly once."""

import json
import logging
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from kombu import Connection, Exchange, Queue

from core.broker import TRANSPORT_PATH
from tests.conftest import REPO_ROOT

PUBLISHERS = 4
MESSAGES_EACH = 1500
QUEUE = "stress"


def _connection(folder: Path) -> Connection:
    return Connection(
        transport=TRANSPORT_PATH,
        transport_options={
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "control_folder": str(folder / "control"),
            "claim_folder": str(folder / "claimed"),
            "quarantine_folder": str(folder / "quarantine"),
            "polling_interval": 0.01,
        },
    )


def _truncated_message(folder: Path, queue: str) -> Path:
    """A message file as a producer that died mid-write (or kombu's own race) leaves it."""
    path = folder / "queue" / f"{time.time_ns():020d}_deadbeef.{queue}.msg"
    path.write_bytes(b'{"body": "eyJhcmdzIjog')
    return path


def _env(broker_dir: Path) -> dict[str, str]:
    env = os.environ.copy()
    env.pop("CELERY_BROKER_URL", None)  # the embedded broker, whatever this run was given
    env["TACIT_BROKER_DIR"] = str(broker_dir)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _start(role: str, *args: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.core.broker_stress", role, *args],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_it_delivers_every_message_exactly_once_under_concurrent_processes(tmp_path) -> None:  # noqa: ANN001
    broker_dir = tmp_path / "broker"
    env = _env(broker_dir)
    stop_file = tmp_path / "stop"
    outputs = [tmp_path / f"consumer-{n}.txt" for n in range(2)]
    consumers = [_start("consume", str(out), str(stop_file), QUEUE, env=env) for out in outputs]
    publishers = [
        _start("publish", f"p{n}", str(MESSAGES_EACH), QUEUE, env=env) for n in range(PUBLISHERS)
    ]
    # A broken file among the good ones: it must be set aside, not crash a consumer.
    (broker_dir / "queue").mkdir(parents=True, exist_ok=True)
    truncated = _truncated_message(broker_dir, QUEUE)

    for process in publishers:
        output, _ = process.communicate(timeout=120)
        assert process.returncode == 0, output
    stop_file.touch()
    logs = []
    for process in consumers:
        output, _ = process.communicate(timeout=120)
        logs.append(output)
        assert process.returncode == 0, output
        assert "Traceback" not in output, output

    received = Counter(line for out in outputs for line in out.read_text().splitlines())
    expected = {f"p{p}:{n}" for p in range(PUBLISHERS) for n in range(MESSAGES_EACH)}
    assert set(received) == expected, f"lost: {len(expected - set(received))}"
    assert max(received.values()) == 1, "a message was delivered twice"
    assert all(count for count in received.values())
    # Both consumers took part, and the queue is empty of everything but nothing.
    assert all(out.read_text() for out in outputs)
    assert not list((broker_dir / "queue").glob("*.msg"))
    assert not list((broker_dir / "claimed").iterdir())
    assert (broker_dir / "quarantine" / truncated.name).exists()
    assert any("cannot be decoded" in log and truncated.name in log for log in logs)


def test_it_quarantines_a_file_that_cannot_be_decoded_and_goes_on(tmp_path, caplog) -> None:  # noqa: ANN001
    with _connection(tmp_path) as connection:
        queue = connection.SimpleQueue("jobs")
        broken = _truncated_message(tmp_path, "jobs")
        not_an_object = tmp_path / "queue" / f"{time.time_ns():020d}_cafe.jobs.msg"
        not_an_object.write_bytes(b"[1, 2]")
        queue.put({"n": 1})
        with caplog.at_level(logging.WARNING, logger="core.broker"):
            message = queue.get(timeout=5)
        assert message.payload == {"n": 1}
        message.ack()
        with pytest.raises(queue.Empty):
            queue.get(timeout=0.2)
        queue.close()
    quarantined = {path.name for path in (tmp_path / "quarantine").iterdir()}
    assert quarantined == {broken.name, not_an_object.name}
    assert sum("cannot be decoded" in record.getMessage() for record in caplog.records) == 2


def test_a_consumer_never_sees_a_message_before_it_is_complete(tmp_path) -> None:  # noqa: ANN001
    """The only files with a queue's name are complete ones: writing happens under a temp name."""
    with _connection(tmp_path) as connection:
        channel = connection.default_channel
        channel._put("jobs", {"body": "x" * 1_000_000})
    names = [path.name for path in (tmp_path / "queue").iterdir()]
    assert len(names) == 1 and names[0].endswith(".jobs.msg")
    assert json.loads((tmp_path / "queue" / names[0]).read_bytes())["body"] == "x" * 1_000_000


def test_it_puts_back_a_claim_left_by_a_dead_consumer(tmp_path) -> None:  # noqa: ANN001
    with _connection(tmp_path) as connection:
        connection.SimpleQueue("jobs").put({"n": 7})
    # A consumer that claimed the message and died before reading it.
    (message,) = (tmp_path / "queue").glob("*.msg")
    claimed = tmp_path / "claimed" / message.name
    message.rename(claimed)
    old = time.time() - 3600
    os.utime(claimed, (old, old))
    with _connection(tmp_path) as connection:
        queue = connection.SimpleQueue("jobs")
        assert queue.get(timeout=5).payload == {"n": 7}
        queue.close()


def test_concurrent_binds_keep_every_fanout_binding(tmp_path) -> None:  # noqa: ANN001
    """Workers binding their control queues at once all end up in the exchange's table."""
    exchange = Exchange("tacit.pidbox", type="fanout")

    def bind(number: int) -> None:
        with _connection(tmp_path) as connection:
            Queue(f"worker-{number}.pidbox", exchange)(connection.default_channel).declare()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(bind, range(40)))
    table = json.loads((tmp_path / "control" / "tacit.pidbox.exchange").read_text())
    assert sorted(row[2] for row in table) == sorted(f"worker-{n}.pidbox" for n in range(40))
    # A broadcast reaches each bound queue once.
    with _connection(tmp_path) as connection:
        with connection.Producer() as producer:
            producer.publish({"method": "ping"}, exchange=exchange, declare=[exchange])
        assert connection.default_channel._size("worker-3.pidbox") == 1


def test_a_broken_fanout_table_is_set_aside_not_raised(tmp_path, caplog) -> None:  # noqa: ANN001
    (tmp_path / "control").mkdir(parents=True)
    (tmp_path / "control" / "tacit.pidbox.exchange").write_text('[["", "", "wor')
    exchange = Exchange("tacit.pidbox", type="fanout")
    with _connection(tmp_path) as connection, caplog.at_level(logging.WARNING):
        with connection.Producer() as producer:
            producer.publish({"method": "ping"}, exchange=exchange, declare=[exchange])
        Queue("worker-1.pidbox", exchange)(connection.default_channel).declare()
    table = json.loads((tmp_path / "control" / "tacit.pidbox.exchange").read_text())
    assert [row[2] for row in table] == ["worker-1.pidbox"]
    quarantined = [path.name for path in (tmp_path / "quarantine").iterdir()]
    assert any(name.endswith("tacit.pidbox.exchange") for name in quarantined)
    assert any("cannot be decoded" in record.getMessage() for record in caplog.records)


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_inspect_ping_reaches_the_worker(celery_worker) -> None:  # noqa: ANN001
    """The control exchange works through the configured broker: `celery inspect ping`."""
    from config.celery import app

    worker_name = celery_worker.name.replace("%h", socket.gethostname())
    for _ in range(10):
        replies = app.control.ping(destination=[worker_name], timeout=2)
        if replies:
            break
    assert replies == [{worker_name: {"ok": "pong"}}]


def test_it_drops_old_control_messages_for_workers_that_are_gone(tmp_path) -> None:  # noqa: ANN001
    queue = tmp_path / "queue"
    queue.mkdir()
    old_broadcast = queue / f"{time.time_ns():020d}_aa.gone@vm.celery.pidbox.msg"
    new_broadcast = queue / f"{time.time_ns():020d}_bb.gone@vm.celery.pidbox.msg"
    old_task = queue / f"{time.time_ns():020d}_cc.celery.msg"
    for path in (old_broadcast, new_broadcast, old_task):
        path.write_text("{}")
    an_hour_ago = time.time() - 3600
    for path in (old_broadcast, old_task):
        os.utime(path, (an_hour_ago, an_hour_ago))
    with _connection(tmp_path) as connection:
        connection.default_channel  # noqa: B018 - opening a channel tidies up
    assert not old_broadcast.exists()
    assert new_broadcast.exists() and old_task.exists(), "only stale control messages go"
