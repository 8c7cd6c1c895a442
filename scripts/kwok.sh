#!/usr/bin/env bash
# Builds, once, the real KWOK controller from the Go module proxy (sigs.k8s.io/kwok/cmd/kwok at a
# pinned version) and caches it under .cache/kwok/kwok-<version>/kwok (git-ignored). The kwok
# provider's integration tests run it out of cluster against the test control plane, where it keeps
# the provider's Nodes Ready and their pods Running in place of our own node agent.
# Beside the binary it writes stages.yaml: KWOK's default stages of that version (the ones kwokctl
# applies: node-initialize, node-heartbeat-with-lease, pod-ready, pod-complete, pod-delete), taken
# from the same module, to pass as `kwok --config stages.yaml`. kwok run out of cluster has no stage
# built in: without them it does nothing.
#
# Usage: scripts/kwok.sh
#   stdout: the absolute path of the kwok binary (one line); stages.yaml is in the same folder;
#   stderr: progress and build output. Exits non-zero, saying why, if the build fails.
# Environment: KWOK_VERSION overrides the pinned version (v0.8.0 needs Go >= 1.26; v0.7.0 builds with
#   older Go); KWOK_BUILD_P sets `go build -p` (default: Go's, one job per core).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="${KWOK_VERSION:-v0.8.0}"
dir="$root/.cache/kwok/kwok-$version"
out="$dir/kwok"
stages="$dir/stages.yaml"

log() { printf 'kwok: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [[ -x "$out" && -s "$stages" ]]; then
  printf '%s\n' "$out"
  exit 0
fi

# shellcheck source=lib/go-install.sh
source "$root/scripts/lib/go-install.sh"
go_install_cached kwok "sigs.k8s.io/kwok/cmd/kwok@$version" "$out" "-s -w"
if [[ ! -s "$stages" ]]; then
  # The module is in the module cache after the install (a download otherwise); its Dir holds the
  # stage manifests of kustomize/stage.
  mod_dir="$(GOTOOLCHAIN=local GOFLAGS= go mod download -json "sigs.k8s.io/kwok@$version" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  [[ -n "$mod_dir" && -d "$mod_dir/kustomize/stage" ]] ||
    die "could not find the source of sigs.k8s.io/kwok@$version in the module cache (go mod download -json)"
  tmp_stages="$stages.tmp.$$"
  : >"$tmp_stages"
  for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
    pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    [[ -f "$mod_dir/kustomize/stage/$f" ]] || { rm -f "$tmp_stages"; die "kwok $version has no stage $f"; }
    { printf -- '---\n# kwok %s: kustomize/stage/%s\n' "$version" "$f"; cat "$mod_dir/kustomize/stage/$f"; } >>"$tmp_stages"
  done
  mv -f "$tmp_stages" "$stages"
  log "wrote kwok's default stages to $stages"
fi
printf '%s\n' "$out"
