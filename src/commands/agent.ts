import { Command, Flags } from '@oclif/core';
import { SpewError } from '../common/errors.js';

const HANDOFF_EXIT_DEADLINE_MS = 30_000;

export class Agent extends Command {
  static override summary = 'Run the spew agent (supervises the appliances and serves the API).';
  static override description = [
    'Runs in the foreground until SIGTERM or SIGINT, which stop every appliance gracefully and exit 0.',
    'SIGUSR2, or `spew agent --handoff` from another shell, makes a running agent exit at once and leave its',
    'appliances running; the next agent on the same state dir re-adopts them (use it to restart or upgrade the agent).',
    'SIGHUP re-reads the instance config: log_level applies at once, other changes at the next start; a file',
    'that does not load is refused (the agent log says why) and the agent runs on as it was.',
    '',
    'Instance config: --config FILE, else /etc/spew/spew.toml for root; a plain user with no config gets',
    'a state dir under $XDG_STATE_HOME/spew (or ~/.local/state/spew) and a socket under $XDG_RUNTIME_DIR.',
  ].join('\n');

  static override flags = {
    config: Flags.string({ char: 'c', description: 'Instance config file (TOML).' }),
    'log-target': Flags.string({
      options: ['console', 'file'],
      description: "Where the agent's own log goes (default: console when stderr is a terminal, else LOG_DIR/agent.log).",
    }),
    handoff: Flags.boolean({
      description: 'Tell the agent already running on this config to exit and leave its appliances running; returns once it has exited.',
    }),
    check: Flags.boolean({
      description: 'Only check that an agent could start on this config (it loads, and its dirs are safe); exit 0 if so, 1 saying why not.',
      exclusive: ['handoff'],
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Agent);
    const { loadInstanceConfig } = await import('../config/instance-config.js');
    try {
      const config = await loadInstanceConfig({ file: flags.config, env: process.env, uid: process.getuid?.() ?? 0 });
      if (flags.check) {
        const { checkAgentDirs } = await import('../agent/agent-dirs.js');
        checkAgentDirs(config);
        this.log(`an agent can start on ${config.configFile ?? 'the defaults'}`);
        return;
      }
      if (flags.handoff) {
        const { ApiClient } = await import('../client/api-client.js');
        const { waitForProcessExit } = await import('../cli/process-exit.js');
        const client = new ApiClient(config.socket);
        const { pid } = await client.agent();
        await client.handoff();
        // Whoever starts the next agent (an upgrade's maintainer script) needs this one gone:
        // a service manager would take a start while it still runs for a no-op.
        if (!(await waitForProcessExit(pid, HANDOFF_EXIT_DEADLINE_MS))) this.error(`the agent (pid ${pid}) was asked to hand off but still runs`, { exit: 1 });
        this.log(`the agent on ${config.socket} (pid ${pid}) handed off and exited; its appliances keep running`);
        return;
      }
      const { Agent: SpewAgent } = await import('../agent/agent.js');
      const target = flags['log-target'] ?? (process.stderr.isTTY ? 'console' : 'file');
      const agent = new SpewAgent({ config, foreground: target === 'console', version: this.config.version });
      await agent.start();
      await agent.done;
      // Every handle the agent owned is closed; nothing else may keep the process from exiting 0.
      process.exit(0);
    } catch (err) {
      if (err instanceof SpewError) this.error(err.message, { exit: 1 });
      throw err;
    }
  }
}
