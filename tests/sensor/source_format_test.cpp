#include "sensor/args.hpp"
#include "sensor/source_format.hpp"

#include <gtest/gtest.h>

using namespace slim::sensor;

TEST(SourceFormat, RecordsOfEveryKind) {
  IndexEntry f{.kind = 'f',
               .path = "/a b/\xff\n",
               .mode = 04755,
               .uid = 1,
               .gid = 2,
               .mtime = -3,
               .mtime_nsec = 4,
               .size = 5,
               .inode = "64:9",
               .xattrs = {{"security.capability", std::string("\x01\0", 2)}, {"user.e", ""}}};
  EXPECT_EQ(index_record(f), "f /a%20b/\xff%0A 4755 1 2 -3 4 5 64:9\n"
                             "x security.capability 0100\n"
                             "x user.e -\n");
  EXPECT_EQ(index_record({.kind = 'd', .path = "/", .mode = 0755}), "d / 0755 0 0 0 0\n");
  EXPECT_EQ(index_record({.kind = 'f', .path = "/x", .mode = 0644}), "f /x 0644 0 0 0 0 0 -\n");
  EXPECT_EQ(index_record({.kind = 'l', .path = "/l", .mode = 0777, .target = "../a b"}),
            "l /l 0777 0 0 0 0 ../a%20b\n");
  EXPECT_EQ(index_record({.kind = 'c', .path = "/n", .mode = 0666, .major = 1, .minor = 3}),
            "c /n 0666 0 0 0 0 1 3\n");
  EXPECT_EQ(warning_record("cannot stat /x"), "w cannot%20stat%20/x\n");
}

TEST(SourceFormat, EscapesRoundTrip) {
  std::string all;
  for (int c = 0; c < 256; ++c) {
    all += static_cast<char>(c);
  }
  EXPECT_EQ(unescape_field(escape_field(all)), all);
  EXPECT_EQ(unescape_field("%2"), std::nullopt);
  EXPECT_EQ(unescape_field("a b"), std::nullopt);
}

TEST(SourceFormat, ReadRequests) {
  auto r = parse_read_line("r 65536 /usr/lib/a%20b");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->max, 65536u);
  EXPECT_EQ(r->path, "/usr/lib/a b");
  for (const char* bad :
       {"r 10 relative", "r x /a", "r 10", "r  /a", "q 10 /a", "r 10 /a%zz", "r -1 /a"}) {
    EXPECT_FALSE(parse_read_line(bad)) << bad;
  }
}

TEST(SourceFormat, MountPointsOfTheMountTable) {
  const char* table =
      "104 57 0:42 / / rw,relatime master:3 - overlay overlay rw,lowerdir=/x\n"
      "105 104 0:45 / /proc rw,nosuid - proc proc rw\n"
      "121 104 254:0 /var/lib/docker/containers/c/hosts /etc/hosts rw - ext4 /dev/vda rw\n"
      "130 104 254:0 /v /my\\040data rw - ext4 /dev/vda rw\n"
      "garbage\n";
  EXPECT_EQ(mount_points(table), (std::vector<std::string>{"/proc", "/etc/hosts", "/my data"}));
}

TEST(SourceFormat, TheSourceCommandLine) {
  auto c = parse_command_line({"source", "index", "--volume", "/data", "--volume=/v2"});
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c.value().kind, Command::Kind::source);
  EXPECT_EQ(c.value().source.action, SourceOptions::Action::index);
  EXPECT_EQ(c.value().source.volumes, (std::vector<std::string>{"/data", "/v2"}));
  EXPECT_EQ(c.value().source.skip, std::vector<std::string>{"/.slim"});
  auto s = parse_command_line({"source", "serve", "--timeout", "5"});
  ASSERT_TRUE(s);
  EXPECT_DOUBLE_EQ(s.value().source.timeout, 5.0);
  EXPECT_EQ(parse_command_line({"source", "read"}).value().source.action,
            SourceOptions::Action::read);
  EXPECT_FALSE(parse_command_line({"source"}));
  EXPECT_FALSE(parse_command_line({"source", "walk"}));
  EXPECT_FALSE(parse_command_line({"source", "index", "--volume", "rel"}));
  EXPECT_FALSE(parse_command_line({"source", "read", "--volume", "/x"}));
  EXPECT_FALSE(parse_command_line({"source", "serve", "--timeout", "0"}));
  EXPECT_FALSE(parse_command_line({"source", "serve", "--skip", "/x"}));
}
