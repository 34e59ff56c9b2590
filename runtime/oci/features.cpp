// Placeholder: helper "ociconf" implements the features document.
#include "runtime/oci/config.hpp"

namespace policy::oci {

nlohmann::json features() {
  return nlohmann::json::object();
}

}  // namespace policy::oci
