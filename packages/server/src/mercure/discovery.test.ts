import { describe, expect, it } from 'vitest';
import { mercureLink } from './discovery.js';

describe('mercureLink', () => {
  it('builds the Link header of hub discovery', () => {
    expect(mercureLink('https://example.com/.well-known/mercure')).toBe(
      '<https://example.com/.well-known/mercure>; rel="mercure"',
    );
    expect(
      mercureLink('https://hub.example.com/.well-known/mercure', {
        lastEventId: 'urn:uuid:1"2',
        contentType: 'application/ld+json',
      }),
    ).toBe(
      '<https://hub.example.com/.well-known/mercure>; rel="mercure"; last-event-id="urn:uuid:1\\"2"; content-type="application/ld+json"',
    );
  });

  it('refuses a relative URL', () => {
    expect(() => mercureLink('/.well-known/mercure')).toThrow(TypeError);
  });
});
