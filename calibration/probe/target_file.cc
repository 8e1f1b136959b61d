#include "calibration/probe/target_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "calibration/probe/interrupt.h"
#include "calibration/probe/report.h"

namespace stormsim::probe {
namespace {

namespace fs = std::filesystem;

std::string errno_text(int e) {
  return std::strerror(e);
}

std::string human_bytes(std::uint64_t b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(b);
  int u = 0;
  while (v >= 1024.0 && u < 5) {
    v /= 1024.0;
    ++u;
  }
  return fmt::format("{:.4g}{}", v, units[u]);
}

// open() with O_DIRECT, and without it where the filesystem rejects it
// (EINVAL: tmpfs before Linux 6.6, some FUSE and network filesystems).
int open_maybe_direct(const std::string& path, int flags, mode_t mode, bool want_direct,
                      bool& direct, std::string& note) {
  direct = false;
  if (want_direct) {
    const int fd = ::open(path.c_str(), flags | O_DIRECT | O_CLOEXEC, mode);
    if (fd >= 0 || errno != EINVAL) {
      direct = fd >= 0;
      return fd;
    }
    note = "O_DIRECT not supported here (EINVAL): buffered IO, results include the page cache";
    // O_EXCL|O_CREAT may have created the file before O_DIRECT was refused.
    flags &= ~O_EXCL;
  }
  return ::open(path.c_str(), flags | O_CLOEXEC, mode);
}

bool is_mounted(const struct stat& st) {
  // A block device that is mounted (or held by dm/md) appears in
  // /sys/dev/block/M:m/holders, or as the source of a mount.
  const fs::path sys = fmt::format("/sys/dev/block/{}:{}", major(st.st_rdev), minor(st.st_rdev));
  std::error_code ec;
  if (fs::exists(sys / "holders", ec) && !fs::is_empty(sys / "holders", ec)) {
    return true;
  }
  FILE* f = std::fopen("/proc/self/mounts", "r");
  if (f == nullptr) {
    return false;
  }
  char src[4096];
  bool found = false;
  while (std::fscanf(f, "%4095s %*s %*s %*s %*d %*d", src) == 1) {
    struct stat s {};
    if (src[0] == '/' && ::stat(src, &s) == 0 && S_ISBLK(s.st_mode) && s.st_rdev == st.st_rdev) {
      found = true;
      break;
    }
  }
  std::fclose(f);
  return found;
}

}  // namespace

std::uint64_t free_space_reserve(std::uint64_t filesystem_bytes) {
  return std::min<std::uint64_t>(filesystem_bytes / 20, std::uint64_t{1} << 30);
}

TargetFile::TargetFile(TargetFile&& o) noexcept
    : fd_(o.fd_),
      path_(std::move(o.path_)),
      created_file_(o.created_file_),
      created_dir_(std::move(o.created_dir_)),
      kind_(o.kind_),
      writable_(o.writable_),
      direct_(o.direct_),
      direct_note_(std::move(o.direct_note_)),
      size_(o.size_) {
  o.fd_ = -1;
  o.created_file_ = false;  // the moved-from object removes nothing
  o.created_dir_.clear();
}

TargetFile::~TargetFile() {
  remove_created();
}

void TargetFile::remove_created() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  const bool had_something = created_file_ || !created_dir_.empty();
  if (created_file_) {
    ::unlink(path_.c_str());
    created_file_ = false;
  }
  if (!created_dir_.empty()) {
    ::rmdir(created_dir_.c_str());  // only if empty: it holds nothing but our file
    created_dir_.clear();
  }
  if (had_something) {
    set_emergency_cleanup("", "");
  }
}

void TargetFile::fall_back_to_buffered(const std::string& why) {
  const int flags = ::fcntl(fd_, F_GETFL);
  if (flags >= 0) {
    ::fcntl(fd_, F_SETFL, flags & ~O_DIRECT);
  }
  direct_ = false;
  direct_note_ = why;
}

