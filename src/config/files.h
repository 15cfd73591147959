// Reading the files a config names: the config itself, secrets, the CA bundle, the token file.
#pragma once

#include <optional>
#include <string>

#include "model/result.h"

namespace swr::config::detail {

// The file's text, or the OS reason ("No such file or directory") it could not be read.
Result<std::string> read_whole_file(const std::string& path);

// Whether the file can be opened for reading: done, or the OS reason it cannot.
Result<void> check_readable(const std::string& path);

// The permission bits (e.g. 0644) when group or others have any access; nothing otherwise.
// The file's mode when others, or a group other than ours, may read it (or any group write it).
std::optional<unsigned> group_or_other_access(const std::string& path);

// `name` relative to the directory of `config_path`, as Prometheus does for the files its
// config names; absolute names are kept.
std::string relative_to_config(const std::string& name, const std::string& config_path);

}  // namespace swr::config::detail
