#include "slim/image/tar_stream.hpp"

#include "slim/util/cancel.hpp"
#include "slim/util/error.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <unistd.h>

namespace slim::image {

namespace {

void put_octal(std::string& h, std::size_t off, std::size_t width, std::uint64_t v) {
  // width includes the terminating NUL
  std::string digits(width - 1, '0');
  for (std::size_t i = width - 1; i-- > 0;) {
    digits[i] = static_cast<char>('0' + (v & 7U));
    v >>= 3;
  }
  h.replace(off, width - 1, digits);
}

std::uint64_t padding(std::uint64_t size) { return (512 - size % 512) % 512; }

} // namespace

std::string ustar_header(const std::string& name, std::uint64_t size, bool directory) {
  std::string h(512, '\0');
  std::string n = directory ? name + "/" : name;
  std::string prefix;
  if (n.size() > 100) {
    auto cut = n.rfind('/', n.size() - 2);
    while (cut != std::string::npos && (cut > 155 || n.size() - cut - 1 > 100)) {
      cut = cut == 0 ? std::string::npos : n.rfind('/', cut - 1);
    }
    if (cut == std::string::npos || cut > 155 || n.size() - cut - 1 > 100) {
      throw Error("archive member name `" + name + "` is too long for a ustar header");
    }
    prefix = n.substr(0, cut);
    n = n.substr(cut + 1);
  }
  h.replace(0, n.size(), n);
  put_octal(h, 100, 8, directory ? 0755 : 0644);
  put_octal(h, 108, 8, 0);
  put_octal(h, 116, 8, 0);
  if (size < (1ULL << 33)) {
    put_octal(h, 124, 12, size);
  } else {
    h[124] = static_cast<char>(0x80);
    for (int i = 11; i >= 1; --i) {
      h[124 + static_cast<std::size_t>(i)] = static_cast<char>(size & 0xffU);
      size >>= 8;
    }
  }
  put_octal(h, 136, 12, 0);
  h[156] = directory ? '5' : '0';
  h.replace(257, 6, std::string("ustar\0", 6));
  h.replace(263, 2, "00");
  h.replace(345, prefix.size(), prefix);
  h.replace(148, 8, "        ");
  unsigned sum = 0;
  for (unsigned char c : h) {
    sum += c;
  }
  put_octal(h, 148, 7, sum);
  h[155] = ' ';
  return h;
}

void TarStream::add_directory(std::string name) {
  m_members.push_back(Member{.name = std::move(name), .directory = true});
}

void TarStream::add_bytes(std::string name, std::string data) {
  std::uint64_t size = data.size();
  m_members.push_back(Member{.name = std::move(name), .data = std::move(data), .size = size});
}

void TarStream::add_file(std::string name, std::filesystem::path path, std::uint64_t size) {
  m_members.push_back(Member{.name = std::move(name), .file = std::move(path), .size = size});
}

std::uint64_t TarStream::size() const {
  std::uint64_t total = 1024;
  for (const auto& m : m_members) {
    total += 512 + m.size + padding(m.size);
  }
  return total;
}

std::function<std::size_t(char*, std::size_t)> TarStream::source() const {
  // State machine over (member, part): header, body, padding; then the two zero blocks.
  struct State {
    std::size_t member = 0;
    int part = 0;            // 0 header, 1 body, 2 padding
    std::uint64_t done = 0;  // bytes of the current part already produced
    std::string header;
    int fd = -1;
    ~State() {
      if (fd >= 0) {
        ::close(fd);
      }
    }
  };
  auto st = std::make_shared<State>();
  const auto* members = &m_members;
  return [st, members](char* buf, std::size_t cap) -> std::size_t {
    std::size_t out = 0;
    while (out < cap) {
      if (st->member >= members->size()) {
        // trailer: 1024 zero bytes
        std::uint64_t left = 1024 - st->done;
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, cap - out));
        std::memset(buf + out, 0, n);
        out += n;
        st->done += n;
        break;
      }
      const Member& m = (*members)[st->member];
      if (st->part == 0) {
        if (st->done == 0) {
          st->header = ustar_header(m.name, m.size, m.directory);
        }
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(512 - st->done, cap - out));
        std::memcpy(buf + out, st->header.data() + st->done, n);
        out += n;
        st->done += n;
        if (st->done == 512) {
          st->part = 1;
          st->done = 0;
        }
      } else if (st->part == 1) {
        std::uint64_t left = m.size - st->done;
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, cap - out));
        if (n > 0) {
          if (m.file.empty()) {
            std::memcpy(buf + out, m.data.data() + st->done, n);
          } else {
            if (st->fd < 0) {
              st->fd = ::open(m.file.c_str(), O_RDONLY | O_CLOEXEC);
              if (st->fd < 0) {
                throw Error(errno_message("cannot open", m.file.string(), errno));
              }
            }
            ssize_t r = ::pread(st->fd, buf + out, n, static_cast<off_t>(st->done));
            if (r <= 0) {
              throw Error("cannot read `" + m.file.string() +
                          "`: " + (r < 0 ? std::strerror(errno) : "file shrank"));
            }
            n = static_cast<std::size_t>(r);
          }
          out += n;
          st->done += n;
        }
        if (st->done == m.size) {
          if (st->fd >= 0) {
            ::close(st->fd);
            st->fd = -1;
          }
          st->part = 2;
          st->done = 0;
        }
      } else {
        std::uint64_t left = padding(m.size) - st->done;
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, cap - out));
        std::memset(buf + out, 0, n);
        out += n;
        st->done += n;
        if (st->done == padding(m.size)) {
          st->part = 0;
          st->done = 0;
          ++st->member;
        }
      }
    }
    return out;
  };
}

void TarStream::write_to(const std::filesystem::path& out) const {
  auto tmp = out;
  tmp += ".partial";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw Error(errno_message("cannot create", tmp.string(), errno));
  }
  auto src = source();
  std::vector<char> buf(1 << 20);
  try {
    while (std::size_t n = src(buf.data(), buf.size())) {
      cancel::throw_if_requested();
      for (std::size_t done = 0; done < n;) {
        ssize_t w = ::write(fd, buf.data() + done, n - done);
        if (w < 0) {
          throw Error(errno_message("cannot write", tmp.string(), errno));
        }
        done += static_cast<std::size_t>(w);
      }
    }
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  if (::close(fd) != 0) {
    throw Error(errno_message("cannot write", tmp.string(), errno));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, out, ec);
  if (ec) {
    throw Error("cannot write `" + out.string() + "`: " + ec.message());
  }
}

} // namespace slim::image
