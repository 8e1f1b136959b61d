#include "sim/units.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace stormsim::sim::units {
namespace {

// One unit spelling: canonical value = number * multiplier / divisor. Two
// factors instead of one so that common values come out correctly rounded
// ("7%" is 7 / 100, "$2.49/h" is 2.49 / 3600, not 2.49 * 0.000277...).
struct UnitDef {
  std::string_view spelling;
  Dimension dim;
  double multiplier;
  double divisor;
};

constexpr double kKilo = 1e3, kMega = 1e6, kGiga = 1e9, kTera = 1e12, kPeta = 1e15;
constexpr double kKibi = 1024.0, kMebi = kKibi * 1024, kGibi = kMebi * 1024, kTebi = kGibi * 1024,
                 kPebi = kTebi * 1024;
constexpr double kHour = 3600.0, kDay = 24 * kHour;
// Cloud price sheets bill a month as 730 h (365 d / 12).
constexpr double kMonth = 730 * kHour, kYear = 365 * kDay;
// Time units hold their length in ns as the multiplier (exact integers) so
// that parse_time can compute in integers; the divisor turns ns into seconds.
constexpr double kNsPerSec = 1e9;

constexpr Dimension kSize = Dimension::kSize, kDataRate = Dimension::kDataRate,
                    kOpRate = Dimension::kOpRate, kTimeDim = Dimension::kTime,
                    kMoney = Dimension::kMoney, kMoneyRate = Dimension::kMoneyRate,
                    kPower = Dimension::kPower, kFraction = Dimension::kFraction;

// Every accepted spelling. Lowercase k is the SI kilo and is accepted beside
// the customary K; case otherwise matters (b is bits, B bytes, M mega, m milli).
constexpr UnitDef kUnits[] = {
    {"B", kSize, 1, 1},
    {"KB", kSize, kKilo, 1},
    {"kB", kSize, kKilo, 1},
    {"MB", kSize, kMega, 1},
    {"GB", kSize, kGiga, 1},
    {"TB", kSize, kTera, 1},
    {"PB", kSize, kPeta, 1},
    {"KiB", kSize, kKibi, 1},
    {"MiB", kSize, kMebi, 1},
    {"GiB", kSize, kGibi, 1},
    {"TiB", kSize, kTebi, 1},
    {"PiB", kSize, kPebi, 1},
    {"bps", kDataRate, 1, 8},
    {"Kbps", kDataRate, kKilo, 8},
    {"kbps", kDataRate, kKilo, 8},
    {"Mbps", kDataRate, kMega, 8},
    {"Gbps", kDataRate, kGiga, 8},
    {"Tbps", kDataRate, kTera, 8},
    {"b/s", kDataRate, 1, 8},
    {"Kb/s", kDataRate, kKilo, 8},
    {"kb/s", kDataRate, kKilo, 8},
    {"Mb/s", kDataRate, kMega, 8},
    {"Gb/s", kDataRate, kGiga, 8},
    {"Tb/s", kDataRate, kTera, 8},
    {"B/s", kDataRate, 1, 1},
    {"KB/s", kDataRate, kKilo, 1},
    {"kB/s", kDataRate, kKilo, 1},
    {"MB/s", kDataRate, kMega, 1},
    {"GB/s", kDataRate, kGiga, 1},
    {"TB/s", kDataRate, kTera, 1},
    {"PB/s", kDataRate, kPeta, 1},
    {"KiB/s", kDataRate, kKibi, 1},
    {"MiB/s", kDataRate, kMebi, 1},
    {"GiB/s", kDataRate, kGibi, 1},
    {"TiB/s", kDataRate, kTebi, 1},
    {"PiB/s", kDataRate, kPebi, 1},
    {"IOPS", kOpRate, 1, 1},
    {"KIOPS", kOpRate, kKilo, 1},
    {"kIOPS", kOpRate, kKilo, 1},
    {"MIOPS", kOpRate, kMega, 1},
    // Datasheets write "1.5M IOPS" (Micron 9400, Kioxia CM7).
    {"K IOPS", kOpRate, kKilo, 1},
    {"k IOPS", kOpRate, kKilo, 1},
    {"M IOPS", kOpRate, kMega, 1},
    {"ops/s", kOpRate, 1, 1},
    {"ns", kTimeDim, 1, kNsPerSec},
    {"us", kTimeDim, 1e3, kNsPerSec},
    {"\u00b5s", kTimeDim, 1e3, kNsPerSec},  // micro sign
    {"\u03bcs", kTimeDim, 1e3, kNsPerSec},  // Greek mu, what most keyboards give
    {"ms", kTimeDim, 1e6, kNsPerSec},
    {"s", kTimeDim, 1e9, kNsPerSec},
    {"min", kTimeDim, 60e9, kNsPerSec},
    {"h", kTimeDim, 3600e9, kNsPerSec},
    {"d", kTimeDim, 86400e9, kNsPerSec},
    {"$", kMoney, 1, 1},
    {"$/s", kMoneyRate, 1, 1},
    {"$/h", kMoneyRate, 1, kHour},
    {"$/d", kMoneyRate, 1, kDay},
    {"$/month", kMoneyRate, 1, kMonth},
    {"$/yr", kMoneyRate, 1, kYear},
    {"W", kPower, 1, 1},
    {"kW", kPower, kKilo, 1},
    {"MW", kPower, kMega, 1},
    {"%", kFraction, 1, 100},
};

struct DimensionInfo {
  std::string_view name;
  std::string_view example;
  // Units format() tries, in order of preference.
  std::span<const std::string_view> ladder;
};

constexpr std::string_view kSizeLadder[] = {"PB",  "TB",  "GB",  "MB",  "KB", "B",
                                            "PiB", "TiB", "GiB", "MiB", "KiB"};
constexpr std::string_view kDataRateLadder[] = {"PB/s",  "TB/s",  "GB/s",  "MB/s",  "KB/s", "B/s",
                                                "PiB/s", "TiB/s", "GiB/s", "MiB/s", "KiB/s"};
constexpr std::string_view kOpRateLadder[] = {"M IOPS", "K IOPS", "IOPS"};
constexpr std::string_view kTimeLadder[] = {"d", "h", "min", "s", "ms", "us", "ns"};
constexpr std::string_view kMoneyLadder[] = {"$"};
constexpr std::string_view kMoneyRateLadder[] = {"$/h"};
constexpr std::string_view kPowerLadder[] = {"MW", "kW", "W"};
constexpr std::string_view kFractionLadder[] = {"%"};

// Indexed by Dimension.
constexpr DimensionInfo kDimensions[] = {
    {"size", "3.84TB", kSizeLadder},
    {"data rate", "400Gbps", kDataRateLadder},
    {"operation rate", "1.5M IOPS", kOpRateLadder},
    {"time", "1.2us", kTimeLadder},
    {"money", "$1200", kMoneyLadder},
    {"money rate", "$2.49/h", kMoneyRateLadder},
    {"power", "700W", kPowerLadder},
    {"fraction", "50%", kFractionLadder},
};
constexpr Dimension kAllDimensions[] = {kSize,  kDataRate,  kOpRate, kTimeDim,
                                        kMoney, kMoneyRate, kPower,  kFraction};

const DimensionInfo& info(Dimension d) {
  return kDimensions[static_cast<int>(d)];
}

const UnitDef* find_unit(std::string_view spelling) {
  for (const UnitDef& u : kUnits) {
    if (u.spelling == spelling)
      return &u;
  }
  return nullptr;
}

const UnitDef& unit(std::string_view spelling) {
  const UnitDef* u = find_unit(spelling);
  assert(u != nullptr);
  return *u;
}

// ---------------------------------------------------------------------------
// Errors

[[noreturn]] void fail(std::string_view text, std::string_view why) {
  throw UnitError(fmt::format("invalid quantity \"{}\": {}", text, why));
}

// "size", or "data-rate" where the name is an adjective ("valid data-rate units").
std::string adjective(Dimension d) {
  std::string s(name(d));
  std::replace(s.begin(), s.end(), ' ', '-');
  return s;
}

std::string expectation(std::optional<Dimension> expected) {
  if (expected)
    return fmt::format("expected a {} such as {}", name(*expected), example(*expected));
  std::string examples;
  for (Dimension d : kAllDimensions)
    examples.append(examples.empty() ? "" : ", ").append(example(d));
  return "expected a number and a unit as in " + examples;
}

std::string all_valid_units() {
  std::string groups;
  for (Dimension d : kAllDimensions)
    groups.append(groups.empty() ? "" : "; ").append(name(d)).append(": ").append(valid_units(d));
  return "valid units are " + groups;
}

// ---------------------------------------------------------------------------
// Suggestions for a unit that is not in the table

// Case- and slash-insensitive form: "GBps", "Gb/s" and "gbps" all meet, since
// bits versus bytes is the mistake worth pointing at.
std::string loose_key(std::string_view s) {
  std::string key;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s.substr(i, 2) == "/s") {
      key += "ps";
      ++i;
    } else {
      key += static_cast<char>(std::tolower(static_cast<unsigned char>(s[i])));
    }
  }
  return key;
}

