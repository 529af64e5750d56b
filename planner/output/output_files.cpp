#include "planner/output/output_files.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <openssl/evp.h>

#include "planner/base/errors.h"

namespace capplan {

namespace fs = std::filesystem;

namespace {
void write_whole_file(const fs::path& path, const std::string& content) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (!file) throw RuntimeFailure("cannot create " + path.string() + ": " + std::strerror(errno));
  const bool wrote = std::fwrite(content.data(), 1, content.size(), file) == content.size();
  const bool flushed = std::fflush(file) == 0 && ::fsync(fileno(file)) == 0;
  const bool closed = std::fclose(file) == 0;
  if (!wrote || !flushed || !closed)
    throw RuntimeFailure("cannot write " + path.string() + ": " + std::strerror(errno));
}
}  // namespace

void write_files_atomically(const std::string& directory,
                            const std::vector<std::pair<std::string, std::string>>& files) {
  std::error_code ec;
  fs::create_directories(directory, ec);
  if (ec) throw RuntimeFailure("cannot create directory " + directory + ": " + ec.message());
  std::vector<fs::path> temporaries;
  try {
    for (const auto& [name, content] : files) {
      const fs::path temporary = fs::path(directory) / ("." + name + ".tmp-" + std::to_string(::getpid()));
      temporaries.push_back(temporary);
      write_whole_file(temporary, content);
    }
    for (std::size_t i = 0; i < files.size(); ++i) {
      const fs::path target = fs::path(directory) / files[i].first;
      fs::rename(temporaries[i], target, ec);
      if (ec)
        throw RuntimeFailure("cannot rename " + temporaries[i].string() + " to " + target.string() + ": " +
                             ec.message());
    }
  } catch (...) {
    for (const auto& temporary : temporaries) fs::remove(temporary, ec);
    throw;
  }
}

std::string sha256_hex(const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    throw RuntimeFailure("SHA-256 computation failed");
  }
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 15];
  }
  return hex;
}

}  // namespace capplan
