// The container's network namespace: a new one starts with its loopback device down, so even
// 127.0.0.1 is "Network is unreachable". Docker (libnetwork) brings `lo` up; so does this.
#pragma once

namespace policy::launch::net {

// Sets IFF_UP on "lo" of the calling process's (new) network namespace. Needs CAP_NET_ADMIN
// there: the child calls it before it drops anything. Throws policy::Error on failure.
void bring_up_loopback();

}  // namespace policy::launch::net