// Optimal string alignment distance: edits, counting a swap of neighbours as one.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i)
    d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j)
    d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// Table units that `written` was probably meant to be, nearest first: the
// same letters in another case; else, for units of 3+ characters (where one
// edit is telling), one edit away keeping the case ("Gbsp" -> "Gbps" only);
// else one edit away in any case.
std::vector<const UnitDef*> suggestions(std::string_view written,
                                        std::optional<Dimension> expected) {
  const std::string key = loose_key(written);
  std::vector<const UnitDef*> out;
  auto collect = [&](auto matches) {
    for (const UnitDef& u : kUnits) {
      if (out.size() < 4 && (!expected || u.dim == *expected) && matches(u))
        out.push_back(&u);
    }
  };
  collect([&](const UnitDef& u) { return loose_key(u.spelling) == key; });
  if (out.empty() && written.size() >= 3)
    collect([&](const UnitDef& u) { return edit_distance(u.spelling, written) <= 1; });
  if (out.empty() && written.size() >= 3)
    collect([&](const UnitDef& u) { return edit_distance(loose_key(u.spelling), key) <= 1; });
  return out;
}

std::string did_you_mean(const std::vector<std::string>& options) {
  if (options.empty())
    return "";
  std::string list = fmt::format("\"{}\"", options.front());
  for (std::size_t i = 1; i < options.size(); ++i) {
    list += fmt::format("{}\"{}\"", i + 1 == options.size() ? " or " : ", ", options[i]);
  }
  return fmt::format(" (did you mean {}?)", list);
}

