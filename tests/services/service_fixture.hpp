// The service tests' harness: real Debian images (tools/test-images), a real service started
// under a shipped policy by the policyrun binary in the background, and host clients (curl,
// redis-cli, psql) run inside the container's network namespace, which has only loopback.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace services {

// One image tools/test-images printed: `NAME FORMAT PATH`.
struct Image {
  std::string format, path;
};

// The image of `service` (nginx, redis, postgres). The list comes from the file
// $POLICY_SERVICE_IMAGES (the CTest fixture writes it), else from running tools/test-images once.
// Throws std::runtime_error with the script's output when the image cannot be had.
const Image& image(const std::string& service);

// The image of `service` with the host file `file` added at `dest` as one more layer: an OCI
// layout `DIR:attack` (skopeo, umoci) beside the test binary, made once per image and file.
// Throws std::runtime_error with the tools' output when it cannot be made.
std::string image_with_file(const std::string& service, const std::string& file,
                            const std::string& dest);

// policyrun's arguments after --name for `service`: `options`, its image, and the command when
// the image has none (the postgres rootfs tarball: postgres as user postgres).
std::vector<std::string> run_args(const std::string& service,
                                  std::vector<std::string> options = {});
// The same with IMAGE given (e.g. image_with_file()'s).
std::vector<std::string> run_args(const std::string& service, const std::string& image,
                                  std::vector<std::string> options);

// The policy a service test runs under: policies/FILE (the shipped one), or FILE in the
// directory $POLICY_SERVICES_POLICY_DIR (for developing policies against the tests).
std::string policy_for(const std::string& file);

// What a command run to its end did: exit status (-1 when killed or timed out) and its output.
struct Output {
  int status = -1;
  std::string out, err;
};

// One policyrun run in the background: `policyrun --policy P --root ROOT --name NAME ARGS...`,
// stdin from /dev/null, stdout and stderr to files. The image cache under ROOT is shared by the
// tests of this binary; the run's own state is ROOT/run/NAME and its cgroups policyrun/NAME.
class Service {
 public:
  Service(const std::string& policy, const std::vector<std::string>& args);
  ~Service();  // stop() if still running
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Waits until the container's first process exists and `port` on its 127.0.0.1 accepts a
  // TCP connection. "" when it does, else what went wrong (with policyrun's stderr).
  std::string wait_for_port(int port, std::chrono::seconds timeout = std::chrono::seconds(30));
  // The host pid of the container's first process (0 before it exists).
  pid_t first_process() const;
  // Every process of the container (host pids): the first process and its descendants.
  std::vector<pid_t> processes() const;
  // Runs `argv` (a host program) in the container's network namespace (nsenter), to its end or
  // until `timeout`.
  Output client(const std::vector<std::string>& argv,
                std::chrono::seconds timeout = std::chrono::seconds(30)) const;
  // SIGTERM to policyrun, SIGKILL after `timeout`; returns policyrun's exit status (-1: killed).
  int stop(std::chrono::seconds timeout = std::chrono::seconds(15));
  // Whether policyrun has exited (then its status is status()).
  bool exited();
  int status() const { return status_; }
  std::string out() const;
  std::string err() const;  // policyrun's stderr (and the service's)
  // What this run left behind after stop(): its state directory, its cgroups ("" when nothing).
  std::string leftovers() const;
  const std::string& name() const { return name_; }

 private:
  std::string name_, base_;
  pid_t pid_ = -1;
  int status_ = -1;
};

// The root every Service of this test binary uses (image cache, run states).
const std::string& state_root();

// Uid and gid lines of /proc/PID/status: the real uid ("" when the process is gone).
std::string uid_of(pid_t pid);
// The command name of PID (/proc/PID/comm without the newline).
std::string comm_of(pid_t pid);

// A test with one service: SetUp checks the host (root, policyrun, nsenter), starts `service`
// under policy_for(`policy`) and waits for `port`; TearDown stops it and checks that the run
// left nothing behind. On a failure, policyrun's stderr is printed.
class ServiceTest : public ::testing::Test {
 protected:
  ServiceTest(const char* service, const char* policy, int port)
      : service_name_(service), policy_(policy), port_(port) {}
  void SetUp() override;
  void TearDown() override;
  Service& service() { return *service_; }

 private:
  const char* service_name_;
  const char* policy_;
  int port_;
  std::unique_ptr<Service> service_;
};

}  // namespace services
