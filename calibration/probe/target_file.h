// The storage target: the one file the probe may write, and the rules that
// keep it from touching anything else.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

namespace stormsim::probe {

// What the user asked for. With neither dir nor file, the probe makes a fresh
// directory under the system temp dir.
struct TargetRequest {
  std::string dir;   // the probe creates its file here (and the directory, if missing)
  std::string file;  // or this exact path, which must not exist yet
  std::uint64_t size = 0;
  bool destructive = false;       // allows an existing file or a block device, read-write
  bool read_only_device = false;  // allows a block device for reads only
  bool direct = true;             // O_DIRECT (falls back to buffered where unsupported)
};

// A safety rule said no, or the target cannot be used as asked. `status` is
// "refused" (a rule; exit code 2), "no_space" (the free-space check) or
// "error".
class TargetError : public std::runtime_error {
 public:
  TargetError(std::string_view status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  const std::string& status() const { return status_; }

 private:
  std::string status_;
};

// The opened target. Removes what the probe created (its file, its directory)
// when destroyed, and registers both for removal by a second Ctrl-C.
class TargetFile {
 public:
  enum class Kind { kCreatedFile, kExistingFile, kBlockDevice };

  // Applies the safety rules, then creates or opens the target. Throws
  // TargetError.
  static TargetFile open(const TargetRequest& request);

  TargetFile(TargetFile&& other) noexcept;
  TargetFile& operator=(TargetFile&&) = delete;
  TargetFile(const TargetFile&) = delete;
  ~TargetFile();

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  Kind kind() const { return kind_; }
  bool writable() const { return writable_; }
  bool direct() const { return direct_; }
  // Why IO is buffered when O_DIRECT was asked for; empty when direct.
  const std::string& direct_note() const { return direct_note_; }
  // The region the probe uses: [0, size()).
  std::uint64_t size() const { return size_; }
  // Switches to buffered IO after the kernel rejected O_DIRECT IO (EINVAL).
  void fall_back_to_buffered(const std::string& why);
  // Removes the created file and directory now; idempotent.
  void remove_created();

  // {"path", "kind", "size_bytes", "writable", "direct", "direct_note"?,
  //  "created_dir"?}
  nlohmann::json to_json() const;

 private:
  TargetFile() = default;

  int fd_ = -1;
  std::string path_;
  bool created_file_ = false;  // only then is path_ ours to unlink
  std::string created_dir_;    // non-empty when the probe made the directory
  Kind kind_ = Kind::kCreatedFile;
  bool writable_ = false;
  bool direct_ = false;
  std::string direct_note_;
  std::uint64_t size_ = 0;
};

// Space the probe leaves free on the filesystem: 5% of its size, at most
// 1 GiB, so that the probe never fills a disk that others use.
std::uint64_t free_space_reserve(std::uint64_t filesystem_bytes);

}  // namespace stormsim::probe
