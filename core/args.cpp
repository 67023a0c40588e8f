#include "core/args.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <sstream>

namespace smile {

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

ArgParser::ArgParser(std::string command, std::string summary)
    : command_(std::move(command)), summary_(std::move(summary)) {}

void ArgParser::Flag(const std::string& name, const std::string& help) {
  Spec s;
  s.name = name;
  s.help = help;
  s.is_flag = true;
  specs_.push_back(s);
}

void ArgParser::Option(const std::string& name, const std::string& metavar, const std::string& help,
                       const std::string& def, bool required) {
  Spec s;
  s.name = name;
  s.metavar = metavar;
  s.help = help;
  s.def = def;
  s.required = required;
  specs_.push_back(s);
}

void ArgParser::MultiOption(const std::string& name, const std::string& metavar, const std::string& help) {
  Spec s;
  s.name = name;
  s.metavar = metavar;
  s.help = help;
  s.multi = true;
  specs_.push_back(s);
}

void ArgParser::Positional(const std::string& name, const std::string& help, bool required) {
  Spec s;
  s.name = name;
  s.help = help;
  s.positional = true;
  s.required = required;
  specs_.push_back(s);
}

const ArgParser::Spec* ArgParser::Find(const std::string& name) const {
  for (const auto& s : specs_)
    if (s.name == name && !s.positional) return &s;
  return nullptr;
}

std::string ArgParser::Suggest(const std::string& name) const {
  std::string best;
  size_t best_d = 3;
  for (const auto& s : specs_) {
    if (s.positional) continue;
    size_t d = EditDistance(name, s.name);
    if (d < best_d) {
      best_d = d;
      best = s.name;
    }
  }
  return best.empty() ? "" : "; did you mean '--" + best + "'?";
}

Status ArgParser::Parse(const std::vector<std::string>& args) {
  static const std::string kOutputFlag = "--output";
  values_.clear();
  std::vector<const Spec*> positionals;
  for (const auto& s : specs_)
    if (s.positional) positionals.push_back(&s);
  size_t next_pos = 0;
  const std::string hint = " (see 'smile " + command_ + " --help')";
  for (size_t i = 0; i < args.size(); ++i) {
    // "-o" is the short form of "--output" for every command that has that option.
    const std::string& a = (args[i] == "-o" && Find("output")) ? kOutputFlag : args[i];
    if (a == "--help" || a == "-h") {
      help_ = true;
      return Status::Ok();
    }
    if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
      std::string name = a.substr(2), value;
      bool has_inline = false;
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        has_inline = true;
      }
      const Spec* spec = Find(name);
      if (!spec) return InvalidArgument("unknown option '--" + name + "'" + Suggest(name) + hint);
      if (spec->is_flag) {
        if (has_inline) return InvalidArgument("'--" + name + "' takes no value" + hint);
        values_[name].push_back("1");
        continue;
      }
      if (!has_inline) {
        if (i + 1 >= args.size())
          return InvalidArgument("option '--" + name + "' needs a value: --" + name + " " + spec->metavar);
        value = args[++i];
      }
      if (!spec->multi && values_.count(name))
        return InvalidArgument("option '--" + name + "' given twice; give it once");
      values_[name].push_back(value);
      continue;
    }
    if (next_pos >= positionals.size())
      return InvalidArgument("unexpected argument '" + a + "'" + hint);
    values_[positionals[next_pos++]->name].push_back(a);
  }
  for (const auto& s : specs_) {
    if (s.required && !values_.count(s.name)) {
      if (s.positional) return InvalidArgument("missing <" + s.name + ">: " + s.help + hint);
      return InvalidArgument("missing option --" + s.name + " " + s.metavar + " (" + s.help + ")" + hint);
    }
  }
  return Status::Ok();
}

std::string ArgParser::Help() const {
  std::ostringstream os;
  os << "usage: smile " << command_;
  for (const auto& s : specs_)
    if (s.positional) os << (s.required ? " <" + s.name + ">" : " [" + s.name + "]");
  os << " [options]\n\n" << summary_ << "\n";
  bool any_pos = false;
  for (const auto& s : specs_) {
    if (!s.positional) continue;
    if (!any_pos) os << "\narguments:\n";
    any_pos = true;
    std::string left = "  " + s.name;
    os << left << std::string(left.size() < 28 ? 28 - left.size() : 1, ' ') << s.help << "\n";
  }
  os << "\noptions:\n";
  for (const auto& s : specs_) {
    if (s.positional) continue;
    std::string left = "  --" + s.name + (s.is_flag ? "" : " " + s.metavar);
    os << left << std::string(left.size() < 28 ? 28 - left.size() : 1, ' ') << s.help;
    if (!s.def.empty()) os << " (default: " << s.def << ")";
    if (s.required) os << " (required)";
    if (s.multi) os << " (repeatable)";
    os << "\n";
  }
  os << "  --help                    show this help\n";
  if (!epilog_.empty()) os << "\n" << epilog_ << "\n";
  return os.str();
}

bool ArgParser::Has(const std::string& name) const {
  if (values_.count(name)) return true;
  for (const auto& s : specs_)
    if (s.name == name) return !s.def.empty();
  return false;
}

bool ArgParser::GetFlag(const std::string& name) const { return values_.count(name) > 0; }

std::string ArgParser::Get(const std::string& name) const {
  auto it = values_.find(name);
  if (it != values_.end() && !it->second.empty()) return it->second.back();
  for (const auto& s : specs_)
    if (s.name == name) return s.def;
  return "";
}

std::vector<std::string> ArgParser::GetAll(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

Result<int64_t> ArgParser::GetInt(const std::string& name, int64_t min, int64_t max) const {
  std::string v = Get(name);
  errno = 0;
  char* end = nullptr;
  long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || errno)
    return InvalidArgument("--" + name + " expects a whole number, got '" + v + "'");
  if (x < min || x > max)
    return InvalidArgument("--" + name + " must be between " + std::to_string(min) + " and " +
                           std::to_string(max) + ", got " + v);
  return static_cast<int64_t>(x);
}

Result<double> ArgParser::GetDouble(const std::string& name, double min, double max) const {
  std::string v = Get(name);
  errno = 0;
  char* end = nullptr;
  double x = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || errno)
    return InvalidArgument("--" + name + " expects a number, got '" + v + "'");
  if (x < min || x > max) {
    std::ostringstream os;
    os << "--" << name << " must be between " << min << " and " << max << ", got " << v;
    return InvalidArgument(os.str());
  }
  return x;
}

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

}  // namespace smile
