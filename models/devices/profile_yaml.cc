#include "models/devices/profile_yaml.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>
#include <charconv>
#include <cmath>
#include <string_view>
#include <vector>

#include "sim/units.h"

namespace stormsim::models::devices {

using sim::config::ConfigError;
using sim::config::ModelSpec;
using sim::config::Node;
using sim::config::Params;
using sim::config::ParamSpec;
using sim::units::Dimension;

ModelSpec profile_spec() {
  return ModelSpec{"device_profile",
                   "fitted device curves from one probe run (stormsim fit)",
                   {ParamSpec::string("schema").help("device_profile.v1")}};
}

ModelSpec nvme_spec() {
  return ModelSpec{
      "nvme",
      "one drive: a curve per operation (read, write, randread, randwrite), a write cliff",
      {
          ParamSpec::quantity("capacity", Dimension::kSize).def("0B").min(0).help("0: unknown"),
          ParamSpec::string("knee").def("hard").help(
              "k of the k-norm between the IOPS and the bandwidth limit, or `hard` (min)"),
          ParamSpec::time("submit_overhead")
              .def("0s")
              .min(0)
              .help("host time to submit one request, outside the completion latency"),
      }};
}

ModelSpec io_curve_spec() {
  return ModelSpec{
      "io_curve",
      "latency a + size / B at queue depth 1, throughput saturating at max_iops / max_bandwidth",
      {
          ParamSpec::time("base_latency").min(0).help("a: unloaded latency of an empty request"),
          ParamSpec::quantity("transfer_rate", Dimension::kDataRate)
              .positive()
              .help("B: unloaded latency grows by size / B"),
          ParamSpec::quantity("max_iops", Dimension::kOpRate).positive().help("operations/s"),
          ParamSpec::quantity("max_bandwidth", Dimension::kDataRate).positive().help("bytes/s"),
          ParamSpec::quantity("tail_fraction", Dimension::kFraction)
              .def("0%")
              .min(0)
              .less_than(0.5)
              .help("fraction of requests in the latency tail"),
          ParamSpec::real("tail_scale")
              .def("0")
              .min(0)
              .help("a tail request takes (1 + tail_scale) times as long"),
      }};
}

ModelSpec write_cliff_spec() {
  return ModelSpec{"write_cliff",
                   "write bandwidth `before` until `cache` bytes are written, `after` from then on",
                   {
                       ParamSpec::quantity("cache", Dimension::kSize).positive().help("bytes"),
                       ParamSpec::quantity("before", Dimension::kDataRate).positive(),
                       ParamSpec::quantity("after", Dimension::kDataRate).positive(),
                   }};
}

ModelSpec transport_spec() {
  return ModelSpec{"transport",
                   "a transport's round trip and bandwidth",
                   {
                       ParamSpec::time("round_trip").min(0).help("small-message round trip"),
                       ParamSpec::quantity("stream_bandwidth", Dimension::kDataRate)
                           .positive()
                           .help("one stream"),
                       ParamSpec::quantity("aggregate_bandwidth", Dimension::kDataRate)
                           .positive()
                           .help("`streams` streams together"),
                       ParamSpec::integer("streams").def("1").min(1).max(1e6),
                   }};
}

ModelSpec segment_spec() {
  return ModelSpec{"segment",
                   "t(m) = latency + m / bandwidth for min_message <= m < max_message",
                   {
                       ParamSpec::quantity("min_message", Dimension::kSize).def("0B").min(0),
                       ParamSpec::quantity("max_message", Dimension::kSize)
                           .def("0B")
                           .min(0)
                           .help("0B: no upper end"),
                       ParamSpec::time("latency").min(0),
                       ParamSpec::quantity("bandwidth", Dimension::kDataRate).positive(),
                   }};
}

ModelSpec memory_spec() {
  return ModelSpec{
      "memory",
      "memcpy bandwidth",
      {
          ParamSpec::quantity("copy_bandwidth_one_thread", Dimension::kDataRate).positive(),
          ParamSpec::quantity("copy_bandwidth_all", Dimension::kDataRate).positive(),
          ParamSpec::integer("threads").min(1).max(1e6),
      }};
}

namespace {

constexpr std::array<std::string_view, 5> kTopSections = {"source", "residuals", "nvme", "network",
                                                          "memory"};
constexpr std::array<std::string_view, 5> kNvmeSections = {"read", "write", "randread", "randwrite",
                                                           "cliff"};
constexpr std::array<std::string_view, 1> kTransportSections = {"segments"};
constexpr std::array<std::string_view, 2> kNetworkSections = {"tcp", "rdma"};

std::string q(double value, Dimension d) {
  return sim::units::format(value, d);
}
std::string q(sim::Time t) {
  return q(t.seconds(), Dimension::kTime);
}
std::string q(sim::Bytes b) {
  return q(b.value(), Dimension::kSize);
}
std::string q(sim::BytesPerSec r) {
  return q(r.value(), Dimension::kDataRate);
}

const Node& require(const Node& map, std::string_view key, const std::string& where) {
  const Node* n = map.find(key);
  if (n == nullptr) {
    throw ConfigError(map.location(),
                      where.empty() ? std::string(key) : fmt::format("{}.{}", where, key),
                      fmt::format("missing `{}`", key));
  }
  return *n;
}

double knee_value(const Node& nvme, const Params& p) {
  const std::string& text = p.string("knee");
  if (text == "hard")
    return IoCurve::kHardKnee;
  double k = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), k);
  if (ec != std::errc() || end != text.data() + text.size() || !(k > 0) || !std::isfinite(k)) {
    const Node* at = nvme.find("knee");
    throw ConfigError(at ? at->location() : nvme.location(), "nvme.knee",
                      fmt::format("expected `hard` or a number > 0, got \"{}\"", text));
  }
  return k;
}

