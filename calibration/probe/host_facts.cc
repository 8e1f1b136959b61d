#include "calibration/probe/host_facts.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

#ifndef STORMSIM_LIBURING_VERSION
#define STORMSIM_LIBURING_VERSION "unknown"
#endif
#ifndef STORMSIM_IBVERBS_VERSION
#define STORMSIM_IBVERBS_VERSION "unknown"
#endif
#ifndef STORMSIM_RDMACM_VERSION
#define STORMSIM_RDMACM_VERSION "unknown"
#endif

namespace stormsim::probe {
namespace {

namespace fs = std::filesystem;

// The first line of a small /sys or /proc file, trimmed; nullopt if absent.
std::optional<std::string> read_line(const fs::path& p) {
  std::ifstream in(p);
  std::string s;
  if (!in || !std::getline(in, s)) {
    return std::nullopt;
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\t')) {
    s.pop_back();
  }
  return s;
}

std::optional<std::uint64_t> read_u64(const fs::path& p) {
  const auto s = read_line(p);
  if (!s) {
    return std::nullopt;
  }
  try {
    return std::stoull(*s);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string link_name(const fs::path& p) {
  std::error_code ec;
  const fs::path target = fs::read_symlink(p, ec);
  return ec ? std::string() : target.filename().string();
}

nlohmann::json cpu_facts() {
  nlohmann::json cpu;
  std::ifstream in("/proc/cpuinfo");
  std::string line, model;
  std::set<std::pair<std::string, std::string>> cores;
  std::set<std::string> sockets;
  std::string physical_id;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) {
      continue;
    }
    std::string key = line.substr(0, colon);
    while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) {
      key.pop_back();
    }
    std::string value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') {
      value.erase(0, 1);
    }
    if (key == "model name" && model.empty()) {
      model = value;
    } else if (key == "physical id") {
      physical_id = value;
      sockets.insert(value);
    } else if (key == "core id") {
      cores.emplace(physical_id, value);
    }
  }
  cpu["model"] = model.empty() ? "unknown" : model;
  cpu["logical_cores"] = ::sysconf(_SC_NPROCESSORS_ONLN);
  if (!cores.empty()) {
    cpu["physical_cores"] = cores.size();
    cpu["sockets"] = sockets.size();
  }
  return cpu;
}

bool has_cap_ipc_lock() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("CapEff:", 0) == 0) {
      const std::uint64_t caps = std::stoull(line.substr(7), nullptr, 16);
      return (caps >> 14) & 1;  // CAP_IPC_LOCK is capability 14
    }
  }
  return false;
}

// mountinfo escapes spaces and the like as \ooo (three octal digits).
std::string unescape_mount(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool octal = s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' &&
                       s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7';
    if (octal) {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

struct Mount {
  unsigned major = 0;
  unsigned minor = 0;
  std::string mount_point;
  std::string type;
  std::string source;
};

// The mount holding `path`: the longest mount point that contains it (the
// last such line wins, as later mounts hide earlier ones).
std::optional<Mount> mount_of(const fs::path& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  std::optional<Mount> best;
  const std::string p = path.string();
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string id, parent, devno, root, mp;
    ls >> id >> parent >> devno >> root >> mp;
    std::string field;
    while (ls >> field && field != "-") {
    }
    Mount m;
    ls >> m.type >> m.source;
    m.mount_point = unescape_mount(mp);
    const auto colon = devno.find(':');
    if (colon == std::string::npos) {
      continue;
    }
    m.major = static_cast<unsigned>(std::stoul(devno.substr(0, colon)));
    m.minor = static_cast<unsigned>(std::stoul(devno.substr(colon + 1)));
    const std::string& mpt = m.mount_point;
    const bool contains = mpt == "/" || p == mpt ||
                          (p.rfind(mpt, 0) == 0 && p.size() > mpt.size() && p[mpt.size()] == '/');
    if (contains && (!best || mpt.size() >= best->mount_point.size())) {
      best = m;
    }
  }
  return best;
}

}  // namespace

std::string liburing_version() {
  return STORMSIM_LIBURING_VERSION;
}

std::string rdma_core_version() {
  // libibverbs' pkg-config version is 1.14.<rdma-core major>.<minor>.
  const std::string v = STORMSIM_IBVERBS_VERSION;
  const auto first = v.find('.');
  const auto second = first == std::string::npos ? first : v.find('.', first + 1);
  return second == std::string::npos ? v : v.substr(second + 1);
}

nlohmann::json host_facts() {
  nlohmann::json h;
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  h["hostname"] = host;
  struct utsname u {};
  if (::uname(&u) == 0) {
    h["kernel"] = {{"sysname", u.sysname},
                   {"release", u.release},
                   {"version", u.version},
                   {"machine", u.machine}};
  }
  h["cpu"] = cpu_facts();
  h["memory_bytes"] = static_cast<std::uint64_t>(::sysconf(_SC_PHYS_PAGES)) *
                      static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  h["libraries"] = {{"liburing", liburing_version()},
                    {"libibverbs", STORMSIM_IBVERBS_VERSION},
                    {"librdmacm", STORMSIM_RDMACM_VERSION},
                    {"rdma_core", rdma_core_version()}};
  if (const auto disabled = read_u64("/proc/sys/kernel/io_uring_disabled")) {
    h["io_uring_disabled"] = *disabled;
  }
  struct rlimit rl {};
  if (::getrlimit(RLIMIT_MEMLOCK, &rl) == 0) {
    h["memlock_limit_bytes"] =
        rl.rlim_cur == RLIM_INFINITY ? nlohmann::json() : nlohmann::json(rl.rlim_cur);
  }
  h["cap_ipc_lock"] = has_cap_ipc_lock();
  return h;
}

