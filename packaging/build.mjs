// `npm run package` (after build:binary): dist/spew_VERSION_amd64.deb and
// dist/spew-VERSION-1.x86_64.rpm, both from the one description in files.json, with dpkg-deb
// and rpmbuild (fpm, which the design named, cannot be installed on our machines).
//
//   node packaging/build.mjs [--binary FILE] [--out DIR] [--only deb|rpm]
//
// The version is package.json's, or SPEW_PKG_VERSION's (a test builds a "newer" package so).
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { gitCommit } from '../scripts/git-commit.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const HERE = join(ROOT, 'packaging');
const DESCRIPTION = JSON.parse(readFileSync(join(HERE, 'files.json'), 'utf8'));

const { values } = parseArgs({
  options: {
    binary: { type: 'string', default: join(ROOT, 'dist', 'spew') },
    out: { type: 'string', default: join(ROOT, 'dist') },
    only: { type: 'string' },
  },
});
const VERSION = process.env.SPEW_PKG_VERSION ?? JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
if (!/^\d+\.\d+\.\d+([~+.][0-9A-Za-z.]+)?$/.test(VERSION)) fail(`not a package version: ${JSON.stringify(VERSION)}`);
const OUT = resolve(values.out);
/** Where each source file is read from; the binary may come from elsewhere (a test's build). */
const sourcePath = (source) => (source === 'dist/spew' ? resolve(values.binary) : join(ROOT, source));

function fail(message) {
  console.error(`packaging: ${message}`);
  process.exit(1);
}

function run(command, args, options = {}) {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });
  } catch (err) {
    fail(`${command} ${args.join(' ')} failed:\n${err.stderr ?? ''}${err.stdout ?? ''}${err.code === 'ENOENT' ? `${command} is not installed` : ''}`);
  }
}

/** The text of a maintainer script, with the shared functions where it asks for them. */
function maintainerScript(name) {
  const common = readFileSync(join(HERE, 'scripts', 'common.sh'), 'utf8').trimEnd();
  return readFileSync(join(HERE, 'scripts', name), 'utf8').replace('#SPEW_COMMON#', () => common);
}

