#!/usr/bin/env bash
# Stop the embedded PostgreSQL of this checkout (it keeps running between commands).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -c "
from pathlib import Path
import os
from config.embedded_db import stop_embedded_postgres
stop_embedded_postgres(Path(os.environ.get('TACIT_DATA_DIR', 'var')).resolve())
"
