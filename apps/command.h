// Subcommand registry of the `smile` binary. Each cmd_*.cpp registers itself:
//   SMILE_COMMAND(copy, "Decode a video and encode it again", RunCopy);
// where RunCopy(const std::vector<std::string>& args) returns smile::Status.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/args.h"
#include "core/status.h"

namespace smile::app {

using CommandFn = std::function<Status(const std::vector<std::string>& args)>;

struct Command {
  std::string name;
  std::string summary;
  CommandFn fn;
  int order;  // position in `smile --help`
};

bool RegisterCommand(const std::string& name, const std::string& summary, CommandFn fn, int order);
const std::vector<Command>& Commands();

// One line in the --help of every command that makes or edits someone's face (swap, reenact,
// live, edit, fit); README "Consent and provenance" says the same at length.
inline constexpr const char* kConsentLine =
    "Consent: only use this on people who have agreed to it, and never present the output as real; "
    "every generated file is tagged synthetic=true.";

// Parses `args` into `parser`. Returns true when the command should go on; on
// --help prints the help and sets *status ok; on a bad argument sets *status.
bool ParseOrHelp(ArgParser& parser, const std::vector<std::string>& args, Status* status);

}  // namespace smile::app

#define SMILE_COMMAND(name, order, summary, fn) \
  static const bool smile_command_registered_##name = ::smile::app::RegisterCommand(#name, summary, fn, order)
