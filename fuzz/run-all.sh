#!/usr/bin/env bash
# Runs the fuzz targets for the time the project asks of each (10 minutes;
# 30 for the certificate and HTTP targets), two at a time, niced, and prints
# each run's executions. Needs cargo-fuzz (`cargo install cargo-fuzz`); the
# sanitizer flags it passes are unstable, which RUSTC_BOOTSTRAP allows on the
# stable toolchain (FUZZ_TOOLCHAIN=+nightly uses a nightly one instead).
#
#   fuzz/run-all.sh                      # every target
#   SHORT=1 LONG=2 fuzz/run-all.sh       # minutes, for a quick pass
#   fuzz/run-all.sh http_body resp       # only these, one after another
set -uo pipefail
cd "$(dirname "$0")"
export RUSTC_BOOTSTRAP=1
toolchain=${FUZZ_TOOLCHAIN:-}
short=$((${SHORT:-10} * 60))
long=$((${LONG:-30} * 60))
mkdir -p logs

declare -A minutes=([certificate]=$long [http_request_head]=$long [http_response_head]=$long
  [http_body]=$long [ftp_reply]=$short [dns_message]=$short [resp]=$short [icmp]=$short
  [data_url]=$short [framing]=$short [websocket]=$short)
declare -A dictionary=([certificate]=der.dict [http_request_head]=http.dict
  [http_response_head]=http.dict [http_body]=http.dict [ftp_reply]=ftp.dict [resp]=resp.dict)

run() { # target
  local target=$1
  local args=(-max_total_time="${minutes[$target]}" -timeout=10 -rss_limit_mb=2048
    -print_final_stats=1)
  [ -n "${dictionary[$target]:-}" ] && args+=(-dict="dict/${dictionary[$target]}")
  mkdir -p "corpus/$target"
  # The first directory collects what the run finds; the seeds are read only.
  nice -n 19 cargo $toolchain fuzz run -O -a "$target" "corpus/$target" "seeds/$target" \
    -- "${args[@]}" >"logs/$target.log" 2>&1
  echo "== $target: exit $?"
  grep -E "^Done|stat::number_of_executed_units|SUMMARY|panicked" "logs/$target.log" | head -5
}

cargo $toolchain fuzz build -O -a || exit 1
if [ $# -gt 0 ]; then
  for target in "$@"; do run "$target"; done
  exit
fi
{ for target in certificate http_request_head http_response_head; do run "$target"; done; } &
{ for target in http_body ftp_reply dns_message resp icmp data_url framing websocket; do run "$target"; done; } &
wait