/** When the release was made: the commit's time, so rebuilding a commit gives the same package. */
function releaseTime() {
  const fromEnv = process.env.SOURCE_DATE_EPOCH;
  if (fromEnv) return new Date(Number(fromEnv) * 1000);
  try {
    return new Date(Number(execFileSync('git', ['log', '-1', '--format=%ct'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()) * 1000);
  } catch {
    return new Date();
  }
}

function changeNote() {
  const commit = gitCommit();
  return `Release ${VERSION}${commit ? ` (commit ${commit})` : ''}; see /usr/share/doc/spew/README.md.`;
}

/** The description's files that the format has (a deb or an rpm). */
const filesOf = (format) => DESCRIPTION.files.filter((file) => (file.only ?? format) === format);

/** Copies every file of the format and makes every directory of the description under `root`. */
function stage(root, files, pathOf) {
  for (const file of files) {
    const target = join(root, pathOf(file));
    mkdirSync(dirname(target), { recursive: true });
    const content = readFileSync(sourcePath(file.source));
    writeFileSync(target, file.gzip ? gzipSync(content, { level: 9 }) : content);
    chmodSync(target, parseInt(file.mode, 8));
  }
  for (const dir of DESCRIPTION.directories) {
    mkdirSync(join(root, dir.path), { recursive: true });
    chmodSync(join(root, dir.path), parseInt(dir.mode, 8));
  }
}

function buildDeb(work) {
  const root = join(work, 'deb');
  const files = filesOf('deb');
  stage(root, files, (file) => file.path);
  const when = releaseTime();
  const changelog = [
    `${DESCRIPTION.name} (${VERSION}) unstable; urgency=medium`,
    '',
    `  * ${changeNote()}`,
    '',
    ` -- ${DESCRIPTION.maintainer}  ${when.toUTCString().replace('GMT', '+0000')}`,
    '',
  ].join('\n');
  // A version without a Debian revision makes a native package, whose changelog is changelog.gz.
  const changelogPath = '/usr/share/doc/spew/changelog.gz';
  writeFileSync(join(root, changelogPath), gzipSync(changelog, { level: 9 }), { mode: 0o644 });
  const shipped = [...files.map((file) => file.path), changelogPath];

  const control = join(root, 'DEBIAN');
  mkdirSync(control, { mode: 0o755 });
  const installedKiB = Math.ceil(shipped.reduce((sum, path) => sum + statSync(join(root, path)).size, 0) / 1024);
  writeFileSync(join(control, 'control'), [
    `Package: ${DESCRIPTION.name}`,
    `Version: ${VERSION}`,
    'Architecture: amd64',
    `Maintainer: ${DESCRIPTION.maintainer}`,
    `Installed-Size: ${installedKiB}`,
    `Pre-Depends: ${DESCRIPTION.predepends.deb.join(', ')}`,
    `Depends: ${DESCRIPTION.depends.deb.join(', ')}`,
    `Recommends: ${DESCRIPTION.recommends.deb.join(', ')}`,
    'Section: admin',
    'Priority: optional',
    `Description: ${DESCRIPTION.summary}`,
    ...DESCRIPTION.description.map((line) => ` ${line}`),
    '',
  ].join('\n'));
  writeFileSync(join(control, 'conffiles'), files.filter((f) => f.config).map((f) => `${f.path}\n`).join(''));
  writeFileSync(join(control, 'md5sums'), shipped.map((path) => `${md5(join(root, path))}  ${path.slice(1)}\n`).join(''));
  for (const name of ['control', 'conffiles', 'md5sums']) chmodSync(join(control, name), 0o644);
  for (const name of ['postinst', 'prerm', 'postrm']) {
    writeFileSync(join(control, name), maintainerScript(`deb/${name}`), { mode: 0o755 });
  }

  const deb = join(OUT, `${DESCRIPTION.name}_${VERSION}_amd64.deb`);
  // gzip: xz would make it a third smaller, at seven times the build time.
  run('dpkg-deb', ['--root-owner-group', '-Zgzip', '-z6', '--build', root, deb]);
  return deb;
}

function md5(path) {
  return createHash('md5').update(readFileSync(path)).digest('hex');
}

function buildRpm(work) {
  const stageRoot = join(work, 'rpm-stage');
  const files = filesOf('rpm');
  const rpmPath = (file) => file.rpmPath ?? file.path;
  stage(stageRoot, files, rpmPath);
  const topdir = join(work, 'rpmbuild');
  const when = releaseTime();
  const day = when.toUTCString().slice(0, 16).replace(',', '').split(' ');
  const scriptlet = (name) => `%${name}\n${maintainerScript(`rpm/${name}`).trimEnd()}\n`;
  // Every directory named after the package (/etc/spew, /usr/share/doc/spew) is the package's own.
  const ownDirs = new Set();
  for (const path of [...files.map(rpmPath), ...DESCRIPTION.directories.map((d) => d.path)]) {
    for (let dir = dirname(path); dir !== '/'; dir = dirname(dir)) if (dir.endsWith(`/${DESCRIPTION.name}`)) ownDirs.add(dir);
  }
  const spec = [
    `Name: ${DESCRIPTION.name}`,
    `Version: ${VERSION.replaceAll('-', '~')}`,
    'Release: 1',
    `Summary: ${DESCRIPTION.summary}`,
    `License: ${DESCRIPTION.license}`,
    `Packager: ${DESCRIPTION.maintainer}`,
    'BuildArch: x86_64',
    // Dependencies are the ones listed, not what rpm's scanners would guess from the binary.
    'AutoReqProv: no',
    ...DESCRIPTION.depends.rpm.map((d) => `Requires: ${d}`),
    ...DESCRIPTION.recommends.rpm.map((d) => `Recommends: ${d}`),
    // The binary carries the application inside it: stripping it would cut that off.
    '%global __os_install_post %{nil}',
    '%global debug_package %{nil}',
    '%global _build_id_links none',
    '%global _binary_payload w6.gzdio',
    '',
    '%description',
    ...DESCRIPTION.description,
    '',
    '%install',
    `cp -a ${stageRoot}/. %{buildroot}/`,
    '',
    scriptlet('pre'),
    scriptlet('post'),
    scriptlet('preun'),
    scriptlet('postun'),
    '%files',
    ...[...ownDirs].sort().map((dir) => `%dir %attr(0755,root,root) ${dir}`),
    ...DESCRIPTION.directories.map((d) => `%dir %attr(${d.mode},root,root) ${d.path}`),
    ...files.map((f) => `${f.config ? '%config(noreplace) ' : ''}%attr(${f.mode},root,root) ${rpmPath(f)}`),
    '',
    '%changelog',
    `* ${day[0]} ${day[2]} ${day[1]} ${day[3]} ${DESCRIPTION.maintainer} - ${VERSION}-1`,
    `- ${changeNote()}`,
    '',
  ].join('\n');
  const specFile = join(work, 'spew.spec');
  writeFileSync(specFile, spec);
  run('rpmbuild', ['-bb', '--quiet', '--define', `_topdir ${topdir}`, '--define', `_rpmdir ${OUT}`, '--define', '_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm', specFile]);
  return join(OUT, `${DESCRIPTION.name}-${VERSION}-1.x86_64.rpm`);
}

const work = mkdtempSync(join(tmpdir(), 'spew-packaging-'));
try {
  if (!statSync(sourcePath('dist/spew'), { throwIfNoEntry: false })) fail(`no binary at ${sourcePath('dist/spew')}: npm run build:binary first`);
  mkdirSync(OUT, { recursive: true });
  const built = [];
  if (values.only !== 'rpm') built.push(buildDeb(work));
  if (values.only !== 'deb') built.push(buildRpm(work));
  for (const file of built) console.log(`packaging: ${file} (${(statSync(file).size / 2 ** 20).toFixed(1)} MiB)`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
