// Atomic file output: a reader never sees a half-written result or probe
// document.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string_view>

namespace stormsim::sim {

// The output could not be written (a bad -o directory, a full disk).
class OutputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Writes `contents` to `path` by writing a temporary file in the same
// directory, flushing it to disk, and renaming it over `path`. Creates the
// directory if needed. Throws OutputError naming the path on failure.
void write_file_atomically(const std::filesystem::path& path, std::string_view contents);

}  // namespace stormsim::sim
