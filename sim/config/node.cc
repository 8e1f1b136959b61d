#include "sim/config/node.h"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <unordered_set>

namespace stormsim::sim::config {

Node Node::null(Location loc) {
  Node n;
  n.location_ = std::move(loc);
  return n;
}

Node Node::scalar(std::string text, Location loc) {
  Node n = null(std::move(loc));
  n.kind_ = Kind::kScalar;
  n.text_ = std::move(text);
  return n;
}

Node Node::sequence(Location loc) {
  Node n = null(std::move(loc));
  n.kind_ = Kind::kSequence;
  return n;
}

Node Node::map(Location loc) {
  Node n = null(std::move(loc));
  n.kind_ = Kind::kMap;
  return n;
}

const std::string& Node::scalar() const {
  if (!is_scalar())
    throw std::logic_error("Node::scalar() on a " + std::string(kind_name(kind_)));
  return text_;
}

const Node* Node::find(std::string_view key) const {
  for (const Entry& e : entries_) {
    if (e.first == key)
      return &e.second;
  }
  return nullptr;
}

Node* Node::find(std::string_view key) {
  return const_cast<Node*>(static_cast<const Node*>(this)->find(key));
}

void Node::set(std::string key, Node value) {
  if (!is_map())
    throw std::logic_error("Node::set() on a " + std::string(kind_name(kind_)));
  if (Node* existing = find(key)) {
    *existing = std::move(value);
    return;
  }
  entries_.emplace_back(std::move(key), std::move(value));
}

bool Node::erase(std::string_view key) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->first == key) {
      entries_.erase(it);
      return true;
    }
  }
  return false;
}

void Node::push_back(Node item) {
  if (!is_sequence()) {
    throw std::logic_error("Node::push_back() on a " + std::string(kind_name(kind_)));
  }
  items_.push_back(std::move(item));
}

void Node::relocate(const Location& loc) {
  location_ = loc;
  key_location_ = loc;
  for (Node& item : items_)
    item.relocate(loc);
  for (Entry& e : entries_)
    e.second.relocate(loc);
}

nlohmann::json Node::to_json() const {
  switch (kind_) {
    case Kind::kNull:
      return nullptr;
    case Kind::kScalar:
      return text_;
    case Kind::kSequence: {
      nlohmann::json out = nlohmann::json::array();
      for (const Node& item : items_)
        out.push_back(item.to_json());
      return out;
    }
    case Kind::kMap: {
      nlohmann::json out = nlohmann::json::object();
      for (const Entry& e : entries_)
        out[e.first] = e.second.to_json();
      return out;
    }
  }
  return nullptr;
}

std::string_view kind_name(Node::Kind kind) {
  switch (kind) {
    case Node::Kind::kNull:
      return "null";
    case Node::Kind::kScalar:
      return "scalar";
    case Node::Kind::kSequence:
      return "sequence";
    case Node::Kind::kMap:
      return "map";
  }
  return "?";
}

namespace {

// yaml-cpp marks are 0-based; users count lines and columns from 1.
Location to_location(const std::string& file, const YAML::Mark& mark) {
  if (mark.is_null())
    return Location{file, 0, 0};
  return Location{file, mark.line + 1, mark.column + 1};
}

// Builds a Node tree from yaml-cpp's parse events. Working from events rather
// than YAML::Node is what gives us key locations and duplicate-key detection:
// yaml-cpp's own tree keeps neither.
class TreeBuilder : public YAML::EventHandler {
 public:
  explicit TreeBuilder(std::string file) : file_(std::move(file)) {}

  Node take_root() { return std::move(root_); }
  const YAML::Mark& document_start() const { return document_start_; }

