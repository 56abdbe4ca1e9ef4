/** What the Docker runner tests share: definitions, a capture that keeps its lines, cleanup. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ApplianceDefinition } from '../../../src/model/appliance-definition.js';
import type { Command } from '../../../src/model/command.js';
import { parseLogLine, type ParsedLogLine } from '../../../src/logs/log-line.js';
import { OutputCapture } from '../../../src/logs/output-capture.js';
import { RotatingLogFile } from '../../../src/logs/rotating-log-file.js';
import { shorthandPolicy } from '../../../src/model/restart-policy.js';

export const IMAGE_NAME = 'spew-test-busybox';
export const IMAGE_TAG = '1.0.0';
export const IMAGE = `${IMAGE_NAME}:${IMAGE_TAG}`;
/** Every container these tests make carries it, so afterAll removes them all by label. */
export const TEST_LABEL = 'spew.test';

export function def(
  name: string,
  command: Command,
  runneropts: Record<string, unknown> = {},
  extra: Partial<ApplianceDefinition> = {},
): ApplianceDefinition {
  return {
    type: 'docker',
    name,
    options: {},
    ref: randomBytes(6).toString('hex'),
    command,
    env: {},
    image: IMAGE_NAME,
    tag: IMAGE_TAG,
    runneropts: { labels: { [TEST_LABEL]: 'docker-runner' }, ...runneropts },
    restart: shorthandPolicy('never'),
    watchers: [],
    monitors: [],
    depends: [],
    depends_timeout_ms: 60_000,
    hooks: {},
    stop_signal: 'SIGTERM',
    stop_timeout_ms: 10_000,
    stdin: false,
    ...extra,
  };
}

/** A real capture on a temp file whose lines the test can read as they come. */
export class RecordingCapture {
  readonly lines: ParsedLogLine[] = [];
  readonly capture: OutputCapture;
  private readonly dir = mkdtempSync(join(tmpdir(), 'spew-docker-capture-'));

  constructor() {
    this.capture = new OutputCapture(new RotatingLogFile(join(this.dir, 'app.log'), { maxBytes: 1 << 20, maxFiles: 2 }));
    this.capture.subscribe((line) => {
      const parsed = parseLogLine(line);
      if (parsed) this.lines.push(parsed);
    });
  }

  texts(stream?: 'out' | 'err'): string[] {
    return this.lines.filter((l) => stream === undefined || l.stream === stream).map((l) => l.text);
  }

  close(): void {
    this.capture.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
