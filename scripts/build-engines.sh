#!/usr/bin/env bash
# Build Prometheus (prometheus, promtool), Alertmanager (alertmanager, amtool), VictoriaLogs
# (victoria-logs, vlogscli), Jaeger v2 (jaeger), and on request Thanos (thanos: the scale-out profile) and
# helm, kubeconform and controller-gen (the Helm chart's tests), at the versions in versions.env, from the
# Go module proxy, into a cache keyed by the version and the Go version:
#   ${AGENT_TELEMETRY_CACHE:-$HOME/.cache/agent-telemetry}/<engine>/<version>-<go version>/
# Returns at once when the binaries exist.
# Usage: build-engines.sh [prometheus|alertmanager|victorialogs|jaeger|thanos|helm|kubeconform|controller_gen]...
# (default: the first four, which `agent-telemetry stack up` runs).
# Progress goes to stderr; stdout gets one line per engine: the directory holding its binaries.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../versions.env
source "$repo_root/versions.env"
cache_base="${AGENT_TELEMETRY_CACHE:-$HOME/.cache/agent-telemetry}"

if ! command -v go >/dev/null; then
  echo "build-engines: 'go' is not on PATH; install Go >= 1.26 (https://go.dev/dl/)" >&2
  exit 1
fi
go_version=$(go env GOVERSION)
work=""
trap 'rm -rf "$work"' EXIT  # an interrupted build leaves no scratch copy behind

