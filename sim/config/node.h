// Node: a configuration tree that remembers where every value was written.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/config/error.h"

namespace stormsim::sim::config {

// One value of a configuration: null, a scalar (its text exactly as written,
// unquoted), a sequence, or a map whose entries keep file order. Every node
// knows where its value starts and, for map values, where its key is, so
// that errors point at the line the user has to change. Independent of the
// YAML library: only node.cc sees yaml-cpp.
class Node {
 public:
  enum class Kind { kNull, kScalar, kSequence, kMap };
  using Entry = std::pair<std::string, Node>;

  Node() = default;

  // Builders, for tests, --set and the loader.
  static Node null(Location loc);
  static Node scalar(std::string text, Location loc);
  static Node sequence(Location loc);
  static Node map(Location loc);

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool is_scalar() const { return kind_ == Kind::kScalar; }
  bool is_sequence() const { return kind_ == Kind::kSequence; }
  bool is_map() const { return kind_ == Kind::kMap; }

  // The scalar's text; a programming error (std::logic_error) on other kinds.
  const std::string& scalar() const;
  // Items of a sequence / entries of a map; empty for other kinds.
  const std::vector<Node>& items() const { return items_; }
  std::vector<Node>& items() { return items_; }
  const std::vector<Entry>& entries() const { return entries_; }
  std::vector<Entry>& entries() { return entries_; }
  std::size_t size() const { return is_map() ? entries_.size() : items_.size(); }

  // The value under `key` in a map; nullptr when absent or not a map.
  const Node* find(std::string_view key) const;
  Node* find(std::string_view key);
  // Sets `key` in a map: replaces the value in place (keeping its position)
  // or appends. The value keeps its own key location if it has one, else
  // its key is taken to be written where the value is.
  void set(std::string key, Node value);
  // Removes `key` from a map; returns whether it was there.
  bool erase(std::string_view key);
  void push_back(Node item);

  // Where the value starts.
  const Location& location() const { return location_; }
  // Where its key is written, for a map value; else the same as location().
  const Location& key_location() const { return key_location_ ? *key_location_ : location_; }
  void set_location(Location loc) { location_ = std::move(loc); }
  void set_key_location(Location loc) { key_location_ = std::move(loc); }
  // Gives this node and everything under it one location (values from --set).
  void relocate(const Location& loc);

  // Scalars as strings (text as written), null as null, maps as objects.
  // Used to echo inputs into results; key order is nlohmann::json's (sorted),
  // so the output is deterministic.
  nlohmann::json to_json() const;

 private:
  Kind kind_ = Kind::kNull;
  std::string text_;
  std::vector<Node> items_;
  std::vector<Entry> entries_;
  Location location_;
  std::optional<Location> key_location_;
};

// "null", "scalar", "sequence", "map" for messages.
std::string_view kind_name(Node::Kind kind);

// Parses a YAML file. A missing or unreadable file, malformed YAML, a
// duplicate key, a non-scalar key or more than one document is a
// ConfigError naming file:line:column. Aliases are expanded (the copy keeps
// the anchor's locations); tags are ignored; merge keys (`<<`) are not
// special. An empty file is a null node.
Node load_file(const std::string& path);

// As load_file, for text in memory; `name` stands for the file name in
// locations (e.g. "<default scenario>").
Node load_string(std::string_view text, const std::string& name);

}  // namespace stormsim::sim::config
