// The binary codec: one encoding for the wire, the fingerprint and the model checker's states.
//
// Encoding (little-endian, self-delimiting): unsigned integers as LEB128 varints, signed as
// zigzag varints, bool as one byte 0/1, strings and vectors as a varint count then the items,
// optional as a 0/1 byte then the value, variant as a varint alternative index (the wire tag,
// so new alternatives go at the end) then the value, structs as their fields in field-list
// order, strong ids as their integer, Duration/Time as zigzag nanoseconds.
//
// Decoding never trusts its input: every length is bounded by the bytes that remain, every bool,
// enum and variant tag is range-checked, and the first problem is reported with its byte offset.
#pragma once

#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "sim/core/fields.h"
#include "sim/core/ids.h"
#include "sim/core/result.h"
#include "sim/core/time.h"

namespace faultline {

// A sink that appends to a byte vector.
struct ByteWriter {
  std::vector<std::uint8_t> bytes;
  void write(const void* data, std::size_t size) {
    const auto* p = static_cast<const std::uint8_t*>(data);
    bytes.insert(bytes.end(), p, p + size);
  }
  void write_byte(std::uint8_t b) { bytes.push_back(b); }
};

template <class Sink>
[[gnu::always_inline]] inline void write_varint(Sink& sink, std::uint64_t value) {
  if (value < 0x80) {  // the common case: one byte
    sink.write_byte(static_cast<std::uint8_t>(value));
    return;
  }
  // 16 bytes so a sink may copy a fixed-size block (see FingerprintSink::write_block16).
  std::uint8_t buffer[16] = {};
  std::size_t n = 0;
  while (value >= 0x80) {
    buffer[n++] = static_cast<std::uint8_t>(value) | 0x80;
    value >>= 7;
  }
  buffer[n++] = static_cast<std::uint8_t>(value);
  if constexpr (requires { sink.write_block16(buffer, n); })
    sink.write_block16(buffer, n);
  else
    sink.write(buffer, n);
}

inline std::uint64_t zigzag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
inline std::int64_t unzigzag(std::uint64_t v) {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

template <class Sink, class T>
void encode(Sink& sink, const T& value);

namespace detail {
template <class Sink>
struct EncodeVisit {
  Sink& sink;
  template <class T>
  void operator()(std::string_view, const T& field) const {
    encode(sink, field);
  }
};
}  // namespace detail

template <class Sink, class T>
void encode(Sink& sink, const T& value) {
  if constexpr (std::is_same_v<T, bool>) {
    sink.write_byte(value ? 1 : 0);
  } else if constexpr (std::is_enum_v<T>) {
    write_varint(sink, static_cast<std::uint64_t>(value));
  } else if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T>) {
    write_varint(sink, value);
  } else if constexpr (std::is_integral_v<T>) {
    write_varint(sink, zigzag(value));
  } else if constexpr (StrongId<T>) {
    write_varint(sink, value.value);
  } else if constexpr (std::is_same_v<T, Duration> || std::is_same_v<T, Time>) {
    write_varint(sink, zigzag(value.nanoseconds));
  } else if constexpr (std::is_same_v<T, DurationRange>) {
    write_varint(sink, zigzag(value.min.nanoseconds));
    write_varint(sink, zigzag(value.max.nanoseconds));
  } else if constexpr (std::is_same_v<T, std::string>) {
    write_varint(sink, value.size());
    sink.write(value.data(), value.size());
  } else if constexpr (is_vector<T>::value) {
    write_varint(sink, value.size());
    if constexpr (requires { sink.encode_items(value); })
      sink.encode_items(value);  // a sink that reuses bytes it wrote before (durable_delta.h)
    else
      for (const auto& item : value) encode(sink, item);
  } else if constexpr (is_optional<T>::value) {
    sink.write_byte(value.has_value() ? 1 : 0);
    if (value) encode(sink, *value);
  } else if constexpr (is_variant<T>::value) {
    write_varint(sink, value.index());
    std::visit([&](const auto& alternative) { encode(sink, alternative); }, value);
  } else if constexpr (is_shared_value<T>::value) {
    encode(sink, value.get());
  } else if constexpr (requires {
                         typename T::key_type;
                         typename T::mapped_type;
                       }) {
    write_varint(sink, value.size());
    for (const auto& [k, v] : value) {
      encode(sink, k);
      encode(sink, v);
    }
  } else if constexpr (requires {
                         std::tuple_size<T>::value;
                         value[0];
                       }) {
    for (const auto& item : value) encode(sink, item);
  } else if constexpr (requires {
                         value.first;
                         value.second;
                       }) {
    encode(sink, value.first);
    encode(sink, value.second);
  } else {
    static_assert(HasFields<T>, "encode: type has no field list");
    T::fields(value, detail::EncodeVisit<Sink>{sink});
  }
}

template <class T>
std::vector<std::uint8_t> encode_to_bytes(const T& value) {
  ByteWriter writer;
  encode(writer, value);
  return std::move(writer.bytes);
}

// Reads from a byte span; the first error sticks and later reads return zeros.
class ByteReader {
 public:
  explicit ByteReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  std::size_t offset() const { return offset_; }
  std::size_t remaining() const { return bytes_.size() - offset_; }
  bool ok() const { return !error_; }
  const std::optional<Error>& error() const { return error_; }
  void set_error(std::string what) {
    if (!error_) error_ = Error{"byte " + std::to_string(offset_), 0, std::move(what)};
  }
  std::uint8_t read_byte() {
    if (remaining() < 1) {
      set_error("unexpected end of input");
      return 0;
    }
    return bytes_[offset_++];
  }
  std::uint64_t read_varint() {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const std::uint8_t b = read_byte();
      if (!ok()) return 0;
      if (shift == 63 && b > 1) {
        set_error("varint overflows 64 bits");
        return 0;
      }
      value |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return value;
    }
    set_error("varint longer than 10 bytes");
    return 0;
  }
  bool read_bytes(void* out, std::size_t size) {
    if (remaining() < size) {
      set_error("length " + std::to_string(size) + " exceeds the " + std::to_string(remaining()) +
                " bytes left");
      return false;
    }
    std::memcpy(out, bytes_.data() + offset_, size);
    offset_ += size;
    return true;
  }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t offset_ = 0;
  std::optional<Error> error_;
};

