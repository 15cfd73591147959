#include "config/secrets.h"

#include <cstdio>

#include "config/files.h"

namespace swr::config::detail {

std::string loose_permission_warning(const std::string& key, const std::string& path) {
  const std::optional<unsigned> mode = group_or_other_access(path);
  if (!mode) return "";
  char octal[8];
  std::snprintf(octal, sizeof octal, "%04o", *mode);
  return key + " " + path + " is readable by group or others (mode " + octal + "); chmod 600 it";
}

SecretFile read_secret_file(const std::string& key, const std::string& path) {
  SecretFile result;
  result.secret.source = key + " " + path;
  Result<std::string> file = read_whole_file(path);
  if (!file) {
    result.error = "cannot read " + key + " " + path + ": " + file.error();
    return result;
  }
  std::string& value = *file;
  // Editors end files with a newline; the secret never does.
  if (value.ends_with("\r\n")) {
    value.resize(value.size() - 2);
  } else if (value.ends_with('\n')) {
    value.pop_back();
  }
  if (value.empty()) {
    result.error = key + " " + path + " is empty: put the secret in it";
    return result;
  }
  result.secret.value = std::move(value);
  result.warning = loose_permission_warning(key, path);
  return result;
}

}  // namespace swr::config::detail
