#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>

#include "checkers/linearizability/readers.h"
#include "test_util.h"

using namespace faultline::lin;
using namespace faultline::lin::testing;
using I = std::int64_t;

TEST_CASE("Jepsen etcd log: pairing, :fail dropped, :info unknown, line order is time",
          "[lin][readers]") {
  const std::string log =
      "INFO  jepsen.util - 3\t:invoke\t:read\tnil\n"
      "INFO  jepsen.util - 3\t:ok\t:read\t4\n"
      "INFO  jepsen.util - 1   :invoke :cas    [4 0]\n"  // spaces instead of tabs occur too
      "INFO  jepsen.util - 1\t:fail\t:cas\t[4 0]\n"
      "INFO  jepsen.util - 4\t:invoke\t:write\t2\n"
      "INFO  jepsen.util - 4\t:info\t:write\t:timed-out\n"
      "INFO  jepsen.util - 0\t:invoke\t:read\tnil\n"
      "INFO  jepsen.util - 0\t:fail\t:read\t:timed-out\n"
      "INFO  jepsen.util - 2\t:invoke\t:cas\t[1 2]\n";  // never completes
  auto h = read_jepsen_log(log, "t.log");
  REQUIRE(h);
  REQUIRE(h->operations.size() == 3);
  CHECK(h->operations[0] == [] {
    auto o = read(3, 1, 2, I{4});
    o.source_line = 1;
    return o;
  }());
  CHECK(h->operations[1].kind == OpKind::write);
  CHECK_FALSE(h->operations[1].completed());
  CHECK(h->operations[2].kind == OpKind::cas);
  CHECK(h->operations[2].argument == Value{I{1}});
  CHECK(h->operations[2].argument2 == Value{I{2}});
  CHECK_FALSE(h->operations[2].completed());
}

TEST_CASE("EDN key-value log", "[lin][readers]") {
  const std::string log =
      "{:process 9, :type :invoke, :f :append, :key \"0\", :value \"x 9 0 y\"}\n"
      "{:process 1, :type :invoke, :f :get, :key \"0\", :value nil}\n"
      "{:process 9, :type :ok, :f :append, :key \"0\", :value \"x 9 0 y\"}\n"
      "{:process 1, :type :ok, :f :get, :key \"0\", :value \"x 9 0 y\"}\n"
      "{:process 2, :type :invoke, :f :put, :key \"1\", :value \"p\"}\n"
      "{:process 2, :type :ok, :f :put, :key \"1\", :value \"p\"}\n";
  REQUIRE(detect_format(log) == HistoryFormat::edn);
  auto h = read_history(log, HistoryFormat::automatic, "kv.txt");
  REQUIRE(h);
  REQUIRE(h->operations.size() == 3);
  CHECK(h->operations[0].kind == OpKind::append);
  CHECK(h->operations[1].kind == OpKind::read);
  CHECK(h->operations[1].result == Value{std::string("x 9 0 y")});
  CHECK(h->operations[2].kind == OpKind::write);
  CHECK(h->operations[2].key == "1");
  CHECK(infer_model(*h) == ModelKind::append_list);
  CHECK(verdict_of(*h, ModelKind::append_list) == Verdict::linearizable);
}

TEST_CASE("JSONL round trip", "[lin][readers]") {
  History h{{write(0, 0, 10, I{1}, "a"), read(1, 5, 7, {}, "a"),
             write(2, 3, std::nullopt, std::string("s")), op(3, 11, 20, OpKind::cas, I{1}, I{2}),
             append(4, 12, 13, std::string("xy"), "l")}};
  std::ostringstream out;
  write_jsonl(h, out);
  auto back = read_jsonl(out.str(), "h.jsonl");
  REQUIRE(back);
  REQUIRE(back->operations.size() == h.operations.size());
  for (std::size_t i = 0; i < h.operations.size(); ++i) {
    Operation expected = h.operations[i];
    expected.source_line = static_cast<int>(i + 1);
    CHECK(back->operations[i] == expected);
  }
  auto failed = read_jsonl(
      R"({"client":1,"invoke":0,"return":1,"f":"write","value":3,"status":"fail"})", "f");
  REQUIRE(failed);
  CHECK(failed->operations.empty());
}

