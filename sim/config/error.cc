#include "sim/config/error.h"

#include <fmt/format.h>

namespace stormsim::sim::config {
namespace {

std::string compose(const Location& where, const std::string& key, const std::string& what) {
  if (key.empty())
    return fmt::format("{}: {}", where.str(), what);
  return fmt::format("{}: key `{}`: {}", where.str(), key, what);
}

}  // namespace

std::string Location::str() const {
  if (line <= 0)
    return file;
  if (column <= 0)
    return fmt::format("{}:{}", file, line);
  return fmt::format("{}:{}:{}", file, line, column);
}

ConfigError::ConfigError(Location where, std::string key, const std::string& what)
    : std::runtime_error(compose(where, key, what)),
      where_(std::move(where)),
      key_(std::move(key)),
      detail_(what) {}

}  // namespace stormsim::sim::config
