// Errors as values: Status and Result<T>, used across hal/, firmware/, drivers/ and sim/.
// Nothing on the tap-to-relay path throws; a failure a caller can meet is one of these.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace gate {

// What went wrong, coarse enough for a caller to act on.
enum class Errc {
  timeout,           // a bounded wait ran out
  io_error,          // the device or file answered with an error
  device_lost,       // the device is gone; reopen with backoff
  malformed,         // input from outside (card, code, file, line) is not of the expected form
  invalid_argument,  // a caller or a configuration asked for something impossible
  not_found,         // the thing asked for does not exist
  storage_error,     // SQLite or the filesystem failed
  unsupported,       // the device or data is of a kind this build does not handle
};

const char* errc_name(Errc code);

struct Error {
  Errc code;
  std::string message;  // for logs: no credential keys, no identity data
};

// Success, or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_{Errc::io_error, {}};
  bool ok_ = true;
};

inline Status ok_status() {
  return Status();
}

// A value, or an Error.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  const Error& error() const { return std::get<1>(v_); }
  Status status() const { return ok() ? Status() : Status(error()); }

 private:
  std::variant<T, Error> v_;
};

inline Error make_error(Errc code, std::string message) {
  return Error{code, std::move(message)};
}

}  // namespace gate

// Propagates a failed Status or Result<T> to the caller (whose return type takes an Error).
#define GATE_TRY(expr)                                 \
  do {                                                 \
    auto&& gate_try_r_ = (expr);                       \
    if (!gate_try_r_.ok()) return gate_try_r_.error(); \
  } while (0)

#define GATE_CONCAT_INNER_(a, b) a##b
#define GATE_CONCAT_(a, b) GATE_CONCAT_INNER_(a, b)
// Declares `lhs` from a Result<T>, or returns its Error.
#define GATE_TRY_ASSIGN(lhs, expr) \
  GATE_TRY_ASSIGN_IMPL_(GATE_CONCAT_(gate_try_v_, __LINE__), lhs, expr)
#define GATE_TRY_ASSIGN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.error();          \
  lhs = std::move(tmp).value()
