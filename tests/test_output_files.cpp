// Output writing: a result set is replaced as one unit (the complete previous
// set or the complete new one), never through a planted symlink, foreign
// folders are refused, and leftovers of killed runs are cleaned.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "planner/base/errors.h"
#include "planner/output/output_files.h"
#include "tests/test_support.h"

namespace capplan {
namespace {

namespace fs = std::filesystem;
using testing::read_file;

class OutputFiles : public testing::ScratchDirTest {
 protected:
  static void put(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }
  static std::set<std::string> names(const fs::path& dir) {
    std::set<std::string> result;
    for (const auto& entry : fs::directory_iterator(dir)) result.insert(entry.path().filename().string());
    return result;
  }
  // A process id that no process has now: a child that has exited and been reaped.
  static pid_t dead_pid() {
    const pid_t pid = ::fork();
    if (pid == 0) ::_exit(0);
    ::waitpid(pid, nullptr, 0);
    return pid;
  }
};

TEST_F(OutputFiles, ResultSetReplacesThePreviousOneWhole) {
  const fs::path out = dir_ / "out";
  write_result_set(out.string(), {{"forecast.csv", "a\n"}, {"targets.csv", "a\n"}});
  EXPECT_EQ(names(out), (std::set<std::string>{".capplan-run", "forecast.csv", "targets.csv"}));
  write_result_set(out.string() + "/", {{"forecast.csv", "b\n"}, {"run.json", "{}\n"}});
  EXPECT_EQ(names(out), (std::set<std::string>{".capplan-run", "forecast.csv", "run.json"}));
  EXPECT_EQ(read_file(out / "forecast.csv"), "b\n");
  EXPECT_EQ(names(dir_), (std::set<std::string>{"out", "out.capplan-lock"}));
  EXPECT_EQ(fs::status(out).permissions() & fs::perms::others_read, fs::perms::others_read);
}

TEST_F(OutputFiles, FallbackWithoutRenameExchange) {
  const fs::path out = dir_ / "out";
  write_result_set(out.string(), {{"forecast.csv", "a\n"}});
  ::setenv("CAPPLAN_OUTPUT_NO_EXCHANGE", "1", 1);
  write_result_set(out.string(), {{"tranches.csv", "b\n"}});
  ::unsetenv("CAPPLAN_OUTPUT_NO_EXCHANGE");
  EXPECT_EQ(names(out), (std::set<std::string>{".capplan-run", "tranches.csv"}));
  EXPECT_EQ(names(dir_), (std::set<std::string>{"out", "out.capplan-lock"}));
}

TEST_F(OutputFiles, PlantedSymlinksAreNeverFollowed) {
  const fs::path victim = dir_ / "victim";
  put(victim, "precious\n");
  const std::string before = sha256_hex(read_file(victim));
  const fs::path out = dir_ / "out";
  write_result_set(out.string(), {{"forecast.csv", "a\n"}});
  const std::string pid = std::to_string(::getpid());
  // Every temporary name an older capplan used, beside the set and in it.
  for (const std::string name : {"forecast.csv", "run.json", "summary.md", "baseline.json"}) {
    fs::create_symlink(victim, dir_ / ("." + name + ".tmp-" + pid));
  }
  write_result_set(out.string(), {{"forecast.csv", "new\n"}, {"run.json", "{}\n"}});
  fs::create_symlink(victim, out / (".summary.md.tmp-" + pid));
  fs::create_symlink(victim, out / "summary.md");
  update_result_set(out.string(), [] { return capplan::OutputFiles{{"summary.md", "# s\n"}}; });
  EXPECT_FALSE(fs::is_symlink(out / "summary.md"));
  // A symlink in a set is not capplan's: the next run refuses, touching nothing.
  EXPECT_THROW(write_result_set(out.string(), {{"forecast.csv", "x\n"}}), UsageError);
  fs::remove(out / (".summary.md.tmp-" + pid));
  fs::create_symlink(victim, out / "forecast.csv.new");
  fs::rename(out / "forecast.csv.new", out / "forecast.csv");
  EXPECT_THROW(write_result_set(out.string(), {{"forecast.csv", "x\n"}}), UsageError);
  EXPECT_TRUE(fs::is_symlink(out / "forecast.csv"));
  fs::create_symlink(victim, dir_ / "baseline.json");
  write_file_atomically((dir_ / "baseline.json").string(), "{}\n");
  EXPECT_FALSE(fs::is_symlink(dir_ / "baseline.json"));
  EXPECT_THROW(write_new_file((dir_ / (".forecast.csv.tmp-" + pid)).string(), "x"), RuntimeFailure);
  // A symlink at the lock file's name: refused, nothing written.
  fs::create_symlink(victim, dir_ / "other.capplan-lock");
  EXPECT_THROW(write_result_set((dir_ / "other").string(), {{"forecast.csv", "x\n"}}), RuntimeFailure);
  EXPECT_FALSE(fs::exists(dir_ / "other"));
  EXPECT_EQ(sha256_hex(read_file(victim)), before);
}

TEST_F(OutputFiles, ForeignFoldersAreRefusedAndLeftAlone) {
  const fs::path foreign = dir_ / "foreign";
  fs::create_directories(foreign);
  put(foreign / "notes.txt", "mine\n");
  EXPECT_THROW(write_result_set(foreign.string(), {{"forecast.csv", "x\n"}}), UsageError);
  EXPECT_EQ(names(foreign), (std::set<std::string>{"notes.txt"}));
  put(dir_ / "plain-file", "mine\n");
  EXPECT_THROW(write_result_set((dir_ / "plain-file").string(), {{"forecast.csv", "x\n"}}), UsageError);
  EXPECT_EQ(read_file(dir_ / "plain-file"), "mine\n");
  // A file added to a set capplan wrote is not capplan's either.
  const fs::path set = dir_ / "set";
  write_result_set(set.string(), {{"forecast.csv", "x\n"}});
  put(set / "notes.txt", "mine\n");
  EXPECT_THROW(write_result_set(set.string(), {{"forecast.csv", "y\n"}}), UsageError);
  EXPECT_EQ(read_file(set / "notes.txt"), "mine\n");
  EXPECT_EQ(read_file(set / "forecast.csv"), "x\n");
  // An empty folder, and one an older capplan wrote (no marker, only its names), are taken over.
  fs::create_directories(dir_ / "empty");
  write_result_set((dir_ / "empty").string(), {{"forecast.csv", "x\n"}});
  const fs::path legacy = dir_ / "legacy";
  fs::create_directories(legacy);
  for (const char* name : {"forecast.csv", "run.json", "fan-effective-pflops.png", ".run.json.tmp-12"}) {
    put(legacy / name, "old\n");
  }
  write_result_set(legacy.string(), {{"forecast.csv", "new\n"}});
  EXPECT_EQ(names(legacy), (std::set<std::string>{".capplan-run", "forecast.csv"}));
}

// Every chart `run --plots` draws is capplan's: a set holding them is replaced.
TEST_F(OutputFiles, EveryKindOfChartIsCapplans) {
  const fs::path out = dir_ / "out";
  write_result_set(out.string(), {{"forecast.csv", "a\n"}});
  for (const std::string chart :
       {"fan-available-accelerators", "delivered-compute", "tranche-completion", "tornado", "milestones",
        "by-site-available-accelerators", "by-system-delivered-compute", "fan-largest-site-effective-pflops",
        "fan-site-site-b-facility-power", "fan-system-trn2-ultra-delivered-compute"}) {
    put(out / (chart + ".svg"), "<svg/>\n");
    put(out / (chart + ".png"), "png\n");
  }
  write_result_set(out.string(), {{"forecast.csv", "b\n"}});
  EXPECT_EQ(names(out), (std::set<std::string>{".capplan-run", "forecast.csv"}));
  // Not a chart name: refused.
  put(out / "by-region-x.svg", "<svg/>\n");
  EXPECT_THROW(write_result_set(out.string(), {{"forecast.csv", "c\n"}}), UsageError);
}

TEST_F(OutputFiles, LeftoversOfKilledRunsAreCleaned) {
  const fs::path out = dir_ / "out";
  write_result_set(out.string(), {{"forecast.csv", "a\n"}});
  const std::string dead = std::to_string(dead_pid());
  const std::string live = std::to_string(::getpid());
  fs::create_directories(dir_ / "out.capplan-new-abc123");
  put(dir_ / "out.capplan-new-abc123" / "forecast.csv", "half\n");
  fs::create_directories(dir_ / "out.capplan-old-abcdefabcdef");
  fs::create_directories(out / ".capplan-plots-xyz123");
  put(out / (".summary.md.capplan-tmp-" + dead + "-aaaaaaaaaaaa"), "stale\n");
  put(out / (".summary.md.capplan-tmp-" + live + "-bbbbbbbbbbbb"), "in use\n");
  put(dir_ / (".base.json.capplan-tmp-" + dead + "-cccccccccccc"), "stale\n");
  fs::last_write_time(dir_ / (".base.json.capplan-tmp-" + dead + "-cccccccccccc"),
                      fs::file_time_type::clock::now() - std::chrono::hours(1));
  put(dir_ / (".base.json.capplan-tmp-" + dead + "-dddddddddddd"), "recent: kept\n");
  put(dir_ / "unrelated.capplan-new", "mine\n");
  update_result_set(out.string(), [] { return capplan::OutputFiles{}; });
  EXPECT_EQ(names(out), (std::set<std::string>{".capplan-run", "forecast.csv",
                                               ".summary.md.capplan-tmp-" + live + "-bbbbbbbbbbbb"}));
  write_file_atomically((dir_ / "base.json").string(), "{}\n");
  write_result_set(out.string(), {{"forecast.csv", "b\n"}});
  EXPECT_EQ(names(dir_), (std::set<std::string>{"out", "out.capplan-lock", "base.json", "unrelated.capplan-new",
                                                ".base.json.capplan-tmp-" + dead + "-dddddddddddd"}));
}

// ---- streamed files ----------------------------------------------------------

// 100,000 rows "row N\n": 1,088,890 bytes, over four times the write buffer.
void write_rows(std::ostream& out) {
  for (int i = 0; i < 100000; ++i) out << "row " + std::to_string(i) + "\n";
}

std::string rows_text() {
  std::ostringstream out;
  write_rows(out);
  return out.str();
}

// The file `name` in the one staging folder beside `out` (while a set is written).
fs::path staged(const fs::path& out, const std::string& name) {
  for (const auto& entry : fs::directory_iterator(out.parent_path())) {
    if (entry.path().filename().string().rfind(out.filename().string() + ".capplan-new-", 0) == 0) {
      return entry.path() / name;
    }
  }
  return {};
}

// A file given by a writer reaches the disk while it is being written, whole
// buffers at a time, and ends with exactly the bytes written.
TEST_F(OutputFiles, StreamedFilesReachTheDiskAsTheyAreWritten) {
  const fs::path out = dir_ / "out";
  std::uintmax_t on_disk_midway = 0;
  const ContentWriter table = [&](std::ostream& stream) {
    write_rows(stream);
    on_disk_midway = fs::file_size(staged(out, "completion_cdf.csv"));
    write_rows(stream);
  };
  write_result_set(out.string(), {{"forecast.csv", "a\n"}, {"completion_cdf.csv", table}});
  EXPECT_GE(on_disk_midway, rows_text().size() - (std::size_t(256) << 10));
  EXPECT_EQ(read_file(out / "completion_cdf.csv"), rows_text() + rows_text());
  EXPECT_EQ(read_file(out / "forecast.csv"), "a\n");
}

// A writer that fails midway (here: throws) leaves the previous set whole and no staging folder.
TEST_F(OutputFiles, AWriterFailingMidwayLeavesThePreviousSet) {
  const fs::path out = dir_ / "out";
  write_result_set(out.string(), {{"forecast.csv", "old\n"}});
  const ContentWriter failing = [](std::ostream& stream) {
    write_rows(stream);
    throw RuntimeFailure("the table failed");
  };
  EXPECT_THROW(write_result_set(out.string(), {{"forecast.csv", failing}}), RuntimeFailure);
  EXPECT_EQ(read_file(out / "forecast.csv"), "old\n");
  EXPECT_EQ(names(dir_), (std::set<std::string>{"out", "out.capplan-lock"}));
}

// A write error while streaming (the file size limit: EFBIG) is a RuntimeFailure
// naming the file, and the previous set stays whole.
TEST_F(OutputFiles, AWriteErrorWhileStreamingNamesTheFile) {
  const fs::path out = dir_ / "out";
  write_result_set(out.string(), {{"forecast.csv", "old\n"}});
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::signal(SIGXFSZ, SIG_IGN);
    const struct rlimit limit = {512 * 1024, 512 * 1024};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    try {
      write_result_set(out.string(), {{"forecast.csv", write_rows}});
    } catch (const RuntimeFailure& e) {
      const std::string what = e.what();
      ::_exit(what.find("cannot write") != std::string::npos && what.find("forecast.csv") != std::string::npos &&
                      what.find("File too large") != std::string::npos
                  ? 0
                  : 2);
    } catch (...) {
      ::_exit(3);
    }
    ::_exit(1);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(read_file(out / "forecast.csv"), "old\n");
  EXPECT_EQ(names(dir_), (std::set<std::string>{"out", "out.capplan-lock"}));
}

// ---- the real binary -------------------------------------------------------

const char* const kSetFiles[] = {"forecast.csv",       "tranches.csv",    "targets.csv",
                                 "completion_cdf.csv", "sensitivity.csv", "run.json"};

pid_t start_run(const fs::path& out, int seed, int trials) {
  const std::string spec = testing::source_path("configs/minimal.yaml");
  const std::string seed_text = std::to_string(seed), trials_text = std::to_string(trials);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int null_fd = ::open("/dev/null", O_WRONLY);
    ::dup2(null_fd, 1);
    ::dup2(null_fd, 2);
    ::execl(CAPPLAN_BINARY, CAPPLAN_BINARY, "run", spec.c_str(), "--trials", trials_text.c_str(), "--seed",
            seed_text.c_str(), "--threads", "1", "--backend", "cpu", "--quiet", "--out", out.c_str(), nullptr);
    ::_exit(127);
  }
  return pid;
}

int wait_for(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::uint64_t seed_of(const fs::path& run_json) {
  const std::string text = read_file(run_json);
  const auto at = text.find("\"seed\":");
  return at == std::string::npos ? 0 : std::strtoull(text.c_str() + at + 7, nullptr, 10);
}

class OutputSets : public OutputFiles {
 protected:
  static constexpr int kTrials = 25000;  // about 0.1 s on one thread
  // The tables of a clean run with `seed`, by file name.
  std::map<std::string, std::string> reference(int seed) {
    const fs::path out = dir_ / ("reference-" + std::to_string(seed));
    EXPECT_EQ(wait_for(start_run(out, seed, kTrials)), 0);
    std::map<std::string, std::string> tables;
    for (const char* name : kSetFiles) tables[name] = read_file(out / name);
    return tables;
  }
  // The folder holds one complete set of one of the reference runs.
  void expect_one_set(const fs::path& out, const std::map<int, std::map<std::string, std::string>>& runs) {
    for (const char* name : kSetFiles) ASSERT_TRUE(fs::exists(out / name)) << name;
    const int seed = static_cast<int>(seed_of(out / "run.json"));
    ASSERT_TRUE(runs.count(seed)) << seed;
    for (const char* name : kSetFiles) {
      if (std::string(name) != "run.json") {
        EXPECT_EQ(read_file(out / name), runs.at(seed).at(name)) << name;
      }
    }
  }
};

TEST_F(OutputSets, ConcurrentRunsLeaveOneWholeSet) {
  const std::map<int, std::map<std::string, std::string>> runs{{11, reference(11)}, {22, reference(22)}};
  const fs::path out = dir_ / "out";
  for (int round = 0; round < 3; ++round) {
    const pid_t a = start_run(out, 11, kTrials), b = start_run(out, 22, kTrials);
    EXPECT_EQ(wait_for(a), 0);
    EXPECT_EQ(wait_for(b), 0);
    expect_one_set(out, runs);
  }
  EXPECT_EQ(names(dir_), (std::set<std::string>{"out", "out.capplan-lock", "reference-11", "reference-11.capplan-lock",
                                                "reference-22", "reference-22.capplan-lock"}));
}

TEST_F(OutputSets, TheBinaryRefusesAForeignFolderWithExitTwo) {
  const fs::path out = dir_ / "mine";
  fs::create_directories(out);
  put(out / "notes.txt", "mine\n");
  EXPECT_EQ(wait_for(start_run(out, 1, 100)), 2);
  EXPECT_EQ(names(out), (std::set<std::string>{"notes.txt"}));
}

TEST_F(OutputSets, KilledRunsLeaveThePreviousSetOrTheNewOne) {
  const std::map<int, std::map<std::string, std::string>> runs{{1, reference(1)}, {2, reference(2)}};
  const fs::path out = dir_ / "out";
  std::mt19937 random(12345);
  int finished = 0, earlier = 0, absent = 0;
  for (int i = 0; i < 20; ++i) {
    ::setenv("CAPPLAN_OUTPUT_TEST_PAUSE_MS", "15", 1);  // a write phase of about 0.1 s
    const pid_t pid = start_run(out, 1 + i % 2, kTrials);
    ::unsetenv("CAPPLAN_OUTPUT_TEST_PAUSE_MS");
    std::this_thread::sleep_for(std::chrono::milliseconds(random() % 300));
    ::kill(pid, SIGKILL);
    wait_for(pid);
    if (fs::exists(out)) expect_one_set(out, runs);
    (fs::exists(out) ? seed_of(out / "run.json") == 1u + i % 2 ? finished : earlier : absent) += 1;
  }
  std::printf("kills: %d left the new set, %d the previous one, %d no set yet\n", finished, earlier, absent);
  EXPECT_EQ(wait_for(start_run(out, 2, kTrials)), 0);
  expect_one_set(out, runs);
  EXPECT_EQ(seed_of(out / "run.json"), 2u);
  for (const auto& name : names(dir_)) EXPECT_EQ(name.find(".capplan-new-"), std::string::npos) << name;
}

}  // namespace
}  // namespace capplan
