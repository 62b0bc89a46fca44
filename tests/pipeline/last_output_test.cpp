// last_output: the app's last lines as one line for error messages.
#include "slim/pipeline/exercise.hpp"

#include <gtest/gtest.h>

namespace slim::pipeline {
namespace {

TEST(LastOutput, LastNonEmptyLinesJoinedOnOneLine) {
  EXPECT_EQ(last_output("one\ntwo\n\nthree\nfour\n"), "two | three | four");
  EXPECT_EQ(last_output("only"), "only");
  EXPECT_EQ(last_output("a\r\nb  \r\n", 5), "a | b");
  EXPECT_EQ(last_output(""), "");
  EXPECT_EQ(last_output("\n\n\n"), "");
}

TEST(LastOutput, ControlCharactersAreBlankedAndLengthIsCapped) {
  EXPECT_EQ(last_output("red \x1b[31mtext\x07\n"), "red  [31mtext");
  std::string long_line(1000, 'x');
  auto out = last_output(long_line + "END\n", 3, 50);
  EXPECT_EQ(out.size(), 53u);
  EXPECT_EQ(out.substr(0, 3), "...");
  EXPECT_EQ(out.substr(out.size() - 3), "END");
}

} // namespace
} // namespace slim::pipeline
