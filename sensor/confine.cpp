#include "sensor/confine.hpp"

#include "sensor/syscall_policy.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace slim::sensor {

namespace {

int cap_get(__user_cap_data_struct (&data)[2]) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  return static_cast<int>(::syscall(SYS_capget, &header, data));
}

int cap_set(__user_cap_data_struct (&data)[2]) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  return static_cast<int>(::syscall(SYS_capset, &header, data));
}

CapSet join(std::uint32_t low, std::uint32_t high) {
  return CapSet{low} | (CapSet{high} << 32);
}

} // namespace

const char* confinement_name(FilterMode mode) {
  switch (mode) {
  case FilterMode::trace:
    return "seccomp-trace";
  case FilterMode::tracer:
    return "ptrace";
  case FilterMode::errno_only:
    return "seccomp-errno";
  case FilterMode::errno_nnp:
    break;
  }
  return "seccomp-errno+no_new_privs";
}

CapSets own_capabilities() {
  CapSets sets;
  __user_cap_data_struct data[2] = {};
  if (cap_get(data) == 0) {
    sets.effective = join(data[0].effective, data[1].effective);
    sets.permitted = join(data[0].permitted, data[1].permitted);
    sets.inheritable = join(data[0].inheritable, data[1].inheritable);
  }
  for (int cap = 0; cap < 64; ++cap) {
    if (::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1) {
      sets.bounding |= cap_bit(cap);
    }
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) == 1) {
      sets.ambient |= cap_bit(cap);
    }
  }
  return sets;
}

Result<Confinement> prepare_confinement(CapSet keep) {
  Confinement c;
  CapSets own = own_capabilities();
  c.drop = caps_to_drop(keep);
  c.app_bounding = own.bounding & ~c.drop;
  c.can_filter = (own.effective & cap_bit(k_cap_sys_admin)) != 0;
  auto trace = compile_policy(c.app_bounding, FilterKind::trace);
  if (!trace) {
    return Result<Confinement>::fail("cannot compile the app's seccomp filter: " + trace.error());
  }
  auto plain = compile_policy(c.app_bounding, FilterKind::errno_only);
  if (!plain) {
    return Result<Confinement>::fail("cannot compile the app's seccomp filter: " + plain.error());
  }
  c.trace_filter = std::move(trace.value());
  c.errno_filter = std::move(plain.value());
  return c;
}

int confine_self(const Confinement& c, FilterMode mode) {
  if (mode == FilterMode::errno_nnp && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return errno;
  }
  const BpfProgram* program = mode == FilterMode::trace    ? &c.trace_filter
                              : mode == FilterMode::tracer ? nullptr
                                                           : &c.errno_filter;
  if (program != nullptr) {
    sock_fprog fprog{static_cast<unsigned short>(program->size()),
                     const_cast<sock_filter*>(program->data())};
    if (program->empty() || program->size() > BPF_MAXINSNS ||
        ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0) {
      return program->empty() || program->size() > BPF_MAXINSNS ? E2BIG : errno;
    }
  }
  // The bounding set first (it needs CAP_SETPCAP, which stays): then no setuid or file-caps
  // program can give the dropped capabilities back.
  for (int cap = 0; cap < 64; ++cap) {
    if ((c.drop & cap_bit(cap)) == 0) {
      continue;
    }
    if (::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1 &&
        ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
      return errno;
    }
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, cap, 0, 0) != 0 && errno != EINVAL) {
      return errno;
    }
  }
  __user_cap_data_struct data[2] = {};
  if (cap_get(data) != 0) {
    return errno;
  }
  for (int i = 0; i < 2; ++i) {
    auto keep = static_cast<std::uint32_t>(~c.drop >> (32 * i));
    data[i].effective &= keep;
    data[i].permitted &= keep;
    data[i].inheritable &= keep;
  }
  if (cap_set(data) != 0) {
    return errno;
  }
  return 0;
}

std::string protect_directory(const std::string& dir) {
  if (::mount(dir.c_str(), dir.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    return "cannot bind-mount `" + dir + "`: " + std::strerror(errno);
  }
  if (::mount(nullptr, dir.c_str(), nullptr,
              MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr) != 0) {
    std::string err = "cannot make `" + dir + "` read-only: " + std::strerror(errno);
    ::umount2(dir.c_str(), MNT_DETACH);
    return err;
  }
  return {};
}

void make_undumpable() {
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

bool process_holds(pid_t pid, int pidfd, CapSet caps) {
  if (pid <= 0) {
    return false;
  }
  std::string path = "/proc/" + std::to_string(pid) + "/status";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return false;
  }
  char buf[4096];
  ssize_t n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  if (n <= 0) {
    return false;
  }
  // Still the same process? (Else the PID may belong to another one by now.)
  bool alive = pidfd >= 0 ? ::syscall(SYS_pidfd_send_signal, pidfd, 0, nullptr, 0) == 0
                          : ::kill(pid, 0) == 0;
  auto bounding = status_capabilities(std::string_view(buf, static_cast<std::size_t>(n)), "CapBnd");
  return alive && bounding && (*bounding & caps) == caps;
}

} // namespace slim::sensor
