#!/usr/bin/env bash
# End to end through the real binary: the default scenario run twice gives
# byte-identical result files.
set -euo pipefail
stormsim=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$stormsim" run -q -o "$dir/a" >/dev/null
"$stormsim" run -q -o "$dir/b" >/dev/null
cmp "$dir/a/result.json" "$dir/b/result.json"
echo "identical: $(wc -c <"$dir/a/result.json") bytes"
