#!/bin/sh
# Greets its arguments and shows what the build left in the image.
for who in "$@"; do
  echo "$GREETING, $who!"
done
cat /opt/hello/data/build-info /opt/hello/data/heredoc-info
echo "running as uid $(id -u) in $(pwd)"
