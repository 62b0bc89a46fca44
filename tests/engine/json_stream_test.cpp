#include "slim/engine/json_stream.hpp"

#include <gtest/gtest.h>

namespace slim::engine {
namespace {

TEST(LoadStream, ReportsTheLoadedImageId) {
  LoadStreamParser p;
  std::string body = "{\"stream\":\"Loaded image ID: sha256:abc123\\n\"}\r\n";
  for (char c : body) {
    p.feed(&c, 1);
  }
  auto r = p.finish();
  EXPECT_EQ(r.image_id, "sha256:abc123");
  ASSERT_EQ(r.loaded.size(), 1u);
  EXPECT_EQ(r.loaded[0], "sha256:abc123");
}

TEST(LoadStream, NamedImagesAreListedWithoutAnId) {
  LoadStreamParser p;
  std::string body = "{\"stream\":\"Loaded image: app:1\\n\"}\n{\"stream\":\"Loaded image: "
                     "app:latest\\n\"}";
  p.feed(body.data(), body.size()); // the last line has no newline
  auto r = p.finish();
  EXPECT_EQ(r.image_id, "");
  EXPECT_EQ(r.loaded, (std::vector<std::string>{"app:1", "app:latest"}));
}

TEST(LoadStream, ErrorDetailBecomesEngineError) {
  LoadStreamParser p;
  std::string body = "{\"errorDetail\":{\"message\":\"unexpected EOF\"},\"error\":\"unexpected "
                     "EOF\"}\n";
  try {
    p.feed(body.data(), body.size());
    FAIL() << "no error";
  } catch (const EngineError& e) {
    EXPECT_EQ(std::string(e.what()), "unexpected EOF");
    EXPECT_EQ(e.status(), 500);
  }
}

TEST(LoadStream, ErrorWithoutDetail) {
  LoadStreamParser p;
  std::string body = "{\"error\":\"open /var/lib/docker/tmp/x: no such file\"}";
  p.feed(body.data(), body.size());
  EXPECT_THROW(p.finish(), EngineError);
}

TEST(LoadStream, PlainTextIsKeptForMessages) {
  LoadStreamParser p;
  std::string body = "something odd\n{\"status\":\"Loading layer\"}\n";
  p.feed(body.data(), body.size());
  auto r = p.finish();
  EXPECT_TRUE(r.loaded.empty());
  EXPECT_EQ(p.text(), "something odd\n");
}

} // namespace
} // namespace slim::engine