// ---------------------------------------------------------------------------
// Lexing: [+|-] [$] number [" "] unit

struct Lexed {
  bool negative = false;
  std::string_view number;  // unsigned, as written
  std::string unit;         // "$" prepended for money ("$2.49/h" -> "$/h")
  bool dollar = false;
};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_space(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size())
    return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i])
      return false;
  }
  return true;
}

std::size_t skip_digits(std::string_view s, std::size_t pos) {
  while (pos < s.size() && is_digit(s[pos]))
    ++pos;
  return pos;
}

// Length of the number at the start of `s` ("12", "1.5", ".5", "1e-3"), 0 if none.
std::size_t scan_number(std::string_view s) {
  std::size_t pos = skip_digits(s, 0);
  if (pos < s.size() && s[pos] == '.' && pos + 1 < s.size() && is_digit(s[pos + 1])) {
    pos = skip_digits(s, pos + 1);
  }
  if (pos == 0)
    return 0;
  if (pos < s.size() && (s[pos] == 'e' || s[pos] == 'E')) {
    std::size_t exp = pos + 1;
    if (exp < s.size() && (s[exp] == '+' || s[exp] == '-'))
      ++exp;
    // An "e" without digits is not an exponent; the unit check reports it.
    if (exp < s.size() && is_digit(s[exp]))
      pos = skip_digits(s, exp);
  }
  return pos;
}

