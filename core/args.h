// ArgParser: flags and options for one `smile <command>`; generates --help and
// one-line errors with the fix ("unknown option '--fsp': did you mean '--fps'?").
//
//   ArgParser a("copy", "Decode a video and encode it again (no model).");
//   a.Positional("input", "video, image, folder or gst:<pipeline>");
//   a.Option("fps", "N", "output frame rate", "");
//   a.Flag("quiet", "no progress bar");
//   SMILE_RETURN_IF_ERROR(a.Parse(args));
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/status.h"

namespace smile {

class ArgParser {
 public:
  ArgParser(std::string command, std::string summary);

  void Flag(const std::string& name, const std::string& help);
  // `def` empty and `required` false: absent unless given.
  void Option(const std::string& name, const std::string& metavar, const std::string& help,
              const std::string& def = "", bool required = false);
  // May be given several times (and as comma-free repeated values).
  void MultiOption(const std::string& name, const std::string& metavar, const std::string& help);
  void Positional(const std::string& name, const std::string& help, bool required = true);
  // Extra text after the options (examples).
  void Epilog(const std::string& text) { epilog_ = text; }

  // Parses; `--help`/-h sets help_requested() and returns ok; `-o` means `--output` when the
  // command has an "output" option. Errors are kInvalidArgument.
  Status Parse(const std::vector<std::string>& args);
  bool help_requested() const { return help_; }
  std::string Help() const;

  bool Has(const std::string& name) const;  // given on the command line (or has a default)
  bool GetFlag(const std::string& name) const;
  std::string Get(const std::string& name) const;
  std::vector<std::string> GetAll(const std::string& name) const;
  Result<int64_t> GetInt(const std::string& name, int64_t min, int64_t max) const;
  Result<double> GetDouble(const std::string& name, double min, double max) const;

 private:
  struct Spec {
    std::string name, metavar, help, def;
    bool is_flag = false, multi = false, required = false, positional = false;
  };
  const Spec* Find(const std::string& name) const;
  std::string Suggest(const std::string& name) const;

  std::string command_, summary_, epilog_;
  std::vector<Spec> specs_;
  std::map<std::string, std::vector<std::string>> values_;
  bool help_ = false;
};

// The non-empty items of a comma-separated list ("a,,b" -> {a, b}).
std::vector<std::string> SplitCommas(const std::string& s);

// Levenshtein distance (for "did you mean" suggestions).
size_t EditDistance(const std::string& a, const std::string& b);

}  // namespace smile
