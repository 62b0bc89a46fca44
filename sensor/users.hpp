#pragma once
// Docker's USER semantics from the image's own /etc/passwd and /etc/group text (pure):
// `user`, `uid`, `user:group`, `uid:gid`, mixed forms, supplementary groups.

#include "slim/util/error.hpp"

#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace slim::sensor {

/// One /etc/passwd line.
struct PasswdEntry {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home;
};

/// One /etc/group line.
struct GroupEntry {
  std::string name;
  gid_t gid = 0;
  std::vector<std::string> members;
};

/// The parsed entries of passwd text (malformed lines are skipped).
std::vector<PasswdEntry> parse_passwd(std::string_view text);
/// The parsed entries of group text (malformed lines are skipped).
std::vector<GroupEntry> parse_group(std::string_view text);

/// Who the app runs as.
struct ResolvedUser {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups; ///< supplementary groups (setgroups), possibly empty
  std::string home = "/";    ///< the user's home from passwd, "/" when not listed
  bool found = false;        ///< the user was found in passwd
};

/// Resolves `spec` (USER[:GROUP], names or numbers) like runc does for Docker: a numeric user
/// not in passwd gets gid 0; supplementary groups are the groups listing the user by name,
/// only when no group is given. Error text names what is missing.
Result<ResolvedUser> resolve_user(std::string_view spec, std::string_view passwd_text,
                                  std::string_view group_text);

} // namespace slim::sensor
