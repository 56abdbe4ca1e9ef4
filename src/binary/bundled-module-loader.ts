/**
 * Stands in for oclif's module loader inside the single binary (the bundler swaps it in for
 * `@oclif/core/lib/module-loader`). oclif loads the command map by `require` or `import` of a
 * file path (package.json `oclif.commands`); the binary has no files, but the map is bundled, so
 * it is answered from here. oclif reaches the other two functions only for commands found by
 * pattern and for hooks, which this CLI has none of.
 */

export async function load(_config: unknown, modulePath: string): Promise<unknown> {
  // Imported when asked for, not at the top: oclif loads this module while it is itself still
  // loading, and the command classes extend oclif's Command.
  if (/commands[/\\]index\.[cm]?[jt]s$/.test(modulePath)) return import('../commands/index.js');
  throw notInBinary(modulePath);
}

export async function loadWithData(_config: unknown, modulePath: string): Promise<never> {
  throw notInBinary(modulePath);
}

export async function loadWithDataFromManifest(_cached: unknown, modulePath: string): Promise<never> {
  throw notInBinary(modulePath);
}

function notInBinary(modulePath: string): Error {
  return Object.assign(new Error(`the spew binary loads no modules from files (asked for ${modulePath})`), { code: 'MODULE_NOT_FOUND' });
}
