#!/usr/bin/env bash
# Builds, once, the real KWOK controller from the Go module proxy (sigs.k8s.io/kwok/cmd/kwok at a
# pinned version) and caches it under .cache/kwok/kwok-<version>/kwok (git-ignored). The kwok
# provider's integration tests run it out of cluster against the test control plane, where it keeps
# the provider's Nodes Ready and their pods Running in place of our own node agent.
# `go install pkg@version` builds against kwok's own go.mod and go.sum, checked against the Go
# checksum database, so every machine builds the same thing.
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

command -v go >/dev/null 2>&1 ||
  die "the Go toolchain is not installed (need Go on PATH to build kwok $version from the module proxy)"
mkdir -p "$dir"

# Two test files may ask at once on a fresh machine: one builds, the other waits and reuses it.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$dir/.lock"
  flock 9
fi
if [[ ! -x "$out" ]]; then
  p_flag=()
  [[ -n "${KWOK_BUILD_P:-}" ]] && p_flag=(-p "$KWOK_BUILD_P")
  log "building kwok $version (sigs.k8s.io/kwok/cmd/kwok) into $out; this takes minutes on a fresh machine"
  start=$SECONDS
  tmp="$(mktemp -d "$dir/.build.XXXXXX")"
  # CGO off gives a static binary and needs no C compiler. GOFLAGS from the caller (e.g.
  # -mod=readonly) must not apply to a pkg@version install, so it is cleared. GOTOOLCHAIN=local: a
  # version needing a newer Go fails here, saying so, instead of downloading a toolchain.
  if ! CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false GOBIN="$tmp" \
    nice -n 19 go install "${p_flag[@]}" -trimpath -ldflags="-s -w" \
      "sigs.k8s.io/kwok/cmd/kwok@$version" >&2; then
    rm -rf "$tmp"
    die "go install sigs.k8s.io/kwok/cmd/kwok@$version failed (output above); with an older Go, try KWOK_VERSION=v0.7.0"
  fi
  mv -f "$tmp/kwok" "$out"
  rm -rf "$tmp"
  log "built kwok $version in $((SECONDS - start))s ($(du -h "$out" | cut -f1))"
fi
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
