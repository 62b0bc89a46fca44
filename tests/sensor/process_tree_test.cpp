#include "sensor/process_tree.hpp"

#include <algorithm>
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

TEST(ProcessTree, ProcessEntryFromStat) {
  auto e = process_entry_from_stat("42 (a) b (c)) Z 13 42 42 0");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->pid, 42);
  EXPECT_EQ(e->ppid, 13);
  EXPECT_EQ(e->state, 'Z');
  EXPECT_FALSE(process_entry_from_stat("x (a) S 1").has_value());
  EXPECT_FALSE(process_entry_from_stat("42 (a)").has_value());
}

TEST(ProcessTree, AppProcessesAreWhatTheAppAndTheExecCommandsLeft) {
  // 1: the sensor (PID 1); 10: the app (gone by now, so absent); 11: a daemon the app left,
  // reparented to 1, with a child 12; 20: a plain `docker exec` (ppid 0) with a child 21;
  // 30: a `sensor exec` session (docker exec'd) with its command 31 and grandchild 32;
  // 40: a zombie of the app's.
  std::vector<ProcessEntry> procs = {{1, 0, 'S'},   {11, 1, 'S'},  {12, 11, 'R'},
                                     {20, 0, 'S'},  {21, 20, 'S'}, {30, 0, 'S'},
                                     {31, 30, 'S'}, {32, 31, 'S'}, {40, 1, 'Z'}};
  auto victims = app_processes(procs, 1, 10, {30});
  std::sort(victims.begin(), victims.end());
  EXPECT_EQ(victims, (std::vector<pid_t>{11, 12, 31, 32}));
  // A parent cycle (a torn snapshot) ends the walk.
  EXPECT_TRUE(app_processes({{5, 6, 'S'}, {6, 5, 'S'}}, 1, 10, {}).empty());
}
