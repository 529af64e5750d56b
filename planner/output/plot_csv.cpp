#include "planner/output/plot_csv.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "planner/base/errors.h"

namespace capplan::plots {

CsvTable::CsvTable(const std::string& path, const std::string& text)
    : file_(std::filesystem::path(path).filename().string()) {
  parse(path, text);
  if (header_.empty()) throw UsageError(path + " is empty (expected a header line)");
}

void CsvTable::parse(const std::string& path, const std::string& text) {
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, any = false;
  auto end_field_row = [&]() {
    if (any || !field.empty() || !row.empty()) {
      row.push_back(field);
      end_row(path, row);
    }
    row.clear();
    field.clear();
    any = false;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
      any = true;
    } else if (c == ',') {
      row.push_back(field);
      field.clear();
      any = true;
    } else if (c == '\n') {
      end_field_row();
    } else if (c != '\r') {
      field += c;
    }
  }
  end_field_row();
}

// The first row is the header; a row of one empty field (a line of "") is skipped.
void CsvTable::end_row(const std::string& path, std::vector<std::string>& row) {
  if (header_.empty()) {
    header_ = row;
    return;
  }
  if (row.size() == 1 && row[0].empty()) return;
  if (row.size() != header_.size()) {
    throw UsageError(
        fmt::format("{} line {}: {} fields, the header has {}", path, rows_.size() + 2, row.size(), header_.size()));
  }
  rows_.push_back(row);
}

bool CsvTable::has(const std::string& column) const {
  return std::find(header_.begin(), header_.end(), column) != header_.end();
}

std::size_t CsvTable::column(const std::string& name) const {
  const auto it = std::find(header_.begin(), header_.end(), name);
  if (it == header_.end()) throw UsageError(file_ + ": missing column '" + name + "'");
  return static_cast<std::size_t>(it - header_.begin());
}

double CsvTable::number(std::size_t row, std::size_t column) const {
  const std::string& text = rows_[row][column];
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE || !std::isfinite(value)) {
    throw UsageError(
        fmt::format("{} line {}: '{}' in column {} is not a number", file_, row + 2, text, header_[column]));
  }
  return value;
}

DayNumber CsvTable::date(std::size_t row, std::size_t column) const {
  const auto day = parse_date(rows_[row][column]);
  if (!day) {
    throw UsageError(fmt::format("{} line {}: '{}' in column {} is not a date (YYYY-MM-DD)", file_, row + 2,
                                 rows_[row][column], header_[column]));
  }
  return *day;
}

std::string csv_cell(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

}  // namespace capplan::plots
