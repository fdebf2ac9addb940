#include "tests/differential/tree.h"

namespace mybuild::differential {

namespace {

// Erases `dir`'s descendants (not `dir` itself) from the tree.
void erase_children(Tree& tree, const std::string& dir) {
  std::string prefix = dir.empty() ? "" : dir + "/";
  for (auto it = tree.lower_bound(prefix); it != tree.end() && it->first.rfind(prefix, 0) == 0;) {
    it = tree.erase(it);
  }
}

bool same_directory(const Entry& a, const Entry& b) {
  return a.type == Entry::kDir && b.type == Entry::kDir && a.mode == b.mode && a.uid == b.uid &&
         a.gid == b.gid && a.xattrs == b.xattrs;
}

}  // namespace

bool is_under(const std::string& path, const std::string& dir) {
  return dir.empty() || path == dir || path.rfind(dir + "/", 0) == 0;
}

void apply_layer(Tree& tree, const std::vector<Entry>& entries) {
  // Whiteouts hide what is below only, never what the same layer adds: apply them first.
  for (const Entry& e : entries) {
    if (e.type == Entry::kOpaque) {
      erase_children(tree, e.path);
    } else if (e.type == Entry::kWhiteout) {
      erase_children(tree, e.path);
      tree.erase(e.path);
    }
  }
  for (const Entry& e : entries) {
    if (e.type == Entry::kOpaque || e.type == Entry::kWhiteout) continue;
    // A non-directory written where a directory was replaces the whole subtree.
    if (e.type != Entry::kDir) erase_children(tree, e.path);
    tree[e.path] = e;
  }
}

LayerEffect layer_effect(const Tree& lower, const std::vector<Entry>& entries) {
  LayerEffect effect;
  for (const Entry& e : entries) {
    if (e.type == Entry::kOpaque || e.type == Entry::kWhiteout) continue;
    auto below = lower.find(e.path);
    if (below != lower.end() && same_directory(below->second, e)) continue;
    effect.written[e.path] = e;
  }
  Tree upper = lower;
  apply_layer(upper, entries);
  for (const auto& [path, entry] : lower) {  // sorted: a directory comes before its children
    if (upper.count(path) != 0) continue;
    bool parent_deleted = false;
    for (auto p = path.rfind('/'); p != std::string::npos && !parent_deleted;
         p = p == 0 ? std::string::npos : path.rfind('/', p - 1)) {
      parent_deleted = effect.deleted.count(path.substr(0, p)) != 0;
    }
    if (!parent_deleted) effect.deleted.insert(path);
  }
  return effect;
}

}  // namespace mybuild::differential
