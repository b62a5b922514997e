#!/usr/bin/env bash
# Creates (once) the project-local virtual environment with the pinned anchors and prints its python.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=.venv
stamp="$venv/.requirements.sha"
want=$(sha256sum scripts/python/requirements.txt | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "python-env: installing scripts/python/requirements.txt into $venv" >&2
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/python/requirements.txt >&2
  echo "$want" > "$stamp"
fi
echo "$PWD/$venv/bin/python"
