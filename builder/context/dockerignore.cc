#include "builder/context/dockerignore.h"

#include <memory>
#include <string>

#include "common/error.h"
#include "parser/dockerignore_file.h"
#include "parser/dockerignore_matcher.h"

namespace mybuild::builder {
namespace {

class DockerignoreFilter final : public ContextFilter {
 public:
  explicit DockerignoreFilter(parser::DockerignoreMatcher matcher) : matcher_(std::move(matcher)) {}
  bool excluded(std::string_view rel) const override { return matcher_.excluded(rel); }
  bool may_reinclude_under(std::string_view dir) const override {
    return !matcher_.can_skip_dir(dir);
  }

 private:
  parser::DockerignoreMatcher matcher_;
};

}  // namespace

ContextFilterFactory dockerignore_filter_factory() {
  return [](std::string_view text, std::string_view source) -> std::unique_ptr<ContextFilter> {
    try {
      return std::make_unique<DockerignoreFilter>(
          parser::DockerignoreMatcher(parser::read_dockerignore(text)));
    } catch (common::Error& e) {
      e.add_context("reading " + std::string(source));
      throw;
    }
  };
}

}  // namespace mybuild::builder
