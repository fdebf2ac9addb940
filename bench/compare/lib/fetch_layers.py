#!/usr/bin/python3
"""fetch_layers.py HOST:PORT/REPO:TAG DEST: the floor of importing an image from a registry.

Fetches the image's manifest over plain HTTP (the local docker-registry), then streams each layer
blob into `tar -x` (gzip, zstd or plain, as its media type says) under DEST, in order. No checks
beyond tar's own: this is what a cache import cannot avoid, not a client.
"""
import json
import subprocess
import sys
import urllib.request

ACCEPT = ", ".join([
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
])


def get(url, accept=None):
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    return urllib.request.urlopen(request)


def main(ref, dest):
    host, _, rest = ref.partition("/")
    repo, _, tag = rest.rpartition(":")
    base = f"http://{host}/v2/{repo}"
    manifest = json.load(get(f"{base}/manifests/{tag}", ACCEPT))
    for layer in manifest["layers"]:
        kind = layer["mediaType"]
        flag = ["-z"] if "gzip" in kind else ["--zstd"] if "zstd" in kind else []
        tar = subprocess.Popen(["tar", "-C", dest, "-x", *flag], stdin=subprocess.PIPE)
        with get(f"{base}/blobs/{layer['digest']}") as blob:
            while chunk := blob.read(1 << 20):
                tar.stdin.write(chunk)
        tar.stdin.close()
        if tar.wait() != 0:
            sys.exit(f"fetch_layers.py: tar -x of {layer['digest']} failed")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
