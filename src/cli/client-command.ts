/**
 * What every command that talks to the agent shares: how the agent is found, how answers are
 * coloured, and how failures become a message on stderr and an exit status.
 */
import { Command, Flags } from '@oclif/core';
import { SpewError } from '../common/errors.js';
import { ApiClient } from '../client/api-client.js';
import { locateSocket, SOCKET_HELP, type SocketFlags } from '../client/locate-socket.js';
import { cliErrorLine } from './cli-error-line.js';
import { painter, shouldColour, type Paint } from './style.js';

/** `--json` for every command that reads: scripts parse that, people read the text. */
export const jsonFlag = Flags.boolean({ description: 'Print JSON instead of text.' });

export abstract class ClientCommand extends Command {
  static override baseFlags = {
    socket: Flags.string({
      description: 'Agent socket to talk to (default: SPEW_SOCKET, then --config, then the default config).',
      helpGroup: 'AGENT',
    }),
    config: Flags.string({
      description: 'Instance config file (TOML) whose socket to use.',
      helpGroup: 'AGENT',
    }),
  };

  // Subclasses set `summary`; this shared paragraph is the DESCRIPTION of each of them.
  static override description = SOCKET_HELP;

  protected readonly paint: Paint = painter(shouldColour(process.stdout, process.env));

  protected async connect(flags: SocketFlags): Promise<ApiClient> {
    return new ApiClient(await locateSocket(flags, process.env, process.getuid?.() ?? 0));
  }

  /** One failure as the CLI reports it; also used per appliance when a command acts on many. */
  protected reportError(err: SpewError): void {
    process.exitCode = 1;
    this.logToStderr(cliErrorLine(err));
  }

  /** API errors exit 1 with their words; anything else (usage errors: exit 2) is oclif's. */
  override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    if (err instanceof SpewError) {
      this.reportError(err);
      return;
    }
    return super.catch(err);
  }
}
