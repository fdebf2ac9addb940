#!/usr/bin/env bash
# Installs the Debian packages listed in deps/*.txt (or in the lists given as arguments, e.g.
# bench/deps.txt, which `make test` does not need) that are not installed yet.
# Idempotent, non-interactive; runs `apt-get update` once, and only when something is missing.
set -euo pipefail
lists=()
for l in "$@"; do lists+=("$(realpath "$l")"); done  # before the cd: paths as the caller meant
cd "$(dirname "$0")/.."
((${#lists[@]})) || lists=(deps/*.txt)
mapfile -t wanted < <(cat "${lists[@]}" | sed -e 's/#.*//' -e 's/[[:space:]]//g' | grep -v '^$' | sort -u)
missing=()
for pkg in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
if ((${#missing[@]} == 0)); then
  echo "deps: all ${#wanted[@]} packages present"
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "deps: missing ${missing[*]}; run 'make deps' as root (or install them with apt-get)" >&2
  exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: installed ${#missing[@]} packages"
