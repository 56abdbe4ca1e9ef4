import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INIT_SYSTEM_FACTS, INIT_SYSTEMS } from '../../src/service/init-system.js';
import { PACKAGED_SERVICE, renderServiceScript } from '../../src/service/service-script.js';

const REPO = join(import.meta.dirname, '..', '..');
const template = (system: keyof typeof INIT_SYSTEM_FACTS): string => readFileSync(join(REPO, INIT_SYSTEM_FACTS[system].template), 'utf8');
const other = { name: 'spew-staging', binary: '/opt/spew/bin/spew', config: '/etc/spew/staging.toml' };

describe('renderServiceScript', () => {
  it.each(INIT_SYSTEMS)('gives the %s script in init/ unchanged for the packaged service', (system) => {
    expect(renderServiceScript(system, template(system), PACKAGED_SERVICE)).toBe(template(system));
  });

  it.each(INIT_SYSTEMS)('makes the %s script run another program on another config', (system) => {
    const script = renderServiceScript(system, template(system), other);
    expect(script).not.toContain('/usr/bin/spew');
    expect(script).not.toContain('/etc/spew/spew.toml');
  });

  it('runs the agent with the file log target from the unit and the upstart job', () => {
    expect(renderServiceScript('systemd', template('systemd'), other)).toContain(
      '\nExecStart=/opt/spew/bin/spew agent --config /etc/spew/staging.toml --log-target file\n',
    );
    expect(renderServiceScript('upstart', template('upstart'), other)).toContain(
      '\nexec /opt/spew/bin/spew agent --config /etc/spew/staging.toml --log-target file\n',
    );
  });

  it('names the init script, its LSB service and its PID file after the service', () => {
    const script = renderServiceScript('sysv', template('sysv'), other);
    expect(script).toContain('# Provides:          spew-staging\n');
    expect(script).toContain('\nNAME=spew-staging\nDAEMON=/opt/spew/bin/spew\nCONFIG=/etc/spew/staging.toml\nPIDFILE=/run/$NAME.pid\n');
  });

  it('fails on a template whose lines to change are not there exactly once', () => {
    expect(() => renderServiceScript('systemd', '[Service]\nExecStart=/bin/true\n', other)).toThrow(/the systemd template has 0 lines like "ExecStart=\/usr\/bin\/spew agent --config \/etc\/spew\/spew.toml"/);
    const twice = `${template('upstart')}${template('upstart')}`;
    expect(() => renderServiceScript('upstart', twice, other)).toThrow(/has 2 lines/);
  });
});
