#include "calibration/probe/json_output.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <stdexcept>

#include "sim/atomic_file.h"

#ifndef STORMSIM_VERSION
#define STORMSIM_VERSION "0.0.0"
#endif

namespace stormsim::probe {
namespace {

std::string utc_now_iso8601() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

nlohmann::json new_document(const std::vector<std::string>& command_line) {
  nlohmann::json doc;
  doc["schema"] = kSchema;
  doc["probe"] = {{"version", STORMSIM_VERSION},
                  {"command_line", command_line},
                  {"started", utc_now_iso8601()}};
  return doc;
}

void write_file_atomically(const std::string& path, std::string_view contents) {
  if (path == "-") {
    std::cout << contents << std::flush;
    return;
  }
  sim::write_file_atomically(path, contents);
}

}  // namespace stormsim::probe
