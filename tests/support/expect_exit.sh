#!/usr/bin/env bash
# usage: expect_exit.sh <status> <command> [args...]: passes when the command exits with <status>.
want="$1"
shift
"$@"
rc=$?
if [ "$rc" != "$want" ]; then
  echo "FAILED: expected exit status $want, got $rc"
  exit 1
fi
echo "exit status $rc as expected"
