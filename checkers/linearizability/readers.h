// Readers (and one writer) for history files: faultline JSON lines, Jepsen etcd logs and
// Jepsen/Knossos EDN maps.
//
// Every reader turns bad input into an Error naming the file and the 1-based line, never an
// assertion or a crash. Readers apply the history invariants of history.h: failed operations
// are dropped, operations with an :info/unknown outcome or no completion at all get no return
// time. Line-ordered logs (Jepsen, EDN) use the line index as time.
#pragma once

#include <istream>
#include <ostream>
#include <string>
#include <string_view>

#include "checkers/linearizability/history.h"
#include "sim/core/result.h"
#include "sim/core/text.h"

namespace faultline::lin {

enum class HistoryFormat { automatic, jsonl, jepsen, edn };

Result<HistoryFormat> parse_history_format(std::string_view name);  // auto|jsonl|jepsen|edn
std::string_view to_string(HistoryFormat format);

// Guesses the format from the first non-blank line; empty text is a (empty) Jepsen log.
// A leading byte-order mark is skipped.
HistoryFormat detect_format(std::string_view text);

// Every format accepts (and skips) a leading UTF-8 byte-order mark; error messages quote values
// through faultline::excerpt (sim/core/text.h), which tests call as lin::excerpt.
using faultline::excerpt;

// `source` names the input in errors ("histories/etcd_001.log"). Every reader skips a leading
// UTF-8 byte-order mark; read_history_file also refuses a directory and UTF-16 text.
Result<History> read_jsonl(std::string_view text, std::string_view source);
Result<History> read_jepsen_log(std::string_view text, std::string_view source);
Result<History> read_edn_log(std::string_view text, std::string_view source);
Result<History> read_history(std::string_view text, HistoryFormat format, std::string_view source);
Result<History> read_history_file(const std::string& path, HistoryFormat format);

// One JSON object per operation, in history order; read_jsonl(write_jsonl(h)) == h except for
// source_line.
void write_jsonl(const History& history, std::ostream& out);

}  // namespace faultline::lin
