#include "sim/config/compose.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <system_error>
#include <vector>

#include "sim/config/params.h"

namespace stormsim::sim::config {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kExtendsKey = "extends";
constexpr std::string_view kNameKey = "name";

// ---- extends ----------------------------------------------------------------

// The files being loaded, outermost first, to detect `extends` cycles.
struct ExtendsChain {
  std::vector<std::string> canonical;  // compared
  std::vector<std::string> shown;      // printed, as the user would recognise them
};

std::string canonical_path(const fs::path& p) {
  std::error_code ec;
  fs::path c = fs::weakly_canonical(p, ec);
  return ec ? p.lexically_normal().string() : c.string();
}

std::string cycle_text(const ExtendsChain& chain, const std::string& again) {
  std::string out;
  for (const std::string& s : chain.shown)
    out += s + " -> ";
  return out + again;
}

Node resolve_extends(Node root, const fs::path& dir, ExtendsChain& chain);

// Loads the base that `extends` names (with its own bases), checking that it
// exists and is not already being loaded.
Node load_base(const Node& extends, const fs::path& dir, ExtendsChain& chain) {
  const std::string key(kExtendsKey);
  if (!extends.is_scalar() || extends.scalar().empty()) {
    throw ConfigError(extends.location(), key, "expected a file name such as base.yaml");
  }
  const fs::path base_path = dir / extends.scalar();
  const std::string canonical = canonical_path(base_path);
  if (std::find(chain.canonical.begin(), chain.canonical.end(), canonical) !=
      chain.canonical.end()) {
    throw ConfigError(extends.key_location(), key,
                      "extends cycle: " + cycle_text(chain, base_path.string()));
  }
  std::error_code ec;
  if (!fs::is_regular_file(base_path, ec)) {
    throw ConfigError(extends.key_location(), key,
                      fmt::format("base scenario `{}` does not exist", base_path.string()));
  }
  chain.canonical.push_back(canonical);
  chain.shown.push_back(base_path.string());
  Node base = resolve_extends(load_file(base_path.string()), base_path.parent_path(), chain);
  chain.canonical.pop_back();
  chain.shown.pop_back();
  return base;
}

Node resolve_extends(Node root, const fs::path& dir, ExtendsChain& chain) {
  if (!root.is_map())
    return root;
  const Node* extends = root.find(kExtendsKey);
  if (extends == nullptr)
    return root;
  Node base = load_base(*extends, dir, chain);
  root.erase(kExtendsKey);
  deep_merge(base, root);
  return base;
}

// ---- deep merge -------------------------------------------------------------

std::string join_path(const std::string& prefix, std::string_view segment) {
  return prefix.empty() ? std::string(segment) : fmt::format("{}.{}", prefix, segment);
}

// The `name:` of a sequence item, or nullptr when it has none.
const std::string* item_name(const Node& item) {
  if (!item.is_map())
    return nullptr;
  const Node* name = item.find(kNameKey);
  return name != nullptr && name->is_scalar() ? &name->scalar() : nullptr;
}

// A non-empty sequence of maps that all have a `name:`. An empty sequence is
// not one, so that `components: []` replaces rather than merges nothing.
bool is_named_sequence(const Node& n) {
  return n.is_sequence() && !n.items().empty() &&
         std::all_of(n.items().begin(), n.items().end(),
                     [](const Node& item) { return item_name(item) != nullptr; });
}

Node* find_named_item(Node& seq, std::string_view name) {
  for (Node& item : seq.items()) {
    if (const std::string* n = item_name(item); n != nullptr && *n == name)
      return &item;
  }
  return nullptr;
}

void require_unique_names(const Node& seq, const std::string& path) {
  for (auto it = seq.items().begin(); it != seq.items().end(); ++it) {
    for (auto prev = seq.items().begin(); prev != it; ++prev) {
      if (*item_name(*prev) != *item_name(*it))
        continue;
      const Location& first = prev->find(kNameKey)->location();
      throw ConfigError(
          it->find(kNameKey)->location(), join_path(path, kNameKey),
          fmt::format("duplicate name `{}` (first used at {})", *item_name(*it), first.str()));
    }
  }
}

void merge_at(Node& base, const Node& overlay, const std::string& path);

void merge_maps(Node& base, const Node& overlay, const std::string& path) {
  for (const Node::Entry& entry : overlay.entries()) {
    if (Node* existing = base.find(entry.first)) {
      merge_at(*existing, entry.second, join_path(path, entry.first));
    } else {
      base.entries().push_back(entry);
    }
  }
}

void merge_named_items(Node& base, const Node& overlay, const std::string& path) {
  require_unique_names(base, path);
  require_unique_names(overlay, path);
  for (const Node& item : overlay.items()) {
    if (Node* existing = find_named_item(base, *item_name(item))) {
      merge_at(*existing, item, join_path(path, *item_name(item)));
    } else {
      base.push_back(item);
    }
  }
}

void merge_at(Node& base, const Node& overlay, const std::string& path) {
  if (base.is_map() && overlay.is_map()) {
    merge_maps(base, overlay, path);
  } else if (is_named_sequence(base) && is_named_sequence(overlay)) {
    merge_named_items(base, overlay, path);
  } else {
    base = overlay;
    return;
  }
  base.set_location(overlay.location());
  base.set_key_location(overlay.key_location());
}

// ---- overrides --------------------------------------------------------------

const Location kSetLocation{"--set", 0, 0};

std::string trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos)
    return "";
  const auto last = s.find_last_not_of(" \t");
  return std::string(s.substr(first, last - first + 1));
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = path.find('.', start);
    segments.push_back(path.substr(start, dot - start));
    if (segments.back().empty()) {
      throw ConfigError(kSetLocation, path, "empty segment in path; expected e.g. a.b.c=value");
    }
    if (dot == std::string::npos)
      return segments;
    start = dot + 1;
  }
}

