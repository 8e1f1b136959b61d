#include "topologies/server_template.h"

#include <fmt/format.h>

#include <vector>

#include "topologies/pcie.h"

namespace stormsim::topo {

using sim::config::ModelSpec;
using sim::config::Params;
using sim::config::ParamSpec;
using sim::units::Dimension;

namespace {

// Defaults of one role, each with its source.
struct Defaults {
  const char* type;
  const char* summary;
  const char* name;
  const char* gpus;
  const char* gpu_link;
  const char* pcie_switches;
  const char* switch_uplink;
  const char* nics;
  const char* nic_rate;
  const char* nic_link;
  const char* drives;
  const char* drive_link;
  const char* cpus;
  const char* memory_bandwidth;
  const char* socket_link;
};

constexpr Defaults kGpuDefaults{
    "gpu_servers",
    "GPU servers; defaults describe an NVIDIA DGX H100",
    "gpu-server",
    // DGX H100 datasheet: 8x NVIDIA H100 Tensor Core GPUs (SXM5).
    "8",
    // H100 SXM5 host interface: PCIe Gen5 x16 (NVIDIA H100 datasheet).
    "gen5x16",
    // An assumption, not a datasheet number: the DGX A100 pairs two GPUs and
    // two compute NICs on each of four PCIe switches; we assume the DGX H100
    // keeps that layout with PCIe Gen5 switches.
    "4",
    "gen5x16",
    // DGX H100 datasheet: 8x single-port ConnectX-7 VPI compute NICs, up to
    // 400 Gb/s InfiniBand/Ethernet each.
    "8",
    "400Gbps",
    // ConnectX-7 host interface: PCIe Gen5 x16 (ConnectX-7 product brief).
    "gen5x16",
    // DGX H100 datasheet: internal storage 8x 3.84 TB NVMe U.2.
    "8",
    // U.2 NVMe drives are x4; Gen4 is an assumption (the datasheet gives
    // only capacity).
    "gen4x4",
    // DGX H100 datasheet: 2x Intel Xeon Platinum 8480C.
    "2",
    // Intel Xeon Platinum 8480+ (ark.intel.com): 8 channels of DDR5-4800 per
    // socket = 8 x 4800 MT/s x 8 B = 307.2 GB/s.
    "307.2GB/s",
    // Same source: 4 UPI links at 16 GT/s, about 32 GB/s per direction each
    // (2 bytes per transfer, as UPI at 10.4 GT/s gives 20.8 GB/s).
    "128GB/s",
};

constexpr Defaults kStorageDefaults{
    "storage_servers",
    "storage servers; defaults describe a Fire-Flyer 2 storage node (arXiv 2408.14158)",
    "storage",
    "0",
    "gen4x16",
    "0",
    "gen4x16",
    // Fire-Flyer 2 (arXiv 2408.14158, 3FS section): each storage node has
    // 2x Mellanox ConnectX-6 200 Gb/s InfiniBand NICs ...
    "2",
    "200Gbps",
    // ConnectX-6 host interface: PCIe Gen4 x16 (ConnectX-6 product brief).
    "gen4x16",
    // ... and 16x PCIe 4.0 NVMe SSDs (15.36 TB each).
    "16",
    "gen4x4",
    // The paper does not name the CPU; one socket is our assumption (2 x16
    // NICs + 16 x4 drives = 96 lanes fit one AMD EPYC's 128).
    "1",
    // AMD EPYC 7003 series: 8 channels of DDR4-3200 = 204.8 GB/s per socket.
    "204.8GB/s",
    // Used only with cpus > 1; an assumption.
    "128GB/s",
};

const Defaults& defaults(ServerRole role) {
  return role == ServerRole::kGpu ? kGpuDefaults : kStorageDefaults;
}

ParamSpec link(std::string name, const char* def, std::string help) {
  return ParamSpec::string(std::move(name))
      .def(def)
      .help(std::move(help) + ": a PCIe link such as gen5x16, or a rate such as 50GB/s");
}

sim::BytesPerSec read_link(const Params& p, std::string_view name) {
  const std::string& text = p.string(name);
  const std::optional<sim::BytesPerSec> rate = parse_link_rate(text);
  if (!rate || rate->value() <= 0) {
    p.fail(name, fmt::format("expected a PCIe link such as gen5x16 (generation 1-6, width 1, 2, "
                             "4, 8 or 16) or a positive data rate such as 50GB/s, got `{}`",
                             text));
  }
  return *rate;
}

// Which of `parents` device i of n hangs off: consecutive blocks, so that
// devices 0 and 1 of 8 share the first of 4 switches.
std::size_t parent_of(std::int64_t i, std::int64_t n, std::size_t parents) {
  return static_cast<std::size_t>(i * static_cast<std::int64_t>(parents) / n);
}

const char* group_for(ServerRole role, VertexKind kind) {
  const bool gpu = role == ServerRole::kGpu;
  switch (kind) {
    case VertexKind::kGpu:
      return "gpus";
    case VertexKind::kNic:
      return gpu ? "gpu_nics" : "storage_nics";
    case VertexKind::kDrive:
      return gpu ? "gpu_drives" : "storage_drives";
    case VertexKind::kCpu:
      return gpu ? "gpu_cpus" : "storage_cpus";
    case VertexKind::kMemory:
      return gpu ? "host_memory" : "storage_memory";
    case VertexKind::kPcieSwitch:
      return gpu ? "gpu_pcie_switches" : "storage_pcie_switches";
    case VertexKind::kSwitch:
      break;
  }
  return "switches";
}

// Builds the inside of one server; vertices get local names.
class ServerBuilder {
 public:
  ServerBuilder(Topology& topo, const ServerTemplate& t) : topo_(topo), t_(t) {}

