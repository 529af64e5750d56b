// The one rule for user text in terminal messages: what a terminal would act
// on or hide is written as an escape, so a message never carries control
// sequences, bidi overrides or invisible characters from a spec, a path or an
// option value.
#pragma once

#include <string>
#include <string_view>

namespace capplan {

enum class Newlines { kEscape, kKeep };

// `text` with every byte or character that is not safe to print escaped:
//   - C0 controls (U+0000..U+001F), DEL and bytes that are not valid UTF-8
//     (overlong, surrogate, beyond U+10FFFF, cut short) as \xNN, one per byte;
//   - C1 controls (U+0080..U+009F), line and paragraph separators and the
//     Unicode format characters (bidi embeddings, overrides and isolates,
//     zero-width characters, the byte-order mark, tags, ...) as \u{NNNN}.
// With Newlines::kKeep a '\n' stays as it is (a message's own line breaks).
// Valid printable UTF-8 ("é", "中") is kept. The result holds only printable
// text, so escaping it again changes nothing.
std::string printable(std::string_view text, Newlines newlines = Newlines::kEscape);

}  // namespace capplan
