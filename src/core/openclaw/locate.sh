# shellcheck shell=sh disable=SC2154,SC2034,SC2088,SC2209
# SC2154: the preamble assigns the reg_*/known_*/want_* values. SC2034: l_* are also read through eval.
# SC2088: "~" and "~/"* are patterns for a literal tilde. SC2209: src=env and the like are words, not commands.
# OpenClaw discovery on a node (src/core/openclaw/locate.ts): run by /bin/sh after a preamble that
# sets reg_bin, reg_state, use_login, want_stamp, known_* (registry and cache values, shell-quoted).
# Prints key=value lines; the config follows the __OCM_CONFIG_BEGIN__ marker. Linted by shellcheck
# (test/core/openclaw/locate-script.test.ts).
nl='
'
kv() { printf '%s=%s\n' "$1" "$2"; }
to=""; command -v timeout >/dev/null 2>&1 && to="timeout 8"
kv home "$HOME"
kv path "$PATH"
for v in OPENCLAW_STATE_DIR OPENCLAW_CONFIG_PATH OPENCLAW_HOME OPENCLAW_PROFILE OPENCLAW_GATEWAY_PORT OPENCLAW_WORKSPACE_DIR OPENCLAW_SYSTEMD_UNIT OPENCLAW_LAUNCHD_LABEL; do
  eval "val=\${$v:-}"; [ -n "$val" ] && kv "env.$v" "$val"
