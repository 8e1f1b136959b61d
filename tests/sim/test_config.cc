// The config layer: YAML loading with locations, extends/--set composition,
// and validation of parameters against model declarations.
#include <unistd.h>

#include <array>
#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <string_view>

#include "sim/config/compose.h"
#include "sim/config/error.h"
#include "sim/config/node.h"
#include "sim/config/params.h"

namespace {

using namespace stormsim::sim;
using namespace stormsim::sim::config;
namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    std::random_device rd;
    path_ =
        fs::temp_directory_path() / ("stormsim_test_config_" + std::to_string(::getpid()) + "_" +
                                     std::to_string(counter++) + "_" + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes `text` to `name` (which may contain subfolders); returns its path.
  std::string write(const std::string& name, std::string_view text) const {
    const fs::path p = path_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Runs `f`, which must throw a ConfigError, and returns it.
template <typename F>
ConfigError config_error(F&& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e;
  }
  FAIL("expected a ConfigError");
  throw std::logic_error("unreachable");
}

const Node& at(const Node& n, std::string_view key) {
  const Node* found = n.find(key);
  REQUIRE(found != nullptr);
  return *found;
}

}  // namespace

// ---- loading -----------------------------------------------------------------

TEST_CASE("load_string records where values and keys are written", "[config][node]") {
  const Node root = load_string(
      "a: 1\n"
      "b:\n"
      "  c: hello\n"
      "  d: [x, y]\n",
      "t.yaml");
  REQUIRE(root.is_map());
  REQUIRE(root.size() == 2);
  CHECK(root.entries()[0].first == "a");  // file order
  CHECK(root.entries()[1].first == "b");

  const Node& a = at(root, "a");
  CHECK(a.scalar() == "1");
  CHECK(a.location().file == "t.yaml");
  CHECK(a.location().line == 1);
  CHECK(a.location().column == 4);
  CHECK(a.key_location().line == 1);
  CHECK(a.key_location().column == 1);

  const Node& c = at(at(root, "b"), "c");
  CHECK(c.location().str() == "t.yaml:3:6");
  CHECK(c.key_location().str() == "t.yaml:3:3");

  const Node& d = at(at(root, "b"), "d");
  REQUIRE(d.is_sequence());
  REQUIRE(d.items().size() == 2);
  CHECK(d.items()[1].scalar() == "y");
  CHECK(d.items()[1].location().str() == "t.yaml:4:10");
  // A sequence item has no key: its key location is its own.
  CHECK(d.items()[1].key_location().str() == "t.yaml:4:10");
}

TEST_CASE("load_string: nulls, quoted text, aliases and empty input", "[config][node]") {
  SECTION("null and quoted scalars") {
    const Node root = load_string("a:\nb: ~\nc: 'null'\nd: \"x y\"\n", "t");
    CHECK(at(root, "a").is_null());
    CHECK(at(root, "b").is_null());
    CHECK(at(root, "c").scalar() == "null");
    CHECK(at(root, "d").scalar() == "x y");
  }
  SECTION("aliases are expanded and keep the anchor's location") {
    const Node root = load_string("base: &b {x: 1}\nuse: *b\n", "t");
    const Node& x = at(at(root, "use"), "x");
    CHECK(x.scalar() == "1");
    CHECK(x.location().line == 1);
    CHECK(at(root, "use").key_location().line == 2);
  }
  SECTION("tags are ignored") {
    CHECK(at(load_string("a: !!str 5\n", "t"), "a").scalar() == "5");
  }
  SECTION("an empty document is null") {
    CHECK(load_string("", "t").is_null());
    CHECK(load_string("# only a comment\n", "t").is_null());
  }
}

TEST_CASE("load_string rejects duplicate keys at the second one", "[config][node]") {
  SECTION("top level") {
    const ConfigError e = config_error([] { load_string("a: 1\nb: 2\na: 3\n", "t.yaml"); });
    CHECK(e.where().str() == "t.yaml:3:1");
    CHECK(e.key() == "a");
    CHECK_THAT(e.what(), StartsWith("t.yaml:3:1: key `a`: duplicate key"));
    CHECK_THAT(e.detail(), Contains("line 1, column 1"));
  }
  SECTION("nested, named by full path") {
    const ConfigError e = config_error([] { load_string("x:\n  - {y: 1, y: 2}\n", "t.yaml"); });
    CHECK(e.key() == "x.0.y");
    CHECK(e.where().line == 2);
  }
}

TEST_CASE("load_string reports malformed YAML with file:line:column", "[config][node]") {
  SECTION("unclosed flow sequence") {
    const ConfigError e = config_error([] { load_string("a: [1, 2\nb: 3\n", "bad.yaml"); });
    CHECK(e.where().file == "bad.yaml");
    CHECK(e.where().line >= 1);
    CHECK(e.where().column >= 1);
    CHECK_THAT(e.what(), StartsWith(e.where().str() + ": "));
  }
  SECTION("bad indentation") {
    const ConfigError e = config_error([] { load_string("a:\n  b: 1\n c: 2\n", "bad.yaml"); });
    CHECK(e.where().line == 3);
  }
  SECTION("more than one document") {
    const ConfigError e = config_error([] { load_string("a: 1\n---\nb: 2\n", "multi.yaml"); });
    CHECK(e.where().line == 2);
    CHECK_THAT(e.detail(), Contains("more than one YAML document"));
  }
  SECTION("an alias to its own container") {
    config_error([] { load_string("a: &x [1, *x]\n", "t"); });
  }
  SECTION("a map as a key") {
    const ConfigError e = config_error([] { load_string("? {a: 1}\n: 2\n", "t"); });
    CHECK_THAT(e.detail(), Contains("a key must be a plain name"));
  }
}

TEST_CASE("load_file reads files and names missing ones", "[config][node]") {
  const TempDir dir;
  SECTION("locations carry the path") {
    const std::string path = dir.write("s.yaml", "k: v\n");
    CHECK(at(load_file(path), "k").location().str() == path + ":1:4");
  }
  SECTION("missing file") {
    const std::string path = (dir.path() / "absent.yaml").string();
    const ConfigError e = config_error([&] { load_file(path); });
    CHECK(e.where().file == path);
    CHECK_THAT(e.what(), StartsWith(path + ": "));
    CHECK_THAT(e.what(), Contains("No such file"));
  }
  SECTION("a directory") {
    const ConfigError e = config_error([&] { load_file(dir.path().string()); });
    CHECK_THAT(e.what(), Contains("is a directory"));
  }
}

TEST_CASE("Node builders, set, erase and to_json", "[config][node]") {
  const Location loc{"f", 1, 1};
  Node root = Node::map(loc);
  root.set("b", Node::scalar("2", loc));
  root.set("a", Node::scalar("1", loc));
  root.set("b", Node::scalar("3", loc));  // replaces in place
  Node seq = Node::sequence(loc);
  seq.push_back(Node::scalar("x", loc));
  seq.push_back(Node::null(loc));
  root.set("s", seq);
  REQUIRE(root.entries().size() == 3);
  CHECK(root.entries()[0].first == "b");
  CHECK(at(root, "b").scalar() == "3");
  CHECK(root.to_json().dump() == R"({"a":"1","b":"3","s":["x",null]})");
  CHECK(root.erase("a"));
  CHECK_FALSE(root.erase("a"));
  CHECK(root.find("a") == nullptr);
  CHECK_THROWS_AS(seq.scalar(), std::logic_error);
}

// ---- extends -------------------------------------------------------------------

namespace {

constexpr std::string_view kBase =
    "seed: 1\n"
    "engine:\n"
    "  horizon: 10s\n"
    "  trace: false\n"
    "tags: [a, b]\n"
    "components:\n"
    "  - name: client\n"
    "    type: host\n"
    "  - name: server\n"
    "    type: storage\n"
    "    rate: 5GB/s\n";

}  // namespace

TEST_CASE("extends deep-merges a child over its base", "[config][compose]") {
  const TempDir dir;
  const std::string base = dir.write("base.yaml", kBase);
  const std::string child = dir.write("sub/child.yaml",
                                      "extends: ../base.yaml\n"
                                      "engine:\n"
                                      "  trace: true\n"
                                      "tags: [c]\n"
                                      "components:\n"
                                      "  - name: server\n"
                                      "    rate: 10GB/s\n"
                                      "  - name: cache\n"
                                      "    type: tier0\n"
                                      "workload: {kind: checkpoint}\n");
  const Node root = load_scenario(child);

  CHECK(root.find("extends") == nullptr);
  CHECK(at(root, "seed").scalar() == "1");
  CHECK(at(root, "seed").location().file == dir.path() / "sub/../base.yaml");
  CHECK(at(at(root, "engine"), "horizon").scalar() == "10s");
  CHECK(at(at(root, "engine"), "trace").scalar() == "true");
  CHECK(at(at(root, "engine"), "trace").location().str() == child + ":3:10");
  CHECK(at(at(root, "workload"), "kind").scalar() == "checkpoint");

  SECTION("unnamed sequences are replaced") {
    const Node& tags = at(root, "tags");
    REQUIRE(tags.items().size() == 1);
    CHECK(tags.items()[0].scalar() == "c");
  }
  SECTION("named sequences merge item by item") {
    const Node& comps = at(root, "components");
    REQUIRE(comps.items().size() == 3);
    CHECK(at(comps.items()[0], "name").scalar() == "client");
    CHECK(at(comps.items()[1], "name").scalar() == "server");
    CHECK(at(comps.items()[1], "type").scalar() == "storage");
    CHECK(at(comps.items()[1], "rate").scalar() == "10GB/s");
    CHECK(at(comps.items()[1], "rate").location().line == 7);
    CHECK(at(comps.items()[2], "name").scalar() == "cache");
  }
}

TEST_CASE("extends: chains, strings, empty lists and errors", "[config][compose]") {
  const TempDir dir;
  dir.write("base.yaml", kBase);

  SECTION("three levels") {
    dir.write("mid.yaml", "extends: base.yaml\nseed: 2\n");
    const std::string top = dir.write("top.yaml", "extends: mid.yaml\nengine: {horizon: 1s}\n");
    const Node root = load_scenario(top);
    CHECK(at(root, "seed").scalar() == "2");
    CHECK(at(at(root, "engine"), "horizon").scalar() == "1s");
    CHECK(at(at(root, "engine"), "trace").scalar() == "false");
  }
  SECTION("from a string, relative to base_dir") {
    const Node root = load_scenario_string("extends: base.yaml\ncomponents: []\n", "<default>",
                                           dir.path().string());
    CHECK(at(root, "components").items().empty());  // [] clears, it does not merge
    CHECK(at(root, "seed").location().file == (dir.path() / "base.yaml").string());
  }
  SECTION("a cycle names the chain") {
    const std::string a = dir.write("a.yaml", "extends: b.yaml\n");
    dir.write("b.yaml", "x: 1\nextends: a.yaml\n");
    const ConfigError e = config_error([&] { load_scenario(a); });
    CHECK(e.key() == "extends");
    CHECK(e.where().file == (dir.path() / "b.yaml").string());
    CHECK(e.where().line == 2);
    CHECK_THAT(e.detail(), Contains("cycle"));
    CHECK_THAT(e.detail(), Contains("a.yaml -> "));
    CHECK_THAT(e.detail(), Contains("b.yaml -> "));
  }
  SECTION("a file extending itself") {
    const std::string self = dir.write("self.yaml", "extends: self.yaml\n");
    CHECK_THAT(config_error([&] { load_scenario(self); }).detail(), Contains("cycle"));
  }
  SECTION("a missing base is reported at the extends key") {
    const std::string child = dir.write("child.yaml", "seed: 3\nextends: nowhere.yaml\n");
    const ConfigError e = config_error([&] { load_scenario(child); });
    CHECK(e.where().str() == child + ":2:1");
    CHECK(e.key() == "extends");
    CHECK_THAT(e.detail(), Contains("nowhere.yaml"));
  }
  SECTION("extends must be a file name") {
    const std::string child = dir.write("child.yaml", "extends: [a, b]\n");
    CHECK_THAT(config_error([&] { load_scenario(child); }).detail(), Contains("file name"));
  }
  SECTION("duplicate names in a merged sequence") {
    const std::string child =
        dir.write("child.yaml", "extends: base.yaml\ncomponents:\n  - {name: a}\n  - {name: a}\n");
    const ConfigError e = config_error([&] { load_scenario(child); });
    CHECK(e.key() == "components.name");
    CHECK(e.where().line == 4);
  }
}

TEST_CASE("deep_merge replaces on a change of kind", "[config][compose]") {
  Node base = load_string("a: {x: 1}\nb: [1]\n", "base");
  deep_merge(base, load_string("a: 5\nb: {k: v}\n", "over"));
  CHECK(at(base, "a").scalar() == "5");
  CHECK(at(base, "a").location().file == "over");
  CHECK(at(at(base, "b"), "k").scalar() == "v");
}

// ---- overrides -----------------------------------------------------------------

namespace {

Node override_root() {
  return load_string(
      "engine: {horizon: 10s}\n"
      "components:\n"
      "  - {name: client, rate: 1Gbps}\n"
      "  - {name: server, rate: 2Gbps}\n",
      "s.yaml");
}

}  // namespace

TEST_CASE("apply_override sets values by path", "[config][compose]") {
  Node root = override_root();
  SECTION("a map path, located at --set") {
    apply_override(root, "engine.horizon=20s");
    const Node& h = at(at(root, "engine"), "horizon");
    CHECK(h.scalar() == "20s");
    CHECK(h.location().str() == "--set");
    CHECK(h.key_location().str() == "--set");
  }
  SECTION("a sequence item by index") {
    apply_override(root, "components.1.rate=5Gbps");
    CHECK(at(at(root, "components").items()[1], "rate").scalar() == "5Gbps");
  }
  SECTION("a sequence item by name") {
    apply_override(root, "components.client.rate=3Gbps");
    CHECK(at(at(root, "components").items()[0], "rate").scalar() == "3Gbps");
  }
  SECTION("a new key in an existing map") {
    apply_override(root, "engine.trace=true");
    CHECK(at(at(root, "engine"), "trace").scalar() == "true");
  }
  SECTION("YAML values: quoted, flow list, empty") {
    apply_override(root, "engine.label=\"a b\"");
    apply_override(root, "engine.tags=[x, y]");
    apply_override(root, "engine.horizon=");
    CHECK(at(at(root, "engine"), "label").scalar() == "a b");
    CHECK(at(at(root, "engine"), "tags").items().size() == 2);
    CHECK(at(at(root, "engine"), "horizon").is_null());
  }
  SECTION("a whole item replaced by index") {
    apply_override(root, "components.0={name: other}");
    CHECK(at(at(root, "components").items()[0], "name").scalar() == "other");
  }
}

TEST_CASE("apply_override rejects bad paths and assignments", "[config][compose]") {
  Node root = override_root();
  SECTION("missing map key, with did-you-mean") {
    const ConfigError e = config_error([&] { apply_override(root, "engnie.horizon=1s"); });
    CHECK_THAT(e.what(), StartsWith("--set: key `engnie.horizon`: no `engnie` in the root"));
    CHECK_THAT(e.detail(), Contains("did you mean `engine`?"));
    CHECK_THAT(e.detail(), Contains("available: engine, components"));
  }
  SECTION("index out of range lists the items") {
    const ConfigError e = config_error([&] { apply_override(root, "components.5.rate=1Gbps"); });
    CHECK_THAT(e.detail(), Contains("no `5` in `components`"));
    CHECK_THAT(e.detail(), Contains("client, server"));
  }
  SECTION("unknown item name") {
    const ConfigError e = config_error([&] { apply_override(root, "components.cache.rate=1"); });
    CHECK_THAT(e.detail(), Contains("no `cache`"));
  }
  SECTION("through a scalar") {
    const ConfigError e = config_error([&] { apply_override(root, "engine.horizon.x=1"); });
    CHECK_THAT(e.detail(), Contains("`engine.horizon` is a scalar"));
  }
  SECTION("a new item in a sequence cannot be created") {
    config_error([&] { apply_override(root, "components.2=x"); });
  }
  SECTION("missing =") {
    const ConfigError e = config_error([&] { apply_override(root, "engine.horizon"); });
    CHECK(e.where().file == "--set");
    CHECK_THAT(e.detail(), Contains("="));
  }
  SECTION("empty segment") {
    config_error([&] { apply_override(root, "engine..horizon=1"); });
  }
  SECTION("unparseable value") {
    const ConfigError e = config_error([&] { apply_override(root, "engine.x=[1, 2"); });
    CHECK(e.key() == "engine.x");
  }
}

// ---- validation ----------------------------------------------------------------

namespace {

const ModelSpec& nic_spec() {
  static const ModelSpec spec{
      "nic",
      "a network card",
      {
          // ConnectX-7: 400 Gb/s
          ParamSpec::quantity("nic_bandwidth", units::Dimension::kDataRate)
              .def("400Gbps")
              .positive()
              .help("line rate"),
          ParamSpec::integer("ports").def("1").min(1).max(8).help("ports per card"),
          ParamSpec::real("efficiency").def("0.9").greater_than(0).max(1),
          ParamSpec::boolean("rdma").def("true"),
          ParamSpec::string("model").def("ConnectX-7"),
          ParamSpec::enumeration("service", {"fixed", "exponential"}).def("fixed"),
          ParamSpec::time("latency").def("2us").min(0),
          ParamSpec::ref("switch").help("the switch it plugs into"),
          ParamSpec::string_list("tags").def("[]"),
          ParamSpec::quantity("buffer", units::Dimension::kSize).def("1MiB"),
      }};
  return spec;
}

constexpr std::array<std::string_view, 2> kReserved{"name", "type"};

Params validate_text(std::string_view yaml) {
  return validate(load_string(yaml, "n.yaml"), nic_spec(), kReserved);
}

ConfigError validation_error(std::string_view yaml) {
  return config_error([&] { validate_text(yaml); });
}

}  // namespace

TEST_CASE("validate fills in defaults", "[config][params]") {
  const Params p = validate_text("name: nic0\ntype: nic\nswitch: leaf1\n");
  CHECK(p.type() == "nic");
  CHECK(p.data_rate("nic_bandwidth").value() == Approx(50e9));
  CHECK(p.quantity("nic_bandwidth") == Approx(50e9));
  CHECK(p.integer("ports") == 1);
  CHECK(p.real("efficiency") == Approx(0.9));
  CHECK(p.boolean("rdma"));
  CHECK(p.string("model") == "ConnectX-7");
  CHECK(p.string("service") == "fixed");
  CHECK(p.time("latency") == Time::from_ns(2000));
  CHECK(p.string("switch") == "leaf1");
  CHECK(p.string_list("tags").empty());
  CHECK(p.bytes("buffer").value() == 1048576.0);
  CHECK(p.is_default("ports"));
  CHECK_FALSE(p.is_default("switch"));
  CHECK(p.location("ports").str() == "n.yaml:1:1");  // a default sits at the map
  CHECK(p.location("switch").str() == "n.yaml:3:9");
}

TEST_CASE("validate reads every parameter type", "[config][params]") {
  const Params p = validate_text(
      "switch: leaf1\n"
      "nic_bandwidth: 200Gbps\n"
      "ports: 2\n"
      "efficiency: 0.75\n"
      "rdma: false\n"
      "model: BlueField-3\n"
      "service: exponential\n"
      "latency: 1.5us\n"
      "tags: [fast, rdma]\n"
      "buffer: 4MB\n");
  CHECK(p.data_rate("nic_bandwidth").bits_per_sec() == Approx(200e9));
  CHECK(p.integer("ports") == 2);
  CHECK(p.real("efficiency") == Approx(0.75));
  CHECK_FALSE(p.boolean("rdma"));
  CHECK(p.string("model") == "BlueField-3");
  CHECK(p.string("service") == "exponential");
  CHECK(p.time("latency") == Time::from_ns(1500));
  CHECK(p.string_list("tags") == std::vector<std::string>{"fast", "rdma"});
  CHECK(p.bytes("buffer").value() == 4e6);
  CHECK_FALSE(p.is_default("ports"));
}

TEST_CASE("validate rejects unknown keys with did-you-mean", "[config][params]") {
  SECTION("a close name") {
    const ConfigError e = validation_error("switch: s\nnic_bandwdith: 100Gbps\n");
    CHECK(e.where().str() == "n.yaml:2:1");
    CHECK(e.key() == "nic_bandwdith");
    CHECK(e.detail() ==
          "unknown key `nic_bandwdith` for type `nic`; did you mean `nic_bandwidth`?");
  }
  SECTION("nothing close lists the valid keys") {
    const ConfigError e = validation_error("switch: s\ncolour: red\n");
    CHECK_THAT(e.detail(), Contains("valid keys: nic_bandwidth, ports, efficiency"));
  }
  SECTION("reserved keys are accepted") {
    CHECK_NOTHROW(validate_text("name: a\ntype: nic\nswitch: s\n"));
    const ConfigError e =
        config_error([] { validate(load_string("name: a\nswitch: s\n", "n.yaml"), nic_spec()); });
    CHECK(e.key() == "name");
  }
}

TEST_CASE("validate rejects bad values with what would be valid", "[config][params]") {
  SECTION("a rate without a unit") {
    const ConfigError e = validation_error("switch: s\nnic_bandwidth: 400\n");
    CHECK(e.where().str() == "n.yaml:2:16");
    CHECK(e.key() == "nic_bandwidth");
    CHECK_THAT(e.detail(), Contains("expected a data rate such as 400Gbps"));
    CHECK_THAT(e.detail(), Contains("\"400\""));
  }
  SECTION("a unit of another dimension") {
    const ConfigError e = validation_error("switch: s\nnic_bandwidth: 4GB\n");
    CHECK_THAT(e.detail(), Contains("expected a data rate"));
  }
  SECTION("a negative bandwidth") {
    const ConfigError e = validation_error("switch: s\nnic_bandwidth: -5Gbps\n");
    CHECK(e.detail() == "must be > 0, got `-5Gbps`");
  }
  SECTION("a zero bandwidth") {
    CHECK_THAT(validation_error("switch: s\nnic_bandwidth: 0Gbps\n").detail(),
               Contains("must be > 0"));
  }
  SECTION("an integer out of range") {
    CHECK(validation_error("switch: s\nports: 9\n").detail() == "must be >= 1 and <= 8, got `9`");
    CHECK(validation_error("switch: s\nports: 0\n").detail() == "must be >= 1 and <= 8, got `0`");
  }
  SECTION("integers are whole numbers") {
    CHECK(validation_error("switch: s\nports: 3.5\n").detail() ==
          "expected an integer such as 4, got `3.5`");
    CHECK_THAT(validation_error("switch: s\nports: 1e3\n").detail(), Contains("`1e3`"));
    CHECK_THAT(validation_error("switch: s\nports: 99999999999999999999\n").detail(),
               Contains("too large"));
  }
  SECTION("reals") {
    CHECK_THAT(validation_error("switch: s\nefficiency: fast\n").detail(),
               Contains("expected a number"));
    CHECK(validation_error("switch: s\nefficiency: 0\n").detail() ==
          "must be > 0 and <= 1, got `0`");
    CHECK(validate_text("switch: s\nefficiency: 1e-1\n").real("efficiency") == Approx(0.1));
  }
  SECTION("booleans are true or false only") {
    CHECK(validation_error("switch: s\nrdma: yes\n").detail() ==
          "expected true or false, got `yes`");
  }
  SECTION("enum choices, with did-you-mean") {
    const ConfigError e = validation_error("switch: s\nservice: exponental\n");
    CHECK(e.detail() ==
          "must be one of fixed|exponential, got `exponental`; did you mean `exponential`?");
  }
  SECTION("a negative time") {
    CHECK(validation_error("switch: s\nlatency: -1us\n").detail() == "must be >= 0, got `-1us`");
    CHECK_THAT(validation_error("switch: s\nlatency: 5\n").detail(),
               Contains("expected a time such as"));
  }
  SECTION("a required key missing, at the map") {
    const ConfigError e = validation_error("name: n\nports: 2\n");
    CHECK(e.where().str() == "n.yaml:1:1");
    CHECK(e.key() == "switch");
    CHECK_THAT(e.detail(), Contains("missing required key for type `nic`"));
  }
  SECTION("an empty reference") {
    CHECK_THAT(validation_error("switch: ''\n").detail(), Contains("name of a component"));
  }
  SECTION("a map or null where a scalar is expected") {
    CHECK(validation_error("switch: s\nports: {a: 1}\n").detail() ==
          "expected an integer such as 4, got a map");
    CHECK_THAT(validation_error("switch: s\nports:\n").detail(), Contains("has no value"));
    CHECK_THAT(validation_error("switch: s\ntags: a\n").detail(), Contains("a list of strings"));
    CHECK_THAT(validation_error("switch: s\ntags: [[a]]\n").detail(), Contains("got a sequence"));
  }
  SECTION("not a map") {
    CHECK_THAT(validation_error("[1, 2]\n").detail(), Contains("expected a map of parameters"));
  }
}

TEST_CASE("validate names --set values and prefixed keys", "[config][params]") {
  Node root = load_string("components:\n  - {name: n0, switch: s}\n", "s.yaml");
  apply_override(root, "components.n0.nic_bandwidth=-1Gbps");
  const Node& item = at(root, "components").items()[0];
  const ConfigError e =
      config_error([&] { validate(item, nic_spec(), kReserved, "components.n0"); });
  CHECK(std::string(e.what()) ==
        "--set: key `components.n0.nic_bandwidth`: must be > 0, got `-1Gbps`");
}

TEST_CASE("Params::fail throws at the parameter's location", "[config][params]") {
  const Params p =
      validate(load_string("nic:\n  switch: s\n  ports: 4\n", "f.yaml").entries()[0].second,
               nic_spec(), kReserved, "nic");
  const ConfigError written = config_error([&] { p.fail("ports", "exceeds the switch's ports"); });
  CHECK(std::string(written.what()) == "f.yaml:3:10: key `nic.ports`: exceeds the switch's ports");
  const ConfigError defaulted = config_error([&] { p.fail("latency", "too small"); });
  CHECK(defaulted.where().str() == "f.yaml:2:3");
}

TEST_CASE("Params::to_json echoes the text, deterministically", "[config][params]") {
  const Params a = validate_text("switch: s\nports: 2\ntags: [x]\nlatency: 1.50us\n");
  const Params b = validate_text("latency: 1.50us\ntags: [x]\nports: 2\nswitch: s\n");
  CHECK(a.to_json() == b.to_json());
  CHECK(a.to_json().dump() == b.to_json().dump());
  CHECK(a.to_json()["latency"] == "1.50us");
  CHECK(a.to_json()["nic_bandwidth"] == "400Gbps");
  CHECK(a.to_json()["ports"] == "2");
  CHECK(a.to_json()["tags"] == nlohmann::json::array({"x"}));
  CHECK(a.to_json().size() == nic_spec().params.size());
}

TEST_CASE("Params: programming errors are logic errors", "[config][params]") {
  const Params p = validate_text("switch: s\n");
  CHECK_THROWS_AS(p.integer("nope"), std::logic_error);
  CHECK_THROWS_AS(p.integer("model"), std::logic_error);
  CHECK_THROWS_AS(p.bytes("nic_bandwidth"), std::logic_error);
  CHECK_THROWS_AS(p.data_rate("buffer"), std::logic_error);
  const ModelSpec broken{"broken", "", {ParamSpec::time("t").def("soon")}};
  CHECK_THROWS_AS(validate(Node::map({}), broken), std::logic_error);
}

TEST_CASE("catalogue descriptions", "[config][params]") {
  const ModelSpec& s = nic_spec();
  CHECK(type_name(*s.find("nic_bandwidth")) == "data rate");
  CHECK(type_name(*s.find("ports")) == "int");
  CHECK(type_name(*s.find("service")) == "one of fixed|exponential");
  CHECK(type_name(*s.find("latency")) == "time");
  CHECK(type_name(*s.find("tags")) == "list of strings");
  CHECK(describe_default(*s.find("nic_bandwidth")) == "400Gbps");
  CHECK(describe_default(*s.find("switch")) == "required");
  CHECK(describe_range(*s.find("nic_bandwidth")) == "> 0");
  CHECK(describe_range(*s.find("ports")) == ">= 1 and <= 8");
  CHECK(describe_range(*s.find("model")).empty());
  CHECK(s.find("nic_bandwidth")->help_text == "line rate");
  CHECK(s.find("absent") == nullptr);
}

TEST_CASE("closest_name", "[config][params]") {
  const std::vector<std::string> names{"nic_bandwidth", "ports", "latency", "aa", "ac"};
  CHECK(closest_name("nic_bandwdith", names) == "nic_bandwidth");  // a swap is one edit
  CHECK(closest_name("prots", names) == "ports");
  CHECK(closest_name("latncy", names) == "latency");
  CHECK(closest_name("colour", names).empty());
  CHECK(closest_name("", names).empty());
  CHECK(closest_name("x", names).empty());  // a one-letter key is never "corrected"
  SECTION("ties go to the alphabetically first, whatever the order") {
    const std::vector<std::string> reversed{"ac", "aa"};
    CHECK(closest_name("ab", names) == "aa");
    CHECK(closest_name("ab", reversed) == "aa");
  }
}
