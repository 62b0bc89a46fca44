#include "sensor/args.hpp"

#include <array>
#include <charconv>
#include <csignal>
#include <utility>

namespace slim::sensor {

namespace {

constexpr std::array<std::pair<const char*, int>, 22> k_signals = {{
    {"HUP", SIGHUP},   {"INT", SIGINT},     {"QUIT", SIGQUIT}, {"ILL", SIGILL},   {"TRAP", SIGTRAP},
    {"ABRT", SIGABRT}, {"BUS", SIGBUS},     {"FPE", SIGFPE},   {"KILL", SIGKILL}, {"USR1", SIGUSR1},
    {"SEGV", SIGSEGV}, {"USR2", SIGUSR2},   {"PIPE", SIGPIPE}, {"ALRM", SIGALRM}, {"TERM", SIGTERM},
    {"CHLD", SIGCHLD}, {"CONT", SIGCONT},   {"STOP", SIGSTOP}, {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},
    {"TTOU", SIGTTOU}, {"WINCH", SIGWINCH},
}};

std::optional<double> parse_seconds(std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) {
    return std::nullopt;
  }
  return value;
}

// Walks options of one subcommand; `take` fetches an option's value.
class Cursor {
public:
  explicit Cursor(const std::vector<std::string>& args, std::size_t start)
      : m_args(args), m_i(start) {}
  bool done() const { return m_i >= m_args.size(); }
  const std::string& peek() const { return m_args[m_i]; }
  std::string next() { return m_args[m_i++]; }
  // Value of `--name VALUE` or `--name=VALUE` when the current arg is that option.
  std::optional<std::string> take(std::string_view name, std::string& error) {
    const std::string& arg = m_args[m_i];
    if (arg == name) {
      if (m_i + 1 >= m_args.size()) {
        error = "option " + std::string(name) + " needs a value";
        return std::nullopt;
      }
      m_i += 2;
      return m_args[m_i - 1];
    }
    if (arg.size() > name.size() && arg.starts_with(name) && arg[name.size()] == '=') {
      ++m_i;
      return arg.substr(name.size() + 1);
    }
    return std::nullopt;
  }
  std::vector<std::string> rest() {
    return {m_args.begin() + static_cast<long>(m_i), m_args.end()};
  }

private:
  const std::vector<std::string>& m_args;
  std::size_t m_i;
};

using CommandResult = Result<Command>;

CommandResult fail(std::string message) {
  return CommandResult::fail(std::move(message));
}

// `run [OPTIONS] -- CMD...` and `exec [OPTIONS] -- CMD...` (args[0] is the subcommand).
CommandResult parse_run_or_exec(const std::vector<std::string>& args) {
  Command cmd;
  std::string error;
  const std::string& sub = args[0];
  bool is_run = sub == "run";
  cmd.kind = is_run ? Command::Kind::run : Command::Kind::exec;
  Cursor c(args, 1);
  while (!c.done()) {
    if (c.peek() == "--") {
      c.next();
      break;
    }
    if (auto v = c.take("--user", error)) {
      (is_run ? cmd.run.user : cmd.exec.user) = *v;
    } else if (auto w = c.take("--workdir", error)) {
      (is_run ? cmd.run.workdir : cmd.exec.workdir) = *w;
    } else if (auto k = c.take("--keep-cap", error)) {
      auto cap = capability_number(*k);
      if (!cap) {
        return fail("unknown capability `" + *k + "` for --keep-cap");
      }
      if ((k_sensor_only_caps & cap_bit(*cap)) == 0) {
        return fail("--keep-cap " + *k +
                    ": the app loses only SYS_ADMIN and SYS_PTRACE; it keeps the others anyway");
      }
      (is_run ? cmd.run.keep_caps : cmd.exec.keep_caps) |= cap_bit(*cap);
    } else if (!error.empty()) {
      return fail(error);
    } else if (!is_run) {
      if (c.peek().starts_with("-")) {
        return fail("unknown option `" + c.peek() + "` for exec");
      }
      break;
    } else if (auto r = c.take("--report", error)) {
      cmd.run.report = *r;
    } else if (auto m = c.take("--mode", error)) {
      if (*m == "both") {
        cmd.run.mode = Mode::both;
      } else if (*m == "fanotify") {
        cmd.run.mode = Mode::fanotify;
      } else if (*m == "ptrace") {
        cmd.run.mode = Mode::ptrace;
      } else {
        return fail("unknown --mode `" + *m + "` (both, fanotify or ptrace)");
      }
    } else if (auto s = c.take("--stop-signal", error)) {
      auto sig = parse_signal(*s);
      if (!sig) {
        return fail("unknown signal `" + *s + "`");
      }
      cmd.run.stop_signal = *sig;
    } else if (auto g = c.take("--stop-grace", error)) {
      auto secs = parse_seconds(*g);
      if (!secs) {
        return fail("bad --stop-grace `" + *g + "` (seconds)");
      }
      cmd.run.stop_grace = *secs;
    } else if (!error.empty()) {
      return fail(error);
    } else if (c.peek().starts_with("-")) {
      return fail("unknown option `" + c.peek() + "` for run");
    } else {
      break;
    }
  }
  auto rest = c.rest();
  if (rest.empty()) {
    return fail(sub + ": no command given (" + sub + " [OPTIONS] -- CMD [ARG...])");
  }
  (is_run ? cmd.run.argv : cmd.exec.argv) = std::move(rest);
  return cmd;
}

// `ctl stop [--signal SIG] [--grace SECONDS]`.
CommandResult parse_ctl(const std::vector<std::string>& args) {
  Command cmd;
  std::string error;
  cmd.kind = Command::Kind::ctl;
  if (args.size() < 2 || args[1] != "stop") {
    return fail("ctl: unknown action (ctl stop [--signal SIG] [--grace SECONDS])");
  }
  cmd.ctl.action = "stop";
  Cursor c(args, 2);
  while (!c.done()) {
    if (auto s = c.take("--signal", error)) {
      auto sig = parse_signal(*s);
      if (!sig) {
        return fail("unknown signal `" + *s + "`");
      }
      cmd.ctl.signal = *sig;
    } else if (auto g = c.take("--grace", error)) {
      auto secs = parse_seconds(*g);
      if (!secs) {
        return fail("bad --grace `" + *g + "` (seconds)");
      }
      cmd.ctl.grace = *secs;
    } else {
      return fail(error.empty() ? "ctl stop: unknown argument `" + c.peek() + "`" : error);
    }
  }
  return cmd;
}

// `probe URL [OPTIONS]`.
CommandResult parse_probe(const std::vector<std::string>& args) {
  Command cmd;
  std::string error;
  cmd.kind = Command::Kind::probe;
  Cursor c(args, 1);
  bool method_given = false;
  while (!c.done()) {
    if (c.peek() == "--batch") {
      c.next();
      if (c.done()) {
        return fail("probe: --batch needs IN and OUT");
      }
      cmd.probe.batch_in = c.next();
      if (c.done()) {
        return fail("probe: --batch needs IN and OUT");
      }
      cmd.probe.batch_out = c.next();
    } else if (auto m = c.take("--method", error)) {
      cmd.probe.method = *m;
      method_given = true;
    } else if (auto h = c.take("--header", error)) {
      if (h->find(':') == std::string::npos) {
        return fail("bad --header `" + *h + "` (Name: value)");
      }
      cmd.probe.headers.push_back(*h);
    } else if (auto d = c.take("--data", error)) {
      cmd.probe.data = *d;
    } else if (auto t = c.take("--timeout", error)) {
      auto secs = parse_seconds(*t);
      if (!secs || *secs == 0) {
        return fail("bad --timeout `" + *t + "` (seconds)");
      }
      cmd.probe.timeout = *secs;
    } else if (auto r = c.take("--retries", error)) {
      auto n = parse_seconds(*r);
      if (!n || *n != static_cast<int>(*n)) {
        return fail("bad --retries `" + *r + "` (a count)");
      }
      cmd.probe.retries = static_cast<int>(*n);
    } else if (auto rd = c.take("--retry-delay", error)) {
      auto secs = parse_seconds(*rd);
      if (!secs) {
        return fail("bad --retry-delay `" + *rd + "` (seconds)");
      }
      cmd.probe.retry_delay = *secs;
    } else if (!error.empty()) {
      return fail(error);
    } else if (c.peek().starts_with("--")) {
      return fail("probe: unknown option `" + c.peek() + "`");
    } else if (cmd.probe.url.empty()) {
      cmd.probe.url = c.next();
    } else {
      return fail("probe: more than one URL (`" + c.peek() + "`)");
    }
  }
  if (!error.empty()) {
    return fail(error);
  }
  if (cmd.probe.url.empty() && !cmd.probe.batch_in) {
    return fail("probe: no URL given");
  }
  if (!method_given && cmd.probe.data) {
    cmd.probe.method = "POST";
  }
  return cmd;
}

// `source serve [--timeout S]`, `source index [--volume DIR]... [--skip PATH]...`, `source read`.
CommandResult parse_source(const std::vector<std::string>& args) {
  Command cmd;
  cmd.kind = Command::Kind::source;
  if (args.size() < 2) {
    return fail("source: name serve, index or read");
  }
  const std::string& action = args[1];
  if (action == "serve") {
    cmd.source.action = SourceOptions::Action::serve;
  } else if (action == "index") {
    cmd.source.action = SourceOptions::Action::index;
  } else if (action == "read") {
    cmd.source.action = SourceOptions::Action::read;
  } else {
    return fail("source: unknown action `" + action + "` (serve, index, read)");
  }
  bool skip_given = false;
  std::string error;
  const bool index = cmd.source.action == SourceOptions::Action::index;
  const bool serve = cmd.source.action == SourceOptions::Action::serve;
  Cursor c(args, 2);
  while (!c.done()) {
    std::optional<std::string> v;
    if (index && (v = c.take("--volume", error))) {
      if (v->empty() || v->front() != '/') {
        return fail("source index: --volume needs an absolute path");
      }
      cmd.source.volumes.push_back(*v);
    } else if (index && (v = c.take("--skip", error))) {
      if (v->empty() || v->front() != '/') {
        return fail("source index: --skip needs an absolute path");
      }
      cmd.source.skip.push_back(*v);
      skip_given = true;
    } else if (serve && (v = c.take("--timeout", error))) {
      auto secs = parse_seconds(*v);
      if (!secs || *secs <= 0) {
        return fail("source serve: --timeout needs a positive number of seconds");
      }
      cmd.source.timeout = *secs;
    } else {
      return fail(error.empty() ? "source " + action + ": unknown argument `" + c.peek() + "`"
                                : error);
    }
  }
  if (!skip_given) {
    cmd.source.skip.emplace_back("/.slim");
  }
  return cmd;
}

} // namespace