  void OnDocumentStart(const YAML::Mark& mark) override { document_start_ = mark; }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    complete(Node::null(to_location(file_, mark)), anchor);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {
      throw ConfigError(to_location(file_, mark), current_path(),
                        "alias refers to a node that contains it");
    }
    Node copy = it->second;
    copy.set_key_location(copy.location());
    complete(std::move(copy), YAML::NullAnchor);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                const std::string& value) override {
    complete(Node::scalar(value, to_location(file_, mark)), anchor);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value /*style*/) override {
    stack_.push_back(Frame{Node::sequence(to_location(file_, mark)), anchor});
  }
  void OnSequenceEnd() override { finish_collection(); }

  void OnMapStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value /*style*/) override {
    stack_.push_back(Frame{Node::map(to_location(file_, mark)), anchor});
  }
  void OnMapEnd() override { finish_collection(); }

 private:
  // A collection under construction; for maps, the key awaiting its value.
  struct Frame {
    Node node;
    YAML::anchor_t anchor;
    std::optional<std::string> pending_key = {};
    Location pending_key_location = {};
    std::unordered_set<std::string> keys = {};
  };

  void finish_collection() {
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    complete(std::move(frame.node), frame.anchor);
  }

  // A value is complete: remember it for aliases and attach it to its parent.
  void complete(Node value, YAML::anchor_t anchor) {
    if (anchor != YAML::NullAnchor)
      anchors_[anchor] = value;
    if (stack_.empty()) {
      root_ = std::move(value);
      return;
    }
    Frame& parent = stack_.back();
    if (parent.node.is_sequence()) {
      parent.node.push_back(std::move(value));
    } else if (!parent.pending_key) {
      accept_key(parent, value);
    } else {
      value.set_key_location(parent.pending_key_location);
      parent.node.entries().emplace_back(std::move(*parent.pending_key), std::move(value));
      parent.pending_key.reset();
    }
  }

  void accept_key(Frame& parent, const Node& key) {
    if (!key.is_scalar()) {
      throw ConfigError(key.location(), current_path(),
                        fmt::format("a key must be a plain name, not a {}", kind_name(key.kind())));
    }
    if (!parent.keys.insert(key.scalar()).second) {
      const Location& first = parent.node.find(key.scalar())->key_location();
      throw ConfigError(
          key.location(), join_path(current_path(), key.scalar()),
          fmt::format("duplicate key (first set at line {}, column {})", first.line, first.column));
    }
    parent.pending_key = key.scalar();
    parent.pending_key_location = key.location();
  }

  static std::string join_path(const std::string& prefix, const std::string& key) {
    return prefix.empty() ? key : prefix + "." + key;
  }

  // "a.b.3" for the value being read, so errors name the full key.
  std::string current_path() const {
    std::string path;
    for (const Frame& f : stack_) {
      if (f.node.is_sequence()) {
        path = join_path(path, std::to_string(f.node.items().size()));
      } else if (f.pending_key) {
        path = join_path(path, *f.pending_key);
      }
    }
    return path;
  }

  std::string file_;
  std::vector<Frame> stack_;
  std::map<YAML::anchor_t, Node> anchors_;
  Node root_;
  YAML::Mark document_start_;
};

Node parse_stream(std::istream& in, const std::string& name) {
  try {
    YAML::Parser parser(in);
    TreeBuilder builder(name);
    if (!parser.HandleNextDocument(builder))
      return Node::null(Location{name, 0, 0});
    TreeBuilder extra(name);
    if (parser.HandleNextDocument(extra)) {
      throw ConfigError(to_location(name, extra.document_start()), "",
                        "more than one YAML document; a configuration is one document");
    }
    return builder.take_root();
  } catch (const YAML::Exception& e) {
    throw ConfigError(to_location(name, e.mark), "", "malformed YAML: " + e.msg);
  }
}

}  // namespace

Node load_string(std::string_view text, const std::string& name) {
  std::istringstream in{std::string(text)};
  return parse_stream(in, name);
}

Node load_file(const std::string& path) {
  const Location where{path, 0, 0};
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw ConfigError(where, "", "cannot read configuration: is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ConfigError(where, "",
                      fmt::format("cannot read configuration: {}", std::strerror(errno)));
  }
  return parse_stream(in, path);
}

}  // namespace stormsim::sim::config
