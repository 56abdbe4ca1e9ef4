// Loaded into an agent with `node --import` by the crash bench's breakdown pass (never into the
// agent measured for the headline figure). Appends one line per call to $SPEW_BENCH_TRACE_FILE,
// on the bench's clock (CLOCK_MONOTONIC plus $SPEW_BENCH_OFFSET_NS, the REALTIME-MONOTONIC
// offset; the monotonic clock is system-wide):
//   rmSync NS                  fs.rmSync: the first after a crash is ShellProcess.settle
//                              dropping the pid record, i.e. the agent has seen the shim's
//                              `exit` line
//   go NS                      fs.writeSync of a run dir path (a line ending in /run/REF):
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

if (file) {
  const { writeSync } = fs;
  fs.writeSync = function tracedWriteSync(fd, data, ...rest) {
    const at = now();
    const written = writeSync.call(this, fd, data, ...rest);
    if (typeof data === 'string' && /\/run\/[0-9a-f]+\n$/.test(data)) appendFileSync(file, `go ${at}\n`);
    return written;
  };
  const { Writable } = require('node:stream');
  const { write } = Writable.prototype;
  Writable.prototype.write = function tracedWrite(chunk, ...rest) {
    if (typeof chunk === 'string' && /^spew-shim:[^\t]*\trun\t/.test(chunk)) appendFileSync(file, `launch ${now()}\n`);
    return write.call(this, chunk, ...rest);
  };
  const { rmSync } = fs;
  fs.rmSync = function tracedRmSync(...args) {
    appendFileSync(file, `rmSync ${now()}\n`);
    return rmSync.apply(this, args);
  };
  // ESM importers of these modules (dist/ and execa) see the traced functions too.
  syncBuiltinESMExports();
}
