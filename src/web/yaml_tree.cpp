#include "web/yaml_tree.h"

#include <yaml.h>

#include <array>
#include <map>

namespace swr::web {
namespace {

constexpr std::string_view kStrTag = "tag:yaml.org,2002:str";
constexpr std::string_view kMapTag = "tag:yaml.org,2002:map";
constexpr std::string_view kSeqTag = "tag:yaml.org,2002:seq";

// libyaml's parser and event own heap memory; these free it on every path out.
class ParserHandle {
 public:
  ParserHandle() { ok_ = yaml_parser_initialize(&parser_) != 0; }
  ~ParserHandle() {
    if (ok_) yaml_parser_delete(&parser_);
  }
  ParserHandle(const ParserHandle&) = delete;
  ParserHandle& operator=(const ParserHandle&) = delete;
  bool ok() const { return ok_; }
  yaml_parser_t* get() { return &parser_; }

 private:
  yaml_parser_t parser_{};
  bool ok_ = false;
};

class EventHandle {
 public:
  EventHandle() = default;
  ~EventHandle() {
    if (live_) yaml_event_delete(&event_);
  }
  EventHandle(const EventHandle&) = delete;
  EventHandle& operator=(const EventHandle&) = delete;
  bool next(yaml_parser_t* parser) {
    live_ = yaml_parser_parse(parser, &event_) != 0;
    return live_;
  }
  const yaml_event_t& operator*() const { return event_; }
  const yaml_event_t* operator->() const { return &event_; }

 private:
  yaml_event_t event_{};
  bool live_ = false;
};

YamlMark to_mark(const yaml_mark_t& mark) {
  return {static_cast<int>(mark.line) + 1, static_cast<int>(mark.column) + 1};
}

std::string_view as_view(const yaml_char_t* text) {
  return text == nullptr ? std::string_view{}
                         : std::string_view(reinterpret_cast<const char*>(text));
}

YamlError parser_error(const yaml_parser_t& parser) {
  std::string message = "invalid YAML";
  if (parser.error == YAML_MEMORY_ERROR) return {{}, "out of memory while parsing YAML"};
  if (parser.problem != nullptr) {
    message = parser.problem;
    if (parser.context != nullptr) message = std::string(parser.context) + ": " + message;
  }
  YamlMark mark = to_mark(parser.problem_mark);
  if (parser.error == YAML_READER_ERROR) {
    // The reader reports a byte offset, not a line; the text up to it gives the place.
    mark = {};
  }
  return {mark, message};
}

// Where a reader error happened, from its byte offset.
YamlMark mark_at_offset(std::string_view text, std::size_t offset) {
  YamlMark mark{1, 1};
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++mark.line;
      mark.column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++mark.column;
    }
  }
  return mark;
}

}  // namespace

bool YamlNode::is_null() const {
  return kind == Kind::kScalar && plain &&
         (value.empty() || value == "~" || value == "null" || value == "Null" || value == "NULL");
}

std::optional<bool> yaml_bool(const YamlNode& node) {
  if (node.kind != YamlNode::Kind::kScalar || !node.plain) return std::nullopt;
  static constexpr std::array<std::string_view, 11> kTrue = {
      "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"};
  static constexpr std::array<std::string_view, 11> kFalse = {
      "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"};
  for (const std::string_view word : kTrue) {
    if (node.value == word) return true;
  }
  for (const std::string_view word : kFalse) {
    if (node.value == word) return false;
  }
  return std::nullopt;
}

