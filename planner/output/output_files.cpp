#include "planner/output/output_files.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <ostream>
#include <streambuf>
#include <utility>
#include <vector>

#include <openssl/evp.h>

#include "planner/base/errors.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

namespace capplan {

namespace fs = std::filesystem;

const char* const kResultSetMarker = ".capplan-run";

namespace {

const char* const kTempInfix = ".capplan-tmp-";
const char* const kNewInfix = ".capplan-new-";
const char* const kOldInfix = ".capplan-old-";
const char* const kLockSuffix = ".capplan-lock";
const char* const kPlotsPrefix = ".capplan-plots-";

std::string error_text(int error) { return std::strerror(error); }

[[noreturn]] void fail(const std::string& what, const fs::path& path, int error = errno) {
  throw RuntimeFailure(what + " " + path.string() + ": " + error_text(error));
}

// 12 unpredictable characters from getrandom(2).
std::string random_suffix() {
  unsigned char bytes[12];
  std::size_t got = 0;
  while (got < sizeof bytes) {
    const ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw RuntimeFailure("getrandom: " + error_text(errno));
    got += static_cast<std::size_t>(n);
  }
  static const char* kAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string suffix;
  for (unsigned char byte : bytes) suffix += kAlphabet[byte % 36];
  return suffix;
}

void write_all(int fd, const char* data, std::size_t size, const fs::path& path) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd, data + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("cannot write", path);
    done += static_cast<std::size_t>(n);
  }
}

// An output stream buffer over the open file `fd`: whole buffers are written
// with write_all, whose errors throw RuntimeFailure naming the file.
class FileBuffer : public std::streambuf {
 public:
  FileBuffer(int fd, const fs::path& path) : fd_(fd), path_(path), buffer_(kBufferBytes) {
    setp(buffer_.data(), buffer_.data() + buffer_.size());
  }

 protected:
  int_type overflow(int_type c) override {
    drain();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override {
    drain();
    return 0;
  }

 private:
  static constexpr std::size_t kBufferBytes = std::size_t(256) << 10;
  void drain() {
    write_all(fd_, pbase(), static_cast<std::size_t>(pptr() - pbase()), path_);
    setp(buffer_.data(), buffer_.data() + buffer_.size());
  }
  int fd_;
  fs::path path_;
  std::vector<char> buffer_;
};

void fsync_directory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail("cannot open directory", dir);
  const int synced = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (synced != 0 && error != EINVAL) fail("cannot sync directory", dir, error);
}

// Opens the new file `path` for writing: O_EXCL|O_NOFOLLOW, so never through
// anything already there; -1 with errno on failure.
int open_new(const fs::path& path) {
  return ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
}

// Writes `content` to the open new file `fd` at `path`, fsyncs and closes it;
// removes it on failure.
void fill_new_file(int fd, const fs::path& path, const ContentWriter& content) {
  try {
    FileBuffer buffer(fd, path);
    std::ostream out(&buffer);
    out.exceptions(std::ios::badbit | std::ios::failbit);  // rethrows the buffer's RuntimeFailure
    content(out);
    out.flush();
    if (::fsync(fd) != 0) fail("cannot sync", path);
  } catch (...) {
    ::close(fd);
    ::unlink(path.c_str());
    throw;
  }
  if (::close(fd) != 0) fail("cannot write", path);
}

// A new temporary `.<name>.capplan-tmp-<pid>-XXXXXXXXXXXX` in `dir` holding
// `content`, fsync'd; returns its path.
fs::path write_temporary(const fs::path& dir, const std::string& name, const ContentWriter& content) {
  for (int attempt = 0;; ++attempt) {
    const fs::path temporary = dir / ("." + name + kTempInfix + std::to_string(::getpid()) + "-" + random_suffix());
    const int fd = open_new(temporary);
    if (fd < 0) {
      if (errno == EEXIST && attempt < 100) continue;
      fail("cannot create", temporary);
    }
    fill_new_file(fd, temporary, content);
    return temporary;
  }
}

// Writes `content` to dir/name through an exclusive temporary and one rename.
void replace_file(const fs::path& dir, const std::string& name, const ContentWriter& content) {
  const fs::path temporary = write_temporary(dir, name, content);
  if (::rename(temporary.c_str(), (dir / name).c_str()) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    fail("cannot rename " + temporary.string() + " to", dir / name, error);
  }
}

bool process_gone(const std::string& digits) {
  if (digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) return false;
  return ::kill(static_cast<pid_t>(std::stol(digits)), 0) != 0 && errno == ESRCH;
}

// A table, chart or marker file capplan writes into a result set.
bool set_file_name(const std::string& name) {
  static const char* kTables[] = {
      "forecast.csv",   "forecast_by.csv",     "tranches.csv",    "targets.csv",        "completion_cdf.csv",
      "milestones.csv", "milestone_cdf.csv",   "sensitivity.csv", "run.json",           "summary.md",
      "compare.csv",    "compare_targets.csv", "sweep.csv",       "sweep_forecast.csv", "sweep_milestones.csv",
      "solve.json",     "history.csv",         "history.md"};
  for (const char* table : kTables) {
    if (name == table) return true;
  }
  const std::string extension = name.size() > 4 ? name.substr(name.size() - 4) : "";
  for (const char* chart : {"fan-", "delivered-compute", "tranche-completion", "milestones", "by-site-", "by-system-",
                            "tornado", "sweep-", "history-"}) {
    if ((extension == ".svg" || extension == ".png") && name.rfind(chart, 0) == 0) return true;
  }
  return name == kResultSetMarker;
}

