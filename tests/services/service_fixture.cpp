#include "services/service_fixture.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "launch/launch_fixture.hpp"
#include "runtime/common/host.hpp"
#include "support/kernel_skip.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace services {
namespace {

std::string source_dir() {
  const char* src = std::getenv("POLICY_SOURCE_DIR");
  return src ? src : ".";
}

std::map<std::string, Image> parse_images(const std::string& text) {
  std::map<std::string, Image> images;
  std::istringstream in(text);
  for (std::string name, format, path; in >> name >> format >> path;)
    images[name] = Image{format, path};
  return images;
}

// The images tools/test-images lists: from the CTest fixture's file, else by running it.
std::map<std::string, Image> load_images() {
  if (const char* file = std::getenv("POLICY_SERVICE_IMAGES"); file && *file)
    return parse_images(launch_test::slurp(file));
  const std::string out = launch_test::scratch() + "/test-images.out";
  const std::string cmd = launch_test::shell_quote(source_dir() + "/tools/test-images") + " >" +
                          out + " 2>" + out + ".err";
  const int rc = std::system(cmd.c_str());
  if (rc != 0)
    throw std::runtime_error("tools/test-images failed (status " + std::to_string(rc) + "):\n" +
                             launch_test::slurp(out + ".err"));
  return parse_images(launch_test::slurp(out));
}

// waitpid with a deadline: the status, or -1 when `pid` is still running at the deadline.
bool wait_until(pid_t pid, std::chrono::steady_clock::time_point deadline, int& status) {
  for (;;) {
    if (::waitpid(pid, &status, WNOHANG) == pid) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
}

int exit_status(int wstatus) {
  return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
}

// The direct children of `pid` (every thread's /proc/PID/task/TID/children).
std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& task : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::istringstream in(launch_test::slurp(task.path() / "children"));
    for (pid_t child; in >> child;) out.push_back(child);
  }
  return out;
}

// Whether 127.0.0.1:`port` accepts a connection in the network namespace of `pid`.
bool port_answers(pid_t pid, int port) {
  const std::string ns = "/proc/" + std::to_string(pid) + "/ns/net";
  const pid_t child = ::fork();
  if (child == 0) {
    const int fd = ::open(ns.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) ::_exit(2);
    const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::_exit(::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 ? 0 : 1);
  }
  int st = 0;
  return child > 0 && ::waitpid(child, &st, 0) == child && exit_status(st) == 0;
}

// Starts `argv` with stdin from /dev/null and stdout, stderr to the files named.
pid_t spawn(const std::vector<std::string>& argv, const std::string& out, const std::string& err) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int in = ::open("/dev/null", O_RDONLY);
    const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || o < 0 || e < 0) ::_exit(127);
    ::dup2(in, 0);
    ::dup2(o, 1);
    ::dup2(e, 2);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  if (pid < 0) throw std::runtime_error("fork failed");
  return pid;
}

}  // namespace

const Image& image(const std::string& service) {
  static const std::map<std::string, Image> images = load_images();
  auto it = images.find(service);
  if (it == images.end()) throw std::runtime_error("tools/test-images listed no " + service);
  return it->second;
}

std::vector<std::string> run_args(const std::string& service, std::vector<std::string> options) {
  return run_args(service, image(service).path, std::move(options));
}

std::vector<std::string> run_args(const std::string& service, const std::string& image,
                                  std::vector<std::string> options) {
  if (service == "postgres") options.insert(options.end(), {"-u", "postgres"});
  options.push_back(image);
  if (service == "postgres")
    options.insert(options.end(),
                   {"/usr/lib/postgresql/15/bin/postgres", "-D", "/etc/postgresql/15/main"});
  return options;
}

