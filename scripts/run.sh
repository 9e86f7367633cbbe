#!/usr/bin/env bash
# Serve Tacit on the embedded defaults: migrate, seed the demo, then gunicorn + one
# Celery worker (with the beat scheduler) until Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PORT="${PORT:-8000}"
BIND="${BIND:-127.0.0.1}"
export PORT

$BIN/python manage.py migrate --noinput
$BIN/python manage.py seed_demo
for extra in $($BIN/python manage.py help --commands | grep '^seed_demo_' || true); do
  $BIN/python manage.py "$extra"
done
$BIN/python manage.py collectstatic --noinput --verbosity 0

pids=()
stop() {
  trap - INT TERM EXIT
  echo
  echo "Stopping Tacit..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait || true
  echo "Stopped."
}
trap stop INT TERM EXIT

$BIN/celery -A config worker --beat --loglevel=INFO --concurrency="${WORKER_CONCURRENCY:-2}" \
  -n "tacit@%h" &
pids+=($!)
# Long timeout: an upload of a large export streams through one request.
$BIN/gunicorn config.wsgi:application --bind "$BIND:$PORT" --workers "${WEB_WORKERS:-2}" \
  --threads 4 --timeout 300 --no-control-socket --access-logfile - &
pids+=($!)

for _ in $(seq 1 100); do
  if $BIN/python -c "import urllib.request,sys; urllib.request.urlopen('http://$BIND:$PORT/accounts/login/', timeout=1)" 2>/dev/null; then
    break
  fi
  sleep 0.2
done
cat <<MSG

  Tacit is running at http://$BIND:$PORT/
  Log in as: demo / tacit-demo
  Health:    http://$BIND:$PORT/healthz
  Press Ctrl-C to stop the web server and the worker.

MSG
wait -n "${pids[@]}"