TargetFile TargetFile::open(const TargetRequest& req) {
  TargetFile t;
  std::string dir;
  if (!req.file.empty()) {
    t.path_ = req.file;
    struct stat st {};
    if (::lstat(req.file.c_str(), &st) == 0) {
      if (S_ISBLK(st.st_mode)) {
        if (!req.destructive && !req.read_only_device) {
          throw TargetError(
              status::kRefused,
              fmt::format("{} is a block device: refused. --read-only-device allows read-only "
                          "runs on it, --destructive allows writes (destroying its data)",
                          req.file));
        }
        t.kind_ = Kind::kBlockDevice;
        t.writable_ = req.destructive;
        if (t.writable_ && is_mounted(st)) {
          throw TargetError(status::kRefused,
                            fmt::format("{} is mounted or in use: refused even with "
                                        "--destructive",
                                        req.file));
        }
        // O_EXCL on a block device: fails with EBUSY if the kernel holds it.
        const int flags = t.writable_ ? (O_RDWR | O_EXCL) : O_RDONLY;
        t.fd_ = open_maybe_direct(req.file, flags, 0, req.direct, t.direct_, t.direct_note_);
        if (t.fd_ < 0) {
          throw TargetError(status::kError,
                            fmt::format("cannot open {}: {}", req.file, errno_text(errno)));
        }
        std::uint64_t dev_bytes = 0;
        if (::ioctl(t.fd_, BLKGETSIZE64, &dev_bytes) != 0) {
          dev_bytes = 0;
        }
        t.size_ = req.size == 0 ? dev_bytes : std::min(req.size, dev_bytes);
        return t;
      }
      if (S_ISREG(st.st_mode)) {
        if (!req.destructive) {
          throw TargetError(status::kRefused,
                            fmt::format("{} exists: refused, the probe writes only to files it "
                                        "creates. --destructive allows overwriting it",
                                        req.file));
        }
        t.kind_ = Kind::kExistingFile;
        t.writable_ = true;
        t.fd_ = open_maybe_direct(req.file, O_RDWR, 0, req.direct, t.direct_, t.direct_note_);
        if (t.fd_ < 0) {
          throw TargetError(status::kError,
                            fmt::format("cannot open {}: {}", req.file, errno_text(errno)));
        }
        t.size_ = req.size;
        return t;
      }
      throw TargetError(status::kRefused,
                        fmt::format("{} exists and is not a regular file or a block device "
                                    "(a link, directory, device or pipe): refused",
                                    req.file));
    }
    if (errno != ENOENT) {
      throw TargetError(status::kError,
                        fmt::format("cannot inspect {}: {}", req.file, errno_text(errno)));
    }
    const fs::path parent = fs::path(req.file).parent_path();
    dir = (parent.empty() ? fs::path(".") : parent).string();
  } else if (!req.dir.empty()) {
    dir = req.dir;
    std::error_code ec;
    if (!fs::exists(dir, ec)) {
      if (!fs::create_directories(dir, ec) || ec) {
        throw TargetError(status::kError, fmt::format("cannot create directory {}: {}", dir,
                                                      ec ? ec.message() : "unknown error"));
      }
      t.created_dir_ = dir;
    } else if (!fs::is_directory(dir, ec)) {
      throw TargetError(status::kRefused, fmt::format("{} is not a directory", dir));
    }
    t.path_ = (fs::path(dir) / fmt::format("stormsim-probe.{}.dat", ::getpid())).string();
  } else {
    std::error_code ec;
    std::string tmpl = (fs::temp_directory_path(ec) / "stormsim-probe.XXXXXX").string();
    if (ec || ::mkdtemp(tmpl.data()) == nullptr) {
      throw TargetError(status::kError, fmt::format("cannot create a temporary directory {}: {}",
                                                    tmpl, errno_text(errno)));
    }
    dir = tmpl;
    t.created_dir_ = dir;
    t.path_ = (fs::path(dir) / "probe.dat").string();
  }

  // A new file: check the space first, then create it exclusively.
  struct statvfs vfs {};
  if (::statvfs(dir.c_str(), &vfs) != 0) {
    const int e = errno;
    t.remove_created();
    throw TargetError(status::kError, fmt::format("cannot inspect {}: {}", dir, errno_text(e)));
  }
  const std::uint64_t total = static_cast<std::uint64_t>(vfs.f_blocks) * vfs.f_frsize;
  const std::uint64_t avail = static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  const std::uint64_t reserve = free_space_reserve(total);
  if (avail < req.size + reserve) {
    t.remove_created();
    throw TargetError(
        status::kNoSpace,
        fmt::format("not enough free space in {}: the probe needs {} for its file "
                    "and leaves {} free, but only {} is available; use --size "
                    "or --dir",
                    dir, human_bytes(req.size), human_bytes(reserve), human_bytes(avail)));
  }
  t.kind_ = Kind::kCreatedFile;
  t.writable_ = true;
  t.size_ = req.size;
  t.fd_ = open_maybe_direct(t.path_, O_RDWR | O_CREAT | O_EXCL, 0600, req.direct, t.direct_,
                            t.direct_note_);
  if (t.fd_ < 0) {
    const int e = errno;
    t.remove_created();
    throw TargetError(e == EEXIST ? status::kRefused : status::kError,
                      fmt::format("cannot create {}: {}", t.path_, errno_text(e)));
  }
  t.created_file_ = true;
  set_emergency_cleanup(t.path_, t.created_dir_);
  return t;
}

nlohmann::json TargetFile::to_json() const {
  nlohmann::json j;
  j["path"] = path_;
  j["kind"] = kind_ == Kind::kCreatedFile    ? "created_file"
              : kind_ == Kind::kExistingFile ? "existing_file"
                                             : "block_device";
  j["size_bytes"] = size_;
  j["writable"] = writable_;
  j["direct"] = direct_;
  if (!direct_note_.empty()) {
    j["direct_note"] = direct_note_;
  }
  return j;
}

}  // namespace stormsim::probe
