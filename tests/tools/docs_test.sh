#!/usr/bin/env bash
# The docs test: the manuals say what the code does, and every link in them leads somewhere.
#
#   docs_test.sh FAULTLINE SOURCE_DIR   check the repository's Markdown files
#   docs_test.sh --self-test FAULTLINE  prove the check fails on a dead link, a dead anchor and
#                                       a runnable command that exits otherwise than stated
#
# 1. Links. Every relative link in every Markdown file git knows (tracked, or new and not
#    ignored) must name a file or folder of the repository (not outside it, not a build product),
#    and a #anchor must match a heading of the target Markdown file (or of the folder's README.md)
#    by GitHub's slug rules: lowercase, punctuation other than '-' and '_' removed, each space a
#    '-', a repeated heading suffixed -1, -2, ... Links inside code are not links.
# 2. Runnable blocks. A fenced sh/bash block right after the line `<!-- runnable -->` (or
#    `<!-- runnable: exit N -->`) is run with bash, with the faultline binary under test first on
#    PATH. Every command in it must exit 0 (or N). The blocks of one Markdown file run in order
#    in one scratch directory that mirrors the source directory by symlinks (and its parent's
#    shared/), so `scenarios/...` and `../shared/...` resolve as in the source directory while
#    every file a block writes lands in the scratch directory. A failure names the Markdown file,
#    the line and the command. Blocks run under a machine-wide lock because the cluster examples
#    listen on fixed loopback ports; nodes a block leaves running are stopped by their pid files.
set -u
export LC_ALL=C.UTF-8
shopt -s extglob nullglob

usage() { echo "usage: docs_test.sh FAULTLINE SOURCE_DIR | docs_test.sh --self-test FAULTLINE" >&2; exit 2; }

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# --- the files of the repository -------------------------------------------------------------

