import { describe, expect, it } from 'vitest';
import {
  configVersion, ContainerSpecError, containerName, createOptions, parseMemory, parsePorts,
} from '../../../src/runners/docker/container-spec.js';
import { def, IMAGE } from './docker-kit.js';

describe('container create options', () => {
  it('runs a string command under /bin/sh -c and an argv as it is', () => {
    expect(createOptions(def('a', 'echo hi'), IMAGE).Cmd).toEqual(['/bin/sh', '-c', 'echo hi']);
    expect(createOptions(def('a', ['httpd', '-f']), IMAGE).Cmd).toEqual(['httpd', '-f']);
    expect(createOptions(def('a', []), IMAGE).Cmd).toBeUndefined();
  });

  it('maps env, cwd, user, entrypoint, network, binds, limits and labels', () => {
    const d = def('web', 'x', {
      entrypoint: ['/bin/sh'], network: 'none', volumes: ['/srv:/data:ro'], binds: ['/tmp:/tmp'],
      memory: '256m', cpus: 0.5, labels: { team: 'ops', 'spew.ref': 'forged' },
    }, { env: { A: '1' }, cwd: '/data', user: 'nobody', group: 'nogroup' });
    const o = createOptions(d, IMAGE);
    expect(o.Image).toBe(IMAGE);
    expect(o.Env).toEqual(['A=1', 'SPEW_APPLIANCE=web', `SPEW_REF=${d.ref}`]);
    expect(o).toMatchObject({ WorkingDir: '/data', User: 'nobody:nogroup', Entrypoint: ['/bin/sh'], StopSignal: 'SIGTERM' });
    expect(o.HostConfig).toMatchObject({
      NetworkMode: 'none', Binds: ['/srv:/data:ro', '/tmp:/tmp'], Memory: 256 * 1024 ** 2, NanoCpus: 500_000_000,
      RestartPolicy: { Name: 'no' },
    });
    expect(o.Labels).toMatchObject({ team: 'ops', 'spew.ref': d.ref, 'spew.name': 'web', 'spew.version': configVersion(d) });
    expect(o.name).toBe(containerName(d));
  });

  it('takes the container user and working dir from runneropts over the top-level ones', () => {
    const d = def('web', 'x', { user: '1000:1000', workdir: '/srv' }, { cwd: '/data', user: 'nobody' });
    expect(createOptions(d, IMAGE)).toMatchObject({ User: '1000:1000', WorkingDir: '/srv' });
    expect(() => createOptions(def('web', 'x', { user: '' }), IMAGE)).toThrow(ContainerSpecError);
  });

  it('publishes ports on the host address asked for, and only exposes a bare container port', () => {
    expect(parsePorts(['127.0.0.1:8080:80', '8081:81/udp', '9000', '[::1]:8443:443'])).toEqual({
      exposed: { '80/tcp': {}, '81/udp': {}, '9000/tcp': {}, '443/tcp': {} },
      bindings: {
        '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }],
        '81/udp': [{ HostPort: '8081' }],
        '443/tcp': [{ HostIp: '::1', HostPort: '8443' }],
      },
    });
    expect(() => parsePorts(['http'])).toThrow(ContainerSpecError);
  });

  it('reads memory as bytes or in Docker notation', () => {
    expect(parseMemory(1048576)).toBe(1048576);
    expect(parseMemory('512k')).toBe(512 * 1024);
    expect(parseMemory('1g')).toBe(1024 ** 3);
    expect(() => parseMemory('lots')).toThrow(/runneropts.memory/);
  });

  it('gives one config the same version everywhere', () => {
    const d = def('a', 'x');
    expect(configVersion({ ...d })).toBe(configVersion(JSON.parse(JSON.stringify(d))));
    expect(configVersion({ ...d, command: 'y' })).not.toBe(configVersion(d));
  });
});
