// Where a configuration value came from, and the error users see about it.
#pragma once

#include <stdexcept>
#include <string>

namespace stormsim::sim::config {

// A position in a YAML file (1-based line and column), or the command line
// for values given with --set (file "--set", line 0).
struct Location {
  std::string file;
  int line = 0;
  int column = 0;

  // "file:line:column", "file:line", or "file" when line/column are unknown.
  std::string str() const;
};

// An error the user caused in a configuration: always names where and which
// key. The message reads "file:line:column: key `a.b`: what is wrong".
class ConfigError : public std::runtime_error {
 public:
  ConfigError(Location where, std::string key, const std::string& what);

  const Location& where() const { return where_; }
  const std::string& key() const { return key_; }
  // The message without the location and key prefix.
  const std::string& detail() const { return detail_; }

 private:
  Location where_;
  std::string key_;
  std::string detail_;
};

}  // namespace stormsim::sim::config
