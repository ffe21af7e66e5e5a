# Start Debian's PostgreSQL for the tests and export DATABASE_URL. Sourced by .ci/run; usable by hand:
#   . .ci/postgres.sh && start_postgres
start_postgres() {
  local version port=5432
  version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -q "^${version} main$"; then
    pg_createcluster "$version" main >/dev/null
  fi
  pg_ctlcluster "$version" main start >/dev/null 2>&1 || true
  for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p "$port" && break
    sleep 1
  done
  pg_isready -h 127.0.0.1 -p "$port"
  su postgres -c "psql -q -c \"alter user postgres password 'postgres'\"" >/dev/null
  export DATABASE_URL="postgres://postgres:postgres@127.0.0.1:${port}/postgres"
}
