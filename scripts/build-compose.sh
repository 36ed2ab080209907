#!/usr/bin/env bash
# Build the Docker Compose CLI (only used to check docker-compose.yml with `docker-compose config`; that needs
# no Docker engine) from the Go module proxy, into a cache keyed by the Compose version and the Go toolchain:
#   ${AGENT_TELEMETRY_CACHE:-$HOME/.cache/agent-telemetry}/compose/<key>/docker-compose
# Returns at once when that binary exists. Progress goes to stderr; the last line on stdout is the binary's path.
set -euo pipefail

compose_version=${COMPOSE_VERSION:-v2.40.3}
# Compose's dependencies need a newer Go than Debian ships; the toolchain itself comes from the module proxy.
go_toolchain=${COMPOSE_GOTOOLCHAIN:-go1.27.3}
module=github.com/docker/compose/v2
cache_root="${AGENT_TELEMETRY_CACHE:-$HOME/.cache/agent-telemetry}/compose"

if ! command -v go >/dev/null; then
  echo "build-compose: 'go' is not on PATH; install Go >= 1.21 (https://go.dev/dl/)" >&2
  exit 1
fi

key=$(printf '%s\n%s\n' "$compose_version" "$go_toolchain" | sha256sum | cut -c1-16)
out_dir="$cache_root/$key"
binary="$out_dir/docker-compose"
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

echo "build-compose: building docker-compose $compose_version ($go_toolchain): ~5-10 min the first time" >&2
start=$(date +%s)
work=$(mktemp -d "$cache_root/.build.XXXXXX")
# The module cache is read-only: build in a writable copy.
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
src=$(GOTOOLCHAIN=$go_toolchain go mod download -json "$module@$compose_version" \
  | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
if [[ -z $src ]]; then
  echo "build-compose: 'go mod download $module@$compose_version' gave no directory" >&2
  exit 1
fi
cp -r "$src" "$work/src"
chmod -R u+w "$work/src"
(cd "$work/src" && GOTOOLCHAIN=$go_toolchain CGO_ENABLED=0 go build -trimpath \
  -ldflags "-s -w -X $module/internal.Version=$compose_version" -o "$work/docker-compose" ./cmd) \
  >"$work/build.log" 2>&1 || {
  tail -n 40 "$work/build.log" >&2
  echo "build-compose: go build failed (last 40 lines of the log above)" >&2
  exit 1
}
mkdir -p "$out_dir"
mv "$work/docker-compose" "$binary.tmp"
mv "$binary.tmp" "$binary"
echo "build-compose: built in $(( $(date +%s) - start ))s" >&2
echo "$binary"