bool is_index(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
}

// What a segment could have been at `node`, for the error message.
std::vector<std::string> available_segments(const Node& node) {
  std::vector<std::string> out;
  for (const Node::Entry& e : node.entries())
    out.push_back(e.first);
  for (std::size_t i = 0; i < node.items().size(); ++i) {
    const std::string* name = item_name(node.items()[i]);
    out.push_back(name != nullptr ? *name : std::to_string(i));
  }
  return out;
}

[[noreturn]] void fail_segment(const Node& node, std::string_view segment,
                               const std::string& walked, const std::string& path) {
  const std::string where = walked.empty() ? "the root" : fmt::format("`{}`", walked);
  if (!node.is_map() && !node.is_sequence()) {
    throw ConfigError(
        kSetLocation, path,
        fmt::format("{} is a {}, so it has no `{}`", where, kind_name(node.kind()), segment));
  }
  const std::vector<std::string> options = available_segments(node);
  std::string message = fmt::format("no `{}` in {}", segment, where);
  if (const std::string near = closest_name(segment, options); !near.empty()) {
    message += fmt::format("; did you mean `{}`?", near);
  }
  if (node.is_sequence()) {
    message += fmt::format(" (an index 0..{} or an item's name)", node.items().size() - 1);
  }
  message +=
      options.empty() ? "; it is empty" : fmt::format("; available: {}", fmt::join(options, ", "));
  throw ConfigError(kSetLocation, path, message);
}

// The child of `node` that `segment` names, or nullptr.
Node* child(Node& node, const std::string& segment) {
  if (node.is_map())
    return node.find(segment);
  if (!node.is_sequence())
    return nullptr;
  if (is_index(segment)) {
    std::size_t i = 0;
    const auto [end, ec] = std::from_chars(segment.data(), segment.data() + segment.size(), i);
    const bool ok = ec == std::errc() && end == segment.data() + segment.size();
    return ok && i < node.items().size() ? &node.items()[i] : nullptr;
  }
  return find_named_item(node, segment);
}

Node parse_value(std::string_view text, const std::string& path) {
  try {
    Node value = load_string(text, "--set");
    value.relocate(kSetLocation);
    return value;
  } catch (const ConfigError& e) {
    throw ConfigError(kSetLocation, path,
                      fmt::format("cannot parse value `{}`: {}", text, e.detail()));
  }
}

}  // namespace

Node load_scenario(const std::string& path) {
  ExtendsChain chain{{canonical_path(path)}, {path}};
  return resolve_extends(load_file(path), fs::path(path).parent_path(), chain);
}

Node load_scenario_string(std::string_view text, const std::string& name,
                          const std::string& base_dir) {
  ExtendsChain chain{{}, {name}};
  return resolve_extends(load_string(text, name), fs::path(base_dir), chain);
}

void deep_merge(Node& base, const Node& overlay) {
  merge_at(base, overlay, "");
}

void apply_override(Node& root, std::string_view assignment) {
  const std::size_t eq = assignment.find('=');
  if (eq == std::string_view::npos) {
    throw ConfigError(kSetLocation, std::string(assignment),
                      "expected path.to.key=value (no `=` found)");
  }
  const std::string path = trim(assignment.substr(0, eq));
  if (path.empty())
    throw ConfigError(kSetLocation, "", "expected path.to.key=value (no path)");
  const std::vector<std::string> segments = split_path(path);
  Node value = parse_value(assignment.substr(eq + 1), path);

  Node* node = &root;
  std::string walked;
  for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
    Node* next = child(*node, segments[i]);
    if (next == nullptr)
      fail_segment(*node, segments[i], walked, path);
    node = next;
    walked = join_path(walked, segments[i]);
  }
  const std::string& last = segments.back();
  if (node->is_map()) {
    node->set(last, std::move(value));
  } else if (Node* target = child(*node, last)) {
    *target = std::move(value);
  } else {
    fail_segment(*node, last, walked, path);
  }
}

}  // namespace stormsim::sim::config
