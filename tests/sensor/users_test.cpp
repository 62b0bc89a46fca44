#include "sensor/users.hpp"

#include <gtest/gtest.h>

using namespace slim::sensor;

namespace {

const char* k_passwd = "root:x:0:0:root:/root:/bin/bash\n"
                       "# comment\n"
                       "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
                       "app:x:1000:1001:App:/home/app:/bin/sh\n"
                       "broken line\n";
const char* k_group = "root:x:0:\n"
                      "staff:x:50:app,other\n"
                      "appgrp:x:1001:\n"
                      "users:x:100:app\n"
                      "nogroup:x:65534:\n";

} // namespace

TEST(SensorUsers, ParsesPasswdAndGroup) {
  auto users = parse_passwd(k_passwd);
  ASSERT_EQ(users.size(), 3U);
  EXPECT_EQ(users[2].name, "app");
  EXPECT_EQ(users[2].uid, 1000U);
  EXPECT_EQ(users[2].gid, 1001U);
  EXPECT_EQ(users[2].home, "/home/app");
  auto groups = parse_group(k_group);
  ASSERT_EQ(groups.size(), 5U);
  EXPECT_EQ(groups[1].members, (std::vector<std::string>{"app", "other"}));
}

TEST(SensorUsers, NameGetsPrimaryGroupAndSupplementaryGroups) {
  auto u = resolve_user("app", k_passwd, k_group);
  ASSERT_TRUE(u.ok()) << u.error();
  EXPECT_EQ(u.value().uid, 1000U);
  EXPECT_EQ(u.value().gid, 1001U);
  EXPECT_EQ(u.value().groups, (std::vector<gid_t>{50, 100}));
  EXPECT_EQ(u.value().home, "/home/app");
}

TEST(SensorUsers, ExplicitGroupByNameOrIdAndNoSupplementaryGroups) {
  auto by_name = resolve_user("app:staff", k_passwd, k_group);
  ASSERT_TRUE(by_name.ok());
  EXPECT_EQ(by_name.value().gid, 50U);
  EXPECT_TRUE(by_name.value().groups.empty());
  auto by_id = resolve_user("1000:4242", k_passwd, k_group);
  ASSERT_TRUE(by_id.ok());
  EXPECT_EQ(by_id.value().uid, 1000U);
  EXPECT_EQ(by_id.value().gid, 4242U);
}

TEST(SensorUsers, UnknownNumericUserGetsGidZero) {
  auto u = resolve_user("4321", k_passwd, k_group);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u.value().uid, 4321U);
  EXPECT_EQ(u.value().gid, 0U);
  EXPECT_EQ(u.value().home, "/");
  EXPECT_FALSE(u.value().found);
  auto no_files = resolve_user("12:34", "", "");
  ASSERT_TRUE(no_files.ok());
  EXPECT_EQ(no_files.value().gid, 34U);
}

TEST(SensorUsers, UnknownNamesFailWithTheName) {
  auto u = resolve_user("ghost", k_passwd, k_group);
  ASSERT_FALSE(u.ok());
  EXPECT_NE(u.error().find("`ghost`"), std::string::npos);
  auto g = resolve_user("app:ghosts", k_passwd, k_group);
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.error().find("`ghosts`"), std::string::npos);
}
