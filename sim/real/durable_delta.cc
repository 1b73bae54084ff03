#include "sim/real/durable_delta.h"

#include <iterator>
#include <limits>

namespace faultline::real {

auto DeltaEncoder::Pass::find(const void* data, std::size_t first, std::size_t last)
    -> const Piece* {
  in_place_ = false;
  if (!diverged_) {
    std::vector<Piece>& chunks = owner_.pieces_;
    if (walked_ < chunks.size() && chunks[walked_].same(data, first, last)) {
      in_place_ = true;
      return &chunks[walked_];
    }
    diverge();
  }
  if (rest_next_ < rest_.size() && rest_[rest_next_].same(data, first, last)) {
    found_ = rest_[rest_next_++];
    return &found_;
  }
  if (rest_.empty()) return nullptr;
  if (rest_index_.empty())
    for (std::size_t i = 0; i < rest_.size(); ++i) rest_index_.emplace(rest_[i].pin.get(), i);
  const auto it = rest_index_.find(data);
  if (it == rest_index_.end() || !rest_[it->second].same(data, first, last)) return nullptr;
  found_ = rest_[it->second];
  rest_next_ = it->second + 1;
  return &found_;
}

// The value's chunks stop following the previous value's: what is left of the old list becomes
// the set searched, and the new list continues from here.
void DeltaEncoder::Pass::diverge() {
  FL_ASSERT(!diverged_, "diverges once");
  std::vector<Piece>& chunks = owner_.pieces_;
  rest_.assign(std::make_move_iterator(chunks.begin() + static_cast<std::ptrdiff_t>(walked_)),
               std::make_move_iterator(chunks.end()));
  chunks.resize(walked_);
  diverged_ = true;
}

void DeltaEncoder::Pass::advance_in_place(std::uint64_t at) {
  Piece& chunk = owner_.pieces_[walked_];
  FL_ASSERT(chunk.length == value_bytes_ - at, "a reused chunk keeps its length");
  chunk.offset = at;
  ++walked_;
  in_place_ = false;
}

void DeltaEncoder::Pass::put_u32(std::uint64_t v) {
  FL_ASSERT(v <= std::numeric_limits<std::uint32_t>::max(), "fits the record's u32 fields");
  for (int i = 0; i < 4; ++i) record_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void DeltaEncoder::Pass::put_u32_at(std::size_t at, std::uint64_t v) {
  FL_ASSERT(v <= std::numeric_limits<std::uint32_t>::max(), "fits the record's u32 fields");
  FL_ASSERT(at + 4 <= record_.size(), "patches bytes already written");
  for (std::size_t i = 0; i < 4; ++i) record_[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

void DeltaEncoder::Pass::open_insert() {
  if (insert_at_ != 0) return;
  copy_at_ = 0;
  insert_at_ = record_.size();
  record_.push_back(durable_record::op_insert);
  put_u32(0);  // its length, patched by close_insert()
}

void DeltaEncoder::Pass::close_insert() {
  if (insert_at_ == 0) return;
  const std::size_t length = record_.size() - insert_at_ - 5;
  FL_ASSERT(length > 0, "an insert op is opened by a write");
  put_u32_at(insert_at_ + 1, length);
  insert_at_ = 0;
}

void DeltaEncoder::Pass::copy(std::uint64_t offset, std::uint64_t length) {
  FL_ASSERT(length > 0, "a full chunk has bytes");
  close_insert();
  value_bytes_ += length;
  reused_bytes_ += length;
  if (copy_at_ != 0 && copy_end_ == offset) {  // continues the last copy: one op for the run
    copied_ += length;
    copy_end_ += length;
    put_u32_at(copy_at_ + 5, copied_);
    return;
  }
  copy_at_ = record_.size();
  record_.push_back(durable_record::op_copy);
  put_u32(offset);
  put_u32(length);
  copy_end_ = offset + length;
  copied_ = length;
}

auto DeltaEncoder::Pass::finish() -> Encoded {
  close_insert();
  if (!diverged_) owner_.pieces_.resize(walked_);  // chunks the new value no longer holds
  Encoded out;
  out.value_bytes = value_bytes_;
  out.reused_bytes = reused_bytes_;
  if (reused_bytes_ == 0) {  // nothing reused: one insert op (or none), so the value whole
    const std::size_t ops = value_bytes_ == 0 ? header_bytes : header_bytes + 5;
    FL_ASSERT(record_.size() == ops + value_bytes_, "one insert op holds the value");
    out.bytes.assign(record_.begin() + static_cast<std::ptrdiff_t>(ops), record_.end());
    return out;
  }
  record_[0] = durable_record::kind_delta;
  put_u32_at(1, value_bytes_);
  out.bytes = std::move(record_);
  out.delta = true;
  return out;
}

}  // namespace faultline::real