  void build() {
    for (std::int64_t c = 0; c < t_.cpus; ++c) {
      cpus_.push_back(add(fmt::format("cpu{}", c), VertexKind::kCpu));
      const Vertex mem = add(fmt::format("mem{}", c), VertexKind::kMemory);
      link(cpus_.back(), mem, t_.memory_bandwidth, LinkKind::kMemory);
    }
    for (std::size_t a = 0; a < cpus_.size(); ++a) {
      for (std::size_t b = a + 1; b < cpus_.size(); ++b)
        link(cpus_[a], cpus_[b], t_.socket_link, LinkKind::kSocket);
    }
    for (std::int64_t s = 0; s < t_.pcie_switches; ++s) {
      switches_.push_back(add(fmt::format("pcie{}", s), VertexKind::kPcieSwitch));
      link(switches_.back(), cpus_[parent_of(s, t_.pcie_switches, cpus_.size())], t_.switch_uplink,
           LinkKind::kPcie);
    }
    devices("gpu", t_.gpus, VertexKind::kGpu, t_.gpu_link);
    devices("nic", t_.nics, VertexKind::kNic, t_.nic_link);
    devices("nvme", t_.drives, VertexKind::kDrive, t_.drive_link);
  }

 private:
  Vertex add(const std::string& name, VertexKind kind) {
    const Vertex v = topo_.add_vertex(name, kind);
    topo_.add_to_group(group_for(t_.role, kind), v);
    return v;
  }

  void link(Vertex a, Vertex b, sim::BytesPerSec rate, LinkKind kind) {
    topo_.add_link(a, b, rate, t_.link_latency, kind);
  }

  void devices(const char* prefix, std::int64_t n, VertexKind kind, sim::BytesPerSec rate) {
    const std::vector<Vertex>& parents = switches_.empty() ? cpus_ : switches_;
    for (std::int64_t i = 0; i < n; ++i) {
      const Vertex v = add(fmt::format("{}{}", prefix, i), kind);
      link(v, parents[parent_of(i, n, parents.size())], rate, LinkKind::kPcie);
    }
  }

