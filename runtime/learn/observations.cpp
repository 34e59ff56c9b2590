#include "runtime/learn/observations.hpp"

#include "compiler/common/error.hpp"

namespace policy::learn {

namespace {

void note_first(First& first, uint64_t count_before, const First& seen) {
  if (count_before == 0) first = seen;
}

void add_value(SyscallSeen& s, uint64_t value) {
  if (s.too_many_values) return;
  s.values.insert(value);
  if (s.values.size() > kMaxArgValues) {
    s.too_many_values = true;
    s.values.clear();
  }
}

constexpr std::pair<FileUse, const char*> kUseWords[] = {
    {kRead, "read"}, {kWrite, "write"}, {kCreate, "create"}, {kExec, "exec"}, {kMap, "map"}};

nlohmann::json first_json(const First& f) {
  return {{"pid", f.pid}, {"command", f.command}};
}

First first_of(const nlohmann::json& j) {
  return First{j.value("pid", 0), j.value("command", std::string())};
}

}  // namespace

void add_syscall(Observations& o, const std::string& arch, const std::string& syscall,
                 const First& first, int arg, uint64_t value) {
  SyscallSeen& s = o.syscalls[arch][syscall];
  note_first(s.first, s.count, first);
  ++s.count;
  if (arg < 0) return;
  s.arg = arg;
  add_value(s, value);
}

void add_file(Observations& o, const std::string& path, uint32_t use, const First& first) {
  FileSeen& f = o.files[path];
  note_first(f.first, f.count, first);
  ++f.count;
  f.use |= use;
}

void add_socket(Observations& o, int family, int type, const First& first) {
  SocketSeen& s = o.sockets[{family, type}];
  note_first(s.first, s.count, first);
  ++s.count;
}

void add_port(Observations& o, const std::string& kind, const std::string& protocol, int port,
              const First& first) {
  PortSeen& p = o.ports[{kind, protocol, port}];
  note_first(p.first, p.count, first);
  ++p.count;
}

void merge(Observations& into, const Observations& from) {
  for (const auto& [arch, calls] : from.syscalls)
    for (const auto& [name, s] : calls) {
      SyscallSeen& t = into.syscalls[arch][name];
      note_first(t.first, t.count, s.first);
      t.count += s.count;
      if (s.arg < 0) continue;
      t.arg = s.arg;
      t.too_many_values = t.too_many_values || s.too_many_values;
      if (t.too_many_values) t.values.clear();
      for (uint64_t v : s.values) add_value(t, v);
    }
  for (const auto& [arch, names] : from.runtime_syscalls)
    into.runtime_syscalls[arch].insert(names.begin(), names.end());
  for (const auto& [name, n] : from.enosys) into.enosys[name] += n;
  for (const auto& [path, f] : from.files) {
    FileSeen& t = into.files[path];
    note_first(t.first, t.count, f.first);
    t.count += f.count;
    t.use |= f.use;
  }
  for (const auto& [key, s] : from.sockets) {
    SocketSeen& t = into.sockets[key];
    note_first(t.first, t.count, s.first);
    t.count += s.count;
  }
  for (const auto& [key, p] : from.ports) {
    PortSeen& t = into.ports[key];
    note_first(t.first, t.count, p.first);
    t.count += p.count;
  }
  into.runs += from.runs;
}

nlohmann::json to_json(const Observations& o) {
  nlohmann::json j = {{"version", 1}, {"runs", o.runs}};
  nlohmann::json& sys = j["syscalls"] = nlohmann::json::object();
  for (const auto& [arch, calls] : o.syscalls)
    for (const auto& [name, s] : calls) {
      nlohmann::json e = {{"count", s.count}, {"first", first_json(s.first)}};
      if (s.arg >= 0) {
        e["arg"] = s.arg;
        e["values"] = s.values;
        if (s.too_many_values) e["too_many_values"] = true;
      }
      sys[arch][name] = std::move(e);
    }
  j["runtime_syscalls"] = o.runtime_syscalls;
  j["enosys"] = o.enosys;
  nlohmann::json& files = j["files"] = nlohmann::json::object();
  for (const auto& [path, f] : o.files) {
    std::vector<std::string> use;
    for (auto [bit, word] : kUseWords)
      if (f.use & bit) use.push_back(word);
    files[path] = {{"use", use}, {"count", f.count}, {"first", first_json(f.first)}};
  }
  nlohmann::json& sockets = j["sockets"] = nlohmann::json::array();
  for (const auto& [key, s] : o.sockets)
    sockets.push_back({{"family", key.first},
                       {"type", key.second},
                       {"count", s.count},
                       {"first", first_json(s.first)}});
  nlohmann::json& ports = j["ports"] = nlohmann::json::array();
  for (const auto& [key, p] : o.ports)
    ports.push_back({{"kind", std::get<0>(key)},
                     {"protocol", std::get<1>(key)},
                     {"port", std::get<2>(key)},
                     {"count", p.count},
                     {"first", first_json(p.first)}});
  return j;
}

Observations from_json(const nlohmann::json& j, const std::string& where) {
  Observations o;
  try {
    if (j.value("version", 0) != 1)
      throw Error(where +
                  ": the learn-data block is not version 1 of learn mode's record; "
                  "remove the '# learn-data:' lines (or the file) to start afresh");
    o.runs = j.value("runs", uint64_t{0});
    for (const auto& [arch, calls] : j.at("syscalls").items())
      for (const auto& [name, e] : calls.items()) {
        SyscallSeen& s = o.syscalls[arch][name];
        s.count = e.at("count").get<uint64_t>();
        s.first = first_of(e.at("first"));
        s.arg = e.value("arg", -1);
        if (s.arg >= 0) s.values = e.at("values").get<std::set<uint64_t>>();
        s.too_many_values = e.value("too_many_values", false);
      }
    o.runtime_syscalls =
        j.at("runtime_syscalls").get<std::map<std::string, std::set<std::string>>>();
    o.enosys = j.at("enosys").get<std::map<std::string, uint64_t>>();
    for (const auto& [path, e] : j.at("files").items()) {
      FileSeen& f = o.files[path];
      for (const auto& w : e.at("use"))
        for (auto [bit, word] : kUseWords)
          if (w.get<std::string>() == word) f.use |= bit;
      f.count = e.at("count").get<uint64_t>();
      f.first = first_of(e.at("first"));
    }
    for (const auto& e : j.at("sockets")) {
      SocketSeen& s = o.sockets[{e.at("family").get<int>(), e.at("type").get<int>()}];
      s.count = e.at("count").get<uint64_t>();
      s.first = first_of(e.at("first"));
    }
    for (const auto& e : j.at("ports")) {
      PortSeen& p = o.ports[{e.at("kind").get<std::string>(), e.at("protocol").get<std::string>(),
                             e.at("port").get<int>()}];
      p.count = e.at("count").get<uint64_t>();
      p.first = first_of(e.at("first"));
    }
  } catch (const nlohmann::json::exception& e) {
    // nlohmann reports a wrong shape only by throwing: name the file and what to do instead.
    throw Error(where + ": the learn-data block is damaged (" + e.what() +
                "); remove the '# learn-data:' lines (or the file) to start afresh");
  }
  return o;
}

}  // namespace policy::learn
