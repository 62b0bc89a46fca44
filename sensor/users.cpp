#include "sensor/users.hpp"

#include <charconv>
#include <optional>

namespace slim::sensor {

namespace {

std::vector<std::string_view> split_fields(std::string_view line, char sep) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (true) {
    auto pos = line.find(sep, start);
    if (pos == std::string_view::npos) {
      fields.push_back(line.substr(start));
      return fields;
    }
    fields.push_back(line.substr(start, pos - start));
    start = pos + 1;
  }
}

std::optional<unsigned long> parse_id(std::string_view text) {
  unsigned long value = 0;
  if (text.empty()) {
    return std::nullopt;
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > 0xFFFFFFFEUL) {
    return std::nullopt;
  }
  return value;
}

template <typename Fn> void for_each_line(std::string_view text, Fn fn) {
  while (!text.empty()) {
    auto eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (line.empty() || line.front() == '#') {
      continue;
    }
    fn(line);
  }
}

} // namespace

std::vector<PasswdEntry> parse_passwd(std::string_view text) {
  std::vector<PasswdEntry> out;
  for_each_line(text, [&](std::string_view line) {
    auto f = split_fields(line, ':');
    if (f.size() < 4) {
      return;
    }
    auto uid = parse_id(f[2]);
    auto gid = parse_id(f[3]);
    if (!uid || !gid || f[0].empty()) {
      return;
    }
    out.push_back({std::string(f[0]), static_cast<uid_t>(*uid), static_cast<gid_t>(*gid),
                   f.size() > 5 ? std::string(f[5]) : std::string()});
  });
  return out;
}

std::vector<GroupEntry> parse_group(std::string_view text) {
  std::vector<GroupEntry> out;
  for_each_line(text, [&](std::string_view line) {
    auto f = split_fields(line, ':');
    if (f.size() < 3) {
      return;
    }
    auto gid = parse_id(f[2]);
    if (!gid || f[0].empty()) {
      return;
    }
    GroupEntry entry{std::string(f[0]), static_cast<gid_t>(*gid), {}};
    if (f.size() > 3 && !f[3].empty()) {
      for (auto member : split_fields(f[3], ',')) {
        if (!member.empty()) {
          entry.members.emplace_back(member);
        }
      }
    }
    out.push_back(std::move(entry));
  });
  return out;
}

Result<ResolvedUser> resolve_user(std::string_view spec, std::string_view passwd_text,
                                  std::string_view group_text) {
  std::string_view user_part = spec;
  std::string_view group_part;
  bool group_given = false;
  if (auto colon = spec.find(':'); colon != std::string_view::npos) {
    user_part = spec.substr(0, colon);
    group_part = spec.substr(colon + 1);
    group_given = !group_part.empty();
  }
  ResolvedUser out;
  const PasswdEntry* matched = nullptr;
  auto passwd = parse_passwd(passwd_text);
  auto user_id = parse_id(user_part);
  for (const auto& entry : passwd) {
    if (user_id ? entry.uid == *user_id : entry.name == user_part) {
      matched = &entry;
      break;
    }
  }
  if (matched != nullptr) {
    out.uid = matched->uid;
    out.gid = matched->gid;
    out.home = matched->home.empty() ? "/" : matched->home;
    out.found = true;
  } else if (user_id) {
    out.uid = static_cast<uid_t>(*user_id);
  } else if (user_part.empty()) {
    out.uid = 0;
  } else {
    return Result<ResolvedUser>::fail("unable to find user `" + std::string(user_part) +
                                      "`: no matching entries in /etc/passwd");
  }
  if (!group_given && matched == nullptr) {
    return out;
  }
  auto groups = parse_group(group_text);
  if (group_given) {
    if (auto gid = parse_id(group_part)) {
      out.gid = static_cast<gid_t>(*gid);
      return out;
    }
    for (const auto& group : groups) {
      if (group.name == group_part) {
        out.gid = group.gid;
        return out;
      }
    }
    return Result<ResolvedUser>::fail("unable to find group `" + std::string(group_part) +
                                      "`: no matching entries in /etc/group");
  }
  for (const auto& group : groups) {
    for (const auto& member : group.members) {
      if (member == matched->name) {
        out.groups.push_back(group.gid);
        break;
      }
    }
  }
  return out;
}

} // namespace slim::sensor