done
# The login shell's answer is reused (DiscoveryCache) while the shell and its startup files have the
# same `stat` lines: one `stat` instead of 4 processes. Only files that exist are listed (a new one
# changes the stamp); the glob and the -e tests are the shell's own, no fork.
login_stamp_of() {
  set -- "$SHELL" /etc/profile /etc/profile.d /etc/profile.d/* /etc/bash.bashrc /etc/zshenv /etc/zprofile /etc/zlogin \
    /etc/zsh/zshenv /etc/zsh/zprofile /etc/zsh/zlogin "$HOME/.profile" "$HOME/.bash_profile" "$HOME/.bash_login" "$HOME/.bashrc" \
    "${ZDOTDIR:-$HOME}/.zshenv" "${ZDOTDIR:-$HOME}/.zprofile" "${ZDOTDIR:-$HOME}/.zlogin" "${ZDOTDIR:-$HOME}/.zshrc" \
    "$HOME/.config/fish/config.fish" "$HOME/.config/fish/conf.d" /etc/csh.cshrc /etc/csh.login "$HOME/.tcshrc" "$HOME/.cshrc" "$HOME/.login" \
    "$HOME/.nvm/alias/default"
  for f do shift; [ -e "$f" ] && set -- "$@" "$f"; done
  # One line (`kv` values are lines): GNU stat's --printf and BSD stat's -n print no newlines.
  # Each `$(…)` holds one simple command, which the shell execs in its subshell (an `||` inside would fork again).
  login_stamp=$(stat -L --printf '%n %i %s %y|' -- "$@" 2>/dev/null)
  [ -n "$login_stamp" ] || login_stamp=$(stat -n -L -f '%N %i %z %m|' -- "$@" 2>/dev/null)
}
login_out=""; login_stamp=""; login_cached=0
if [ "$use_login" = 1 ] && [ -n "${SHELL:-}" ] && [ -x "$SHELL" ]; then
  if [ "$want_login_stamp" = 1 ]; then login_stamp_of; kv login_stamp "$login_stamp"; fi
  if [ -n "$known_login_stamp" ] && [ "$login_stamp" = "$known_login_stamp" ]; then
    login_cached=1; kv login_cached 1
  else
    # csh and tcsh take -l only as their sole flag (no -lc): they read the commands from stdin, and
    # have `which`, not `command -v` (a "not found" line is not absolute, so it is ignored below).
    case "$SHELL" in
      *csh) login_out=$(printf '%s\n' 'which openclaw' 'echo __OCM_ENV__' env | $to "$SHELL" -l 2>/dev/null) ;;
      *) login_out=$($to "$SHELL" -lc 'command -v openclaw; echo __OCM_ENV__; env' </dev/null 2>/dev/null) ;;
    esac
    kv login_ok "$?"
  fi
fi
# l_bin: the login shell's `command -v openclaw` (its last absolute line before the marker);
# l_<NAME>: the first NAME=... line of its `env`.
l_bin=""; l_OPENCLAW_STATE_DIR=""; l_OPENCLAW_CONFIG_PATH=""; l_OPENCLAW_HOME=""; l_OPENCLAW_PROFILE=""; l_OPENCLAW_GATEWAY_PORT=""; l_OPENCLAW_WORKSPACE_DIR=""; l_OPENCLAW_SYSTEMD_UNIT=""; l_OPENCLAW_LAUNCHD_LABEL=""; l_PATH=""
if [ "$login_cached" = 1 ]; then
  l_bin=$known_l_bin; l_OPENCLAW_STATE_DIR=$known_l_OPENCLAW_STATE_DIR; l_OPENCLAW_CONFIG_PATH=$known_l_OPENCLAW_CONFIG_PATH; l_OPENCLAW_HOME=$known_l_OPENCLAW_HOME; l_OPENCLAW_PROFILE=$known_l_OPENCLAW_PROFILE; l_OPENCLAW_GATEWAY_PORT=$known_l_OPENCLAW_GATEWAY_PORT; l_OPENCLAW_WORKSPACE_DIR=$known_l_OPENCLAW_WORKSPACE_DIR; l_OPENCLAW_SYSTEMD_UNIT=$known_l_OPENCLAW_SYSTEMD_UNIT; l_OPENCLAW_LAUNCHD_LABEL=$known_l_OPENCLAW_LAUNCHD_LABEL; l_PATH=$known_l_PATH
elif [ -n "$login_out" ]; then
  in_env=0
  while IFS= read -r line; do
    if [ "$in_env" = 0 ]; then
      case "$line" in __OCM_ENV__) in_env=1 ;; /*) l_bin=$line ;; esac
    else
      case "$line" in OPENCLAW_STATE_DIR=*|OPENCLAW_CONFIG_PATH=*|OPENCLAW_HOME=*|OPENCLAW_PROFILE=*|OPENCLAW_GATEWAY_PORT=*|OPENCLAW_WORKSPACE_DIR=*|OPENCLAW_SYSTEMD_UNIT=*|OPENCLAW_LAUNCHD_LABEL=*|PATH=*) k=${line%%=*}; eval "[ -n \"\${l_$k}\" ] || l_$k=\${line#*=}" ;; esac
    fi
  done <<__OCM_LOGIN_OUT__
$login_out
__OCM_LOGIN_OUT__
fi
kv login_bin "$l_bin"
for v in OPENCLAW_STATE_DIR OPENCLAW_CONFIG_PATH OPENCLAW_HOME OPENCLAW_PROFILE OPENCLAW_GATEWAY_PORT OPENCLAW_WORKSPACE_DIR OPENCLAW_SYSTEMD_UNIT OPENCLAW_LAUNCHD_LABEL PATH; do
  eval "val=\${l_$v}"; [ -n "$val" ] && kv "login.$v" "$val"
done
# `command -v` without the `$(…)` fork: the first executable file named $1 on PATH.
path_lookup() {
  found=""; ocm_ifs=$IFS; IFS=:; set -f
  for d in $PATH; do [ -f "${d:-.}/$1" ] && [ -x "${d:-.}/$1" ] && { found="${d:-.}/$1"; break; }; done
  IFS=$ocm_ifs; set +f
  [ -n "$found" ]
}
expand_to() { case "$1" in "~") ex=$HOME ;; "~/"*) ex="$HOME/${1#\~/}" ;; *) ex=$1 ;; esac; }
bin=""; src=""
if [ -n "$reg_bin" ]; then expand_to "$reg_bin"; bin=$ex; src=registry
elif path_lookup openclaw; then bin=$found; src=path
elif [ -n "$l_bin" ]; then bin=$l_bin; src=login-shell
else
  for c in "$HOME/.npm-global/bin/openclaw" "$HOME/.local/bin/openclaw" @nvm "$HOME/.local/share/pnpm/openclaw" "$HOME/Library/pnpm/openclaw" "$HOME/.bun/bin/openclaw" /opt/homebrew/bin/openclaw /usr/local/bin/openclaw /usr/bin/openclaw; do
    if [ "$c" = @nvm ]; then
      # Glob order is ascending: the last executable match is the newest-named Node version.
      c=""; for n in "$HOME"/.nvm/versions/node/*/bin/openclaw; do [ -x "$n" ] && c=$n; done
    fi
    if [ -n "$c" ] && [ -x "$c" ]; then bin=$c; src=common-path; break; fi
  done
fi
if [ -n "$bin" ]; then
  kv bin "$bin"; kv bin_source "$src"
  if [ -x "$bin" ]; then
    stamp=""
    # With a version cache: one `stat` instead of starting Node.js when the binary did not change.
    # The stamp: inode, size and change time to the nanosecond (GNU/busybox stat; BSD ls -T: seconds).
    if [ "$want_stamp" = 1 ]; then
      stamp=$(stat -L -c '%i %s %z' -- "$bin" 2>/dev/null)
      [ -n "$stamp" ] || stamp=$(ls -ildcLT -- "$bin" 2>/dev/null)
      [ -n "$stamp" ] || stamp=$(ls -ildcL -- "$bin" 2>/dev/null)
      kv bin_stamp "$stamp"
    fi
    if [ -n "$known_stamp" ] && [ "$stamp" = "$known_stamp" ] && [ "$bin" = "$known_bin" ]; then
      kv version_line "$known_version_line"; kv version_cached 1
    else
      case "$bin" in */*) bd=${bin%/*}; bd=${bd:-/} ;; *) bd=. ;; esac
      vl=$(PATH="$bd:${l_PATH:-$PATH}" $to "$bin" --version </dev/null 2>&1)
      kv version_line "${vl%%"$nl"*}"
    fi
  else kv bin_missing 1; fi
fi
oh=${OPENCLAW_HOME:-$l_OPENCLAW_HOME}; oh=${oh:-$HOME}
profile=${OPENCLAW_PROFILE:-$l_OPENCLAW_PROFILE}
state=""; ssrc=""
if [ -n "$reg_state" ]; then expand_to "$reg_state"; state=$ex; ssrc=registry
elif [ -n "${OPENCLAW_STATE_DIR:-}" ]; then expand_to "$OPENCLAW_STATE_DIR"; state=$ex; ssrc=env
elif [ -n "$l_OPENCLAW_STATE_DIR" ]; then expand_to "$l_OPENCLAW_STATE_DIR"; state=$ex; ssrc=login-env
elif [ -n "$profile" ] && [ "$profile" != default ]; then state="$oh/.openclaw-$profile"; ssrc=profile
else
  state="$oh/.openclaw"; ssrc=default
  if [ ! -d "$state" ]; then
    for d in "$oh/.clawdbot" "$oh/.moltbot"; do [ -d "$d" ] && { state=$d; ssrc=legacy; break; }; done
  fi
fi
kv openclaw_home "$oh"
kv state "$state"; kv state_source "$ssrc"; [ -d "$state" ] && kv state_exists 1
cfg=""; csrc=""
if [ -n "${OPENCLAW_CONFIG_PATH:-}" ]; then expand_to "$OPENCLAW_CONFIG_PATH"; cfg=$ex; csrc=env
elif [ -n "$l_OPENCLAW_CONFIG_PATH" ]; then expand_to "$l_OPENCLAW_CONFIG_PATH"; cfg=$ex; csrc=login-env
else
  cfg="$state/openclaw.json"; csrc=state
  if [ ! -e "$cfg" ]; then
    for c in "$state/clawdbot.json" "$state/moltbot.json"; do [ -e "$c" ] && { cfg=$c; csrc=legacy; break; }; done
  fi
fi
kv config "$cfg"; kv config_source "$csrc"
sup=unmanaged; unit=""
# OpenClaw's service names: openclaw-gateway[-<profile>].service, LaunchAgent ai.openclaw.gateway / ai.openclaw.<profile>.
# OPENCLAW_SYSTEMD_UNIT / OPENCLAW_LAUNCHD_LABEL override them (OpenClaw accepts [A-Za-z0-9._@-] only).
case "$profile" in ""|default|Default|DEFAULT) sname=openclaw-gateway; lname=ai.openclaw.gateway ;; *) sname="openclaw-gateway-$profile"; lname="ai.openclaw.$profile" ;; esac
su=${OPENCLAW_SYSTEMD_UNIT:-$l_OPENCLAW_SYSTEMD_UNIT}
case "$su" in ""|*[!A-Za-z0-9._@-]*) ;; *) sname=${su%.service} ;; esac
ll=${OPENCLAW_LAUNCHD_LABEL:-$l_OPENCLAW_LAUNCHD_LABEL}
case "$ll" in ""|*[!A-Za-z0-9._@-]*) ;; *) lname=$ll ;; esac
for u in "$HOME/.config/systemd/user/$sname.service" "/etc/systemd/system/$sname.service"; do
  [ -f "$u" ] && { sup=systemd; unit=$u; break; }
done
if [ "$sup" = unmanaged ] && [ -f "$HOME/Library/LaunchAgents/$lname.plist" ]; then sup=launchd; unit="$HOME/Library/LaunchAgents/$lname.plist"; fi
kv supervisor "$sup"; [ -n "$unit" ] && kv supervisor_unit "$unit"
if [ -f "$cfg" ]; then
  if [ -r "$cfg" ]; then
    # macOS wc pads with spaces: `set --` trims them without a `tr`.
    size=$(wc -c < "$cfg")
    # shellcheck disable=SC2086
    set -- $size; size=${1:-0}
    kv config_size "$size"
    if [ "$size" -le 2097152 ]; then echo __OCM_CONFIG_BEGIN__; cat "$cfg"; fi
  else kv config_unreadable 1; fi
fi
exit 0
