#include "support/served.hpp"

#include "slim/util/base64.hpp"

#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unistd.h>

namespace slim::it {

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TestDir::TestDir(const std::string& prefix) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  m_path =
      std::filesystem::temp_directory_path() /
      (prefix + "-" + std::to_string(::getpid()) + "-" + (info != nullptr ? info->name() : "none"));
  std::filesystem::create_directories(m_path);
}

TestDir::~TestDir() {
  std::error_code ec;
  std::filesystem::remove_all(m_path, ec);
}

ServedImage::ServedImage(const std::string& image, const std::filesystem::path& profile) {
  std::string seccomp = profile.empty() ? "" : " --security-opt seccomp=" + profile.string();
  auto r = run_command(engine_cli() + " run -d --network none --label io.slim.owner=test" +
                       seccomp + " " + image);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  m_id = r.out.substr(0, r.out.find('\n'));
}

ServedImage::~ServedImage() {
  if (!m_id.empty()) {
    run_command(engine_cli() + " rm -f " + m_id);
  }
}

HttpAnswer ServedImage::get(int port, const std::string& path) const {
  std::string script = "import base64,json,time,urllib.request,urllib.error\n"
                       "for i in range(80):\n"
                       "  try:\n"
                       "    r=urllib.request.urlopen('http://127.0.0.1:" +
                       std::to_string(port) + path +
                       "',timeout=10); s,b=r.status,r.read(); break\n"
                       "  except urllib.error.HTTPError as e: s,b=e.code,e.read(); break\n"
                       "  except Exception: s,b=0,b''; time.sleep(0.25)\n"
                       "print(json.dumps({'status':s,'body':base64.b64encode(b).decode()}))\n";
  auto r = run_command(engine_cli() + " run --rm --network container:" + m_id +
                       " --label io.slim.owner=test slim-fixture/sensor-tools python3 -c \"" +
                       script + "\"");
  auto j = nlohmann::json::parse(r.out.empty() ? "{}" : r.out, nullptr, false);
  HttpAnswer a;
  if (j.is_object()) {
    a.status = j.value("status", 0);
    a.body = base64_decode(j.value("body", "")).value_or("");
  }
  return a;
}

CommandResult ServedImage::client(const std::string& image, const std::string& args) const {
  return run_command(engine_cli() + " run --rm --network container:" + m_id +
                     " --label io.slim.owner=test " + image + " " + args);
}

} // namespace slim::it
