#!/usr/bin/env bash
# Writes a man page (troff) for slim from its own --help output: one section per command.
#   scripts/make-manpage.sh SLIM_BINARY OUT_FILE VERSION
set -euo pipefail
slim=$1 out=$2 version=$3
esc() { sed -e 's/\\/\\e/g' -e 's/^\./\\\&./' -e "s/^'/\\\\\\&'/"; }
{
  echo ".TH SLIM 1 \"\" \"slim $version\" \"User Commands\""
  echo ".SH NAME"
  echo "slim \\- make container images small and safe"
  echo ".SH SYNOPSIS"
  echo ".B slim"
  echo "[\\fIGLOBAL OPTIONS\\fR] \\fICOMMAND\\fR [\\fIOPTIONS\\fR]"
  echo ".br"
  echo ".B docker slim"
  echo "\\fICOMMAND\\fR [\\fIOPTIONS\\fR] (as a docker CLI plugin)"
  echo ".SH DESCRIPTION"
  echo ".nf"
  "$slim" --help | esc
  echo ".fi"
  for cmd in build profile xray squash seccomp version; do
    echo ".SH \"slim $cmd\""
    echo ".nf"
    "$slim" "$cmd" --help | esc
    echo ".fi"
  done
  echo ".SH EXIT STATUS"
  echo "0 success, 1 an error (one line on stderr), 2 the slim image answered differently (or an"
  echo "xray \\-\\-ci rule failed), 130/143/129 interrupted by SIGINT/SIGTERM/SIGHUP."
  echo ".SH SEE ALSO"
  echo "/usr/share/doc/slim/README.md"
} >"$out.tmp"
mv "$out.tmp" "$out"
