// SharedValue<T>: an immutable T behind a shared pointer, with value semantics. For large parts
// of a Durable that change rarely but are persisted often (a Raft snapshot's state machine, which
// the node hands to the driver whole after every append): a copy copies one pointer.
// CopyOnWrite<T> (below) is its writable sibling: copies share a T until one of them writes.
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

// CopyOnWrite<T>: a T that copies share until one of them writes (mutable_value()), which then
// gets a T of its own first. For a large part of a state that is copied far more often than it
// is written between copies: the simulator copies a Raft leader before each of its steps (for
// leader_append_only) and most of those steps apply nothing to the state machine, so copying
// its maps each time was 3.6% of a Raft simulation. To the codec, describe() and fingerprints
// it is exactly a T, like SharedValue; comparison compares the values (equal pointers first).
//
// Invariant: ptr_ is never null (except in a moved-from value, which is only destroyed or
// assigned to). The holder that writes decides by the use count, as ChunkedVector does, so two
// copies must not be written from two threads at once; a value that is only read (get) may be.
template <class T>
class CopyOnWrite {
 public:
  using value_type = T;

  CopyOnWrite() : ptr_(std::make_shared<T>()) {}
  // Implicit, so a T converts wherever a CopyOnWrite<T> is expected (and decoders can wrap one).
  CopyOnWrite(T value) : ptr_(std::make_shared<T>(std::move(value))) {}

  const T& get() const { return *ptr_; }
  const T& operator*() const { return *ptr_; }
  const T* operator->() const { return ptr_.get(); }

  // The T to write: this value's own, copied first if another copy shares it.
  T& mutable_value() {
    if (ptr_.use_count() != 1) ptr_ = std::make_shared<T>(std::as_const(*ptr_));
    return *ptr_;
  }

  // Whether two values share one T (copies of each other, neither written since).
  bool shares_with(const CopyOnWrite& other) const { return ptr_ == other.ptr_; }

  friend bool operator==(const CopyOnWrite& a, const CopyOnWrite& b) {
    return a.ptr_ == b.ptr_ || *a.ptr_ == *b.ptr_;
  }

 private:
  std::shared_ptr<T> ptr_;
};

template <class T>
struct is_shared_value<CopyOnWrite<T>> : std::true_type {};

}  // namespace faultline
