#include "slim/engine/client.hpp"
#include "slim/engine/mux_stream.hpp"

#include <gtest/gtest.h>

namespace slim::engine {
namespace {

std::string frame(int stream, const std::string& payload) {
  std::string out(8, '\0');
  out[0] = static_cast<char>(stream);
  auto size = static_cast<std::uint32_t>(payload.size());
  out[4] = static_cast<char>(size >> 24);
  out[5] = static_cast<char>((size >> 16) & 0xff);
  out[6] = static_cast<char>((size >> 8) & 0xff);
  out[7] = static_cast<char>(size & 0xff);
  return out + payload;
}

struct Collected {
  std::string out, err;
  MuxDecoder decoder{[this](MuxDecoder::Stream s, std::string_view d) {
    (s == MuxDecoder::Stream::err ? err : out).append(d);
  }};
};

TEST(MuxDecoder, DecodesWholeFrames) {
  Collected c;
  c.decoder.feed(frame(1, "hello ") + frame(2, "oops\n") + frame(1, "world\n"));
  c.decoder.finish();
  EXPECT_EQ(c.out, "hello world\n");
  EXPECT_EQ(c.err, "oops\n");
}

TEST(MuxDecoder, FramesSplitAtEveryByte) {
  std::string input = frame(1, "abc") + frame(2, "") + frame(2, std::string(300, 'e')) +
                      frame(0, "in") + frame(1, "z");
  for (std::size_t cut = 0; cut <= input.size(); ++cut) {
    Collected c;
    c.decoder.feed(input.substr(0, cut));
    c.decoder.feed(input.substr(cut));
    c.decoder.finish();
    EXPECT_EQ(c.out, "abcinz") << "cut at " << cut;
    EXPECT_EQ(c.err, std::string(300, 'e')) << "cut at " << cut;
  }
  Collected one_by_one;
  for (char ch : input) {
    one_by_one.decoder.feed(&ch, 1);
  }
  one_by_one.decoder.finish();
  EXPECT_EQ(one_by_one.out, "abcinz");
}

TEST(MuxDecoder, EmptyFramesProduceNothing) {
  Collected c;
  c.decoder.feed(frame(1, "") + frame(2, "") + frame(1, ""));
  EXPECT_TRUE(c.decoder.at_frame_boundary());
  c.decoder.finish();
  EXPECT_EQ(c.out, "");
  EXPECT_EQ(c.err, "");
}

TEST(MuxDecoder, TruncatedHeaderIsAnError) {
  Collected c;
  c.decoder.feed(frame(1, "ok") + frame(1, "x").substr(0, 5));
  EXPECT_FALSE(c.decoder.at_frame_boundary());
  EXPECT_THROW(c.decoder.finish(), EngineError);
  EXPECT_EQ(c.out, "ok");
}

TEST(MuxDecoder, TruncatedPayloadIsAnError) {
  Collected c;
  c.decoder.feed(frame(2, "0123456789").substr(0, 12));
  EXPECT_EQ(c.err, "0123");
  try {
    c.decoder.finish();
    FAIL() << "no error";
  } catch (const EngineError& e) {
    EXPECT_NE(std::string(e.what()).find("6 bytes before the end"), std::string::npos) << e.what();
  }
}

TEST(MuxDecoder, MalformedHeaderIsAnError) {
  Collected c;
  EXPECT_THROW(c.decoder.feed(std::string("\x07\0\0\0\0\0\0\1x", 9)), EngineError);
  Collected d;
  EXPECT_THROW(d.decoder.feed(std::string("\x01\x01\0\0\0\0\0\1x", 9)), EngineError);
}

TEST(MuxDecoder, SystemErrorFrameThrowsItsMessage) {
  Collected c;
  std::string input = frame(1, "before") + frame(3, "exec failed\n");
  try {
    c.decoder.feed(input.substr(0, 20));
    c.decoder.feed(input.substr(20));
    FAIL() << "no error";
  } catch (const EngineError& e) {
    EXPECT_EQ(std::string(e.what()), "the engine reported an error in the stream: exec failed");
  }
  EXPECT_EQ(c.out, "before");
}

TEST(MuxDecoder, LargeFrameSizeUsesAllFourBytes) {
  Collected c;
  std::string big(70'000, 'b');
  c.decoder.feed(frame(1, big));
  c.decoder.finish();
  EXPECT_EQ(c.out.size(), big.size());
}

} // namespace
} // namespace slim::engine
