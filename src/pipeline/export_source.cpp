// The export as a FileSource: the whole image out of the engine, flattened, read with pread.
#include "slim/image/engine_io.hpp"
#include "slim/pipeline/container_run.hpp"
#include "source_files.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace slim::pipeline {

namespace {

class ExportSource : public FileSource {
public:
  explicit ExportSource(image::SourceImage source)
      : m_source(std::move(source)), m_layers(m_source.layer_files()) {}

  const image::FileIndex& index() const override { return m_source.index; }

  std::optional<std::string> read(const image::Entry& e, std::size_t max) override {
    if (e.type != image::EntryType::regular || e.data.layer >= m_layers.size()) {
      return std::nullopt;
    }
    const auto& lf = m_layers[e.data.layer];
    std::size_t n =
        static_cast<std::size_t>(std::min<std::int64_t>(e.size, static_cast<std::int64_t>(max)));
    std::string buf(n, '\0');
    int fd = ::open(lf.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return std::nullopt;
    }
    std::size_t got = 0;
    while (got < n) {
      ssize_t r = ::pread(fd, buf.data() + got, n - got,
                          static_cast<off_t>(lf.offset + e.data.offset + got));
      if (r <= 0) {
        break;
      }
      got += static_cast<std::size_t>(r);
    }
    ::close(fd);
    buf.resize(got);
    return buf;
  }

  bool fetch() override { return false; }

  image::ContentSource content() override { return image::layer_tar_content(m_layers); }

private:
  image::SourceImage m_source;
  std::vector<image::LayerFile> m_layers;
};

} // namespace

std::unique_ptr<FileSource> export_files(const engine::Client& client,
                                         const SourceRequest& request) {
  test_pause_point("export"); // on its own thread while the app is profiled
  engine::ClientOptions options{.endpoint = client.endpoint(), .api_version = client.api_version()};
  engine::Client own(std::move(options));
  own.connect();
  auto source = image::export_image(
      own, request.image_id, request.work_dir,
      image::FlattenOptions{.engine_view = true, .implicit_dir_mtime = request.view.created});
  image::to_container_view(source.index, request.view);
  return std::make_unique<ExportSource>(std::move(source));
}

} // namespace slim::pipeline
