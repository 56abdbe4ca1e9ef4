/**
 * `spew create` and `spew run`: one appliance described on the command line. The flags become the
 * same table a config file would hold, so the agent validates both the same way.
 */
import { Args, Flags } from '@oclif/core';
import { ClientCommand, jsonFlag } from './client-command.js';
import { renderClusterStatusTable, renderStatusTable } from './status-table.js';
import { withPullProgress } from './pull-progress.js';
import type { ApplianceStatus } from '../model/appliance-status.js';
import { isHosted, type HostedStatus } from '../model/cluster.js';

export abstract class CreateCommand extends ClientCommand {
  /** Whether the agent starts the appliance once created: the only difference of `run`. */
  protected abstract readonly start: boolean;

  static override strict = false;
  static override args = {
    spec: Args.string({
      description: 'Appliance name, optionally with runner options: NAME or NAME#key:value,...',
      required: true,
    }),
  };
  static override flags = {
    shell: Flags.string({ description: 'Command line for /bin/sh -c, instead of COMMAND... after --.' }),
    env: Flags.string({
      char: 'e',
      description: 'Environment variable KEY=VALUE (repeatable).',
      multiple: true,
      // One value per -e, so `-e A=1 web` does not take the SPEC for a second variable.
      multipleNonGreedy: true,
    }),
    cwd: Flags.string({ description: 'Working directory.' }),
    restart: Flags.string({ description: 'When to restart it.', options: ['always', 'crash', 'never'] }),
    'stop-signal': Flags.string({ description: 'Signal that asks it to stop (e.g. SIGTERM).' }),
    'stop-timeout': Flags.string({ description: 'Wait this long after the stop signal before SIGKILL (e.g. 10s).' }),
    stdin: Flags.boolean({ description: 'Pass `spew attach` input to its stdin.' }),
    user: Flags.string({ description: 'User to run it as.' }),
    group: Flags.string({ description: 'Group to run it as.' }),
    image: Flags.string({ description: 'Run a container of this image (registry/name, no tag): a docker appliance.', helpGroup: 'DOCKER' }),
    tag: Flags.string({ description: 'Image tag (else the spec\'s vsn constraint, else latest).', helpGroup: 'DOCKER' }),
    publish: Flags.string({
      char: 'p',
      description: 'Publish a port, [ip:]hostPort:containerPort[/proto] (repeatable).',
      multiple: true,
      multipleNonGreedy: true,
      helpGroup: 'DOCKER',
    }),
    volume: Flags.string({
      char: 'v',
      description: 'Bind a volume, /host:/container[:ro] (repeatable).',
      multiple: true,
      multipleNonGreedy: true,
      helpGroup: 'DOCKER',
    }),
    host: Flags.string({ description: 'Run it on this host of the cluster.', helpGroup: 'CLUSTER' }),
    constraint: Flags.string({
      description: 'A label its host must have, KEY=VALUE (repeatable): the live host with the fewest appliances among those is chosen.',
      multiple: true,
      multipleNonGreedy: true,
      helpGroup: 'CLUSTER',
    }),
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { args, argv, flags } = await this.parse(CreateCommand);
    // Taken from the raw words: oclif re-sorts its argv by first occurrence, which scrambles a
    // command that repeats a word seen earlier (`spew run -e A=1 x -- env -e ...`).
    const dashdash = this.argv.indexOf('--');
    const command = dashdash === -1 ? [] : this.argv.slice(dashdash + 1);
    if (argv.length !== 1 + command.length) this.error('put the command after --', { exit: 2 });
    if (flags.shell !== undefined && command.length > 0) {
      this.error('give the command either after -- or with --shell, not both', { exit: 2 });
    }
    // A container may run its image's own command; a shell appliance has nothing else to run.
    if (flags.image === undefined && flags.shell === undefined && command.length === 0) {
      this.error('give the command after -- or with --shell (or an --image to run)', { exit: 2 });
    }
    if (flags.image === undefined && (flags.tag ?? flags.publish ?? flags.volume) !== undefined) {
      this.error('--tag, --publish and --volume go with --image', { exit: 2 });
    }
    const docker = flags.image === undefined ? {} : {
      type: 'docker',
      image: flags.image,
      ...(flags.tag !== undefined && { tag: flags.tag }),
      runneropts: { ...(flags.publish && { ports: flags.publish }), ...(flags.volume && { volumes: flags.volume }) },
    };
    const given = flags.shell ?? (command.length > 0 ? command : undefined);
    const item: Record<string, unknown> = {
      ...docker,
      ...(given !== undefined && { command: given }),
      ...(flags.env && { env: this.parsePairs('--env', flags.env) }),
      ...(flags.cwd !== undefined && { cwd: flags.cwd }),
      ...(flags.restart !== undefined && { restart: flags.restart }),
      ...(flags['stop-signal'] !== undefined && { stop_signal: flags['stop-signal'] }),
      ...(flags['stop-timeout'] !== undefined && { stop_timeout: flags['stop-timeout'] }),
      ...(flags.stdin && { stdin: true }),
      ...(flags.user !== undefined && { user: flags.user }),
      ...(flags.group !== undefined && { group: flags.group }),
    };
    const placement = {
      ...(flags.host !== undefined && { host: flags.host }),
      ...(flags.constraint && { constraint: this.parsePairs('--constraint', flags.constraint) }),
    };
    const client = await this.connect(flags);
    const create = (): Promise<ApplianceStatus | HostedStatus> => client.create({ spec: args.spec, item, start: this.start, ...placement });
    const name = args.spec.split('#')[0] as string;
    const appliance = this.start && flags.image !== undefined ? await withPullProgress(client, [name], create) : await create();
    if (flags.json) this.log(JSON.stringify(appliance, null, 2));
    else if (isHosted(appliance)) this.log(renderClusterStatusTable('', [], [appliance], { paint: this.paint, now: Date.now() }));
    else this.log(renderStatusTable([appliance], { paint: this.paint }));
  }

  private parsePairs(flag: string, pairs: string[]): Record<string, string> {
    const parsed: Record<string, string> = {};
    for (const pair of pairs) {
      const eq = pair.indexOf('=');
      if (eq <= 0) this.error(`${flag} ${pair}: expected KEY=VALUE`, { exit: 2 });
      parsed[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    return parsed;
  }
}
