// compare_observations: strict where slimming damage shows (answers, statuses, redirects, exit
// codes, the app dying, new "missing file" errors), tolerant of a working app's drift in
// bodies and outputs (output_compare).
#include "slim/verify/error_lines.hpp"
#include "slim/verify/observation.hpp"
#include "slim/verify/output_compare.hpp"
#include "slim/verify/utf8_text.hpp"
#include "slim/verify/volatile_tokens.hpp"

#include <algorithm>

namespace slim::verify {

namespace {

// New error lines reported per output (each is one Difference).
constexpr std::size_t k_max_new_error_lines = 3;
// Bytes of an output quoted in a Difference's `original` and `result`.
constexpr std::size_t k_quote_bytes = 100;

using Kind = OutputVerdict::Kind;
using probe::ProbeOutcome;

std::string describe(const ProbeOutcome& p) {
  if (!p.ok()) {
    return (p.request.protocol == "tcp" ? "no connection (" : "no response (") +
           printable(clip_utf8(p.error, 200)) + ")";
  }
  return p.request.protocol == "tcp" ? std::string("connected")
                                     : "status " + std::to_string(*p.status);
}

std::string quote(std::string_view out) {
  if (out.empty()) {
    return "no output";
  }
  return std::to_string(out.size()) + " bytes: " + printable(clip_utf8(out, k_quote_bytes));
}

std::string describe_body(const ProbeOutcome& p) {
  return (p.content_type.empty() ? "" : printable(clip_utf8(p.content_type, 60)) + ", ") +
         std::to_string(p.size) + " bytes";
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return out;
}

bool whole_body(const ProbeOutcome& p) {
  return !p.body_truncated && static_cast<std::int64_t>(p.body.size()) == p.size;
}

// Text: a textual Content-Type, or valid UTF-8 (a cut last character aside); never with NUL.
bool looks_like_text(const ProbeOutcome& p) {
  if (p.body.find('\0') != std::string::npos) {
    return false;
  }
  const std::string ct = lower_ascii(p.content_type);
  if (ct.rfind("text/", 0) == 0 || ct.find("json") != std::string::npos ||
      ct.find("xml") != std::string::npos || ct.find("javascript") != std::string::npos) {
    return true;
  }
  std::string_view body = p.body;
  if (!whole_body(p)) {
    // The capture may end inside a character: drop its lead and continuation bytes.
    std::size_t q = body.size();
    while (q > 0 && body.size() - q < 3 &&
           (static_cast<unsigned char>(body[q - 1]) & 0xC0) == 0x80) {
      --q;
    }
    if (q > 0 && static_cast<unsigned char>(body[q - 1]) >= 0xC0) {
      body = body.substr(0, q - 1);
    }
  }
  return is_valid_utf8(body);
}

void add_new_errors(std::vector<std::string_view> originals, std::string_view result,
                    const std::string& what, const char* where, Comparison& c) {
  for (auto& line : new_error_lines(originals, result, k_max_new_error_lines)) {
    c.differences.push_back({what, std::string("not in ") + where, printable(line), ""});
  }
}

void compare_body(const std::string& what, const ProbeOutcome& ref, const ProbeOutcome* other,
                  const ProbeOutcome& r, bool errors_found, const CompareOptions& options,
                  Comparison& c) {
  const bool stable = other == nullptr || other->sha256 == ref.sha256;
  const bool text = looks_like_text(ref) && looks_like_text(r);
  if (!text) {
    if (stable && other != nullptr) {
      c.differences.push_back({what, "sha256 " + ref.sha256 + " (" + describe_body(ref) + ")",
                               "sha256 " + r.sha256 + " (" + describe_body(r) + ")", ""});
    } else {
      c.drift.push_back({what, other == nullptr
                                   ? "binary and the original answered once: not compared"
                                   : "binary and different between the original's own two "
                                     "answers: not compared"});
    }
    return;
  }
  const bool truncated = !whole_body(ref) || !whole_body(r) || (other && !whole_body(*other));
  if ((ref.body.empty() && ref.size > 0) || (r.body.empty() && r.size > 0)) {
    if (stable) {
      c.differences.push_back({what, "sha256 " + ref.sha256 + " (" + describe_body(ref) + ")",
                               "sha256 " + r.sha256 + " (" + describe_body(r) +
                                   "; the body was not captured to compare it as text)",
                               ""});
    } else {
      c.drift.push_back({what, "the body was not captured: not compared"});
    }
    return;
  }
  std::string note;
  if (truncated) {
    // The sizes are known in full: a body that lost much of its length differs, whatever its
    // captured first bytes say.
    const auto small = static_cast<double>(std::min(ref.size, r.size));
    const auto total = static_cast<double>(ref.size + r.size);
    if (total > 0 && 2 * small / total < options.min_similarity) {
      c.differences.push_back({what, describe_body(ref),
                               describe_body(r) + " (the captured first bytes were compared; the "
                                                  "sizes alone are too far apart)",
                               ""});
      return;
    }
    note = "; compared the first " + std::to_string(std::min(ref.body.size(), r.body.size())) +
           " bytes captured (the rest was not)";
  }
  std::optional<std::string_view> second;
  if (other != nullptr) {
    second = other->body;
  }
  OutputVerdict v = compare_output(ref.body, second, r.body, options);
  if (v.kind == Kind::same) {
    if (truncated) {
      c.drift.push_back({what, "the captured first bytes are equal" + note});
    }
  } else if (v.kind == Kind::drift) {
    if (!errors_found) {
      c.drift.push_back({what, v.how + note});
    }
  } else {
    c.differences.push_back(
        {what, describe_body(ref), describe_body(r) + ", " + v.how + note, v.excerpt});
  }
}

void compare_probe(const ProbeObservation& o, const ProbeOutcome& r, const CompareOptions& options,
                   Comparison& c) {
  const std::string what = o.first.request.describe();
  if (o.first.ok() != r.ok()) {
    c.differences.push_back({what, describe(o.first), describe(r), ""});
    return;
  }
  if (!o.first.ok() || o.first.request.protocol == "tcp") {
    return;
  }
  // Compared with the original's first answer, or its second when only that one's status is the
  // result's: what the original itself did is drift.
  const ProbeOutcome* ref = &o.first;
  const ProbeOutcome* other = o.second && o.second->ok() ? &*o.second : nullptr;
  bool status_differs = false;
  if (*r.status != *ref->status) {
    if (other != nullptr && *other->status == *r.status) {
      c.drift.push_back({what + ": status", "the original itself answered status " +
                                                std::to_string(*ref->status) + ", then " +
                                                std::to_string(*other->status)});
      std::swap(ref, other);
    } else {
      c.differences.push_back({what + ": status", describe(*ref), describe(r), ""});
      status_differs = true;
    }
  }
  const bool bodies_differ = r.sha256 != ref->sha256 || r.size != ref->size;
  bool errors_found = false;
  if (bodies_differ && looks_like_text(r)) {
    // Also with a changed status: the body may name the cause.
    std::vector<std::string_view> originals{ref->body};
    if (other != nullptr) {
      originals.push_back(other->body);
    }
    std::size_t before = c.differences.size();
    add_new_errors(originals, r.body, what + ": body", "the original's answer", c);
    errors_found = c.differences.size() > before;
  }
  if (status_differs) {
    return;
  }
  if (ref->location != r.location) {
    const MaskedText a = mask_volatile(ref->location);
    const MaskedText b = mask_volatile(r.location);
    if (a.text == b.text) {
      c.drift.push_back(
          {what + ": redirect",
           "Location: " + describe_counts(changed_tokens(ref->location, a, r.location, b)) +
               " masked"});
    } else if (other != nullptr && mask_volatile(other->location).text != a.text) {
      c.drift.push_back({what + ": redirect", "Location differed between the original's own "
                                              "two answers too"});
    } else {
      c.differences.push_back({what + ": redirect",
                               "Location: " + printable(clip_utf8(ref->location, 200)),
                               "Location: " + printable(clip_utf8(r.location, 200)), ""});
    }
  }
  if (bodies_differ) {
    compare_body(what + ": body", *ref, other, r, errors_found, options, c);
  }
}

void compare_exec(const ExecObservation& o, const ExecObservation& r, const CompareOptions& options,
                  Comparison& c) {
  const std::string what = "exec `" + o.command + "`";
  bool exit_differs = o.exit_code != r.exit_code;
  if (exit_differs) {
    c.differences.push_back(
        {what + ": exit code", std::to_string(o.exit_code), std::to_string(r.exit_code), ""});
  }
  std::size_t before = c.differences.size();
  if (o.out != r.out) {
    add_new_errors({o.out}, r.out, what + ": output", "the original's output", c);
  }
  bool errors_found = c.differences.size() > before;
  if (exit_differs || o.out == r.out) {
    return; // a changed exit code is the difference; its output would only repeat it
  }
  OutputVerdict v = compare_output(o.out, std::nullopt, r.out, options);
  if (v.kind == Kind::drift && !errors_found) {
    c.drift.push_back({what + ": output", v.how});
  } else if (v.kind == Kind::difference) {
    c.differences.push_back(
        {what + ": output", quote(o.out), v.how + ", " + quote(r.out), v.excerpt});
  }
}

} // namespace

Comparison compare_observations(const Observation& original, const Observation& result,
                                const CompareOptions& options) {
  Comparison c;
  for (std::size_t i = 0; i < original.probes.size(); ++i) {
    const auto& o = original.probes[i];
    if (i >= result.probes.size()) {
      c.differences.push_back({o.first.request.describe(), describe(o.first), "not probed", ""});
      continue;
    }
    compare_probe(o, result.probes[i].first, options, c);
  }
  for (std::size_t i = 0; i < original.execs.size(); ++i) {
    const auto& o = original.execs[i];
    if (i >= result.execs.size()) {
      c.differences.push_back(
          {"exec `" + o.command + "`", "exit " + std::to_string(o.exit_code), "not run", ""});
      continue;
    }
    compare_exec(o, result.execs[i], options, c);
  }
  if (original.logs != result.logs) {
    add_new_errors({original.logs}, result.logs, "the app's output", "the original's output", c);
  }
  if (original.app_exit && result.app_exit && *original.app_exit != *result.app_exit) {
    c.differences.push_back({"the app's exit status", std::to_string(*original.app_exit),
                             std::to_string(*result.app_exit), ""});
  } else if (original.app_exit && !result.app_exit) {
    c.differences.push_back(
        {"the app's exit status", std::to_string(*original.app_exit), "did not exit", ""});
  }
  if (original.running_at_end && !result.running_at_end) {
    c.differences.push_back(
        {"the app", "ran to the end of the exercise",
         "exited during the verification" +
             (result.app_exit ? " with status " + std::to_string(*result.app_exit) : ""),
         ""});
  }
  return c;
}

} // namespace slim::verify
