#include "snapshot/extract_limits.h"

#include <cstdlib>
#include <limits>

#include "common/error.h"

namespace mybuild::snapshot {
namespace {

using common::Error;
using common::ErrorKind;

// "1000", "64M", "256G": a non-negative integer with an optional binary suffix.
int64_t parse_size(const char* var, const std::string& text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  int shift = 0;
  std::string suffix = text.substr(digits);
  if (suffix == "K" || suffix == "k")
    shift = 10;
  else if (suffix == "M" || suffix == "m")
    shift = 20;
  else if (suffix == "G" || suffix == "g")
    shift = 30;
  else if (suffix == "T" || suffix == "t")
    shift = 40;
  else if (!suffix.empty())
    digits = 0;
  int64_t value = 0;
  bool ok = digits > 0 && digits <= 18;
  if (ok) value = std::stoll(text.substr(0, digits));
  if (ok && value > (std::numeric_limits<int64_t>::max() >> shift)) ok = false;
  if (!ok) {
    throw Error(ErrorKind::kUsage, std::string(var) + "=" + text +
                                       ": expected a non-negative number with an optional "
                                       "K, M, G or T suffix");
  }
  return value << shift;
}

void override_from(const char* var, int64_t& field) {
  if (const char* v = std::getenv(var); v && *v) field = parse_size(var, v);
}

std::string human(int64_t bytes) {
  if (bytes % (int64_t{1} << 30) == 0) return std::to_string(bytes >> 30) + " GiB";
  if (bytes % (int64_t{1} << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes) + " bytes";
}

}  // namespace

ExtractLimits ExtractLimits::from_env() {
  ExtractLimits l;
  int64_t entries = static_cast<int64_t>(l.max_entries);
  override_from("MYBUILD_MAX_LAYER_ENTRIES", entries);
  l.max_entries = static_cast<uint64_t>(entries);
  override_from("MYBUILD_MAX_LAYER_FILE_SIZE", l.max_entry_size);
  override_from("MYBUILD_MAX_LAYER_SIZE", l.max_total_size);
  override_from("MYBUILD_MAX_LAYER_RATIO", l.max_ratio);
  override_from("MYBUILD_LAYER_RATIO_FLOOR", l.ratio_floor);
  return l;
}

void ExtractBudget::exceeded(const std::string& detail, const std::string& var) const {
  throw Error(ErrorKind::kResource,
              what_ + ": " + detail + " (limit set by " + var + "); refusing to unpack it");
}

void ExtractBudget::add_entry(const std::string& name) {
  if (++entries_ > limits_.max_entries) {
    exceeded("more than " + std::to_string(limits_.max_entries) + " entries, at \"" + name + "\"",
             "MYBUILD_MAX_LAYER_ENTRIES");
  }
}

void ExtractBudget::check_file_size(const std::string& name, int64_t size) const {
  if (size > limits_.max_entry_size) {
    exceeded("\"" + name + "\" is " + std::to_string(size) + " bytes, over the limit of " +
                 human(limits_.max_entry_size) + " per file",
             "MYBUILD_MAX_LAYER_FILE_SIZE");
  }
}

void ExtractBudget::add_bytes(const std::string& name, int64_t n, int64_t written_in_file) {
  total_ += n;
  check_file_size(name, written_in_file);
  if (total_ > limits_.max_total_size) {
    exceeded("more than the limit of " + human(limits_.max_total_size) + " of file content, at \"" +
                 name + "\"",
             "MYBUILD_MAX_LAYER_SIZE");
  }
}

void ExtractBudget::check_ratio(uint64_t compressed, uint64_t uncompressed) const {
  if (limits_.max_ratio <= 0 || compressed == 0) return;
  if (uncompressed <= static_cast<uint64_t>(limits_.ratio_floor)) return;
  if (uncompressed / compressed > static_cast<uint64_t>(limits_.max_ratio)) {
    exceeded(std::to_string(compressed) + " compressed bytes inflate to " +
                 std::to_string(uncompressed) + ", over the decompression ratio limit of " +
                 std::to_string(limits_.max_ratio) + ":1 (a decompression bomb)",
             "MYBUILD_MAX_LAYER_RATIO");
  }
}

}  // namespace mybuild::snapshot
