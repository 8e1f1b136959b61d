// Imports fio's own `--output-format=json` output into a probe.v1 document,
// so measurements taken with fio feed the same fitter as the probe's.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace stormsim::probe {

// A probe.v1 document whose "storage" section holds one point per fio job:
// "jobname", "job options" (global options merged under the job's), "rw",
// "bs", "iodepth", "direct", "ioengine", "status", and fio's "read" and
// "write" objects (io_bytes, bw_bytes, iops, runtime, total_ios, clat_ns,
// lat_ns, slat_ns, ...; fio 2's microsecond "clat"/"lat"/"slat" become _ns).
// Throws std::invalid_argument when `fio` is not fio's JSON output.
nlohmann::json import_fio(const nlohmann::json& fio, const std::string& source);

// The same from text; fio sometimes prints warnings before the JSON, which
// are skipped (and kept in the document's "fio_warnings").
nlohmann::json import_fio_text(std::string_view text, const std::string& source);
// Reads `path`; throws std::runtime_error when it cannot be read.
nlohmann::json import_fio_file(const std::string& path);

// fio's size syntax: "4096", "4k", "4K", "4KiB", "1m", "1M" (powers of 1024,
// fio's default kb_base), a range "4k-64k" or a read,write pair "4k,64k"
// gives its first value. Throws std::invalid_argument.
std::uint64_t parse_fio_size(std::string_view text);

}  // namespace stormsim::probe
