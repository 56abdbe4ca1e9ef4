/**
 * The init systems spew has a service script for, what each one's script is called and where it
 * goes, and how to tell which one runs this host.
 */
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';

export const INIT_SYSTEMS = ['systemd', 'upstart', 'sysv'] as const;
export type InitSystem = (typeof INIT_SYSTEMS)[number];

export interface InitSystemFacts {
  /** The script in the package's init/ folder: the one text both the packages and `spew service install` use. */
  template: string;
  /** Where the script goes for a service called `name`. */
  installPath(name: string): string;
  mode: number;
  /** What the operator runs next to enable and start it. */
  nextSteps(name: string): string[];
}

export const INIT_SYSTEM_FACTS: Record<InitSystem, InitSystemFacts> = {
  systemd: {
    template: 'init/systemd/spew.service',
    installPath: (name) => `/etc/systemd/system/${name}.service`,
    mode: 0o644,
    nextSteps: (name) => [`systemctl daemon-reload`, `systemctl enable --now ${name}`],
  },
  upstart: {
    template: 'init/upstart/spew.conf',
    installPath: (name) => `/etc/init/${name}.conf`,
    mode: 0o644,
    nextSteps: (name) => [`initctl reload-configuration`, `start ${name}`],
  },
  sysv: {
    template: 'init/sysv/spew',
    installPath: (name) => `/etc/init.d/${name}`,
    mode: 0o755,
    nextSteps: (name) => [`update-rc.d ${name} defaults   # Red Hat: chkconfig --add ${name}`, `service ${name} start`],
  },
};

/** How the host is looked at; tests give their own answers. */
export interface HostProbe {
  isDirectory(path: string): Promise<boolean>;
  /** What `initctl --version` prints, or undefined when there is no initctl. */
  initctlVersion(): Promise<string | undefined>;
}

export const HOST_PROBE: HostProbe = {
  async isDirectory(path) {
    try {
      return (await stat(path)).isDirectory();
    } catch {
      return false;
    }
  },
  initctlVersion: () =>
    new Promise((resolve) => {
      execFile('initctl', ['--version'], { timeout: 2_000 }, (err, stdout) => resolve(err ? undefined : stdout));
    }),
};

/**
 * systemd's own test (sd_booted): it runs when /run/systemd/system exists. Upstart answers
 * `initctl --version` with its name (sysvinit has no initctl command). Anything else gets the
 * LSB init script, which needs nothing but a shell.
 */
export async function detectInitSystem(probe: HostProbe = HOST_PROBE): Promise<InitSystem> {
  if (await probe.isDirectory('/run/systemd/system')) return 'systemd';
  if ((await probe.initctlVersion())?.includes('upstart')) return 'upstart';
  return 'sysv';
}
