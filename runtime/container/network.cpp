#include "runtime/container/network.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <sstream>

#include "compiler/common/error.hpp"
#include "runtime/common/host.hpp"
#include "runtime/common/text.hpp"
#include "runtime/launch/files.hpp"

namespace policy::container {
namespace {

// A port number of a -p value, 1..65535.
uint16_t port_number(const std::string& text, const std::string& spec) {
  if (text.empty() || text.size() > 5 || text.find_first_not_of("0123456789") != std::string::npos)
    throw Error("-p " + spec + ": '" + text +
                "' is not a port number; the form is [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|udp]");
  const unsigned long n = std::stoul(text);
  if (n == 0 || n > 65535)
    throw Error("-p " + spec + ": port " + text + " is out of range (1..65535)");
  return static_cast<uint16_t>(n);
}

// An IPv4 address of /proc/net/route (hex, in network byte order as the kernel stores it).
std::string route_address(const std::string& hex) {
  in_addr a{};
  a.s_addr = static_cast<in_addr_t>(std::stoul(hex, nullptr, 16));
  char buf[INET_ADDRSTRLEN] = {};
  return ::inet_ntop(AF_INET, &a, buf, sizeof buf) ? buf : "";
}

// Whether /proc/PID/net/route (the routes of PID's network namespace) has a default route.
bool has_default_route(pid_t pid) {
  auto table = launch::files::try_read("/proc/" + std::to_string(pid) + "/net/route");
  if (!table) return false;
  std::istringstream in(*table);
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string iface, destination;
    if (f >> iface >> destination && destination == "00000000") return true;
  }
  return false;
}

bool only_loopback_nameservers(const std::string& resolv_conf) {
  std::istringstream in(resolv_conf);
  bool any = false;
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string key, address;
    words >> key >> address;
    if (key != "nameserver") continue;
    if (!launch::identity::loopback_address(address)) return false;
    any = true;
  }
  return any;
}

}  // namespace

Port parse_port(const std::string& spec) {
  Port p;
  std::string rest = spec;
  if (auto slash = rest.rfind('/'); slash != std::string::npos) {
    p.proto = rest.substr(slash + 1);
    rest.resize(slash);
    if (p.proto != "tcp" && p.proto != "udp")
      throw Error("-p " + spec + ": protocol '" + p.proto + "' must be tcp or udp");
  }
  // [HOSTIP:]HOSTPORT:CONTAINERPORT; an IPv6 HOSTIP is written in brackets, as Docker's.
  std::vector<std::string> parts;
  if (!rest.empty() && rest[0] == '[') {
    auto close = rest.find(']');
    if (close == std::string::npos || close + 1 >= rest.size() || rest[close + 1] != ':')
      throw Error("-p " + spec + ": an IPv6 address goes in brackets: [::1]:8080:80");
    p.host_ip = rest.substr(1, close - 1);
    parts = runtime::split(rest.substr(close + 2), ':');
  } else {
    parts = runtime::split(rest, ':');
    if (parts.size() == 3) {
      p.host_ip = parts[0];
      parts.erase(parts.begin());
    }
  }
  if (parts.size() != 2)
    throw Error("-p " + spec +
                ": the form is [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|udp], e.g. -p 8080:80");
  if (!p.host_ip.empty()) {
    unsigned char buf[sizeof(in6_addr)];
    if (::inet_pton(AF_INET, p.host_ip.c_str(), buf) != 1 &&
        ::inet_pton(AF_INET6, p.host_ip.c_str(), buf) != 1)
      throw Error("-p " + spec + ": '" + p.host_ip + "' is not an IP address of this host");
  }
  p.host = port_number(parts[0], spec);
  p.container = port_number(parts[1], spec);
  return p;
}

std::string port_string(const Port& p) {
  std::string ip = p.host_ip.find(':') != std::string::npos ? "[" + p.host_ip + "]" : p.host_ip;
  return (ip.empty() ? "" : ip + ":") + std::to_string(p.host) + ":" + std::to_string(p.container) +
         "/" + p.proto;
}

HostRoute host_route() {
  HostRoute r;
  auto table = launch::files::try_read("/proc/net/route");
  if (!table) return r;
  std::istringstream in(*table);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string iface, destination, gateway;
    if (f >> iface >> destination >> gateway && destination == "00000000") {
      r.interface = iface;
      r.gateway = route_address(gateway);
      break;
    }
  }
  if (r.interface.empty()) return r;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return r;
  for (ifaddrs* a = list; a; a = a->ifa_next)
    if (a->ifa_addr && a->ifa_addr->sa_family == AF_INET && r.interface == a->ifa_name) {
      char buf[INET_ADDRSTRLEN] = {};
      auto* in4 = reinterpret_cast<sockaddr_in*>(a->ifa_addr);
      if (::inet_ntop(AF_INET, &in4->sin_addr, buf, sizeof buf)) r.address = buf;
      break;
    }
  ::freeifaddrs(list);
  return r;
}

PrivateNetwork::PrivateNetwork(std::vector<Port> ports)
    : ports_(std::move(ports)), route_(host_route()) {
  if (route_.interface.empty())
    throw Error(
        "network: the host has no default IPv4 route, which pasta copies into the container's "
        "private network; use --network none (loopback only) or --network host");
  forward_dns_ =
      only_loopback_nameservers(launch::files::try_read("/etc/resolv.conf").value_or(""));
  names_.address = route_.address;
  if (forward_dns_) names_.nameservers = {route_.gateway};
}

