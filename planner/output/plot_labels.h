// How values read where people read them: chart labels and summary.md. These
// differ on purpose from the tables' formats (planner/output/number_format.h):
// thousands are grouped, probabilities are percents, decimals are few.
#pragma once

#include <string>

namespace capplan::plots {

// 1234567.8 -> "1,234,568" (decimals = 0) or "1,234,567.8" (decimals = 1); never "-0".
std::string grouped(double value, int decimals = 0);

// A probability as a percent: "0%", "0.042%", "12.3%", "99.95%", "100%".
std::string percent(double p);

// A value of `metric` (a forecast.csv metric name) as people read it: whole
// numbers grouped, large values grouped with at most one decimal, small ones
// with 2 decimals or 2 significant digits.
std::string metric_value(const std::string& metric, double value);

// A metric name in words ("available accelerators"); unknown names as they are.
std::string metric_words(const std::string& metric);

// A scope in words: "site site-b", "gb300-nvl72 systems", "largest site"
// (site:site-b, system:gb300-nvl72, largest-site); others as they are.
std::string scope_words(const std::string& scope);

// Text for a Markdown table cell or paragraph: escapes what Markdown would interpret.
std::string markdown_text(const std::string& text);

// An identifier as inline code (backticks and pipes cannot be escaped inside code spans).
std::string markdown_code(const std::string& text);

}  // namespace capplan::plots
