// A shared library loaded with dlopen on first use, for the ones only some launches need: every
// library linked into policyrun costs every launch its loading and relocation (bench/README.md).
// A library that cannot be loaded is an Error that names it and says what to install.
#pragma once

#include <mutex>
#include <string>

namespace policy::image {

class LazyLibrary {
 public:
  // `soname` as dlopen takes it ("libcrypto.so.3"); `needed_for` and `remedy` finish the error:
  // "<needed_for> needs <soname>, which could not be loaded (<dlerror>); <remedy>".
  constexpr LazyLibrary(const char* soname, const char* needed_for, const char* remedy)
      : soname_(soname), needed_for_(needed_for), remedy_(remedy) {}
  LazyLibrary(const LazyLibrary&) = delete;
  LazyLibrary& operator=(const LazyLibrary&) = delete;

  void* handle();  // loads the library once; throws policy::Error when it cannot be loaded
  void* symbol(const char* name);  // throws policy::Error when the library lacks it

  // The function `name` with the type of the header's own declaration: pass decltype(&name).
  template <typename F>
  F function(const char* name) {
    return reinterpret_cast<F>(symbol(name));
  }

 private:
  const char* soname_;
  const char* needed_for_;
  const char* remedy_;
  std::once_flag once_;
  void* handle_ = nullptr;
  std::string failure_;
};

}  // namespace policy::image
