// Text helpers of the runtime's base room.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace policy::runtime {

// The fields of `text` between each `sep`, empty ones included ("a::b:" -> a, "", b, ""); one
// empty field for empty text. For paths, /etc/passwd lines, comma lists, mountinfo lines.
std::vector<std::string> split(std::string_view text, char sep);

// A process chooses its own command line and name: control characters (an escape sequence that
// would drive the operator's terminal, a newline that would forge a row) become '?', as ps(1)
// shows them.
std::string printable(std::string s);

// Two lowercase hex digits per byte.
std::string hex_bytes(std::string_view bytes);

}  // namespace policy::runtime
