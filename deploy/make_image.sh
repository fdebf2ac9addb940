#!/bin/sh
# make_image.sh BUILD_DIR: mybuild's own image, built by BUILD_DIR/cli/mybuild from
# deploy/Dockerfile, written as two OCI archives (what `make image` makes):
#   BUILD_DIR/mybuild-image.tar        target release: mybuild, its libraries, CA certificates
#   BUILD_DIR/mybuild-image-debug.tar  target debug: the same plus busybox under /busybox
# The Debian base is tools/make_debian_base.sh's tar (BUILD_DIR/fixtures/debian-bookworm.tar,
# shared with tests/differential), imported into a state root of its own
# (BUILD_DIR/image-root), so `make image` leaves the host's /var/lib/mybuild alone and a second
# run reuses the base and the cached steps. Needs root (import and RUN as root), ldd, uidmap,
# slirp4netns and busybox-static (deps/deploy.txt).
#
# Cache: when both archives are newer than the binary and every file in deploy/, nothing is
# done (the tests call this too; `make image` after a rebuild makes them again).
set -eu

if [ $# -ne 1 ]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
build=$(readlink -f "$1")
src=$(dirname "$(readlink -f "$0")")/..
mybuild=$build/cli/mybuild
release=$build/mybuild-image.tar
debug=$build/mybuild-image-debug.tar
base=$build/fixtures/debian-bookworm.tar
root=$build/image-root

[ -x "$mybuild" ] || {
  echo "$0: $mybuild not built (make build)" >&2
  exit 1
}

# One image build at a time per build tree (several tests may ask at once).
mkdir -p "$root"
exec 9>"$build/.mybuild-image.lock"
flock 9

fresh() {
  [ -f "$1" ] && [ "$1" -nt "$mybuild" ] || return 1
  [ -z "$(find "$src/deploy" "$src/tools/make_debian_base.sh" -newer "$1" -print -quit)" ]
}
if fresh "$release" && fresh "$debug"; then
  exit 0
fi

sh "$src/tools/make_debian_base.sh" "$base"
if ! "$mybuild" --root "$root" inspect debian:bookworm >/dev/null 2>&1 ||
  [ "$base" -nt "$root/.debian-imported" ]; then
  # Uncompressed: this base stays in the local state root (only /out of it reaches the image),
  # and gzip of its 330 MB was most of a cold `make image`.
  "$mybuild" --root "$root" import --compression none "$base" debian:bookworm
  touch "$root/.debian-imported"
fi

context=$build/image-context
sh "$src/deploy/stage_context.sh" "$mybuild" "$context"
for target in release debug; do
  dest=$release
  [ "$target" = debug ] && dest=$debug
  "$mybuild" --root "$root" build --progress=plain --target "$target" \
    -f "$src/deploy/Dockerfile" -t "mybuild:$target" \
    -o "type=oci,dest=$dest.tmp" "$context"
  mv "$dest.tmp" "$dest"
done
