// ChunkedVector against a std::vector model: the same elements after any sequence of appends,
// truncations and front drops; copies never see each other's writes; the codec gives the same
// bytes as for a std::vector.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <string>

#include "sim/core/chunked_vector.h"
#include "sim/core/codec.h"

using namespace faultline;

TEST_CASE(
    "ChunkedVector behaves like a std::vector under append, truncate and drop_front, and copies "
    "are independent") {
  rc::prop("matches the model; a snapshot copy keeps its contents",
           [](const std::vector<std::uint8_t>& script) {
             ChunkedVector<std::string> chunked;
             std::vector<std::string> model;
             std::vector<std::pair<ChunkedVector<std::string>, std::vector<std::string>>> copies;
             int counter = 0;
             for (std::uint8_t op : script) {
               switch (op % 5) {
                 case 0:
                 case 1:
                   // Up to 70 at a time, or up to 2,800 (blocks hold 4,096).
                   for (int i = 0; i < (1 + op % 70) * (op >= 128 ? 40 : 1); ++i) {
                     chunked.push_back("v" + std::to_string(++counter));
                     model.push_back("v" + std::to_string(counter));
                   }
                   break;
                 case 2:
                   if (!model.empty()) {
                     const std::size_t keep = op % (model.size() + 1);
                     chunked.truncate(keep);
                     model.resize(keep);
                   }
                   break;
                 case 3:
                   if (!model.empty()) {
                     const std::size_t drop = op % (model.size() + 1);
                     chunked.drop_front(drop);
                     model.erase(model.begin(), model.begin() + static_cast<std::ptrdiff_t>(drop));
                   }
                   break;
                 case 4: copies.emplace_back(chunked, model); break;
               }
               RC_ASSERT(chunked.size() == model.size());
               for (std::size_t i = 0; i < model.size(); ++i) RC_ASSERT(chunked[i] == model[i]);
             }
             for (const auto& [copy, expected] : copies) {
               RC_ASSERT(copy.size() == expected.size());
               for (std::size_t i = 0; i < expected.size(); ++i) RC_ASSERT(copy[i] == expected[i]);
             }
             RC_ASSERT(encode_to_bytes(chunked) == encode_to_bytes(model));
             const auto decoded =
                 decode_from_bytes<ChunkedVector<std::string>>(encode_to_bytes(model));
             RC_ASSERT(decoded.has_value());
             RC_ASSERT(*decoded == chunked);
           });
}

// Copies that all keep writing: an append goes in place into a shared last chunk or block while
// no other holder has grown it, so a pool of copies appending, truncating, dropping and being
// replaced by copies of each other (or destroyed) must each still read exactly its model.
TEST_CASE("ChunkedVector copies that all append in place never see each other's elements") {
  rc::prop("every copy matches its model", [](const std::vector<std::uint16_t>& script) {
    using Pair = std::pair<ChunkedVector<std::string>, std::vector<std::string>>;
    std::vector<Pair> pool(4);
    int counter = 0;
    for (const std::uint16_t op : script) {
      auto& [chunked, model] = pool[op % pool.size()];
      const std::size_t arg = op / 32;
      switch (op / 4 % 8) {
        case 0:
        case 1:
        case 2:
          // Mostly short appends, so holders meet at the same end inside one chunk or block.
          for (std::size_t i = 0; i < 1 + (arg % 7 == 0 ? arg * 3 : arg % 3); ++i) {
            chunked.push_back("v" + std::to_string(++counter));
            model.push_back("v" + std::to_string(counter));
          }
          break;
        case 3:
          if (!model.empty()) {
            const std::size_t keep = model.size() - arg % (model.size() + 1) / 4;
            chunked.truncate(keep);
            model.resize(keep);
          }
          break;
        case 4:
          if (!model.empty()) {
            const std::size_t drop = arg % (model.size() + 1);
            chunked.drop_front(drop);
            model.erase(model.begin(), model.begin() + static_cast<std::ptrdiff_t>(drop));
          }
          break;
        case 5:
        case 6: pool[(op / 64 + 1) % pool.size()] = pool[op % pool.size()]; break;
        case 7: pool[op % pool.size()] = Pair{}; break;
      }
      for (const auto& [copy, expected] : pool) {
        RC_ASSERT(copy.size() == expected.size());
        for (std::size_t i = 0; i < expected.size(); ++i) RC_ASSERT(copy[i] == expected[i]);
      }
    }
    for (const auto& [copy, expected] : pool)
      RC_ASSERT(encode_to_bytes(copy) == encode_to_bytes(expected));
  });
}

// common_prefix skips the chunks a copy shares; its answer is the model's longest common prefix
// whatever the two sequences went through.
TEST_CASE("ChunkedVector::common_prefix equals the longest common prefix of the elements") {
  rc::prop("a copy changed at its end, or a different sequence",
           [](const std::vector<std::uint8_t>& bytes, std::uint8_t appended, bool unrelated,
              bool long_ones, std::uint16_t dropped) {
             std::vector<int> script;  // long ones span several blocks (4,096 elements each)
             for (std::uint8_t byte : bytes)
               for (int k = 0; k < (long_ones ? 97 : 1); ++k) script.push_back(byte + k);
             ChunkedVector<int> a;
             for (std::size_t i = 0; i < script.size(); ++i) a.push_back(script[i]);
             if (long_ones) a.drop_front(std::min<std::size_t>(dropped, a.size()));
             ChunkedVector<int> b = unrelated ? ChunkedVector<int>{} : a;
             if (unrelated)
               for (std::size_t i = 0; i < a.size(); ++i) b.push_back(i % 3 ? a[i] : 0);
             if (!b.empty()) b.truncate(b.size() - b.back() % b.size());
             for (int i = 0; i < appended % 100; ++i) b.push_back(-i);
             std::size_t expected = 0;
             while (expected < a.size() && expected < b.size() && a[expected] == b[expected])
               ++expected;
             RC_ASSERT(a.common_prefix(b) == expected);
             RC_ASSERT(b.common_prefix(a) == expected);
           });
}
