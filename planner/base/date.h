// Civil dates as day numbers (proleptic Gregorian calendar).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace capplan {

// Days since 1970-01-01 (may be negative).
using DayNumber = std::int64_t;

struct CivilDate {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
};

DayNumber days_from_civil(const CivilDate& date);
CivilDate civil_from_days(DayNumber days);

// Parses strictly "YYYY-MM-DD" (four-digit year, valid month and day).
std::optional<DayNumber> parse_date(const std::string& text);

// Formats as "YYYY-MM-DD".
std::string format_date(DayNumber days);

int days_in_month(int year, int month);

}  // namespace capplan