std::string image_with_file(const std::string& service, const std::string& file,
                            const std::string& dest) {
  using launch_test::shell_quote;
  const Image& from = image(service);
  const auto stamp = fs::last_write_time(file).time_since_epoch().count();
  const std::string key = std::to_string(std::hash<std::string>{}(
      from.path + "\n" + file + "\n" + dest + "\n" + std::to_string(stamp)));
  const fs::path dir = fs::path(state_root()).parent_path() / "services-derived";
  const std::string layout = (dir / (service + "-" + key)).string();
  if (fs::exists(layout + "/index.json")) return layout + ":attack";
  fs::create_directories(dir);
  const std::string tmp = layout + ".tmp" + std::to_string(::getpid());
  const std::string t = shell_quote(tmp), ref = shell_quote(tmp + ":attack");
  std::string make;
  if (from.format == "rootfs-tar")
    make = "umoci init --layout " + t + " && umoci new --image " + ref +
           " && umoci raw add-layer --image " + ref + " " + shell_quote(from.path);
  else
    make = "skopeo copy --quiet " +
           shell_quote((from.format == "oci" ? "oci:" : "docker-archive:") + from.path) +
           " oci:" + ref;
  // The file's layer is made with tar: umoci 0.4.7's `insert` writes a tar without its end (and
  // the last block's padding), which policyrun rightly refuses as truncated.
  const std::string layer = shell_quote(tmp + ".layer"),
                    in_layer = shell_quote(tmp + ".layer" + dest);
  make += " && mkdir -p \"$(dirname " + in_layer + ")\" && cp " + shell_quote(file) + " " +
          in_layer + " && tar -C " + layer + " --numeric-owner --owner=0 --group=0 -cf " + layer +
          ".tar . && umoci raw add-layer --image " + ref + " " + layer + ".tar";
  const std::string log = tmp + ".log";
  const int rc = std::system(("rm -rf " + t + " && (" + make + ") >" + log + " 2>&1").c_str());
  const std::string output = launch_test::slurp(log);
  fs::remove(log);
  // A concurrent test binary may have made the same layout first: then that one is used.
  const bool made =
      rc == 0 && (::rename(tmp.c_str(), layout.c_str()) == 0 || fs::exists(layout + "/index.json"));
  fs::remove_all(tmp);
  fs::remove_all(tmp + ".layer");
  fs::remove(tmp + ".layer.tar");
  if (made)  // the layouts of an older library or image are of no more use
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().filename().string().rfind(service + "-", 0) == 0 && e.path() != layout)
        fs::remove_all(e.path());
  if (!made)
    throw std::runtime_error("cannot add " + file + " to the " + service + " image: " + make +
                             "\n" + output);
  return layout + ":attack";
}

std::string policy_for(const std::string& file) {
  if (const char* dir = std::getenv("POLICY_SERVICES_POLICY_DIR"); dir && *dir)
    return std::string(dir) + "/" + file;
  return source_dir() + "/policies/" + file;
}

const std::string& state_root() {
  // Beside the test binary: the unpacked images stay cached between runs of the suite.
  static const std::string root =
      (fs::read_symlink("/proc/self/exe").parent_path() / "services-state").string();
  return root;
}

Service::Service(const std::string& policy, const std::vector<std::string>& args)
    : name_("svc-" + policy::runtime::random_hex(5)), base_(launch_test::scratch() + "/" + name_) {
  std::vector<std::string> argv = {
      launch_test::policyrun_binary(), "--policy", policy, "--root", state_root(), "--name", name_};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_ = spawn(argv, base_ + ".out", base_ + ".err");
}

Service::~Service() {
  if (pid_ > 0) stop();
}

bool Service::exited() {
  if (pid_ <= 0) return true;
  int st = 0;
  if (::waitpid(pid_, &st, WNOHANG) != pid_) return false;
  status_ = exit_status(st);
  pid_ = -1;
  return true;
}

pid_t Service::first_process() const {
  if (pid_ <= 0) return 0;
  const auto c = children_of(pid_);
  return c.empty() ? 0 : c.front();
}

std::vector<pid_t> Service::processes() const {
  std::vector<pid_t> all;
  if (pid_t first = first_process()) all.push_back(first);
  for (size_t i = 0; i < all.size(); ++i)
    for (pid_t c : children_of(all[i])) all.push_back(c);
  return all;
}

