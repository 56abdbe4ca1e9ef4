import { describe, expect, it } from 'vitest';
import { resolveImage } from '../../src/images/image-resolution.js';

describe('resolveImage', () => {
  it('takes the highest matching tag from the registry and the engine together', () => {
    expect(resolveImage('~>1.0', { registryTags: ['1.0.0', '1.1.0', '2.0.0'], localTags: ['1.0.0'] })).toEqual({ tag: '1.1.0', local: false });
    expect(resolveImage('~>1.0', { registryTags: ['1.0.0'], localTags: ['1.2.0'] })).toEqual({ tag: '1.2.0', local: true });
  });

  it('says the tag is local when the engine holds it, so no pull is needed', () => {
    expect(resolveImage('>=1 <2', { registryTags: ['1.0.0', '1.1.0'], localTags: ['1.1.0', 'latest'] })).toEqual({ tag: '1.1.0', local: true });
  });

  it('answers from local tags alone when the registry could not be asked', () => {
    expect(resolveImage('~>2.0', { localTags: ['2.0.0', '2.0'] })).toEqual({ tag: '2.0.0', local: true });
  });

  it('answers from the registry alone for an image never pulled', () => {
    expect(resolveImage('2.0.0', { registryTags: ['2.0.0'] })).toEqual({ tag: '2.0.0', local: false });
  });

  it('answers undefined when no tag matches, or there are no tags at all', () => {
    expect(resolveImage('~>3.0', { registryTags: ['1.0.0', '2.0.0'], localTags: ['latest'] })).toBeUndefined();
    expect(resolveImage('~>3.0', {})).toBeUndefined();
  });

  it('refuses a constraint that does not parse', () => {
    expect(() => resolveImage('~>', { registryTags: ['1.0.0'] })).toThrow(expect.objectContaining({ code: 'INVALID_VERSION_CONSTRAINT' }));
  });
});
