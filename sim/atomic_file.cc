#include "sim/atomic_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace stormsim::sim {
namespace {

[[noreturn]] void fail(const std::filesystem::path& path, const char* what, int err) {
  throw OutputError(
      fmt::format("cannot write {}: {} ({})", path.string(), what, std::strerror(err)));
}

}  // namespace

AtomicFile::AtomicFile(std::filesystem::path path) : path_(std::move(path)) {
  std::error_code ec;
  const std::filesystem::path dir = path_.parent_path().empty() ? "." : path_.parent_path();
  std::filesystem::create_directories(dir, ec);
  if (ec)
    fail(path_, "creating its directory failed", ec.value());
  tmp_ = (dir / fmt::format(".{}.tmp.XXXXXX", path_.filename().string())).string();
  fd_ = ::mkstemp(tmp_.data());
  if (fd_ < 0)
    fail(path_, "creating a temporary file failed", errno);
  // mkstemp creates 0600; results are ordinary files.
  ::fchmod(fd_, 0644);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(tmp_.c_str());
  }
}

void AtomicFile::write(std::string_view bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      fail(path_, "writing failed", errno);
    }
    done += static_cast<std::size_t>(n);
  }
}

void AtomicFile::commit() {
  const bool synced = ::fsync(fd_) == 0;
  const int sync_errno = errno;
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0 || !synced) {
    const int e = synced ? errno : sync_errno;
    ::unlink(tmp_.c_str());
    fail(path_, "flushing failed", e);
  }
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp_.c_str());
    fail(path_, "renaming the temporary file failed", e);
  }
}

void write_file_atomically(const std::filesystem::path& path, std::string_view contents) {
  AtomicFile file(path);
  file.write(contents);
  file.commit();
}

}  // namespace stormsim::sim
