#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/units.h"

namespace {

using stormsim::sim::Time;
using namespace stormsim::sim::units;
using Catch::Contains;

constexpr Dimension kAll[] = {Dimension::kSize,  Dimension::kDataRate, Dimension::kOpRate,
                              Dimension::kTime,  Dimension::kMoney,    Dimension::kMoneyRate,
                              Dimension::kPower, Dimension::kFraction};

struct Case {
  const char* text;
  double value;
  Dimension dim;
};

// "2.5" + "GB" -> "2.5GB", "2.5" + "$/h" -> "$2.5/h".
std::string with_number(const std::string& number, const std::string& unit) {
  if (unit.front() == '$')
    return "$" + number + unit.substr(1);
  return number + unit;
}

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t comma; (comma = list.find(", ", start)) != std::string::npos;
       start = comma + 2) {
    out.push_back(list.substr(start, comma - start));
  }
  out.push_back(list.substr(start));
  return out;
}

void check_cases(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    INFO(c.text);
    const Quantity q = parse(c.text);
    CHECK(q.dim == c.dim);
    CHECK(q.value == Approx(c.value).epsilon(1e-15));
    CHECK(parse(c.text, c.dim) == q);
  }
}

constexpr double kHour = 3600, kDay = 86400;

}  // namespace

TEST_CASE("every size unit", "[units]") {
  check_cases({
      {"1B", 1, Dimension::kSize},
      {"1KB", 1e3, Dimension::kSize},
      {"1kB", 1e3, Dimension::kSize},
      {"1MB", 1e6, Dimension::kSize},
      {"1GB", 1e9, Dimension::kSize},
      {"1TB", 1e12, Dimension::kSize},
      {"1PB", 1e15, Dimension::kSize},
      {"1KiB", 1024, Dimension::kSize},
      {"1MiB", 1048576, Dimension::kSize},
      {"1GiB", 1073741824, Dimension::kSize},
      {"1TiB", 1099511627776.0, Dimension::kSize},
      {"1PiB", 1125899906842624.0, Dimension::kSize},
      {"3.84TB", 3.84e12, Dimension::kSize},
  });
  SECTION("decimal and binary prefixes differ") {
    CHECK(parse_size("1KB").value() == 1000);
    CHECK(parse_size("1KiB").value() == 1024);
    CHECK(parse_size("4KiB").value() == 4096);
  }
}

TEST_CASE("every data-rate unit", "[units]") {
  check_cases({
      {"8bps", 1, Dimension::kDataRate},
      {"8Kbps", 1e3, Dimension::kDataRate},
      {"8kbps", 1e3, Dimension::kDataRate},
      {"8Mbps", 1e6, Dimension::kDataRate},
      {"8Gbps", 1e9, Dimension::kDataRate},
      {"8Tbps", 1e12, Dimension::kDataRate},
      {"8b/s", 1, Dimension::kDataRate},
      {"8Kb/s", 1e3, Dimension::kDataRate},
      {"8kb/s", 1e3, Dimension::kDataRate},
      {"8Mb/s", 1e6, Dimension::kDataRate},
      {"8Gb/s", 1e9, Dimension::kDataRate},
      {"8Tb/s", 1e12, Dimension::kDataRate},
      {"1B/s", 1, Dimension::kDataRate},
      {"1KB/s", 1e3, Dimension::kDataRate},
      {"1kB/s", 1e3, Dimension::kDataRate},
      {"1MB/s", 1e6, Dimension::kDataRate},
      {"1GB/s", 1e9, Dimension::kDataRate},
      {"1TB/s", 1e12, Dimension::kDataRate},
      {"1PB/s", 1e15, Dimension::kDataRate},
      {"1KiB/s", 1024, Dimension::kDataRate},
      {"1MiB/s", 1048576, Dimension::kDataRate},
      {"1GiB/s", 1073741824, Dimension::kDataRate},
      {"1TiB/s", 1099511627776.0, Dimension::kDataRate},
      {"1PiB/s", 1125899906842624.0, Dimension::kDataRate},
  });
  SECTION("bits are an eighth of bytes") {
    CHECK(parse_data_rate("1Gbps").value() == 125e6);
    CHECK(parse_data_rate("400Gbps").value() == 50e9);
    CHECK(parse_data_rate("400 Gb/s").value() == 50e9);
    CHECK(parse_data_rate("1GB/s").value() == 1e9);
    CHECK(parse_data_rate("400Gbps").bits_per_sec() == 400e9);
  }
}

