#!/usr/bin/env bash
# Build the agent-telemetry OpenTelemetry Collector from otel-collector/builder-config.yaml with ocb,
# through the Go module proxy, into a cache keyed by the manifest (less comments) and the Go version:
#   ${AGENT_TELEMETRY_CACHE:-$HOME/.cache/agent-telemetry}/otelcol/<key>/otelcol-agent-telemetry
# Returns at once when that binary exists. Installs ocb (same version as the components) when missing.
# Progress goes to stderr; the last line on stdout is the binary's path.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
manifest="$repo_root/otel-collector/builder-config.yaml"
cache_root="${AGENT_TELEMETRY_CACHE:-$HOME/.cache/agent-telemetry}/otelcol"
dist_name=otelcol-agent-telemetry

if ! command -v go >/dev/null; then
  echo "build-collector: 'go' is not on PATH; install Go >= 1.24 (https://go.dev/dl/)" >&2
  exit 1
fi

# Comment lines do not change the binary, so they do not change the key either.
key=$( { grep -v '^[[:space:]]*#' "$manifest"; go env GOVERSION; } | sha256sum | cut -c1-16)
out_dir="$cache_root/$key"
binary="$out_dir/$dist_name"
if [[ -x $binary ]]; then
  echo "$binary"
  exit 0
fi

mkdir -p "$cache_root"
# One build at a time (2-core machines; concurrent test runs would otherwise build twice).
exec 9>"$cache_root/.lock"
flock 9
if [[ -x $binary ]]; then  # another process built it while we waited
  echo "$binary"
  exit 0
fi

# ocb must have the components' version: take it from the first core component line.
ocb_version=$(grep -m1 -oE 'go\.opentelemetry\.io/collector/[^ ]+ v[0-9]+\.[0-9]+\.[0-9]+' "$manifest" \
  | awk '{print $2}')
ocb="$cache_root/ocb/$ocb_version/builder"
if [[ ! -x $ocb ]]; then
  echo "build-collector: installing ocb $ocb_version" >&2
  GOBIN="$(dirname "$ocb")" go install "go.opentelemetry.io/collector/cmd/builder@$ocb_version" >&2
fi

work=$(mktemp -d "$cache_root/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
# The committed manifest has no output_path: point it at the scratch dir in a copy.
sed "/^dist:/a\\  output_path: $work/src" "$manifest" > "$work/manifest.yaml"

echo "build-collector: building $dist_name (ocb $ocb_version, $(go env GOVERSION)); this takes minutes" >&2
start=$(date +%s)
(cd "$work" && "$ocb" --config manifest.yaml) >"$work/build.log" 2>&1 || {
  tail -n 40 "$work/build.log" >&2
  echo "build-collector: ocb failed (full log above, last 40 lines)" >&2
  exit 1
}
mkdir -p "$out_dir"
mv "$work/src/$dist_name" "$binary.tmp"
mv "$binary.tmp" "$binary"
echo "build-collector: built in $(( $(date +%s) - start ))s" >&2
echo "$binary"
