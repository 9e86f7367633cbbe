"""The embedded broker: kombu's filesystem transport, made safe for concurrent processes.

kombu's own filesystem transport creates a message file and writes it in a second step, so a
consumer listing the folder in between reads an empty payload and the worker dies with
``JSONDecodeError`` (kombu issue 1551). It also moves claimed files to the system temporary
folder, which is a copy on another filesystem, so two consumers can both deliver one message.

This transport (scheme ``tacitfs://``, registered in ``config/celery.py``) keeps the folder
layout and options of kombu's and changes three things:

- a message is written to a hidden temporary name in the queue folder and renamed to the name
  consumers look for, so a consumer only ever sees complete files;
- a consumer claims a message by renaming it into ``claim_folder`` (same filesystem, atomic:
  exactly one consumer wins), reads it there and deletes it. A file that still cannot be
  decoded goes to ``quarantine_folder`` with a logged warning instead of raising into the
  consumer loop. Claims left behind by a consumer that died between claiming and reading are
  put back in the queue when a channel opens, and control messages older than ten minutes
  (broadcasts to workers that are gone) are deleted then;
- the fanout tables (``<exchange>.exchange`` under ``control_folder``, which ``celery inspect``
  and the worker's control queue use) are changed under a lock file and replaced atomically,
  so a broadcast never reads a half-written table.

Delivery stays at-most-once after a message is handed to a consumer, as with kombu's
transport: task state that must survive a worker's death lives in the database.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import time
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from queue import Empty

from kombu.transport import filesystem, virtual
from kombu.utils.json import dumps, loads

logger = logging.getLogger(__name__)

SCHEME = "tacitfs"
TRANSPORT_PATH = "core.broker:Transport"

# A claim older than this was left by a consumer that died between claiming and reading.
STALE_CLAIM_SECONDS = 60
# A temporary file older than this was left by a producer that died while writing.
STALE_TEMP_SECONDS = 3600
# Control messages (Celery's pidbox broadcasts and replies) answer within seconds; older ones
# sit in the queues of workers that are gone (a test worker's random name, say) forever.
STALE_CONTROL_SECONDS = 600
CONTROL_SUFFIX = ".pidbox.msg"
TEMP_PREFIX = ".tmp-"


def _write_atomically(path: Path | str, data: bytes) -> None:
    """Write ``data`` to a hidden temporary file beside ``path``, then rename it to ``path``."""
    folder, name = os.path.split(os.fspath(path))
    temporary = os.path.join(folder, f"{TEMP_PREFIX}{uuid.uuid4().hex}-{name}")
    try:
        with open(temporary, "xb", buffering=0) as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise


def _is_message_of(name: str, queue: str) -> bool:
    """Whether ``name`` is a complete message file of ``queue`` (``<time>_<id>.<queue>.msg``).

    Queue names may hold dots, so the whole tail after the first dot is compared; hidden
    names are temporary files still being written.
    """
    return not name.startswith(".") and name.partition(".")[2] == f"{queue}.msg"


class Channel(filesystem.Channel):
    """A filesystem channel whose messages and fanout tables are never seen half-written."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Names listed but not yet claimed, per queue: one listing serves many gets.
        self._pending: dict[str, deque[str]] = {}
        for folder in (self.data_folder_in, self.data_folder_out, self.claim_folder):
            os.makedirs(folder, exist_ok=True)
        self.control_folder.mkdir(parents=True, exist_ok=True)
        self._recover_stale_files()

    # --- options -------------------------------------------------------------------------

    @property
    def claim_folder(self) -> str:
        """Where a consumer moves a message it has taken, until it has read it."""
        return self.transport_options.get(
            "claim_folder", os.path.join(os.path.dirname(self.data_folder_in), "claimed")
        )

    @property
    def quarantine_folder(self) -> str:
        """Where message and table files that cannot be decoded are kept for an operator."""
        return self.transport_options.get(
            "quarantine_folder", os.path.join(os.path.dirname(self.data_folder_in), "quarantine")
        )

    # --- messages --------------------------------------------------------------------------

    def _put(self, queue: str, payload: dict, **kwargs: object) -> None:
        """Put ``payload`` on ``queue``: complete under its final name, or not at all."""
        # Wall-clock nanoseconds, zero-padded, so names sort oldest first across processes
        # and across restarts of the machine.
        name = f"{time.time_ns():020d}_{uuid.uuid4().hex}.{queue}.msg"
        path = os.path.join(self.data_folder_out, name)
        try:
            _write_atomically(path, dumps(payload).encode())
        except OSError as error:
            raise filesystem.ChannelError(f"Cannot add {path!r} to the queue folder") from error

    def _get(self, queue: str) -> dict:
        """Claim and return the oldest decodable message of ``queue``; ``Empty`` if none."""
        while True:
            name = self._next_name(queue)
            if name is None:
                raise Empty()
            claimed = os.path.join(self.claim_folder, name)
            try:
                os.rename(os.path.join(self.data_folder_in, name), claimed)
            except FileNotFoundError:
                continue  # another consumer claimed it first
            except OSError as error:
                logger.warning("Broker: cannot claim %s (%s); leaving it in the queue", name, error)
                continue
            try:
                with open(claimed, "rb") as handle:
                    payload = loads(handle.read())
                if not isinstance(payload, dict):
                    raise ValueError(f"a message is a JSON object, not {type(payload).__name__}")
            except (OSError, ValueError, UnicodeDecodeError) as error:
                self._quarantine(claimed, reason=str(error))
                continue
            self._finish(claimed)
            return payload

    def _next_name(self, queue: str) -> str | None:
        pending = self._pending.get(queue)
        if not pending:
            try:
                names = os.listdir(self.data_folder_in)
            except FileNotFoundError:
                os.makedirs(self.data_folder_in, exist_ok=True)
                names = []
            pending = deque(sorted(n for n in names if _is_message_of(n, queue)))
            self._pending[queue] = pending
        return pending.popleft() if pending else None

    def _finish(self, claimed: str) -> None:
        if self.store_processed:
            with suppress(OSError):
                os.replace(claimed, os.path.join(self.processed_folder, os.path.basename(claimed)))
                return
        with suppress(FileNotFoundError):
            os.unlink(claimed)

    def _quarantine(self, path: str, *, reason: str) -> None:
        os.makedirs(self.quarantine_folder, exist_ok=True)
        target = os.path.join(self.quarantine_folder, os.path.basename(path))
        try:
            os.replace(path, target)
        except OSError as error:
            logger.warning("Broker: cannot quarantine %s (%s); deleting it", path, error)
            with suppress(OSError):
                os.unlink(path)
            return
        logger.warning(
            "Broker: %s cannot be decoded (%s); moved to %s", os.path.basename(path), reason, target
        )

    def _recover_stale_files(self) -> None:
        """Put back claims of dead consumers; delete dead producers' and stale control files."""
        now = time.time()
        with suppress(FileNotFoundError):
            for entry in os.scandir(self.claim_folder):
                with suppress(FileNotFoundError):
                    if now - entry.stat().st_mtime > STALE_CLAIM_SECONDS:
                        # Claimed but never finished: deliver it again rather than lose it.
                        os.rename(entry.path, os.path.join(self.data_folder_in, entry.name))
                        logger.warning("Broker: %s was claimed, never read: requeued", entry.name)
        with suppress(FileNotFoundError):
            for entry in os.scandir(self.data_folder_in):
                if entry.name.endswith(CONTROL_SUFFIX):
                    with suppress(FileNotFoundError):
                        if now - entry.stat().st_mtime > STALE_CONTROL_SECONDS:
                            os.unlink(entry.path)
        for folder in {self.data_folder_out, str(self.control_folder)}:
            with suppress(FileNotFoundError):
                for entry in os.scandir(folder):
                    if entry.name.startswith(TEMP_PREFIX):
                        with suppress(FileNotFoundError):
                            if now - entry.stat().st_mtime > STALE_TEMP_SECONDS:
                                os.unlink(entry.path)

    def _size(self, queue: str) -> int:
        return sum(1 for name in os.listdir(self.data_folder_in) if _is_message_of(name, queue))

    def _purge(self, queue: str) -> int:
        self._pending.pop(queue, None)
        return super()._purge(queue)

    # --- fanout tables ---------------------------------------------------------------------

    @contextmanager
    def _table_lock(self, exchange: str) -> Iterator[Path]:
        """Hold the exchange's lock file while its table is read, changed and replaced."""
        table = self._exchange_file(exchange)
        with open(f"{table}.lock", "ab") as lock_file:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)
            try:
                yield table
            finally:
                fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)

    def _read_table(self, table: Path) -> list[filesystem.exchange_queue_t]:
        try:
            data = table.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as error:
            raise filesystem.ChannelError(f"Cannot open {table}") from error
        try:
            return [filesystem.exchange_queue_t(*row) for row in loads(data)]
        except (ValueError, TypeError, UnicodeDecodeError) as error:
            # Only a table written by another program can be broken: atomic writes here.
            # Keep a copy for an operator and carry on as if the exchange had no bindings;
            # the workers bind their queues again when they start.
            os.makedirs(self.quarantine_folder, exist_ok=True)
            target = os.path.join(self.quarantine_folder, f"{time.time_ns()}-{table.name}")
            with suppress(OSError):
                os.replace(table, target)
            logger.warning("Broker: %s cannot be decoded (%s); moved to %s", table, error, target)
            return []

    def get_table(self, exchange: str) -> list[filesystem.exchange_queue_t]:
        return self._read_table(self._exchange_file(exchange))

    def _queue_bind(self, exchange: str, routing_key: str, pattern: str, queue: str) -> None:
        binding = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        try:
            with self._table_lock(exchange) as table:
                rows = self._read_table(table)
                if binding not in rows:
                    rows.insert(0, binding)
                    _write_atomically(table, dumps(rows).encode())
        except OSError as error:
            raise filesystem.ChannelError(f"Cannot bind {queue!r} to {exchange!r}") from error

    def _delete(self, queue: str, exchange: str, routing_key: str, pattern: str, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        # The virtual transport's bookkeeping, without the filesystem parent's table rewrite.
        super(filesystem.Channel, self)._delete(
            queue, exchange, routing_key, pattern, *args, **kwargs
        )
        self._pending.pop(queue, None)
        binding = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        try:
            with self._table_lock(exchange) as table:
                rows = self._read_table(table)
                if binding in rows:
                    rows.remove(binding)
                    _write_atomically(table, dumps(rows).encode())
        except OSError as error:
            if error.errno != errno.ENOENT:
                raise filesystem.ChannelError(f"Cannot unbind {queue!r}") from error


class Transport(filesystem.Transport):
    """kombu transport ``tacitfs://``: the filesystem transport with atomic files."""

    Channel = Channel
    driver_type = "filesystem"
    driver_name = "tacitfs"

    def __init__(self, client: object, **kwargs: object) -> None:
        super().__init__(client, **kwargs)
        # kombu's transport keeps one record of bindings per process, so a connection to
        # another folder (or to a table rewritten since) would skip writing its bindings.
        # The tables on disk are the truth; each connection keeps its own small cache.
        self.state = virtual.BrokerState()


def register() -> None:
    """Make ``tacitfs://`` known to kombu (idempotent); called where the Celery app is built."""
    from kombu.transport import TRANSPORT_ALIASES

    TRANSPORT_ALIASES.setdefault(SCHEME, TRANSPORT_PATH)
