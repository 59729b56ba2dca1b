# Shared helpers for the scripts in this folder. Source it; do not run it.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Local service data (override with CANDYSTORE_DEV_DIR to run a second stack, e.g. on other ports).
DEV="${CANDYSTORE_DEV_DIR:-$ROOT/.dev}"

# load_env: the same settings the binaries see (Settings in Sources/CandystoreConfig, docs/configuration.md):
# the environment over .env (CANDYSTORE_ENV_FILE, else $ROOT/.env) over the defaults, which are .env.example.
# Line rules as Settings.parseDotEnv: skip blank and # lines, drop an `export ` prefix, trim key and value,
# remove one pair of matching surrounding quotes, no expansion; a later line wins. A variable already set in the
# environment is never overridden, so `FOO=bar scripts/dev up` wins over the files.
load_env() {
    local file="${CANDYSTORE_ENV_FILE:-$ROOT/.env}"
    if [ -n "${CANDYSTORE_ENV_FILE:-}" ] && [ ! -f "$file" ]; then
        die "CANDYSTORE_ENV_FILE points to $file, which does not exist"
    fi
    local -A seen=()
    local name
    # Names set in the environment before any file was read win over both files.
    while IFS= read -r name; do seen[$name]=env; done < <(compgen -e)
    local layer
    for layer in "$file" "$ROOT/.env.example"; do
        [ -f "$layer" ] || continue
        local -A values=()
        _parse_env_file "$layer" values
        for name in "${!values[@]}"; do
            [ -n "${seen[$name]+x}" ] && continue
            seen[$name]=file
            export "$name=${values[$name]}"
        done
        unset values
    done
}

# _parse_env_file FILE ARRAY: fills the associative array named ARRAY with FILE's KEY=value pairs.
_parse_env_file() {
    local -n _into="$2"
    local line key value
    while IFS= read -r line || [ -n "$line" ]; do
        line="${line#"${line%%[![:space:]]*}"}"
        line="${line%"${line##*[![:space:]]}"}"
        case "$line" in '' | '#'*) continue ;; esac
        [[ "$line" == "export "* ]] && line="${line#export }" && line="${line#"${line%%[![:space:]]*}"}"
        [[ "$line" == *=* ]] || continue
        key="${line%%=*}"
        key="${key%"${key##*[![:space:]]}"}"
        value="${line#*=}"
        value="${value#"${value%%[![:space:]]*}"}"
        [[ "$key" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
        if [ "${#value}" -ge 2 ]; then
            case "$value" in
            \"*\") value="${value:1:${#value}-2}" ;;
            \'*\') value="${value:1:${#value}-2}" ;;
            esac
        fi
        _into[$key]="$value"
    done <"$1"
}

log() { printf '\033[1;34m[dev]\033[0m %s\n' "$*" >&2; }
warn() { printf '\033[1;33m[dev]\033[0m %s\n' "$*" >&2; }
die() {
    printf '\033[1;31m[dev] error:\033[0m %s\n' "$*" >&2
    exit 1
}

# candystore_bin: path of the debug `candystore` binary, building it when missing or stale. With
# CANDYSTORE_NO_BUILD=1 the existing binary is used as it is: a test run by `swift test` holds the build lock, so a
# `scripts/service start` it calls must not build (it would wait for the lock forever).
candystore_bin() {
    local bin
    bin="$(cd "$ROOT" && swift build --show-bin-path)/candystore"
    if [ "${CANDYSTORE_NO_BUILD:-0}" = 1 ]; then
        [ -x "$bin" ] || die "CANDYSTORE_NO_BUILD=1 but $bin does not exist"
        echo "$bin"
        return 0
    fi
    if [ ! -x "$bin" ] || [ -n "$(find "$ROOT/Sources" "$ROOT/Package.swift" -newer "$bin" -print -quit 2>/dev/null)" ]; then
        log "building candystore (first build takes several minutes)…"
        (cd "$ROOT" && swift build --product candystore >&2) || die "swift build failed"
    fi
    echo "$bin"
}
