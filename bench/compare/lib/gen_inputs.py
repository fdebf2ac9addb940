#!/usr/bin/python3
"""Deterministic inputs for bench/compare: the same seed gives the same bytes on any machine.

  gen_inputs.py context DIR SCALE     issue 17's context: 3,500 text files of 0.5-8 KiB, 1,200 of
                                      16-128 KiB, 300 of 0.2-1.2 MiB (about 327 MB at SCALE 1.0),
                                      half of the bytes incompressible
  gen_inputs.py many DIR KEPT TOTAL   TOTAL small files of which only KEPT survive .dockerignore

Incompressible bytes come from AES-CTR keyed by the file's index (SHAKE would be as good but is
slower in Python); text bytes are slices of one generated 1 MiB block of words, so they
compress about as well as source code does.
"""
import hashlib
import os
import random
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

WORDS = ("static const int return void struct include define char unsigned long if else for "
         "while switch case break continue namespace template class public private").split()


def text_block(rng):
    out, size = [], 0
    while size < 1 << 20:
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12))) + ";\n"
        out.append(line)
        size += len(line)
    return "".join(out).encode()


def random_bytes(index, size):
    key = hashlib.sha256(b"bench/compare %d" % index).digest()[:16]
    enc = Cipher(algorithms.AES(key), modes.CTR(b"\0" * 16)).encryptor()
    return enc.update(b"\0" * size)


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    os.utime(path, (1700000000, 1700000000))  # same mtime every run: same BuildKit/buildah keys


def context(root, scale):
    rng = random.Random(17)
    block = text_block(rng)
    classes = [("src", 3500, 512, 8 << 10), ("lib", 1200, 16 << 10, 128 << 10),
               ("assets", 300, 200 << 10, 1200 << 10)]
    index = 0
    for folder, count, low, high in classes:
        for i in range(max(1, int(count * scale))):
            size = rng.randint(low, high)
            if index % 2 == 1:  # every other file incompressible: about half of the bytes
                data = random_bytes(index, size)
            else:
                start = rng.randrange(0, len(block) - size) if size < len(block) else 0
                data = (block * (size // len(block) + 1))[start:start + size]
            write(os.path.join(root, folder, "d%02d" % (i % 50), "f%05d" % index), data)
            index += 1


def many(root, kept, total):
    for i in range(total):
        folder = "src" if i < kept else "node_modules/pkg%03d" % (i % 500)
        write(os.path.join(root, folder, "f%06d.js" % i), b"module.exports = %d;\n" % i)
    write(os.path.join(root, ".dockerignore"), b"node_modules\n**/*.log\n")


if __name__ == "__main__":
    if sys.argv[1] == "context":
        context(sys.argv[2], float(sys.argv[3]))
    else:
        many(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
