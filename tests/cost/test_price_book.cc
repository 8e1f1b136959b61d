// The shipped price book: it loads, every entry is there with its source or
// an `assumption:` note, and bad files are errors naming file, line and key.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "models/cost/price_book.h"
#include "sim/config/error.h"

using stormsim::models::cost::default_price_book;
using stormsim::models::cost::default_price_book_text;
using stormsim::models::cost::load_price_book;
using stormsim::models::cost::PriceBook;
using stormsim::models::cost::speed_class;
using stormsim::sim::BytesPerSec;
using stormsim::sim::config::ConfigError;

namespace {

const std::string kShipped = std::string(STORMSIM_SOURCE_DIR) + "/models/cost/price_book.yaml";

std::string read(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string write_temp(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / ("stormsim-price-book-" + name);
  std::ofstream(path) << text;
  return path.string();
}

// Every number in the JSON, with its path.
void leaves(const nlohmann::json& j, const std::string& path,
            std::vector<std::pair<std::string, double>>& out) {
  if (j.is_object()) {
    for (const auto& [k, v] : j.items())
      leaves(v, path + "." + k, out);
  } else if (j.is_number()) {
    out.emplace_back(path, j.get<double>());
  }
}

// The message of the ConfigError `path` raises.
std::string error_of(const std::string& path) {
  try {
    load_price_book(path);
  } catch (const ConfigError& e) {
    return e.what();
  }
  FAIL("no ConfigError for " << path);
  return "";
}

}  // namespace

TEST_CASE("the compiled-in price book is the shipped file", "[cost]") {
  CHECK(std::string(default_price_book_text()) == read(kShipped));
}

TEST_CASE("the default price book loads with every entry", "[cost]") {
  const PriceBook& b = default_price_book();
  CHECK(b.source == "<default price book>");
  CHECK(b.gpu_server == 270000);
  CHECK(b.storage_server == 20000);
  CHECK(b.nvme_per_tb == 100);
  CHECK(b.nic[1] == 1200);
  CHECK(b.switch_port[2] == 562.5);
  CHECK(b.link[2] == 1200);
  CHECK(b.gpu_server_w == 10200);
  CHECK(b.nvme_w == 21);
  CHECK(b.electricity_per_kwh == Approx(0.0806));
  CHECK(b.pue == 1.58);
  CHECK(b.gpu_server_years == 5);
  CHECK(b.storage_years == 5);
  CHECK(b.network_years == 5);
  CHECK(b.gpu_price_per_hour == Approx(12.29));
  CHECK(b.fabric_port_rate.bits_per_sec() == Approx(400e9));

  // 3 + 3 x 4 capex, 5 power, 2 electricity, 3 amortization, GPU price,
  // fabric port speed: all present and positive.
  std::vector<std::pair<std::string, double>> values;
  leaves(b.to_json(), "", values);
  CHECK(values.size() == 27);
  for (const auto& [path, v] : values) {
    INFO(path);
    CHECK(v > 0);
  }
}

TEST_CASE("every shipped price cites a source or says it is an assumption", "[cost]") {
  // Each group of `key: value` lines (no blank line between them) follows a
  // comment; the comments of the file name sources or say `assumption:`.
  std::vector<std::string> lines;
  std::string line;
  std::istringstream in{std::string(default_price_book_text())};
  while (std::getline(in, line))
    lines.push_back(line);
  // A source names a date or a datasheet or reference design; otherwise the
  // comment says it is an assumption.
  const std::regex kCited("assumption:|datasheet|reference architecture|20[0-9][0-9]");
  int values = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    const bool value = !l.empty() && l[0] == ' ' && l.find(':') != std::string::npos &&
                       l.find('#') == std::string::npos;
    const bool top_value = !l.empty() && l[0] != ' ' && l[0] != '#' && l.back() != ':';
    if (!value && !top_value)
      continue;
    ++values;
    std::size_t j = i;
    while (j > 0 && lines[j - 1].find('#') == std::string::npos && !lines[j - 1].empty() &&
           lines[j - 1].back() != ':')
      --j;
    INFO("line " << i + 1 << ": " << l);
    REQUIRE(j > 0);
    REQUIRE(lines[j - 1].find('#') != std::string::npos);
    std::string comment;
    for (std::size_t k = j; k > 0 && lines[k - 1].find('#') != std::string::npos; --k)
      comment = lines[k - 1] + "\n" + comment;
    INFO(comment);
    CHECK(std::regex_search(comment, kCited));
  }
  CHECK(values == 27);
}

