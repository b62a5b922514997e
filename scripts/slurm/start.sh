#!/usr/bin/env bash
# Starts a private single-node Slurm on localhost for tests and trials: its own munged (own key and
# socket), slurmctld and slurmd, on free ports, with every file under DIR. Prints the line
# `SLURM_CONF=DIR/slurm.conf`; export it so sbatch/squeue talk to this cluster. Stop it with
# scripts/slurm/stop.sh DIR (by process id). Needs root and `bash scripts/bootstrap.sh` (slurm-wlm, munge).
set -euo pipefail
dir=${1:?usage: scripts/slurm/start.sh DIR}
say() { printf 'slurm: %s\n' "$*" >&2; }
for tool in munged slurmctld slurmd sinfo; do
  command -v "$tool" >/dev/null || { say "$tool is missing: run scripts/bootstrap.sh (it installs slurm-wlm and munge)"; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { say "must run as root (slurmd starts jobs as their user)"; exit 1; }
if [ -e "$dir/slurmctld.pid" ] || [ -e "$dir/munge/munged.pid" ]; then say "$dir holds a running (or stale) cluster: stop it first"; exit 1; fi
mkdir -p "$dir"/{state,spool,log,munge}
dir=$(cd "$dir" && pwd)
chmod 755 "$dir" # munged runs as the munge user and must reach its folder inside
runuser -u munge -- test -x "$dir" || { say "the munge user cannot reach $dir: choose a folder whose parents others may enter (e.g. under /tmp)"; exit 1; }
host=$(hostname -s)

# munged insists that its folder belongs to the munge user (clients need to reach the socket) and its key is private.
chown munge:munge "$dir/munge" && chmod 755 "$dir/munge"
[ -f "$dir/munge/munge.key" ] || { head -c 1024 /dev/urandom >"$dir/munge/munge.key"; chown munge:munge "$dir/munge/munge.key"; chmod 400 "$dir/munge/munge.key"; }
# From here on a failure (a daemon that does not start, a node that never comes up) says where the logs
# are and stops whatever did start, by process id: no munged or slurmctld is left behind.
trap 'status=$?; if [ "$status" -ne 0 ]; then say "Slurm did not start (exit $status); logs in $dir/log and $dir/munge"; "$(dirname "$0")/stop.sh" "$dir" || true; fi' EXIT
runuser -u munge -- /usr/sbin/munged --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
  --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed"

# Two free TCP ports, asked of the kernel (another cluster on this machine keeps its own).
read -r ctld_port slurmd_port < <(node -e '
  const net = require("net");
  const free = () => new Promise((r) => { const s = net.createServer().listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => r(p)); }); });
  (async () => { const a = await free(); let b; do b = await free(); while (b === a); console.log(a, b); })();')

cat >"$dir/slurm.conf" <<CONF
ClusterName=percolab
SlurmctldHost=$host
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MailProg=/bin/true
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
ReturnToService=2
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$dir/slurm.conf"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 1 150); do
  state=$(sinfo -h -o %t 2>/dev/null || true)
  if [ "$state" = idle ]; then echo "SLURM_CONF=$SLURM_CONF"; exit 0; fi
  sleep 0.2
done
say "the node did not become idle in 30 s (state: ${state:-none})"
exit 1