TEST_CASE("bad input is an error naming the file and line, never a crash", "[lin][readers]") {
  struct Case {
    std::string text;
    HistoryFormat format;
    int line;
    std::string what;
  };
  const std::vector<Case> cases = {
      {"{\"client\":1,\"invoke\":0,\"return\":1,\"f\":\"write\",\"value\":3}\n{\"client\":1,\"inv",
       HistoryFormat::jsonl, 2, "not valid JSON"},
      {"{\"client\":1,\"invoke\":5,\"return\":1,\"f\":\"write\",\"value\":3}", HistoryFormat::jsonl,
       1, "before"},
      {"{\"client\":1,\"invoke\":0,\"return\":1,\"f\":\"frob\"}", HistoryFormat::jsonl, 1,
       "unknown \"f\""},
      {"{\"client\":1,\"invoke\":0,\"return\":1,\"f\":\"read\",\"vlaue\":1}", HistoryFormat::jsonl,
       1, "unknown field"},
      {"INFO  jepsen.util - 3\t:invoke\t:read\tnil\nINFO  jepsen.util - 3\t:ok\t:read",
       HistoryFormat::jepsen, 2, "missing value"},
      {"INFO  jepsen.util - 3\t:invoke\t:read\tnil\ngarbage here\n", HistoryFormat::jepsen, 2,
       "not a Jepsen log line"},
      {"INFO  jepsen.util - 3\t:ok\t:read\t1\n", HistoryFormat::jepsen, 1, "never invoked"},
      {"INFO  jepsen.util - 3\t:invoke\t:cas\t[1\n", HistoryFormat::jepsen, 1, "[from to]"},
      {"{:process 1, :type :invoke, :f :get, :key \"0\", :value nil}\n{:process 1, :type :ok, :f "
       ":get, :key \"0\", :value \"x",
       HistoryFormat::edn, 2, "unterminated string"},
      {"{:process 1, :type :invoke, :f :get, :key \"0\", :value nil}\n{\"client\": 1}",
       HistoryFormat::edn, 2, "expected a :keyword"},
      {"\x01\x02 binary", HistoryFormat::automatic, 1, "not a Jepsen log line"},
  };
  for (const Case& c : cases) {
    auto h = read_history(c.text, c.format, "input.txt");
    INFO(c.text);
    REQUIRE_FALSE(h);
    CHECK(h.error().where == "input.txt");
    CHECK(h.error().line == c.line);
    CHECK(h.error().what.find(c.what) != std::string::npos);
  }
  auto missing = read_history_file("/nonexistent/history.log", HistoryFormat::automatic);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().to_string().find("/nonexistent/history.log") != std::string::npos);
}

TEST_CASE("a UTF-8 byte-order mark is skipped in every format", "[lin][readers]") {
  const std::string bom = "\xEF\xBB\xBF";
  const std::string jsonl =
      "{\"client\":1,\"invoke\":0,\"return\":1,\"f\":\"write\",\"value\":1}\n";
  const std::string jepsen =
      "INFO  jepsen.util - 3\t:invoke\t:read\tnil\nINFO  jepsen.util - 3\t:ok\t:read\t4\n";
  const std::string edn =
      "{:process 1, :type :invoke, :f :get, :key \"0\", :value nil}\n"
      "{:process 1, :type :ok, :f :get, :key \"0\", :value \"x\"}\n";
  CHECK(detect_format(bom + jsonl) == HistoryFormat::jsonl);
  CHECK(detect_format(bom + edn) == HistoryFormat::edn);
  for (const auto& [text, format] :
       {std::pair{jsonl, HistoryFormat::jsonl}, std::pair{jepsen, HistoryFormat::jepsen},
        std::pair{edn, HistoryFormat::edn}}) {
    for (HistoryFormat as : {format, HistoryFormat::automatic}) {
      auto with = read_history(bom + text, as, "bom.txt");
      auto without = read_history(text, as, "plain.txt");
      REQUIRE(with);
      REQUIRE(without);
      CHECK(*with == *without);
    }
  }
}

TEST_CASE("errors quote at most 80 bytes of a value", "[lin][readers]") {
  CHECK(excerpt("short") == "short");
  CHECK(excerpt(std::string(81, 'x')) == std::string(80, 'x') + "... (81 bytes)");
  // A cut never splits a UTF-8 character: "é" is two bytes, the 80th byte starts one.
  const std::string accents = std::string(79, 'a') + "\xC3\xA9" + "tail";
  CHECK(excerpt(accents) == std::string(79, 'a') + "... (85 bytes)");
  auto dir = read_history_file(FAULTLINE_SOURCE_DIR "/tests", HistoryFormat::automatic);
  REQUIRE_FALSE(dir);
  CHECK(dir.error().what == "is a directory; expected a history file");
}

