#!/usr/bin/env bash
# Builds, once, the helm CLI from the Go module proxy (helm.sh/helm/v3/cmd/helm at a pinned version)
# and caches it under .cache/helm/helm-<version>/helm (git-ignored). The chart tests run `helm lint`
# and `helm template` with it. `go install pkg@version` builds against helm's own go.mod and go.sum,
# checked against the Go checksum database, so every machine builds the same thing.
#
# Usage: scripts/helm.sh
#   stdout: the absolute path of the helm binary (one line);
#   stderr: progress and build output. Exits non-zero, saying why, if the build fails.
# Environment: HELM_VERSION overrides the pinned version (v3.18.x and later are on the proxy);
#   HELM_BUILD_P sets `go build -p` (default: Go's, one job per core).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="${HELM_VERSION:-v3.19.5}"
# The Kubernetes minor of the client-go that helm version builds with (v3.19 uses v0.34): helm
# template and lint take it as the cluster's version when none is given, as release builds do.
k8s_minor="${HELM_K8S_MINOR:-34}"
dir="$root/.cache/helm/helm-$version"
out="$dir/helm"

log() { printf 'helm: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [[ -x "$out" ]]; then
  printf '%s\n' "$out"
  exit 0
fi

command -v go >/dev/null 2>&1 ||
  die "the Go toolchain is not installed (need Go on PATH to build helm $version from the module proxy)"
mkdir -p "$dir"

# Two test files may ask at once on a fresh machine: one builds, the other waits and reuses it.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$dir/.lock"
  flock 9
fi
if [[ ! -x "$out" ]]; then
  p_flag=()
  [[ -n "${HELM_BUILD_P:-}" ]] && p_flag=(-p "$HELM_BUILD_P")
  log "building helm $version (helm.sh/helm/v3/cmd/helm) into $out; this takes a few minutes on a fresh machine"
  k8s_flags=""
  for pkg in helm.sh/helm/v3/pkg/chartutil helm.sh/helm/v3/pkg/lint/rules; do
    k8s_flags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$k8s_minor"
  done
  start=$SECONDS
  tmp="$(mktemp -d "$dir/.build.XXXXXX")"
  # Helm stamps its version and the default Kubernetes version through these variables (unstamped it
  # reports a dev version and assumes Kubernetes 1.20, as its Makefile would not). CGO off gives a
  # static binary and needs no C compiler. GOFLAGS from the caller (e.g. -mod=readonly) must not
  # apply to a pkg@version install, so it is cleared.
  if ! CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false GOBIN="$tmp" \
    nice -n 19 go install "${p_flag[@]}" -trimpath \
      -ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$version -X helm.sh/helm/v3/internal/version.gitTreeState=clean $k8s_flags" \
      "helm.sh/helm/v3/cmd/helm@$version" >&2; then
    rm -rf "$tmp"
    die "go install helm.sh/helm/v3/cmd/helm@$version failed (output above)"
  fi
  mv -f "$tmp/helm" "$out"
  rm -rf "$tmp"
  log "built helm $version in $((SECONDS - start))s ($(du -h "$out" | cut -f1))"
fi
printf '%s\n' "$out"
