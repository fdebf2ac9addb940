#!/bin/sh
# Creates (idempotently) the unprivileged user podman_image_test.cc runs rootless podman as:
# mybuild-podman, with exactly the subordinate range 400000-465535 (uids and gids; apart from
# tests/rootless's 300000-365535) and a home for podman's storage. Needs root, useradd/usermod
# (passwd) and flock (util-linux); several test processes may call it at once.
set -eu

lock_dir=/run/lock
[ -d "$lock_dir" ] || lock_dir=/tmp
exec 9>"$lock_dir/mybuild-podman-user.lock"
flock 9

user=mybuild-podman
if ! id "$user" >/dev/null 2>&1; then
  useradd --create-home --shell /bin/sh -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$user"
fi
grep -q "^$user:400000:65536\$" /etc/subuid 2>/dev/null || usermod --add-subuids 400000-465535 "$user"
grep -q "^$user:400000:65536\$" /etc/subgid 2>/dev/null || usermod --add-subgids 400000-465535 "$user"
