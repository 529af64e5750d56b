// A table that `capplan history` prints in the format asked for: aligned
// columns for a terminal, CSV, JSON (an array of objects) or Markdown.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace capplan {

enum class TableFormat { kTable, kCsv, kJson, kMarkdown };

// "table", "csv", "json" or "md"; nothing for another name.
std::optional<TableFormat> parse_table_format(const std::string& name);

// One cell: its JSON value and the text the other formats show.
struct TableCell {
  nlohmann::json value;  // null, a boolean, a number or a string
  std::string text;      // "" for null
  std::string brief;     // what the terminal table shows, when shorter than `text`
};

TableCell empty_cell();
TableCell text_cell(const std::string& text);
TableCell integer_cell(std::int64_t value);
TableCell bool_cell(bool value);
TableCell probability_cell(double p);         // 6 decimals (format_probability)
TableCell probability_change_cell(double d);  // 6 decimals with a sign
TableCell value_cell(double value);           // 8 significant digits (format_mean)
TableCell value_change_cell(double d);        // the same with a sign
TableCell hash_cell(const std::string& hex);  // shown by its first 12 digits in a terminal table

struct TextTable {
  std::vector<std::string> columns;
  std::vector<std::vector<TableCell>> rows;
};

// The whole table in `format`, each line ending in '\n'. CSV: a header of the
// column names, then one line per row (null as an empty cell, booleans as
// true/false). JSON: an array of objects keyed by column name. Markdown: a
// table with numeric columns right-aligned. Terminal: columns padded to their
// widest cell, numbers right-aligned.
std::string format_table(const TextTable& table, TableFormat format);

}  // namespace capplan
