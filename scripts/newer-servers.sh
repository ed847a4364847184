#!/usr/bin/env bash
# Builds real Redis and Valkey releases newer than the one Debian bookworm
# packages (Redis 7.0), from Debian's own source packages, for the interop
# tests (`npm run test:interop`, test/interop/): the engines issue 55 moves
# backups between, loaded for real. `npm test` does not need them.
#
#   scripts/newer-servers.sh [dir]     build what is missing into dir (default .tmp/servers)
#
# Each family below is built from the newest version Debian's deb.debian.org
# offers of it (sid, forky, trixie, experimental, backports: their Sources
# indexes, read with a private apt configuration: the system's is not
# touched), with the upstream build (make <server> MALLOC=libc BUILD_TLS=no).
# It writes <dir>/bin/<engine>-<major.minor> and <dir>/versions.txt (the
# exact versions built). A family Debian no longer offers is said and left out.
# Needs apt-get and a C toolchain (build-essential); about 3 minutes a server on
# two cores.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=$(mkdir -p "${1:-.tmp/servers}" && cd "${1:-.tmp/servers}" && pwd)
FAMILIES=("redis 8.0" "redis 8.6" "valkey 8.1" "valkey 9.1")

say() { printf 'newer-servers: %s\n' "$*"; }
for tool in apt-get make gcc tar; do
  command -v "$tool" >/dev/null || {
    say "$tool is needed (sudo apt-get install build-essential)"
    exit 1
  }
done

APT="$DIR/apt"
mkdir -p "$APT/lists/partial" "$DIR/bin" "$DIR/src"
: >"$APT/sources.list"
for suite in sid forky trixie trixie-backports experimental; do
  echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main" >>"$APT/sources.list"
done
OPTS=(-o "Dir::Etc::SourceList=$APT/sources.list" -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$APT/lists" -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
say "reading Debian's source indexes"
apt-get "${OPTS[@]}" -qq update

: >"$DIR/versions.txt.new"
for family in "${FAMILIES[@]}"; do
  read -r engine minor <<<"$family"
  out="$DIR/bin/$engine-$minor"
  # Debian's versions of this family, newest first (an epoch such as redis's `5:` aside when matching).
  candidates=$(apt-cache "${OPTS[@]}" showsrc "$engine" 2>/dev/null | awk '/^Version:/ {print $2}' | sort -uV -r |
    awk -v m="$minor" '{ v = $0; sub(/^[0-9]+:/, "", v); if (index(v, m ".") == 1) print }' || true)
  if [ -z "$candidates" ]; then
    say "$engine $minor: Debian offers no such version now: left out"
    continue
  fi
  built=""
  for version in $candidates; do
    if [ -x "$out" ] && grep -qx "$engine-$minor $version" "$DIR/versions.txt" 2>/dev/null; then
      built=$version
      say "$engine $minor: $version already built"
      break
    fi
    work="$DIR/src/$engine-${version#*:}"
    rm -rf "$work" && mkdir -p "$work"
    # Only the upstream tarball is needed (the build is upstream's): its URI and SHA-256 from the signed index, fetched
    # by apt's own downloader, which checks the hash. An index may name a revision whose own files its pool no longer
    # holds (a stable update moved on); the tarball they share usually stays. Else the next version.
    read -r uri name _ hash < <(apt-get "${OPTS[@]}" -qq source --print-uris "$engine=$version" 2>/dev/null | grep "\.orig\.tar\." | tr -d "'" || true)
    if [ -n "${uri:-}" ] && /usr/lib/apt/apt-helper download-file "$uri" "$work/$name" "$hash" >/dev/null 2>&1; then
      built=$version
      break
    fi
    say "$engine $minor: $version is listed but not downloadable: trying the next"
  done
  if [ -z "$built" ]; then
    say "$engine $minor: no listed version could be downloaded: left out"
    continue
  fi
  version=$built
  echo "$engine-$minor $version" >>"$DIR/versions.txt.new"
  [ -x "$out" ] && grep -qx "$engine-$minor $version" "$DIR/versions.txt" 2>/dev/null && continue
  say "$engine $minor: building $version"
  tarball=$(find "$work" -maxdepth 1 -name "*.orig.tar.*" | head -1)
  tar -xf "$tarball" -C "$work"
  src=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -1)
  server=redis-server
  [ "$engine" = valkey ] && server=valkey-server
  make -C "$src/src" "$server" MALLOC=libc BUILD_TLS=no -j"$(nproc)" >"$work/build.log" 2>&1 || {
    say "$engine $version: the build failed (its log: $work/build.log)"
    exit 1
  }
  cp "$src/src/$server" "$out"
  say "$engine $minor: $("$out" --version)"
done
mv "$DIR/versions.txt.new" "$DIR/versions.txt"
say "built into $DIR/bin: $(ls "$DIR/bin" | tr '\n' ' ')"
