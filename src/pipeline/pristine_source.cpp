// The pristine container as a FileSource: a container of the original image in which no code of
// the image runs; its sensor lists the file system (`source index`) and sends the bytes slim
// asks for (`source read`), both over `docker exec` streams. Reads for the keep set are
// answered from a cache of file prefixes (on disk in the temp dir); what it lacks is fetched
// in one round trip per keep round (FileSource::fetch), whole files among it reused for the
// layer.
#include "slim/image/source_stream.hpp"
#include "slim/pipeline/container_run.hpp"
#include "slim/util/log.hpp"
#include "source_files.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <map>
#include <unistd.h>

namespace slim::pipeline {

namespace {

// A miss of a file's head brings this much (an ELF file's headers and dynamic section are
// usually there, and small files come whole); a miss beyond it brings the whole file (up to
// the ELF reader's own cap), since only ELF files are read that far and they are kept anyway.
constexpr std::uint64_t k_head_fetch = 64u << 10;
constexpr std::uint64_t k_whole_fetch = 256ull << 20;
constexpr std::size_t k_stderr_kept = 16u << 10;

std::string first_line(const std::string& text) {
  auto nl = text.find('\n');
  return text.substr(0, nl);
}

ContainerSpec pristine_spec(const std::string& image) {
  return ContainerSpec{.image = image,
                       .entrypoint = std::vector<std::string>{k_sensor_path},
                       .cmd = std::vector<std::string>{"source", "serve"},
                       .user = "0:0",
                       .workdir = "/", // the engine would make a missing WorkingDir
                       .network = "none",
                       .cap_add = {"DAC_OVERRIDE"}, // reads files of every mode and owner
                       .cap_drop = {"ALL"},
                       .security_opt = {"no-new-privileges"},
                       .role = "source",
                       .no_healthcheck = true};
}

class PristineSource : public FileSource {
public:
  PristineSource(const engine::Client& parent, const SourceRequest& request)
      : m_client(engine::ClientOptions{.endpoint = parent.endpoint(),
                                       .api_version = parent.api_version()}),
        m_cache_path(request.work_dir / "heads.bin") {
    m_client.connect();
    m_container.emplace(m_client, pristine_spec(request.image_id));
    m_container->put_sensor(request.sensor_bytes);
    m_container->start();
    read_index(request.view);
    m_cache_fd = ::open(m_cache_path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (m_cache_fd < 0) {
      throw Error(errno_message("cannot create", m_cache_path.string(), errno));
    }
  }
  ~PristineSource() override {
    release();
    if (m_cache_fd >= 0) {
      ::close(m_cache_fd);
    }
  }
  PristineSource(const PristineSource&) = delete;
  PristineSource& operator=(const PristineSource&) = delete;

  const image::FileIndex& index() const override { return m_index; }

  std::vector<std::string> warnings() const override { return m_warnings; }

  std::optional<std::string> read(const image::Entry& e, std::size_t max) override {
    if (e.type != image::EntryType::regular) {
      return std::nullopt;
    }
    auto size = static_cast<std::uint64_t>(std::max<std::int64_t>(e.size, 0));
    std::uint64_t want = std::min<std::uint64_t>(size, max);
    if (auto it = m_cache.find(e.path); it != m_cache.end()) {
      if (it->second.unreadable) {
        return std::nullopt;
      }
      if (it->second.size >= want) {
        return cached(it->second, want);
      }
    }
    std::uint64_t fetch = want <= k_head_fetch ? std::min(size, k_head_fetch)
                                               : std::min(size, std::max(want, k_whole_fetch));
    auto& miss = m_misses[e.path];
    miss = std::max({miss, fetch, want});
    return std::nullopt;
  }

  bool fetch() override {
    if (m_misses.empty()) {
      return false;
    }
    std::vector<image::ReadRequest> requests;
    for (const auto& [path, n] : m_misses) { // sorted: the sensor reuses directory descriptors
      requests.push_back({path, n});
    }
    m_misses.clear();
    std::uint64_t offset = 0;
    std::uint64_t start = 0;
    auto bytes = [&](std::size_t, const char* data, std::size_t size) {
      write_cache(data, size);
      offset += size;
    };
    run_reads(requests, image::DataStreamParser::Handler{
                            .begin = [&](std::size_t, std::uint64_t) { start = m_cache_end; },
                            .bytes = bytes,
                            .done =
                                [&](std::size_t i) {
                                  m_cache[requests[i].path] =
                                      Cached{.offset = start, .size = m_cache_end - start};
                                },
                            .error =
                                [&](std::size_t i, const std::string& why) {
                                  m_cache[requests[i].path] = Cached{.unreadable = true};
                                  SLIM_DEBUG("pristine: cannot read `{}`: {}", requests[i].path,
                                             why);
                                }});
    SLIM_DEBUG("pristine: fetched {} heads ({} bytes)", requests.size(), offset);
    return true;
  }

  image::ContentSource content() override {
    return [this](const std::vector<const image::Entry*>& files, const image::ContentSink& sink) {
      std::vector<image::ReadRequest> requests;
      std::vector<std::size_t> which; // request -> file
      for (std::size_t i = 0; i < files.size(); ++i) {
        auto it = m_cache.find(files[i]->path);
        if (it == m_cache.end() || it->second.unreadable ||
            it->second.size != static_cast<std::uint64_t>(files[i]->size)) {
          requests.push_back({files[i]->path, static_cast<std::uint64_t>(files[i]->size)});
          which.push_back(i);
        }
      }
      std::size_t next = 0; // the next file whose bytes go to the sink
      auto from_cache_until = [&](std::size_t stop) {
        for (; next < stop; ++next) {
          const Cached& c = m_cache.find(files[next]->path)->second;
          copy_cached(c, sink);
        }
      };
      if (!requests.empty()) {
        run_reads(
            requests,
            image::DataStreamParser::Handler{
                .begin =
                    [&](std::size_t r, std::uint64_t n) {
                      const image::Entry& e = *files[which[r]];
                      if (n != static_cast<std::uint64_t>(e.size)) {
                        throw Error("`" + e.path + "` in the pristine container has " +
                                    std::to_string(n) + " bytes, not the " +
                                    std::to_string(e.size) + " its index said");
                      }
                      from_cache_until(which[r]);
                    },
                .bytes = [&](std::size_t, const char* data, std::size_t size) { sink(data, size); },
                .done = [&](std::size_t r) { next = which[r] + 1; },
                .error =
                    [&](std::size_t r, const std::string& why) {
                      throw Error("cannot read `" + files[which[r]]->path +
                                  "` in the pristine container: " + why);
                    }});
      }
      from_cache_until(files.size());
      SLIM_DEBUG("pristine: streamed {} of {} files, {} from the head cache", requests.size(),
                 files.size(), files.size() - requests.size());
    };
  }

  void release() override {
    if (m_container) {
      m_container.reset(); // removes the container (and its anonymous volumes)
    }
  }

private:
  struct Cached {
    std::uint64_t offset = 0;
    std::uint64_t size = 0;
    bool unreadable = false;
  };

  // Runs `argv` in the container with `input` on its stdin (none when empty) and its stdout
  // into `out`; returns the start of what it wrote to stderr.
  std::string exec_stream(const std::vector<std::string>& argv, const std::string& input,
                          const engine::ByteSink& out) {
    std::string exec_id =
        m_client.exec_create(m_container->id(), argv, {.attach_stdin = !input.empty()});
    std::string err;
    std::size_t pos = 0;
    engine::ByteSource in;
    if (!input.empty()) {
      in = [&input, &pos](char* buf, std::size_t cap) {
        std::size_t n = std::min(cap, input.size() - pos);
        std::copy_n(input.data() + pos, n, buf);
        pos += n;
        return n;
      };
    }
    m_client.exec_start(
        exec_id, out,
        [&err](const char* d, std::size_t n) {
          err.append(d, std::min(n, k_stderr_kept - std::min(err.size(), k_stderr_kept)));
        },
        in);
    return err;
  }

  void read_index(const image::ContainerViewInputs& view) {
    std::vector<std::string> argv = {k_sensor_path, "source", "index"};
    for (const auto& v : view.volumes) {
      argv.insert(argv.end(), {"--volume", image::normalize_path(v)});
    }
    image::IndexStreamParser parser;
    std::string err =
        exec_stream(argv, {}, [&parser](const char* d, std::size_t n) { parser.feed(d, n); });
    try {
      parser.finish();
    } catch (const Error& e) {
      throw Error(std::string(e.what()) +
                  (err.empty() ? std::string() : "; the sensor said: " + first_line(err)));
    }
    const std::string skipped = "mount point skipped: ";
    for (const auto& w : parser.warnings()) {
      if (w.rfind(skipped, 0) == 0) {
        std::string path = w.substr(skipped.size());
        if (!image::is_engine_path(path)) {
          m_warnings.push_back("the pristine container has a mount at `" + path +
                               "` that is not the image's: what the image has there was not read");
        }
        continue;
      }
      m_warnings.push_back("pristine container: " + w);
    }
    if (parser.more_warnings() > 0) {
      m_warnings.push_back("pristine container: " + std::to_string(parser.more_warnings()) +
                           " more warnings of its walk");
    }
    m_index = std::move(parser.index());
    image::to_container_view(m_index, view);
    SLIM_DEBUG("pristine: {} paths", m_index.size());
  }

  void run_reads(const std::vector<image::ReadRequest>& requests,
                 image::DataStreamParser::Handler handler) {
    std::vector<std::uint64_t> maxima;
    maxima.reserve(requests.size());
    for (const auto& r : requests) {
      maxima.push_back(r.max);
    }
    image::DataStreamParser parser(std::move(maxima), std::move(handler));
    std::string err =
        exec_stream({k_sensor_path, "source", "read"}, image::encode_read_requests(requests),
                    [&parser](const char* d, std::size_t n) { parser.feed(d, n); });
    try {
      parser.finish();
    } catch (const Error& e) {
      throw Error(std::string(e.what()) +
                  (err.empty() ? std::string() : "; the sensor said: " + first_line(err)));
    }
  }

  void write_cache(const char* data, std::size_t size) {
    while (size > 0) {
      ssize_t w = ::pwrite(m_cache_fd, data, size, static_cast<off_t>(m_cache_end));
      if (w < 0 && errno == EINTR) {
        continue;
      }
      if (w <= 0) {
        throw Error(errno_message("cannot write", m_cache_path.string(), errno));
      }
      data += w;
      size -= static_cast<std::size_t>(w);
      m_cache_end += static_cast<std::uint64_t>(w);
    }
  }

  std::string cached(const Cached& c, std::uint64_t n) const {
    std::string out(n, '\0');
    std::size_t got = 0;
    while (got < n) {
      ssize_t r =
          ::pread(m_cache_fd, out.data() + got, n - got, static_cast<off_t>(c.offset + got));
      if (r < 0 && errno == EINTR) {
        continue;
      }
      if (r <= 0) {
        throw Error(errno_message("cannot read", m_cache_path.string(), r < 0 ? errno : EIO));
      }
      got += static_cast<std::size_t>(r);
    }
    return out;
  }

  void copy_cached(const Cached& c, const image::ContentSink& sink) const {
    std::vector<char> buf(1u << 20);
    for (std::uint64_t done = 0; done < c.size;) {
      std::size_t want =
          static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), c.size - done));
      ssize_t r = ::pread(m_cache_fd, buf.data(), want, static_cast<off_t>(c.offset + done));
      if (r < 0 && errno == EINTR) {
        continue;
      }
      if (r <= 0) {
        throw Error(errno_message("cannot read", m_cache_path.string(), r < 0 ? errno : EIO));
      }
      sink(buf.data(), static_cast<std::size_t>(r));
      done += static_cast<std::uint64_t>(r);
    }
  }

  engine::Client m_client; // before the container, which uses it until it is removed
  std::optional<ContainerRun> m_container;
  image::FileIndex m_index;
  std::vector<std::string> m_warnings;
  std::filesystem::path m_cache_path;
  int m_cache_fd = -1;
  std::uint64_t m_cache_end = 0;
  std::map<std::string, Cached, std::less<>> m_cache;
  std::map<std::string, std::uint64_t> m_misses;
};

} // namespace

std::unique_ptr<FileSource> pristine_files(const engine::Client& client,
                                           const SourceRequest& request) {
  test_pause_point("source"); // on its own thread while the app is profiled
  return std::make_unique<PristineSource>(client, request);
}

} // namespace slim::pipeline
