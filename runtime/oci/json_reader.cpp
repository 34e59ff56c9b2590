#include "runtime/oci/json_reader.hpp"

#include "compiler/common/error.hpp"

namespace policy::oci {

using nlohmann::json;

void JsonReader::fail(const std::string& path, const std::string& message) const {
  throw Error(file_ + ": " + (path.empty() ? "" : path + ": ") + message);
}

const json* JsonReader::member(const json& obj, const std::string& path, const char* key) const {
  if (!obj.is_object()) fail(path, "must be an object");
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string JsonReader::string(const json& j, const std::string& path) const {
  if (!j.is_string()) fail(path, "must be a string");
  return j.get<std::string>();
}

bool JsonReader::boolean(const json& j, const std::string& path) const {
  if (!j.is_boolean()) fail(path, "must be true or false");
  return j.get<bool>();
}

int64_t JsonReader::int64(const json& j, const std::string& path) const {
  if (j.is_number_unsigned() && j.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
    fail(path, "is too large");
  if (!j.is_number_integer()) fail(path, "must be an integer");
  return j.get<int64_t>();
}

uint64_t JsonReader::uint64(const json& j, const std::string& path, uint64_t max) const {
  // A JSON number read from text is unsigned when positive; one built in memory may be signed.
  if (!j.is_number_integer() || (!j.is_number_unsigned() && j.get<int64_t>() < 0))
    fail(path, "must be a non-negative integer");
  const uint64_t v = j.is_number_unsigned() ? j.get<uint64_t>() : uint64_t(j.get<int64_t>());
  if (v > max) fail(path, "must be at most " + std::to_string(max));
  return v;
}

const json& JsonReader::array(const json& j, const std::string& path) const {
  if (!j.is_array()) fail(path, "must be a list");
  return j;
}

const json& JsonReader::object(const json& j, const std::string& path) const {
  if (!j.is_object()) fail(path, "must be an object");
  return j;
}

std::vector<std::string> JsonReader::strings(const json& j, const std::string& path) const {
  std::vector<std::string> out;
  for (size_t i = 0; i < array(j, path).size(); ++i)
    out.push_back(string(j[i], index_path(path, i)));
  return out;
}

std::string JsonReader::absolute_path(const json& j, const std::string& path) const {
  std::string p = string(j, path);
  if (p.empty() || p[0] != '/') fail(path, "'" + p + "' must be an absolute path");
  return p;
}

}  // namespace policy::oci
