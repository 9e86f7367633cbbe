#!/usr/bin/env bash
# Lint, then the whole suite on the embedded PostgreSQL with a real Celery worker; then,
# when a Redis answers on 127.0.0.1:6379, the broker tests again through Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

$BIN/ruff check .
$BIN/ruff format --check .

run_pytest() {
  set +e
  $BIN/python -m pytest "$@"
  local rc=$?
  set -e
  # 5 means no tests were collected: not a failure of the code under test.
  if [ "$rc" -eq 5 ]; then return 0; fi
  return "$rc"
}

# The suite runs on TEST_WORKERS pytest-xdist processes (one test file stays on one), each
# with its own test database, broker folder and Celery worker (tests/isolation.py).
run_pytest -n "${TEST_WORKERS:-2}" --dist loadfile "$@"

if $BIN/python -c "import socket; socket.create_connection(('127.0.0.1', 6379), timeout=1)" 2>/dev/null; then
  echo "Redis answers on 127.0.0.1:6379: running the broker tests through it."
  CELERY_BROKER_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}" run_pytest -m broker "$@"
else
  echo "No Redis on 127.0.0.1:6379: the Redis broker path was not tested."
fi
