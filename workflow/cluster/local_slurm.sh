#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, from Debian's packages, for the Slurm test
# (tests/test_slurm.py, `make slurm-smoke`): munge, MariaDB + slurmdbd (so that sacct keeps
# every finished job), slurmctld and slurmd on localhost, cores and memory read from the
# machine, a gpu GRES only where nvidia-smi lists GPUs. Its state, logs and database live in
# one folder (ANATOMY_SLURM_DIR, default /tmp/anatomy-slurm); its configuration goes where every
# Slurm command looks, /etc/slurm (Snakemake's Slurm plugin drops SLURM_CONF inside a job), and
# is removed by `stop`. A slurm.conf it did not write is never touched: then it stops.
#
#   workflow/cluster/local_slurm.sh install   apt-get the packages (root)
#   workflow/cluster/local_slurm.sh start     start the daemons; waits until the node is idle
#   workflow/cluster/local_slurm.sh env       the account to submit under (eval "$(... env)")
#   workflow/cluster/local_slurm.sh stop      cancel every job and stop the daemons
#
# The daemons run as root (slurmd must, to start jobs as their user); run it as root.
set -euo pipefail

DIR=${ANATOMY_SLURM_DIR:-/tmp/anatomy-slurm}
CLUSTER=anatomy
ACCOUNT=anatomy
DB_PORT=${ANATOMY_SLURM_DB_PORT:-3307}
PACKAGES="slurmctld slurmd slurm-client slurmdbd munge mariadb-server"
NODE=$(hostname -s)
ETC=/etc/slurm
MARK="# written by workflow/cluster/local_slurm.sh"

say() { echo "local_slurm: $*"; }

wait_for() {  # wait_for <seconds> <what> <command...>
    local seconds=$1 what=$2
    shift 2
    for _ in $(seq "$seconds"); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 1
    done
    say "$what did not come up within ${seconds} s; logs in $DIR/log"
    tail -n 20 "$DIR"/log/*.log 2>/dev/null || true
    exit 1
}

write_config() {
    if [ -f "$ETC/slurm.conf" ] && ! grep -qxF "$MARK" "$ETC/slurm.conf"; then
        say "$ETC/slurm.conf exists and is not this script's: a real cluster? Not touched."
        exit 1
    fi
    mkdir -p "$ETC"
    local cpus mem gres="" gres_types=""
    cpus=$(nproc)
    # Memory for jobs: the machine's, less 1 GB for the daemons and the driver.
    mem=$(awk '/MemTotal/ {print int($2 / 1024) - 1024}' /proc/meminfo)
    local gpus=0
    if command -v nvidia-smi >/dev/null; then
        gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU ' || true)
    fi
    if [ "$gpus" -gt 0 ]; then
        gres=" Gres=gpu:$gpus"
        gres_types="GresTypes=gpu"
        echo "$MARK" >"$ETC/gres.conf"
        for i in $(seq 0 $((gpus - 1))); do
            echo "NodeName=$NODE Name=gpu File=/dev/nvidia$i" >>"$ETC/gres.conf"
        done
    fi
    cat >"$ETC/slurm.conf" <<CONF
$MARK
ClusterName=$CLUSTER
SlurmctldHost=$NODE
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStorageTRES=gres/gpu
AccountingStoreFlags=job_comment
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MinJobAge=3600
SchedulerParameters=defer_batch
MpiDefault=none
$gres_types
NodeName=$NODE CPUs=$cpus RealMemory=$mem$gres State=UNKNOWN
PartitionName=main Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
CONF
    cat >"$ETC/slurmdbd.conf" <<CONF
$MARK
AuthType=auth/munge
DbdHost=localhost
SlurmUser=root
PidFile=$DIR/run/slurmdbd.pid
LogFile=$DIR/log/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=slurm
StoragePass=slurm
StorageLoc=slurm_acct_db
CONF
    chmod 600 "$ETC/slurmdbd.conf"
}

start_munge() {
    if pgrep -x munged >/dev/null; then return; fi
    mkdir -p /run/munge /var/lib/munge /var/log/munge
    chown munge:munge /run/munge /var/lib/munge /var/log/munge /etc/munge/munge.key
    runuser -u munge -- munged
    wait_for 20 munge bash -c 'munge -n | unmunge'
}

start_database() {
    local sock=$DIR/run/mysqld.sock
    if [ ! -d "$DIR/mysql/mysql" ]; then
        mariadb-install-db --user=root --datadir="$DIR/mysql" --auth-root-authentication-method=socket \
            >"$DIR/log/mariadb-install.log" 2>&1
    fi
    mariadbd --user=root --datadir="$DIR/mysql" --socket="$sock" --port="$DB_PORT" \
        --bind-address=127.0.0.1 --pid-file="$DIR/run/mariadbd.pid" \
        --log-error="$DIR/log/mariadb.log" >/dev/null 2>&1 &
    wait_for 60 MariaDB mariadb --socket="$sock" -e 'select 1'
    mariadb --socket="$sock" <<SQL
CREATE DATABASE IF NOT EXISTS slurm_acct_db;
CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY 'slurm';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
SQL
}

start() {
    mkdir -p "$DIR"/{state,spool,log,run,mysql}
    write_config
    start_munge
    start_database
    slurmdbd
    wait_for 60 slurmdbd sacctmgr -n show cluster
    sacctmgr -i add cluster "$CLUSTER" >/dev/null 2>&1 || true
    sacctmgr -i add account "$ACCOUNT" cluster="$CLUSTER" >/dev/null 2>&1 || true
    sacctmgr -i add user "$(id -un)" account="$ACCOUNT" cluster="$CLUSTER" >/dev/null 2>&1 || true
    slurmctld
    wait_for 60 slurmctld scontrol ping
    slurmd
    wait_for 60 "node $NODE" bash -c "sinfo -h -n $NODE -o %t | grep -qx idle"
    say "up: $(sinfo -h -o '%P %D %t %c CPUs %m MB %G') ($ETC/slurm.conf)"
}

stop() {
    if [ -f "$ETC/slurm.conf" ] && scontrol ping >/dev/null 2>&1; then
        scancel --user="$(id -un)" 2>/dev/null || true
    fi
    for daemon in slurmd slurmctld slurmdbd mariadbd; do
        if [ -f "$DIR/run/$daemon.pid" ]; then
            kill "$(cat "$DIR/run/$daemon.pid")" 2>/dev/null || true
        fi
    done
    for daemon in slurmd slurmctld slurmdbd mariadbd; do
        for _ in $(seq 30); do
            [ -f "$DIR/run/$daemon.pid" ] && kill -0 "$(cat "$DIR/run/$daemon.pid")" 2>/dev/null || break
            sleep 1
        done
        rm -f "$DIR/run/$daemon.pid"
    done
    for file in slurm.conf slurmdbd.conf gres.conf; do
        if [ -f "$ETC/$file" ] && grep -qxF "$MARK" "$ETC/$file"; then rm -f "$ETC/$file"; fi
    done
    say "stopped (state and accounting database kept in $DIR)"
}

case "${1:-}" in
install)
    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $PACKAGES
    ;;
start) start ;;
stop) stop ;;
env)
    echo "export SLURM_ACCOUNT=$ACCOUNT"
    ;;
*)
    echo "usage: $0 install|start|env|stop" >&2
    exit 2
    ;;
esac
