# git keeps only the executable bit: give the context the modes COPY must keep.
chmod 0600 files/b.txt
chmod 0750 dir/x
