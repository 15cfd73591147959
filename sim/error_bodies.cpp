#include "error_bodies.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace swr::sim {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void put(Writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void legacy_entry(Writer& w, std::string_view code, std::string_view message) {
  w.StartObject();
  put(w, "errorCode");
  put(w, code);
  put(w, "errorMessage");
  put(w, message);
  put(w, "detail");
  put(w, "");
  w.EndObject();
}

}  // namespace

std::string swr_error_body(std::string_view code, std::string_view message) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  put(w, "error_code");
  put(w, code);
  put(w, "error_msg");
  put(w, message);
  put(w, "details");
  w.StartArray();
  w.EndArray();
  put(w, "errors");
  w.StartArray();
  legacy_entry(w, code, message);
  w.EndArray();
  w.EndObject();
  return buffer.GetString();
}

std::string swr_legacy_error_body(std::string_view code, std::string_view message) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartArray();
  legacy_entry(w, code, message);
  w.EndArray();
  return buffer.GetString();
}

std::string apig_error_body(std::string_view code, std::string_view message,
                            std::string_view request_id) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  put(w, "error_code");
  put(w, code);
  put(w, "error_msg");
  put(w, message);
  put(w, "request_id");
  put(w, request_id);
  w.EndObject();
  return buffer.GetString();
}

std::string iam_error_body(int code, std::string_view title, std::string_view message) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  put(w, "error");
  w.StartObject();
  put(w, "code");
  w.Int(code);
  put(w, "message");
  put(w, message);
  put(w, "title");
  put(w, title);
  w.EndObject();
  w.EndObject();
  return buffer.GetString();
}

}  // namespace swr::sim
