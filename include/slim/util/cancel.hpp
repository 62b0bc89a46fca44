#pragma once
// Cooperative cancellation for Ctrl-C and SIGTERM. The signal handler only sets a flag and
// makes a file descriptor readable; long operations poll that flag (or wait on the fd next to
// their socket) and throw slim::Cancelled, so RAII guards remove containers and temp files
// while the stack unwinds.

namespace slim::cancel {

/// Installs SIGINT/SIGTERM/SIGHUP handlers that request cancellation (idempotent).
void install_signal_handlers();
/// True once a cancellation was requested (and no Shield is alive).
bool requested() noexcept;
/// Requests cancellation (async-signal-safe; also used by tests).
void request() noexcept;
/// Throws slim::Cancelled if cancellation was requested.
void throw_if_requested();
/// A file descriptor that becomes readable when cancellation is requested (for poll()).
int fd() noexcept;
/// The signal that caused cancellation, 0 if none (main re-raises nothing; exit code 130/143).
int signal_number() noexcept;

/// While alive, requested() is false: cleanup (removing our containers after Ctrl-C) must still
/// be able to talk to the engine. Calls stay bounded by their own timeouts.
class Shield {
public:
  Shield() noexcept;
  ~Shield();
  Shield(const Shield&) = delete;
  Shield& operator=(const Shield&) = delete;
};

} // namespace slim::cancel
