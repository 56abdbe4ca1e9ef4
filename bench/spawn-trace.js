// Loaded into an agent with `node --import` by the crash bench's breakdown pass (never into the
// agent measured for the headline figure). Appends one line per call to $SPEW_BENCH_TRACE_FILE,
// on the bench's clock (CLOCK_MONOTONIC plus $SPEW_BENCH_OFFSET_NS, the REALTIME-MONOTONIC
// offset; the monotonic clock is system-wide):
//   reap NS                    process.kill(-PGID, 'SIGKILL'): the first after a crash is
//                              ShellProcess.settle killing what is left of the group, i.e.
//                              the agent has seen the shim's `exit` line
//   go NS                      fs.writeSync of a run dir path (a go line: /run/REF, then the spec):
//                              the agent handing the start to a standby shim
//   launch NS                  a line written to the launcher (no standby was ready)
import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { syncBuiltinESMExports } from 'node:module';

const require = createRequire(import.meta.url);
const fs = require('node:fs');
const offset = BigInt(process.env.SPEW_BENCH_OFFSET_NS ?? '0');
const file = process.env.SPEW_BENCH_TRACE_FILE;
const now = () => process.hrtime.bigint() + offset;
/** The field separator of the shim's request lines (FIELD_SEPARATOR in src/runners/shell-shim.ts). */
const US = String.fromCharCode(0x1f);

if (file) {
  const { writeSync } = fs;
  fs.writeSync = function tracedWriteSync(fd, data, ...rest) {
    const at = now();
    const written = writeSync.call(this, fd, data, ...rest);
    if (typeof data === 'string' && new RegExp(`/run/[0-9a-f]+${US}`).test(data)) appendFileSync(file, `go ${at}\n`);
    return written;
  };
  const { Writable } = require('node:stream');
  const { write } = Writable.prototype;
  Writable.prototype.write = function tracedWrite(chunk, ...rest) {
    if (typeof chunk === 'string' && chunk.startsWith('spew-shim:') && chunk.includes(`${US}run${US}`)) appendFileSync(file, `launch ${now()}\n`);
    return write.call(this, chunk, ...rest);
  };
  const { kill } = process;
  process.kill = function tracedKill(pid, signal) {
    if (pid < 0 && signal === 'SIGKILL') appendFileSync(file, `reap ${now()}\n`);
    return kill.call(this, pid, signal);
  };
  // ESM importers of these modules (dist/ and execa) see the traced functions too.
  syncBuiltinESMExports();
}
