#include "slim/image/xray.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <string>

namespace slim::image {

namespace {

XrayFile file_of(const Entry& e) {
  return XrayFile{e.path, static_cast<std::uint64_t>(e.size), e.mode, e.uid, e.gid};
}

std::string top_dir(const std::string& path) {
  auto slash = path.find('/', 1);
  return slash == std::string::npos ? "/" : path.substr(0, slash);
}

nlohmann::json file_json(const XrayFile& f) {
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", f.mode);
  return {{"path", f.path}, {"size", f.size}, {"mode", mode}, {"uid", f.uid}, {"gid", f.gid}};
}

std::string shorten(std::string s, std::size_t width) {
  for (char& c : s) {
    if (c == '\n' || c == '\t') {
      c = ' ';
    }
  }
  if (s.size() > width) {
    s = s.substr(0, width - 3) + "...";
  }
  return s;
}

} // namespace

std::string human_size(std::uint64_t bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1000.0 && u < 4) {
    v /= 1000.0;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

XrayReport xray(const SourceImage& image, const std::string& name, std::uint64_t engine_size,
                std::size_t top) {
  XrayReport r;
  r.image = name;
  r.id = image.config_digest;
  r.size = engine_size;
  for (const auto& l : image.layers) {
    r.layers.push_back(XrayLayer{l.digest, l.diff_id, l.file_bytes, l.tar.size, l.entries,
                                 l.whiteouts, l.created_by});
  }
  std::map<std::string, std::uint64_t> dirs;
  image.index.for_each([&](const Entry& e) {
    ++r.paths;
    if (e.type != EntryType::regular) {
      return;
    }
    auto size = static_cast<std::uint64_t>(e.size);
    r.files_size += size;
    dirs[top_dir(e.path)] += size;
    r.largest.push_back(file_of(e));
    if ((e.mode & 06000U) != 0) {
      r.setuid.push_back(file_of(e));
    }
    if (e.xattrs.count("security.capability") != 0) {
      r.capabilities.push_back(file_of(e));
    }
  });
  auto by_size = [](const XrayFile& a, const XrayFile& b) {
    return a.size != b.size ? a.size > b.size : a.path < b.path;
  };
  std::size_t keep = std::min(top, r.largest.size());
  std::partial_sort(r.largest.begin(), r.largest.begin() + static_cast<std::ptrdiff_t>(keep),
                    r.largest.end(), by_size);
  r.largest.resize(keep);
  r.top_dirs.assign(dirs.begin(), dirs.end());
  std::sort(r.top_dirs.begin(), r.top_dirs.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (r.top_dirs.size() > top) {
    r.top_dirs.resize(top);
  }
  r.wasted_bytes = static_cast<std::uint64_t>(image.waste.wasted_bytes());
  r.efficiency = image.waste.efficiency();
  for (const auto& [path, cost] : image.waste.inefficient(top)) {
    r.wasted.push_back(XrayWaste{path, static_cast<std::uint64_t>(cost.cumulative), cost.count});
  }
  return r;
}

nlohmann::json to_json(const XrayReport& r) {
  nlohmann::json layers = nlohmann::json::array();
  for (std::size_t i = 0; i < r.layers.size(); ++i) {
    const auto& l = r.layers[i];
    layers.push_back({{"index", i},
                      {"digest", l.digest},
                      {"diff_id", l.diff_id},
                      {"size", l.size},
                      {"tar_size", l.tar_size},
                      {"entries", l.entries},
                      {"whiteouts", l.whiteouts},
                      {"created_by", l.created_by}});
  }
  auto files = [](const std::vector<XrayFile>& v) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& f : v) {
      out.push_back(file_json(f));
    }
    return out;
  };
  nlohmann::json wasted = nlohmann::json::array();
  for (const auto& w : r.wasted) {
    wasted.push_back({{"path", w.path}, {"bytes", w.bytes}, {"layers", w.count}});
  }
  nlohmann::json dirs = nlohmann::json::array();
  for (const auto& [d, s] : r.top_dirs) {
    dirs.push_back({{"path", d}, {"size", s}});
  }
  return {{"image", r.image},
          {"id", r.id},
          {"size", r.size},
          {"files_size", r.files_size},
          {"paths", r.paths},
          {"layers", layers},
          {"largest_files", files(r.largest)},
          {"wasted_bytes", r.wasted_bytes},
          {"efficiency", r.efficiency},
          {"wasted_files", wasted},
          {"top_directories", dirs},
          {"setuid_setgid_files", files(r.setuid)},
          {"capability_files", files(r.capabilities)}};
}

namespace {

// A name from the image made safe for a terminal: control bytes (newlines, escape sequences a
// hostile image could use to rewrite the screen) become \n, \t or \xNN.
std::string printable(std::string_view name) {
  std::string out;
  for (unsigned char c : name) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f || c == '\\') {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

} // namespace

std::string to_text(const XrayReport& r) {
  std::string out;
  char line[512];
  auto add = [&out, &line](int n) {
    if (n > 0) {
      out.append(line, std::min<std::size_t>(static_cast<std::size_t>(n), sizeof line - 1));
    }
  };
  add(std::snprintf(line, sizeof line, "image:      %s\nid:         %s\n",
                    printable(r.image).c_str(), r.id.c_str()));
  add(std::snprintf(line, sizeof line, "size:       %s (%llu bytes, engine)\n",
                    human_size(r.size).c_str(), static_cast<unsigned long long>(r.size)));
  add(std::snprintf(line, sizeof line, "files:      %llu paths, %s in regular files\n",
                    static_cast<unsigned long long>(r.paths), human_size(r.files_size).c_str()));
  add(std::snprintf(line, sizeof line, "efficiency: %.2f %%  (wasted: %s)\n\n",
                    r.efficiency * 100.0, human_size(r.wasted_bytes).c_str()));
  add(std::snprintf(line, sizeof line, "%-3s  %-19s  %10s  %8s  %s\n", "#", "layer", "size",
                    "entries", "created by"));
  for (std::size_t i = 0; i < r.layers.size(); ++i) {
    const auto& l = r.layers[i];
    add(std::snprintf(line, sizeof line, "%-3zu  %-19s  %10s  %8llu  %s\n", i,
                      l.digest.substr(0, 19).c_str(), human_size(l.size).c_str(),
                      static_cast<unsigned long long>(l.entries),
                      printable(shorten(l.created_by, 80)).c_str()));
  }
  auto file_table = [&](const char* title, const std::vector<XrayFile>& files) {
    if (files.empty()) {
      return;
    }
    add(std::snprintf(line, sizeof line, "\n%s\n", title));
    for (const auto& f : files) {
      add(std::snprintf(line, sizeof line, "  %10s  %04o  %5u:%-5u  %s\n",
                        human_size(f.size).c_str(), f.mode, f.uid, f.gid,
                        printable(f.path).c_str()));
    }
  };
  file_table("largest files:", r.largest);
  if (!r.wasted.empty()) {
    add(std::snprintf(line, sizeof line, "\nwasted (overwritten or deleted by a later layer):\n"));
    for (const auto& w : r.wasted) {
      add(std::snprintf(line, sizeof line, "  %10s  %2u layers  %s\n", human_size(w.bytes).c_str(),
                        w.count, printable(w.path).c_str()));
    }
  }
  add(std::snprintf(line, sizeof line, "\nsize by top directory:\n"));
  for (const auto& [d, s] : r.top_dirs) {
    add(std::snprintf(line, sizeof line, "  %10s  %s\n", human_size(s).c_str(),
                      printable(d).c_str()));
  }
  file_table("setuid/setgid files:", r.setuid);
  file_table("files with capabilities:", r.capabilities);
  return out;
}

std::vector<XrayCiResult> check_ci(const XrayReport& report, const XrayCiRules& rules) {
  std::vector<XrayCiResult> out;
  auto two = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4f", v);
    return std::string(buf);
  };
  if (rules.lowest_efficiency) {
    bool ok = report.efficiency >= *rules.lowest_efficiency;
    out.push_back({"lowestEfficiency", ok,
                   "efficiency " + two(report.efficiency) + (ok ? " >= " : " < ") +
                       two(*rules.lowest_efficiency)});
  }
  if (rules.highest_wasted_bytes) {
    bool ok = report.wasted_bytes <= *rules.highest_wasted_bytes;
    out.push_back({"highestWastedBytes", ok,
                   "wasted " + human_size(report.wasted_bytes) + (ok ? " <= " : " > ") +
                       human_size(*rules.highest_wasted_bytes)});
  }
  if (rules.highest_wasted_percent) {
    std::uint64_t size = report.size > 0 ? report.size : report.files_size;
    double share =
        size > 0 ? static_cast<double>(report.wasted_bytes) / static_cast<double>(size) : 0.0;
    bool ok = share <= *rules.highest_wasted_percent;
    out.push_back({"highestUserWastedPercent", ok,
                   "wasted share " + two(share) + (ok ? " <= " : " > ") +
                       two(*rules.highest_wasted_percent)});
  }
  return out;
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  while (!text.empty() && text.back() == ' ') {
    text.remove_suffix(1);
  }
  std::size_t digits = 0;
  while (digits < text.size() &&
         ((text[digits] >= '0' && text[digits] <= '9') || text[digits] == '.')) {
    ++digits;
  }
  if (digits == 0) {
    return std::nullopt;
  }
  double value = 0;
  try {
    value = std::stod(std::string(text.substr(0, digits)));
  } catch (...) {
    return std::nullopt;
  }
  std::string unit(text.substr(digits));
  while (!unit.empty() && unit.front() == ' ') {
    unit.erase(0, 1);
  }
  for (char& c : unit) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  double factor = 0;
  if (unit.empty() || unit == "b") {
    factor = 1;
  } else if (unit == "k" || unit == "kb") {
    factor = 1e3;
  } else if (unit == "m" || unit == "mb") {
    factor = 1e6;
  } else if (unit == "g" || unit == "gb") {
    factor = 1e9;
  } else if (unit == "kib") {
    factor = 1024.0;
  } else if (unit == "mib") {
    factor = 1024.0 * 1024;
  } else if (unit == "gib") {
    factor = 1024.0 * 1024 * 1024;
  } else {
    return std::nullopt;
  }
  double bytes = value * factor;
  if (bytes < 0 || bytes > 1.8e19) {
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(bytes);
}

} // namespace slim::image