TEST_CASE("every operation-rate unit", "[units]") {
  check_cases({
      {"1IOPS", 1, Dimension::kOpRate},
      {"1KIOPS", 1e3, Dimension::kOpRate},
      {"1kIOPS", 1e3, Dimension::kOpRate},
      {"1MIOPS", 1e6, Dimension::kOpRate},
      {"1K IOPS", 1e3, Dimension::kOpRate},
      {"1k IOPS", 1e3, Dimension::kOpRate},
      {"1.5M IOPS", 1.5e6, Dimension::kOpRate},
      {"1.5 M IOPS", 1.5e6, Dimension::kOpRate},
      {"1ops/s", 1, Dimension::kOpRate},
      {"800 IOPS", 800, Dimension::kOpRate},
  });
}

TEST_CASE("every time unit", "[units]") {
  check_cases({
      {"1ns", 1e-9, Dimension::kTime},
      {"1us", 1e-6, Dimension::kTime},
      {"1\u00b5s", 1e-6, Dimension::kTime},
      {"1\u03bcs", 1e-6, Dimension::kTime},
      {"1ms", 1e-3, Dimension::kTime},
      {"1s", 1, Dimension::kTime},
      {"1min", 60, Dimension::kTime},
      {"1h", kHour, Dimension::kTime},
      {"1d", kDay, Dimension::kTime},
  });
  CHECK(parse("1.2us").value == 1.2e-6);  // correctly rounded, not 1.2 * 1e-6
}

TEST_CASE("every money, power and fraction unit", "[units]") {
  check_cases({
      {"$1200", 1200, Dimension::kMoney},
      {"-$5", -5, Dimension::kMoney},
      {"$1/s", 1, Dimension::kMoneyRate},
      {"$2.49/h", 2.49 / kHour, Dimension::kMoneyRate},
      {"$24/d", 24 / kDay, Dimension::kMoneyRate},
      {"$730/month", 1 / kHour, Dimension::kMoneyRate},  // a month is 730 h
      {"$365/yr", 1 / kDay, Dimension::kMoneyRate},
      {"700W", 700, Dimension::kPower},
      {"1.2kW", 1200, Dimension::kPower},
      {"2MW", 2e6, Dimension::kPower},
      {"50%", 0.5, Dimension::kFraction},
      {"7%", 0.07, Dimension::kFraction},
      {"100 %", 1, Dimension::kFraction},
  });
  CHECK(parse("$2.49/h").value == 2.49 / 3600);  // exactly, not 2.49 * (1 / 3600.0)
}

TEST_CASE("valid_units lists every spelling, and each parses", "[units]") {
  for (Dimension d : kAll) {
    for (const std::string& unit : split(valid_units(d))) {
      INFO(unit);
      CHECK(parse(with_number("2", unit)).dim == d);
      CHECK(parse(with_number("2", unit), d).value > 0);
    }
  }
  CHECK(valid_units(Dimension::kDataRate).starts_with("bps, Kbps, "));
  CHECK(valid_units(Dimension::kPower) == "W, kW, MW");
}

TEST_CASE("names and examples", "[units]") {
  CHECK(name(Dimension::kSize) == "size");
  CHECK(name(Dimension::kDataRate) == "data rate");
  CHECK(name(Dimension::kOpRate) == "operation rate");
  CHECK(name(Dimension::kTime) == "time");
  CHECK(name(Dimension::kMoney) == "money");
  CHECK(name(Dimension::kMoneyRate) == "money rate");
  CHECK(name(Dimension::kPower) == "power");
  CHECK(name(Dimension::kFraction) == "fraction");
  for (Dimension d : kAll) {
    INFO(name(d));
    CHECK(parse(example(d)).dim == d);
  }
}

TEST_CASE("number forms", "[units]") {
  CHECK(parse("400GB").value == 400e9);
  CHECK(parse("0.5GB").value == 0.5e9);
  CHECK(parse(".5GB").value == 0.5e9);
  CHECK(parse("1.5e3MB").value == 1.5e9);
  CHECK(parse("1.5E3MB").value == 1.5e9);
  CHECK(parse("15e-1MB").value == 1.5e6);
  CHECK(parse("2e+3B").value == 2000);
  CHECK(parse("+3GB").value == 3e9);
  CHECK(parse("-3GB").value == -3e9);
  CHECK(parse("400 Gbps").value == 50e9);
  CHECK(parse("007B").value == 7);
}

