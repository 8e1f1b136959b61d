#include "models/storage/object_store/s3_limits.h"

#include <fmt/format.h>

#include "models/storage/service.h"

namespace stormsim::models::storage::s3 {

void check_object(const std::string& who, const std::string& key, sim::Bytes bytes) {
  if (bytes.value() > kMaxObjectSize) {
    throw StorageError(
        fmt::format("{}: `{}`: EntityTooLarge: an S3 object holds at most 5 TiB, "
                    "not {}",
                    who, key, sim::to_string(bytes)));
  }
}

void check_put(const std::string& who, const std::string& key, sim::Bytes bytes) {
  if (bytes.value() > kMaxPutSize) {
    throw StorageError(
        fmt::format("{}: `{}`: EntityTooLarge: a single PUT carries at most "
                    "5 GiB, not {}; use a multipart upload",
                    who, key, sim::to_string(bytes)));
  }
}

void check_part(const std::string& who, const std::string& key, int part_number, sim::Bytes bytes) {
  if (part_number < 1 || part_number > kMaxParts) {
    throw StorageError(
        fmt::format("{}: `{}`: InvalidArgument: part number {} is outside 1 to "
                    "10,000; use larger parts (part_size)",
                    who, key, part_number));
  }
  if (bytes.value() > kMaxPartSize) {
    throw StorageError(
        fmt::format("{}: `{}`: EntityTooLarge: part {} is {}, above the 5 GiB "
                    "part limit",
                    who, key, part_number, sim::to_string(bytes)));
  }
}

void check_complete(const std::string& who, const std::string& key,
                    const std::vector<std::pair<int, sim::Bytes>>& parts) {
  if (parts.empty()) {
    throw StorageError(
        fmt::format("{}: `{}`: MalformedXML: a multipart upload completes with "
                    "at least one part",
                    who, key));
  }
  sim::Bytes total(0);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& [number, bytes] = parts[i];
    if (i + 1 < parts.size() && bytes.value() < kMinPartSize) {
      throw StorageError(
          fmt::format("{}: `{}`: EntityTooSmall: part {} is {}; every part but "
                      "the last must be at least 5 MiB",
                      who, key, number, sim::to_string(bytes)));
    }
    total += bytes;
  }
  check_object(who, key, total);
}

}  // namespace stormsim::models::storage::s3
