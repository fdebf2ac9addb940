#!/bin/sh
# Creates (idempotently) the unprivileged users the rootless suites run as:
#   mybuild-rootless       with exactly the subordinate range 300000-365535 (uids and gids)
#   mybuild-rootless-noid  with no subordinate range at all
# Needs root, shadow's useradd/usermod (passwd) and flock (util-linux). Several test processes
# call it at once: one lock serialises them (useradd itself fails on a held /etc/passwd lock).
set -eu

lock_dir=/run/lock
[ -d "$lock_dir" ] || lock_dir=/tmp
exec 9>"$lock_dir/mybuild-rootless-users.lock"
flock 9

# Removes every subordinate range of $1 in $2 (/etc/subuid or /etc/subgid) except $3 ("start-end").
drop_ranges() {
  user=$1 file=$2 keep=$3
  opt=--del-subuids
  [ "$file" = /etc/subgid ] && opt=--del-subgids
  [ -f "$file" ] || return 0
  awk -F: -v u="$user" '$1 == u { printf "%d-%d\n", $2, $2 + $3 - 1 }' "$file" |
    while read -r range; do
      [ "$range" = "$keep" ] || usermod "$opt" "$range" "$user"
    done
}

make_user() {
  if ! id "$1" >/dev/null 2>&1; then
    # No automatic range (login.defs SUB_UID_COUNT): each user gets exactly what is set below.
    useradd --create-home --shell /bin/sh -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$1"
  fi
}

make_user mybuild-rootless
drop_ranges mybuild-rootless /etc/subuid 300000-365535
drop_ranges mybuild-rootless /etc/subgid 300000-365535
grep -q '^mybuild-rootless:300000:65536$' /etc/subuid 2>/dev/null ||
  usermod --add-subuids 300000-365535 mybuild-rootless
grep -q '^mybuild-rootless:300000:65536$' /etc/subgid 2>/dev/null ||
  usermod --add-subgids 300000-365535 mybuild-rootless

make_user mybuild-rootless-noid
drop_ranges mybuild-rootless-noid /etc/subuid none
drop_ranges mybuild-rootless-noid /etc/subgid none
