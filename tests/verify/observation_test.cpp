#include "slim/verify/observation.hpp"

#include <gtest/gtest.h>

namespace slim::verify {
namespace {

using probe::ProbeOutcome;
using probe::ProbeRequest;

ProbeOutcome answer(int status, std::string sha) {
  ProbeOutcome p;
  p.request = ProbeRequest{};
  p.status = status;
  p.sha256 = std::move(sha);
  return p;
}

TEST(CompareObservations, StatusesBodiesExecsAndExit) {
  Observation orig;
  orig.probes.push_back({answer(200, "aa"), answer(200, "aa")}); // stable body
  orig.probes.push_back({answer(200, "bb"), answer(200, "cc")}); // changing body
  orig.execs.push_back({"check", 0, "ok\n"});
  orig.app_exit = 0;
  Observation same = orig;
  EXPECT_TRUE(compare_observations(orig, same).differences.empty());

  Observation changed = orig;
  changed.probes[0].first = answer(200, "zz"); // stable body differs -> reported
  changed.probes[1].first = answer(200, "dd"); // unstable body differs -> fine
  auto d = compare_observations(orig, changed).differences;
  ASSERT_EQ(d.size(), 1u);
  EXPECT_NE(d[0].what.find("body"), std::string::npos);

  Observation broken = orig;
  broken.probes[1].first = ProbeOutcome{};
  broken.probes[1].first.error = "connection refused";
  broken.execs[0].exit_code = 127;
  broken.app_exit = 1;
  d = compare_observations(orig, broken).differences;
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0].original, "status 200");
  EXPECT_NE(d[0].result.find("connection refused"), std::string::npos);
  EXPECT_EQ(d[1].what, "exec `check`: exit code");
  EXPECT_EQ(d[2].result, "1");
}

} // namespace
} // namespace slim::verify