TEST_CASE("parse_time is exact to the nanosecond", "[units]") {
  CHECK(parse_time("0.1s").ns() == 100000000);
  CHECK(parse_time("1.2us").ns() == 1200);
  CHECK(parse_time("1.2\u00b5s").ns() == 1200);
  CHECK(parse_time("3d").ns() == 3 * 86400 * std::int64_t{1000000000});
  CHECK(parse_time("1.5min").ns() == 90 * std::int64_t{1000000000});
  CHECK(parse_time("2h").ns() == 7200 * std::int64_t{1000000000});
  CHECK(parse_time("250ms").ns() == 250000000);
  CHECK(parse_time("1.5e3us").ns() == 1500000);
  CHECK(parse_time("2.5e-1s").ns() == 250000000);
  CHECK(parse_time("0s").ns() == 0);
  CHECK(parse_time("-1.5us").ns() == -1500);
  CHECK(parse_time("0.1000000000000000000000000001s").ns() == 100000000);
  CHECK(parse_time("1e-400s").ns() == 0);

  SECTION("rounds half away from zero") {
    CHECK(parse_time("0.5ns").ns() == 1);
    CHECK(parse_time("0.49ns").ns() == 0);
    CHECK(parse_time("-0.5ns").ns() == -1);
    CHECK(parse_time("1.0005us").ns() == 1001);
    CHECK(parse_time("1.00049us").ns() == 1000);
  }
  SECTION("the int64 edge, where doubles cannot tell the values apart") {
    CHECK(parse_time("9223372036.854775807s").ns() == INT64_MAX);
    CHECK(parse_time("-9223372036.854775807s").ns() == -INT64_MAX);
    CHECK(parse_time("9223372036854775807ns").ns() == INT64_MAX);
    CHECK_THROWS_WITH(parse_time("9223372036.854775808s"),
                      Contains("\"9223372036.854775808s\"") && Contains("292 years"));
    CHECK_THROWS_WITH(parse_time("106752d"), Contains("\"106752d\"") && Contains("range"));
    CHECK_THROWS_WITH(parse_time("1e300s"), Contains("\"1e300s\""));
    CHECK_THROWS_WITH(parse_time("1e99999999999999999999h"), Contains("range"));
  }
  SECTION("agrees with parse()") {
    for (const char* text : {"1.2us", "0.1s", "1.5min", "3d", "17ms", "-2h"}) {
      INFO(text);
      CHECK(parse_time(text).seconds() == Approx(parse(text).value).epsilon(1e-15));
    }
  }
}

TEST_CASE("missing unit", "[units]") {
  CHECK_THROWS_AS(parse("400"), UnitError);
  CHECK_THROWS_WITH(parse("400"), Contains("\"400\"") && Contains("no unit"));
  CHECK_THROWS_WITH(parse("400", Dimension::kDataRate),
                    Contains("\"400\"") && Contains("no unit") &&
                        Contains("expected a data rate such as 400Gbps"));
  CHECK_THROWS_WITH(parse("0.5", Dimension::kFraction),
                    Contains("no unit") && Contains("such as 50%"));
  CHECK_THROWS_WITH(parse_time("10"), Contains("\"10\"") && Contains("such as 1.2us"));
}

TEST_CASE("unknown unit", "[units]") {
  CHECK_THROWS_WITH(parse("400Gbsp"), Contains("invalid quantity \"400Gbsp\"") &&
                                          Contains("unknown unit \"Gbsp\"") &&
                                          Contains("did you mean \"Gbps\"?") &&
                                          Contains("valid data-rate units: bps, Kbps"));
  CHECK_THROWS_WITH(parse("3.84gb"), Contains("\"3.84gb\"") && Contains("did you mean \"GB\"?"));
  CHECK_THROWS_WITH(parse("5gbsp"), Contains("did you mean \"Gbps\", \"Gb/s\" or \"GB/s\"?"));
  CHECK_THROWS_WITH(parse("5GiBs"), Contains("did you mean \"GiB\" or \"GiB/s\"?"));
  CHECK_THROWS_WITH(parse("5mins"), Contains("did you mean \"min\"?"));
  CHECK_THROWS_WITH(parse("5KW"), Contains("did you mean \"kW\"?"));
  CHECK_THROWS_WITH(parse("5Ms"), Contains("did you mean \"ms\"?"));
  // GBps is ambiguous between bits and bytes; name all readings.
  CHECK_THROWS_WITH(parse("5GBps"),
                    Contains("\"Gbps\"") && Contains("\"Gb/s\"") && Contains("\"GB/s\""));
  CHECK_THROWS_WITH(parse("5parsecs"),
                    Contains("unknown unit \"parsecs\"") && Contains("valid units are size: B, "));
  CHECK_THROWS_WITH(parse("5xyz", Dimension::kPower),
                    Contains("\"5xyz\"") && Contains("valid power units: W, kW, MW"));
  CHECK_THROWS_WITH(parse("1200$"), Contains("write the $ before the number, as in \"$1200\""));
  CHECK_THROWS_WITH(parse("$2.49/hour"),
                    Contains("unknown unit \"$/hour\"") && Contains("valid money-rate units"));
}

