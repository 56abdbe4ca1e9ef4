/**
 * The layering of src/, checked by `npm run lint`. Each folder sits on a layer; a module may
 * import its own folder and any folder on a lower layer, never one on a higher layer, and no
 * import cycle is allowed (type-only imports included). The order, top first, is written in
 * README.md's architecture section; change both together.
 */
const LAYERS = [
  ['binary'],
  ['commands'],
  ['cli'],
  ['client', 'service'],
  ['agent'],
  ['cluster'],
  ['versions', 'upgrades'],
  ['appliance'],
  ['supervision', 'hooks', 'watchers'],
  ['runners'],
  ['store', 'logs', 'config', 'images'],
  ['api'],
  ['model'],
  ['common'],
];

const folder = (name) => `^src/${name}/`;
const below = (index) => LAYERS.slice(index + 1).flat();
const notBelowOrSame = (index) => LAYERS.flat().filter((f) => !below(index).includes(f) && !LAYERS[index].includes(f));

// Folders that share a layer may import one another only as written here (still without cycles).
const SIDEWAYS = {
  versions: ['upgrades'],
  watchers: ['runners'],
  hooks: ['runners'],
  store: ['logs'],
  config: ['images'],
  client: ['service'],
};

export default {
  forbidden: [
    {
      name: 'no-cycle',
      comment: 'An import cycle ties modules into one: break it by moving the shared part down.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    ...LAYERS.flatMap((names, index) =>
      names.map((name) => ({
        name: `layer-${name}`,
        comment: `src/${name}/ may import only ${[...(SIDEWAYS[name] ?? []), ...below(index)].join(', ')} (see README, Architecture).`,
        severity: 'error',
        from: { path: folder(name) },
        to: {
          path: `^src/(${[...notBelowOrSame(index), ...LAYERS[index].filter((f) => f !== name && !(SIDEWAYS[name] ?? []).includes(f))].join('|')})/`,
        },
      })),
    ),
    {
      name: 'pure-core',
      comment: 'The state machine and supervision policy decide; they do no I/O, so tests drive them with a fake clock.',
      severity: 'error',
      from: { path: '^src/(appliance/state-machine\\.ts|supervision/)' },
      to: { path: '^(node:)?(fs|child_process|net|http|dgram|dockerode|execa)($|/)|node_modules/(dockerode|execa)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'etcd-behind-the-store',
      comment: 'Only src/cluster/etcd-store.ts knows the etcd client: the rest of spew asks the ClusterStore interface, so the client can be replaced.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cluster/etcd-store\\.ts$' },
      to: { path: 'node_modules/(etcd3|cockatiel)/' },
    },
    {
      name: 'cluster-loaded-on-demand',
      comment: 'A single host never loads the cluster code: the agent reaches it by a dynamic import, only with a [cluster] table.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cluster/' },
      to: { path: '^src/cluster/', dependencyTypesNot: ['type-only', 'dynamic-import'] },
    },
    {
      name: 'model-is-a-leaf',
      comment: 'src/model/ is the shared vocabulary: it imports only src/common/, no package or Node module.',
      severity: 'error',
      from: { path: '^src/model/' },
      to: { pathNot: '^src/(model|common)/' },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
  },
};
