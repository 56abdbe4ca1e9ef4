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

# Whether the agent just installed could start: the program runs here, its config loads, its
# dirs are safe. An upgrade hands off only then: a hand-off to no agent would leave none.
spew_successor_starts() {
  "$SPEW" agent --check --config "$SPEW_CONFIG" >/dev/null
}

# Before the service is restarted on an upgrade: the old agent exits leaving every appliance
# running, and returns once it is gone; the new agent, started next, re-adopts them, so an
# upgrade stops no appliance. Fails (harmlessly) when no agent runs.
spew_hand_off() {
  "$SPEW" agent --handoff --config "$SPEW_CONFIG" >/dev/null 2>&1
}

spew_not_handed_off() {
  echo "spew: the agent that runs is left running, as the new one could not be started here ($1)." >&2
  echo "spew: finish the upgrade, its appliances running on, with: /etc/init.d/spew restart-agent" >&2
}

# On purge: everything the agent made and the group. In /etc/spew, dpkg has removed what the
# package installed; what is left there the administrator wrote, and it stays.
spew_purge() {
  rm -rf /var/lib/spew /var/log/spew /run/spew /run/spew.pid /run/spew.stderr
  if [ -d /etc/spew ]; then
    find /etc/spew ! -type d | while read -r kept; do
      echo "spew: purge keeps $kept, which the package did not install"
    done
    find /etc/spew -depth -type d -empty -delete
  fi
  if getent group spew >/dev/null; then groupdel spew; fi
}
