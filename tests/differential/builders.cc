#include "tests/differential/builders.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace mybuild::differential {

namespace fs = std::filesystem;

Ran run(const std::vector<std::string>& argv, const fs::path& cwd) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return {};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(pipefd[1], 1);
    ::dup2(pipefd[1], 2);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(pipefd[1]);
  Ran r;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) r.out.append(buf, static_cast<size_t>(n));
  }
  ::close(pipefd[0]);
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid) return r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

bool have_tool(const std::string& name) {
  return run({"sh", "-c", "command -v " + name}).code == 0;
}

namespace {

void write_file(const fs::path& p, const std::string& text, mode_t mode = 0644) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
  ::chmod(p.c_str(), mode);
}

Ran must(const std::vector<std::string>& argv) {
  Ran r = run(argv);
  if (r.code != 0) {
    std::string cmd;
    for (const auto& a : argv) cmd += a + " ";
    throw std::runtime_error(cmd + "exited " + std::to_string(r.code) + ":\n" + r.out);
  }
  return r;
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

}  // namespace

void make_busybox_rootfs_tar(const fs::path& work, const fs::path& tar, int64_t mtime) {
  fs::path root = work / "busybox-rootfs";
  fs::create_directories(root / "bin");
  fs::copy_file("/bin/busybox", root / "bin/busybox", fs::copy_options::overwrite_existing);
  ::chmod((root / "bin/busybox").c_str(), 0755);
  std::istringstream applets(must({"/bin/busybox", "--list"}).out);
  for (std::string applet; std::getline(applets, applet);) {
    if (!applet.empty() && applet != "busybox")
      fs::create_symlink("busybox", root / "bin" / applet);
  }
  write_file(root / "etc/passwd",
             "root:x:0:0:root:/root:/bin/sh\n"
             "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
             "app:x:1000:1000:app:/home/app:/bin/sh\n"
             "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
  write_file(root / "etc/group",
             "root:x:0:\ndaemon:x:1:\nstaff:x:50:app\napp:x:1000:\nnogroup:x:65534:\n");
  fs::create_directories(root / "tmp");
  ::chmod((root / "tmp").c_str(), 01777);
  fs::create_directories(root / "root");
  ::chmod((root / "root").c_str(), 0700);
  fs::create_directories(root / "home/app");
  ::chown((root / "home/app").c_str(), 1000, 1000);
  must({"tar", "--create", "--file", tar.string(), "--directory", root.string(), "--sort=name",
        "--numeric-owner", "--mtime=@" + std::to_string(mtime), "--format=posix",
        "--pax-option=delete=atime,delete=ctime", "."});
}

void copy_tree(const fs::path& from, const fs::path& to) {
  fs::create_directories(to);
  if (fs::exists(from)) {
    fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  }
}

void pin_mtimes(const fs::path& root, int64_t mtime) {
  timespec ts[2] = {{mtime, 0}, {mtime, 0}};
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    ::utimensat(AT_FDCWD, e.path().c_str(), ts, AT_SYMLINK_NOFOLLOW);
  }
  ::utimensat(AT_FDCWD, root.c_str(), ts, AT_SYMLINK_NOFOLLOW);
}

// ---- mybuild ----

Mybuild::Mybuild(fs::path binary, const fs::path& work)
    : binary_(std::move(binary)), root_(work / "mybuild-root") {}

std::string Mybuild::import(const fs::path& tar, const std::string& name) {
  return trim(must({binary_.string(), "--root", root_.string(), "import", tar.string(), name}).out);
}

Ran Mybuild::build(const BuildRequest& r) {
  std::vector<std::string> argv = {
      binary_.string(), "--root", root_.string(), "build", "--progress",
      "plain",          "-t",     r.tag,          "-f",    r.dockerfile.string()};
  for (const auto& a : r.build_args) argv.insert(argv.end(), {"--build-arg", a});
  if (!r.target.empty()) argv.insert(argv.end(), {"--target", r.target});
  argv.push_back(r.context.string());
  return run(argv);
}

