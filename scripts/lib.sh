# Shared helpers for the scripts in this folder. Source it; do not run it.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Local service data (override with CANDYSTORE_DEV_DIR to run a second stack, e.g. on other ports).
DEV="${CANDYSTORE_DEV_DIR:-$ROOT/.dev}"

# load_env: read .env (or .env.example when .env is missing) without overriding variables that are
# already set in the environment, so `FOO=bar scripts/dev up` wins over the file.
load_env() {
    local file="$ROOT/.env"
    [ -f "$file" ] || file="$ROOT/.env.example"
    local line key value
    while IFS= read -r line || [ -n "$line" ]; do
        case "$line" in '' | '#'*) continue ;; esac
        key="${line%%=*}"
        value="${line#*=}"
        [[ "$key" =~ ^[A-Z_][A-Z0-9_]*$ ]] || continue
        if [ -z "${!key+x}" ]; then
            export "$key=$value"
        fi
    done <"$file"
}

log() { printf '\033[1;34m[dev]\033[0m %s\n' "$*" >&2; }
warn() { printf '\033[1;33m[dev]\033[0m %s\n' "$*" >&2; }
die() {
    printf '\033[1;31m[dev] error:\033[0m %s\n' "$*" >&2
    exit 1
}

# candystore_bin: path of the debug `candystore` binary, building it when missing or stale.
candystore_bin() {
    local bin
    bin="$(cd "$ROOT" && swift build --show-bin-path)/candystore"
    if [ ! -x "$bin" ] || [ -n "$(find "$ROOT/Sources" "$ROOT/Package.swift" -newer "$bin" -print -quit 2>/dev/null)" ]; then
        log "building candystore (first build takes several minutes)…"
        (cd "$ROOT" && swift build --product candystore >&2) || die "swift build failed"
    fi
    echo "$bin"
}
