// `mybuild images [-q] [--digests] [--no-trunc] [--format table|json] [REPOSITORY[:TAG]]`, as
// `docker images` prints them.
#include <algorithm>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/human_units.h"
#include "image/commands.h"

namespace mybuild::cli {
namespace {

struct ImagesFlags {
  bool quiet = false;
  bool digests = false;
  bool no_trunc = false;
  std::string format = "table";
  std::string filter;  // REPOSITORY or REPOSITORY:TAG
};

int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string shown_id(const image::ImageRow& row, bool no_trunc) {
  if (row.id.empty()) return "<missing>";  // a blob is gone; `inspect` says which
  return no_trunc ? row.id : row.id.substr(7, 12);
}

std::string created_since(const image::ImageRow& row) {
  if (!row.created) return "N/A";
  return human_duration(now_seconds() - *row.created) + " ago";
}

// docker's `images REPOSITORY[:TAG]` argument: the repository must match, the tag too if given.
bool matches(const image::ImageRow& row, const std::string& filter) {
  if (filter.empty()) return true;
  auto colon = filter.rfind(':');
  bool has_tag = colon != std::string::npos && filter.find('/', colon) == std::string::npos;
  std::string repo = has_tag ? filter.substr(0, colon) : filter;
  if (repo != row.repository && image::familiar(repo) != row.repository) return false;
  return !has_tag || filter.substr(colon + 1) == row.tag;
}

// Go's text/tabwriter as docker uses it: columns padded to the widest cell plus 3 spaces.
void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], r[i].size());
    }
  }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line.append(width[i] + 3 - r[i].size(), ' ');
    }
    out << line << "\n";
  }
}

// "linux/amd64,linux/arm64" for an index, "" for a single manifest.
std::string join_platforms(const image::ImageRow& row) {
  std::string out;
  for (const auto& p : row.platforms) out += (out.empty() ? "" : ",") + p;
  return out;
}

nlohmann::json json_row(const image::ImageRow& row, bool no_trunc) {
  return {{"Containers", "N/A"},
          {"CreatedAt", row.created ? go_time_utc(*row.created) : ""},
          {"CreatedSince", created_since(row)},
          {"Digest", row.digest},
          {"ID", shown_id(row, no_trunc)},
          {"Repository", row.repository},
          {"SharedSize", "N/A"},
          {"Size", human_size(row.size)},
          {"Tag", row.tag},
          {"UniqueSize", "N/A"},
          {"VirtualSize", human_size(row.size)},
          {"Platforms", join_platforms(row)}};
}

void print_images(const ImagesFlags& f, const std::string& root, std::ostream& out) {
  std::vector<image::ImageRow> rows;
  for (auto& row : image::list_images(root)) {
    if (matches(row, f.filter)) rows.push_back(std::move(row));
  }
  if (f.quiet) {
    for (const auto& row : rows) out << shown_id(row, f.no_trunc) << "\n";
    return;
  }
  if (f.format == "json") {
    for (const auto& row : rows) out << json_row(row, f.no_trunc).dump() << "\n";
    return;
  }
  std::vector<std::vector<std::string>> table;
  table.push_back({"REPOSITORY", "TAG"});
  if (f.digests) table.back().push_back("DIGEST");
  table.back().insert(table.back().end(), {"IMAGE ID", "CREATED", "SIZE"});
  // A column only when some image is multi-platform: docker's table stays as it is otherwise.
  const bool platforms = std::any_of(
      rows.begin(), rows.end(), [](const image::ImageRow& r) { return r.platforms.size() > 1; });
  if (platforms) table.back().push_back("PLATFORMS");
  for (const auto& row : rows) {
    table.push_back({row.repository, row.tag});
    if (f.digests) table.back().push_back(row.digest);
    table.back().insert(table.back().end(),
                        {shown_id(row, f.no_trunc), created_since(row), human_size(row.size)});
    if (platforms) table.back().push_back(join_platforms(row));
  }
  print_table(out, table);
}

}  // namespace

void add_images_command(CLI::App& app, GlobalOptions& global, std::ostream& out) {
  auto flags = std::make_shared<ImagesFlags>();
  auto* cmd = app.add_subcommand("images", "List images in the local store");
  cmd->add_option("repository", flags->filter, "Show only REPOSITORY[:TAG]");
  cmd->add_flag("-q,--quiet", flags->quiet, "Only show image IDs");
  cmd->add_flag("--digests", flags->digests, "Show digests");
  cmd->add_flag("--no-trunc", flags->no_trunc, "Don't truncate output");
  cmd->add_option("--format", flags->format, "Output format: table (default) or json")
      ->check(CLI::IsMember({"table", "json"}));
  cmd->callback([flags, &global, &out] {
    print_images(*flags, prepare_root(global, /*create=*/false), out);
  });
}

}  // namespace mybuild::cli