declare -A known=()   # every file and folder of the repository, relative to its root
list_files() {        # the files git knows (tracked, or new and not ignored); find otherwise
  if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git -C "$src" ls-files --cached --others --exclude-standard
  else
    (cd "$src" && find . -path './build*' -prune -o -path './.git' -prune -o -type f -print \
      | sed 's|^\./||')
  fi
}
load_known() {
  local f dir
  while IFS= read -r f; do
    [ -e "$src/$f" ] || continue  # deleted in the work tree but not yet in the index
    known[$f]=1
    dir=$f
    while [[ $dir == */* ]]; do dir=${dir%/*}; known[$dir]=1; done
  done < <(list_files)
}

# --- Markdown parsing ------------------------------------------------------------------------

# slug TEXT: sets slug to GitHub's anchor for a heading's text.
slug() {
  slug=$1
  while [[ $slug =~ \[([^]]*)\]\([^\)]*\) ]]; do
    slug=${slug/"${BASH_REMATCH[0]}"/"${BASH_REMATCH[1]}"}
  done
  slug=${slug,,}
  slug=${slug//[^[:alnum:] _-]/}
  slug=${slug// /-}
}

# Fences: a line opening with ``` or ~~~ (up to 3 spaces in) opens a code block, and the same
# run of characters, at least as long, closes it.
# fence_of LINE sets f to the fence the line opens or closes, or to "" (no subshell: it runs on
# every line).
fence_of() {
  f=""
  if [[ $1 =~ ^\ {0,3}(\`{3,}|~{3,})(.*)$ ]]; then f=${BASH_REMATCH[1]}; fi
}

declare -A anchors_of=()  # md file -> " slug1 slug2 ... "
anchors() {               # anchors FILE: sets anchor_list to the anchors of its headings
  local file=$1 line fence="" f text s slug
  if [ -z "${anchors_of[$file]+x}" ]; then
    local -A seen=()
    local list=" "
    while IFS= read -r line || [ -n "$line" ]; do
      fence_of "$line"
      if [ -n "$f" ]; then
        if [ -z "$fence" ]; then fence=$f
        elif [[ ${f:0:1} == "${fence:0:1}" && ${#f} -ge ${#fence} ]]; then fence=""; fi
        continue
      fi
      [ -n "$fence" ] && continue
      [[ $line =~ ^\ {0,3}#{1,6}[[:space:]]+(.*)$ ]] || continue
      text=${BASH_REMATCH[1]}
      text=${text%%+([[:space:]])+(#)}
      slug "$text"
      s=$slug
      if [ -n "${seen[$s]+x}" ]; then
        seen[$s]=$((seen[$s] + 1))
        s="$s-${seen[$s]}"
      else
        seen[$s]=0
      fi
      list+="$s "
    done <"$src/$file"
    anchors_of[$file]=$list
  fi
  anchor_list=${anchors_of[$file]}
}

# check_link FILE LINE TARGET
links_checked=0
check_link() {
  local file=$1 n=$2 target=$3 path anchor resolved md
  case $target in
    *([a-zA-Z0-9+.-]):*) return ;;  # a URL with a scheme (https:, mailto:)
  esac
  links_checked=$((links_checked + 1))
  path=${target%%#*}
  anchor=""
  [[ $target == *#* ]] && anchor=${target#*#}
  if [ -z "$path" ]; then
    resolved=$file
  else
    if [[ $path == /* ]]; then resolved=$(realpath -sm --relative-to="$src" "$src$path")
    else resolved=$(realpath -sm --relative-to="$src" "$src/$(dirname "$file")/$path"); fi
    if [[ $resolved == ..* ]]; then
      fail "$file:$n: link '$target' leads outside the repository"
      return
    fi
    if [ "$resolved" != . ] && [ -z "${known[$resolved]+x}" ]; then
      fail "$file:$n: dead link '$target' (no file or folder $resolved in the repository)"
      return
    fi
  fi
  [ -z "$anchor" ] && return
  md=$resolved
  [ -d "$src/$md" ] && md="${md%/}/README.md"
  md=${md#./}
  [[ $md == *.md && -f "$src/$md" ]] || return  # anchors into code files are GitHub's business
  anchors "$md"
  if [[ $anchor_list != *" $anchor "* ]]; then
    fail "$file:$n: dead anchor '$target' (no heading of $md has the anchor '$anchor')"
  fi
}

# scan FILE: checks its links and collects its runnable blocks into $work/blocks.
blocks=0
scan() {
  local file=$1 n=0 line fence="" f rest match marker="" expect collecting=0 block="" start=0
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1))
    fence_of "$line"
    if [ -n "$f" ]; then
      if [ -z "$fence" ]; then
        fence=$f
        if [ -n "$marker" ]; then
          if [[ $line =~ ^\ {0,3}(\`{3,}|~{3,})[[:space:]]*(sh|bash|shell)[[:space:]]*$ ]]; then
            collecting=1
            blocks=$((blocks + 1))
            block="$work/blocks/$(printf '%04d' "$blocks")"
            printf '%s\t%s\t%s\n' "$file" "$n" "$expect" >"$block.meta"
            : >"$block.sh"
          else
            fail "$file:$n: a runnable block must be fenced as sh or bash"
          fi
          marker=""
        fi
      elif [[ ${f:0:1} == "${fence:0:1}" && ${#f} -ge ${#fence} ]]; then
        fence=""
        collecting=0
      fi
      continue
    fi
    if [ -n "$fence" ]; then
      [ "$collecting" = 1 ] && printf '%s\n' "$line" >>"$block.sh"
      continue
    fi
    if [ -n "$marker" ]; then
      fail "$file:$((n - 1)): '<!-- runnable -->' must be the line right before a fenced block"
      marker=""
    fi
    if [[ $line =~ ^\ {0,3}\<!--[[:space:]]*runnable ]]; then
      if [[ $line =~ ^\ {0,3}\<!--\ runnable(:\ exit\ ([0-9]+))?\ --\>[[:space:]]*$ ]]; then
        marker=1
        expect=${BASH_REMATCH[2]:-0}
      else
        fail "$file:$n: malformed marker (write '<!-- runnable -->' or '<!-- runnable: exit N -->')"
      fi
      continue
    fi
    [[ $line == *"]"* ]] || continue
    rest=${line//\`+([^\`])\`/}  # code spans are not links
    while [[ $rest =~ \]\(\<?([^\)\>[:space:]]+)\>?([[:space:]]+\"[^\"]*\")?\) ]]; do
      match=${BASH_REMATCH[0]}
      check_link "$file" "$n" "${BASH_REMATCH[1]}"
      rest=${rest#*"$match"}
    done
    if [[ $rest =~ ^\ {0,3}\[[^]]+\]:[[:space:]]*\<?([^\>[:space:]]+) ]]; then
      check_link "$file" "$n" "${BASH_REMATCH[1]}"
    fi
  done <"$src/$file"
  [ -n "$marker" ] && fail "$file:$n: '<!-- runnable -->' at the end of the file"
  [ -n "$fence" ] && fail "$file: a fenced block opened with $fence is never closed"
  return 0
}

# --- running the blocks ----------------------------------------------------------------------

# The prelude every block runs with (through BASH_ENV): before each command, the previous one's
# exit status is compared with the expected one; the first mismatch is written to FL_REPORT.
write_prelude() {
  cat >"$work/prelude.sh" <<'PRELUDE'
unset BASH_ENV  # the scripts a block runs (run.sh) are not blocks
__fl_done=0
__fl_cmd=""
__fl_check() {
  if [ "$__fl_done" = 0 ] && [ -n "$__fl_cmd" ] && [ "$1" != "$FL_EXPECT" ]; then
    __fl_done=1
    printf '%s\t%s\t%s\n' "$__fl_line" "$1" "$__fl_cmd" >"$FL_REPORT"
    exit 100
  fi
}
trap '__fl_check $?' EXIT
trap '__fl_check $?; __fl_cmd=$BASH_COMMAND; __fl_line=$LINENO; printf "%s\t%s\n" "$LINENO" "$BASH_COMMAND" >"$FL_CURRENT"' DEBUG
PRELUDE
}

# mirror DIR: a scratch copy of the source directory made of symlinks.
mirror() {
  local dir=$1 entry parent
  mkdir -p "$dir/repo"
  for entry in "$src"/* "$src"/.[!.]*; do
    [ "${entry##*/}" = .git ] && continue
    ln -s "$entry" "$dir/repo/${entry##*/}"
  done
  parent=$(dirname "$src")
  [ -d "$parent/shared" ] && ln -s "$parent/shared" "$dir/shared"
  return 0
}

# stop_nodes DIR: stops every node process a block started under DIR and left running, by the
# pid files `faultline cluster up` writes (only pids whose command line is a faultline node).
stop_nodes() {
  local pidfile pid
  while IFS= read -r pidfile; do
    pid=$(cat "$pidfile" 2>/dev/null) || continue
    [[ $pid =~ ^[0-9]+$ ]] || continue
    if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'faultline node'; then
      kill -9 "$pid" 2>/dev/null
    fi
  done < <(find "$1" -name node.pid 2>/dev/null)
}

run_blocks() {
  local meta file line expect dir="" current_file="" rc report started=$SECONDS count=0
  for meta in "$work"/blocks/*.meta; do
    IFS=$'\t' read -r file line expect <"$meta"
    if [ "$file" != "$current_file" ]; then
      [ -n "$dir" ] && stop_nodes "$dir"
      [ -n "$current_file" ] && echo "  $current_file: $count blocks in $((SECONDS - started)) s"
      started=$SECONDS
      count=0
      current_file=$file
      dir="$work/run/${file//\//_}"
      mirror "$dir"
    fi
    count=$((count + 1))
    report="$dir/report"
    rm -f "$report" "$dir/current"
    if ! bash -n "${meta%.meta}.sh" 2>"$dir/output"; then
      fail "$file:$line: the block is not valid bash: $(head -n 1 "$dir/output")"
      continue
    fi
    (cd "$dir/repo" && PATH="$bindir:$PATH" BASH_ENV="$work/prelude.sh" FL_EXPECT=$expect \
      FL_REPORT="$report" FL_CURRENT="$dir/current" \
      timeout -k 5 "${DOCS_TEST_BLOCK_TIMEOUT:-120}" bash "${meta%.meta}.sh" >"$dir/output" 2>&1)
    rc=$?
    if [ -s "$report" ]; then
      local at status cmd
      IFS=$'\t' read -r at status cmd <"$report"
      fail "$file:$((line + at)): \`$cmd\` exited $status, expected $expect"
    elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
      local at cmd
      IFS=$'\t' read -r at cmd <"$dir/current"
      fail "$file:$((line + at)): \`$cmd\` did not finish within ${DOCS_TEST_BLOCK_TIMEOUT:-120} s"
    elif [ "$rc" != 0 ] && [ "$rc" != "$expect" ]; then
      fail "$file:$line: the block exited $rc, expected $expect"
    else
      continue
    fi
    echo "  output of the block (last 20 lines):"
    tail -n 20 "$dir/output" | sed 's/^/    /'
  done
  [ -n "$dir" ] && stop_nodes "$dir"
  [ -n "$current_file" ] && echo "  $current_file: $count blocks in $((SECONDS - started)) s"
  return 0
}

# --- the check -------------------------------------------------------------------------------

check_tree() {  # check_tree: links and blocks of every Markdown file under $src
  local file files=0 started=$SECONDS
  load_known
  mkdir -p "$work/blocks" "$work/run"
  write_prelude
  while IFS= read -r file; do
    [[ $file == *.md && -f "$src/$file" ]] || continue
    files=$((files + 1))
    scan "$file"
  done < <(list_files | sort)
  # A check that found nothing to check asserts nothing.
  [ "$files" -gt 0 ] || fail "no Markdown files under $src"
  [ "$links_checked" -gt 0 ] || fail "no relative links found in $files Markdown files"
  [ "$blocks" -gt 0 ] || fail "no runnable blocks found in $files Markdown files"
  exec 9>"${TMPDIR:-/tmp}/faultline-docs-test.lock"
  flock -w 600 9 || fail "could not take ${TMPDIR:-/tmp}/faultline-docs-test.lock in 600 s"
  run_blocks
  flock -u 9
  echo "docs: $files Markdown files, $links_checked relative links, $blocks runnable blocks" \
    "in $((SECONDS - started)) s: $failures failures"
}

# The self-test: a small tree with one of each kind of mistake, which the check must name.
self_test() {
  local tree="$work/tree" out="$work/self-test.txt" expected status=0
  mkdir -p "$tree/sub"
  cat >"$tree/README.md" <<'MD'
# Title

## A section: with `code`

[fine](sub/GUIDE.md#the-guide) [fine](#a-section-with-code) [fine](sub/) `[not a link](nowhere.md)`
[dead file](sub/missing.md) and [dead anchor](sub/GUIDE.md#no-such-heading)

<!-- runnable -->
```sh
true
```

<!-- runnable: exit 2 -->
```sh
sh -c 'exit 2'
```
MD
  cat >"$tree/sub/GUIDE.md" <<'MD'
# The guide

[outside](../../elsewhere.md) [back](../README.md#title)

<!-- runnable -->
```sh
echo step one
sh -c 'exit 3'   # the broken command
echo never reached
```

<!-- runnable: exit 2 -->
```sh
true
```
MD
  (DOCS_TEST_BLOCK_TIMEOUT=30 "$0" "$faultline" "$tree") >"$out" 2>&1 || status=$?
  cat "$out"
  [ "$status" = 1 ] || fail "self-test: the check exited $status on a broken tree, expected 1"
  for expected in \
    "README.md:6: dead link 'sub/missing.md'" \
    "README.md:6: dead anchor 'sub/GUIDE.md#no-such-heading'" \
    "sub/GUIDE.md:3: link '../../elsewhere.md' leads outside the repository" \
    "sub/GUIDE.md:8: \`sh -c 'exit 3'\` exited 3, expected 0" \
    "sub/GUIDE.md:14: \`true\` exited 0, expected 2" \
    ": 5 failures"; do
    grep -qF -- "$expected" "$out" || fail "self-test: the check did not report: $expected"
  done
  if grep -qE 'nowhere.md|fine' "$out"; then fail "self-test: the check flagged a good link"; fi
  echo "docs self-test: $failures failures"
}

if [ "${1:-}" = --self-test ]; then
  faultline=${2:?$(usage)}
  mode=self
else
  faultline=${1:?$(usage)}
  src=$(cd "${2:?$(usage)}" && pwd) || exit 2
  mode=tree
fi
faultline=$(realpath "$faultline")
[ -x "$faultline" ] || { echo "docs_test.sh: no faultline binary at $faultline" >&2; exit 2; }
bindir=$(mktemp -d)
ln -s "$faultline" "$bindir/faultline"
work=$(mktemp -d)
trap 'rm -rf "$work" "$bindir"' EXIT
if [ "$mode" = self ]; then self_test; else check_tree; fi
[ "$failures" = 0 ]
