#pragma once
// The project's error types. Low-level code returns Result<T>; higher layers throw slim::Error;
// main has one catch that prints `slim: error: ...` and exits with Error::exit_code().

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace slim {

/// The one error type higher layers throw: a one-line, actionable message plus an exit code.
class Error : public std::runtime_error {
public:
  explicit Error(std::string message, int exit_code = 1)
      : std::runtime_error(std::move(message)), m_exit_code(exit_code) {}
  /// Process exit code main should use for this error.
  int exit_code() const noexcept { return m_exit_code; }

private:
  int m_exit_code;
};

/// Thrown when the user interrupted (SIGINT/SIGTERM); main exits 130 after cleanup.
class Cancelled : public Error {
public:
  Cancelled() : Error("interrupted", 130) {}
};

/// "`path`: reason" for errno-style failures, crun style.
std::string errno_message(const std::string& what, const std::string& path, int err);

/// Value or error message, for low-level calls where failing is an ordinary outcome.
template <typename T> class Result {
public:
  Result(T value) : m_value(std::move(value)) {} // NOLINT(implicit)
  static Result fail(std::string message) {
    Result r;
    r.m_error = std::move(message);
    return r;
  }
  bool ok() const noexcept { return m_value.has_value(); }
  explicit operator bool() const noexcept { return ok(); }
  /// The value; throws slim::Error with the message if this holds an error.
  T& value() {
    if (!ok()) {
      throw Error(m_error);
    }
    return *m_value;
  }
  const T& value() const {
    if (!ok()) {
      throw Error(m_error);
    }
    return *m_value;
  }
  /// The error message (empty when ok).
  const std::string& error() const noexcept { return m_error; }

private:
  Result() = default;
  std::optional<T> m_value;
  std::string m_error;
};

} // namespace slim
