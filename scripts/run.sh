#!/usr/bin/env bash
# `make run`: start the database, migrate, load demo data, start Celery (if Redis answers)
# and serve the app on http://127.0.0.1:$PORT (default 8000; `make run PORT=8100`).
# Idempotent: a second run keeps the data. `scripts/run.sh --address` prints the address
# it would serve on and stops (nothing is started).
set -euo pipefail
cd "$(dirname "$0")/.."

# Checked before anything starts: a typo must not leave a half-started database behind.
PORT="${PORT:-8000}"
if ! [[ "$PORT" =~ ^[0-9]{1,5}$ ]] || (( 10#$PORT < 1024 || 10#$PORT > 65535 )); then
  echo "run: PORT must be a number from 1024 to 65535 (got '$PORT')" >&2
  exit 2
fi
PORT=$((10#$PORT))
if [[ "${1:-}" == "--address" ]]; then
  echo "http://127.0.0.1:$PORT"
  exit 0
fi
# Links in e-mails sent by this run point at the port it serves on.
export PLATINIUM_BASE_URL="${PLATINIUM_BASE_URL:-http://127.0.0.1:$PORT}"
PY=.venv/bin/python
mkdir -p .data

# The arm-encryption key of this local install (never committed, never in the database).
if [[ -z "${PLATINIUM_ARM_KEY:-}" && ! -s .data/arm.key ]]; then
  $PY -c "import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())" > .data/arm.key
  chmod 600 .data/arm.key
  echo "run: generated a local arm-encryption key in .data/arm.key"
fi

if [[ -z "${DATABASE_URL:-}" ]]; then
  echo "run: DATABASE_URL is not set: using the embedded PostgreSQL in .data/pg"
  # Two roles as in production (docs/decisions/0002): migrate as the owner (postgres),
  # which then grants the app role its rights; everything after runs as the app role.
  app_url=$($PY -m platinium.lib.embedded_db app-url)
  PLATINIUM_APP_DB_ROLE=platinium_app $PY manage.py migrate --noinput
  export DATABASE_URL="$app_url"
  echo "run: serving as the database role platinium_app (owns no table, cannot alter the audit trail)"
else
  echo "run: using DATABASE_URL"
  $PY manage.py migrate --noinput
fi

$PY manage.py seed_demo
$PY manage.py compilemessages --ignore=.venv >/dev/null 2>&1 || true

worker_pid=""
if $PY - <<'PYEOF' 2>/dev/null
import os, redis
redis.Redis.from_url(os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0"), socket_connect_timeout=1).ping()
PYEOF
then
  echo "run: Redis answers: starting a Celery worker (with beat) in the background (log: .data/celery.log)"
  .venv/bin/celery -A platinium worker -B --loglevel=INFO --schedule .data/celerybeat-schedule >.data/celery.log 2>&1 &
  worker_pid=$!
  stop_worker() { [[ -n "$worker_pid" ]] && kill "$worker_pid" 2>/dev/null || true; }
  trap stop_worker EXIT
  trap 'stop_worker; exit 130' INT TERM
else
  export CELERY_TASK_ALWAYS_EAGER=true
  echo "run: Redis is not reachable: Celery tasks run eagerly inside the web process"
fi

echo "run: PLATINIUM EDC on http://127.0.0.1:$PORT (demo accounts in README.md, password demo-platinium)"
$PY manage.py runserver "127.0.0.1:$PORT"
