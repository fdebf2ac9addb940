// The typed Dockerfile AST the builder consumes: stages of typed instructions, each with its
// flags already checked and parsed. Built from the raw nodes by parse_stages (stages.h).
// Arguments are kept as written (quotes, `$VAR`): the builder runs word expansion on them with
// the build args and ENV of the stage, which the parser does not know.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/error.h"
#include "parser/node.h"

namespace mybuild::parser {

// What every instruction carries besides its own fields.
struct InstructionCommon {
  std::string keyword;                 // as written ("Run")
  std::vector<std::string> raw_flags;  // "--mount=type=cache,target=/x", in order
  std::vector<Heredoc> heredocs;
  common::SourceRange range;
};

// A command in exec form (JSON array: run as is) or shell form (one string for the shell).
struct Command {
  bool exec_form = false;
  std::vector<std::string> args;  // shell form: exactly one string (or none)
};

struct KeyValue {
  std::string key;
  std::string value;  // unexpanded
};

struct Run : InstructionCommon {
  Command command;
  std::vector<std::string> mounts;      // each --mount value, e.g. "type=cache,target=/root/.cache"
  std::optional<std::string> network;   // default | none | host
  std::optional<std::string> security;  // sandbox | insecure
};

// COPY and ADD share their shape; ADD-only fields stay empty for COPY.
struct Copy : InstructionCommon {
  bool is_add = false;
  std::vector<std::string> sources;  // heredoc sources appear as "<<NAME"
  std::string destination;
  std::optional<std::string> from;
  std::optional<std::string> chown;
  std::optional<std::string> chmod;
  bool link = false;
  std::vector<std::string> excludes;
  bool parents = false;
  std::optional<std::string> checksum;  // ADD
  bool keep_git_dir = false;            // ADD
  std::optional<bool> unpack;           // ADD
};

struct EnvInstruction : InstructionCommon {  // ENV (word_env.h has the variables type `Env`)
  std::vector<KeyValue> pairs;
};
struct Label : InstructionCommon {
  std::vector<KeyValue> pairs;
};

struct ArgDeclaration {
  std::string name;
  std::optional<std::string> default_value;  // unexpanded
};
struct Arg : InstructionCommon {
  std::vector<ArgDeclaration> args;
};

struct Cmd : InstructionCommon {
  Command command;
};
struct Entrypoint : InstructionCommon {
  Command command;
};
struct Shell : InstructionCommon {
  std::vector<std::string> shell;  // always JSON form
};

struct Healthcheck : InstructionCommon {
  bool none = false;  // HEALTHCHECK NONE: disable the base image's check
  Command test;       // CMD ...
  std::optional<std::chrono::nanoseconds> interval;
  std::optional<std::chrono::nanoseconds> timeout;
  std::optional<std::chrono::nanoseconds> start_period;
  std::optional<std::chrono::nanoseconds> start_interval;
  std::optional<int> retries;
};

struct Expose : InstructionCommon {
  std::vector<std::string> ports;  // "80", "53/udp", "${PORT}"
};
struct Volume : InstructionCommon {
  std::vector<std::string> paths;
};
struct User : InstructionCommon {
  std::string user;  // "user[:group]"
};
struct Workdir : InstructionCommon {
  std::string path;
};
struct Stopsignal : InstructionCommon {
  std::string signal;
};
struct Maintainer : InstructionCommon {
  std::string name;
};

struct Onbuild;
using Instruction =
    std::variant<Run, Copy, EnvInstruction, Label, Arg, Cmd, Entrypoint, Shell, Healthcheck, Expose,
                 Volume, User, Workdir, Stopsignal, Maintainer, Onbuild>;

// ONBUILD: the trigger text is what goes into the image config; `instruction` is it parsed
// and checked now, so a bad trigger fails this build rather than a child's.
struct Onbuild : InstructionCommon {
  std::string expression;                          // "RUN make"
  std::shared_ptr<const Instruction> instruction;  // never null after parse_stages
};

struct Stage {
  std::string name;                     // lower case; empty when the stage has no AS
  std::string base;                     // image reference or earlier stage name, unexpanded
  std::optional<std::string> platform;  // --platform value, unexpanded
  int index = 0;
  common::SourceRange range;  // the FROM line
  std::vector<Instruction> instructions;
};

struct Warning {
  std::string message;
  common::SourceRange range;
};

struct Dockerfile {
  std::string file;
  char escape_token = '\\';
  std::vector<Directive> directives;
  std::vector<Arg> global_args;  // ARGs before the first FROM
  std::vector<Stage> stages;
  std::vector<Warning> warnings;  // e.g. a duplicate stage name (BuildKit's build checks)
};

// The common part of any instruction.
const InstructionCommon& common_of(const Instruction& instruction);

}  // namespace mybuild::parser
