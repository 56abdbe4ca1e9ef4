// Loaded into an agent with `node --import` by the crash bench's breakdown pass (never into the
// agent measured for the headline figure). Appends one line per call to $SPEW_BENCH_TRACE_FILE,
// on the bench's clock (CLOCK_MONOTONIC plus $SPEW_BENCH_OFFSET_NS, the REALTIME-MONOTONIC
// offset; the monotonic clock is system-wide):
//   spawn ENTER_NS RETURN_NS   child_process.spawn, which execa uses
//   rmSync NS                  fs.rmSync: the first after a crash is ShellProcess.settle
//                              dropping the pid record, i.e. the agent has seen the shim go
import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { syncBuiltinESMExports } from 'node:module';

const require = createRequire(import.meta.url);
const childProcess = require('node:child_process');
const fs = require('node:fs');
const offset = BigInt(process.env.SPEW_BENCH_OFFSET_NS ?? '0');
const file = process.env.SPEW_BENCH_TRACE_FILE;
const now = () => process.hrtime.bigint() + offset;

if (file) {
  const { spawn } = childProcess;
  childProcess.spawn = function tracedSpawn(...args) {
    const enter = now();
    const child = spawn.apply(this, args);
    const back = now();
    appendFileSync(file, `spawn ${enter} ${back}\n`);
    return child;
  };
  const { rmSync } = fs;
  fs.rmSync = function tracedRmSync(...args) {
    appendFileSync(file, `rmSync ${now()}\n`);
    return rmSync.apply(this, args);
  };
  // ESM importers of these modules (dist/ and execa) see the traced functions too.
  syncBuiltinESMExports();
}
