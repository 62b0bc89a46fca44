// The report slim reads back is untrusted input. The app can no longer forge it (the sensor
// makes /.slim read-only before the app starts: the first test checks the old trick fails),
// so a lying sensor forges it here: a shell script given as `--sensor` writes the report and
// runs the app. slim must fail with one clear line or build an image that holds only files of
// the original image; never a file from outside it.
#include "support/crafted_image.hpp"
#include "support/support.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <iterator>

namespace slim::it {
namespace {

using T = CraftedEntry::Type;

/// The app of the lying-sensor tests: it reads /app/used and exits.
const std::vector<std::string> k_app = {"/bin/sh", "-c", "cat /app/used >/dev/null"};

/// A "sensor" (a busybox shell script) that writes its report with `forge` (a shell snippet)
/// and then runs the app's command (what follows `--`). slim puts the same file into the
/// pristine container (`source serve|index|read`): there it is the real sensor, appended to the
/// script and copied out once into /.slim (which that container's walk skips), so the files
/// still come from the default source and only the report lies.
std::string lying_sensor(const std::string& forge) {
  std::ifstream in(sensor_binary(), std::ios::binary);
  std::string real((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string head;
  for (std::size_t offset = 1;;) {
    head = "#!/bin/sh\n"
           "if [ \"$1\" = source ]; then\n"
           "  [ -x /.slim/real-sensor ] || { tail -c +" +
           std::to_string(offset) +
           " \"$0\" > /.slim/real-sensor.$$ && chmod 755 /.slim/real-sensor.$$ &&"
           " mv /.slim/real-sensor.$$ /.slim/real-sensor; }\n"
           "  exec /.slim/real-sensor \"$@\"\n"
           "fi\n" +
           forge + "\nwhile [ $# -gt 0 ] && [ \"$1\" != -- ]; do shift; done\nshift\nexec \"$@\"\n";
    if (head.size() + 1 == offset) {
      return head + real;
    }
    offset = head.size() + 1;
  }
}

struct Outcome {
  CommandResult run;
  std::map<std::string, TarMember> members; ///< the new image's layer when the build succeeded
};

/// `slim build` of a busybox image running `app`, with the real sensor or (`forge` not empty)
/// a lying one.
Outcome build_with(CraftKit& kit, const std::string& name, const std::vector<std::string>& app,
                   const std::string& forge) {
  static const std::string busybox = busybox_binary(kit.client());
  auto layer = busybox_entries(busybox);
  layer.push_back({.path = "app", .type = T::directory, .mode = 0755});
  layer.push_back({.path = "app/used", .content = "used\n"});
  layer.push_back({.path = "app/secret", .content = "an image file the app never opened\n"});
  auto img = kit.load("slim-test/hostile-report-" + name + ":latest", {layer}, {{"Cmd", app}});
  std::string tag = "slim-test/hostile-report-" + name + ".slim:latest";
  kit.guard(tag);
  auto tar = kit.dir() / "built.tar";
  std::string sensor_flag;
  if (!forge.empty()) {
    auto fake = kit.dir() / "lying-sensor";
    std::ofstream(fake) << lying_sensor(forge);
    std::filesystem::permissions(fake, std::filesystem::perms::owner_all |
                                           std::filesystem::perms::group_read |
                                           std::filesystem::perms::others_read);
    sensor_flag = " --sensor " + fake.string();
  }
  Outcome o;
  o.run = run_command(slim_binary() + " build --log-level warn --no-seccomp -t " + tag +
                          " --report " + (kit.dir() / "report.json").string() + " --output-tar " +
                          tar.string() + sensor_flag + " " + img.tag,
                      std::chrono::seconds(240));
  if (o.run.exit_code == 0) {
    o.members = archive_layer_members(tar);
  }
  // Other slim runs may share the engine: only containers of these two images count.
  for (const auto& image : {img.tag, tag}) {
    auto left =
        run_command("docker ps -aq --filter label=io.slim.owner=slim --filter ancestor=" + image);
    EXPECT_EQ(left.out, "") << "a container of slim's was left: " << image;
  }
  return o;
}

Outcome build_with_forger(CraftKit& kit, const std::string& name, const std::string& forge) {
  return build_with(kit, name, k_app, forge);
}

/// slim failed with exit code 1 and one `slim: error:` line containing `what`.
void expect_clear_error(const CommandResult& r, const std::string& what) {
  std::printf("[ message ] %s", r.err.c_str());
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("slim: error: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(what), std::string::npos) << r.err;
}

TEST(HostileReport, TheAppCannotForgeTheReportAnyMore) {
  // The old trick: make the sensor's temp name a directory (its write fails) and leave a
  // report that keeps everything. /.slim is read-only for the app now: both steps fail, the
  // real report is used, and the file only the forged report named is not kept.
  CraftKit kit("report-app");
  const std::string forged = R"({"version":1,"arch":"x86_64","files":[)"
                             R"({"path":"/app/secret","ops":["read"]}],"syscalls":["read"]})";
  auto o = build_with(kit, "app",
                      {"/bin/sh", "-c",
                       "mkdir -p /.slim/report.json.tmp.1; echo '" + forged +
                           "' > /.slim/report.json; cat /app/used >/dev/null"},
                      "");
  ASSERT_EQ(o.run.exit_code, 0) << o.run.err;
  EXPECT_TRUE(o.members.count("app/used"));
  EXPECT_FALSE(o.members.count("app/secret")) << "the forged report was used";
}

TEST(HostileReport, NotJsonIsAClearError) {
  CraftKit kit("report-text");
  auto o = build_with_forger(kit, "text", "echo 'all files please' > /.slim/report.json");
  expect_clear_error(o.run, "sensor report: (document): invalid JSON");
}

TEST(HostileReport, WrongVersionIsAClearError) {
  CraftKit kit("report-version");
  auto o =
      build_with_forger(kit, "version",
                        "echo '{\"version\":7,\"arch\":\"x86_64\",\"files\":[],\"syscalls\":[]}' > "
                        "/.slim/report.json");
  expect_clear_error(o.run, "unsupported version 7");
}

TEST(HostileReport, OversizedReportIsRefusedWithoutReadingItAll) {
  CraftKit kit("report-huge");
  auto o = build_with_forger(kit, "huge", "head -c 80000000 /dev/zero > /.slim/report.json");
  expect_clear_error(o.run, "larger than");
}

TEST(HostileReport, SymlinkInsteadOfTheReportIsNotFollowed) {
  CraftKit kit("report-link");
  auto o = build_with_forger(kit, "link", "ln -s /app/secret /.slim/report.json");
  expect_clear_error(o.run, "`/.slim/report.json` in the container is not a regular file");
}

TEST(HostileReport, ForgedPathsOnlyEverSelectFilesOfTheImage) {
  CraftKit kit("report-paths");
  const std::string report =
      R"({"version":1,"arch":"x86_64","files":[)"
      R"({"path":"/etc/shadow","ops":["open","read"]},)"
      R"({"path":"/../../../../etc/shadow","ops":["open"]},)"
      R"({"path":"/proc/self/root/etc/shadow","ops":["open"]},)"
      R"({"path":"/proc/1/root/../../../root/.ssh/id_rsa","ops":["open"]},)"
      R"({"path":"/.slim/sensor","ops":["exec"]},)"
      R"({"path":"/app/../app/./secret","ops":["read"]},)"
      R"({"path":"/bin/sh","ops":["exec"]},{"path":"/bin/cat","ops":["exec"]},)"
      R"({"path":"/app/used","ops":["read"]}],"syscalls":["read"]})";
  auto o = build_with_forger(kit, "paths", "echo '" + report + "' > /.slim/report.json");
  ASSERT_EQ(o.run.exit_code, 0) << o.run.err;
  // What the forged report could add is files of the image only.
  EXPECT_TRUE(o.members.count("app/secret"));
  EXPECT_TRUE(o.members.count("app/used"));
  for (const auto& [path, m] : o.members) {
    EXPECT_NE(path.rfind(".slim", 0), 0u) << path;
    EXPECT_NE(path.rfind("proc/", 0), 0u) << path;
    EXPECT_NE(path, "etc/shadow");
    EXPECT_NE(path, "root/.ssh/id_rsa");
    EXPECT_EQ(("/" + path + "/").find("/../"), std::string::npos) << path;
  }
}

} // namespace
} // namespace slim::it
