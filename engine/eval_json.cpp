#include "engine/eval_json.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

namespace smile::engine {

Json::Json(const std::vector<double>& v) : type_(Type::kArray) {
  for (double x : v) items_.emplace_back(x);
}

double Json::number(double fallback) const {
  if (type_ == Type::kNumber || type_ == Type::kBool) return number_;
  if (type_ == Type::kNull) return std::numeric_limits<double>::quiet_NaN();
  return fallback;
}

Json& Json::push_back(Json v) {
  if (type_ == Type::kNull) type_ = Type::kArray;
  items_.push_back(std::move(v));
  return items_.back();
}

std::vector<double> Json::numbers() const {
  std::vector<double> v;
  for (const auto& j : items_) v.push_back(j.number(std::numeric_limits<double>::quiet_NaN()));
  return v;
}

Json& Json::set(const std::string& key, Json v) {
  if (type_ == Type::kNull) type_ = Type::kObject;
  for (auto& m : members_)
    if (m.first == key) return m.second = std::move(v);
  members_.emplace_back(key, std::move(v));
  return members_.back().second;
}

const Json& Json::get(const std::string& key) const {
  static const Json kNullJson;
  for (const auto& m : members_)
    if (m.first == key) return m.second;
  return kNullJson;
}

bool Json::has(const std::string& key) const {
  for (const auto& m : members_)
    if (m.first == key) return true;
  return false;
}

namespace {

void Escape(const std::string& s, std::string& out) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

class Parser {
 public:
  explicit Parser(const std::string& t) : t_(t) {}
  Result<Json> Document() {
    SMILE_ASSIGN_OR_RETURN(Json v, Value(0));
    Skip();
    if (p_ != t_.size()) return Error("unexpected text after the value");
    return v;
  }