std::string_view skip_sign_and_dollar(std::string_view rest, Lexed& out) {
  if (!rest.empty() && (rest.front() == '+' || rest.front() == '-')) {
    out.negative = rest.front() == '-';
    rest.remove_prefix(1);
  }
  if (!rest.empty() && rest.front() == '$') {
    out.dollar = true;
    rest.remove_prefix(1);
  }
  return rest;
}

// After the number: at most one space, then the unit, which must not look
// like more of a number ("1,000GB", "1.2.3s").
std::string_view take_unit(std::string_view text, std::string_view rest) {
  if (!rest.empty() && rest.front() == ' ')
    rest.remove_prefix(1);
  if (!rest.empty() && is_space(rest.front())) {
    fail(text, "more than one space between number and unit");
  }
  if (!rest.empty() &&
      std::string_view("0123456789.,_'").find(rest.front()) != std::string_view::npos) {
    fail(text, "malformed number; write plain digits such as 1000, 0.5 or 1.5e3");
  }
  return rest;
}

Lexed lex(std::string_view text, std::optional<Dimension> expected) {
  if (text.empty())
    fail(text, fmt::format("empty; {}", expectation(expected)));
  if (is_space(text.front()) || is_space(text.back())) {
    fail(text, "leading or trailing whitespace");
  }
  Lexed out;
  std::string_view rest = skip_sign_and_dollar(text, out);
  if (starts_with_nocase(rest, "nan") || starts_with_nocase(rest, "inf")) {
    fail(text, "not a finite number");
  }
  const std::size_t len = scan_number(rest);
  if (len == 0)
    fail(text, fmt::format("does not start with a number; {}", expectation(expected)));
  out.number = rest.substr(0, len);
  const std::string_view unit = take_unit(text, rest.substr(len));
  out.unit.assign(out.dollar ? "$" : "").append(unit);
  return out;
}

// ---------------------------------------------------------------------------
// Exact time: the decimal number as integer digits times a power of ten

using Wide = unsigned __int128;

// Keeps digits * ns-per-unit (< 10^24 * 8.64e13 for days) within 128 bits.
constexpr int kMaxSignificantDigits = 24;
constexpr std::int64_t kMaxExponent = 100000;  // far past any representable time
constexpr Wide kInt64Max = static_cast<Wide>(INT64_MAX);

struct Decimal {
  Wide digits = 0;
  std::int64_t exponent = 0;  // value = digits * 10^exponent
};

std::int64_t parse_exponent(std::string_view s) {
  const bool negative = !s.empty() && s.front() == '-';
  if (!s.empty() && (s.front() == '-' || s.front() == '+'))
    s.remove_prefix(1);
  std::int64_t e = 0;
  for (char c : s)
    e = std::min<std::int64_t>(e * 10 + (c - '0'), kMaxExponent);
  return negative ? -e : e;
}

Decimal to_decimal(std::string_view number) {
  Decimal out;
  int significant = 0;
  bool after_point = false;
  std::size_t i = 0;
  for (; i < number.size() && number[i] != 'e' && number[i] != 'E'; ++i) {
    if (number[i] == '.') {
      after_point = true;
      continue;
    }
    const bool kept = significant < kMaxSignificantDigits;
    if (kept) {
      out.digits = out.digits * 10 + static_cast<unsigned>(number[i] - '0');
      if (out.digits != 0)
        ++significant;
      if (after_point)
        --out.exponent;
    } else if (!after_point) {
      ++out.exponent;
    }
  }
  if (i < number.size())
    out.exponent += parse_exponent(number.substr(i + 1));
  return out;
}