TEST_CASE("unit of the wrong dimension", "[units]") {
  CHECK_THROWS_WITH(parse("400GB", Dimension::kDataRate),
                    Contains("\"400GB\"") && Contains("\"GB\" is a size unit") &&
                        Contains("a data rate is expected") &&
                        Contains("did you mean \"400GB/s\"?"));
  CHECK_THROWS_WITH(parse_size("400Gbps"),
                    Contains("\"400Gbps\"") && Contains("data rate unit") && Contains("a size"));
  CHECK_THROWS_WITH(parse_time("5GB"), Contains("\"5GB\"") && Contains("valid time units: ns"));
  CHECK_THROWS_WITH(parse("$1200", Dimension::kMoneyRate),
                    Contains("\"$\" is a money unit, but a money rate is expected"));
}

TEST_CASE("malformed text", "[units]") {
  struct Bad {
    const char* text;
    const char* why;
  };
  const std::vector<Bad> bad = {
      {"", "empty"},
      {" 5GB", "whitespace"},
      {"5GB ", "whitespace"},
      {"5GB\n", "whitespace"},
      {"5  GB", "more than one space"},
      {"5\tGB", "more than one space"},
      {"GB", "does not start with a number"},
      {"abc", "does not start with a number"},
      {"-", "does not start with a number"},
      {"+-5GB", "does not start with a number"},
      {"$", "does not start with a number"},
      {"$-5", "does not start with a number"},
      {".GB", "does not start with a number"},
      {"nan", "not a finite number"},
      {"NaNGB", "not a finite number"},
      {"inf", "not a finite number"},
      {"-infinityGB", "not a finite number"},
      {"$inf/h", "not a finite number"},
      {"1,000GB", "malformed number"},
      {"1.2.3GB", "malformed number"},
      {"1 000GB", "malformed number"},
      {"5.GB", "malformed number"},
      {"400Gbps!", "unknown unit \"Gbps!\""},
      {"400Gbps x", "unknown unit \"Gbps x\""},
      {"1e5e3GB", "unknown unit"},
      {"0x10GB", "unknown unit"},
      {"1e999GB", "out of range"},
      {"1e300PB", "out of range"},
  };
  for (const Bad& b : bad) {
    INFO(b.text);
    const std::string quoted = std::string("invalid quantity \"") + b.text + "\"";
    CHECK_THROWS_AS(parse(b.text), UnitError);
    CHECK_THROWS_WITH(parse(b.text), Contains(quoted) && Contains(b.why));
  }
  CHECK_THROWS_WITH(parse("", Dimension::kSize), Contains("expected a size such as 3.84TB"));
}

TEST_CASE("format picks a readable unit", "[units]") {
  CHECK(format(50e9, Dimension::kDataRate) == "50GB/s");
  CHECK(format(125e6, Dimension::kDataRate) == "125MB/s");
  CHECK(format(3.84e12, Dimension::kSize) == "3.84TB");
  CHECK(format(4096, Dimension::kSize) == "4.096KB");
  CHECK(format(1048576, Dimension::kSize) == "1MiB");
  CHECK(format(1073741824.0 * 3, Dimension::kDataRate) == "3GiB/s");
  CHECK(format(0, Dimension::kSize) == "0B");
  CHECK(format(0.5, Dimension::kSize) == "0.5B");
  CHECK(format(1.5e6, Dimension::kOpRate) == "1.5M IOPS");
  CHECK(format(90, Dimension::kTime) == "1.5min");
  CHECK(format(61, Dimension::kTime) == "61s");
  CHECK(format(1.2e-6, Dimension::kTime) == "1.2us");
  CHECK(format(3 * kDay, Dimension::kTime) == "3d");
  CHECK(format(1200, Dimension::kMoney) == "$1200");
  CHECK(format(-5, Dimension::kMoney) == "-$5");
  CHECK(format(2.49 / kHour, Dimension::kMoneyRate) == "$2.49/h");
  CHECK(format(700, Dimension::kPower) == "700W");
  CHECK(format(1200, Dimension::kPower) == "1.2kW");
  CHECK(format(0.5, Dimension::kFraction) == "50%");
  CHECK(format(-3e9, Dimension::kSize) == "-3GB");
}

TEST_CASE("format round-trips through parse", "[units]") {
  const double values[] = {0,       1,       0.001,     7,       999,          1000,
                           1023.5,  1024,    12345.678, 3.84e12, 1.0 / 3,      2.5e-9,
                           6.02e23, -42.125, 86399.5,   1e-12,   123456789.123};
  for (Dimension d : kAll) {
    for (double v : values) {
      const std::string text = format(v, d);
      INFO(name(d) << ": " << v << " -> " << text);
      const Quantity q = parse(text);
      CHECK(q.dim == d);
      CHECK(q.value == Approx(v).epsilon(5e-6).margin(0));
    }
  }
}
