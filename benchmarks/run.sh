#!/usr/bin/env bash
# CPU overhead of agent-telemetry vs its peers, per call and per stream chunk; writes docs/performance.md.
#
#   bash benchmarks/run.sh            # ~17-20 minutes on 2 cores
#
# Creates benchmarks/.venv (gitignored) on first use with our package (editable), the SDK versions
# below and each peer, then runs benchmarks/overhead.py. Peers are kept out of the dev venv on purpose.
# Override the SDK versions with OPENAI_VERSION / ANTHROPIC_VERSION.
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON="${BENCH_PYTHON:-/root/.pyenv/versions/3.11.7/bin/python}"
VENV=benchmarks/.venv
OPENAI_VERSION="${OPENAI_VERSION:-3.54.0}"
ANTHROPIC_VERSION="${ANTHROPIC_VERSION:-2.12.0}"

if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
fi
# Ours and the SDKs first: peers are then installed against them and may not move them.
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    -e . "openai==$OPENAI_VERSION" "anthropic==$ANTHROPIC_VERSION"

exec "$VENV/bin/python" benchmarks/overhead.py --install-peers --write docs/performance.md \
    --command "bash benchmarks/run.sh" "$@"
