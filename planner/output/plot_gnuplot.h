// Driving gnuplot: finding the executable, a private folder for its scripts,
// data and charts, and running it without a shell. Failures are RuntimeFailures
// that say what to install or what gnuplot printed.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace capplan::plots {

// What to do when gnuplot or one of its terminals is missing.
extern const char* const kGnuplotInstallHint;

// The gnuplot executable: $CAPPLAN_GNUPLOT if set, else `gnuplot` on PATH.
std::string find_gnuplot();

// Runs `gnuplot script` with `work_dir` as its working directory (the script
// names only files there). No shell is involved. Throws RuntimeFailure with
// gnuplot's output (its last 4000 bytes) if it fails; `what` names the chart.
void run_gnuplot(const std::string& gnuplot, const std::filesystem::path& work_dir, const std::string& script,
                 const std::string& what);

// A private folder inside an output folder (same file system, so renames out
// of it are atomic), removed with everything in it when done.
class WorkDir {
 public:
  explicit WorkDir(const std::filesystem::path& parent);
  ~WorkDir();
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  // Writes `content` to the file `name` in the folder.
  void write(const std::string& name, const std::string& content) const;

 private:
  std::filesystem::path path_;
};

// Once every chart is drawn, moves NAME.svg and NAME.png of each of `names`
// from `work` into `dir` (rename is atomic per file) and returns the file
// names. Throws, moving nothing, if gnuplot left any of them empty or missing.
std::vector<std::string> move_into_place(const WorkDir& work, const std::filesystem::path& dir,
                                         const std::vector<std::string>& names);

}  // namespace capplan::plots
