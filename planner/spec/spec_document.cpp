#include "planner/spec/spec_document.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/mark.h>

#include <algorithm>
#include <cstddef>
#include <exception>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "planner/base/limits.h"
#include "planner/spec/spec_lexical.h"

namespace capplan::loader {
namespace {

constexpr int kMaxFlowNesting = 64;  // [ and { levels accepted by the pre-scan

// Thrown by the event parse at the first node beyond kMaxSpecNodes, before any
// tree is built (an 8 MiB list would take seconds and gigabytes to load).
struct TooManyNodes {
  YAML::Mark mark;
};

// Flow collections ([ and {) nested deeper than kMaxFlowNesting. yaml-cpp stops
// at a few hundred levels with the bare message "bad file" at 0:0; this pre-scan
// says where instead. Quoted text and comments are skipped; block scalars are
// not recognised, so brackets inside them count (harmless below the limit).
std::optional<SourceLocation> find_deep_flow_nesting(const std::string& text) {
  int depth = 0, line = 1, column = 0;
  char quote = 0;  // ' or " while inside a quoted scalar
  bool comment = false;
  char previous = '\n';
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    ++column;
    if (ch == '\n') {
      ++line;
      column = 0;
      comment = false;
      previous = ch;
      continue;
    }
    const bool token_start = previous == '\n' || previous == ' ' || previous == '\t' || previous == '[' ||
                             previous == '{' || previous == ',' || previous == ':';
    if (comment) {
    } else if (quote == '"') {
      if (ch == '\\' && i + 1 < text.size() && text[i + 1] != '\n') {
        ++i, ++column;
      } else if (ch == '"') {
        quote = 0;
      }
    } else if (quote == '\'') {
      if (ch == '\'') quote = 0;  // '' (an escaped quote) closes and reopens
    } else if (ch == '#' && (previous == ' ' || previous == '\t' || previous == '\n')) {
      comment = true;
    } else if ((ch == '"' || ch == '\'') && token_start) {
      quote = ch;
    } else if (ch == '[' || ch == '{') {
      if (++depth > kMaxFlowNesting) return SourceLocation{line, column};
    } else if (ch == ']' || ch == '}') {
      depth = std::max(0, depth - 1);
    }
    previous = ch;
  }
  return std::nullopt;
}

// Records where each document's root node starts (for check_documents).
class DocumentProbe : public YAML::EventHandler {
 public:
  struct Document {
    YAML::Mark root;
    bool has_root = false;
  };
  std::vector<Document> documents;

  void OnDocumentStart(const YAML::Mark&) override {
    documents.emplace_back();
    depth_ = 0;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t, const std::string&) override { node(mark); }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    node(mark);
    ++depth_;
  }
  void OnSequenceEnd() override { --depth_; }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    node(mark);
    ++depth_;
  }
  void OnMapEnd() override { --depth_; }

 private:
  void node(const YAML::Mark& mark) {
    if (depth_ == 0 && !documents.empty() && !documents.back().has_root) documents.back() = {mark, true};
    if (++nodes_ > kMaxSpecNodes) throw TooManyNodes{mark};
  }
  std::size_t nodes_ = 0;
  int depth_ = 0;
};

// yaml-cpp 0.7's LoadAll loops forever, allocating, when a parse does not consume
// its first token, e.g. a stray ',' at the top level (jbeder/yaml-cpp#1040, fixed
// upstream by #1319). So the documents are first counted with a bounded event
// parse, and only the first one is then loaded. Returns false after reporting.
bool check_documents(const std::string& text, SpecDiagnostics& diag) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentProbe probe;
  while (probe.documents.size() < 3 && parser.HandleNextDocument(probe)) {
  }
  const auto& docs = probe.documents;
  for (std::size_t i = 1; i < docs.size(); ++i) {
    if (docs[i].root.pos == docs[i - 1].root.pos) {  // no progress: a token no rule accepts
      const std::size_t pos = static_cast<std::size_t>(std::max(docs[i].root.pos, 0));
      diag.error(SourceLocation{docs[i].root.line + 1, docs[i].root.column + 1}, "",
                 fmt::format("malformed YAML: unexpected '{}'", pos < text.size() ? excerpt(text.substr(pos, 1)) : ""));
      return false;
    }
  }
  if (docs.size() > 1) {
    diag.error(SourceLocation{docs[1].root.line + 1, docs[1].root.column + 1}, "",
               "expected one YAML document, found more (remove the extra '---' separators)");
    return false;
  }
  return true;
}

}  // namespace

std::optional<YAML::Node> parse_spec_document(const std::string& text, SpecDiagnostics& diag) {
  if (const auto deep = find_deep_flow_nesting(text)) {
    diag.error(*deep, "",
               fmt::format("nesting deeper than {} levels of [ or {{; a spec needs only a few", kMaxFlowNesting));
    return std::nullopt;
  }
  YAML::Node root;
  try {
    if (!check_documents(text, diag)) return std::nullopt;
    root = YAML::Load(text);  // the first (and only) document
  } catch (const TooManyNodes& e) {
    diag.error(
        SourceLocation{std::max(e.mark.line, 0) + 1, std::max(e.mark.column, 0) + 1}, "",
        fmt::format("more than {} YAML values (keys, items and collections); a spec needs far fewer", kMaxSpecNodes));
    return std::nullopt;
  } catch (const YAML::DeepRecursion& e) {
    diag.error(SourceLocation{std::max(e.mark.line, 0) + 1, std::max(e.mark.column, 0) + 1}, "",
               fmt::format("malformed YAML: nesting deeper than {} levels", e.depth()));
    return std::nullopt;
  } catch (const YAML::ParserException& e) {
    const SourceLocation at = e.mark.line >= 0 ? SourceLocation{e.mark.line + 1, e.mark.column + 1} : SourceLocation{};
    diag.error(at, "", "malformed YAML: " + e.msg);
    return std::nullopt;
  } catch (const std::exception& e) {
    diag.error({}, "", fmt::format("malformed YAML: {}", e.what()));
    return std::nullopt;
  }
  if (root.IsNull()) {
    diag.error({1, 1}, "",
               "the spec is empty: expected a map with at least version, name, horizon, accelerators, "
               "systems, sites and tranches");
    return std::nullopt;
  }
  return root;
}

}  // namespace capplan::loader
