# Sourced by scripts/helm.sh and scripts/kwok.sh: build one Go command from the module proxy, once,
# into a cache folder. `go install pkg@version` builds against the module's own go.mod and go.sum,
# checked against the Go checksum database, so every machine builds the same thing.
#
# go_install_cached NAME PKG@VERSION OUT LDFLAGS
#   Builds PKG@VERSION to the executable OUT (its folder is created) unless OUT already exists, with
#   `-ldflags LDFLAGS`. Two callers at once on a fresh machine: one builds, the other waits on a lock
#   in OUT's folder and reuses the result. $<NAME>_BUILD_P (upper-case NAME) sets `go build -p`.
#   Progress goes to stderr prefixed with NAME; exits 1 saying why if Go is missing or the build fails.
go_install_cached() {
  local name="$1" pkg="$2" out="$3" ldflags="$4"
  local dir
  dir="$(dirname "$out")"
  _gi_log() { printf '%s: %s\n' "$name" "$*" >&2; }
  [[ -x "$out" ]] && return 0
  command -v go >/dev/null 2>&1 || { _gi_log "error: the Go toolchain is not installed (need Go on PATH to build $pkg from the module proxy)"; exit 1; }
  mkdir -p "$dir"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$dir/.lock"
    flock 9
  fi
  [[ -x "$out" ]] && return 0
  local p_var p_flag=()
  p_var="$(printf '%s' "$name" | tr '[:lower:]' '[:upper:]')_BUILD_P"
  [[ -n "${!p_var:-}" ]] && p_flag=(-p "${!p_var}")
  _gi_log "building $pkg into $out; this takes minutes on a fresh machine"
  local start=$SECONDS tmp
  tmp="$(mktemp -d "$dir/.build.XXXXXX")"
  # CGO off gives a static binary and needs no C compiler. GOFLAGS from the caller (e.g.
  # -mod=readonly) must not apply to a pkg@version install, so it is cleared. GOTOOLCHAIN=local: a
  # version needing a newer Go fails here, saying so, instead of downloading a toolchain.
  if ! CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false GOBIN="$tmp" \
    nice -n 19 go install "${p_flag[@]}" -trimpath -ldflags="$ldflags" "$pkg" >&2; then
    rm -rf "$tmp"
    _gi_log "error: go install $pkg failed (output above)"
    exit 1
  fi
  mv -f "$tmp/$(basename "$out")" "$out"
  rm -rf "$tmp"
  _gi_log "built $pkg in $((SECONDS - start))s ($(du -h "$out" | cut -f1))"
}
