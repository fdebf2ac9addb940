# A gzip'd tar with its own owners, modes, mtimes, a symlink, a hard link and a nested directory,
# made here so it stays small and readable in the repository.
set -e
mkdir -p src/top/nested
printf 'in tar\n' > src/top/file
printf 'nested\n' > src/top/nested/deep
ln -s file src/top/link
ln src/top/file src/top/hard
chmod 0600 src/top/file
chmod 0700 src/top/nested
chown -R 1000:1000 src/top/nested
tar --create --gzip --file archive.tar.gz --directory src --sort=name --numeric-owner \
  --mtime=@1234567890 --format=gnu top
tar --create --file plain-archive.tar --directory src --sort=name --numeric-owner \
  --mtime=@1234567890 --format=gnu top/file
rm -rf src
