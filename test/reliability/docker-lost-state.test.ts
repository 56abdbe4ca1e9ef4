/**
 * A lost state with containers of this instance running (real engine): they are recovered
 * from the copy of the state, or, with no state left at all, stopped before the appliance files
 * start their containers anew. Never two containers of one appliance side by side.
 */
import Docker from 'dockerode';
import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AgentHarness, SLOW } from '../support/agent-harness.js';
import { ensureBusyboxImage, removeContainersByLabel } from '../support/docker-engine.js';
import { waitFor } from '../support/wait-for.js';

const IMAGE = 'spew-test-busybox';
const TAG = '1.0.0';
const LABEL = 'spew.test=reliability-docker';
const docker = new Docker();
const FILE = `[box]\ntype = "docker"\nimage = "${IMAGE}"\ntag = "${TAG}"\ncommand = ["sleep", "100000"]\nrestart = "always"\n[box.runneropts]\nlabels = { "spew.test" = "reliability-docker" }\n`;

async function running(): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ filters: { label: [LABEL], status: ['running'] } });
}

beforeAll(async () => {
  await ensureBusyboxImage(IMAGE, TAG);
});
afterAll(async () => {
  await removeContainersByLabel(LABEL);
});

describe('a lost state with containers running', () => {
  let h: AgentHarness;
  afterEach(async () => {
    await h.cleanup();
    await removeContainersByLabel(LABEL);
  });

  it('labels each container with its instance, and recovers it from the copy of a deleted state file', async () => {
    h = new AgentHarness({ appliances: { 'a.toml': FILE } });
    await h.start();
    const box = await h.running('box');
    const [container] = await running();
    expect(container?.Labels['spew.instance']).toBe(h.stateDir);
    await h.kill9();
    unlinkSync(join(h.stateDir, 'state.json'));
    await h.start();
    expect(await h.running('box')).toMatchObject({ ref: box.ref, pid: box.pid });
    expect((await running()).map((c) => c.Id)).toEqual([container?.Id]);
  });

  it('stops the containers of this instance it no longer knows before the appliance files start theirs', async () => {
    h = new AgentHarness({ appliances: { 'a.toml': FILE } });
    await h.start();
    const box = await h.running('box');
    await h.kill9();
    unlinkSync(join(h.stateDir, 'state.json'));
    unlinkSync(join(h.stateDir, 'state.json.1'));
    await h.start();
    const fresh = await h.until('box', 'to run anew', (s) => s.state === 'running' && s.ref !== box.ref, SLOW);
    const now = await waitFor('one container of it', async () => {
      const list = await running();
      return list.length === 1 && list;
    }, SLOW);
    expect(now[0]?.Labels['spew.ref']).toBe(fresh.ref);
    expect(h.agentLog()).toMatch(new RegExp(`container [0-9a-f]{12} \\(appliance box, ref ${box.ref}\\) belongs to this instance but to no appliance the agent has: stopping it`));
  });
});