  Topology& topo_;
  const ServerTemplate& t_;
  std::vector<Vertex> cpus_;
  std::vector<Vertex> switches_;
};

}  // namespace

ModelSpec server_spec(ServerRole role) {
  const Defaults& d = defaults(role);
  const auto count = [](std::string name, const char* def, std::string help) {
    return ParamSpec::integer(std::move(name)).def(def).min(0).max(1e6).help(std::move(help));
  };
  return ModelSpec{
      d.type,
      d.summary,
      {
          ParamSpec::integer("count").min(0).max(1e7).help("how many servers of this kind"),
          ParamSpec::string("name").def(d.name).help(
              "name prefix: servers are PREFIX-0, PREFIX-1, ...; their parts PREFIX-0/gpu3"),
          count("gpus", d.gpus, "GPUs per server"),
          link("gpu_link", d.gpu_link, "each GPU's PCIe link"),
          count("pcie_switches", d.pcie_switches,
                "PCIe switches per server; 0 puts devices on the CPUs' root ports"),
          link("switch_uplink", d.switch_uplink, "each PCIe switch's link to its CPU"),
          count("nics", d.nics, "NICs (ports) per server facing the fabric"),
          ParamSpec::quantity("nic_rate", Dimension::kDataRate)
              .def(d.nic_rate)
              .positive()
              .help("line rate of each NIC port"),
          link("nic_link", d.nic_link, "each NIC's PCIe link"),
          count("drives", d.drives, "NVMe drives per server"),
          link("drive_link", d.drive_link, "each drive's PCIe link"),
          ParamSpec::integer("cpus").def(d.cpus).min(1).max(64).help(
              "CPU sockets (root complexes)"),
          ParamSpec::quantity("memory_bandwidth", Dimension::kDataRate)
              .def(d.memory_bandwidth)
              .positive()
              .help("DRAM bandwidth per socket, each direction"),
          ParamSpec::quantity("socket_link", Dimension::kDataRate)
              .def(d.socket_link)
              .positive()
              .help("bandwidth between two sockets, each direction"),
          // An assumption, not a datasheet value: a PCIe switch or root
          // port traversal is on the order of 100 ns. Calibrate.
          ParamSpec::time("link_latency")
              .def("100ns")
              .min(0)
              .help("latency of each link inside the server"),
      }};
}

ServerTemplate read_server_template(const Params& p, ServerRole role) {
  ServerTemplate t;
  t.role = role;
  t.name = p.string("name");
  if (t.name.empty() || t.name.find('/') != std::string::npos)
    p.fail("name", fmt::format("must be non-empty and without `/`, got `{}`", t.name));
  t.count = p.integer("count");
  t.gpus = p.integer("gpus");
  t.pcie_switches = p.integer("pcie_switches");
  t.nics = p.integer("nics");
  t.drives = p.integer("drives");
  t.cpus = p.integer("cpus");
  t.gpu_link = read_link(p, "gpu_link");
  t.switch_uplink = read_link(p, "switch_uplink");
  t.nic_link = read_link(p, "nic_link");
  t.nic_rate = p.data_rate("nic_rate");
  t.drive_link = read_link(p, "drive_link");
  t.memory_bandwidth = p.data_rate("memory_bandwidth");
  t.socket_link = p.data_rate("socket_link");
  t.link_latency = p.time("link_latency");
  return t;
}

std::uint32_t add_server(Topology& topo, const ServerTemplate& t, std::int64_t index) {
  const std::uint32_t s =
      topo.begin_server(fmt::format("{}-{}", t.name, index), t.role, t.nic_rate);
  ServerBuilder(topo, t).build();
  topo.end_server();
  const Server& server = topo.servers()[s];
  const char* group = t.role == ServerRole::kGpu ? "gpu_servers" : "storage_servers";
  for (Vertex v = server.first; v < server.last; ++v)
    topo.add_to_group(group, v);
  return s;
}

}  // namespace stormsim::topo
