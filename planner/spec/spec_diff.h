// What changed between two specs: the leaf keys whose values differ between
// two YAML texts (a ledger's effective specs, docs/ledger.md), with paths as
// --set spells them and values in YAML flow form.
#pragma once

#include <string>
#include <vector>

namespace capplan {

// Written for the absent side of an added or removed key.
extern const char* const kAbsentValue;

// One difference. Values are in YAML flow form ("100", "{triangular: [0, 14, 42]}",
// "[gb300-t3]"), double-quoted when they hold "; " separators or " -> ", and
// kAbsentValue for a key only one side has.
struct SpecChange {
  std::string path;  // "tranches.t1.units", "sites.site-a.power_mw[1].add"
  std::string old_value, new_value;
};

// The differences from `old_text` to `new_text`, in document order (the old
// text's keys first, then keys only the new one has). Maps are compared key by
// key and sequences holding a map or sequence item by item; scalars and
// sequences of scalars are leaves. Where one side is a map or sequence and the
// other is not (or is absent), the node itself is reported. Throws SpecError
// if a text is not one YAML document.
std::vector<SpecChange> spec_diff(const std::string& old_text, const std::string& new_text);

// "path: old -> new", joined by "; " ("" for no changes).
std::string describe_changes(const std::vector<SpecChange>& changes);

}  // namespace capplan
