// Placeholder: helper "ociconf" implements config.json loading (docs/oci-runtime.md).
#include "runtime/oci/config.hpp"

#include "compiler/common/error.hpp"

namespace policy::oci {

ContainerConfig load_bundle(const std::string& bundle_dir) {
  throw Error("OCI bundles are not supported yet: " + bundle_dir);
}

ExecConfig load_process(const nlohmann::json& /*process*/, const std::string& file_name,
                        const ContainerConfig& /*container*/) {
  throw Error("exec --process is not supported yet: " + file_name);
}

}  // namespace policy::oci
