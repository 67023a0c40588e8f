// A small JSON value for the evaluation results (`smile eval ... --json`), read back by
// `smile eval report`: null, bool, number, string, array, object (keys keep their order).
// Non-finite numbers are written as null (JSON has no inf / NaN) and read back as NaN.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace smile::engine {

class Json {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

  Json() = default;
  Json(std::nullptr_t) {}
  Json(bool b) : type_(Type::kBool), number_(b ? 1 : 0) {}
  Json(int v) : type_(Type::kNumber), number_(v) {}
  Json(int64_t v) : type_(Type::kNumber), number_(static_cast<double>(v)) {}
  Json(double v) : type_(Type::kNumber), number_(v) {}
  Json(const char* s) : type_(Type::kString), string_(s) {}
  Json(std::string s) : type_(Type::kString), string_(std::move(s)) {}
  Json(const std::vector<double>& v);
  static Json Array() { Json j; j.type_ = Type::kArray; return j; }
  static Json Object() { Json j; j.type_ = Type::kObject; return j; }

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_number() const { return type_ == Type::kNumber; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }

  // Numbers (null reads as NaN), strings, bools; other types give the fallback.
  double number(double fallback = 0) const;
  const std::string& str() const { return string_; }
  bool boolean() const { return type_ == Type::kBool && number_ != 0; }

  // Arrays.
  Json& push_back(Json v);
  size_t size() const { return type_ == Type::kArray ? items_.size() : members_.size(); }
  const Json& operator[](size_t i) const { return items_[i]; }
  const std::vector<Json>& items() const { return items_; }
  std::vector<double> numbers() const;  // an array of numbers (null -> NaN)

  // Objects: set() replaces an existing key in place; get() returns null when absent.
  Json& set(const std::string& key, Json v);
  const Json& get(const std::string& key) const;
  bool has(const std::string& key) const;
  const std::vector<std::pair<std::string, Json>>& members() const { return members_; }

  // indent < 0: one line.
  std::string Dump(int indent = 2) const;
  static Result<Json> Parse(const std::string& text);

 private:
  void DumpTo(std::string& out, int indent, int depth) const;
  Type type_ = Type::kNull;
  double number_ = 0;
  std::string string_;
  std::vector<Json> items_;
  std::vector<std::pair<std::string, Json>> members_;
};

Result<Json> ReadJsonFile(const std::string& path);
// Written atomically (temporary file + rename).
Status WriteJsonFile(const std::string& path, const Json& json);

}  // namespace smile::engine
