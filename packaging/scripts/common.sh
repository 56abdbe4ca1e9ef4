# Shared by the maintainer scripts of the .deb and the .rpm: packaging/build.mjs puts this in
# place of the #SPEW_COMMON# line of each. What differs (how a service is enabled, started and
# stopped) stays in the scripts, in each distribution's own way.
SPEW=/usr/bin/spew
SPEW_CONFIG=/etc/spew/spew.toml

# Its members may use the agent's socket (socket_group in spew.toml).
spew_add_group() {
  getent group spew >/dev/null || groupadd --system spew
}

spew_make_dirs() {
  mkdir -p /var/lib/spew /var/log/spew
  chmod 0750 /var/lib/spew /var/log/spew
}

# Before the service is restarted on an upgrade: the old agent exits leaving every appliance
# running, and returns once it is gone; the new agent, started next, re-adopts them, so an
# upgrade stops no appliance. Fails (harmlessly) when no agent runs.
spew_hand_off() {
  "$SPEW" agent --handoff --config "$SPEW_CONFIG" >/dev/null 2>&1
}

# On purge: everything the agent made, its config and the group.
spew_purge() {
  rm -rf /var/lib/spew /var/log/spew /etc/spew /run/spew /run/spew.pid /run/spew.stderr
  if getent group spew >/dev/null; then groupdel spew; fi
}
