// Layers as changes to a file tree: applying them in order (whiteouts included) gives the
// image's root filesystem, and each layer's *effect* (what it adds or changes, what it deletes)
// compares between builders however they chose to write it: an opaque directory or one
// whiteout per child, with or without entries for unchanged parent directories. The image spec
// allows each of these (OCI image-spec layer.md, "Whiteouts" and "Changeset over existing
// files"), so the comparison must not tell them apart.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/differential/oci_image.h"

namespace mybuild::differential {

// A root filesystem: path -> its entry (never a whiteout).
using Tree = std::map<std::string, Entry>;

// Applies one layer to `tree` as an OCI runtime would extract it.
void apply_layer(Tree& tree, const std::vector<Entry>& entries);

// What a layer does to the tree below it.
struct LayerEffect {
  // Entries the layer writes, less directories that only repeat the lower directory unchanged
  // (same type, mode, owner and xattrs: a parent of a changed path).
  std::map<std::string, Entry> written;
  // Paths of the lower tree that are gone above, only the topmost of a removed subtree.
  std::set<std::string> deleted;
};

LayerEffect layer_effect(const Tree& lower, const std::vector<Entry>& entries);

// Whether `path` is `dir` or below it.
bool is_under(const std::string& path, const std::string& dir);

}  // namespace mybuild::differential
