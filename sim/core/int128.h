// 128-bit integers for exact fixed-point arithmetic (a GCC/Clang extension; __extension__
// keeps -Wpedantic quiet about it in one place instead of everywhere).
#pragma once

namespace faultline {
__extension__ typedef unsigned __int128 uint128;
__extension__ typedef __int128 int128;
}  // namespace faultline
