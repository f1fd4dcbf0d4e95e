#!/usr/bin/env bash
# What a new user sees on a fresh Debian machine, without Docker: `make test` (and `make docs`) in a
# minimal Debian bookworm root built with debootstrap, holding only python3, python3-venv, make and git
# (no Chromium, no Java).
#
#   sudo scripts/fresh_machine_check.sh [--branch BRANCH] [--root DIR] [--rebuild] [--skip-root-run]
#
# 1. A user without sudo runs `make test`: it must stop before any test (no .venv, no pytest), with the
#    message naming Chromium and Java and how to install them.
# 2. root runs `make test`, then `make docs`: the set-up installs Chromium and Java with apt-get, the suite
#    and the strict docs build must pass. The logs and a summary go to DIR/logs.
#
# The root filesystem is built once under DIR/base (default /var/tmp/explain-lib-fresh-root, outside any repository)
# and copied fresh for every check, so installs never leak from one check into the next. To look like
# a CI machine it sees this machine's pip configuration and local wheel folders (read-only bind mounts:
# /etc/xdg/pip, /opt/wheels, /opt/pypi, /opt/pypi-more; /etc/pip.conf and root's pip.conf copied;
# the PIP_* variables passed on, its certificate authorities in /usr/local/share/ca-certificates added),
# and the network through /etc/resolv.conf. Without the pip configuration pip fetches
# everything from PyPI (torch 2.13.0 as the multi-GB CUDA build on Linux). Not run by CI.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
branch=$(git -C "$here" rev-parse --abbrev-ref HEAD)
root=/var/tmp/explain-lib-fresh-root
rebuild=0
root_run=1
while [ $# -gt 0 ]; do
    case "$1" in
        --branch) branch=$2; shift 2 ;;
        --root) root=$2; shift 2 ;;
        --rebuild) rebuild=1; shift ;;
        --skip-root-run) root_run=0; shift ;;
        *) echo "usage: $0 [--branch BRANCH] [--root DIR] [--rebuild] [--skip-root-run]" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" -eq 0 ] || { echo "run as root (debootstrap, chroot and mounts need it)" >&2; exit 2; }