IoCurve read_curve(const Node& map, const std::string& key, double knee) {
  const Params p = sim::config::validate(map, io_curve_spec(), {}, key);
  IoCurve c;
  c.base_latency = p.time("base_latency");
  c.transfer_rate = p.data_rate("transfer_rate");
  c.max_iops = p.quantity("max_iops");
  c.max_bandwidth = p.data_rate("max_bandwidth");
  c.knee = knee;
  c.tail_fraction = p.quantity("tail_fraction");
  c.tail_scale = p.real("tail_scale");
  return c;
}

NvmeProfile read_nvme(const Node& map) {
  const Params p = sim::config::validate(map, nvme_spec(), kNvmeSections, "nvme");
  const double knee = knee_value(map, p);
  NvmeProfile nvme;
  nvme.capacity = p.bytes("capacity");
  nvme.submit_overhead = p.time("submit_overhead");
  for (IoOp op : kAllIoOps) {
    const std::string key = fmt::format("nvme.{}", name(op));
    nvme.curve(op) = read_curve(require(map, name(op), "nvme"), key, knee);
  }
  if (const Node* cliff = map.find("cliff"); cliff != nullptr && !cliff->is_null()) {
    const Params c = sim::config::validate(*cliff, write_cliff_spec(), {}, "nvme.cliff");
    nvme.cliff = WriteCliff{c.bytes("cache"), c.data_rate("before"), c.data_rate("after")};
  }
  return nvme;
}

TransportProfile read_transport(const Node& map, const std::string& key) {
  const Params p = sim::config::validate(map, transport_spec(), kTransportSections, key);
  TransportProfile t;
  t.round_trip = p.time("round_trip");
  t.stream_bandwidth = p.data_rate("stream_bandwidth");
  t.aggregate_bandwidth = p.data_rate("aggregate_bandwidth");
  t.streams = static_cast<int>(p.integer("streams"));
  const Node* segments = map.find("segments");
  if (segments == nullptr || segments->is_null())
    return t;
  if (!segments->is_sequence()) {
    throw ConfigError(
        segments->location(), key + ".segments",
        fmt::format("expected a list of segments, got a {}", kind_name(segments->kind())));
  }
  for (std::size_t i = 0; i < segments->items().size(); ++i) {
    const Params s = sim::config::validate(segments->items()[i], segment_spec(), {},
                                           fmt::format("{}.segments.{}", key, i));
    t.segments.push_back(TransferSegment{s.bytes("min_message"), s.bytes("max_message"),
                                         s.time("latency"), s.data_rate("bandwidth")});
  }
  return t;
}

NetworkProfile read_network(const Node& map) {
  if (!map.is_map()) {
    throw ConfigError(
        map.location(), "network",
        fmt::format("expected a map with `tcp` (and `rdma`), got a {}", kind_name(map.kind())));
  }
  const ModelSpec spec{"network", "TCP and RDMA transports", {}};
  sim::config::validate(map, spec, kNetworkSections, "network");
  NetworkProfile n;
  n.tcp = read_transport(require(map, "tcp", "network"), "network.tcp");
  if (const Node* rdma = map.find("rdma"); rdma != nullptr && !rdma->is_null())
    n.rdma = read_transport(*rdma, "network.rdma");
  return n;
}

