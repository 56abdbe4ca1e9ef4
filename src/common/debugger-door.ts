/**
 * Node opens its inspector, a WebSocket on 127.0.0.1:9229 that evaluates any code it is sent,
 * when the process gets SIGUSR1 and has no listener for it. In an agent that runs as root that
 * is a door to root for every local user, opened by anything that sends SIGUSR1 (a log rotator,
 * a mistaken kill). A listener keeps the inspector shut; one opened before the listener was in
 * place (a SIGUSR1 during start-up, `--inspect` in NODE_OPTIONS) is closed. The single binary
 * is also built with `--disable-sigusr1` and ignores NODE_OPTIONS (scripts/build-binary.mjs).
 */
import { close, url } from 'node:inspector';

/** Answers whether an inspector was open and had to be closed. */
export function closeDebuggerDoor(): boolean {
  if (process.listenerCount('SIGUSR1') === 0) process.on('SIGUSR1', () => undefined);
  if (url() === undefined) return false;
  close();
  return true;
}
