#!/usr/bin/env bash
# Serve Tacit under supervisord (config/supervisord.conf): gunicorn, one Celery worker and the
# beat scheduler, each restarted when it dies. Prints the URL once the site answers; Ctrl-C
# stops everything. scripts/run.sh prepares the database first; this script only serves.
set -euo pipefail
cd "$(dirname "$0")/.."
TACIT_ROOT="$(pwd)"
TACIT_BIN="$TACIT_ROOT/.venv/bin"
DATA_DIR="${TACIT_DATA_DIR:-var}"
TACIT_RUN_DIR="${TACIT_RUN_DIR:-$DATA_DIR/run}"
mkdir -p "$TACIT_RUN_DIR"
TACIT_RUN_DIR="$(cd "$TACIT_RUN_DIR" && pwd)"
export TACIT_ROOT TACIT_BIN TACIT_RUN_DIR
export PORT="${PORT:-8000}" BIND="${BIND:-127.0.0.1}"
export WEB_WORKERS="${WEB_WORKERS:-2}" WEB_THREADS="${WEB_THREADS:-4}"
# Links that leave the site (bot and assistant citations) point here unless set.
export TACIT_SITE_URL="${TACIT_SITE_URL:-http://$BIND:$PORT}"
export WORKER_CONCURRENCY="${WORKER_CONCURRENCY:-2}"
export PYTHONUNBUFFERED=1
for name in PORT WEB_WORKERS WEB_THREADS WORKER_CONCURRENCY; do
  if ! [[ "${!name}" =~ ^[1-9][0-9]*$ ]]; then
    echo "Configuration error: $name='${!name}' is not a positive integer" >&2
    exit 2
  fi
done
rm -f "$TACIT_RUN_DIR/gave-up"

"$TACIT_BIN/supervisord" -c config/supervisord.conf &
supervisor_pid=$!
stop() {
  trap - INT TERM
  echo
  echo "Stopping Tacit..."
  kill -TERM "$supervisor_pid" 2>/dev/null || true
}
trap stop INT TERM

for _ in $(seq 1 150); do
  if "$TACIT_BIN/python" -c "import urllib.request; urllib.request.urlopen('http://$BIND:$PORT/accounts/login/', timeout=1)" 2>/dev/null; then
    cat <<MSG

  Tacit is running at http://$BIND:$PORT/
  Log in as: demo / tacit-demo
  Health:    http://$BIND:$PORT/healthz
  MCP:       http://$BIND:$PORT/mcp (create an assistant token on http://$BIND:$PORT/profile/)
  Processes: $TACIT_BIN/supervisorctl -s unix://$TACIT_RUN_DIR/supervisor.sock status
  Press Ctrl-C to stop the web server, the worker and the scheduler.

MSG
    break
  fi
  if ! kill -0 "$supervisor_pid" 2>/dev/null; then break; fi
  sleep 0.2
done

# `wait` returns early when a trapped signal arrives; wait again until supervisord is gone.
status=0
while kill -0 "$supervisor_pid" 2>/dev/null; do
  status=0
  wait "$supervisor_pid" || status=$?
done
if [ -s "$TACIT_RUN_DIR/gave-up" ]; then
  echo "Tacit stopped: $(cat "$TACIT_RUN_DIR/gave-up")" >&2
  exit 1
fi
echo "Stopped."
exit "$status"