// The process id in a temporary's name: ours (`.X.capplan-tmp-PID-R`) or, with
// `legacy`, an older capplan's in a result set (`.TABLE.tmp-PID`); "" if neither.
std::string temporary_pid(const std::string& name, bool legacy) {
  if (name.empty() || name[0] != '.') return "";
  if (const auto at = name.find(kTempInfix); at != std::string::npos) {
    const std::string rest = name.substr(at + std::strlen(kTempInfix));
    return rest.substr(0, rest.find('-'));
  }
  const auto at = name.rfind(".tmp-");
  if (!legacy || at == std::string::npos || !set_file_name(name.substr(1, at - 1))) return "";
  return name.substr(at + 5);
}

// Whether `name` (in a result set) is one capplan writes: a set file, a
// temporary or a chart work folder.
bool capplan_name(const std::string& name) {
  return set_file_name(name) || !temporary_pid(name, true).empty() || name.rfind(kPlotsPrefix, 0) == 0;
}

bool owned_by_us(const fs::path& path, bool directory) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0 || info.st_uid != ::geteuid()) return false;
  return directory ? S_ISDIR(info.st_mode) : S_ISREG(info.st_mode);
}

// Whether the file at `path` was last written more than ten minutes ago (a
// temporary lives for one write, fsync and rename).
bool older_than_ten_minutes(const fs::path& path) {
  struct stat info {};
  return ::lstat(path.c_str(), &info) == 0 && info.st_mtime + 600 < ::time(nullptr);
}

// Removes, in `dir`, capplan's temporary files whose process is gone. In a
// result set (`in_set`: the caller holds its lock) also an older capplan's
// temporaries and chart work folders, which exist only under that lock;
// elsewhere, where no lock orders writers, only temporaries also older than
// ten minutes (a process id may belong to another PID namespace).
void remove_dead_leftovers(const fs::path& dir, bool in_set) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    const std::string pid = temporary_pid(name, in_set);
    if (!pid.empty() && process_gone(pid) && owned_by_us(entry.path(), false) &&
        (in_set || older_than_ten_minutes(entry.path()))) {
      fs::remove(entry.path(), ec);
    }
    if (in_set && name.rfind(kPlotsPrefix, 0) == 0 && owned_by_us(entry.path(), true)) fs::remove_all(entry.path(), ec);
  }
}

// Removes `<name>.capplan-new-*` and `<name>.capplan-old-*` beside `target`:
// they exist only while their creator holds the lock, so one seen by the lock
// holder belongs to a killed run.
void remove_stale_siblings(const fs::path& target) {
  const std::string name = target.filename().string();
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(target.parent_path(), ec)) {
    const std::string sibling = entry.path().filename().string();
    const bool stale = sibling.rfind(name + kNewInfix, 0) == 0 || sibling.rfind(name + kOldInfix, 0) == 0;
    if (stale && owned_by_us(entry.path(), true)) fs::remove_all(entry.path(), ec);
  }
  remove_dead_leftovers(target.parent_path(), false);
}

// An exclusive flock on `<target>.capplan-lock`, held until destruction (or
// the process's death). The lock file stays: removing it would race.
class SetLock {
 public:
  explicit SetLock(const fs::path& target) {
    const fs::path path = target.parent_path() / (target.filename().string() + kLockSuffix);
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd_ < 0) fail("cannot open the lock file", path);
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR) {
        const int error = errno;
        ::close(fd_);
        fail("cannot lock", path, error);
      }
    }
  }
  ~SetLock() { ::close(fd_); }
  SetLock(const SetLock&) = delete;
  SetLock& operator=(const SetLock&) = delete;

 private:
  int fd_ = -1;
};

// The absolute path named by `directory`, through a symlink at its last component.
fs::path resolve_target(const std::string& directory) {
  fs::path target = fs::absolute(directory).lexically_normal();
  if (!target.has_filename()) target = target.parent_path();
  std::error_code ec;
  if (fs::is_symlink(target, ec)) target = fs::weakly_canonical(target);
  return target;
}

// Refuses (UsageError) an existing `target` that is not a directory, or that
// holds anything capplan does not write (by name, as a plain file or, for a
// chart work folder, a directory): capplan replaces only its own sets.
void require_result_set(const fs::path& target) {
  struct stat info {};
  if (::lstat(target.c_str(), &info) != 0) return;
  if (!S_ISDIR(info.st_mode)) throw UsageError("the output " + target.string() + " exists and is not a directory");
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(target, ec)) {
    const std::string name = entry.path().filename().string();
    const bool folder = name.rfind(kPlotsPrefix, 0) == 0;
    if (!capplan_name(name) || ::lstat(entry.path().c_str(), &info) != 0 ||
        !(folder ? S_ISDIR(info.st_mode) : S_ISREG(info.st_mode))) {
      throw UsageError("the output folder " + target.string() + " holds " + name +
                       ", which capplan does not write; capplan replaces only its own result sets: move it away, "
                       "or name a new or empty folder with --out");
    }
  }
  if (ec) throw RuntimeFailure("cannot read " + target.string() + ": " + ec.message());
}

