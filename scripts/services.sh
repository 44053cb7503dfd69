# Sourced by scripts/test.sh: start the machine's PostgreSQL and Redis when installed but down, and export
# DATABASE_URL / REDIS_URL for each one that answers, so the integration tests run against real services.
reachable() { python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 1)" "$1" 2>/dev/null; }

if ! reachable 5432 && command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
  for version in $(ls /etc/postgresql); do pg_ctlcluster --skip-systemctl-redirect "$version" main start || true; done
fi
if ! reachable 6379 && command -v redis-server >/dev/null; then
  mkdir -p /tmp/toonsite-redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no --dir /tmp/toonsite-redis || true
fi
for _ in $(seq 20); do reachable 5432 && reachable 6379 && break; sleep 0.5; done

if reachable 5432; then
  export DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
else
  echo "PostgreSQL is not reachable on 127.0.0.1:5432: its tests will skip (or fail under CI=true)." >&2
fi
if reachable 6379; then
  export REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"
else
  echo "Redis is not reachable on 127.0.0.1:6379: its tests will skip (or fail under CI=true)." >&2
fi