 private:
  Status Error(const std::string& what) const {
    return Corrupt("JSON: " + what + " at offset " + std::to_string(p_));
  }
  void Skip() {
    while (p_ < t_.size() && (t_[p_] == ' ' || t_[p_] == '\n' || t_[p_] == '\r' || t_[p_] == '\t')) ++p_;
  }
  bool Literal(const char* word) {
    size_t n = std::char_traits<char>::length(word);
    if (t_.compare(p_, n, word) != 0) return false;
    p_ += n;
    return true;
  }
  Result<std::string> String() {
    if (p_ >= t_.size() || t_[p_] != '"') return Error("expected a string");
    ++p_;
    std::string s;
    while (p_ < t_.size() && t_[p_] != '"') {
      char c = t_[p_++];
      if (c != '\\') {
        s += c;
        continue;
      }
      if (p_ >= t_.size()) break;
      char e = t_[p_++];
      switch (e) {
        case 'n': s += '\n'; break;
        case 'r': s += '\r'; break;
        case 't': s += '\t'; break;
        case 'b': s += '\b'; break;
        case 'f': s += '\f'; break;
        case 'u': {
          if (p_ + 4 > t_.size()) return Error("short \\u escape");
          unsigned code = static_cast<unsigned>(std::strtoul(t_.substr(p_, 4).c_str(), nullptr, 16));
          p_ += 4;
          if (code < 0x80) {
            s += static_cast<char>(code);
          } else if (code < 0x800) {
            s += static_cast<char>(0xC0 | (code >> 6));
            s += static_cast<char>(0x80 | (code & 0x3F));
          } else {
            s += static_cast<char>(0xE0 | (code >> 12));
            s += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            s += static_cast<char>(0x80 | (code & 0x3F));
          }
          break;
        }
        default: s += e;
      }
    }
    if (p_ >= t_.size()) return Error("unterminated string");
    ++p_;
    return s;
  }
  Result<Json> Value(int depth) {
    if (depth > 64) return Error("nesting too deep");
    Skip();
    if (p_ >= t_.size()) return Error("unexpected end");
    char c = t_[p_];
    if (c == '{') {
      ++p_;
      Json o = Json::Object();
      Skip();
      if (p_ < t_.size() && t_[p_] == '}') return ++p_, o;
      for (;;) {
        Skip();
        SMILE_ASSIGN_OR_RETURN(std::string key, String());
        Skip();
        if (p_ >= t_.size() || t_[p_] != ':') return Error("expected ':'");
        ++p_;
        SMILE_ASSIGN_OR_RETURN(Json v, Value(depth + 1));
        o.set(key, std::move(v));
        Skip();
        if (p_ < t_.size() && t_[p_] == ',') { ++p_; continue; }
        if (p_ < t_.size() && t_[p_] == '}') { ++p_; return o; }
        return Error("expected ',' or '}'");
      }
    }
    if (c == '[') {
      ++p_;
      Json a = Json::Array();
      Skip();
      if (p_ < t_.size() && t_[p_] == ']') return ++p_, a;
      for (;;) {
        SMILE_ASSIGN_OR_RETURN(Json v, Value(depth + 1));
        a.push_back(std::move(v));
        Skip();
        if (p_ < t_.size() && t_[p_] == ',') { ++p_; continue; }
        if (p_ < t_.size() && t_[p_] == ']') { ++p_; return a; }
        return Error("expected ',' or ']'");
      }
    }
    if (c == '"') {
      SMILE_ASSIGN_OR_RETURN(std::string s, String());
      return Json(std::move(s));
    }
    if (Literal("null")) return Json();
    if (Literal("true")) return Json(true);
    if (Literal("false")) return Json(false);
    const char* begin = t_.c_str() + p_;
    char* end = nullptr;
    double v = std::strtod(begin, &end);
    if (end == begin) return Error("unexpected character");
    p_ += static_cast<size_t>(end - begin);
    return Json(v);
  }
  const std::string& t_;
  size_t p_ = 0;
};

}  // namespace

void Json::DumpTo(std::string& out, int indent, int depth) const {
  auto newline = [&](int d) {
    if (indent < 0) return;
    out += '\n';
    out.append(static_cast<size_t>(indent * d), ' ');
  };
  switch (type_) {
    case Type::kNull: out += "null"; break;
    case Type::kBool: out += number_ != 0 ? "true" : "false"; break;
    case Type::kNumber: {
      if (!std::isfinite(number_)) {
        out += "null";
        break;
      }
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%.15g", number_);  // shortest form that reads back exactly
      if (std::strtod(buf, nullptr) != number_) std::snprintf(buf, sizeof(buf), "%.17g", number_);
      out += buf;
      break;
    }
    case Type::kString: Escape(string_, out); break;
    case Type::kArray: {
      // Arrays of numbers stay on one line (per-frame series).
      bool flat = true;
      for (const auto& i : items_) flat = flat && (i.type_ == Type::kNumber || i.type_ == Type::kNull);
      out += '[';
      for (size_t i = 0; i < items_.size(); ++i) {
        if (i) out += flat || indent < 0 ? "," : ",";
        if (!flat) newline(depth + 1);
        items_[i].DumpTo(out, indent, depth + 1);
      }
      if (!flat && !items_.empty()) newline(depth);
      out += ']';
      break;
    }
    case Type::kObject: {
      out += '{';
      for (size_t i = 0; i < members_.size(); ++i) {
        if (i) out += ',';
        newline(depth + 1);
        Escape(members_[i].first, out);
        out += indent < 0 ? ":" : ": ";
        members_[i].second.DumpTo(out, indent, depth + 1);
      }
      if (!members_.empty()) newline(depth);
      out += '}';
      break;
    }
  }
}

std::string Json::Dump(int indent) const {
  std::string out;
  DumpTo(out, indent, 0);
  return out;
}

Result<Json> Json::Parse(const std::string& text) { return Parser(text).Document(); }

Result<Json> ReadJsonFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open '" + path + "'; check the path");
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = Json::Parse(ss.str());
  if (!j.ok()) return j.status().WithContext(path);
  return j;
}

Status WriteJsonFile(const std::string& path, const Json& json) {
  namespace fs = std::filesystem;
  auto dir = fs::absolute(path).parent_path();
  if (!fs::is_directory(dir)) return NotFound("folder '" + dir.string() + "' does not exist; create it first");
  const std::string tmp = path + ".partial";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return IoError("cannot write '" + tmp + "'; check permissions and free space");
    out << json.Dump(2) << '\n';
    if (!out) return IoError("writing '" + tmp + "' failed; check free space");
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return IoError("cannot rename '" + tmp + "' to '" + path + "': " + ec.message());
  return Status::Ok();
}

}  // namespace smile::engine
