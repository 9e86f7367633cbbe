"""The embedded PostgreSQL keeps data across a restart and is shared between processes."""

import shutil
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from config.embedded_db import stop_embedded_postgres
from tests.conftest import REPO_ROOT


def script_for(code: str, data_dir: Path) -> str:
    return textwrap.dedent(
        f"""
        from pathlib import Path
        import psycopg
        from config.embedded_db import ensure_embedded_postgres, ensure_embedded_database
        server = ensure_embedded_postgres(Path({str(data_dir)!r}))
        ensure_embedded_database(server, "restart_check")
        conn = psycopg.connect(host=server.host, port=server.port, user=server.user,
                               dbname="restart_check", autocommit=True)
        """
    ) + textwrap.dedent(code)


def run_python(code: str, data_dir: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-c", script_for(code, data_dir)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture
def data_dir():  # noqa: ANN201
    """A fresh data folder under the checkout's ``var/``, which PostgreSQL's own OS user can
    reach (pytest's temporary folders are private to root; pytest makes them so again at
    the start of each session, also while another xdist worker's server starts)."""
    folder = REPO_ROOT / "var" / "te" / uuid.uuid4().hex[:8]
    yield folder
    stop_embedded_postgres(folder)
    shutil.rmtree(folder, ignore_errors=True)


def test_it_keeps_data_across_a_restart(data_dir: Path) -> None:
    run_python(
        """
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        conn.execute("CREATE TABLE kept (id int, v vector(3))")
        conn.execute("INSERT INTO kept VALUES (1, '[1,2,3]')")
        """,
        data_dir,
    )
    stop_embedded_postgres(data_dir)
    assert not (data_dir / "pg" / "postmaster.pid").exists()

    out = run_python('print(conn.execute("SELECT id, v::text FROM kept").fetchall())', data_dir)
    assert out == "[(1, '[1,2,3]')]"


def test_processes_started_together_share_one_server(data_dir: Path) -> None:
    code = 'print(conn.execute("SELECT pg_postmaster_start_time()").fetchone()[0])'
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script_for(code, data_dir)],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        outputs.append(out.strip())
    assert len(set(outputs)) == 1, outputs
