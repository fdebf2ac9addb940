// Compares an image mybuild built with the image buildah built from the same Dockerfile, base and
// context, and returns every difference as one stable line of text, e.g.
//   config.Env: mybuild=["PATH=...","A=1"] buildah=["PATH=...","A=2"]
//   history[3] COPY: /app/x: mode mybuild=0644 buildah=0600
// Lines carry no times or random ids, so a test can list the differences it expects (each with
// its reason, known_differences.h) and fail on any other.
//
// What is compared: the config fields a Dockerfile sets (Env, Cmd, Entrypoint, WorkingDir, User,
// ExposedPorts, Volumes, Labels, StopSignal, Healthcheck, Shell, OnBuild, os, architecture); the
// history (instruction, RUN command, empty_layer); and, layer by layer along the history, what
// each layer writes and deletes (tree.h): paths, types, modes, owners, sizes, content hashes,
// link targets, xattrs, and mtimes that were kept from somewhere (see CompareOptions).
// What is not: created times, history comments, digests (they follow from the above plus times
// and compression). Buildah-specific noise is normalised away in image_compare.cc, each rule with
// its reason.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/differential/oci_image.h"

namespace mybuild::differential {

struct CompareOptions {
  // An mtime at or after this (seconds since the epoch) is a build-time stamp, different in
  // every build and not compared; an earlier one was kept from the context or a tar (COPY and
  // ADD preserve mtimes) and must match.
  int64_t build_start = 0;
  // The first this many history entries are the base image's, the same on both sides; they are
  // compared as they are, without the history-text normalisation of the build's own entries.
  size_t base_history = 0;
};

std::vector<std::string> compare_images(const Image& mybuild, const Image& buildah,
                                        const CompareOptions& options);

// The image's history as "KEYWORD[ text]" lines after normalisation (for failure messages).
std::vector<std::string> history_summary(const Image& image, size_t base_history);

}  // namespace mybuild::differential
