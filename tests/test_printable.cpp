// printable(): the one escaping rule for user text in terminal messages.
#include <gtest/gtest.h>

#include <string>

#include "planner/base/printable.h"

namespace capplan {
namespace {

TEST(Printable, KeepsPrintableAsciiAndUtf8) {
  EXPECT_EQ(printable(""), "");
  EXPECT_EQ(printable("plain text: a-b_c.d ~!@#$%^&*() \\x41"), "plain text: a-b_c.d ~!@#$%^&*() \\x41");
  EXPECT_EQ(printable("caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80"), "caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80");
  EXPECT_EQ(printable("\xc2\xa0\xc2\xbf"), "\xc2\xa0\xc2\xbf");  // U+00A0, U+00BF: printable Latin-1
}

TEST(Printable, EscapesC0ControlsAndDelAsBytes) {
  EXPECT_EQ(printable(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(printable("\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
  EXPECT_EQ(printable("tab\there\rcr\x7f"), "tab\\x09here\\x0dcr\\x7f");
  EXPECT_EQ(printable("two\nlines"), "two\\x0alines");
  EXPECT_EQ(printable("two\nlines\x1b", Newlines::kKeep), "two\nlines\\x1b");
  EXPECT_EQ(printable("\r\n", Newlines::kKeep), "\\x0d\n");
}

TEST(Printable, EscapesC1ControlsAndFormatCharactersAsCodePoints) {
  EXPECT_EQ(printable("\xc2\x80"), "\\u{0080}");
  EXPECT_EQ(printable("a\xc2\x9b"
                      "31mb"),
            "a\\u{009b}31mb");  // CSI
  EXPECT_EQ(printable("\xc2\x9f"), "\\u{009f}");
  EXPECT_EQ(printable("\xc2\xad"), "\\u{00ad}");  // soft hyphen
  EXPECT_EQ(printable("\xd8\x9c"), "\\u{061c}");  // Arabic letter mark
  // Bidi embeddings and overrides, isolates, zero-width characters, the BOM.
  EXPECT_EQ(printable("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad\xe2\x80\xae"),
            "\\u{202a}\\u{202b}\\u{202c}\\u{202d}\\u{202e}");
  EXPECT_EQ(printable("\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9"), "\\u{2066}\\u{2067}\\u{2068}\\u{2069}");
  EXPECT_EQ(printable("\xe2\x80\x8b\xe2\x80\x8c\xe2\x80\x8d\xe2\x80\x8e\xe2\x80\x8f"),
            "\\u{200b}\\u{200c}\\u{200d}\\u{200e}\\u{200f}");
  EXPECT_EQ(printable("\xe2\x81\xa0\xef\xbb\xbf"), "\\u{2060}\\u{feff}");
  EXPECT_EQ(printable("\xe2\x80\xa8\xe2\x80\xa9"), "\\u{2028}\\u{2029}");  // line and paragraph separators
  EXPECT_EQ(printable("\xf3\xa0\x80\x81"), "\\u{e0001}");                  // language tag
  // Neighbours that print stay.
  EXPECT_EQ(printable("\xe2\x80\x90\xe2\x80\xaf\xe2\x81\x9f"), "\xe2\x80\x90\xe2\x80\xaf\xe2\x81\x9f");
}

TEST(Printable, EscapesInvalidUtf8ByteByByte) {
  EXPECT_EQ(printable("\xff"), "\\xff");
  EXPECT_EQ(printable("a\x80z"), "a\\x80z");                         // a lone continuation byte
  EXPECT_EQ(printable("\xc3"), "\\xc3");                             // cut short at the end
  EXPECT_EQ(printable("\xc3z"), "\\xc3z");                           // cut short by ASCII
  EXPECT_EQ(printable("\xe4\xb8"), "\\xe4\\xb8");                    // three bytes cut to two
  EXPECT_EQ(printable("\xc0\xaf"), "\\xc0\\xaf");                    // overlong '/'
  EXPECT_EQ(printable("\xe0\x80\xaf"), "\\xe0\\x80\\xaf");           // overlong
  EXPECT_EQ(printable("\xed\xa0\x80"), "\\xed\\xa0\\x80");           // a surrogate
  EXPECT_EQ(printable("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // beyond U+10FFFF
  EXPECT_EQ(printable("\xc3\xc3\xa9"), "\\xc3\xc3\xa9");             // resynchronises on the next lead byte
}

TEST(Printable, EscapingTwiceChangesNothing) {
  const std::string text = "k\x1b\xc2\x9b\xe2\x80\xae\x7f\xff\n\xc3\xa9";
  const std::string once = printable(text);
  EXPECT_EQ(once, "k\\x1b\\u{009b}\\u{202e}\\x7f\\xff\\x0a\xc3\xa9");
  EXPECT_EQ(printable(once), once);
  EXPECT_EQ(printable(printable(text, Newlines::kKeep), Newlines::kKeep), printable(text, Newlines::kKeep));
}

}  // namespace
}  // namespace capplan
