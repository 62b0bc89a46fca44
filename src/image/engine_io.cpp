#include "slim/image/engine_io.hpp"

#include "slim/util/cancel.hpp"
#include "slim/util/error.hpp"
#include "slim/util/log.hpp"
#include "slim/util/progress.hpp"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace slim::image {

SourceImage export_image(engine::Client& client, const std::string& name,
                         const std::filesystem::path& work_dir, const FlattenOptions& options) {
  auto path = work_dir / "image.tar";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw Error(errno_message("cannot create", path.string(), errno));
  }
  std::uint64_t total = 0;
  Progress progress("exporting " + name);
  try {
    client.save_images({name}, [&](const char* data, std::size_t size) {
      for (std::size_t done = 0; done < size;) {
        ssize_t w = ::write(fd, data + done, size - done);
        if (w < 0) {
          if (errno == EINTR) {
            continue;
          }
          throw Error(errno_message("cannot write", path.string(), errno));
        }
        done += static_cast<std::size_t>(w);
      }
      total += size;
      progress.add(size);
    });
  } catch (const engine::EngineError& e) {
    ::close(fd);
    if (e.status() >= 500) { // the engine's own failure, e.g. "open /var/lib/docker/...: ..."
      throw engine::EngineError(e.status(),
                                "the engine could not export `" + name + "`: " + e.what());
    }
    throw;
  } catch (...) {
    ::close(fd);
    throw;
  }
  if (::close(fd) != 0) {
    throw Error(errno_message("cannot write", path.string(), errno));
  }
  SLIM_DEBUG("exported {} ({} bytes) to {}", name, total, path.string());
  return open_image_archive(path, work_dir, options);
}

std::string load_image(engine::Client& client, const TarStream& archive,
                       const std::string& expected_id) {
  Progress progress("loading");
  auto source = archive.source();
  auto result = client.load_images([&source, &progress](char* buf, std::size_t cap) {
    std::size_t n = source(buf, cap);
    progress.add(n);
    return n;
  });
  if (!result.image_id.empty()) {
    if (!expected_id.empty() && result.image_id != expected_id) {
      SLIM_WARN("the engine loaded {} but the archive's config is {}", result.image_id,
                expected_id);
    }
    return result.image_id;
  }
  return expected_id;
}

} // namespace slim::image
