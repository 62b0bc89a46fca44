#!/usr/bin/env bash
# Checks ARCHITECTURE.md's dependency rules on the sources: every `#include "slim/X/..."` in a
# folder must name a folder that folder may depend on, and no old `build/` folder may exist.
# Prints each violation as FILE:LINE: ... and exits 1 when there is one (CTest: layout.dependencies).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# folder -> the slim folders its files may include (besides its own).
declare -A allowed=(
  [util]=""
  [engine]="util"
  [image]="util"            # engine only in engine_io (below)
  [keep]="util image"
  [seccomp]="util"
  [probe]="util"
  [verify]="util probe"
  [report_html]="util"
  [pipeline]="util engine image keep seccomp probe verify report_html"
  [cli]="util engine image keep seccomp probe verify report_html pipeline"
)
# Single files with a wider rule than their folder.
declare -A file_allowed=(
  [src/image/engine_io.cpp]="util engine"
  [include/slim/image/engine_io.hpp]="util engine"
)

bad=0
report() { printf '%s\n' "$*" >&2; bad=1; }

for old in src/build include/slim/build tests/build; do
  [ -e "$old" ] && report "$old: the old build/ folder exists (see ARCHITECTURE.md for where its parts live)"
done

for dir in src/* include/slim/*; do
  [ -d "$dir" ] || continue
  folder=$(basename "$dir")
  if [ -z "${allowed[$folder]+set}" ]; then
    report "$dir: a folder ARCHITECTURE.md's table (and scripts/check-layout.sh) does not know"
    continue
  fi
  while IFS= read -r -d '' file; do
    rule=${file_allowed[$file]-${allowed[$folder]}}
    while IFS=: read -r line dep; do
      [ "$dep" = "$folder" ] && continue
      case " $rule " in *" $dep "*) continue ;; esac
      report "$file:$line: includes slim/$dep/, which $folder/ may not depend on (allowed: ${rule:-nothing of slim})"
    done < <(grep -n -o '#include "slim/[a-z_]*/' "$file" | sed -E 's|^([0-9]+):#include "slim/([a-z_]*)/|\1:\2|')
  done < <(find "$dir" -type f \( -name '*.cpp' -o -name '*.hpp' \) -print0)
done

# The sensor is a static binary of its own: nothing of the controller but util's error header.
while IFS=: read -r file line inc; do
  case "$inc" in "slim/util/error.hpp") continue ;; esac
  report "$file:$line: the sensor includes $inc (it may include only slim/util/error.hpp of the controller)"
done < <(grep -rn -o '#include "slim/[^"]*"' sensor --include='*.cpp' --include='*.hpp' | sed -E 's|#include "([^"]*)"|\1|')

if [ "$bad" -eq 0 ]; then
  echo "layout: every include follows ARCHITECTURE.md's dependency table"
fi
exit "$bad"
