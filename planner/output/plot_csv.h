// A CSV table as capplan writes it (forecast.csv, targets.csv, ...), read back
// for charts and summary.md, with cells checked as numbers or dates on use.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "planner/base/date.h"

namespace capplan::plots {

// No quoting is needed for capplan's own tables, but quoted fields ("a,b",
// "say ""hi""") are accepted. Blank lines are skipped. Errors are UsageErrors
// naming the file and line.
class CsvTable {
 public:
  // `path` names the table in errors; `text` is its content. Throws if the
  // table has no header or a row has a different number of fields.
  CsvTable(const std::string& path, const std::string& text);

  const std::vector<std::string>& header() const { return header_; }
  const std::vector<std::vector<std::string>>& rows() const { return rows_; }
  // The file name (without folder), as errors about cells say it.
  const std::string& file() const { return file_; }
  bool has(const std::string& column) const;
  // Index of the column `name`; throws if the header lacks it.
  std::size_t column(const std::string& name) const;
  // The cell as a finite number or a YYYY-MM-DD date; throws if it is not one.
  double number(std::size_t row, std::size_t column) const;
  DayNumber date(std::size_t row, std::size_t column) const;

 private:
  void parse(const std::string& path, const std::string& text);
  void end_row(const std::string& path, std::vector<std::string>& row);

  std::string file_;
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// `text` as a CSV cell: as it is, or double-quoted (quotes doubled) when it
// holds a comma, a quote or a line break.
std::string csv_cell(const std::string& text);

}  // namespace capplan::plots
