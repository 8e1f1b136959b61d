#include "topologies/loader.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <boost/graph/connected_components.hpp>
#include <string_view>
#include <vector>

#include "sim/config/compose.h"
#include "topologies/fabric.h"
#include "topologies/pcie.h"
#include "topologies/server_template.h"

namespace stormsim::topo {

using sim::config::ConfigError;
using sim::config::Location;
using sim::config::ModelSpec;
using sim::config::Node;
using sim::config::Params;
using sim::config::ParamSpec;
using sim::units::Dimension;

ModelSpec topology_spec() {
  return ModelSpec{
      "topology",
      "a cluster: GPU and storage servers, a fabric, routing",
      {
          ParamSpec::string("name").def("cluster").help("the topology's name in reports"),
          ParamSpec::string("description").def("").help("free text"),
      }};
}

ModelSpec routing_spec() {
  return ModelSpec{
      "routing",
      "shortest-path ECMP routing",
      {
          ParamSpec::enumeration("policy", {"per_flow", "per_chunk", "spray", "destination"})
              .def("per_flow")
              .help("hash per flow, per chunk, spray over up to spray_paths equal paths, or route "
                    "by destination (D-mod-k, as InfiniBand subnet managers do)"),
          ParamSpec::integer("seed").def("0").min(0).help("ECMP hash seed"),
          ParamSpec::integer("spray_paths")
              .def("8")
              .min(1)
              .max(65536)
              .help("most paths one flow is sprayed over"),
          ParamSpec::quantity("cache", Dimension::kSize)
              .def("64MiB")
              .positive()
              .help("memory for cached equal-cost path sets"),
      }};
}

ModelSpec switch_spec() {
  return ModelSpec{"switch",
                   "an extra switch",
                   {
                       ParamSpec::string("name").help("unique node name"),
                       ParamSpec::integer("tier").def("1").min(1).max(16).help(
                           "1 for leaves, 2 for spines, ..."),
                   }};
}

ModelSpec link_spec() {
  return ModelSpec{
      "link",
      "an extra full-duplex link",
      {
          ParamSpec::string("from").help("a node name, e.g. leaf0 or gpu-server-3/nic1"),
          ParamSpec::string("to").help("a node name"),
          ParamSpec::string("rate").help(
              "rate from -> to: a PCIe link such as gen5x16, or a rate such as 400Gbps"),
          ParamSpec::string("rate_back").def("").help("rate to -> from; empty: same as rate"),
          ParamSpec::time("latency").def("500ns").min(0).help("latency of the link"),
      }};
}

namespace {

constexpr std::array<std::string_view, 6> kSections = {"gpu_servers", "storage_servers", "fabric",
                                                       "routing",     "switches",        "links"};

// Where the vertices [first, last) were declared, for "not connected" errors.
struct Origin {
  Vertex first, last;
  Location where;
  std::string key;
};

class Loader {
 public:
  explicit Loader(const Node& root) : root_(root) {}

  Topology load() {
    if (!root_.is_map()) {
      throw ConfigError(root_.location(), "",
                        fmt::format("a topology is a map, got a {}", kind_name(root_.kind())));
    }
    reject_unknown_sections();
    const Params top = sim::config::validate(root_, topology_spec(), kSections);
    Topology topo(top.string("name"));
    servers(topo, "gpu_servers", ServerRole::kGpu);
    servers(topo, "storage_servers", ServerRole::kStorage);
    fabric(topo);
    switches(topo);
    links(topo);
    routing(topo);
    check_connected(topo);
    group_switches(topo);
    return topo;
  }

 private:
  // Unknown top-level keys, with the nearest of the parameters and sections.
  void reject_unknown_sections() const {
    std::vector<std::string> valid(kSections.begin(), kSections.end());
    for (const ParamSpec& p : topology_spec().params)
      valid.push_back(p.name);
    for (const Node::Entry& entry : root_.entries()) {
      if (std::find(valid.begin(), valid.end(), entry.first) != valid.end())
        continue;
      std::string what = fmt::format("unknown key `{}` in a topology", entry.first);
      if (const std::string near = sim::config::closest_name(entry.first, valid); !near.empty())
        what += fmt::format("; did you mean `{}`?", near);
      else
        what += fmt::format("; valid keys: {}", fmt::join(valid, ", "));
      throw ConfigError(entry.second.key_location(), entry.first, what);
    }
  }

