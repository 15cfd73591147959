// Reading the files a config names: the config itself, secrets, the CA bundle, the token file.
#pragma once

#include <optional>
#include <string>

namespace swr::config::detail {

struct FileText {
  std::string text;
  std::string error;  // the OS reason ("No such file or directory") when it could not be read
};

FileText read_whole_file(const std::string& path);

// The OS reason the file cannot be opened for reading, or nothing when it can.
std::optional<std::string> unreadable_reason(const std::string& path);

// The permission bits (e.g. 0644) when group or others have any access; nothing otherwise.
// The file's mode when others, or a group other than ours, may read it (or any group write it).
std::optional<unsigned> group_or_other_access(const std::string& path);

// `name` relative to the directory of `config_path`, as Prometheus does for the files its
// config names; absolute names are kept.
std::string relative_to_config(const std::string& name, const std::string& config_path);

}  // namespace swr::config::detail
