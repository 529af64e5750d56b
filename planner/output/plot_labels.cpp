#include "planner/output/plot_labels.h"

#include <cmath>
#include <cstring>
#include <map>

#include <fmt/format.h>

#include "planner/base/size_text.h"
#include "planner/output/plot_inputs.h"

namespace capplan::plots {

std::string grouped(double value, int decimals) {
  std::string text = fmt::format("{:.{}f}", std::fabs(value), decimals);
  if (text.find_first_not_of("0.") == std::string::npos) value = 0.0;  // no "-0"
  const std::size_t point = text.find('.');
  const std::string rest = point == std::string::npos ? "" : text.substr(point);
  return (value < 0 ? "-" : "") + group_thousands(text.substr(0, point)) + rest;
}

std::string percent(double p) {
  if (p <= 0.0) return "0%";
  if (p >= 1.0) return "100%";
  if (p < 0.001) return fmt::format("{:.2g}%", p * 100.0);
  if (p > 0.999) return fmt::format("{:.2f}%", p * 100.0);
  return fmt::format("{:.1f}%", p * 100.0);
}

std::string metric_value(const std::string& metric, double value) {
  if (value == std::round(value) && std::fabs(value) < 1e15) return grouped(value, 0);
  if (std::fabs(value) >= 100) {
    return grouped(value, metric == "facility_power_mw" || metric == "delivered_flop_e24" ? 1 : 0);
  }
  if (std::fabs(value) >= 1) return fmt::format("{:.2f}", value);
  return fmt::format("{:.2g}", value);
}

std::string metric_words(const std::string& metric) {
  static const std::map<std::string, std::string> kWords = {
      {"delivered_systems", "delivered systems"},   {"installed_systems", "installed systems"},
      {"online_systems", "online systems"},         {"available_accelerators", "available accelerators"},
      {"facility_power_mw", "facility power (MW)"}, {"peak_pflops", "peak PFLOPS"},
      {"effective_pflops", "effective PFLOPS"},     {"delivered_flop_e24", "delivered compute (10²⁴ FLOP)"}};
  const auto it = kWords.find(metric);
  return it == kWords.end() ? metric : it->second;
}

std::string scope_words(const std::string& scope) {
  if (is_scope_of(scope, "site")) return "site " + scope_id(scope);
  if (is_scope_of(scope, "system")) return scope_id(scope) + " systems";
  if (scope == kLargestSiteScope) return "largest site";
  return scope;
}

std::string markdown_text(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (std::strchr("\\`*_{}[]<>#|!~", c)) out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) out += c;
  }
  return out;
}

std::string markdown_code(const std::string& text) {
  std::string clean;
  for (const char c : text) {
    if (c != '`' && c != '|' && static_cast<unsigned char>(c) >= 0x20) clean += c;
  }
  return "`" + clean + "`";
}

}  // namespace capplan::plots
