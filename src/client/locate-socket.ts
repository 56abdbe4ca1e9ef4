/**
 * Where the CLI looks for the agent. The order is the usual one for a CLI: what the command line
 * says, then the environment, then the instance config the agent itself would read.
 */

export interface SocketFlags {
  socket?: string;
  config?: string;
}

/** The paragraph every client command's `--help` carries, so the order is written down once. */
export const SOCKET_HELP =
  'The agent is found at, in order: --socket PATH; the SPEW_SOCKET environment variable; ' +
  'the socket named in --config FILE; the default instance config (/etc/spew/spew.toml when ' +
  'running as root and it exists, else the per-user default). Start the agent with `spew agent` ' +
  '(or `systemctl start spew`).';

export async function locateSocket(
  flags: SocketFlags,
  env: NodeJS.ProcessEnv,
  uid: number,
): Promise<string> {
  if (flags.socket) return flags.socket;
  if (env.SPEW_SOCKET) return env.SPEW_SOCKET;
  // Loaded only here: `--socket` and SPEW_SOCKET need no config parsing at all.
  const { loadInstanceConfig } = await import('../config/instance-config.js');
  const config = await loadInstanceConfig(
    flags.config === undefined ? { env, uid } : { file: flags.config, env, uid },
  );
  return config.socket;
}
