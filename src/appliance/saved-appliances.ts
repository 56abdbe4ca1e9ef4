/**
 * The appliances a booting agent starts from: the saved state (or its copy, recovered loudly),
 * or on a first boot (nothing ever saved) the appliance files, each as version 1 of a new
 * history.
 */
import type { Logger } from 'winston';
import type { LoadedItem } from '../config/appliance-file.js';
import type { PersistedAppliance } from '../model/persisted-appliance.js';
import type { StateLoad, StateStore } from '../store/state-store.js';
import { checkDependencies } from '../supervision/dependency-check.js';
import { definitionOf, freshRecord, sourceOf } from './item-definition.js';
import { newRef } from './ref.js';
import type { VersionKeeper } from './version-keeper.js';

export async function loadAppliances(
  store: StateStore,
  versions: VersionKeeper,
  firstBootItems: () => Promise<LoadedItem[]>,
  logger: Logger,
  acrossHosts: boolean,
): Promise<{ saved: PersistedAppliance[]; loaded: StateLoad['kind'] }> {
  const loaded = await store.load();
  let saved: PersistedAppliance[];
  if (loaded.kind === 'none') {
    const items = await firstBootItems();
    checkDependencies(items, new Map(), acrossHosts);
    await versions.startAfresh();
    const made = items.map((item) => {
      const def = definitionOf(item, item.opts.ref ?? newRef());
      return { def, ...versions.add(def, item.raw, sourceOf(item), null) };
    });
    await Promise.all(made.map((m) => m.written));
    saved = made.map(({ def, version }) => freshRecord(def, version.version, 'running'));
    logger.info(`first boot: ${saved.length} appliance(s) from config files`);
  } else {
    saved = loaded.appliances;
    if (loaded.kind === 'recovered') {
      const kept = loaded.keptAs ? `; the damaged file is kept as ${loaded.keptAs}` : '';
      logger.error(`state: ${store.path}: ${loaded.problem}; recovered all ${saved.length} appliance(s) from its copy ${store.copyPath}${kept}`);
    }
    await versions.restore(saved);
  }
  return { saved, loaded: loaded.kind };
}
