#!/usr/bin/env bash
# One machine, no configuration: migrate, add the shipped cast, make sure there is a login, sweep the upload spool,
# start one Celery worker and gunicorn. Their logs go to files under the data folder, so the URL and the login are
# the last lines this prints, not buried above the worker's banner.
set -euo pipefail
cd "$(dirname "$0")/.."
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
BIN=.venv/bin
LOGS="${TOONSITE_DATA_DIR:-data}/logs"
mkdir -p "$LOGS"

$BIN/python manage.py migrate --noinput
$BIN/python manage.py sync_cast
$BIN/python manage.py collectstatic --noinput --verbosity 0
login=$($BIN/python manage.py ensure_login)
$BIN/python manage.py sweep_upload_spool  # what a killed web process left spooled

$BIN/celery -A toonsite worker --queues "${EPISODE_QUEUE:-gpu}" --concurrency "${WORKER_CONCURRENCY:-1}" --loglevel INFO \
  >>"$LOGS/worker.log" 2>&1 &
worker=$!
$BIN/gunicorn toonsite.wsgi --bind "$HOST:$PORT" --workers "${WEB_CONCURRENCY:-2}" --timeout 120 \
  >>"$LOGS/web.log" 2>&1 &
web=$!
trap 'kill $worker $web 2>/dev/null || true; wait' EXIT INT TERM

for _ in $(seq 60); do
  if python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" "http://$HOST:$PORT/healthz" 2>/dev/null; then
    echo "Worker and web logs: $LOGS/worker.log, $LOGS/web.log"
    echo "ToonSite is running at http://$HOST:$PORT/  (Ctrl-C stops it)"
    echo "$login"
    break
  fi
  sleep 1
done
status=0
wait -n $worker $web || status=$?
echo "A ToonSite process stopped (exit $status); the end of its logs:" >&2
tail -n 15 "$LOGS/worker.log" "$LOGS/web.log" >&2
exit "$status"
