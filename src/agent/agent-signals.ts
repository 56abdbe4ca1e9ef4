/**
 * Every signal the agent can be sent either does what the README says or is ignored on
 * purpose: by default SIGALRM, SIGUSR1 and others end a process, SIGQUIT dumps its core and
 * SIGTSTP stops it, and a stopped agent supervises nothing.
 *
 * Beyond reach: SIGKILL and SIGSTOP (nothing catches them); the faults SIGSEGV, SIGBUS, SIGFPE
 * and SIGILL (a handler returning from a real fault runs into it again); real-time signals
 * (Node cannot listen for them). They end the agent as a kill -9 does: appliances run on and
 * the next agent re-adopts them.
 */

export type SignalAction = 'stop' | 'handoff' | 'reload';

export const SIGNAL_ACTIONS = {
  SIGTERM: 'stop',
  SIGINT: 'stop',
  SIGUSR2: 'handoff',
  SIGHUP: 'reload',
} as const satisfies Partial<Record<NodeJS.Signals, SignalAction>>;

/**
 * One name per signal: SIGIOT is SIGABRT and SIGPOLL is SIGIO, and a listener on both names
 * would hear one signal twice. SIGUSR1 is here for the reason debugger-door.ts gives.
 */
export const IGNORED_SIGNALS: readonly NodeJS.Signals[] = [
  'SIGUSR1', 'SIGQUIT', 'SIGABRT', 'SIGALRM', 'SIGVTALRM', 'SIGPROF', 'SIGIO', 'SIGPWR', 'SIGSTKFLT',
  'SIGTRAP', 'SIGSYS', 'SIGXCPU', 'SIGXFSZ', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU',
];

/** Installs a listener on every signal above; answers the function that removes them all. */
export function handleSignals(
  onAction: (action: SignalAction, signal: NodeJS.Signals) => void,
  onIgnored: (signal: NodeJS.Signals) => void,
): () => void {
  const installed: [NodeJS.Signals, () => void][] = [
    ...Object.entries(SIGNAL_ACTIONS).map(([signal, action]): [NodeJS.Signals, () => void] => [
      signal as NodeJS.Signals,
      () => onAction(action, signal as NodeJS.Signals),
    ]),
    ...IGNORED_SIGNALS.map((signal): [NodeJS.Signals, () => void] => [signal, () => onIgnored(signal)]),
  ];
  for (const [signal, listener] of installed) process.on(signal, listener);
  return () => {
    for (const [signal, listener] of installed) process.off(signal, listener);
  };
}
