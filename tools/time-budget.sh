# Sourced by the device scripts (tools/device-check.sh, tools/device-profile.sh):
# a wall-clock budget that every step draws from. The caller sets DEADLINE
# (seconds since the epoch) before calling these.

# Seconds left of the budget (negative once it is spent).
left() { echo $((DEADLINE - $(date +%s))); }

# within SECONDS CMD...: runs CMD with at most SECONDS, or what is left of the
# budget if less; exit 124 when cut short, 125 when no time is left to start.
within() {
  local want=$1 remaining
  shift
  remaining=$(left)
  if ((remaining < 5)); then return 125; fi
  if ((want > remaining)); then want=$remaining; fi
  timeout --kill-after=5 "$want" "$@"
}