case "$root" in "$here"|"$here"/*) echo "--root must lie outside the repository" >&2; exit 2 ;; esac
gitdir=$(cd "$here" && cd "$(git rev-parse --git-common-dir)" && pwd)
git --git-dir="$gitdir" rev-parse --verify -q "refs/heads/$branch" >/dev/null \
    || { echo "no branch $branch in $gitdir" >&2; exit 2; }

base=$root/base
run=$root/run
logs=$root/logs
mkdir -p "$logs"
say() { printf '\n== %s\n' "$*" | tee -a "$logs/summary.txt"; }

# ------------------------------------------------------------------------------ the base system
if [ "$rebuild" -eq 1 ] || [ ! -x "$base/usr/bin/make" ]; then
    command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap; }
    rm -rf "$base"
    say "debootstrap: Debian bookworm, minbase + python3 python3-venv make git ca-certificates"
    debootstrap --variant=minbase --include=python3,python3-venv,make,git,ca-certificates \
        bookworm "$base" http://deb.debian.org/debian >"$logs/debootstrap.log" 2>&1
    cat >"$base/etc/apt/sources.list" <<'EOF'
deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOF
    chroot "$base" useradd --create-home --shell /bin/bash newcomer
fi

# ------------------------------------------------------------------------- a fresh copy, mounted
mounted=()
unmount_all() {
    local i
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount "${mounted[$i]}" 2>/dev/null || umount -l "${mounted[$i]}" || true; done
    mounted=()
}
trap unmount_all EXIT
bind() {  # bind <source> <target inside $run> [ro]
    local target=$run$2
    if [ -d "$1" ]; then mkdir -p "$target"; else mkdir -p "$(dirname "$target")"; touch "$target"; fi
    mount --bind "$1" "$target"
    mounted+=("$target")
    if [ "${3:-}" = ro ]; then mount -o remount,bind,ro "$target"; fi
}
fresh_copy() {
    unmount_all
    rm -rf "$run"
    cp -a "$base" "$run"
    mkdir -p "$run/proc" "$run/sys"
    mount -t proc proc "$run/proc"; mounted+=("$run/proc")
    mount -t sysfs sys "$run/sys"; mounted+=("$run/sys")
    bind /dev /dev
    bind /dev/shm /dev/shm
    bind /dev/pts /dev/pts
    bind /etc/resolv.conf /etc/resolv.conf ro
    bind /etc/hosts /etc/hosts ro  # a real machine resolves its own host name
    bind "$gitdir" /src.git ro
    for folder in /etc/xdg/pip /opt/wheels /opt/pypi /opt/pypi-more; do
        [ -e "$folder" ] && bind "$folder" "$folder" ro
    done
    # this machine's own certificate authorities (a TLS-inspecting proxy's, on CI machines like it)
    if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
        cp /usr/local/share/ca-certificates/*.crt "$run/usr/local/share/ca-certificates/"
        chroot "$run" update-ca-certificates >/dev/null 2>&1
    fi
    [ -f /etc/pip.conf ] && cp /etc/pip.conf "$run/etc/pip.conf"
    if [ -f "$HOME/.config/pip/pip.conf" ]; then
        mkdir -p "$run/root/.config/pip"
        cp "$HOME/.config/pip/pip.conf" "$run/root/.config/pip/pip.conf"
    fi
    chroot "$run" git clone -q --branch "$branch" file:///src.git /root/explain-lib
    chroot "$run" git clone -q --branch "$branch" file:///src.git /home/newcomer/explain-lib
    chroot "$run" chown -R newcomer:newcomer /home/newcomer/explain-lib
}
pip_env=()
for name in $(env | grep -o '^PIP_[A-Z_]*' || true); do pip_env+=("$name=${!name}"); done
in_root() {  # in_root <user> <home> <command>: a login-like environment, nothing of ours leaks in
    chroot --userspec="$1:$1" "$run" /usr/bin/env -i HOME="$2" USER="$1" LANG=C.UTF-8 TERM=dumb \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "${pip_env[@]}" \
        bash -c "$3"
}

# ------------------------------------------------------------------ 1. a user without sudo
say "fresh copy; branch $branch ($(git --git-dir="$gitdir" rev-parse --short "refs/heads/$branch"))"
fresh_copy
say "as newcomer (no root, no sudo): make test must stop before any test"
set +e
in_root newcomer /home/newcomer 'cd ~/explain-lib && make test' >"$logs/user-make-test.log" 2>&1
code=$?
set -e
cat "$logs/user-make-test.log" | tee -a "$logs/summary.txt"
if [ "$code" -ne 0 ] && grep -q "stopped before running anything" "$logs/user-make-test.log" \
        && grep -q "Chromium" "$logs/user-make-test.log" && grep -q "Java" "$logs/user-make-test.log" \
        && ! grep -qE "collected|passed|failed|error" "$logs/user-make-test.log" \
        && [ ! -d "$run/home/newcomer/explain-lib/.venv" ]; then
    say "OK: exit code $code, no .venv, no test run, the message names Chromium and Java"
else
    say "FAILED: exit code $code; see $logs/user-make-test.log"; exit 1
fi
[ "$root_run" -eq 1 ] || exit 0

# ----------------------------------------------------------------------------------- 2. root
say "as root: make test (installs Chromium and Java first), then make docs"
start=$(date +%s)
set +e
in_root root /root 'cd ~/explain-lib && time make test && time make docs' >"$logs/root-make-test.log" 2>&1
code=$?
set -e
took=$(( $(date +%s) - start ))
grep -E "^explain-lib set-up|passed|failed|error|^real|Documentation built|screenshots" "$logs/root-make-test.log" \
    | tail -n 20 | tee -a "$logs/summary.txt"
in_root root /root 'command -v chromium java; java -version 2>&1 | head -n 1' | tee -a "$logs/summary.txt"
if [ "$code" -eq 0 ]; then
    say "OK: make test and make docs passed as root in ${took}s (install included)"
else
    say "FAILED: exit code $code after ${took}s; see $logs/root-make-test.log"; exit 1
fi