  void servers(Topology& topo, const char* key, ServerRole role) {
    const Node* map = root_.find(key);
    if (map == nullptr)
      return;
    const Params p = sim::config::validate(*map, server_spec(role), {}, key);
    const ServerTemplate t = read_server_template(p, role);
    const Vertex first = topo.vertex_count();
    for (std::int64_t i = 0; i < t.count; ++i) {
      const std::uint32_t s = add_server(topo, t, i);
      (role == ServerRole::kGpu ? gpu_ : storage_).push_back(s);
    }
    origins_.push_back(Origin{first, topo.vertex_count(), map->location(), key});
  }

  void fabric(Topology& topo) {
    const Node* map = root_.find("fabric");
    if (map == nullptr)
      throw ConfigError(root_.location(), "fabric", "missing; every topology needs a fabric");
    const Generator& g = generator(*map);
    const Params p = sim::config::validate(*map, g.spec(), kGeneratorKey, "fabric");
    const Vertex first = topo.vertex_count();
    FabricInput in{topo, p, gpu_, storage_};
    g.build(in);
    origins_.push_back(Origin{first, topo.vertex_count(), map->location(), "fabric"});
  }

  static const Generator& generator(const Node& map) {
    const Node* name = map.is_map() ? map.find("generator") : nullptr;
    const std::vector<std::string> names = generator_names();
    if (name == nullptr || !name->is_scalar()) {
      throw ConfigError(map.location(), "fabric.generator",
                        fmt::format("missing; one of {}", fmt::join(names, ", ")));
    }
    if (const Generator* g = find_generator(name->scalar()))
      return *g;
    std::string what = fmt::format("unknown generator `{}`", name->scalar());
    if (const std::string near = sim::config::closest_name(name->scalar(), names); !near.empty())
      what += fmt::format("; did you mean `{}`?", near);
    throw ConfigError(name->location(), "fabric.generator",
                      fmt::format("{}; generators: {}", what, fmt::join(names, ", ")));
  }

  void switches(Topology& topo) {
    const Node* list = section_list("switches");
    if (list == nullptr)
      return;
    for (std::size_t i = 0; i < list->items().size(); ++i) {
      const Node& item = list->items()[i];
      const std::string key = fmt::format("switches.{}", i);
      const Params p = sim::config::validate(item, switch_spec(), {}, key);
      const std::string& name = p.string("name");
      if (topo.try_find(name))
        p.fail("name", fmt::format("a node called `{}` already exists", name));
      const Vertex v =
          topo.add_vertex(name, VertexKind::kSwitch, static_cast<int>(p.integer("tier")));
      origins_.push_back(Origin{v, v + 1, item.location(), key});
    }
  }

  void links(Topology& topo) {
    const Node* list = section_list("links");
    if (list == nullptr)
      return;
    for (std::size_t i = 0; i < list->items().size(); ++i) {
      const Params p =
          sim::config::validate(list->items()[i], link_spec(), {}, fmt::format("links.{}", i));
      const Vertex a = endpoint(topo, p, "from");
      const Vertex b = endpoint(topo, p, "to");
      if (a == b)
        p.fail("to", "a link needs two different nodes");
      const std::uint32_t sa = topo.server_of(a), sb = topo.server_of(b);
      if (sa != sb && sa != kNoServer && sb != kNoServer) {
        p.fail("to", fmt::format("`{}` and `{}` are in different servers; servers do not forward, "
                                 "so join each to a switch",
                                 topo.vertex_name(a), topo.vertex_name(b)));
      }
      const sim::BytesPerSec rate = link_rate(p, "rate");
      const sim::BytesPerSec back =
          p.string("rate_back").empty() ? rate : link_rate(p, "rate_back");
      const LinkKind kind =
          sa == sb ? (sa == kNoServer ? LinkKind::kFabric : LinkKind::kPcie) : LinkKind::kAccess;
      topo.add_link(a, b, rate, back, p.time("latency"), kind);
    }
  }

  static Vertex endpoint(const Topology& topo, const Params& p, const char* key) {
    try {
      return topo.find(p.string(key));
    } catch (const TopologyError& e) {
      p.fail(key, e.what());  // names the nearest node
    }
  }

