import { describe, expect, it } from 'vitest';
import { formatImageRef, imageName, parseImageRef } from '../../src/images/image-ref.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('parseImageRef', () => {
  it.each([
    ['busybox', { registry: 'docker.io', repository: 'library/busybox' }],
    ['busybox:1.36', { registry: 'docker.io', repository: 'library/busybox', tag: '1.36' }],
    ['library/busybox', { registry: 'docker.io', repository: 'library/busybox' }],
    ['docker.io/busybox', { registry: 'docker.io', repository: 'library/busybox' }],
    ['index.docker.io/busybox', { registry: 'docker.io', repository: 'library/busybox' }],
    ['team/app:2.0.0', { registry: 'docker.io', repository: 'team/app', tag: '2.0.0' }],
    ['127.0.0.1:5000/app', { registry: '127.0.0.1:5000', repository: 'app' }],
    ['127.0.0.1:5000/app:1.0.0', { registry: '127.0.0.1:5000', repository: 'app', tag: '1.0.0' }],
    ['localhost/app', { registry: 'localhost', repository: 'app' }],
    ['localhost:5000/team/app:v1', { registry: 'localhost:5000', repository: 'team/app', tag: 'v1' }],
    ['ghcr.io/owner/app', { registry: 'ghcr.io', repository: 'owner/app' }],
    ['Registry/app', { registry: 'Registry', repository: 'app' }],
    ['[::1]:5000/app', { registry: '[::1]:5000', repository: 'app' }],
    ['my_app-2.x__y', { registry: 'docker.io', repository: 'library/my_app-2.x__y' }],
    [`app@${DIGEST}`, { registry: 'docker.io', repository: 'library/app', digest: DIGEST }],
    [`127.0.0.1:5000/app:2.0.0@${DIGEST}`, { registry: '127.0.0.1:5000', repository: 'app', tag: '2.0.0', digest: DIGEST }],
  ])('reads %j', (text, ref) => {
    expect(parseImageRef(text)).toEqual(ref);
  });

  it.each([
    ['', 'the name is empty'],
    [':1.0', 'the name is empty'],
    ['App', '"App" is not a repository name component'],
    ['team/App', '"App" is not a repository name component'],
    ['app:', '"" is not a tag'],
    ['app:-x', '"-x" is not a tag'],
    [`app:${'x'.repeat(129)}`, 'is not a tag'],
    ['app@sha256:xyz', '"sha256:xyz" is not a digest'],
    ['app//x', '"" is not a repository name component'],
    ['bad_host.:5000/app', '"bad_host.:5000" is not a registry host'],
    ['app-', '"app-" is not a repository name component'],
    [`${'a'.repeat(256)}`, 'longer than 255'],
  ])('refuses %j, saying %s', (text, why) => {
    expect(() => parseImageRef(text)).toThrow(why);
    expect(() => parseImageRef(text)).toThrow(expect.objectContaining({ code: 'INVALID_IMAGE_REF' }));
  });
});

describe('formatImageRef', () => {
  it.each([
    ['busybox:1.36', 'docker.io/library/busybox:1.36', 'busybox:1.36'],
    ['team/app', 'docker.io/team/app', 'team/app'],
    ['127.0.0.1:5000/app:1.0.0', '127.0.0.1:5000/app:1.0.0', '127.0.0.1:5000/app:1.0.0'],
    [`app:1@${DIGEST}`, `docker.io/library/app:1@${DIGEST}`, `app:1@${DIGEST}`],
    ['docker.io/library/x/y', 'docker.io/library/x/y', 'library/x/y'],
  ])('writes %j back as %j, or familiar as %j', (text, full, familiar) => {
    const ref = parseImageRef(text);
    expect(formatImageRef(ref)).toBe(full);
    expect(formatImageRef(ref, { familiar: true })).toBe(familiar);
    expect(parseImageRef(formatImageRef(ref))).toEqual(ref);
    expect(parseImageRef(formatImageRef(ref, { familiar: true }))).toEqual(ref);
  });

  it('names the image without its tag or digest', () => {
    expect(imageName(parseImageRef(`127.0.0.1:5000/app:1@${DIGEST}`))).toBe('127.0.0.1:5000/app');
    expect(imageName(parseImageRef('busybox:1'), { familiar: true })).toBe('busybox');
  });
});
