#include "planner/output/plot_gnuplot.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "planner/base/errors.h"
#include "planner/output/output_files.h"

namespace capplan::plots {

namespace fs = std::filesystem;

const char* const kGnuplotInstallHint =
    "install gnuplot-nox (Debian: apt-get install gnuplot-nox; see tools/install-deps.sh)";

namespace {

// In the forked child: runs gnuplot in `dir` with its output on `output_fd`;
// if that fails, writes errno to `exec_error_fd`. Only async-signal-safe calls.
[[noreturn]] void exec_gnuplot(const char* dir, const char* gnuplot, char* const argv[], int output_fd,
                               int exec_error_fd) {
  const int null_fd = ::open("/dev/null", O_RDONLY);
  if (null_fd >= 0) ::dup2(null_fd, 0);
  ::dup2(output_fd, 1);
  ::dup2(output_fd, 2);
  int error = 0;
  if (::chdir(dir) != 0) {
    error = errno;
  } else {
    ::execv(gnuplot, argv);
    error = errno;
  }
  ssize_t ignored = ::write(exec_error_fd, &error, sizeof error);
  (void)ignored;
  ::_exit(127);
}

// Everything written to `fd` until it closes.
std::string read_all(int fd) {
  std::string output;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      output.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  return output;
}

}  // namespace

std::string find_gnuplot() {
  if (const char* override_path = std::getenv("CAPPLAN_GNUPLOT"); override_path && *override_path) {
    if (::access(override_path, X_OK) != 0) {
      throw RuntimeFailure(std::string("gnuplot not found at CAPPLAN_GNUPLOT=") + override_path + "; " +
                           kGnuplotInstallHint);
    }
    return override_path;
  }
  const char* path = std::getenv("PATH");
  std::string dirs = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const std::size_t colon = std::min(dirs.find(':', start), dirs.size());
    const std::string dir = colon > start ? dirs.substr(start, colon - start) : ".";
    const std::string candidate = dir + "/gnuplot";
    struct stat info {};
    if (::stat(candidate.c_str(), &info) == 0 && S_ISREG(info.st_mode) && ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    start = colon + 1;
  }
  throw RuntimeFailure(std::string("gnuplot is not installed (needed to draw charts); ") + kGnuplotInstallHint);
}

void run_gnuplot(const std::string& gnuplot, const fs::path& work_dir, const std::string& script,
                 const std::string& what) {
  int output_pipe[2], exec_pipe[2];
  if (::pipe2(output_pipe, O_CLOEXEC) != 0 || ::pipe2(exec_pipe, O_CLOEXEC) != 0) {
    throw RuntimeFailure(std::string("cannot start gnuplot: pipe: ") + std::strerror(errno));
  }
  const std::string dir = work_dir.string();
  char* const argv[] = {const_cast<char*>(gnuplot.c_str()), const_cast<char*>(script.c_str()), nullptr};
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int error = errno;
    for (int fd : {output_pipe[0], output_pipe[1], exec_pipe[0], exec_pipe[1]}) ::close(fd);
    throw RuntimeFailure(std::string("cannot start gnuplot: fork: ") + std::strerror(error));
  }
  if (pid == 0) exec_gnuplot(dir.c_str(), gnuplot.c_str(), argv, output_pipe[1], exec_pipe[1]);
  ::close(output_pipe[1]);
  ::close(exec_pipe[1]);
  std::string output = read_all(output_pipe[0]);
  ::close(output_pipe[0]);
  int exec_error = 0;
  ssize_t got;
  do {
    got = ::read(exec_pipe[0], &exec_error, sizeof exec_error);
  } while (got < 0 && errno == EINTR);
  ::close(exec_pipe[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw RuntimeFailure(std::string("waiting for gnuplot: ") + std::strerror(errno));
  }
  if (got == static_cast<ssize_t>(sizeof exec_error)) {
    throw RuntimeFailure("cannot run " + gnuplot + ": " + std::strerror(exec_error) + "; " + kGnuplotInstallHint);
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const std::string how = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                              : "signal " + std::to_string(WTERMSIG(status));
    if (output.size() > 4000) output = "..." + output.substr(output.size() - 4000);
    throw RuntimeFailure("gnuplot failed drawing " + what + " (" + how + "):\n" + output);
  }
}

WorkDir::WorkDir(const fs::path& parent) {
  std::string pattern = (parent / ".capplan-plots-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) {
    throw RuntimeFailure("cannot create a temporary folder in " + parent.string() + ": " + std::strerror(errno));
  }
  path_ = pattern;
}

WorkDir::~WorkDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void WorkDir::write(const std::string& name, const std::string& content) const {
  write_new_file((path_ / name).string(), content);
}

// Once every chart is drawn, moves NAME.svg and NAME.png of each into `dir`
// (rename is atomic per file) and returns the file names. Throws, moving
// nothing, if gnuplot left any of them empty or missing.
std::vector<std::string> move_into_place(const WorkDir& work, const std::filesystem::path& dir,
                                         const std::vector<std::string>& names) {
  for (const auto& name : names) {
    for (const char* extension : {".svg", ".png"}) {
      const std::string file = name + extension;
      std::error_code ec;
      if (std::filesystem::file_size(work.path() / file, ec) == 0 || ec) {
        throw RuntimeFailure("gnuplot wrote no " + file + " (is its " +
                             std::string(extension == std::string(".png") ? "pngcairo" : "svg") +
                             " terminal available? " + kGnuplotInstallHint + ")");
      }
    }
  }
  std::vector<std::string> written;
  for (const auto& name : names) {
    for (const char* extension : {".svg", ".png"}) {
      const std::string file = name + extension;
      std::error_code ec;
      std::filesystem::rename(work.path() / file, dir / file, ec);
      if (ec) throw RuntimeFailure("cannot move " + file + " into " + dir.string() + ": " + ec.message());
      written.push_back(file);
    }
  }
  return written;
}

}  // namespace capplan::plots
