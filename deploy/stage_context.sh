#!/bin/sh
# stage_context.sh MYBUILD OUT_DIR: the build context of deploy/Dockerfile. OUT_DIR/rootfs gets
# the mybuild binary, newuidmap/newgidmap (uidmap) and slirp4netns (RUN's private network), each
# with exactly the shared libraries `ldd` says it loads, copied from this (Debian 12) host at the
# paths the loader looks in; plus the CA bundle. OUT_DIR/busybox is the debug variant's shell.
#
# ldd rather than a slimmed Debian base: mybuild's libraries (libcurl, libarchive, the ANTLR
# runtime...) are not in a minbase, and installing their packages would bring their postinst
# scripts, docs and /usr/share into an image that needs only the .so files.
set -eu

if [ $# -ne 2 ]; then
  echo "usage: $0 MYBUILD OUT_DIR" >&2
  exit 2
fi
mybuild=$1
out=$2
root=$out/rootfs

rm -rf "$out"
mkdir -p "$root/usr/local/bin" "$root/usr/bin" "$root/etc/ssl/certs" "$out/busybox"

# Copies a file's content (symlinks resolved) to the same path under $root, keeping its mode
# (newuidmap's setuid bit: rootless builds in the image need it).
put() {
  mkdir -p "$root$(dirname "$2")"
  cp --dereference --preserve=mode "$1" "$root$2"
}

# The libraries a binary loads, and the loader: the absolute paths in ldd's output.
libs_of() {
  ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
}

# The libraries mybuild opens itself on first use (dlopen, so a no-op build does not load them):
# ldd does not list them. Keep in step with registry/curl_api.cc and builder/context/git_api.cc.
dlopened="libcurl.so.4 libgit2.so.1.5"
dlopened_paths=""
for soname in $dlopened; do
  path=$(ldconfig -p | awk -v n="$soname" '$1 == n && /x86-64|x86_64|aarch64|AArch64/ { print $NF; exit }')
  [ -n "$path" ] || {
    echo "$0: $soname not installed (deps/build.txt)" >&2
    exit 1
  }
  dlopened_paths="$dlopened_paths $path"
done

put "$mybuild" /usr/local/bin/mybuild
for tool in newuidmap newgidmap slirp4netns; do
  path=$(command -v "$tool") || {
    echo "$0: $tool not installed (deps/deploy.txt)" >&2
    exit 1
  }
  put "$path" "/usr/bin/$tool"
done
{
  for bin in "$root/usr/local/bin/mybuild" "$root/usr/bin/newuidmap" "$root/usr/bin/slirp4netns" \
    $dlopened_paths; do
    libs_of "$bin"
  done
  for path in $dlopened_paths; do echo "$path"; done
} | sort -u | while read -r lib; do
  put "$lib" "$lib"
done
put /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
cp /bin/busybox "$out/busybox/busybox"
if ldd "$out/busybox/busybox" >/dev/null 2>&1; then
  echo "$0: /bin/busybox is not static (install busybox-static)" >&2
  exit 1
fi
