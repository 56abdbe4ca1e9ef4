/**
 * What the tests know about processes, read straight from /proc: independent of the agent's own
 * process-table code, so a bug there cannot hide itself from the tests.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ProcInfo {
  pid: number;
  ppid: number;
  pgrp: number;
  /** The state letter of /proc/PID/stat: R, S, D, Z (zombie), ... */
  state: string;
  /** The command line, arguments joined by spaces. */
  cmdline: string;
}

function readProc(pid: number): ProcInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name (field 2) may hold spaces and parentheses; fields after the last ')' don't.
    const [state, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ', 3);
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim();
    return { pid, ppid: Number(ppid), pgrp: Number(pgrp), state: state ?? '?', cmdline };
  } catch {
    // Gone between the directory listing and the read.
    return undefined;
  }
}

export function processes(): ProcInfo[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map((entry) => readProc(Number(entry)))
    .filter((info): info is ProcInfo => info !== undefined);
}

/** Members of a process group that still run something (zombies don't count). */
export function liveGroupMembers(pgid: number): ProcInfo[] {
  return processes().filter((p) => p.pgrp === pgid && p.state !== 'Z' && p.state !== 'X');
}

export function isAlive(pid: number): boolean {
  const info = readProc(pid);
  return info !== undefined && info.state !== 'Z' && info.state !== 'X';
}

/**
 * The appliance's own process: the one child of the shim (the shim's PID is the group id that
 * `spew status` shows).
 */
export function applianceProcess(pgid: number): ProcInfo | undefined {
  return liveGroupMembers(pgid).find((p) => p.ppid === pgid);
}

/** Live processes anywhere whose command line contains `marker`. */
export function processesMatching(marker: string): ProcInfo[] {
  return processes().filter((p) => p.cmdline.includes(marker) && p.state !== 'Z' && p.state !== 'X');
}

/** Field 22 of /proc/PID/stat: with the PID, it names one process for good. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** The live processes whose environment has `variable`, by session (pid lists). */
function sessionsWith(variable: string): Map<number, number[]> {
  const sessions = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(variable)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      const [state, , , sid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ', 4);
      if (state === 'Z' || state === 'X') continue;
      sessions.set(Number(sid), [...(sessions.get(Number(sid)) ?? []), Number(entry)]);
    } catch {
      // Gone, or not ours to read.
    }
  }
  return sessions;
}

/**
 * The live processes started for appliance `ref` (SPEW_REF in their environment, as the shim
 * gives it), by session: one session is one copy of the appliance.
 */
export function sessionsOfRef(ref: string): Map<number, number[]> {
  return sessionsWith(`SPEW_REF=${ref}`);
}

/** The sessions of live processes started as appliance `name` (SPEW_APPLIANCE in their environment). */
export function sessionsOfName(name: string): Set<number> {
  return new Set(sessionsWith(`SPEW_APPLIANCE=${name}`).keys());
}

/** The TCP ports process `pid` listens on (its sockets in LISTEN state, from /proc/net). */
export function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1] as string);
    } catch {
      // Closed meanwhile.
    }
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'latin1').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local_address is field 1 (ADDR:PORT in hex), st field 3 (0A: LISTEN), inode field 9.
      if (fields[3] === '0A' && inodes.has(fields[9] ?? '')) ports.push(Number.parseInt((fields[1] ?? '').split(':')[1] ?? '', 16));
    }
  }
  return ports;
}
