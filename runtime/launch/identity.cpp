#include "runtime/launch/identity.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <limits.h>
#include <sstream>

#include "compiler/common/error.hpp"
#include "runtime/common/host.hpp"
#include "runtime/launch/fds.hpp"
#include "runtime/launch/files.hpp"
#include "runtime/launch/mounts.hpp"

namespace policy::launch::identity {
namespace {

bool has_key(const std::vector<std::string>& env, const std::string& key) {
  for (const auto& kv : env)
    if (kv.rfind(key + "=", 0) == 0) return true;
  return false;
}

// A host without the file: the container gets the defaults below.
std::string host_file(const std::string& path) {
  return files::try_read(path).value_or("");
}

// Docker's /etc/hosts for a container in a network namespace of its own. Without an address of
// its own, the hostname maps to 127.0.1.1, as Debian's installer does for a host without a fixed
// address: it resolves, it is on the loopback device, and it stays apart from "localhost". The
// containers it shares the network with follow, one line each.
std::string container_hosts(const std::string& hostname, const NetworkNames& names) {
  std::string peers;
  for (const auto& [address, name] : names.peers) peers += address + "\t" + name + "\n";
  return std::string(
             "127.0.0.1\tlocalhost\n"
             "::1\tlocalhost ip6-localhost ip6-loopback\n"
             "fe00::0\tip6-localnet\n"
             "ff00::0\tip6-mcastprefix\n"
             "ff02::1\tip6-allnodes\n"
             "ff02::2\tip6-allrouters\n") +
         (names.address.empty() ? "127.0.1.1" : names.address) + "\t" + hostname + "\n" + peers;
}

}  // namespace

bool loopback_address(const std::string& a) {
  return a.rfind("127.", 0) == 0 || a == "::1" || a == "0:0:0:0:0:0:0:1";
}

std::string hostname(const std::optional<std::string>& policy_hostname, bool new_uts,
                     const std::string& run_id) {
  if (policy_hostname) return *policy_hostname;
  if (new_uts) return run_id.substr(0, 12);
  char buf[HOST_NAME_MAX + 1] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) throw sys_error("gethostname");
  return buf;
}

std::string container_resolv_conf(const std::string& host,
                                  const std::vector<std::string>& nameservers) {
  std::istringstream in(host);
  std::string out;
  for (const std::string& n : nameservers) out += "nameserver " + n + "\n";
  bool nameserver = !nameservers.empty();
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string key, address;
    words >> key >> address;
    if (key == "nameserver") {
      if (!nameservers.empty() || loopback_address(address)) continue;
      nameserver = true;
    }
    out += line + "\n";
  }
  if (!nameserver)
    out +=
        "# the host's nameservers are on its loopback, out of the container's reach: Docker's "
        "fallback\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n";
  return out;
}

EtcFiles etc_files(const std::string& hostname, bool new_netns, const NetworkNames& names) {
  new_netns = new_netns || names.any();
  EtcFiles f;
  f.hostname = hostname + "\n";
  std::string hosts = new_netns ? std::string() : host_file("/etc/hosts");
  f.hosts = hosts.empty() ? container_hosts(hostname, names) : hosts;
  std::string resolv = host_file("/etc/resolv.conf");
  f.resolv_conf = new_netns ? container_resolv_conf(resolv, names.nameservers) : resolv;
  return f;
}

void provide_etc_files(int root, const EtcFiles& files, bool readonly, std::ostream& log) {
  const std::string what = "providing /etc/hostname, /etc/hosts and /etc/resolv.conf";
  const std::pair<const char*, const std::string*> wanted[] = {
      {"hostname", &files.hostname}, {"hosts", &files.hosts}, {"resolv.conf", &files.resolv_conf}};
  // The sources live on the container's own /dev tmpfs (nothing on the host's disk), in a
  // directory that is removed again before the command runs: the binds keep the files alive.
  UniqueFd dev = mounts::open_in_root(root, "/dev", O_RDONLY | O_DIRECTORY, what);
  if (!dev.valid()) throw Error(what + ": the container's /dev is missing");
  const char* staging = ".policyrun-etc";
  if (::mkdirat(dev.get(), staging, 0755) != 0)
    throw sys_error(what + ": mkdir", "/dev/.policyrun-etc");
  UniqueFd dir(::openat(dev.get(), staging, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  struct Cleanup {
    int dev, dir;
    const char* staging;
    ~Cleanup() {
      for (const char* n : {"hostname", "hosts", "resolv.conf"}) ::unlinkat(dir, n, 0);
      ::unlinkat(dev, staging, AT_REMOVEDIR);
    }
  } cleanup{dev.get(), dir.get(), staging};
  if (!dir.valid()) throw sys_error(what + ": open", "/dev/.policyrun-etc");

  for (const auto& [name, text] : wanted) {
    const std::string target = std::string("/etc/") + name;
    UniqueFd t;
    try {
      t = mounts::ensure_in_root(root, target, mounts::Leaf::File, what);
    } catch (const Error& e) {
      if (e.sys_errno() == ELOOP) {
        log << "policyrun: warning: " << target
            << " in the image is (or passes through) a symbolic link: left as the image made it, "
               "without the runtime's "
            << name << " (nothing is mounted through an image's symlink)\n";
        continue;
      }
      // In a user namespace the image's /etc belongs to an id outside it: the container's root
      // cannot add a missing file there. The container goes without it, as its image made it.
      if (e.sys_errno() == EACCES || e.sys_errno() == EPERM) {
        log << "policyrun: warning: " << target
            << " is missing in the image and cannot be created there (" << e.what()
            << "): the container runs without the runtime's " << name << "\n";
        continue;
      }
      throw;
    }
    struct stat st;
    if (::fstat(t.get(), &st) != 0) throw sys_error(what + ": stat", target);
    if (!S_ISREG(st.st_mode)) {
      log << "policyrun: warning: " << target
          << " in the image is not a regular file: left as the image made it\n";
      continue;
    }
    {
      UniqueFd src(
          ::openat(dir.get(), name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644));
      if (!src.valid())
        throw sys_error(what + ": create", std::string("/dev/") + staging + "/" + name);
      runtime::write_fd(src.get(), *text, "identity: write", target);
      if (::fchmod(src.get(), 0644) != 0) throw sys_error(what + ": chmod", target);
    }
    UniqueFd src(::openat(dir.get(), name, O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!src.valid() || ::mount(fds::fd_path(src.get()).c_str(), fds::fd_path(t.get()).c_str(),
                                nullptr, MS_BIND, nullptr) != 0)
      throw sys_error(what + ": bind", target);
    UniqueFd bound = mounts::open_in_root(root, target, O_PATH, what);
    struct mount_attr attr {};
    attr.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC |
                    (readonly ? MOUNT_ATTR_RDONLY : 0);
    if (!bound.valid() || ::mount_setattr(bound.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) != 0)
      throw sys_error(what + ": mount_setattr", target);
  }
}

void add_home(std::vector<std::string>& env, const std::string& home) {
  if (!has_key(env, "HOME")) env.push_back("HOME=" + home);
}

void add_hostname(std::vector<std::string>& env, const std::string& hostname) {
  if (!has_key(env, "HOSTNAME")) env.push_back("HOSTNAME=" + hostname);
}

}  // namespace policy::launch::identity
