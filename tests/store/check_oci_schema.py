#!/usr/bin/env python3
"""Validates an OCI image layout against the image-spec JSON schemas (draft-04).

usage: check_oci_schema.py SCHEMA_DIR LAYOUT
First checks that this validator agrees with upstream's own valid/invalid cases (cases/*.jsonl),
then validates LAYOUT: oci-layout, index.json, and every index, manifest and config reachable
from it. Exit status 0 when everything validates; errors are printed one per line.
"""
import json
import os
import sys
import warnings

warnings.simplefilter("ignore", DeprecationWarning)  # RefResolver is deprecated in jsonschema 4.18+
import jsonschema  # noqa: E402

INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CONFIG = "application/vnd.oci.image.config.v1+json"


def validator_for(schema_dir, name):
    def load(uri):
        # The schemas refer to each other by file name relative to ids under
        # https://opencontainers.org/schema/...; every such URI maps to the local file.
        with open(os.path.join(schema_dir, uri.split("#")[0].rsplit("/", 1)[-1])) as f:
            return json.load(f)

    schema = load(name)
    resolver = jsonschema.RefResolver(
        base_uri="https://opencontainers.org/schema/image/" + name, referrer=schema,
        handlers={"https": load, "http": load, "": load})
    return jsonschema.Draft4Validator(schema, resolver=resolver)


def selftest(schema_dir):
    failures = 0
    for cases, schema in (("index.jsonl", "image-index-schema.json"),
                          ("manifest.jsonl", "image-manifest-schema.json"),
                          ("layout.jsonl", "image-layout-schema.json")):
        v = validator_for(schema_dir, schema)
        with open(os.path.join(schema_dir, "cases", cases)) as f:
            for line in f:
                case = json.loads(line)
                try:
                    ok = v.is_valid(json.loads(case["document"]))
                except ValueError:
                    ok = False
                if ok != case["valid"]:
                    print(f"{cases}: validator says {ok}, upstream {case['valid']}: {case['comment']}")
                    failures += 1
    return failures


def check_layout(schema_dir, layout):
    errors = []
    validators = {
        INDEX: validator_for(schema_dir, "image-index-schema.json"),
        MANIFEST: validator_for(schema_dir, "image-manifest-schema.json"),
        CONFIG: validator_for(schema_dir, "config-schema.json"),
    }

    def check(doc, validator, what):
        for e in validator.iter_errors(doc):
            errors.append(f"{what}: {e.message} at {list(e.absolute_path)}")

    def blob(digest):
        alg, hexpart = digest.split(":", 1)
        with open(os.path.join(layout, "blobs", alg, hexpart)) as f:
            return json.load(f)

    with open(os.path.join(layout, "oci-layout")) as f:
        check(json.load(f), validator_for(schema_dir, "image-layout-schema.json"), "oci-layout")
    with open(os.path.join(layout, "index.json")) as f:
        index = json.load(f)
    check(index, validators[INDEX], "index.json")
    todo = list(index.get("manifests", []))
    while todo:
        d = todo.pop()
        mt = d.get("mediaType")
        if mt not in validators:
            continue
        doc = blob(d["digest"])
        check(doc, validators[mt], f"{mt} {d['digest']}")
        todo += doc.get("manifests", [])
        if "config" in doc:
            todo.append(doc["config"])
    return errors


def main():
    schema_dir, layout = sys.argv[1], sys.argv[2]
    if selftest(schema_dir):
        return 2
    errors = check_layout(schema_dir, layout)
    for e in errors:
        print(e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
