#!/usr/bin/env bash
# Builds, once, the control-plane binaries of the integration tier from the Go module proxy and caches
# them under .cache/k8s/<module>-<version>/ (git-ignored): kube-apiserver, kube-scheduler and
# kube-controller-manager from tools/k8s/kube (k8s.io/kubernetes with its staging modules pinned),
# etcd from tools/k8s/etcd.
# Versions come from those go.mod files; go.sum pins the rest, so every machine builds the same thing.
#
# Usage: scripts/k8s-binaries.sh
#   stdout: one `name=/absolute/path` line per binary (etcd, kube-apiserver, kube-scheduler,
#   kube-controller-manager);
#   stderr: progress and build output. Exits non-zero, saying why, if a build fails.
# Environment: K8S_BUILD_P sets `go build -p` (default: Go's, one job per core).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="$root/.cache/k8s"

log() { printf 'k8s-binaries: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v go >/dev/null 2>&1 ||
  die "the Go toolchain is not installed (need Go >= 1.26 on PATH to build etcd and kube-apiserver)"

# Reads the version of module $2 required by go.mod $1 (either `require m v` or inside a require block).
required_version() {
  local v
  v="$(awk -v m="$2" '($1 == "require" && $2 == m) { print $3; exit } ($1 == m) { print $2; exit }' "$1")"
  [[ -n "$v" ]] || die "$1 does not require $2"
  printf '%s' "$v"
}

k8s_version="$(required_version "$root/tools/k8s/kube/go.mod" k8s.io/kubernetes)"
etcd_version="$(required_version "$root/tools/k8s/etcd/go.mod" go.etcd.io/etcd/server/v3)"
k8s_dir="$cache/kubernetes-$k8s_version"
etcd_dir="$cache/etcd-$etcd_version"
mkdir -p "$k8s_dir" "$etcd_dir"

# Two test files may start control planes at once on a fresh machine: one builds, the other waits.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$cache/.lock"
  flock 9
fi

# Kubernetes' own build stamps these; without them the binaries call themselves v0.0.0-master.
minor="${k8s_version#v1.}"
minor="${minor%%.*}"
k8s_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  k8s_ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  k8s_ldflags+=" -X $pkg.gitTreeState=clean"
done

# build <module dir> <package> <output path> <ldflags>: skipped when the output already exists.
build() {
  local dir="$1" pkg="$2" out="$3" ldflags="$4"
  if [[ -x "$out" ]]; then
    return 0
  fi
  local p_flag=()
  [[ -n "${K8S_BUILD_P:-}" ]] && p_flag=(-p "$K8S_BUILD_P")
  log "building $(basename "$out") ($pkg) into $out; this takes minutes on a fresh machine"
  local start=$SECONDS tmp="$out.tmp.$$"
  # -mod=readonly: go.mod/go.sum are committed and must already be complete, so CI resolves the same
  # versions; CGO off gives static binaries and needs no C compiler.
  if ! (cd "$dir" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS="${GOFLAGS:-} -mod=readonly -buildvcs=false" \
    nice -n 19 go build "${p_flag[@]}" -trimpath -ldflags="$ldflags" -o "$tmp" "$pkg" >&2); then
    rm -f "$tmp"
    die "go build $pkg failed in $dir (output above)"
  fi
  mv -f "$tmp" "$out"
  log "built $(basename "$out") in $((SECONDS - start))s ($(du -h "$out" | cut -f1))"
}

build "$root/tools/k8s/etcd" nodewright.local/tools/k8s/etcd "$etcd_dir/etcd" "-s -w"
build "$root/tools/k8s/kube" k8s.io/kubernetes/cmd/kube-apiserver "$k8s_dir/kube-apiserver" "$k8s_ldflags"
build "$root/tools/k8s/kube" k8s.io/kubernetes/cmd/kube-scheduler "$k8s_dir/kube-scheduler" "$k8s_ldflags"
build "$root/tools/k8s/kube" k8s.io/kubernetes/cmd/kube-controller-manager "$k8s_dir/kube-controller-manager" "$k8s_ldflags"

printf 'etcd=%s\n' "$etcd_dir/etcd"
printf 'kube-apiserver=%s\n' "$k8s_dir/kube-apiserver"
printf 'kube-scheduler=%s\n' "$k8s_dir/kube-scheduler"
printf 'kube-controller-manager=%s\n' "$k8s_dir/kube-controller-manager"
