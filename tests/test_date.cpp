// Civil date arithmetic: reference values from the proleptic Gregorian calendar
// (1970-01-01 is day 0; 2000-03-01 follows a leap day; 1900 is not a leap year).
#include <gtest/gtest.h>

#include "planner/base/date.h"

namespace capplan {

TEST(Date, KnownDayNumbers) {
  EXPECT_EQ(days_from_civil({1970, 1, 1}), 0);
  EXPECT_EQ(days_from_civil({2000, 3, 1}), 11017);
  EXPECT_EQ(days_from_civil({2025, 11, 3}), 20395);
  EXPECT_EQ(days_from_civil({1969, 12, 31}), -1);
}

TEST(Date, RoundTripsEveryDayOverFourCenturies) {
  for (DayNumber d = days_from_civil({1900, 1, 1}); d < days_from_civil({2300, 1, 1}); ++d) {
    ASSERT_EQ(days_from_civil(civil_from_days(d)), d);
  }
}

TEST(Date, ParsesStrictly) {
  EXPECT_EQ(parse_date("2026-12-31"), days_from_civil({2026, 12, 31}));
  EXPECT_EQ(parse_date("2024-02-29"), days_from_civil({2024, 2, 29}));
  EXPECT_FALSE(parse_date("2025-02-29"));
  EXPECT_FALSE(parse_date("1900-02-29"));
  EXPECT_FALSE(parse_date("2026-13-01"));
  EXPECT_FALSE(parse_date("2026-1-01"));
  EXPECT_FALSE(parse_date("2026/01/01"));
  EXPECT_FALSE(parse_date("tomorrow"));
  EXPECT_EQ(format_date(days_from_civil({2026, 1, 31})), "2026-01-31");
}

}  // namespace capplan
