#include "training/loss_log.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "training/atomic_file.h"

namespace smile::training {
namespace {

double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void AppendNumber(std::string* out, double v, const char* fmt = "%.6g") {
  if (!std::isfinite(v)) {
    *out += "null";
    return;
  }
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, v);
  *out += buf;
}

void AppendString(std::string* out, const std::string& s) {
  *out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') {
      *out += '\\';
      *out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      *out += buf;
    } else {
      *out += c;
    }
  }
  *out += '"';
}

// A small JSON reader for the log's own format (objects, strings, numbers, null, true/false).
class Reader {
 public:
  explicit Reader(const std::string& s) : s_(s) {}
  void Ws() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool Eat(char c) {
    Ws();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool String(std::string* out) {
    Ws();
    if (i_ >= s_.size() || s_[i_] != '"') return false;
    ++i_;
    out->clear();
    while (i_ < s_.size() && s_[i_] != '"') {
      char c = s_[i_++];
      if (c == '\\' && i_ < s_.size()) {
        char e = s_[i_++];
        if (e == 'u' && i_ + 4 <= s_.size()) {
          *out += static_cast<char>(std::stoi(s_.substr(i_, 4), nullptr, 16));
          i_ += 4;
        } else if (e == 'n') {
          *out += '\n';
        } else if (e == 't') {
          *out += '\t';
        } else {
          *out += e;
        }
      } else {
        *out += c;
      }
    }
    if (i_ >= s_.size()) return false;
    ++i_;
    return true;
  }
  bool Number(double* out) {
    Ws();
    if (s_.compare(i_, 4, "null") == 0) {
      i_ += 4;
      *out = std::numeric_limits<double>::quiet_NaN();
      return true;
    }
    const char* start = s_.c_str() + i_;
    char* end = nullptr;
    *out = std::strtod(start, &end);
    if (end == start) return false;
    i_ += static_cast<size_t>(end - start);
    return true;
  }
  bool SkipValue() {
    Ws();
    if (i_ >= s_.size()) return false;
    char c = s_[i_];
    std::string str;
    double d;
    if (c == '"') return String(&str);
    if (c == '{' || c == '[') {
      char close = c == '{' ? '}' : ']';
      ++i_;
      if (Eat(close)) return true;
      do {
        if (c == '{' && (!String(&str) || !Eat(':'))) return false;
        if (!SkipValue()) return false;
      } while (Eat(','));
      return Eat(close);
    }
    if (s_.compare(i_, 4, "true") == 0) return i_ += 4, true;
    if (s_.compare(i_, 5, "false") == 0) return i_ += 5, true;
    return Number(&d);
  }
  bool AtEnd() {
    Ws();
    return i_ == s_.size();
  }

 private:
  const std::string& s_;
  size_t i_ = 0;
};

}  // namespace

std::string FormatLossRecord(const LossRecord& r) {
  std::string out = "{\"iter\":" + std::to_string(r.iteration) + ",\"time\":";
  AppendNumber(&out, r.time, "%.3f");
  out += ",\"elapsed\":";
  AppendNumber(&out, r.elapsed, "%.3f");
  out += ",\"losses\":{";
  bool first = true;
  for (const auto& [k, v] : r.losses) {
    if (!first) out += ',';
    first = false;
    AppendString(&out, k);
    out += ':';
    AppendNumber(&out, v);
  }
  out += "}}";
  return out;
}

Result<LossRecord> ParseLossRecord(const std::string& line) {
  LossRecord r;
  Reader rd(line);
  auto bad = [&] { return Corrupt("loss log line is not valid JSON: '" + line.substr(0, 120) + "'"); };
  if (!rd.Eat('{')) return bad();
  bool have_iter = false;
  if (!rd.Eat('}')) {
    do {
      std::string key;
      if (!rd.String(&key) || !rd.Eat(':')) return bad();
      if (key == "losses") {
        if (!rd.Eat('{')) return bad();
        if (!rd.Eat('}')) {
          do {
            std::string name;
            double v;
            if (!rd.String(&name) || !rd.Eat(':') || !rd.Number(&v)) return bad();
            r.losses[name] = v;
          } while (rd.Eat(','));
          if (!rd.Eat('}')) return bad();
        }
      } else if (key == "iter" || key == "time" || key == "elapsed") {
        double v;
        if (!rd.Number(&v)) return bad();
        if (key == "iter") r.iteration = static_cast<int64_t>(v), have_iter = true;
        else if (key == "time") r.time = v;
        else r.elapsed = v;
      } else if (!rd.SkipValue()) {
        return bad();
      }
    } while (rd.Eat(','));
    if (!rd.Eat('}')) return bad();
  }
  if (!rd.AtEnd() || !have_iter) return bad();
  return r;
}

Result<std::vector<LossRecord>> ReadLossLog(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound("cannot open loss log '" + path + "'; check the path");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  std::vector<LossRecord> out;
  for (size_t i = 0; i < lines.size(); ++i) {
    auto r = ParseLossRecord(lines[i]);
    if (!r.ok()) {
      if (i + 1 == lines.size()) break;  // torn last line (crash while writing)
      return r.status().WithContext(path + " line " + std::to_string(i + 1));
    }
    out.push_back(std::move(r).value());
  }
  return out;
}

Result<std::unique_ptr<LossLog>> LossLog::Open(const std::string& path, int every, int64_t resume_iteration) {
  std::unique_ptr<LossLog> log(new LossLog());
  log->path_ = path;
  log->every_ = std::max(1, every);
  log->start_ = NowSeconds();
  if (resume_iteration >= 0) {
    std::ifstream probe(path);
    if (probe) {
      probe.close();
      SMILE_ASSIGN_OR_RETURN(auto records, ReadLossLog(path));
      std::string kept;
      for (const auto& r : records) {
        if (r.iteration > resume_iteration) break;
        kept += FormatLossRecord(r) + "\n";
        log->elapsed_offset_ = r.elapsed;
        log->last_iteration_ = r.iteration;
      }
      SMILE_RETURN_IF_ERROR(WriteFileAtomic(path, kept));
    }
  }
  log->file_ = std::fopen(path.c_str(), resume_iteration >= 0 ? "a" : "w");
  if (!log->file_)
    return IoError("cannot open loss log '" + path + "' for writing: " + std::strerror(errno) +
                   "; check that the folder exists and is writable");
  return log;
}

LossLog::~LossLog() {
  if (file_) {
    (void)Flush();
    std::fclose(file_);
  }
}

Status LossLog::Add(int64_t iteration, const std::map<std::string, double>& losses) {
  for (const auto& [k, v] : losses) {
    sums_[k] += v;
    ++counts_[k];
  }
  last_iteration_ = iteration;
  if (++window_ >= every_) return Flush();
  return Status::Ok();
}

Status LossLog::Flush() {
  if (window_ == 0 || !file_) return Status::Ok();
  LossRecord r;
  r.iteration = last_iteration_;
  r.time = NowSeconds();
  r.elapsed = elapsed_offset_ + (r.time - start_);
  for (const auto& [k, s] : sums_) r.losses[k] = s / counts_[k];
  std::string line = FormatLossRecord(r) + "\n";
  window_ = 0;
  sums_.clear();
  counts_.clear();
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0)
    return IoError("cannot write loss log '" + path_ + "': " + std::strerror(errno) + "; check free disk space");
  ++lines_;
  return Status::Ok();
}

}  // namespace smile::training
