#!/usr/bin/env bash
# Prints the path of a Python interpreter that can `import chdb` (ClickHouse embedded in-process),
# for the compatibility test: a venv under $CDP_HOME/tools with a pinned chdb-core. Idempotent.
# Installs python3 and python3-venv with apt-get when the machine lacks them.
set -euo pipefail
PINNED_CHDB_VERSION="${CDP_CHDB_VERSION:-26.9.0}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
cdp_home="${CDP_HOME:-$root/.cdp}"
venv="$cdp_home/tools/chdb-$PINNED_CHDB_VERSION"
python="$venv/bin/python"

if [ -x "$python" ] && "$python" -c 'import chdb' >/dev/null 2>&1; then
  echo "$python"
  exit 0
fi

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# A python3 whose venv module works (Debian/Ubuntu split venv into python3-venv).
if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-chdb: python3 with the venv module is required (and apt-get is not available)" >&2
    exit 1
  fi
  echo "ensure-chdb: installing python3 and python3-venv with apt-get" >&2
  as_root apt-get update -qq >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >&2
fi

echo "ensure-chdb: installing chdb-core $PINNED_CHDB_VERSION into $venv" >&2
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
python3 -m venv "$venv" >&2
"$python" -m pip install --quiet --disable-pip-version-check "chdb-core==$PINNED_CHDB_VERSION" >&2
"$python" -c 'import chdb' >&2
echo "$python"
