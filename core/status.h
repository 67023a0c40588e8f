// Status and Result<T>: every fallible call returns one. Messages say what
// failed and how to fix it ("cannot open 'x.mp4': file not found; check the path").
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace smile {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // bad flag / value from the user (exit code 2)
  kNotFound,         // missing file, face, stream, model
  kIoError,          // read/write failed
  kCorrupt,          // data present but unreadable (truncated, wrong format)
  kUnsupported,      // valid but not handled (codec, op, version)
  kCancelled,        // SIGINT/SIGTERM or user stop
  kEndOfStream,      // a source has no more frames
  kInternal,         // a bug: should never happen
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "not found: cannot open 'x'..." (or "ok").
  std::string ToString() const;
  // Prefixes context: Status("cannot read frame").WithContext("copy") -> "copy: cannot read frame".
  Status WithContext(const std::string& context) const;
  // Process exit code for this status: 0 ok, 2 invalid argument, 130 cancelled, 1 otherwise.
  int ExitCode() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
inline Status Corrupt(std::string m) { return {StatusCode::kCorrupt, std::move(m)}; }
inline Status Unsupported(std::string m) { return {StatusCode::kUnsupported, std::move(m)}; }
inline Status Cancelled(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
inline Status EndOfStream(std::string m = "end of stream") { return {StatusCode::kEndOfStream, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// Result<T> holds either a value or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}                // NOLINT: implicit by design
  Result(Status status) : data_(std::move(status)) {          // NOLINT: implicit by design
    if (std::get<Status>(data_).ok()) data_ = Status(StatusCode::kInternal, "Result built from an ok Status");
  }

  bool ok() const { return std::holds_alternative<T>(data_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(data_);
  }
  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace smile

// Return early from a function returning Status or Result<T>.
#define SMILE_RETURN_IF_ERROR(expr)              \
  do {                                           \
    ::smile::Status smile_status_ = (expr);      \
    if (!smile_status_.ok()) return smile_status_; \
  } while (0)

#define SMILE_CONCAT_INNER(a, b) a##b
#define SMILE_CONCAT(a, b) SMILE_CONCAT_INNER(a, b)
// SMILE_ASSIGN_OR_RETURN(auto x, MakeX());
#define SMILE_ASSIGN_OR_RETURN(lhs, expr)                                  \
  auto SMILE_CONCAT(smile_result_, __LINE__) = (expr);                     \
  if (!SMILE_CONCAT(smile_result_, __LINE__).ok())                         \
    return SMILE_CONCAT(smile_result_, __LINE__).status();                 \
  lhs = std::move(SMILE_CONCAT(smile_result_, __LINE__)).value()
