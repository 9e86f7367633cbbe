#!/usr/bin/env bash
# Serve Tacit on the embedded defaults: migrate, seed the demo, collect static files, then
# scripts/serve.sh runs gunicorn, a Celery worker and beat under supervisord until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

$BIN/python manage.py migrate --noinput
$BIN/python manage.py seed_demo
for extra in $($BIN/python manage.py help --commands | grep '^seed_demo_' || true); do
  $BIN/python manage.py "$extra"
done
# Pages written before the Q&A index existed (or while no worker ran) get their chunks; the
# worker embeds them. Unchanged pages are left as they are.
$BIN/python manage.py reindex --no-embed --no-progress
$BIN/python manage.py collectstatic --noinput --verbosity 0

exec ./scripts/serve.sh
