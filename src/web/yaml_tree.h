// A YAML document as a small tree with the line and column of every node, built from libyaml's
// events without recursion (libyaml stays inside yaml_tree.cpp). Only what a configuration file
// needs: mappings, sequences and scalars; aliases of scalars; no custom tags.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/result.h"

namespace swr::web {

struct YamlMark {
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based
};

struct YamlNode {
  enum class Kind { kScalar, kMapping, kSequence };
  Kind kind = Kind::kScalar;
  std::string value;   // scalars only, as written after unquoting
  bool plain = false;  // an unquoted scalar without a tag: subject to null/bool resolution
  YamlMark mark;       // where the node starts
  std::vector<std::size_t> children;  // mappings: key, value, key, value...; sequences: items

  // Plain "", "~", "null", "Null" or "NULL" (YAML 1.1, as Go's yaml.v2 reads them).
  bool is_null() const;
};

struct YamlDocument {
  std::vector<YamlNode> nodes;  // nodes[root] is the root when not empty
  std::size_t root = 0;
  bool empty() const { return nodes.empty(); }  // an empty file or a document of only comments
  const YamlNode& at(std::size_t index) const { return nodes[index]; }
};

struct YamlError {
  YamlMark mark;
  std::string message;
};

struct YamlLimits {
  std::size_t max_bytes = 1 << 20;
  std::size_t max_depth = 32;  // of nested mappings and sequences
  std::size_t max_nodes = 100000;
};

// Parses one YAML document. More than one document, aliases of mappings or sequences, tags other
// than !!str, !!map and !!seq, and inputs over the limits are errors.
Result<YamlDocument, YamlError> parse_yaml(std::string_view text, const YamlLimits& limits);

// YAML 1.1 booleans as Go's yaml.v2 reads them: true/false, yes/no, on/off, y/n in three cases.
// Only for plain scalars; nothing when the scalar is not one of them.
std::optional<bool> yaml_bool(const YamlNode& node);

}  // namespace swr::web