std::optional<nlohmann::json> block_device_facts(unsigned major, unsigned minor) {
  std::error_code ec;
  fs::path dev = fs::canonical(
      fs::path("/sys/dev/block") / (std::to_string(major) + ":" + std::to_string(minor)), ec);
  if (ec) {
    return std::nullopt;
  }
  nlohmann::json j;
  if (fs::exists(dev / "partition", ec)) {
    j["partition"] = dev.filename().string();
    dev = dev.parent_path();
  }
  const std::string name = dev.filename().string();
  j["name"] = name;
  const fs::path device = dev / "device";
  if (auto model = read_line(device / "model")) {
    j["model"] = *model;
  }
  if (auto vendor = read_line(device / "vendor")) {
    j["vendor"] = *vendor;
  }
  if (auto fw = read_line(device / "firmware_rev")) {
    j["firmware"] = *fw;
  } else if (auto rev = read_line(device / "rev")) {
    j["firmware"] = *rev;
  }
  std::string driver = link_name(device / "driver");
  if (driver.empty()) {
    driver = link_name(device / "device" / "driver");  // nvme: namespace -> controller
  }
  if (!driver.empty()) {
    j["driver"] = driver;
  }
  if (auto transport = read_line(device / "transport")) {
    j["transport"] = *transport;
  } else if (auto modalias = read_line(device / "modalias")) {
    j["transport"] = modalias->substr(0, modalias->find(':'));
  }
  if (!j.contains("model") && driver == "virtio_blk") {
    j["model"] = "virtio-blk";
  }
  if (auto rot = read_u64(dev / "queue" / "rotational")) {
    j["rotational"] = *rot != 0;
  }
  if (auto lbs = read_u64(dev / "queue" / "logical_block_size")) {
    j["logical_block_size"] = *lbs;
  }
  if (auto pbs = read_u64(dev / "queue" / "physical_block_size")) {
    j["physical_block_size"] = *pbs;
  }
  if (auto sectors = read_u64(dev / "size")) {
    j["size_bytes"] = *sectors * 512;
  }
  if (auto dm = read_line(dev / "dm" / "name")) {
    j["dm_name"] = *dm;
  }
  if (auto backing = read_line(dev / "loop" / "backing_file")) {
    j["backing_file"] = *backing;
  }
  nlohmann::json members = nlohmann::json::array();
  for (const auto& slave : fs::directory_iterator(dev / "slaves", ec)) {
    if (auto devno = read_line(slave.path() / "dev")) {
      const auto colon = devno->find(':');
      if (colon != std::string::npos) {
        if (auto m = block_device_facts(std::stoul(devno->substr(0, colon)),
                                        std::stoul(devno->substr(colon + 1)))) {
          members.push_back(std::move(*m));
        }
      }
    }
  }
  if (!members.empty()) {
    j["members"] = std::move(members);
  }
  return j;
}

nlohmann::json storage_facts(const std::string& path) {
  nlohmann::json j = nlohmann::json::object();
  std::error_code ec;
  fs::path p =
      fs::weakly_canonical(path.empty() ? fs::temp_directory_path(ec) : fs::path(path), ec);
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) {
    return j;
  }
  if (S_ISBLK(st.st_mode)) {
    if (auto d = block_device_facts(major(st.st_rdev), minor(st.st_rdev))) {
      j["device"] = std::move(*d);
    }
    return j;
  }
  nlohmann::json fsj;
  const std::optional<Mount> m = mount_of(p);
  if (m) {
    fsj["type"] = m->type;
    fsj["mount_point"] = m->mount_point;
    fsj["source"] = m->source;
  }
  struct statvfs vfs {};
  if (::statvfs(p.c_str(), &vfs) == 0) {
    fsj["size_bytes"] = static_cast<std::uint64_t>(vfs.f_blocks) * vfs.f_frsize;
    fsj["free_bytes"] = static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  }
  j["filesystem"] = std::move(fsj);
  // st_dev names the device, except on filesystems with anonymous device
  // numbers (major 0: overlayfs, btrfs subvolumes, NFS), where the mount's
  // source may still be a /dev path.
  std::optional<nlohmann::json> dev;
  if (major(st.st_dev) != 0) {
    dev = block_device_facts(major(st.st_dev), minor(st.st_dev));
  }
  struct stat src {};
  if (!dev && m && m->source.rfind("/dev/", 0) == 0 && ::stat(m->source.c_str(), &src) == 0 &&
      S_ISBLK(src.st_mode)) {
    dev = block_device_facts(major(src.st_rdev), minor(src.st_rdev));
  }
  if (dev) {
    j["device"] = std::move(*dev);
  }
  return j;
}

}  // namespace stormsim::probe
