#!/usr/bin/env bash
# The format test: every C++ file is exactly as clang-format leaves it (the root .clang-format:
# Google, 100 columns), with Debian 12's clang-format 14 (tools/install-deps.sh installs it;
# another major version may format some constructs differently). In a git checkout the files are
# git's *.h and *.cc, tracked or untracked but not ignored; otherwise every *.h and *.cc outside
# build*/ and hidden folders. The *.h.in and *.cc.in templates are left out: clang-format breaks
# their @VAR@ placeholders. Fix a failure with `clang-format -i FILE...` and check the diff.
# Usage: format_test.sh SOURCE_DIR [CLANG_FORMAT]
set -u
if [ $# -lt 1 ] || [ -z "$1" ]; then
  echo "usage: format_test.sh SOURCE_DIR [CLANG_FORMAT]" >&2
  exit 2
fi
root=$1
clang_format=${2:-clang-format}
case "$clang_format" in *NOTFOUND) clang_format=clang-format ;; esac
if ! command -v "$clang_format" >/dev/null; then
  echo "format: $clang_format not found (tools/install-deps.sh installs clang-format)"
  exit 1
fi
cd "$root" || exit 2
if [ "$(git rev-parse --show-toplevel 2>/dev/null)" = "$(pwd -P)" ]; then
  mapfile -t listed < <(git ls-files --cached --others --exclude-standard -- '*.h' '*.cc')
else
  mapfile -t listed < <(find . \( -name '.?*' -o -name 'build*' \) -prune -o -type f \
    \( -name '*.h' -o -name '*.cc' \) -print | sed 's|^\./||' | sort)
fi
files=()
for f in "${listed[@]}"; do [ -f "$f" ] && files+=("$f"); done  # not deleted but uncommitted
if [ ${#files[@]} -eq 0 ]; then
  echo "format: no C++ files found under $root"
  exit 1
fi
out=$("$clang_format" --dry-run -Werror "${files[@]}" 2>&1)
status=$?
version=$("$clang_format" --version | grep -oE '[0-9]+\.[0-9.]+' | head -1)
if [ $status -ne 0 ]; then
  echo "$out"
  bad=$(grep -oE '^[^:]+\.(h|cc):[0-9]+:[0-9]+: error' <<<"$out" | cut -d: -f1 | sort -u)
  echo "format: $(wc -l <<<"$bad") of ${#files[@]} files differ from clang-format $version; run:"
  echo "  clang-format -i" $bad
  exit 1
fi
echo "format: ${#files[@]} files as clang-format $version leaves them"