const char* mode_name(Mode mode) {
  switch (mode) {
  case Mode::fanotify:
    return "fanotify";
  case Mode::ptrace:
    return "ptrace";
  case Mode::both:
    break;
  }
  return "both";
}

std::optional<int> parse_signal(std::string_view text) {
  int number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec == std::errc() && end == text.data() + text.size()) {
    return number > 0 && number < 65 ? std::optional<int>(number) : std::nullopt;
  }
  if (text.starts_with("SIG")) {
    text.remove_prefix(3);
  }
  for (const auto& [name, value] : k_signals) {
    if (text == name) {
      return value;
    }
  }
  return std::nullopt;
}

Result<Command> parse_command_line(const std::vector<std::string>& args) {
  Command cmd;
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    cmd.kind = Command::Kind::help;
    return cmd;
  }
  if (args[0] == "--version" || args[0] == "version") {
    cmd.kind = Command::Kind::version;
    return cmd;
  }
  const std::string& sub = args[0];
  if (sub == "run" || sub == "exec") {
    return parse_run_or_exec(args);
  }
  if (sub == "ctl") {
    return parse_ctl(args);
  }
  if (sub == "probe") {
    return parse_probe(args);
  }
  if (sub == "source") {
    return parse_source(args);
  }
  return fail("unknown command `" + sub + "` (run, exec, ctl, probe, source, --version)");
}

std::string usage_text() {
  return "usage:\n"
         "  sensor run [--report PATH] [--mode both|fanotify|ptrace] [--user USER[:GROUP]]\n"
         "             [--workdir DIR] [--stop-signal SIG] [--stop-grace SECONDS]\n"
         "             [--keep-cap CAP]... -- CMD [ARG...]\n"
         "  sensor ctl stop [--signal SIG] [--grace SECONDS]\n"
         "  sensor exec [--user USER[:GROUP]] [--workdir DIR] [--keep-cap CAP]... -- CMD [ARG...]\n"
         "  sensor probe URL [--method M] [--header 'Name: value']... [--data BODY]\n"
         "               [--timeout SECONDS] [--retries N] [--retry-delay SECONDS]\n"
         "  sensor probe --batch IN OUT\n"
         "  sensor source serve [--timeout SECONDS]\n"
         "  sensor source index [--volume DIR]... [--skip PATH]...\n"
         "  sensor source read   (requests on stdin, answers on stdout)\n"
         "  sensor --version\n";
}

} // namespace slim::sensor
