// Inputs that broke the probe's HTTP response parser; each must now be handled exactly.
#include "sensor/http.hpp"

#include <gtest/gtest.h>

namespace slim::sensor {
namespace {

// A chunk size of 2^64-2 wrapped `eol + 2 + size + 2` around to `eol + 2`: the parser took
// the rest of the buffer as the chunk's data and then parsed the same bytes again, so the
// response "completed" with a body the server never sent.
TEST(HttpResponseRegression, HugeChunkSizeDoesNotWrapAround) {
  ResponseParser parser;
  ASSERT_TRUE(parser.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "fffffffffffffffe\r\n5\r\nhello\r\n0\r\n\r\n"));
  EXPECT_FALSE(parser.complete()); // waiting for 2^64-2 bytes that will never come
  EXPECT_TRUE(parser.body().empty());
  EXPECT_FALSE(parser.finish());
}

} // namespace
} // namespace slim::sensor