PrivateNetwork::~PrivateNetwork() {
  stop();
}

std::vector<std::string> PrivateNetwork::arguments() const {
  // As root, pasta must keep uid 0 (--runas 0) to enter the namespace; it gets the namespace as
  // an inherited descriptor (fd 3) because it cannot open /proc/PID/ns/net once it has dropped
  // its capabilities. Nothing is forwarded but the published ports: pasta's default ("auto")
  // would publish every port the container binds, and let the container reach every port the
  // host binds on its loopback.
  std::vector<std::string> a = {"pasta", "--foreground", "--quiet", "--runas",
                                "0",     "--config-net", "--netns", "/proc/self/fd/3"};
  bool tcp = false, udp = false;
  for (const Port& p : ports_) {
    (p.proto == "udp" ? udp : tcp) = true;
    // pasta binds one address per spec: ADDRESS/HOSTPORT:CONTAINERPORT.
    a.push_back(p.proto == "udp" ? "-u" : "-t");
    a.push_back((p.host_ip.empty() ? "" : p.host_ip + "/") + std::to_string(p.host) + ":" +
                std::to_string(p.container));
  }
  if (!tcp) a.insert(a.end(), {"-t", "none"});
  if (!udp) a.insert(a.end(), {"-u", "none"});
  a.insert(a.end(), {"-T", "none", "-U", "none"});
  if (forward_dns_) a.insert(a.end(), {"--dns-forward", route_.gateway});
  return a;
}

void PrivateNetwork::created(pid_t pid, int pidfd) {
  const std::string ns_path = "/proc/" + std::to_string(pid) + "/ns/net";
  runtime::UniqueFd ns(::open(ns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns.valid()) throw sys_error("network: open the container's network namespace", ns_path);
  log_.reset(::memfd_create("pasta-log", MFD_CLOEXEC));
  if (!log_.valid()) throw sys_error("network: memfd_create for pasta's messages");
  std::vector<std::string> args = arguments();
  std::vector<char*> argv;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t child = ::fork();
  if (child < 0) throw sys_error("network: fork to start pasta");
  if (child == 0) {
    // Pasta dies with the process that supervises the container, even when it is SIGKILLed.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    // Out of the terminal's process group: a Ctrl-C is the container's to handle (policyrun
    // forwards it), not a reason for its network to vanish.
    ::setsid();
    int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull < 0 || ::dup2(devnull, 0) < 0 || ::dup2(devnull, 1) < 0 ||
        ::dup2(log_.get(), 2) < 0 || ::dup2(ns.get(), 3) < 0 ||
        ::fcntl(3, F_SETFD, 0) != 0)  // dup2 onto itself keeps O_CLOEXEC
      ::_exit(127);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execvp("pasta", argv.data());
    const char* msg = "policyrun: cannot execute pasta: install Debian's passt package\n";
    [[maybe_unused]] auto n = ::write(2, msg, std::strlen(msg));
    ::_exit(127);
  }
  helper_ = child;
  helper_fd_.reset(static_cast<int>(::syscall(SYS_pidfd_open, child, 0)));
  if (state_) state_->network_helper_pid = child;
  wait_until_configured(pid, pidfd);
}

void PrivateNetwork::wait_until_configured(pid_t container, int pidfd) {
  // pasta has configured the namespace once it has a default route (set after the address).
  constexpr int kPollMs = 2, kTimeoutMs = 10000;
  for (int waited = 0; waited < kTimeoutMs; waited += kPollMs) {
    int status = 0;
    if (::waitpid(helper_, &status, WNOHANG) == helper_) {
      helper_ = -1;
      ::lseek(log_.get(), 0, SEEK_SET);
      std::string log;  // without pasta's complaints that it has no syslog to write to
      for (const std::string& line :
           runtime::split(runtime::try_read_fd(log_.get(), 4096).value_or(""), '\n'))
        if (!line.empty() && line.rfind("Failed to send", 0) != 0) log += line + "\n";
      throw Error("network: pasta (the private network's helper) failed to start (" +
                  std::string(WIFEXITED(status)
                                  ? "exit status " + std::to_string(WEXITSTATUS(status))
                                  : "killed") +
                  ")" + (log.empty() ? "" : ":\n" + log) +
                  "(is a published port already in use on the host?)");
    }
    if (has_default_route(container)) return;
    if (::syscall(SYS_pidfd_send_signal, pidfd, 0, nullptr, 0) != 0)
      throw Error("network: the container's process exited while its network was set up");
    struct timespec ts {
      0, kPollMs * 1000000L
    };
    ::nanosleep(&ts, nullptr);
  }
  throw Error("network: pasta did not configure the container's network within 10 s");
}

void PrivateNetwork::stop() {
  if (helper_ <= 0) return;
  if (helper_fd_.valid())
    ::syscall(SYS_pidfd_send_signal, helper_fd_.get(), SIGKILL, nullptr, 0);
  else
    ::kill(helper_, SIGKILL);
  while (::waitpid(helper_, nullptr, 0) < 0 && errno == EINTR) {
  }
  helper_ = -1;
  helper_fd_.reset();
}

}  // namespace policy::container
