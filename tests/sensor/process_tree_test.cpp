#include "sensor/process_tree.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

using namespace slim::sensor;

TEST(ProcessTree, ParentPidFromStat) {
  EXPECT_EQ(parent_pid_from_stat("42 (nginx) S 7 42 42 0 -1"), 7);
  // The command name may hold spaces and parentheses: the last `)` ends it.
  EXPECT_EQ(parent_pid_from_stat("42 (a) b (c)) R 13 42 42 0"), 13);
  EXPECT_FALSE(parent_pid_from_stat("42 nginx S 7").has_value());
  EXPECT_FALSE(parent_pid_from_stat("42 (nginx) S").has_value());
  EXPECT_FALSE(parent_pid_from_stat("").has_value());
}

TEST(ProcessTree, ClassifiesByTheParentChain) {
  // This test process: its own PID is "the app", so it and its parent chain up to it classify
  // as the app; its parent (not below the app) as other; a session PID marks an exec tree.
  pid_t self = ::getpid();
  ProcessTrees trees(self, -1);
  EXPECT_EQ(trees.classify(self), Source::app);
  EXPECT_EQ(trees.classify(::getppid()), Source::other);
  trees.add_session(::getppid());
  EXPECT_EQ(trees.classify(::getppid()), Source::exec);
  trees.remove_session(::getppid());
  EXPECT_EQ(trees.classify(::getppid()), Source::other);
  EXPECT_EQ(trees.classify(999'999'999), Source::other); // no such process
}
