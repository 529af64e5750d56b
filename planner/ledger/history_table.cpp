#include "planner/ledger/history_table.h"

#include <algorithm>
#include <cstddef>

#include <fmt/format.h>

#include "planner/output/number_format.h"
#include "planner/output/plot_csv.h"
#include "planner/output/plot_labels.h"

namespace capplan {

namespace {

constexpr std::size_t kBriefHashDigits = 12;

// A column is numeric when every cell that is not null holds a number.
bool numeric_column(const TextTable& table, std::size_t column) {
  return std::all_of(table.rows.begin(), table.rows.end(), [column](const std::vector<TableCell>& row) {
    return row[column].value.is_null() || row[column].value.is_number();
  });
}

std::string csv(const TextTable& table) {
  std::string out;
  for (std::size_t c = 0; c < table.columns.size(); ++c) out += (c ? "," : "") + plots::csv_cell(table.columns[c]);
  out += "\n";
  for (const auto& row : table.rows) {
    for (std::size_t c = 0; c < row.size(); ++c) out += (c ? "," : "") + plots::csv_cell(row[c].text);
    out += "\n";
  }
  return out;
}

std::string json(const TextTable& table) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& row : table.rows) {
    nlohmann::ordered_json object = nlohmann::ordered_json::object();
    for (std::size_t c = 0; c < row.size(); ++c) object[table.columns[c]] = row[c].value;
    out.push_back(std::move(object));
  }
  return out.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

std::string markdown(const TextTable& table) {
  std::string header = "|", rule = "|";
  for (std::size_t c = 0; c < table.columns.size(); ++c) {
    header += " " + plots::markdown_text(table.columns[c]) + " |";
    rule += numeric_column(table, c) ? "---:|" : "---|";
  }
  std::string out = header + "\n" + rule + "\n";
  for (const auto& row : table.rows) {
    out += "|";
    for (const TableCell& cell : row) out += " " + plots::markdown_text(cell.text) + " |";
    out += "\n";
  }
  return out;
}

std::string shown(const TableCell& cell) { return cell.brief.empty() ? cell.text : cell.brief; }

std::string terminal(const TextTable& table) {
  const std::size_t n = table.columns.size();
  std::vector<std::size_t> widths(n);
  std::vector<bool> right(n);
  for (std::size_t c = 0; c < n; ++c) {
    widths[c] = table.columns[c].size();
    for (const auto& row : table.rows) widths[c] = std::max(widths[c], shown(row[c]).size());
    right[c] = numeric_column(table, c);
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t c = 0; c < n; ++c) {
      const std::string& text = cells[c];
      const std::string padding(widths[c] - std::min(widths[c], text.size()), ' ');
      out += (c ? "  " : "") + (right[c] ? padding + text : text + padding);
    }
    out.erase(out.find_last_not_of(' ') + 1);
    return out + "\n";
  };
  std::string out = line(table.columns);
  for (const auto& row : table.rows) {
    std::vector<std::string> cells;
    for (const TableCell& cell : row) cells.push_back(shown(cell));
    out += line(cells);
  }
  return out;
}

}  // namespace

std::optional<TableFormat> parse_table_format(const std::string& name) {
  if (name == "table") return TableFormat::kTable;
  if (name == "csv") return TableFormat::kCsv;
  if (name == "json") return TableFormat::kJson;
  if (name == "md") return TableFormat::kMarkdown;
  return std::nullopt;
}

TableCell empty_cell() { return {nullptr, "", ""}; }
TableCell text_cell(const std::string& text) { return {text, text, ""}; }
TableCell integer_cell(std::int64_t value) { return {value, std::to_string(value), ""}; }
TableCell bool_cell(bool value) { return {value, value ? "true" : "false", ""}; }
TableCell probability_cell(double p) { return {p, format_probability(p), ""}; }
TableCell probability_change_cell(double d) { return {d, fmt::format("{:+.6f}", d), ""}; }
TableCell value_cell(double value) { return {value, format_mean(value), ""}; }
TableCell value_change_cell(double d) { return {d, (d > 0 ? "+" : "") + format_mean(d), ""}; }
TableCell hash_cell(const std::string& hex) { return {hex, hex, hex.substr(0, kBriefHashDigits)}; }

std::string format_table(const TextTable& table, TableFormat format) {
  switch (format) {
    case TableFormat::kCsv:
      return csv(table);
    case TableFormat::kJson:
      return json(table);
    case TableFormat::kMarkdown:
      return markdown(table);
    case TableFormat::kTable:
      break;
  }
  return terminal(table);
}

}  // namespace capplan
