#!/usr/bin/env python3
"""Writes one small seed file per test case for every fuzz target, from ../shared/conformance.

usage: fuzz/make_seeds.py OUT_DIR [CONFORMANCE_DIR]

The vector files hold hundreds of cases each; handed to libFuzzer whole they are multi-kilobyte
inputs that make every execution slow. Here each vector becomes its own input, laid out the way
its fuzz target reads its bytes (see the comment at the top of each fuzz/*_fuzz.cc). Files are
named by the hash of their content, so re-running is idempotent. The tar seeds are built with
Python's tarfile: small archives showing each entry type and each attack the extractors refuse.
"""
import gzip
import hashlib
import io
import json
import pathlib
import re
import sys
import tarfile

MAX_SEED = 4096  # larger cases are left out: the run scripts cap inputs well below this


def put(out, target, data):
    if isinstance(data, str):
        data = data.encode()
    if len(data) > MAX_SEED:
        return
    d = out / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


def words(out, conf):
    # First byte: bit 0 = backtick escape, bit 1 = word list (fuzz/parser_words_fuzz.cc).
    for line in (conf / "shell/envVarTest").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or line.count("|") != 2 or line.startswith("W"):
            continue
        put(out, "parser_words", b"\x00" + line.split("|")[1].strip().encode())
    for line in (conf / "shell/wordsTest").read_text(encoding="utf-8").splitlines():
        if "|" in line and not line.startswith(("#", "ENV ")):
            put(out, "parser_words", b"\x02" + line.split("|")[0].strip().encode())
    for case in json.loads((conf / "shell/substitution-cases.json").read_text(encoding="utf-8")):
        text = case["input"].encode()
        put(out, "parser_words", b"\x00" + text)
        put(out, "parser_words", b"\x03" + text.replace(b"\\", b"`"))


INSTRUCTION = re.compile(rb"^\s*[A-Za-z]+(\s|$)")


def instructions(text):
    """Splits a Dockerfile into its instructions (continuation lines and heredoc bodies stay
    with the instruction that starts them; comments and blank lines are dropped)."""
    chunks, cur, heredoc = [], [], None
    for line in text.splitlines(keepends=True):
        if heredoc is not None:
            cur.append(line)
            if line.strip() == heredoc:
                heredoc = None
            continue
        if not cur and (not line.strip() or line.lstrip().startswith(b"#")):
            continue
        if not cur and not INSTRUCTION.match(line):
            continue
        cur.append(line)
        m = re.search(rb"<<-?[\"']?([A-Za-z_]+)", line)
        if m:
            heredoc = m.group(1).strip()
        elif not line.rstrip().endswith((b"\\", b"`")):
            chunks.append(b"".join(cur))
            cur = []
    if cur:
        chunks.append(b"".join(cur))
    return chunks


def dockerfiles(out, conf, repo):
    files = sorted((conf / "parser/moby").glob("testfiles*/*/Dockerfile"))
    files += [conf / "parser/heredoc/Dockerfile"]
    files += sorted((conf / "real-world").glob("*.Dockerfile")) + sorted(repo.glob("samples/**/Dockerfile"))
    for f in files:
        text = f.read_bytes()
        put(out, "parser_dockerfile", text)  # the small ones whole (put skips large files)
        directive = text if text.startswith(b"# escape=`") else b""
        for chunk in instructions(text):
            if directive:
                chunk = b"# escape=`\n" + chunk
            if re.match(rb"\s*from\b", chunk, re.I):
                put(out, "parser_dockerfile", chunk)
                m = re.match(rb"\s*from\s+(?:--\S+\s+)*(\S+)", chunk, re.I)
                if m and b"$" not in m.group(1):
                    put(out, "registry_reference", m.group(1))
            else:
                put(out, "parser_dockerfile", b"FROM scratch\n" + chunk)


def dockerignore(out, conf):
    # fuzz/parser_dockerignore_fuzz.cc and builder_dockerignore_fuzz.cc: the .dockerignore text,
    # then 0x01-separated paths.
    seeds = []
    for name in ("cases.tsv", "filepath-match-cases.tsv"):
        for row in (conf / "dockerignore" / name).read_text(encoding="utf-8").splitlines()[1:]:
            pattern, path, _ = row.split("\t")
            seeds.append(pattern + "\x01" + path)
    for line in (conf / "dockerignore/multi-cases.jsonl").read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        seeds.append("\n".join(case["patterns"]) + "\x01" + case["path"])
    seeds.append((conf / "dockerignore/ignorefile-input.txt").read_text(encoding="utf-8"))
    for s in seeds:
        put(out, "parser_dockerignore", s)
        put(out, "builder_dockerignore", s)


def oci_documents(out, conf):
    for f in sorted((conf / "oci-schemas/cases").glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            put(out, "image_documents", json.loads(line)["document"])


def www_authenticate(out):
    # Header shapes from RFC 7235 and the distribution registry's token auth (no vector files).
    for h in ('Bearer realm="https://auth.docker.io/token",service="registry.docker.io"',
              'Bearer realm="https://r/token",service="r",scope="repository:a/b:pull,push"',
              'Basic realm="Registry Realm"', 'Basic realm="a\\"b", Bearer realm="x"',
              'Negotiate, Basic realm=x', 'Bearer error="invalid_token",realm=""'):
        put(out, "registry_www_authenticate", h)


def tar_bytes(entries, fmt):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for info, data in entries:
            info.mtime = 1
            tf.addfile(info, io.BytesIO(data) if data is not None else None)
    # tarfile pads the archive to 10 KiB; keep only the entries and the two end blocks.
    body = buf.getvalue().rstrip(b"\0")
    return body + b"\0" * (-len(body) % 512 + 1024)


def entry(name, kind=tarfile.REGTYPE, data=b"", link="", mode=0o644):
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.linkname = kind, mode, link
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    return info, (data if kind == tarfile.REGTYPE else None)


def tars(out):
    d, f, sym, hard = tarfile.DIRTYPE, tarfile.REGTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE
    cases = [
        [entry("a", d, mode=0o755), entry("a/f", f, b"hello\n"), entry("a/l", sym, link="f")],
        [entry("f", f, b"x"), entry("h", hard, link="f")],
        [entry("a", d), entry("a/.wh.f", f), entry("b/.wh..wh..opq", f)],
        [entry("../escape", f, b"x")],
        [entry("/abs", f, b"x")],
        [entry("l", sym, link="/"), entry("l/etc-x", f, b"x")],
        [entry("l", sym, link=".."), entry("l/up", f, b"x")],
        [entry("h", hard, link="../outside")],
        [entry("d", d), entry("d", f, b"replaced")],
        [entry("fifo", tarfile.FIFOTYPE), entry("dev", tarfile.CHRTYPE)],
    ]
    for i, case in enumerate(cases):
        fmt = tarfile.PAX_FORMAT if i == 0 else tarfile.GNU_FORMAT
        data = tar_bytes(case, fmt)
        for target in ("snapshot_layer", "builder_context_tar"):
            put(out, target, data)
            if i < 3:
                put(out, target, gzip.compress(data, mtime=0))


def main():
    out = pathlib.Path(sys.argv[1])
    repo = pathlib.Path(__file__).resolve().parent.parent
    conf = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else repo.parent / "shared/conformance"
    words(out, conf)
    dockerfiles(out, conf, repo)
    dockerignore(out, conf)
    oci_documents(out, conf)
    www_authenticate(out)
    tars(out)
    for d in sorted(out.iterdir()):
        print(f"seeds: {d.name}: {len(list(d.iterdir()))} inputs")


if __name__ == "__main__":
    main()
