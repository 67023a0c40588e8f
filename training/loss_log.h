// JSONL loss log for trainers: one line per written window,
//   {"iter":1200,"time":1764075600.123,"elapsed":512.4,"losses":{"d_adv":0.69,"g_adv":1.21}}
// Add() accumulates losses and writes their mean every `every` iterations;
// each line is flushed so the log survives a crash (a torn last line is ignored
// by ReadLossLog). Opening with resume_iteration drops lines written after that
// iteration (the run is continuing from an older checkpoint).
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace smile::training {

struct LossRecord {
  int64_t iteration = 0;
  double time = 0;     // seconds since the Unix epoch
  double elapsed = 0;  // seconds since the log was opened (plus the resumed elapsed time)
  std::map<std::string, double> losses;  // NaN / inf are written as null and read back as NaN
};

std::string FormatLossRecord(const LossRecord& record);  // one JSON line, no newline
Result<LossRecord> ParseLossRecord(const std::string& line);
// Every complete line of a log; a malformed line other than the last is an error.
Result<std::vector<LossRecord>> ReadLossLog(const std::string& path);

class LossLog {
 public:
  static Result<std::unique_ptr<LossLog>> Open(const std::string& path, int every = 1,
                                               int64_t resume_iteration = -1);
  ~LossLog();
  Status Add(int64_t iteration, const std::map<std::string, double>& losses);
  Status Flush();  // writes a partial window now
  const std::string& path() const { return path_; }
  int64_t lines_written() const { return lines_; }

 private:
  LossLog() = default;
  std::string path_;
  std::FILE* file_ = nullptr;
  int every_ = 1;
  double start_ = 0;
  double elapsed_offset_ = 0;
  int64_t last_iteration_ = -1;
  int window_ = 0;
  std::map<std::string, double> sums_;
  std::map<std::string, int> counts_;
  int64_t lines_ = 0;
};

}  // namespace smile::training
