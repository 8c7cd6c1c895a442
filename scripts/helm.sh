#!/usr/bin/env bash
# Builds, once, the helm CLI from the Go module proxy (helm.sh/helm/v3/cmd/helm at a pinned version)
# and caches it under .cache/helm/helm-<version>/helm (git-ignored). The chart tests run `helm lint`
# and `helm template` with it.
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

if [[ -x "$out" ]]; then
  printf '%s\n' "$out"
  exit 0
fi

k8s_flags=""
for pkg in helm.sh/helm/v3/pkg/chartutil helm.sh/helm/v3/pkg/lint/rules; do
  k8s_flags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$k8s_minor"
done
# Helm stamps its version and the default Kubernetes version through these variables (unstamped it
# reports a dev version and assumes Kubernetes 1.20, as its Makefile would not).
# shellcheck source=lib/go-install.sh
source "$root/scripts/lib/go-install.sh"
go_install_cached helm "helm.sh/helm/v3/cmd/helm@$version" "$out" \
  "-s -w -X helm.sh/helm/v3/internal/version.version=$version -X helm.sh/helm/v3/internal/version.gitTreeState=clean$k8s_flags"
printf '%s\n' "$out"
