// Helpers shared by the layer tests (tar_writer, layer_writer, extract, diff): build small
// trees and tars, and describe a tree as text so two trees compare with one EXPECT_EQ.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/io.h"
#include "snapshot/tar_writer.h"

namespace mybuild::snapshot::testing {

namespace fs = std::filesystem;

// Writes `text` to `p` (creating its parent directories) with `mode`; throws when it cannot.
inline void write_text(const fs::path& p, const std::string& text, int mode = 0644) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("writing " + p.string());
  ::chmod(p.c_str(), static_cast<mode_t>(mode));
}

inline void set_mtime(const fs::path& p, int64_t sec, long nsec = 0) {
  timespec ts[2] = {{sec, nsec}, {sec, nsec}};
  ::utimensat(AT_FDCWD, p.c_str(), ts, AT_SYMLINK_NOFOLLOW);
}

// One line per entry: path, type, mode, owner, mtime, size/target/rdev, xattrs, and content
// for small files; hard links show as the same inode number class ("link#n").
inline std::string describe_tree(const fs::path& root, bool with_mtime = true) {
  std::vector<std::string> lines;
  std::map<ino_t, int> inodes;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    struct stat st {};
    ::lstat(it->path().c_str(), &st);
    std::string line = fs::relative(it->path(), root).string();
    line.append(" mode=").append(std::to_string(st.st_mode));
    line.append(" uid=").append(std::to_string(st.st_uid));
    line.append(" gid=").append(std::to_string(st.st_gid));
    if (with_mtime && !S_ISDIR(st.st_mode)) {
      line.append(" mtime=").append(std::to_string(st.st_mtim.tv_sec));
    }
    if (S_ISREG(st.st_mode)) {
      std::ifstream in(it->path(), std::ios::binary);
      std::string data((std::istreambuf_iterator<char>(in)), {});
      line.append(" size=").append(std::to_string(data.size()));
      if (data.size() < 100) line += " data=" + data;
      if (st.st_nlink > 1) {
        auto [p, fresh] = inodes.try_emplace(st.st_ino, static_cast<int>(inodes.size()));
        line.append(" link#").append(std::to_string(p->second));
      }
    } else if (S_ISLNK(st.st_mode)) {
      line += " -> " + fs::read_symlink(it->path()).string();
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      line.append(" rdev=").append(std::to_string(major(st.st_rdev)));
      line.append(",").append(std::to_string(minor(st.st_rdev)));
    }
    if (!S_ISLNK(st.st_mode)) {
      char keys[4096];
      ssize_t n = ::llistxattr(it->path().c_str(), keys, sizeof keys);
      std::vector<std::string> xs;
      for (ssize_t pos = 0; n > 0 && pos < n;) {
        std::string k = keys + pos;
        pos += static_cast<ssize_t>(k.size()) + 1;
        char v[512];
        ssize_t vn = ::lgetxattr(it->path().c_str(), k.c_str(), v, sizeof v);
        xs.push_back(k + "=" + std::string(v, vn > 0 ? static_cast<size_t>(vn) : 0));
      }
      std::sort(xs.begin(), xs.end());
      for (auto& x : xs) line += " xattr:" + x;
    }
    lines.push_back(line);
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (auto& l : lines) out += l + "\n";
  return out;
}

// A tar built entry by entry, for crafted (also malicious) layers.
class TarBuilder {
 public:
  TarBuilder() : tar_(out_) {}
  TarBuilder& file(const std::string& path, const std::string& data, uint32_t mode = 0644) {
    TarEntry e;
    e.path = path;
    e.mode = mode;
    e.size = static_cast<int64_t>(data.size());
    tar_.add(e);
    tar_.write_data(data);
    return *this;
  }
  TarBuilder& dir(const std::string& path, uint32_t mode = 0755) {
    return entry(make(path, TarEntry::Type::kDir, mode, ""));
  }
  TarBuilder& symlink(const std::string& path, const std::string& target) {
    return entry(make(path, TarEntry::Type::kSymlink, 0777, target));
  }
  TarBuilder& hardlink(const std::string& path, const std::string& target) {
    return entry(make(path, TarEntry::Type::kHardlink, 0644, target));
  }
  static TarEntry make(const std::string& path, TarEntry::Type type, uint32_t mode,
                       const std::string& link) {
    TarEntry e;
    e.path = path;
    e.type = type;
    e.mode = mode;
    e.link = link;
    return e;
  }
  TarBuilder& entry(const TarEntry& e) {
    tar_.add(e);
    return *this;
  }
  std::string take() {
    tar_.finish();
    return out_.take();
  }

 private:
  common::StringWriter out_;
  TarWriter tar_;
};

}  // namespace mybuild::snapshot::testing
