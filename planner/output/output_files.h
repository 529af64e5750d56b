// Writing output files so that an interrupted run never leaves a half-written
// table, and hashing inputs for the run record.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace capplan {

// Writes every (file name, content) into `directory` (created if needed): all
// contents go to temporary files first, which are then renamed over their
// targets. Throws RuntimeFailure naming the path on any I/O error, after
// removing the temporary files.
void write_files_atomically(const std::string& directory,
                            const std::vector<std::pair<std::string, std::string>>& files);

// Hex SHA-256 of `bytes` (OpenSSL EVP).
std::string sha256_hex(const std::string& bytes);

}  // namespace capplan