# Both build inside a copy of their module as downloaded from the proxy (`go mod download`), with
# GOWORK=off: the module zips carry a go.work naming sub-modules that the zips leave out.
module_copy() {
  local module=$1 work=$2 dir
  dir=$(go mod download -json "$module" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  cp -r "$dir" "$work/src"
  chmod -R u+w "$work/src"
}

# Prometheus: `go install ...@version` is refused (its go.mod has replace directives). Without the
# builtinassets tag (its web UI is generated with npm and is not in the module) the binary serves the
# API and no UI, which is all the stack needs: Grafana is the UI. 3.16.0 is module v0.316.0.
build_prometheus() {
  local out=$1 work=$2 minor patch
  IFS=. read -r _ minor patch <<<"$PROMETHEUS_VERSION"
  module_copy "github.com/prometheus/prometheus@v0.$(( ${PROMETHEUS_VERSION%%.*} * 100 + minor )).$patch" "$work"
  (cd "$work/src" && GOWORK=off go build -tags netgo -o "$out/" \
    -ldflags "-X github.com/prometheus/common/version.Version=$PROMETHEUS_VERSION" \
    ./cmd/prometheus ./cmd/promtool)
}

# Alertmanager: from 0.32 `go install` fails, as ui/ embeds app/dist, its npm-built UI, which the
# module does not hold. A one-page placeholder stands in for it; the API (and amtool) are complete.
build_alertmanager() {
  local out=$1 work=$2 ui
  module_copy "github.com/prometheus/alertmanager@v$ALERTMANAGER_VERSION" "$work"
  for ui in elm mantine; do
    mkdir -p "$work/src/ui/app/dist/$ui"
    echo '<!doctype html><title>Alertmanager</title><p>Web UI not built here; the API is at /api/v2/.' \
      >"$work/src/ui/app/dist/$ui/index.html"
  done
  (cd "$work/src" && GOWORK=off go build -o "$out/" \
    -ldflags "-X github.com/prometheus/common/version.Version=$ALERTMANAGER_VERSION" \
    ./cmd/alertmanager ./cmd/amtool)
}

# VictoriaLogs: a plain module (no replace directives) whose web UI is committed in the module, so
# `go install` builds the release as published. Pure Go (CGO off), like the upstream "-pure" build.
build_victorialogs() {
  local out=$1
  CGO_ENABLED=0 GOBIN="$out" go install \
    -ldflags "-X github.com/VictoriaMetrics/VictoriaMetrics/lib/buildinfo.Version=victoria-logs-v$VICTORIALOGS_VERSION" \
    "github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs@v$VICTORIALOGS_VERSION" \
    "github.com/VictoriaMetrics/VictoriaLogs/app/vlogscli@v$VICTORIALOGS_VERSION"
}

# Jaeger v2: its Go module keeps the v1 numbering (v2.13.0 is module v1.76.0, says its CHANGELOG.md);
# cmd/jaeger is the v2 binary. cmd/query/app/ui embeds actual/*, the npm-built UI the module does not
# hold: one non-UI file satisfies the embed, and Jaeger then serves its own placeholder page, the API
# (/api/traces, /api/v3) is complete.
build_jaeger() {
  local out=$1 work=$2
  module_copy "github.com/jaegertracing/jaeger@v$JAEGER_MODULE_VERSION" "$work"
  echo 'Jaeger UI not built here; the query API is complete.' >"$work/src/cmd/query/app/ui/actual/README"
  (cd "$work/src" && GOWORK=off go build -o "$out/" \
    -ldflags "-X github.com/jaegertracing/jaeger/internal/version.latestVersion=v$JAEGER_VERSION" \
    ./cmd/jaeger)
}

# Thanos: one binary for every component (receive, query, query-frontend, rule). `go install` is refused
# (replace directives); its React UI is committed in the module (pkg/ui/static), so the build is complete.
# The build tags are the release's (.promu.yml): its gRPC code reads labels through unsafe pointers laid out
# as `slicelabels`; without the tag (Prometheus's default is stringlabels) receive panics on its first query.
build_thanos() {
  local out=$1 work=$2
  module_copy "github.com/thanos-io/thanos@v$THANOS_VERSION" "$work"
  (cd "$work/src" && GOWORK=off go build -tags netgo,slicelabels -o "$out/" \
    -ldflags "-X github.com/prometheus/common/version.Version=$THANOS_VERSION" ./cmd/thanos)
}

# helm and kubeconform: plain `go install` works (no replace directives, nothing generated). Helm's
# Makefile sets its version and the Kubernetes version it assumes without a cluster (`helm template`,
# `helm lint`: 1.20 otherwise) from its k8s.io/client-go release (v0.37 -> 1.37); the same here.
build_helm() {
  local gomod client_go k8s_minor
  gomod=$(go mod download -json "helm.sh/helm/v3@v$HELM_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
  client_go=$(sed -n 's/^[[:space:]]*k8s.io\/client-go v0\.\([0-9]*\)\..*/\1/p' "$gomod")
  k8s_minor=${client_go:?no k8s.io/client-go in the helm module go.mod}
  local flags="-X helm.sh/helm/v3/internal/version.version=v$HELM_VERSION"
  for package in pkg/lint/rules pkg/chartutil; do
    flags+=" -X helm.sh/helm/v3/$package.k8sVersionMajor=1 -X helm.sh/helm/v3/$package.k8sVersionMinor=$k8s_minor"
  done
  GOBIN=$1 go install -ldflags "$flags" "helm.sh/helm/v3/cmd/helm@v$HELM_VERSION"
}

build_kubeconform() {
  GOBIN=$1 go install "github.com/yannh/kubeconform/cmd/kubeconform@v$KUBECONFORM_VERSION"
}

# controller-gen makes the prometheus-operator CRDs the chart's objects are validated against.
build_controller_gen() {
  GOBIN=$1 go install "sigs.k8s.io/controller-tools/cmd/controller-gen@v$CONTROLLER_GEN_VERSION"
}

build() {
  local engine=$1 version=$2 estimate=$3 first=$4 second=${5:-$4}
  local cache_root="$cache_base/$engine" out_dir="$cache_base/$engine/$version-$go_version"
  if [[ -x $out_dir/$first && -x $out_dir/${second:-$first} ]]; then
    echo "$out_dir"
    return
  fi
  mkdir -p "$cache_root"
  # One build at a time per engine (2-core machines; concurrent test runs would otherwise build twice).
  exec 9>"$cache_root/.lock"
  flock 9
  if [[ ! -x $out_dir/$first || ! -x $out_dir/${second:-$first} ]]; then
    local start
    work=$(mktemp -d "$cache_root/.build.XXXXXX")
    echo "build-engines: building $engine $version ($go_version): $estimate the first time, cached afterwards" >&2
    start=$(date +%s)
    mkdir -p "$work/bin"
    if ! "build_$engine" "$work/bin" "$work" >"$work/build.log" 2>&1; then
      tail -n 40 "$work/build.log" >&2
      echo "build-engines: building $engine $version failed (last 40 lines of the log above)" >&2
      exit 1
    fi
    mkdir -p "$(dirname "$out_dir")"
    rm -rf "$out_dir"
    mv "$work/bin" "$out_dir"
    rm -rf "$work"
    work=""
    echo "build-engines: built $engine $version in $(( $(date +%s) - start ))s" >&2
  fi
  exec 9>&-
  echo "$out_dir"
}

engines=("$@")
[[ ${#engines[@]} -gt 0 ]] || engines=(prometheus alertmanager victorialogs jaeger)
for engine in "${engines[@]}"; do
  case $engine in
    prometheus) build prometheus "$PROMETHEUS_VERSION" "~15-25 min on 2 cores" prometheus promtool ;;
    alertmanager) build alertmanager "$ALERTMANAGER_VERSION" "~5 min" alertmanager amtool ;;
    victorialogs) build victorialogs "$VICTORIALOGS_VERSION" "~5 min" victoria-logs vlogscli ;;
    jaeger) build jaeger "$JAEGER_VERSION" "~10 min on 2 cores" jaeger ;;
    thanos) build thanos "$THANOS_VERSION" "~20-30 min on 2 cores" thanos ;;
    helm) build helm "$HELM_VERSION" "~3 min on 2 cores (12 on a busy machine)" helm helm ;;
    kubeconform) build kubeconform "$KUBECONFORM_VERSION" "~20 s" kubeconform kubeconform ;;
    controller_gen) build controller_gen "$CONTROLLER_GEN_VERSION" "~1 min" controller-gen controller-gen ;;
    *) echo "build-engines: unknown engine '$engine' (prometheus, alertmanager, victorialogs, jaeger, thanos, helm," \
         "kubeconform or controller_gen)" >&2
       exit 2 ;;
  esac
done