MemoryProfile read_memory(const Node& map) {
  const Params p = sim::config::validate(map, memory_spec(), {}, "memory");
  return MemoryProfile{p.data_rate("copy_bandwidth_one_thread"), p.data_rate("copy_bandwidth_all"),
                       static_cast<int>(p.integer("threads"))};
}

bool simple_key(std::string_view key) {
  if (key.empty())
    return false;
  for (char c : key) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok)
      return false;
  }
  return true;
}

std::string yaml_key(const std::string& key) {
  return simple_key(key) ? key : nlohmann::json(key).dump();
}

bool is_container(const nlohmann::json& v) {
  return (v.is_object() || v.is_array()) && !v.empty();
}

void emit(std::string& out, const nlohmann::json& v, int indent);

// A scalar, or an empty container in flow style.
std::string scalar_text(const nlohmann::json& v) {
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (!std::isfinite(d))
      return "null";
    return fmt::format("{}", d);
  }
  return v.dump();
}

void emit_value_after_key(std::string& out, const nlohmann::json& v, int indent) {
  if (v.is_array() && !v.empty() &&
      std::none_of(v.begin(), v.end(), [](const nlohmann::json& x) { return is_container(x); }) &&
      v.size() <= 16) {
    // Short lists of scalars stay on one line.
    std::vector<std::string> items;
    for (const nlohmann::json& x : v)
      items.push_back(scalar_text(x));
    out += fmt::format(" [{}]\n", fmt::join(items, ", "));
    return;
  }
  if (is_container(v)) {
    out += "\n";
    emit(out, v, indent + 2);
    return;
  }
  out += fmt::format(" {}\n", scalar_text(v));
}

void emit(std::string& out, const nlohmann::json& v, int indent) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  if (v.is_object()) {
    for (const auto& [key, value] : v.items()) {
      out += pad + yaml_key(key) + ":";
      emit_value_after_key(out, value, indent);
    }
    return;
  }
  if (v.is_array()) {
    for (const nlohmann::json& item : v) {
      if (item.is_object() && !item.empty()) {
        // "- " then the map's first key on the same line, the rest aligned.
        std::string inner;
        emit(inner, item, indent + 2);
        out += pad + "- " + inner.substr(static_cast<std::size_t>(indent) + 2);
      } else if (is_container(item)) {
        out += pad + "-\n";
        emit(out, item, indent + 2);
      } else {
        out += pad + "- " + scalar_text(item) + "\n";
      }
    }
    return;
  }
  out += pad + scalar_text(v) + "\n";
}

void emit_curve(std::string& out, const IoCurve& c) {
  out += fmt::format("    base_latency: {}\n", q(c.base_latency));
  out += fmt::format("    transfer_rate: {}\n", q(c.transfer_rate));
  out += fmt::format("    max_iops: {}\n", q(c.max_iops, Dimension::kOpRate));
  out += fmt::format("    max_bandwidth: {}\n", q(c.max_bandwidth));
  out += fmt::format("    tail_fraction: {}\n", q(c.tail_fraction, Dimension::kFraction));
  out += fmt::format("    tail_scale: {:.6g}\n", c.tail_scale);
}

void emit_transport(std::string& out, const TransportProfile& t) {
  out += fmt::format("    round_trip: {}\n", q(t.round_trip));
  out += fmt::format("    stream_bandwidth: {}\n", q(t.stream_bandwidth));
  out += fmt::format("    aggregate_bandwidth: {}\n", q(t.aggregate_bandwidth));
  out += fmt::format("    streams: {}\n", t.streams);
  if (t.segments.empty())
    return;
  out += "    segments:\n";
  for (const TransferSegment& s : t.segments) {
    out += fmt::format("      - {{min_message: {}, max_message: {}, latency: {}, bandwidth: {}}}\n",
                       q(s.min_message), q(s.max_message), q(s.latency), q(s.bandwidth));
  }
}

}  // namespace

