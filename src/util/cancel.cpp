#include "slim/util/cancel.hpp"

#include "slim/util/error.hpp"

#include <atomic>
#include <csignal>
#include <fcntl.h>
#include <unistd.h>

namespace slim::cancel {

namespace {
std::atomic<bool> g_requested{false};
std::atomic<int> g_signal{0};
std::atomic<int> g_shields{0};
int g_pipe[2] = {-1, -1};

void ensure_pipe() {
  if (g_pipe[0] < 0) {
    if (pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
      g_pipe[0] = g_pipe[1] = -1;
    }
  }
}

void on_signal(int sig) {
  g_signal.store(sig);
  request();
}
} // namespace

void install_signal_handlers() {
  ensure_pipe();
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0; // no SA_RESTART: blocking calls return EINTR and notice the flag
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    sigaction(sig, &sa, nullptr);
  }
  std::signal(SIGPIPE, SIG_IGN);
}

bool requested() noexcept {
  return g_requested.load(std::memory_order_relaxed) &&
         g_shields.load(std::memory_order_relaxed) == 0;
}

Shield::Shield() noexcept {
  g_shields.fetch_add(1);
}
Shield::~Shield() {
  g_shields.fetch_sub(1);
}

void request() noexcept {
  if (!g_requested.exchange(true) && g_pipe[1] >= 0) {
    char c = 1;
    [[maybe_unused]] auto n = write(g_pipe[1], &c, 1);
  }
}

void throw_if_requested() {
  if (requested()) {
    throw Cancelled();
  }
}

int fd() noexcept {
  ensure_pipe();
  return g_pipe[0];
}

int signal_number() noexcept {
  return g_signal.load();
}

} // namespace slim::cancel
