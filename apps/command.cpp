#include "apps/command.h"

#include <algorithm>
#include <cstdio>

namespace smile::app {

static std::vector<Command>& Registry() {
  static std::vector<Command> commands;
  return commands;
}

bool RegisterCommand(const std::string& name, const std::string& summary, CommandFn fn, int order) {
  Registry().push_back({name, summary, std::move(fn), order});
  std::sort(Registry().begin(), Registry().end(),
            [](const Command& a, const Command& b) { return a.order < b.order; });
  return true;
}

const std::vector<Command>& Commands() { return Registry(); }

bool ParseOrHelp(ArgParser& parser, const std::vector<std::string>& args, Status* status) {
  *status = parser.Parse(args);
  if (!status->ok()) return false;
  if (parser.help_requested()) {
    std::fputs(parser.Help().c_str(), stdout);
    return false;
  }
  return true;
}

}  // namespace smile::app