std::string Service::wait_for_port(int port, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (exited())
      return "policyrun exited with status " + std::to_string(status_) + " before port " +
             std::to_string(port) + " answered:\n" + err();
    if (const pid_t first = first_process(); first && port_answers(first, port)) return "";
    std::this_thread::sleep_for(100ms);
  }
  return "port " + std::to_string(port) + " did not answer within " +
         std::to_string(timeout.count()) + " s:\n" + err();
}

Output Service::client(const std::vector<std::string>& argv, std::chrono::seconds timeout) const {
  const pid_t first = first_process();
  if (!first) return Output{-1, "", "the container has no process"};
  static int serial = 0;
  const std::string base = base_ + "-client-" + std::to_string(++serial);
  std::vector<std::string> cmd = {"nsenter", "--net=/proc/" + std::to_string(first) + "/ns/net",
                                  "--"};
  cmd.insert(cmd.end(), argv.begin(), argv.end());
  const pid_t pid = spawn(cmd, base + ".out", base + ".err");
  int st = 0;
  if (!wait_until(pid, std::chrono::steady_clock::now() + timeout, st)) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &st, 0);
    return Output{-1, launch_test::slurp(base + ".out"),
                  launch_test::slurp(base + ".err") + "(timed out)"};
  }
  return Output{exit_status(st), launch_test::slurp(base + ".out"),
                launch_test::slurp(base + ".err")};
}

int Service::stop(std::chrono::seconds timeout) {
  if (pid_ <= 0) return status_;
  ::kill(pid_, SIGTERM);
  int st = 0;
  if (!wait_until(pid_, std::chrono::steady_clock::now() + timeout, st)) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &st, 0);
    // Its container died with it; what the run left (cgroups, record) is removed by the next
    // policyrun command of this root, as a user's next command would.
    launch_test::run_policyrun({"ps", "-a", "--root", state_root()});
  }
  status_ = exit_status(st);
  pid_ = -1;
  return status_;
}

std::string Service::out() const {
  return launch_test::slurp(base_ + ".out");
}

std::string Service::err() const {
  return launch_test::slurp(base_ + ".err");
}

std::string Service::leftovers() const {
  std::string left;
  for (const std::string& p :
       {state_root() + "/run/" + name_, state_root() + "/run/" + name_ + ".lock",
        state_root() + "/containers/" + name_})
    if (fs::exists(fs::symlink_status(p))) left += p + "\n";
  for (const auto& dir : launch_test::policyrun_cgroup_dirs())
    if (fs::path(dir).filename() == name_) left += dir + "\n";
  return left;
}

std::string uid_of(pid_t pid) {
  std::istringstream in(launch_test::slurp("/proc/" + std::to_string(pid) + "/status"));
  for (std::string line; std::getline(in, line);)
    if (line.rfind("Uid:", 0) == 0) {
      std::istringstream fields(line.substr(4));
      std::string real;
      fields >> real;
      return real;
    }
  return "";
}

std::string comm_of(pid_t pid) {
  std::string c = launch_test::slurp("/proc/" + std::to_string(pid) + "/comm");
  if (!c.empty() && c.back() == '\n') c.pop_back();
  return c;
}

void ServiceTest::SetUp() {
  SKIP_UNLESS(needs::root(), needs::program(launch_test::policyrun_binary()),
              needs::program("/usr/bin/nsenter"));
  service_ = std::make_unique<Service>(policy_for(policy_), run_args(service_name_));
  ASSERT_EQ(service_->wait_for_port(port_, std::chrono::seconds(60)), "");
}

void ServiceTest::TearDown() {
  if (!service_) return;
  const bool was_running = !service_->exited();
  const int status = service_->stop();
  // SIGTERM ends the service: policyrun returns its status (0, or 128+15 when it does not
  // catch it). A run that ended early has already failed the test in start().
  if (was_running) {
    EXPECT_TRUE(status == 0 || status == 128 + SIGTERM) << "policyrun exited " << status;
  }
  EXPECT_EQ(service_->leftovers(), "");
  if (HasFailure()) std::cerr << "--- policyrun's stderr:\n" << service_->err();
}

}  // namespace services
