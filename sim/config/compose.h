// Scenario composition: `extends:` inheritance and --set overrides.
#pragma once

#include <string>
#include <string_view>

#include "sim/config/node.h"

namespace stormsim::sim::config {

// Loads a scenario file. If its root map has `extends: base.yaml` (relative to
// the extending file's directory), the base is loaded the same way
// (recursively) and this file is deep-merged over it; `extends` is dropped
// from the result. A cycle or a missing base is a ConfigError at the
// `extends` key.
Node load_scenario(const std::string& path);

// As load_scenario, for text in memory: `name` stands for the file name in
// locations and `base_dir` is where a relative `extends:` is looked up.
Node load_scenario_string(std::string_view text, const std::string& name,
                          const std::string& base_dir);

// Deep-merges `overlay` over `base`:
//  - map over map: key by key, recursively; new keys are appended;
//  - a non-empty sequence whose items are all maps with a scalar `name:`,
//    over a sequence of the same shape: item by item by name (same name merges
//    recursively, a new name is appended); duplicate names are a ConfigError;
//  - anything else (scalars, null, other sequences, `[]`, a kind change):
//    the overlay replaces the base value.
// Values keep the locations where they were written; a merged map takes the
// overlay's location.
void deep_merge(Node& base, const Node& overlay);

// Applies one `--set path.to.key=value`. Segments walk maps by key and
// sequences by index (`components.1.rate`) or by an item's `name:`
// (`components.server.rate`). The last segment may create a new key in an
// existing map (validation rejects it later if unknown); a missing segment
// before it is a ConfigError that lists the available ones. The value is YAML
// (so `"a b"`, `[a, b]` and `{k: v}` work, and an empty value is null), and
// it is located at Location{"--set", 0, 0}.
void apply_override(Node& root, std::string_view assignment);

}  // namespace stormsim::sim::config