// Puts `staging` in the place of `target`: renameat2(RENAME_EXCHANGE), or,
// where the file system lacks it, rename the old set away first.
void swap_in(const fs::path& staging, const fs::path& target) {
  if (!fs::exists(target)) {
    if (::rename(staging.c_str(), target.c_str()) != 0) fail("cannot rename " + staging.string() + " to", target);
    return;
  }
  const bool exchange_disabled = std::getenv("CAPPLAN_OUTPUT_NO_EXCHANGE") != nullptr;  // tests the fallback
  if (!exchange_disabled &&
      ::syscall(SYS_renameat2, AT_FDCWD, staging.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) == 0) {
    return;
  }
  if (!exchange_disabled && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) {
    fail("cannot exchange " + staging.string() + " with", target);
  }
  const fs::path old = target.parent_path() / (target.filename().string() + kOldInfix + random_suffix());
  if (::rename(target.c_str(), old.c_str()) != 0) fail("cannot rename " + target.string() + " to", old);
  if (::rename(staging.c_str(), target.c_str()) != 0) fail("cannot rename " + staging.string() + " to", target);
  if (::rename(old.c_str(), staging.c_str()) != 0) fail("cannot rename " + old.string() + " to", staging);
}

// Writes `text` (which must outlive the writer).
ContentWriter writing(const std::string& text) {
  return [&text](std::ostream& out) { out << text; };
}

// CAPPLAN_OUTPUT_TEST_PAUSE_MS=N sleeps N ms after each file of a set, so that
// tests can kill a run while it writes.
void pause_for_tests() {
  if (const char* ms = std::getenv("CAPPLAN_OUTPUT_TEST_PAUSE_MS")) ::usleep(1000 * std::atoi(ms));
}

}  // namespace

OutputFile::OutputFile(std::string name, std::string content)
    : name(std::move(name)), write([text = std::move(content)](std::ostream& out) { out << text; }) {}

OutputFile::OutputFile(std::string name, ContentWriter write) : name(std::move(name)), write(std::move(write)) {}

void write_new_file(const std::string& path, const ContentWriter& content) {
  const int fd = open_new(path);
  if (fd < 0) fail("cannot create", path);
  fill_new_file(fd, path, content);
}

void write_new_file(const std::string& path, const std::string& content) { write_new_file(path, writing(content)); }

void write_result_set(const std::string& directory, const OutputFiles& files,
                      const std::function<void(const std::string& staging)>& finish) {
  const fs::path target = resolve_target(directory);
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  if (ec) throw RuntimeFailure("cannot create directory " + target.parent_path().string() + ": " + ec.message());
  const SetLock lock(target);
  require_result_set(target);
  remove_stale_siblings(target);
  std::string pattern = target.string() + kNewInfix + "XXXXXX";
  if (!::mkdtemp(pattern.data())) fail("cannot create a folder beside", target);
  const fs::path staging = pattern;
  try {
    for (const OutputFile& file : files) {
      write_new_file((staging / file.name).string(), file.write);
      pause_for_tests();
    }
    write_new_file((staging / kResultSetMarker).string(), "capplan result set\n");
    if (finish) finish(staging.string());
    const mode_t mask = ::umask(0);
    ::umask(mask);
    if (::chmod(staging.c_str(), 0777 & ~mask) != 0) fail("cannot set the mode of", staging);
    fsync_directory(staging);
    swap_in(staging, target);
    fsync_directory(target.parent_path());
  } catch (...) {
    fs::remove_all(staging, ec);
    throw;
  }
  fs::remove_all(staging, ec);  // the previous set, if there was one
}

void check_result_set_target(const std::string& directory) { require_result_set(resolve_target(directory)); }

void update_result_set(const std::string& directory, const std::function<OutputFiles()>& make) {
  const fs::path target = resolve_target(directory);
  if (!fs::is_directory(target)) {
    throw UsageError("output folder " + directory + " does not exist; write it first with `capplan run SPEC --out " +
                     directory + "`");
  }
  const SetLock lock(target);
  remove_dead_leftovers(target, true);
  for (const OutputFile& file : make()) replace_file(target, file.name, file.write);
  fsync_directory(target);
}

void write_file_atomically(const std::string& path, const std::string& content) {
  const fs::path file = fs::absolute(path);
  const fs::path dir = file.parent_path();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw RuntimeFailure("cannot create directory " + dir.string() + ": " + ec.message());
  remove_dead_leftovers(dir, false);
  replace_file(dir, file.filename().string(), writing(content));
  fsync_directory(dir);
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
