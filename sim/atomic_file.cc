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

void write_file_atomically(const std::filesystem::path& path, std::string_view contents) {
  std::error_code ec;
  const std::filesystem::path dir = path.parent_path().empty() ? "." : path.parent_path();
  std::filesystem::create_directories(dir, ec);
  if (ec)
    fail(path, "creating its directory failed", ec.value());

  std::string tmp = (dir / fmt::format(".{}.tmp.XXXXXX", path.filename().string())).string();
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0)
    fail(path, "creating a temporary file failed", errno);
  std::size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      const int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      fail(path, "writing failed", e);
    }
    done += static_cast<std::size_t>(n);
  }
  // mkstemp creates 0600; results are ordinary files.
  ::fchmod(fd, 0644);
  const bool synced = ::fsync(fd) == 0;
  const int sync_errno = errno;
  if (::close(fd) != 0 || !synced) {
    const int e = synced ? errno : sync_errno;
    ::unlink(tmp.c_str());
    fail(path, "flushing failed", e);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    fail(path, "renaming the temporary file failed", e);
  }
}

}  // namespace stormsim::sim
