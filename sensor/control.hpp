#pragma once
// The control channel between PID 1 (`sensor run`) and `sensor ctl` / `sensor exec`: a Unix
// stream socket under /.slim, line-based messages (see sensor/README.md).

#include <optional>
#include <string>
#include <sys/types.h>

namespace slim::sensor {

/// Binds and listens on `path` (a stale socket file is replaced); returns the fd or -1 with
/// `error` set.
int listen_control(const std::string& path, std::string& error);

/// Connects to `path`; returns the fd or -1 with `error` set.
int connect_control(const std::string& path, std::string& error);

/// Writes all of `data`; false on error.
bool send_all(int fd, const std::string& data);

/// Reads one line (without the newline) from `fd`, keeping extra bytes in `buffer`; nullopt on
/// EOF, error or when `timeout_ms` (-1: forever) passes.
std::optional<std::string> read_line(int fd, std::string& buffer, int timeout_ms);

/// Reads exactly `size` bytes (after what `buffer` already holds); nullopt on EOF or error.
std::optional<std::string> read_exact(int fd, std::string& buffer, std::size_t size);

/// The process ID of the peer of a connected Unix socket (SO_PEERCRED), -1 when unknown.
pid_t peer_pid(int fd);

/// A pidfd of the peer of a connected Unix socket (SO_PEERPIDFD, Linux 6.5), -1 when unknown.
int peer_pidfd(int fd);

} // namespace slim::sensor
