#!/usr/bin/env bash
# The project's own setup: brings a machine with Node >= 20 to what the demo
# and the tests need. `npm run setup` (the README's first line) and .ci/run
# both call it, so CI proves the path a newcomer takes.
#
#   scripts/setup.sh            system tools for the demo and the tests, then npm ci
#   scripts/setup.sh --check    only say what is missing (exit 1 when something is)
#   scripts/setup.sh --no-npm   system tools only (.ci/run runs npm ci itself)
#
# It says what it will install before it does. Where it cannot install (no
# apt-get or Homebrew, or no root and no sudo), it prints one line naming the
# command to run, and exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."

check_only=0
run_npm=1
for arg in "$@"; do
  case "$arg" in
    --check) check_only=1 ;;
    --no-npm) run_npm=0 ;;
    -h | --help)
      sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "setup: unknown option $arg (use --check, --no-npm or --help)" >&2
      exit 2
      ;;
  esac
done

say() { printf 'setup: %s\n' "$*"; }

# Node first: everything else is for nothing without it.
if ! command -v node >/dev/null 2>&1; then
  say "Node.js 20 or newer is needed first (https://nodejs.org, or your package manager's nodejs)"
  exit 1
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  say "Node.js $(node --version) is too old: redis-dr needs 20 or newer"
  exit 1
fi

# What each tool is for; the Debian and Homebrew package that brings it.
# name|command|debian|brew|why
tools=(
  "redis-server|redis-server|redis-server|redis|the demo and the tests start throwaway servers"
  "redis-tools|redis-check-rdb|redis-tools|redis|the tests compare the verifier with redis-check-rdb and build clusters with redis-cli"
  "lz4|lz4|lz4|lz4|the tests read LZ4 frames the reference tool writes"
  "systemd-analyze|systemd-analyze|systemd|-|the tests verify deploy/systemd's units (Linux only)"
  "zsh|zsh|zsh|zsh|the tests load the zsh completion script"
  "fish|fish|fish|fish|the tests load the fish completion script"
  "chromium|chromium|chromium|-|the tests open the DR report in a real browser (puppeteer-core drives it; no browser is downloaded)"
  "chattr|chattr|e2fsprogs|-|the tests make a folder that refuses removals (chattr +a) for convert-rdb's outputs (Linux only)"
)
# Valkey's server stands in for redis-server where it is installed instead.
have() {
  case "$1" in
    redis-server) command -v redis-server >/dev/null 2>&1 || command -v valkey-server >/dev/null 2>&1 ;;
    chromium) command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1 ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}

missing_names=()
missing_debian=()
missing_brew=()
for entry in "${tools[@]}"; do
  IFS='|' read -r name cmd debian brew why <<<"$entry"
  if ! have "$cmd"; then
    missing_names+=("$name ($why)")
    missing_debian+=("$debian")
    [ "$brew" != "-" ] && missing_brew+=("$brew")
  fi
done
need_cfn_lint=0
command -v cfn-lint >/dev/null 2>&1 || need_cfn_lint=1
# moto's server is a real S3 API on a loopback port: the object store's S3 driver is tested against it.
need_moto=0
python3 -c 'import moto.server' >/dev/null 2>&1 || need_moto=1

if [ ${#missing_names[@]} -eq 0 ] && [ $need_cfn_lint -eq 0 ] && [ $need_moto -eq 0 ]; then
  say "system tools present: redis-server, redis-check-rdb, lz4, systemd-analyze, zsh, fish, chromium, chattr, cfn-lint, moto"
else
  for m in ${missing_names[@]+"${missing_names[@]}"}; do say "missing: $m"; done
  [ $need_cfn_lint -eq 1 ] && say "missing: cfn-lint (the tests lint every synthesized template; from pip)"
  [ $need_moto -eq 1 ] && say "missing: moto (the tests run the S3 store against a real S3 API, moto's server; from pip)"
  if [ $check_only -eq 1 ]; then exit 1; fi

  if [ ${#missing_debian[@]} -gt 0 ]; then
    # Unique package names, in order.
    # shellcheck disable=SC2207 # package names have no spaces; macOS's bash 3.2 has no mapfile
    debian_pkgs=($(printf '%s\n' "${missing_debian[@]}" | awk '!seen[$0]++'))
    if command -v apt-get >/dev/null 2>&1; then
      sudo_cmd=""
      if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then sudo_cmd="sudo"; else
          say "cannot install as $(id -un) without sudo: run as root: apt-get update && apt-get install -y ${debian_pkgs[*]}"
          exit 1
        fi
      fi
      say "installing with apt-get: ${debian_pkgs[*]}"
      export DEBIAN_FRONTEND=noninteractive
      $sudo_cmd apt-get update -qq
      $sudo_cmd apt-get install -y -qq "${debian_pkgs[@]}"
      # The Debian package starts a service on 6379; nothing here uses it (the tests bind their own free ports).
    elif command -v brew >/dev/null 2>&1; then
      # shellcheck disable=SC2207
      brew_pkgs=($(printf '%s\n' "${missing_brew[@]+"${missing_brew[@]}"}" | awk 'NF && !seen[$0]++'))
      if [ ${#brew_pkgs[@]} -gt 0 ]; then
        say "installing with Homebrew: ${brew_pkgs[*]}"
        brew install "${brew_pkgs[@]}"
      fi
      have systemd-analyze || say "note: systemd-analyze does not exist on macOS; the demo runs, and the deploy/systemd tests need Linux"
      have chromium || say "note: install Chromium or Google Chrome for the report's browser test (brew install --cask chromium), or set REDIS_DR_CHROMIUM"
    else
      say "no apt-get or Homebrew here: install ${debian_pkgs[*]} (Debian package names) with your package manager, then run npm run setup again"
      exit 1
    fi
  fi

  if [ $need_cfn_lint -eq 1 ]; then
    say "installing cfn-lint with pip (python3 -m pip install --user cfn-lint)"
    if ! command -v python3 >/dev/null 2>&1; then
      say "python3 is needed for cfn-lint: install python3 and pip, then run npm run setup again"
      exit 1
    fi
    # A distribution's Python may refuse installs outside a virtualenv (PEP 668): then the user site is used, said so.
    python3 -m pip install --quiet cfn-lint 2>/dev/null ||
      python3 -m pip install --quiet --user cfn-lint 2>/dev/null ||
      python3 -m pip install --quiet --user --break-system-packages cfn-lint || {
      say "cfn-lint could not be installed: run python3 -m pip install --user cfn-lint (or pipx install cfn-lint)"
      exit 1
    }
    if ! command -v cfn-lint >/dev/null 2>&1; then
      say "cfn-lint is installed in $(python3 -m site --user-base)/bin, which is not on PATH: add it to PATH"
      exit 1
    fi
  fi

  if [ $need_moto -eq 1 ]; then
    say "installing moto with pip (python3 -m pip install --user 'moto[server]')"
    if ! command -v python3 >/dev/null 2>&1; then
      say "python3 is needed for moto: install python3 and pip, then run npm run setup again"
      exit 1
    fi
    python3 -m pip install --quiet 'moto[server]' 2>/dev/null ||
      python3 -m pip install --quiet --user 'moto[server]' 2>/dev/null ||
      python3 -m pip install --quiet --user --break-system-packages 'moto[server]' || {
      say "moto could not be installed: run python3 -m pip install --user 'moto[server]'"
      exit 1
    }
  fi
fi

if [ $run_npm -eq 1 ] && [ $check_only -eq 0 ]; then
  say "installing the pinned npm packages (npm ci)"
  npm ci --no-audit --no-fund
fi