template <class T>
void decode_into(ByteReader& reader, T& value);

namespace detail {
struct DecodeVisit {
  ByteReader& reader;
  template <class T>
  void operator()(std::string_view, T& field) const {
    if (reader.ok()) decode_into(reader, field);
  }
};

template <class Variant, std::size_t I = 0>
void decode_variant(ByteReader& reader, Variant& value, std::uint64_t index) {
  if constexpr (I < std::variant_size_v<Variant>) {
    if (index == I) {
      decode_into(reader, value.template emplace<I>());
      return;
    }
    decode_variant<Variant, I + 1>(reader, value, index);
  }
}
}  // namespace detail

template <class T>
void decode_into(ByteReader& reader, T& value) {
  if constexpr (std::is_same_v<T, bool>) {
    const std::uint8_t b = reader.read_byte();
    if (b > 1) reader.set_error("bool byte is " + std::to_string(b));
    value = b == 1;
  } else if constexpr (std::is_enum_v<T>) {
    const std::uint64_t raw = reader.read_varint();
    value = static_cast<T>(raw);
    if constexpr (NamedEnum<T>) {
      if (reader.ok() && (raw > static_cast<std::uint64_t>(
                                    std::numeric_limits<std::underlying_type_t<T>>::max()) ||
                          to_string(value).empty()))
        reader.set_error("enum value " + std::to_string(raw) + " is out of range");
    }
  } else if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T>) {
    const std::uint64_t raw = reader.read_varint();
    if (raw > std::numeric_limits<T>::max())
      reader.set_error("integer " + std::to_string(raw) + " is out of range");
    value = static_cast<T>(raw);
  } else if constexpr (std::is_integral_v<T>) {
    const std::int64_t raw = unzigzag(reader.read_varint());
    if (raw < std::numeric_limits<T>::min() || raw > std::numeric_limits<T>::max())
      reader.set_error("integer " + std::to_string(raw) + " is out of range");
    value = static_cast<T>(raw);
  } else if constexpr (StrongId<T>) {
    decode_into(reader, value.value);
  } else if constexpr (std::is_same_v<T, Duration> || std::is_same_v<T, Time>) {
    value.nanoseconds = unzigzag(reader.read_varint());
  } else if constexpr (std::is_same_v<T, DurationRange>) {
    value.min.nanoseconds = unzigzag(reader.read_varint());
    value.max.nanoseconds = unzigzag(reader.read_varint());
  } else if constexpr (std::is_same_v<T, std::string>) {
    const std::uint64_t size = reader.read_varint();
    if (!reader.ok()) return;
    if (size > reader.remaining()) {
      reader.set_error("string length " + std::to_string(size) + " exceeds the " +
                       std::to_string(reader.remaining()) + " bytes left");
      return;
    }
    value.resize(size);
    reader.read_bytes(value.data(), size);
  } else if constexpr (is_vector<T>::value) {
    const std::uint64_t count = reader.read_varint();
    if (!reader.ok()) return;
    // Every item takes at least one byte, so a count above the bytes left is a lie.
    if (count > reader.remaining()) {
      reader.set_error("item count " + std::to_string(count) + " exceeds the " +
                       std::to_string(reader.remaining()) + " bytes left");
      return;
    }
    value.clear();
    value.reserve(count);
    for (std::uint64_t i = 0; i < count && reader.ok(); ++i)
      decode_into(reader, value.emplace_back());
  } else if constexpr (is_optional<T>::value) {
    const std::uint8_t flag = reader.read_byte();
    if (flag > 1) reader.set_error("optional flag is " + std::to_string(flag));
    if (flag == 1 && reader.ok())
      decode_into(reader, value.emplace());
    else
      value.reset();
  } else if constexpr (is_variant<T>::value) {
    const std::uint64_t index = reader.read_varint();
    if (!reader.ok()) return;
    if (index >= std::variant_size_v<T>) {
      reader.set_error("variant tag " + std::to_string(index) + " is unknown");
      return;
    }
    detail::decode_variant(reader, value, index);
  } else if constexpr (is_shared_value<T>::value) {
    typename T::value_type inner{};
    decode_into(reader, inner);
    value = T(std::move(inner));
  } else if constexpr (requires {
                         typename T::key_type;
                         typename T::mapped_type;
                       }) {
    const std::uint64_t count = reader.read_varint();
    if (!reader.ok()) return;
    if (count > reader.remaining()) {
      reader.set_error("entry count " + std::to_string(count) + " exceeds the bytes left");
      return;
    }
    value.clear();
    for (std::uint64_t i = 0; i < count && reader.ok(); ++i) {
      typename T::key_type k{};
      typename T::mapped_type v{};
      decode_into(reader, k);
      decode_into(reader, v);
      if (reader.ok() && !value.emplace(std::move(k), std::move(v)).second)
        reader.set_error("duplicate map key");
    }
  } else if constexpr (requires {
                         std::tuple_size<T>::value;
                         value[0];
                       }) {
    for (auto& item : value) decode_into(reader, item);
  } else if constexpr (requires {
                         value.first;
                         value.second;
                       }) {
    decode_into(reader, value.first);
    decode_into(reader, value.second);
  } else {
    static_assert(HasFields<T>, "decode: type has no field list");
    T::fields(value, detail::DecodeVisit{reader});
  }
}

// Decodes exactly one T from the whole span: trailing bytes are an error.
template <class T>
Result<T> decode_from_bytes(std::span<const std::uint8_t> bytes) {
  ByteReader reader(bytes);
  T value{};
  decode_into(reader, value);
  if (reader.ok() && reader.remaining() != 0)
    reader.set_error(std::to_string(reader.remaining()) + " trailing bytes");
  if (!reader.ok()) return std::unexpected(*reader.error());
  return value;
}

}  // namespace faultline
