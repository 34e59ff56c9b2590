// Placeholder: the store's implementation lands with the lifecycle commands (issue 13).
#include "runtime/container/store.hpp"