Wide pow10(std::int64_t n) {
  Wide p = 1;
  for (std::int64_t i = 0; i < n; ++i)
    p *= 10;
  return p;
}

// digits * ns_per_unit * 10^exponent, rounded half away from zero; nullopt
// beyond int64.
std::optional<std::int64_t> exact_ns(const Decimal& dec, std::int64_t ns_per_unit) {
  Wide ns = dec.digits * static_cast<Wide>(ns_per_unit);
  if (ns == 0)
    return 0;
  if (dec.exponent >= 0) {
    for (std::int64_t i = 0; i < dec.exponent && ns <= kInt64Max; ++i)
      ns *= 10;
  } else if (dec.exponent < -38) {
    ns = 0;  // ns < 10^38, so this is below half a nanosecond
  } else {
    const Wide divisor = pow10(-dec.exponent);
    const Wide remainder = ns % divisor;
    ns = ns / divisor + (2 * remainder >= divisor ? 1 : 0);
  }
  if (ns > kInt64Max)
    return std::nullopt;
  return static_cast<std::int64_t>(ns);
}

// ---------------------------------------------------------------------------
// Resolving the unit

[[noreturn]] void fail_unknown_unit(std::string_view text, const Lexed& lx,
                                    std::optional<Dimension> expected) {
  if (!lx.dollar && lx.unit.front() == '$') {
    fail(text, fmt::format("unknown unit \"{}\"; write the $ before the number, as in \"${}{}\"",
                           lx.unit, lx.number, lx.unit.substr(1)));
  }
  const std::vector<const UnitDef*> near = suggestions(lx.unit, expected);
  std::vector<std::string> names;
  for (const UnitDef* u : near)
    names.emplace_back(u->spelling);
  const std::optional<Dimension> listed = expected        ? expected
                                          : !near.empty() ? std::optional(near.front()->dim)
                                          : lx.dollar     ? std::optional(Dimension::kMoneyRate)
                                                          : std::nullopt;
  const std::string valid =
      listed ? fmt::format("valid {} units: {}", adjective(*listed), valid_units(*listed))
             : all_valid_units();
  fail(text, fmt::format("unknown unit \"{}\"{}; {}", lx.unit, did_you_mean(names), valid));
}

[[noreturn]] void fail_wrong_dimension(std::string_view text, const Lexed& lx, const UnitDef& u,
                                       Dimension expected) {
  // "400GB" where a rate is wanted is most likely "400GB/s".
  std::vector<std::string> hint;
  const UnitDef* per_second = lx.dollar ? nullptr : find_unit(lx.unit + "/s");
  if (per_second != nullptr && per_second->dim == expected) {
    hint.push_back(fmt::format("{}{}{}", lx.negative ? "-" : "", lx.number, per_second->spelling));
  }
  fail(text, fmt::format("\"{}\" is a {} unit, but a {} is expected{}; valid {} units: {}", lx.unit,
                         name(u.dim), name(expected), did_you_mean(hint), adjective(expected),
                         valid_units(expected)));
}

const UnitDef& resolve(std::string_view text, const Lexed& lx, std::optional<Dimension> expected) {
  if (lx.unit.empty())
    fail(text, fmt::format("no unit; {}", expectation(expected)));
  // "1200$" is not money: the table's "$" only stands for a leading dollar.
  const UnitDef* u = lx.dollar || lx.unit.front() != '$' ? find_unit(lx.unit) : nullptr;
  if (u == nullptr)
    fail_unknown_unit(text, lx, expected);
  if (expected && u->dim != *expected)
    fail_wrong_dimension(text, lx, *u, *expected);
  return *u;
}

