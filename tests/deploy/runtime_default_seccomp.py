#!/usr/bin/env python3
"""runtime_default_seccomp.py OUT.json: the seccomp profile of a plain Kubernetes pod, for podman.

Podman's default profile (/usr/share/containers/seccomp.json, containers/common) allows unshare,
clone with namespace flags and mount to every container, so that rootless podman nests. The
profile containerd and Docker give a pod with seccompProfile RuntimeDefault (moby's
profiles/seccomp/default.json) does not, unless the container holds CAP_SYS_ADMIN: unshare,
mount, umount2, setns, pivot_root and the new mount API are refused, clone is allowed only
without namespace flags (flags & 0x7E020000 == 0), and clone3 answers ENOSYS so that libc falls
back to clone; the refused calls fail with EPERM as under moby's profile (podman 4.3 does not
apply a profile's defaultErrnoRet, so each gets an explicit rule), not ENOSYS. This writes podman's profile with exactly those rules changed, which is what a
pod on GitLab's Kubernetes executor runs under.
"""
import json
import sys

SRC = "/usr/share/containers/seccomp.json"
# moby: CLONE_NEWNS|CLONE_NEWCGROUP|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET
NAMESPACE_FLAGS = 0x7E020000
ADMIN_ONLY = ["unshare", "mount", "umount", "umount2", "setns", "pivot_root", "fsopen",
              "fsconfig", "fsmount", "fspick", "open_tree", "move_mount", "mount_setattr"]


def main():
    with open(SRC) as f:
        profile = json.load(f)
    removed = set(ADMIN_ONLY) | {"clone", "clone3"}
    for rule in profile["syscalls"]:
        if not rule.get("includes") and rule["action"] == "SCMP_ACT_ALLOW":
            rule["names"] = [n for n in rule["names"] if n not in removed]
    profile["syscalls"] += [
        {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
         "args": [{"index": 0, "value": NAMESPACE_FLAGS, "valueTwo": 0,
                   "op": "SCMP_CMP_MASKED_EQ"}]},
        {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},  # ENOSYS
        {"names": ADMIN_ONLY + ["clone", "clone3"], "action": "SCMP_ACT_ALLOW",
         "includes": {"caps": ["CAP_SYS_ADMIN"]}},
        {"names": ADMIN_ONLY, "action": "SCMP_ACT_ERRNO", "errnoRet": 1,  # EPERM
         "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
    ]
    with open(sys.argv[1], "w") as f:
        json.dump(profile, f, indent=1)


if __name__ == "__main__":
    main()
