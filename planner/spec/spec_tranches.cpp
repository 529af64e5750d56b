#include "planner/spec/spec_tranches.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "planner/base/limits.h"
#include "planner/spec/spec_distributions.h"
#include "planner/spec/spec_lexical.h"

namespace capplan::loader {
namespace {

// A tranche's `after` list, checked once every tranche id is known.
struct AfterList {
  int tranche = 0;
  Field field;
  std::vector<std::pair<std::string, Field>> entries;
};

// delivery: {planned: date (before the horizon start counts as day 0), slip_days, spread_days: whole >= 0}.
void read_delivery(SpecDiagnostics& diag, const Field& field, Tranche& tranche) {
  const auto map = keyed_map(diag, field, {"planned", "slip_days", "spread_days"});
  if (!map) return;
  if (const auto f = required(diag, *map, "planned")) {
    if (const auto day = read_date(diag, *f)) tranche.delivery_planned = *day;
  }
  if (const Field* f = map->find("slip_days")) {
    if (const auto d = read_distribution(diag, *f, Use::signed_days)) tranche.delivery_slip_days = *d;
  }
  if (const Field* f = map->find("spread_days")) {
    if (const auto n = read_whole(diag, *f, 0, kMaxSpreadDays)) tranche.spread_days = static_cast<int>(*n);
  }
}

// `ref` (at `f`) must name a known entry; `kind` is "system" or "site".
template <typename Entry>
void check_reference(SpecDiagnostics& diag, const Field& f, const std::string& ref, const char* kind,
                     const std::vector<Entry>& entries) {
  const bool known = std::any_of(entries.begin(), entries.end(), [&](const Entry& e) { return e.id == ref; });
  if (known) return;
  std::vector<std::string> ids;
  for (const auto& e : entries) ids.push_back(e.id);
  error(diag, f, fmt::format("unknown {} '{}'{}", kind, excerpt(ref), did_you_mean(ref, ids)));
}

void read_tranche(SpecDiagnostics& diag, const std::string& id, const Field& field, SourceLocation at, Spec& spec,
                  std::vector<AfterList>& after_lists) {
  Tranche tranche;
  tranche.id = id;
  tranche.location = at;
  const auto map = keyed_map(
      diag, field,
      {"system", "site", "units", "probability", "delivery", "burn_in_days", "acceptance", "rework_days", "after"});
  if (map) {
    if (const auto f = required(diag, *map, "system")) {
      if (const auto ref = read_text(diag, *f)) {
        tranche.system = *ref;
        check_reference(diag, *f, *ref, "system", spec.systems);
      }
    }
    if (const auto f = required(diag, *map, "site")) {
      if (const auto ref = read_text(diag, *f)) {
        tranche.site = *ref;
        check_reference(diag, *f, *ref, "site", spec.sites);
      }
    }
    if (const auto f = required(diag, *map, "units")) {
      if (const auto n = read_whole(diag, *f, 0, kMaxUnits)) tranche.units = static_cast<std::int64_t>(*n);
    }
    if (const Field* f = map->find("probability")) {
      if (const auto p = read_probability(diag, *f)) tranche.probability = *p;
    }
    if (const auto f = required(diag, *map, "delivery")) read_delivery(diag, *f, tranche);
    if (const Field* f = map->find("burn_in_days")) {
      if (const auto d = read_distribution(diag, *f, Use::duration)) tranche.burn_in_days = *d;
    }
    if (const Field* f = map->find("acceptance")) {
      if (const auto d = read_distribution(diag, *f, Use::unit_interval)) tranche.acceptance = *d;
    }
    if (const Field* f = map->find("rework_days")) {
      if (const auto d = read_distribution(diag, *f, Use::duration)) tranche.rework_days = *d;
    }
    if (const Field* f = map->find("after")) {
      AfterList list{static_cast<int>(spec.tranches.size()), *f, {}};
      if (!f->node.IsNull()) {  // `after:` with nothing is an empty list
        if (const auto items = read_list(diag, *f, "tranche ids")) {
          for (const Field& item : *items) {
            if (const auto ref = read_text(diag, item)) {
              tranche.after.push_back(*ref);
              list.entries.emplace_back(*ref, item);
            }
          }
        }
      }
      after_lists.push_back(std::move(list));
    }
  }
  spec.tranches.push_back(std::move(tranche));
}

// One error per cycle, at the `after` of its first tranche in spec order: "a -> b -> a".
void report_after_cycle(SpecDiagnostics& diag, const Spec& spec, const std::vector<AfterList>& after_lists,
                        const std::vector<int>& cycle) {
  const std::size_t first = static_cast<std::size_t>(std::min_element(cycle.begin(), cycle.end()) - cycle.begin());
  std::vector<std::string> names;
  for (std::size_t k = 0; k <= cycle.size(); ++k) {
    names.push_back(spec.tranches[static_cast<std::size_t>(cycle[(first + k) % cycle.size()])].id);
  }
  const int head = cycle[first];
  const auto list =
      std::find_if(after_lists.begin(), after_lists.end(), [&](const AfterList& l) { return l.tranche == head; });
  const SourceLocation at = list != after_lists.end() ? list->field.where : SourceLocation{};
  diag.error(
      at, "tranches." + names.front() + ".after",
      fmt::format("`after` forms a cycle, so none of these tranches could ever install: {}", join(names, " -> ")));
}

// Each tranche's `after` entries, as tranche indices; bad entries are reported and left out.
std::vector<std::vector<int>> after_edges(SpecDiagnostics& diag, const Spec& spec,
                                          const std::vector<AfterList>& after_lists) {
  std::vector<std::string> ids;
  for (const auto& t : spec.tranches) ids.push_back(t.id);
  std::vector<std::vector<int>> waits_for(spec.tranches.size());
  for (const AfterList& list : after_lists) {
    const std::string& self = spec.tranches[static_cast<std::size_t>(list.tranche)].id;
    std::unordered_set<std::string> seen;
    for (const auto& [ref, item] : list.entries) {
      const int target = spec.tranche_index(ref);
      if (ref == self) {
        error(diag, item, fmt::format("tranche '{}' cannot come after itself", excerpt(self)));
      } else if (target < 0) {
        error(diag, item, fmt::format("unknown tranche '{}'{}", excerpt(ref), did_you_mean(ref, ids)));
      } else if (!seen.insert(ref).second) {
        error(diag, item, fmt::format("tranche '{}' is listed twice", excerpt(ref)));
      } else {
        waits_for[static_cast<std::size_t>(list.tranche)].push_back(target);
      }
    }
  }
  return waits_for;
}

// `after` entries must name other tranches, once each, without cycles.
void check_after(SpecDiagnostics& diag, const Spec& spec, const std::vector<AfterList>& after_lists) {
  const std::vector<std::vector<int>> waits_for = after_edges(diag, spec, after_lists);
  // Depth-first search without recursion (specs may have many tranches); each
  // back edge closes one cycle, reported once.
  const std::size_t n = waits_for.size();
  std::vector<int> state(n, 0);  // 0 unvisited, 1 on the stack, 2 done
  for (std::size_t root = 0; root < n; ++root) {
    if (state[root] != 0) continue;
    std::vector<std::pair<int, std::size_t>> stack{{static_cast<int>(root), 0}};
    state[root] = 1;
    while (!stack.empty()) {
      const int u = stack.back().first;
      const std::size_t next = stack.back().second;
      const auto& edges = waits_for[static_cast<std::size_t>(u)];
      if (next == edges.size()) {
        state[static_cast<std::size_t>(u)] = 2;
        stack.pop_back();
        continue;
      }
      ++stack.back().second;
      const int v = edges[next];
      if (state[static_cast<std::size_t>(v)] == 0) {
        state[static_cast<std::size_t>(v)] = 1;
        stack.emplace_back(v, 0);
      } else if (state[static_cast<std::size_t>(v)] == 1) {
        std::vector<int> cycle;
        auto it = std::find_if(stack.begin(), stack.end(), [&](const auto& frame) { return frame.first == v; });
        for (; it != stack.end(); ++it) cycle.push_back(it->first);
        report_after_cycle(diag, spec, after_lists, cycle);
      }
    }
  }
}

}  // namespace

void read_tranches(SpecDiagnostics& diag, const Field& field, Spec& spec) {
  std::vector<AfterList> after_lists;
  for_each_entry(diag, field, "tranche", true, [&](const std::string& id, const Field& entry, SourceLocation at) {
    read_tranche(diag, id, entry, at, spec, after_lists);
  });
  check_after(diag, spec, after_lists);
}

}  // namespace capplan::loader
