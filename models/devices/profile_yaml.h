// The YAML form of a DeviceProfile (schema device_profile.v1): the parameter
// declarations that validate it, and the emitter that writes it.
#pragma once

#include <string>

#include "models/devices/profile.h"
#include "sim/config/node.h"
#include "sim/config/params.h"

namespace stormsim::models::devices {

inline constexpr std::string_view kProfileSchema = "device_profile.v1";

// Declarations of each map in a profile, for validation and the docs.
sim::config::ModelSpec profile_spec();
sim::config::ModelSpec nvme_spec();
sim::config::ModelSpec io_curve_spec();
sim::config::ModelSpec write_cliff_spec();
sim::config::ModelSpec transport_spec();
sim::config::ModelSpec segment_spec();
sim::config::ModelSpec memory_spec();

// A profile from a parsed YAML tree; ConfigError at the offending key.
DeviceProfile profile_from_node(const sim::config::Node& root);

// A JSON value as block YAML at `indent` spaces (strings quoted as JSON
// strings, which YAML reads back unchanged).
std::string json_to_yaml(const nlohmann::json& value, int indent);
// The inverse for a parsed node: scalars that read as numbers, booleans or
// null become those, the rest strings.
nlohmann::json node_to_typed_json(const sim::config::Node& node);

}  // namespace stormsim::models::devices