DeviceProfile profile_from_node(const Node& root) {
  if (!root.is_map()) {
    throw ConfigError(root.location(), "",
                      fmt::format("a device profile is a map, got a {}", kind_name(root.kind())));
  }
  const Params top = sim::config::validate(root, profile_spec(), kTopSections);
  if (top.string("schema") != kProfileSchema) {
    top.fail("schema", fmt::format("unknown schema \"{}\"; this stormsim reads {}",
                                   top.string("schema"), kProfileSchema));
  }
  DeviceProfile p;
  if (const Node* n = root.find("nvme"); n != nullptr && !n->is_null())
    p.nvme = read_nvme(*n);
  if (const Node* n = root.find("network"); n != nullptr && !n->is_null())
    p.network = read_network(*n);
  if (const Node* n = root.find("memory"); n != nullptr && !n->is_null())
    p.memory = read_memory(*n);
  if (const Node* n = root.find("source"))
    p.source = node_to_typed_json(*n);
  if (const Node* n = root.find("residuals"))
    p.residuals = node_to_typed_json(*n);
  return p;
}

std::string json_to_yaml(const nlohmann::json& value, int indent) {
  std::string out;
  emit(out, value, indent);
  return out;
}

nlohmann::json node_to_typed_json(const Node& node) {
  switch (node.kind()) {
    case Node::Kind::kNull:
      return nullptr;
    case Node::Kind::kSequence: {
      nlohmann::json out = nlohmann::json::array();
      for (const Node& item : node.items())
        out.push_back(node_to_typed_json(item));
      return out;
    }
    case Node::Kind::kMap: {
      nlohmann::json out = nlohmann::json::object();
      for (const Node::Entry& e : node.entries())
        out[e.first] = node_to_typed_json(e.second);
      return out;
    }
    case Node::Kind::kScalar:
      break;
  }
  const std::string& text = node.scalar();
  if (text == "true" || text == "false")
    return text == "true";
  if (text == "null" || text == "~")
    return nullptr;
  if (!text.empty()) {
    // Integers stay integers; anything else numeric is a double.
    std::int64_t i = 0;
    const char* end = text.data() + text.size();
    if (auto [p, ec] = std::from_chars(text.data(), end, i); ec == std::errc() && p == end)
      return i;
    double d = 0;
    if (auto [p, ec] = std::from_chars(text.data(), end, d); ec == std::errc() && p == end)
      return d;
  }
  return text;
}

std::string device_profile_yaml(const DeviceProfile& p) {
  std::string out;
  out += "# stormsim device profile: curves fitted by `stormsim fit` from one probe run.\n";
  out += "# Quantities carry units; `source` is the run, `residuals` the fit's errors.\n";
  out += fmt::format("schema: {}\n", kProfileSchema);
  if (p.nvme) {
    const NvmeProfile& n = *p.nvme;
    out += "# Per operation: median completion latency at queue depth 1 = base_latency +\n";
    out += "# size / transfer_rate (the mean x (1 + tail_fraction x tail_scale)); throughput\n";
    out += "# at queue depth q = min(q / (submit_overhead + mean latency), X_max), X_max the\n";
    out += "# knee-norm of max_iops and max_bandwidth / size (models/devices/profile.h).\n";
    out += "nvme:\n";
    out += fmt::format("  capacity: {}\n", q(n.capacity));
    out += fmt::format("  submit_overhead: {}\n", q(n.submit_overhead));
    out += fmt::format("  knee: {}\n", n.curves[0].knee == IoCurve::kHardKnee
                                           ? std::string("hard")
                                           : fmt::format("{:.4g}", n.curves[0].knee));
    for (IoOp op : kAllIoOps) {
      out += fmt::format("  {}:\n", name(op));
      emit_curve(out, n.curve(op));
    }
    if (n.cliff) {
      out += fmt::format("  cliff: {{cache: {}, before: {}, after: {}}}\n", q(n.cliff->cache),
                         q(n.cliff->before), q(n.cliff->after));
    }
  }
  if (p.network) {
    out += "network:\n  tcp:\n";
    emit_transport(out, p.network->tcp);
    if (p.network->rdma) {
      out += "  rdma:\n";
      emit_transport(out, *p.network->rdma);
    }
  }
  if (p.memory) {
    out += "memory:\n";
    out += fmt::format("  copy_bandwidth_one_thread: {}\n", q(p.memory->copy_bandwidth_one_thread));
    out += fmt::format("  copy_bandwidth_all: {}\n", q(p.memory->copy_bandwidth_all));
    out += fmt::format("  threads: {}\n", p.memory->threads);
  }
  if (is_container(p.residuals))
    out += "residuals:\n" + json_to_yaml(p.residuals, 2);
  if (is_container(p.source))
    out += "source:\n" + json_to_yaml(p.source, 2);
  return out;
}

}  // namespace stormsim::models::devices
