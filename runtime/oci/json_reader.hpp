// Reading config.json with messages that name the file and the JSON path of the problem
// ("config.json: linux.namespaces[2].type: unknown namespace 'foo'"). Used by config.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace policy::oci {

class JsonReader {
 public:
  explicit JsonReader(std::string file) : file_(std::move(file)) {}
  const std::string& file() const { return file_; }

  // Throws policy::Error "FILE: PATH: message".
  [[noreturn]] void fail(const std::string& path, const std::string& message) const;

  // The member `key` of object `obj` (at `path`), nullptr when absent or null; fails when `obj`
  // is not an object.
  const nlohmann::json* member(const nlohmann::json& obj, const std::string& path,
                               const char* key) const;
  // The value at `path` as a type, failing with what was expected.
  std::string string(const nlohmann::json& j, const std::string& path) const;
  bool boolean(const nlohmann::json& j, const std::string& path) const;
  int64_t int64(const nlohmann::json& j, const std::string& path) const;
  uint64_t uint64(const nlohmann::json& j, const std::string& path,
                  uint64_t max = UINT64_MAX) const;
  std::vector<std::string> strings(const nlohmann::json& j, const std::string& path) const;
  const nlohmann::json& array(const nlohmann::json& j, const std::string& path) const;
  const nlohmann::json& object(const nlohmann::json& j, const std::string& path) const;
  // An absolute path inside the container.
  std::string absolute_path(const nlohmann::json& j, const std::string& path) const;

 private:
  std::string file_;
};

// "a.b" joined, "a[2]".
inline std::string join_path(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}
inline std::string index_path(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

}  // namespace policy::oci
