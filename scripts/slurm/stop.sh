#!/usr/bin/env bash
# Stops the cluster that scripts/slurm/start.sh DIR started: slurmd, slurmctld, then munged, each by the
# process id in its pid file (TERM, then KILL after 10 s). Leaves DIR's logs in place.
set -uo pipefail
dir=${1:?usage: scripts/slurm/stop.sh DIR}
for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$pidfile"
done
exit 0
