// Secret files: the whole file is the secret, less one trailing newline.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace swr::config::detail {

struct SecretFile {
  Secret secret;        // source is "<key> <path>", e.g. "auth.secret_key_file /run/secrets/sk"
  std::string error;    // set when the file is unreadable or empty; never holds the value
  std::string warning;  // set when group or others may read the file
};

// `key` names the setting ("auth.secret_key_file"), `path` the file as resolved.
SecretFile read_secret_file(const std::string& key, const std::string& path);

// The warning for a secret readable by group or others, or "" when its mode is tight.
std::string loose_permission_warning(const std::string& key, const std::string& path);

}  // namespace swr::config::detail
