// The probe.v1 document: its skeleton and its atomic write.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace stormsim::probe {

inline constexpr std::string_view kSchema = "probe.v1";

// {"schema": "probe.v1", "probe": {version, command_line, started (UTC,
// ISO 8601)}}; sections are added by the caller.
nlohmann::json new_document(const std::vector<std::string>& command_line);

// Writes `contents` to `path` ("-" is stdout) through a temporary file in the
// same directory, fsync and rename, so a reader never sees half a document.
// Throws sim::OutputError (a std::runtime_error) naming the path and the
// failing step.
void write_file_atomically(const std::string& path, std::string_view contents);

}  // namespace stormsim::probe