double to_double(std::string_view text, std::string_view number) {
  double v = 0;
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), v);
  // scan_number accepts a subset of what from_chars reads, so all is consumed.
  assert(ec != std::errc() || end == number.data() + number.size());
  if (ec == std::errc())
    return v;
  // Too small for a double is as good as zero; too large is an error.
  if (to_decimal(number).exponent < 0)
    return 0.0;
  fail(text, "number out of range");
}

struct Parsed {
  Lexed lexed;
  const UnitDef* unit;
  double value;  // canonical
};

Parsed parse_parts(std::string_view text, std::optional<Dimension> expected) {
  Lexed lx = lex(text, expected);
  const UnitDef& u = resolve(text, lx, expected);
  const double magnitude = to_double(text, lx.number) * u.multiplier / u.divisor;
  if (!std::isfinite(magnitude))
    fail(text, fmt::format("out of range for a {}", name(u.dim)));
  const double value = lx.negative ? -magnitude : magnitude;
  return {std::move(lx), &u, value};
}

// ---------------------------------------------------------------------------
// Formatting

std::string with_unit(double canonical, const UnitDef& u) {
  const double shown = canonical * u.divisor / u.multiplier;
  if (u.spelling.front() == '$') {
    return fmt::format("{}${:.6g}{}", std::signbit(shown) ? "-" : "", std::fabs(shown),
                       u.spelling.substr(1));
  }
  return fmt::format("{:.6g}{}", shown, u.spelling);
}

double size_of(const UnitDef& u) {
  return u.multiplier / u.divisor;
}

bool round_trips(const std::string& s, double canonical, Dimension d) {
  try {
    return parse(s, d).value == canonical;
  } catch (const UnitError&) {
    return false;  // e.g. a value that overflows in its display unit
  }
}

}  // namespace

std::string_view name(Dimension d) {
  return info(d).name;
}
std::string_view example(Dimension d) {
  return info(d).example;
}

std::string valid_units(Dimension d) {
  std::string names;
  for (const UnitDef& u : kUnits) {
    if (u.dim == d)
      names.append(names.empty() ? "" : ", ").append(u.spelling);
  }
  return names;
}

Quantity parse(std::string_view text) {
  const Parsed p = parse_parts(text, std::nullopt);
  return {p.value, p.unit->dim};
}

Quantity parse(std::string_view text, Dimension expected) {
  return {parse_parts(text, expected).value, expected};
}

Time parse_time(std::string_view text) {
  const Parsed p = parse_parts(text, Dimension::kTime);
  const auto ns_per_unit = static_cast<std::int64_t>(p.unit->multiplier);
  const std::optional<std::int64_t> ns = exact_ns(to_decimal(p.lexed.number), ns_per_unit);
  if (!ns)
    fail(text, "beyond the simulator's time range of about 292 years (int64 ns)");
  return Time::from_ns(p.lexed.negative ? -*ns : *ns);
}

Bytes parse_size(std::string_view text) {
  return Bytes(parse(text, Dimension::kSize).value);
}

BytesPerSec parse_data_rate(std::string_view text) {
  return BytesPerSec(parse(text, Dimension::kDataRate).value);
}

std::string format(double canonical_value, Dimension d) {
  const auto ladder = info(d).ladder;
  double smallest = size_of(unit(ladder.front()));
  for (std::string_view s : ladder)
    smallest = std::min(smallest, size_of(unit(s)));
  const double magnitude = std::fabs(canonical_value);
  std::optional<std::string> fallback;
  for (std::string_view s : ladder) {
    const UnitDef& u = unit(s);
    // Only units the value reaches ("0.5ms", not "5e-07min"), or the smallest.
    if (magnitude < size_of(u) && size_of(u) != smallest)
      continue;
    std::string text = with_unit(canonical_value, u);
    if (!std::isfinite(canonical_value))
      return text;
    if (round_trips(text, canonical_value, d))
      return text;
    if (!fallback)
      fallback = std::move(text);
  }
  assert(fallback);
  return *fallback;
}

}  // namespace stormsim::sim::units
