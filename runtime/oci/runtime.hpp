// policyrun as an OCI runtime: the command line containerd's runc shim and Docker call on runc
// (create, start, state, kill, delete, exec, ps, features, with --root, --log, --log-format),
// on an OCI bundle, enforced by the launch engine (docs/oci-runtime.md).
#pragma once

namespace policy::oci {

// True when argv is an OCI runtime command line: runc's global options first (--root, --log,
// --log-format, --debug, --systemd-cgroup, --rootless, --criu), or one of the commands only the
// OCI runtime has (create, start, state, delete, features, ...).
bool is_runtime_command_line(int argc, char** argv);

// Runs it. Errors are written to stderr and, with --log, to the log (one JSON object per line
// with --log-format json, where containerd's shim reads the last one); exit status 1, as runc.
int runtime_main(int argc, char** argv);

}  // namespace policy::oci
