/**
 * Stands in for oclif's module loader inside the single binary (the bundler swaps it in for
 * `@oclif/core/lib/module-loader`). oclif loads the command map by `require`/`import` of a file
 * path (package.json `oclif.commands.target`); the binary has no files, but the map is bundled,
 * so it is answered from here. Nothing else is loaded by path: this CLI has no plugins or hooks.
 */

/**
 * Imported when asked for, not at the top: oclif loads this module while it is itself still
 * loading, and the command classes extend oclif's Command.
 */
async function commandMap(modulePath: string): Promise<unknown> {
  if (/commands[/\\]index\.[cm]?[jt]s$/.test(modulePath)) return import('../commands/index.js');
  throw Object.assign(new Error(`the spew binary loads no modules from files (asked for ${modulePath})`), { code: 'MODULE_NOT_FOUND' });
}

export async function load(_config: unknown, modulePath: string): Promise<unknown> {
  return commandMap(modulePath);
}

export async function loadWithData(_config: unknown, modulePath: string): Promise<{ filePath: string; isESM: boolean; module: unknown }> {
  return { filePath: modulePath, isESM: false, module: await commandMap(modulePath) };
}

export async function loadWithDataFromManifest(_cached: unknown, modulePath: string): Promise<{ filePath: string; isESM: boolean; module: unknown }> {
  return loadWithData(undefined, modulePath);
}

export function isPathModule(): boolean {
  return false;
}
