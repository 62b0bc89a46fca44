#include "slim/pipeline/options.hpp"

#include "slim/util/error.hpp"

#include <cctype>
#include <charconv>

namespace slim::pipeline {

ContinueAfter parse_continue_after(const std::string& text) {
  using K = ContinueAfter::Kind;
  if (text == "probe") {
    return {K::probe, 0};
  }
  if (text == "exec") {
    return {K::exec, 0};
  }
  if (text == "exit") {
    return {K::exit, 0};
  }
  if (text == "signal") {
    return {K::signal, 0};
  }
  if (text == "enter") {
    return {K::enter, 0};
  }
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) {
    int n = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec == std::errc() && n > 0) {
      return {K::timeout, n}; // DockerSlim: --continue-after 10 means ten seconds
    }
  }
  if (text.rfind("timeout:", 0) == 0) {
    int n = 0;
    const char* b = text.data() + 8;
    const char* e = text.data() + text.size();
    auto [p, ec] = std::from_chars(b, e, n);
    if (ec == std::errc() && p == e && n > 0) {
      return {K::timeout, n};
    }
  }
  throw Error("invalid --continue-after `" + text +
              "`: expected probe, exec, exit, timeout:SECONDS (or SECONDS), signal or enter");
}

std::string docker_capability(const std::string& name) {
  std::string out;
  for (char c : name) {
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (out.rfind("CAP_", 0) == 0) {
    out.erase(0, 4);
  }
  if (out.empty() ||
      out.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != std::string::npos) {
    throw Error("invalid --cap-add `" + name + "`: expected a capability name such as NET_ADMIN");
  }
  if (out == "ALL") {
    throw Error("--cap-add ALL is not supported: name the capabilities the app needs");
  }
  return out;
}

} // namespace slim::pipeline