TEST_CASE("the usual EDN layout and any other spacing or order of the same map read the same",
          "[lin][readers]") {
  const std::string usual =
      "{:process 4, :type :invoke, :f :append, :key \"7\", :value \"x 4 0 y\"}\n"
      "{:process 4, :type :ok, :f :append, :key \"7\", :value \"x 4 0 y\"}\n"
      "{:process 2, :type :invoke, :f :get, :key \"7\", :value nil}\n"
      "{:process 2, :type :ok, :f :get, :key \"7\", :value \"x 4 0 y\"}\n"
      "{:process 3, :type :invoke, :f :put, :key 12, :value 5}\n"
      "{:process 3, :type :info, :f :put, :key 12, :value :timed-out}\n";
  const std::string other =
      "{:value \"x 4 0 y\" :key \"7\" :f :append :type :invoke :process 4}\n"
      "{ :process 4 ,:type :ok,:f :append, :key \"7\", :value \"x 4 0 y\" }\r\n"
      "{:process 2, :type :invoke, :f :get, :key \"7\", :value nil, :time 17}\n"
      "{:process 2, :type :ok, :f :get, :key \"\\x7\", :value \"x 4 0 y\", :key \"7\"}\n"
      "{:process 3,  :type :invoke, :f :put, :key 12, :value 5}\n"
      "{:process 3, :type :info, :f :put, :key 12, :value :timed-out}\t\n";
  auto a = read_edn_log(usual, "usual.txt");
  auto b = read_edn_log(other, "other.txt");
  REQUIRE(a);
  REQUIRE(b);
  CHECK(*a == *b);
  REQUIRE(a->operations.size() == 3);
  CHECK(a->operations[1].result == Value{std::string("x 4 0 y")});
  CHECK(a->operations[2].key == "12");
  CHECK_FALSE(a->operations[2].completed());
  // An escape leaves the usual layout's scanner to the general parser, which unescapes.
  auto escaped = read_edn_log(
      "{:process 1, :type :invoke, :f :put, :key \"k\", :value \"a\\\"b\\\\c\\nd\"}\n", "e.txt");
  REQUIRE(escaped);
  CHECK(escaped->operations[0].argument == Value{std::string("a\"b\\c\nd")});
}

TEST_CASE("every cut and every changed byte of a log is a history or an error naming the line",
          "[lin][readers]") {
  const std::vector<std::pair<std::string, HistoryFormat>> logs = {
      {"{:process 1, :type :invoke, :f :cas, :key \"0\", :value [1 2]}\n"
       "{:process 1, :type :ok, :f :cas, :key \"0\", :value [1 2]}\n"
       "{:process 2, :type :invoke, :f :get, :key \"0\", :value nil}\n"
       "{:process 2, :type :ok, :f :get, :key \"0\", :value \"2\"}\n",
       HistoryFormat::edn},
      {"INFO  jepsen.util - 3\t:invoke\t:cas\t[4 0]\n"
       "INFO  jepsen.util - 3\t:ok\t:cas\t[4 0]\n"
       "INFO  jepsen.util - 0\t:invoke\t:read\tnil\n"
       "INFO  jepsen.util - 0\t:ok\t:read\t0\n",
       HistoryFormat::jepsen},
  };
  const std::string bytes = std::string(" ,\t\r\n{}[]\":-09nilx\\") + '\x01' + '\xff';
  int errors = 0;
  for (const auto& [log, format] : logs) {
    auto expect_sane = [&, format = format](const std::string& text) {
      auto h = read_history(text, format, "input.txt");
      if (h) return;
      ++errors;
      const int lines = static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1;
      INFO(text);
      CHECK(h.error().where == "input.txt");
      CHECK(h.error().line >= 1);
      CHECK(h.error().line <= lines);
      CHECK_FALSE(h.error().what.empty());
    };
    for (std::size_t cut = 0; cut <= log.size(); ++cut) expect_sane(log.substr(0, cut));
    for (std::size_t i = 0; i < log.size(); ++i)
      for (char c : bytes) {
        std::string changed = log;
        changed[i] = c;
        expect_sane(changed);
      }
  }
  CHECK(errors > 1000);  // the changes above do reach the error paths
}
