// SharedValue<T>: an immutable T behind a shared pointer, with value semantics. For large parts
// of a Durable that change rarely but are persisted often (a Raft snapshot's state machine, which
// the node hands to the driver whole after every append): a copy copies one pointer.
//
// Copies share the one T; it is never modified after construction (a new value is a new
// SharedValue), so sharing is safe across copies and threads. Comparison compares the values
// (equal pointers first). To the codec, describe() and fingerprints it is exactly a T
// (is_shared_value below): the same bytes, the same text.
//
// Invariant: ptr_ is never null (a default SharedValue holds a default T).
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

#include "sim/core/fields.h"

namespace faultline {

template <class T>
class SharedValue {
 public:
  using value_type = T;

  SharedValue() : ptr_(std::make_shared<const T>()) {}
  // Implicit, so a T converts wherever a SharedValue<T> is expected (aggregate initialisers).
  SharedValue(T value) : ptr_(std::make_shared<const T>(std::move(value))) {}

  const T& get() const { return *ptr_; }
  const T& operator*() const { return *ptr_; }
  const T* operator->() const { return ptr_.get(); }

  // Whether two values share one T (copies of each other): equal without comparing.
  bool shares_with(const SharedValue& other) const { return ptr_ == other.ptr_; }

  friend bool operator==(const SharedValue& a, const SharedValue& b) {
    return a.ptr_ == b.ptr_ || *a.ptr_ == *b.ptr_;
  }

 private:
  std::shared_ptr<const T> ptr_;
};

// The codec, describe() and fingerprints treat it as the T it holds.
template <class T>
struct is_shared_value<SharedValue<T>> : std::true_type {};

}  // namespace faultline