  static sim::BytesPerSec link_rate(const Params& p, const char* key) {
    const std::optional<sim::BytesPerSec> rate = parse_link_rate(p.string(key));
    if (!rate || rate->value() <= 0) {
      p.fail(key, fmt::format("expected a PCIe link such as gen5x16 or a positive data rate such "
                              "as 400Gbps, got `{}`",
                              p.string(key)));
    }
    return *rate;
  }

  void routing(Topology& topo) {
    const Node* map = root_.find("routing");
    if (map == nullptr)
      return;
    const Params p = sim::config::validate(*map, routing_spec(), {}, "routing");
    RoutingOptions o;
    const std::string& policy = p.string("policy");
    o.policy = policy == "per_chunk"     ? RoutePolicy::kPerChunk
               : policy == "spray"       ? RoutePolicy::kSpray
               : policy == "destination" ? RoutePolicy::kDestination
                                         : RoutePolicy::kPerFlow;
    o.seed = static_cast<std::uint64_t>(p.integer("seed"));
    o.spray_paths = static_cast<std::uint32_t>(p.integer("spray_paths"));
    o.cache_bytes = static_cast<std::size_t>(p.bytes("cache").value());
    topo.set_routing(o);
  }

  // The sequence under `key`, or nullptr; anything else is an error.
  const Node* section_list(const char* key) const {
    const Node* list = root_.find(key);
    if (list == nullptr || list->is_null())
      return nullptr;
    if (!list->is_sequence()) {
      throw ConfigError(list->location(), key,
                        fmt::format("expected a list, got a {}", kind_name(list->kind())));
    }
    return list;
  }

  // Every node must reach every other: the first node outside the main part
  // (the one with the most switches, then the most nodes) is named, at the
  // YAML that declared it.
  void check_connected(const Topology& topo) const {
    if (topo.vertex_count() == 0)
      throw ConfigError(root_.location(), "", "the topology has no nodes");
    std::vector<int> component(topo.vertex_count());
    const int n = boost::connected_components(topo.graph(), component.data());
    if (n <= 1)
      return;
    const int main = main_component(topo, component, n);
    for (Vertex v = 0; v < topo.vertex_count(); ++v) {
      if (component[v] == main)
        continue;
      const Origin* o = origin(v);
      throw ConfigError(
          o ? o->where : root_.location(), o ? o->key : "",
          fmt::format("node `{}` is not connected to the rest of the cluster ({} of {} nodes are "
                      "cut off from `{}`)",
                      topo.vertex_name(v), topo.vertex_count() - count_in(component, main),
                      topo.vertex_count(), topo.vertex_name(first_in(component, main))));
    }
  }

  static int main_component(const Topology& topo, const std::vector<int>& component, int n) {
    std::vector<std::pair<std::size_t, std::size_t>> weight(static_cast<std::size_t>(n));
    for (Vertex v = 0; v < topo.vertex_count(); ++v) {
      auto& [switches, nodes] = weight[static_cast<std::size_t>(component[v])];
      switches += topo.kind(v) == VertexKind::kSwitch ? 1 : 0;
      ++nodes;
    }
    return static_cast<int>(std::max_element(weight.begin(), weight.end()) - weight.begin());
  }

  static std::size_t count_in(const std::vector<int>& component, int c) {
    return static_cast<std::size_t>(std::count(component.begin(), component.end(), c));
  }

  static Vertex first_in(const std::vector<int>& component, int c) {
    return static_cast<Vertex>(std::find(component.begin(), component.end(), c) -
                               component.begin());
  }

  const Origin* origin(Vertex v) const {
    for (const Origin& o : origins_) {
      if (v >= o.first && v < o.last)
        return &o;
    }
    return nullptr;
  }

  static void group_switches(Topology& topo) {
    for (Vertex v = 0; v < topo.vertex_count(); ++v) {
      if (topo.kind(v) != VertexKind::kSwitch)
        continue;
      topo.add_to_group("switches", v);
      topo.add_to_group(topo.tier_name(topo.tier(v)) + "_switches", v);
    }
  }

  static constexpr std::array<std::string_view, 1> kGeneratorKey = {"generator"};

  const Node& root_;
  std::vector<std::uint32_t> gpu_, storage_;
  std::vector<Origin> origins_;
};

}  // namespace

Topology build_topology(const Node& root) {
  return Loader(root).load();
}

Topology load_topology(const std::string& path) {
  return build_topology(sim::config::load_scenario(path));
}

}  // namespace stormsim::topo
