#!/usr/bin/python3
"""fetch_layers.py HOST:PORT/REPO:TAG DEST: the floor of importing a build cache from a registry.

Fetches the image's manifest over plain HTTP (the local docker-registry), then each layer blob
into a file under DEST. Not unpacked: a build whose every step is a cache hit needs the layers'
blobs in its store, not their files on disk. No checks: this is what an import cannot avoid,
not a client.
"""
import json
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
        name = layer["digest"].replace(":", "-")
        with get(f"{base}/blobs/{layer['digest']}") as blob, open(f"{dest}/{name}", "wb") as out:
            while chunk := blob.read(1 << 20):
                out.write(chunk)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
