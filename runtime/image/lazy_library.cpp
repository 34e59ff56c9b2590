#include "runtime/image/lazy_library.hpp"

#include <dlfcn.h>

#include "compiler/common/error.hpp"

namespace policy::image {

void* LazyLibrary::handle() {
  std::call_once(once_, [this] {
    handle_ = ::dlopen(soname_, RTLD_NOW | RTLD_LOCAL);
    if (!handle_) {
      const char* e = ::dlerror();
      failure_ = e ? e : "unknown dlopen error";
    }
  });
  if (!handle_)
    throw Error(std::string(needed_for_) + " needs " + soname_ + ", which could not be loaded (" +
                failure_ + "); " + remedy_);
  return handle_;
}

void* LazyLibrary::symbol(const char* name) {
  void* sym = ::dlsym(handle(), name);
  if (!sym) throw Error(std::string(soname_) + " has no symbol " + name + " (too old a version?)");
  return sym;
}

}  // namespace policy::image
