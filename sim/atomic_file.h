// Atomic file output: a reader never sees a half-written result or probe
// document.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace stormsim::sim {

// The output could not be written (a bad -o directory, a full disk).
class OutputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A file written in pieces that appears at `path` whole or not at all: the
// bytes go to a temporary file in the same directory (created, with the
// directory if needed, by the constructor), and commit() flushes it to disk
// and renames it over `path`. Destroyed before commit(), it removes the
// temporary file. Every failure throws OutputError naming `path`.
class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(std::string_view bytes);
  void commit();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::string tmp_;
  int fd_ = -1;
};

// Writes `contents` to `path` through an AtomicFile.
void write_file_atomically(const std::filesystem::path& path, std::string_view contents);

}  // namespace stormsim::sim
