#!/usr/bin/env bash
# Installs, once, moto in server mode (PyPI `moto[server]`, the pinned version below) into a
# git-ignored virtual environment under .cache/moto/, for the aws test tier (src/test/moto.ts).
# Later runs find it there and install nothing.
#
# Usage: scripts/moto.sh
#   stdout: the absolute path of moto_server, alone on one line;
#   stderr: progress and pip's output. Exits non-zero, saying what to install, when python3 (with
#   its venv module) is missing or pip cannot install moto.
# Environment: MOTO_VERSION overrides the pinned version (a different venv folder per version).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="${MOTO_VERSION:-5.2.1}"
venv="$root/.cache/moto/venv-$version"
server="$venv/bin/moto_server"

log() { printf 'moto: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [[ -x "$server" && -f "$venv/.installed" ]]; then
  printf '%s\n' "$server"
  exit 0
fi

python="$(command -v python3 || true)"
[[ -n "$python" ]] || die "python3 is not installed: install python3 and python3-venv (Debian: apt-get install python3 python3-venv), then rerun"

mkdir -p "$root/.cache/moto"
# Two test files may start moto at once on a fresh machine: one installs, the other waits.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$root/.cache/moto/.lock"
  flock 9
  if [[ -x "$server" && -f "$venv/.installed" ]]; then
    printf '%s\n' "$server"
    exit 0
  fi
fi

log "installing moto[server]==$version into $venv (once)"
rm -rf "$venv"
"$python" -m venv "$venv" >&2 ||
  die "could not create a Python virtual environment with $python -m venv: install python3-venv (Debian: apt-get install python3-venv)"
"$venv/bin/python" -m pip install --disable-pip-version-check --quiet "moto[server]==$version" >&2 ||
  die "pip could not install moto[server]==$version from PyPI into $venv"
[[ -x "$server" ]] || die "moto[server]==$version installed but $server is missing"
touch "$venv/.installed"
log "installed $server"
printf '%s\n' "$server"
