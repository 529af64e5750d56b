// The lexical rules of spec values and how user text is quoted in messages:
// ids, spec names, decimal numbers, and did-you-mean suggestions for typos.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace capplan::loader {

// User text quoted in a message: escaped by printable() (planner/base/printable.h),
// text longer than `limit` bytes cut (never inside a UTF-8 sequence) and marked "...".
std::string excerpt(const std::string& text, std::size_t limit = 40);

std::string join(const std::vector<std::string>& items, const char* separator = ", ");

// The candidate closest to `word`, if it is close enough to be a likely typo.
std::optional<std::string> closest(const std::string& word, const std::vector<std::string>& candidates);

// " (did you mean 'x'?)" or "".
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

// Ids are used inside quantity names ("tranche:<id>.slip", "power:<site>/<i>.slip"),
// so they hold only letters, digits, '-' and '_'.
bool is_valid_id(const std::string& id);

// The spec name names the default output folder (out/<name>), so it is kept to
// a safe file name: letters, digits, '-', '_' and '.', at most 100 characters.
bool is_valid_name(const std::string& name);

// A decimal number: [+-]digits[.digits][(e|E)[+-]digits], finite. No inf, nan or hex.
std::optional<double> parse_number_text(const std::string& text);

// Non-empty and only the digits 0-9.
bool is_plain_digits(const std::string& text);

}  // namespace capplan::loader