Result<YamlDocument, YamlError> parse_yaml(std::string_view text, const YamlLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return unexpected(YamlError{{}, "larger than " + std::to_string(limits.max_bytes) + " bytes"});
  }
  ParserHandle parser;
  if (!parser.ok()) return unexpected(YamlError{{}, "out of memory while parsing YAML"});
  yaml_parser_set_input_string(parser.get(), reinterpret_cast<const unsigned char*>(text.data()),
                               text.size());

  YamlDocument document;
  bool has_root = false;
  int documents = 0;
  std::vector<std::size_t> open;  // the mappings and sequences being filled, innermost last
  std::map<std::string, std::size_t, std::less<>> anchors;

  // Adds a node under the innermost open collection, or as the root.
  const auto add = [&](YamlNode node, const yaml_char_t* anchor) -> std::optional<YamlError> {
    if (document.nodes.size() >= limits.max_nodes) {
      return YamlError{node.mark, "more than " + std::to_string(limits.max_nodes) + " YAML nodes"};
    }
    const std::size_t index = document.nodes.size();
    const bool collection = node.kind != YamlNode::Kind::kScalar;
    const YamlMark mark = node.mark;
    document.nodes.push_back(std::move(node));
    if (anchor != nullptr) anchors[std::string(as_view(anchor))] = index;
    if (open.empty()) {
      document.root = index;
      has_root = true;
    } else {
      document.nodes[open.back()].children.push_back(index);
    }
    if (collection) {
      open.push_back(index);
      if (open.size() > limits.max_depth) {
        return YamlError{mark, "nested deeper than " + std::to_string(limits.max_depth) +
                                   " mappings and sequences"};
      }
    }
    return std::nullopt;
  };
  const auto check_tag = [](const yaml_char_t* tag, std::string_view allowed,
                            const YamlMark& mark) -> std::optional<YamlError> {
    if (tag == nullptr || as_view(tag) == allowed) return std::nullopt;
    return YamlError{mark, "the YAML tag " + std::string(as_view(tag)) +
                               " is not supported (only !!str, !!map and !!seq are)"};
  };

  for (;;) {
    EventHandle event;
    if (!event.next(parser.get())) {
      YamlError error = parser_error(*parser.get());
      if (parser.get()->error == YAML_READER_ERROR) {
        error.mark = mark_at_offset(text, parser.get()->problem_offset);
      }
      return unexpected(std::move(error));
    }
    const YamlMark mark = to_mark(event->start_mark);
    std::optional<YamlError> error;
    switch (event->type) {
      case YAML_STREAM_END_EVENT:
        if (!has_root) document.nodes.clear();
        return document;
      case YAML_DOCUMENT_START_EVENT:
        if (++documents > 1) {
          return unexpected(
              YamlError{mark, "more than one YAML document; the file must hold exactly one"});
        }
        break;
      case YAML_SCALAR_EVENT: {
        const auto& scalar = event->data.scalar;
        error = check_tag(scalar.tag, kStrTag, mark);
        if (error) return unexpected(std::move(*error));
        YamlNode node;
        node.kind = YamlNode::Kind::kScalar;
        node.value.assign(reinterpret_cast<const char*>(scalar.value), scalar.length);
        node.plain = scalar.style == YAML_PLAIN_SCALAR_STYLE && scalar.tag == nullptr;
        node.mark = mark;
        error = add(std::move(node), scalar.anchor);
        break;
      }
      case YAML_SEQUENCE_START_EVENT: {
        const auto& sequence = event->data.sequence_start;
        error = check_tag(sequence.tag, kSeqTag, mark);
        if (error) return unexpected(std::move(*error));
        YamlNode node;
        node.kind = YamlNode::Kind::kSequence;
        node.mark = mark;
        error = add(std::move(node), sequence.anchor);
        break;
      }
      case YAML_MAPPING_START_EVENT: {
        const auto& mapping = event->data.mapping_start;
        error = check_tag(mapping.tag, kMapTag, mark);
        if (error) return unexpected(std::move(*error));
        YamlNode node;
        node.kind = YamlNode::Kind::kMapping;
        node.mark = mark;
        error = add(std::move(node), mapping.anchor);
        break;
      }
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT:
        if (!open.empty()) open.pop_back();
        break;
      case YAML_ALIAS_EVENT: {
        const std::string_view name = as_view(event->data.alias.anchor);
        const auto found = anchors.find(name);
        if (found == anchors.end()) {
          return unexpected(
              YamlError{mark, "the alias *" + std::string(name) + " names no anchor before it"});
        }
        const YamlNode& target = document.nodes[found->second];
        if (target.kind != YamlNode::Kind::kScalar) {
          return unexpected(YamlError{mark, "the alias *" + std::string(name) +
                                                " refers to a mapping or sequence; only aliases "
                                                "of plain values are supported"});
        }
        YamlNode copy = target;
        copy.mark = mark;
        error = add(std::move(copy), nullptr);
        break;
      }
      default:
        break;
    }
    if (error) return unexpected(std::move(*error));
  }
}

}  // namespace swr::web