std::string Mybuild::stored_ref(const std::string& tag) const {
  std::vector<std::string> refs = list_refs(layout());
  for (const std::string& candidate : {tag, "docker.io/library/" + tag, "localhost/" + tag}) {
    if (std::find(refs.begin(), refs.end(), candidate) != refs.end()) return candidate;
  }
  std::string known;
  for (const auto& ref : refs) known += " " + ref;
  throw std::runtime_error("mybuild's store has no " + tag + " (it has:" + known + ")");
}

Image Mybuild::export_image(const std::string& tag, const fs::path& dir) {
  must({"skopeo", "copy", "--quiet", "oci:" + layout().string() + ":" + stored_ref(tag),
        "oci:" + dir.string() + ":image"});
  return read_oci_image(dir, "image");
}

// ---- buildah ----

Buildah::Buildah(const fs::path& work) : dir_(work / "buildah") {
  fs::create_directories(dir_ / "root");
  fs::create_directories(dir_ / "run");
}

Buildah::~Buildah() {
  run([&] {
    std::vector<std::string> argv = base_args();
    argv.insert(argv.end(), {"rm", "--all"});
    return argv;
  }());
  // Deepest first: a mount left under another must go before it.
  std::vector<std::string> mounts;
  std::ifstream info("/proc/self/mountinfo");
  for (std::string line; std::getline(info, line);) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, point;
    fields >> id >> parent >> dev >> root >> point;
    if (point.rfind(dir_.string() + "/", 0) == 0) mounts.push_back(point);
  }
  std::sort(mounts.rbegin(), mounts.rend());
  for (const auto& m : mounts) ::umount2(m.c_str(), MNT_DETACH);
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::vector<std::string> Buildah::base_args() const {
  return {
      "buildah",          "--root", (dir_ / "root").string(), "--runroot", (dir_ / "run").string(),
      "--storage-driver", "vfs"};
}

std::string Buildah::pull_from_layout(const fs::path& layout, const std::string& ref,
                                      const std::string& name) {
  // skopeo names the image as it copies; `buildah pull oci:PATH` would name it after PATH, which
  // a mixed-case temp dir makes an invalid reference.
  must({"skopeo", "copy", "--quiet", "oci:" + layout.string() + ":" + ref,
        "containers-storage:[vfs@" + (dir_ / "root").string() + "+" + (dir_ / "run").string() +
            "]" + name});
  std::vector<std::string> argv = base_args();
  argv.insert(argv.end(), {"images", "--quiet", "--no-trunc", name});
  std::string id = trim(must(argv).out);
  return id.rfind("sha256:", 0) == 0 ? id : "sha256:" + id;
}

Ran Buildah::build(const BuildRequest& r) {
  std::vector<std::string> argv = base_args();
  argv.insert(argv.end(), {"build", "--layers", "--format", "docker", "--pull=never", "--isolation",
                           "chroot", "-f", r.dockerfile.string(), "-t", r.tag});
  for (const auto& a : r.build_args) argv.insert(argv.end(), {"--build-arg", a});
  if (!r.target.empty()) argv.insert(argv.end(), {"--target", r.target});
  argv.push_back(r.context.string());
  return run(argv);
}

Image Buildah::export_image(const std::string& tag, const fs::path& dir) {
  std::vector<std::string> argv = base_args();
  argv.insert(argv.end(),
              {"push", "--quiet", "--format", "v2s2", tag, "oci:" + dir.string() + ":image"});
  must(argv);
  return read_oci_image(dir, "image");
}

std::string share_base(Mybuild& mybuild, Buildah& buildah, const fs::path& tar,
                       const std::string& name) {
  std::string id = mybuild.import(tar, name);
  std::string pulled = buildah.pull_from_layout(mybuild.layout(), mybuild.stored_ref(name),
                                                "docker.io/library/" + name);
  if (pulled != id) {
    throw std::runtime_error("buildah's " + name + " is " + pulled + ", mybuild imported " + id);
  }
  return id;
}

}  // namespace mybuild::differential
