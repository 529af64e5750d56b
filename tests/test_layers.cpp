// The layers of docs/architecture.md depend one way: a file may include only
// headers of its own folder and of the folders below it. This test reads every
// source file of the library and fails on an include that points upwards, or
// on a folder the table below does not know (a new folder must take its place
// in the layering first).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

// Folder -> the folders its files may include (its own included).
const std::map<std::string, std::set<std::string>>& allowed_includes() {
  static const std::map<std::string, std::set<std::string>> table = {
      {"kernels", {"kernels"}},
      {"planner/base", {"planner/base"}},
      {"backends", {"kernels", "planner/base", "backends"}},
      {"planner/spec", {"planner/base", "planner/spec"}},
      {"planner/engine", {"kernels", "backends", "planner/base", "planner/spec", "planner/engine"}},
      {"planner/output", {"kernels", "planner/base", "planner/spec", "planner/engine", "planner/output"}},
      {"planner/analysis",
       {"kernels", "planner/base", "planner/spec", "planner/engine", "planner/output", "planner/analysis"}},
      {"planner/ledger",
       {"kernels", "planner/base", "planner/spec", "planner/engine", "planner/output", "planner/analysis",
        "planner/ledger"}},
      {"planner/app",
       {"kernels", "backends", "planner/base", "planner/spec", "planner/engine", "planner/output", "planner/analysis",
        "planner/ledger", "planner/app"}},
      {"tools", {"planner/app", "planner/base"}},
  };
  return table;
}

std::string folder_of(const std::string& relative_path) {
  return fs::path(relative_path).parent_path().generic_string();
}

struct Violation {
  std::string file, include, why;
};

std::vector<Violation> layer_violations(const fs::path& root) {
  std::vector<Violation> found;
  const std::regex include_line(R"re(^\s*#\s*include\s*"([^"]+)")re");
  for (const std::string top : {"kernels", "backends", "planner", "tools"}) {
    if (!fs::exists(root / top)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(root / top)) {
      const std::string ext = entry.path().extension().string();
      if (!entry.is_regular_file() || (ext != ".h" && ext != ".cpp" && ext != ".cu" && ext != ".cuh")) continue;
      const std::string file = fs::relative(entry.path(), root).generic_string();
      const auto rule = allowed_includes().find(folder_of(file));
      if (rule == allowed_includes().end()) {
        found.push_back({file, "", "its folder has no place in the layering (tests/test_layers.cpp)"});
        continue;
      }
      std::ifstream in(entry.path());
      std::smatch match;
      for (std::string line; std::getline(in, line);) {
        if (!std::regex_search(line, match, include_line)) continue;
        const std::string include = match[1];
        if (include.find('/') == std::string::npos) continue;  // generated or same-folder headers
        if (rule->second.count(folder_of(include)) == 0) {
          found.push_back({file, include, folder_of(file) + " may not include " + folder_of(include)});
        }
      }
    }
  }
  std::sort(found.begin(), found.end(), [](const Violation& a, const Violation& b) { return a.file < b.file; });
  return found;
}

TEST(Layers, EveryIncludePointsDownward) {
  const std::vector<Violation> violations = layer_violations(CAPPLAN_SOURCE_DIR);
  for (const Violation& v : violations) ADD_FAILURE() << v.file << ": #include \"" << v.include << "\": " << v.why;
  EXPECT_TRUE(violations.empty());
}

TEST(Layers, TheCheckSeesAnUpwardInclude) {
  // A scratch tree with one kernel header that includes the engine.
  const fs::path root = fs::temp_directory_path() / "capplan-layers-test";
  fs::remove_all(root);
  fs::create_directories(root / "kernels");
  fs::create_directories(root / "planner/engine");
  std::ofstream(root / "kernels/bad.h") << "#pragma once\n#include \"planner/engine/statistics.h\"\n";
  std::ofstream(root / "planner/engine/fine.h") << "#pragma once\n#include \"kernels/bad.h\"\n";
  std::ofstream(root / "planner/engine/odd.cpp") << "#include \"planner/app/cli.h\"\n";
  const std::vector<Violation> violations = layer_violations(root);
  fs::remove_all(root);
  ASSERT_EQ(violations.size(), 2u);
  EXPECT_EQ(violations[0].file + violations[1].file, "kernels/bad.hplanner/engine/odd.cpp");
}

}  // namespace
