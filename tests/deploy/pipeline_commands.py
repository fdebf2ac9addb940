#!/usr/bin/env python3
"""pipeline_commands.py FILE SUBST.json: the mybuild command lines in one of deploy/'s pipelines,
as a JSON list of argument lists (without the leading "mybuild"), with the pipeline's variables
replaced so that pipelines_test.cc can run them against a local registry.

SUBST.json: {"vars": {NAME: VALUE}, "rewrite": {FROM: TO}}. "vars" answers $NAME,
${NAME} (shell, GitLab, GitHub) and $(params.X) / $(results.X.path) / $(workspaces.X.path)
(Tekton); a variable it lacks in a mybuild line is an error, so a pipeline that starts to need one
fails the test instead of running with an empty value. "rewrite" maps a path inside the container
(/workspace) to the test's directory, or a registry host written in the file to the test's
registry, at a path boundary (followed by "/" or the end).

What counts as a mybuild command, per file:
  Kubernetes Job / Tekton Task: the args of each container or step whose image is mybuild's
    (the image's entrypoint is mybuild);
  GitLab CI: each script line of a job using mybuild's image that starts with `mybuild`;
  GitHub Actions: in each run: line that starts `podman run`, the words after the image
    ("$MYBUILD_IMAGE"), which the image's entrypoint receives.
Shell lines are split as POSIX sh would split them (shlex), then variables are replaced per word.

pipeline_commands.py --script FILE: the script lines of the GitLab jobs using mybuild's image,
as written (a JSON list), for podman_image_test.cc to run with the debug image's shell.
"""
import json
import re
import shlex
import sys

import yaml

VAR = re.compile(r"\$\(([A-Za-z0-9_.-]+)\)|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def expand(word, subst):
    def one(m):
        name = m.group(1) or m.group(2) or m.group(3)
        if name not in subst["vars"]:
            sys.exit(f"pipeline_commands.py: no value for variable {name!r} in {word!r}")
        return subst["vars"][name]

    word = VAR.sub(one, word)
    for inside, host in subst.get("rewrite", {}).items():
        word = re.sub(re.escape(inside) + r"(?=/|$)", host, word)
    return word


def is_mybuild_image(image):
    name = image["name"] if isinstance(image, dict) else image
    return "/mybuild:" in name or name.startswith("mybuild:")


def kubernetes_job(doc):
    pod = doc["spec"]["template"]["spec"]
    return [c["args"] for c in pod["containers"] if is_mybuild_image(c["image"]) and "args" in c]


def tekton_task(doc):
    return [s["args"] for s in doc["spec"]["steps"] if is_mybuild_image(s["image"]) and "args" in s]


def gitlab_ci(doc):
    out = []
    for job in doc.values():
        if not isinstance(job, dict) or not is_mybuild_image(job.get("image", "")):
            continue
        for line in job["script"]:
            words = shlex.split(line)
            if words and words[0] == "mybuild":
                out.append(words[1:])
    return out


def github_actions(doc):
    out = []
    for job in doc["jobs"].values():
        for step in job["steps"]:
            for line in step.get("run", "").splitlines():
                words = shlex.split(line)
                if words[:2] == ["podman", "run"] and "$MYBUILD_IMAGE" in words:
                    out.append(words[words.index("$MYBUILD_IMAGE") + 1:])
    return out


def commands(doc):
    if doc.get("kind") == "Job":
        return kubernetes_job(doc)
    if doc.get("kind") == "Task":
        return tekton_task(doc)
    if "jobs" in doc:
        return github_actions(doc)
    return gitlab_ci(doc)


def gitlab_scripts(doc):
    out = []
    for job in doc.values():
        if isinstance(job, dict) and is_mybuild_image(job.get("image", "")):
            out += job["script"]
    return out


def main():
    if sys.argv[1] == "--script":
        with open(sys.argv[2]) as f:
            json.dump(gitlab_scripts(yaml.safe_load(f)), sys.stdout)
        return
    with open(sys.argv[1]) as f:
        doc = yaml.safe_load(f)
    with open(sys.argv[2]) as f:
        subst = json.load(f)
    found = [[expand(w, subst) for w in argv] for argv in commands(doc)]
    json.dump(found, sys.stdout)


if __name__ == "__main__":
    main()
