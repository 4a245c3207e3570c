#!/usr/bin/env bash
# Installs the Debian packages riskmap needs that are missing. As root it
# runs apt-get; otherwise it prints the command to run.
set -euo pipefail

pg_version() {
  local v
  v=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)
  echo "${v:-15}"
}

PGV=$(pg_version)
want=("postgresql-${PGV}" "postgresql-${PGV}-postgis-3")
for extra in "$@"; do want+=("$extra"); done

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]}" >&2
  echo "install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
