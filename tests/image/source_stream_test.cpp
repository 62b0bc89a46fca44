#include "slim/image/source_stream.hpp"

#include <gtest/gtest.h>

namespace slim::image {
namespace {

const char* k_stream = "slim-source-index 1\n"
                       "d / 0755 0 0 1700000000 5\n"
                       "d /etc 0750 0 4 1700000001 0\n"
                       "f /etc/a%20b%0Ac 0644 1000 1000 -5 999999999 12 -\n"
                       "x security.capability 0100000200200000\n"
                       "x user.empty -\n"
                       "f /bin/x 4755 0 0 1 0 3 64:9\n"
                       "f /bin/y 4755 0 0 1 0 3 64:9\n"
                       "f /bin/z 0755 0 0 1 0 3 64:10\n"
                       "l /bin/sh 0777 0 0 1 0 busybox\n"
                       "c /dev-null 0666 0 0 1 0 1 3\n"
                       "b /loop 0660 0 6 1 0 7 9\n"
                       "p /fifo 0600 0 0 1 0\n"
                       "w cannot%20stat%20/x\n"
                       "end 10\n";

IndexStreamParser parse(std::string_view text, IndexLimits limits = {}) {
  IndexStreamParser p(limits);
  p.feed(text);
  p.finish();
  return p;
}

TEST(IndexStream, ParsesEveryKindOfEntry) {
  auto p = parse(k_stream);
  FileIndex& idx = p.index();
  EXPECT_EQ(idx.size(), 10u);
  const Entry* odd = idx.find("/etc/a b\nc");
  ASSERT_NE(odd, nullptr);
  EXPECT_EQ(odd->type, EntryType::regular);
  EXPECT_EQ(odd->mode, 0644u);
  EXPECT_EQ(odd->uid, 1000u);
  EXPECT_EQ(odd->mtime, -5);
  EXPECT_EQ(odd->mtime_nsec, 999999999u);
  EXPECT_EQ(odd->size, 12);
  EXPECT_EQ(odd->xattrs.at("security.capability"), std::string("\x01\0\0\x02\0\x20\0\0", 8));
  EXPECT_EQ(odd->xattrs.at("user.empty"), "");
  EXPECT_EQ(idx.find("/etc")->mode, 0750u);
  EXPECT_EQ(idx.find("/etc")->gid, 4u);
  EXPECT_EQ(idx.find("/bin/sh")->link_target, "busybox");
  EXPECT_EQ(idx.find("/dev-null")->type, EntryType::char_device);
  EXPECT_EQ(idx.find("/loop")->dev_major, 7u);
  EXPECT_EQ(idx.find("/loop")->dev_minor, 9u);
  EXPECT_EQ(idx.find("/fifo")->type, EntryType::fifo);
  // Names of one inode share their data; other files have their own.
  EXPECT_EQ(idx.find("/bin/x")->data, idx.find("/bin/y")->data);
  EXPECT_NE(idx.find("/bin/x")->data, idx.find("/bin/z")->data);
  EXPECT_NE(idx.find("/bin/z")->data, odd->data);
  EXPECT_EQ(p.warnings(), std::vector<std::string>{"cannot stat /x"});
}

TEST(IndexStream, FedByteByByteGivesTheSame) {
  IndexStreamParser p;
  std::string s = k_stream;
  for (char c : s) {
    p.feed(&c, 1);
  }
  p.finish();
  EXPECT_EQ(p.index().size(), 10u);
}

void expect_malformed(const std::string& body, const std::string& needle, IndexLimits limits = {}) {
  IndexStreamParser p(limits);
  try {
    p.feed("slim-source-index 1\n" + body);
    p.finish();
    ADD_FAILURE() << "accepted: " << body;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  }
}

TEST(IndexStream, RefusesWhatIsMalformed) {
  expect_malformed("end 0\n"
                   "d / 0755 0 0 1 0\n",
                   "after the `end`");
  expect_malformed("d / 0755 0 0 1 0\n", "before its `end`");
  expect_malformed("d / 0755 0 0 1 0\nend 2\n", "does not match");
  expect_malformed("d / 0755 0 0 1 0\nd /x 0755 0 0 1", "inside a line");
  expect_malformed("d relative 0755 0 0 1 0\nend 1\n", "absolute");
  expect_malformed("d /a/../b 0755 0 0 1 0\nend 1\n", "absolute");
  expect_malformed("d /a 0755 0 0 1 0\nd /a 0755 0 0 1 0\nend 2\n", "twice");
  expect_malformed("d /a 10000 0 0 1 0\nend 1\n", "metadata");
  expect_malformed("d /a 0755 -1 0 1 0\nend 1\n", "metadata");
  expect_malformed("d /a 0755 0 0 1 1000000000\nend 1\n", "metadata");
  expect_malformed("d /a 0755 0 0 1\nend 1\n", "fields");
  expect_malformed("f /a 0644 0 0 1 0 -3 -\nend 1\n", "size");
  expect_malformed("f /a 0644 0 0 1 0 3 junk\nend 1\n", "inode");
  expect_malformed("f /a 0644 0 0 1 0 3 1:2\nf /b 0644 0 0 1 0 4 1:2\nend 2\n", "sizes");
  expect_malformed("x user.a 00\nend 0\n", "xattr");
  expect_malformed("d /a 0755 0 0 1 0\nx user.a 0\nend 1\n", "xattr value");
  expect_malformed("d /a 0755 0 0 1 0\nx user.a 00\nx user.a 00\nend 1\n", "twice");
  expect_malformed("d /a%2 0755 0 0 1 0\nend 1\n", "escape");
  expect_malformed("q /a\nend 0\n", "unknown record");
  expect_malformed("l /a 0777 0 0 1 0 %00\nend 1\n", "");
}

TEST(IndexStream, CapsHoldAgainstHostileImages) {
  expect_malformed("d /a 0755 0 0 1 0\nd /b 0755 0 0 1 0\nend 2\n", "more than 1 entries",
                   {.max_entries = 1});
  expect_malformed("d /" + std::string(100, 'a') + " 0755 0 0 1 0\nend 1\n", "longer than",
                   {.max_line = 64});
  expect_malformed("d /" + std::string(100, 'a') + " 0755 0 0 1 0\nend 1\n", "too long",
                   {.max_path = 50});
  expect_malformed("d /a 0755 0 0 1 0\nx user.a 00\nx user.b 00\nend 1\n", "more than 1 xattrs",
                   {.max_xattrs = 1});
  expect_malformed("d /a 0755 0 0 1 0\nend 1\n", "larger than", {.max_total = 30});
  IndexStreamParser p({.max_warnings = 1});
  p.feed("slim-source-index 1\nw one\nw two\nw three\nend 0\n");
  p.finish();
  EXPECT_EQ(p.warnings().size(), 1u);
  EXPECT_EQ(p.more_warnings(), 2u);
}

TEST(IndexStream, EscapesRoundTripEveryByte) {
  std::string all;
  for (int c = 0; c < 256; ++c) {
    all += static_cast<char>(c);
  }
  std::string escaped = escape_field(all);
  EXPECT_EQ(escaped.find(' '), std::string::npos);
  EXPECT_EQ(escaped.find('\n'), std::string::npos);
  EXPECT_EQ(unescape_field(escaped).value(), all);
  EXPECT_FALSE(unescape_field("a%4").ok());
  EXPECT_FALSE(unescape_field("a%zz").ok());
  EXPECT_FALSE(unescape_field("a\tb").ok());
}

struct Collected {
  std::vector<std::string> bytes;
  std::vector<std::string> errors;
  std::vector<std::uint64_t> announced;
};

DataStreamParser::Handler collect(Collected& c) {
  return {.begin =
              [&c](std::size_t i, std::uint64_t n) {
                c.bytes.resize(i + 1);
                c.errors.resize(i + 1);
                c.announced.push_back(n);
              },
          .bytes = [&c](std::size_t i, const char* d, std::size_t n) { c.bytes[i].append(d, n); },
          .done = [](std::size_t) {},
          .error =
              [&c](std::size_t i, const std::string& why) {
                c.bytes.resize(i + 1);
                c.errors.resize(i + 1);
                c.errors[i] = why;
              }};
}

TEST(DataStream, AnswersInOrderCutAnywhere) {
  const std::string stream =
      "slim-source-data 1\nD 5\nhel\nlE No%20such%20file\nD 0\nD 3\nabcend 4\n";
  for (std::size_t cut = 1; cut < 8; ++cut) {
    Collected c;
    DataStreamParser p({5, 9, 4, 3}, collect(c));
    for (std::size_t i = 0; i < stream.size(); i += cut) {
      p.feed(stream.data() + i, std::min(cut, stream.size() - i));
    }
    p.finish();
    EXPECT_EQ(c.bytes, (std::vector<std::string>{"hel\nl", "", "", "abc"}));
    EXPECT_EQ(c.errors[1], "No such file");
    EXPECT_EQ(c.announced, (std::vector<std::uint64_t>{5, 0, 3}));
  }
  EXPECT_EQ(encode_read_requests({{"/a b", 10}}), "slim-source-read 1\nr 10 /a%20b\nend\n");
}

void expect_bad_data(std::vector<std::uint64_t> maxima, const std::string& stream,
                     const std::string& needle) {
  Collected c;
  DataStreamParser p(std::move(maxima), collect(c));
  try {
    p.feed(stream.data(), stream.size());
    p.finish();
    ADD_FAILURE() << "accepted: " << stream;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(DataStream, RefusesWhatIsMalformed) {
  expect_bad_data({3}, "slim-source-data 1\nD 4\nabcd", "at most 3");
  expect_bad_data({3}, "slim-source-data 1\nD 3\nab", "ended before");
  expect_bad_data({3}, "slim-source-data 1\nD 3\nabc", "ended before");
  expect_bad_data({3}, "slim-source-data 1\nD 3\nabcD 1\nx", "more answers");
  expect_bad_data({3, 3}, "slim-source-data 1\nD 3\nabcend 1\n", "came after 1 of 2");
  expect_bad_data({3}, "something else\n", "not a slim-source-data");
  expect_bad_data({3}, "slim-source-data 1\nX 3\n", "expected");
  expect_bad_data({3}, "slim-source-data 1\n" + std::string(70000, 'a'), "too long");
  expect_bad_data({}, "slim-source-data 1\nend 0\nD 1\n", "after the `end`");
}

} // namespace
} // namespace slim::image
