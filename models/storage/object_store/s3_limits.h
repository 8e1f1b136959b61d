// The limits Amazon S3 puts on objects and multipart uploads, enforced by
// the object store as StorageErrors named after S3's own error codes.
//
// AWS, Amazon S3 User Guide, "Amazon S3 multipart upload limits": parts of
// 5 MiB to 5 GiB (the last part may be smaller), part numbers 1 to 10,000,
// objects of at most 5 TiB; a single PUT carries at most 5 GiB. AWS, Amazon
// S3 API Reference, ListObjectsV2: at most 1,000 keys per response.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/quantity.h"

namespace stormsim::models::storage::s3 {

inline constexpr double kMiB = 1024.0 * 1024.0;
inline constexpr double kMinPartSize = 5 * kMiB;
inline constexpr double kMaxPartSize = 5 * 1024 * kMiB;
inline constexpr double kMaxPutSize = 5 * 1024 * kMiB;
inline constexpr double kMaxObjectSize = 5 * 1024.0 * 1024 * kMiB;
inline constexpr int kMaxParts = 10000;
inline constexpr std::size_t kListPage = 1000;

// Each throws a StorageError prefixed with `who` (the service's name) when
// the request breaks a limit.
void check_put(const std::string& who, const std::string& key, sim::Bytes bytes);
void check_part(const std::string& who, const std::string& key, int part_number, sim::Bytes bytes);
// At CompleteMultipartUpload: `parts` in part-number order; every part but
// the last at least 5 MiB, the object at most 5 TiB.
void check_complete(const std::string& who, const std::string& key,
                    const std::vector<std::pair<int, sim::Bytes>>& parts);
void check_object(const std::string& who, const std::string& key, sim::Bytes bytes);

}  // namespace stormsim::models::storage::s3
