#!/usr/bin/env bash
# Install the standard JSON language server (vscode-langservers-extracted) that benchmarks/bench_lsp.py
# compares against, into benchmarks/node/ from its lock file. Not needed by the tests.
set -euo pipefail
cd "$(dirname "$0")/node"
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  npm install --no-audit --no-fund
fi
test -x node_modules/vscode-langservers-extracted/bin/vscode-json-language-server
echo "vscode-json-language-server installed in $(pwd)/node_modules"