TEST_CASE("a price book file is merged over the defaults", "[cost]") {
  const std::string path =
      write_temp("partial.yaml", "capex:\n  nvme_per_tb: $200\ngpu_price_per_hour: $2/h\n");
  const PriceBook b = load_price_book(path);
  CHECK(b.source == path);
  CHECK(b.nvme_per_tb == 200);
  CHECK(b.gpu_price_per_hour == Approx(2.0));
  CHECK(b.gpu_server == default_price_book().gpu_server);
  CHECK(b.pue == default_price_book().pue);
  // The shipped file itself loads to the defaults.
  CHECK(load_price_book(kShipped).to_json()["capex_usd"] ==
        default_price_book().to_json()["capex_usd"]);
}

TEST_CASE("bad price books are errors naming file, line and key", "[cost]") {
  SECTION("an unknown key, with the nearest valid one") {
    const std::string path = write_temp("typo.yaml", "capex:\n  nvme_per_tbb: $90\n");
    const std::string what = error_of(path);
    CHECK_THAT(what, Catch::Contains(path + ":2:"));
    CHECK_THAT(what, Catch::Contains("capex.nvme_per_tbb"));
    CHECK_THAT(what, Catch::Contains("nvme_per_tb"));
  }
  SECTION("an unknown section") {
    const std::string path = write_temp("section.yaml", "# prices\ncapx:\n  gpu_server: $1\n");
    const std::string what = error_of(path);
    CHECK_THAT(what, Catch::Contains(path + ":2:"));
    CHECK_THAT(what, Catch::Contains("capx"));
  }
  SECTION("a value of the wrong dimension") {
    const std::string path = write_temp("unit.yaml", "power:\n  nvme: 21GB\n");
    const std::string what = error_of(path);
    CHECK_THAT(what, Catch::Contains(path + ":2:"));
    CHECK_THAT(what, Catch::Contains("power.nvme"));
  }
  SECTION("money without its dollar sign") {
    const std::string path = write_temp("money.yaml", "\n\ncapex:\n  gpu_server: 270000\n");
    const std::string what = error_of(path);
    CHECK_THAT(what, Catch::Contains(path + ":4:"));
    CHECK_THAT(what, Catch::Contains("capex.gpu_server"));
  }
  SECTION("a value out of range") {
    const std::string path = write_temp("pue.yaml", "electricity:\n  pue: 0.5\n");
    const std::string what = error_of(path);
    CHECK_THAT(what, Catch::Contains(path + ":2:"));
    CHECK_THAT(what, Catch::Contains("electricity.pue"));
  }
  SECTION("a section that is not a map") {
    const std::string path = write_temp("scalar.yaml", "amortization: 5\n");
    const std::string what = error_of(path);
    CHECK_THAT(what, Catch::Contains(path + ":1:"));
    CHECK_THAT(what, Catch::Contains("amortization"));
  }
}

TEST_CASE("ports are priced at the smallest speed class at least as fast", "[cost]") {
  CHECK(speed_class(BytesPerSec::from_bits_per_sec(10e9)) == 0);
  CHECK(speed_class(BytesPerSec::from_bits_per_sec(100e9)) == 0);
  CHECK(speed_class(BytesPerSec(25e9)) == 1);  // 200 Gb/s
  CHECK(speed_class(BytesPerSec::from_bits_per_sec(400e9)) == 2);
  CHECK(speed_class(BytesPerSec::from_bits_per_sec(401e9)) == 3);
  CHECK(speed_class(BytesPerSec::from_bits_per_sec(3.2e12)) == 3);
}
