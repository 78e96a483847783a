# Shell helpers shared by the provisioning scripts (pg.sh, redis.sh, chromium.sh); sourced, not run.
# The sourcing script sets TAG (its log prefix) and ROOT (the checkout) first.

log() { printf '[%s] %s\n' "$TAG" "$*" >&2; }
die() { printf '[%s] error: %s\n' "$TAG" "$*" >&2; exit 1; }

# Run a command as root: directly when we are root, through password-less sudo otherwise; fails
# (status 1) when neither is possible.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@";
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo "$@";
  else return 1; fi
}

# apt_install HINT PACKAGE...: install Debian packages (apt-get update first), logging to var/apt.log;
# HINT says what to do instead when we may not run apt-get.
apt_install() {
  local hint=$1; shift
  command -v apt-get >/dev/null || die "$* missing and there is no apt-get: $hint"
  log "installing Debian packages: $*"
  mkdir -p "$ROOT/var"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >>"$ROOT/var/apt.log" 2>&1 \
    || die "cannot run apt-get (not root, no password-less sudo). Install $* yourself, or $hint"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >>"$ROOT/var/apt.log" 2>&1 \
    || { tail -n 20 "$ROOT/var/apt.log" >&2; die "apt-get install $* failed (log: var/apt.log)"; }
}

# new_secret FILE: 24 random bytes as hex into FILE (mode 0600), unless FILE already holds one.
new_secret() {
  [ -s "$1" ] || (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$1")
}
