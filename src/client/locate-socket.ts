/**
 * Where the CLI looks for the agent. The order is the usual one for a CLI: what the command line
 * says, then the environment, then the instance config the agent itself would read. A plain
 * user with no agent of their own talks to the host's agent (as a member of the `spew` group
 * may), as `docker` talks to the host's engine.
 */
import { existsSync } from 'node:fs';

export interface SocketFlags {
  socket?: string;
  config?: string;
}

/** The paragraph every client command's `--help` carries, so the order is written down once. */
export const SOCKET_HELP =
  'The agent is found at, in order: --socket PATH; the SPEW_SOCKET environment variable; ' +
  'the socket named in --config FILE; the default instance config (/etc/spew/spew.toml when ' +
  'running as root and it exists, else the per-user default, else, when no agent of your own ' +
  'runs, the socket of /etc/spew/spew.toml). Start the agent with `spew agent` ' +
  '(or `systemctl start spew`).';

export async function locateSocket(
  flags: SocketFlags,
  env: NodeJS.ProcessEnv,
  uid: number,
): Promise<string> {
  if (flags.socket) return flags.socket;
  if (env.SPEW_SOCKET) return env.SPEW_SOCKET;
  // Loaded only here: `--socket` and SPEW_SOCKET need no config parsing at all.
  const { loadInstanceConfig, ROOT_CONFIG_FILE } = await import('../config/instance-config.js');
  if (flags.config !== undefined) return (await loadInstanceConfig({ file: flags.config, env, uid })).socket;
  const own = (await loadInstanceConfig({ env, uid })).socket;
  if (uid === 0 || existsSync(own) || !existsSync(ROOT_CONFIG_FILE)) return own;
  return (await loadInstanceConfig({ file: ROOT_CONFIG_FILE, env, uid })).socket;
}
